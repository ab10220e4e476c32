// SPDX-License-Identifier: GPL-2.0-only
// ec-serve's page: the record stream over the WebSocket, decoded by the
// code protobufjs's pbjs made from proto/ecaptureq.proto, shown as exchanges (the
// pairs ec-parse made, docs/PROTOCOL.md). Captured text only ever goes into
// the page as textContent or as a blob: image: nothing captured runs.
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const KEEP = Math.min(100000, Math.max(10, parseInt(params.get('keep'), 10) || 1000));
  const $ = (id) => document.getElementById(id);
  const utf8 = new TextDecoder('utf-8');
  const strict = new TextDecoder('utf-8', { fatal: true });

  let LogEntry = null;
  let ws = null;
  let paused = false;
  let backlog = [];
  let skipped = 0;
  let skipWhy = '';
  const rows = new Map(); // key -> row, insertion order = age
  let unpaired = 0;
  let records = 0, lost = 0, dropped = 0;
  let state = 'connecting';
  let selected = null;

  // ---- the token: from #token=..., the form, or none
  function token() {
    const m = /^#token=(.+)$/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('ec-token', decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem('ec-token') || '';
  }

  // ---- a message's head: start line words, headers
  function headEnd(bytes) {
    const n = Math.min(bytes.length, 65536);
    for (let i = 0; i + 3 < n; i++)
      if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
    return -1;
  }
  function head(bytes) {
    const end = headEnd(bytes);
    const h = utf8.decode(bytes.subarray(0, end < 0 ? Math.min(bytes.length, 65536) : end));
    const lines = h.split('\r\n');
    const headers = [];
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':', 1);
      if (c > 0) headers.push([l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()]);
    }
    return { line: lines[0].split(' '), headers, text: h, body: bytes.subarray(end < 0 ? bytes.length : end + 4) };
  }
  const header = (hd, name) => (hd.headers.find((x) => x[0] === name) || [])[1] || '';

  function concat(a, b) {
    if (!a) return b;
    const c = new Uint8Array(a.length + b.length);
    c.set(a);
    c.set(b, a.length);
    return c;
  }

  // ---- the table
  const tbody = document.querySelector('#exchanges tbody');
  const COLS = ['time', 'comm', 'method', 'host', 'path', 'status', 'latency', 'bytes'];

  function newRow(key, e, machine) {
    const tr = document.createElement('tr');
    const cells = {};
    for (const c of COLS) {
      const td = document.createElement('td');
      td.className = c;
      tr.appendChild(td);
      cells[c] = td;
    }
    const r = { key, tr, cells, ts: Number(e.timestamp), pid: Number(e.pid), comm: e.pname || '',
      machine,
      method: '', host: '', path: '', status: 0, first: null, last: null, req: null, resp: null,
      reqBytes: 0, respBytes: 0, done: false };
    tr.addEventListener('click', () => show(r));
    rows.set(key, r);
    tbody.insertBefore(tr, tbody.firstChild);
    while (rows.size > KEEP) {
      const [oldKey, old] = rows.entries().next().value;
      old.tr.remove();
      rows.delete(oldKey);
    }
    return r;
  }

  const ms = (ns) => (ns === null ? '' : (ns / 1e6).toFixed(3) + ' ms');

  function render(r) {
    const c = r.cells;
    c.time.textContent = new Date(r.ts / 1e6).toISOString().slice(11, 23);
    c.comm.textContent = (r.machine ? r.machine + ': ' : '') + r.comm + '(' + r.pid + ')';
    c.method.textContent = r.method;
    c.host.textContent = r.host;
    c.path.textContent = r.path;
    c.path.title = r.path;
    c.status.textContent = !r.done ? '…' : r.summary || String(r.status || '');
    c.latency.textContent = r.done ? ms(r.last !== null ? r.last : r.first) : '';
    c.bytes.textContent = r.reqBytes + ' / ' + r.respBytes;
    r.tr.className = (r.done ? '' : 'pending') + (r.status >= 400 || r.failed ? ' err' : '') +
      (selected === r ? ' selected' : '');
    r.tr.hidden = !matches(r);
  }

  // ec-parse paired it: exchange_id is set (a number, or a Long-like past 2^53)
  const paired = (e) => Boolean(e.exchange_id) && String(e.exchange_id) !== '0';

  // each ec-parse numbers its own exchanges: from many hosts, the host is in the key
  function request(e, machine) {
    const key = 'x' + machine + '/' + e.exchange_id;
    const r = rows.get(key) || newRow(key, e, machine);
    r.req = concat(r.req, e.payload);
    r.reqBytes += e.payload.length;
    if (e.type >= 6) { // past HTTP the request carries its facts
      r.method = e.method || '';
      r.host = e.authority || '';
      r.path = e.path || '';
    } else if (!r.method) {
      const hd = head(r.req);
      r.method = hd.line[0] || '';
      const target = hd.line[1] || '';
      r.host = header(hd, 'host') || header(hd, ':authority');
      r.path = target;
    }
    render(r);
  }

  function response(e, machine) {
    if (e.type < 6 && e.status && e.status < 200 && e.status !== 101) return; // not the answer
    const key = paired(e) ? 'x' + machine + '/' + e.exchange_id : 'u' + unpaired++;
    const r = rows.get(key) || newRow(key, e, machine);
    r.resp = concat(r.resp, e.payload);
    r.respBytes += e.payload.length;
    if (e.method) r.method = e.method;
    if (e.authority) r.host = e.authority;
    if (e.path) r.path = e.path;
    if (!e.more_parts) {
      r.done = true;
      r.status = e.status;
      r.summary = e.summary || '';
      r.failed = Boolean(e.failed);
      if (paired(e)) {
        r.first = Number(e.latency_first_ns);
        r.last = Number(e.latency_last_ns) || r.first;
      }
    }
    render(r);
  }

  function record(buf) {
    records++;
    let m;
    try {
      m = LogEntry.decode(new Uint8Array(buf));
    } catch (err) {
      if (!skipped++) skipWhy = String(err);
      return;
    }
    if (m.event_payload) {
      const e = m.event_payload;
      const machine = m.host || ''; // ec-nats: the host it came from
      // types 1, 2 and 6, 8... 14 are requests; 3, 4 and 7, 9... 15 their responses
      const req = e.type === 1 || e.type === 2 || (e.type >= 6 && e.type <= 15 && e.type % 2 === 0);
      const resp = e.type === 3 || e.type === 4 || (e.type >= 7 && e.type <= 15 && e.type % 2 === 1);
      if (req && paired(e)) request(e, machine);
      else if (resp && (e.status || paired(e))) response(e, machine);
    } else if (m.heartbeat_payload) {
      const h = m.heartbeat_payload;
      lost = Math.max(lost, Number(h.events_lost || 0));
      dropped = Math.max(dropped, Number(h.records_dropped || 0));
    }
  }

  // ---- filter, pause, details
  let filter = '';
  function matches(r) {
    if (!filter) return true;
    return [r.host, r.path, String(r.pid), r.comm, String(r.status), r.method, r.machine]
      .some((s) => s.toLowerCase().includes(filter));
  }
  $('filter').addEventListener('input', () => {
    filter = $('filter').value.trim().toLowerCase();
    for (const r of rows.values()) r.tr.hidden = !matches(r);
    soon();
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'resume' : 'pause';
    if (!paused) {
      const b = backlog;
      backlog = [];
      b.forEach(record);
    }
    status();
  });
  $('clear').addEventListener('click', clear);
  $('close').addEventListener('click', () => {
    $('details').hidden = true;
    if (selected) {
      const r = selected;
      selected = null;
      render(r);
    }
  });

  function clear() {
    for (const r of rows.values()) r.tr.remove();
    rows.clear();
    $('details').hidden = true;
    selected = null;
  }

  function hex(bytes) {
    const out = [];
    const n = Math.min(bytes.length, 65536);
    for (let i = 0; i < n; i += 16) {
      const chunk = bytes.subarray(i, Math.min(i + 16, n));
      const h = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
      const a = Array.from(chunk, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
      out.push(i.toString(16).padStart(8, '0') + '  ' + h.padEnd(48) + '  ' + a);
    }
    if (bytes.length > n) out.push('… ' + (bytes.length - n) + ' more bytes');
    return out.join('\n');
  }

  // a body as the reader wants it: image, JSON, text, else hex
  function body(el, bytes, ctype) {
    el.replaceChildren();
    if (!bytes || !bytes.length) return;
    if (/^image\//i.test(ctype)) {
      const img = document.createElement('img');
      img.src = URL.createObjectURL(new Blob([bytes], { type: ctype }));
      img.alt = ctype;
      el.appendChild(img);
      return;
    }
    const pre = document.createElement('pre');
    pre.className = 'body';
    let text = null;
    try {
      text = strict.decode(bytes);
    } catch (err) {
      text = null;
    }
    if (text !== null && /json/i.test(ctype)) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch (err) { /* shown as it came */ }
    }
    pre.textContent = text !== null ? text : hex(bytes);
    el.appendChild(pre);
  }

  function show(r) {
    const was = selected;
    selected = r;
    if (was) render(was);
    render(r);
    $('details').hidden = false;
    $('d-title').textContent = r.method + ' ' + r.host + r.path + '  →  ' + (r.status || '…');
    const rq = r.req ? head(r.req) : null;
    const rs = r.resp ? head(r.resp) : null;
    $('d-req-head').textContent = rq ? rq.text : '(the request came before the capture)';
    $('d-resp-head').textContent = rs ? rs.text : '(no response yet)';
    body($('d-req-body'), rq && rq.body, rq ? header(rq, 'content-type') : '');
    body($('d-resp-body'), rs && rs.body, rs ? header(rs, 'content-type') : '');
  }

  // ---- latency histogram of the rows shown
  function draw() {
    const cv = $('hist');
    const g = cv.getContext('2d');
    g.clearRect(0, 0, cv.width, cv.height);
    const v = [];
    for (const r of rows.values()) if (!r.tr.hidden && r.done && r.last !== null) v.push(r.last / 1e6);
    if (!v.length) return;
    const max = Math.max(...v) || 1;
    const bins = new Array(24).fill(0);
    for (const x of v) bins[Math.min(23, Math.floor((x / max) * 24))]++;
    const top = Math.max(...bins);
    g.fillStyle = '#36c';
    bins.forEach((b, i) => {
      const h = Math.round((b / top) * (cv.height - 10));
      g.fillRect(i * 10, cv.height - 10 - h, 8, h);
    });
    g.fillStyle = '#333';
    g.font = '9px sans-serif';
    g.fillText('0 … ' + max.toFixed(1) + ' ms', 2, cv.height - 1);
  }

  function status() {
    const f = $('status');
    const shown = [...rows.values()].filter((r) => !r.tr.hidden).length;
    f.textContent = state + (paused ? ' (paused: ' + backlog.length + ' waiting)' : '') +
      ' · exchanges ' + shown + (shown !== rows.size ? ' of ' + rows.size : '') +
      ' (last ' + KEEP + ' kept) · records ' + records +
      ' · lost ' + lost + ' · dropped ' + dropped + (skipped ? ' · undecodable ' + skipped + ' (' + skipWhy + ')' : '');
    f.className = lost || dropped || state !== 'live' ? 'bad' : '';
  }
  // the status bar and the histogram follow the stream, ten times a second at most
  let due = false;
  function soon() {
    if (due) return;
    due = true;
    setTimeout(() => {
      due = false;
      status();
      draw();
    }, 100);
  }
  setInterval(soon, 1000);

  // ---- the stream
  // ---- an HTTP Archive (ec-dump --har, or any HAR 1.2) instead of the stream
  function harBytes(text, encoding) {
    if (!text) return new Uint8Array(0);
    if (encoding === 'base64') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new TextEncoder().encode(text);
  }
  function harHead(line, headers) {
    return new TextEncoder().encode(line + '\r\n' +
      (headers || []).map((h) => h.name + ': ' + h.value + '\r\n').join('') + '\r\n');
  }
  function loadHar(file) {
    file.text().then((text) => {
      const entries = JSON.parse(text).log.entries;
      if (ws) {
        ws.onclose = null; // a file now: no reconnecting
        ws.close();
      }
      clear();
      state = 'HAR ' + file.name;
      entries.forEach((en, i) => {
        const rq = en.request, rs = en.response;
        let u = null;
        try {
          u = new URL(rq.url);
        } catch (err) { /* shown as it is */ }
        const r = newRow('h' + i, { timestamp: Date.parse(en.startedDateTime) * 1e6,
          pid: en._pid || 0, pname: en._comm || '' });
        r.method = rq.method;
        r.host = u ? u.host : '';
        r.path = u ? u.pathname + u.search : rq.url;
        r.status = rs.status;
        r.done = true;
        r.first = en.timings && en.timings.wait >= 0 ? en.timings.wait * 1e6 : null;
        r.last = en.time >= 0 ? en.time * 1e6 : r.first;
        r.req = concat(harHead(rq.method + ' ' + (u ? u.pathname + u.search : rq.url) + ' ' +
          rq.httpVersion, rq.headers), harBytes(rq.postData && rq.postData.text,
          rq.postData && rq.postData._encoding));
        r.resp = concat(harHead(rs.httpVersion + ' ' + rs.status + ' ' + rs.statusText, rs.headers),
          harBytes(rs.content && rs.content.text, rs.content && rs.content.encoding));
        r.reqBytes = r.req.length;
        r.respBytes = r.resp.length;
        render(r);
      });
      soon();
    }).catch((err) => {
      state = 'not a HAR: ' + err;
      soon();
    });
  }
  $('har').addEventListener('change', () => {
    if ($('har').files.length) loadHar($('har').files[0]);
  });

  function connect() {
    const tok = token();
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
      '/?replay=1' + (tok ? '&token=' + encodeURIComponent(tok) : '');
    ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      clear(); // the kept events come again first
      state = 'live';
      $('login').hidden = true;
      status();
    };
    ws.onmessage = (m) => {
      if (paused) {
        backlog.push(m.data);
        if (backlog.length > 4 * KEEP) backlog.shift();
        return;
      }
      record(m.data);
      soon();
    };
    ws.onclose = () => {
      if (!opened) {
        // refused: most likely a token is wanted
        state = 'not connected: a token?';
        $('login').hidden = false;
        status();
        return;
      }
      state = 'closed: reconnecting';
      status();
      setTimeout(connect, 2000);
    };
  }
  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('ec-token', $('token').value);
    $('token').value = '';
    connect();
  });

  LogEntry = protobuf.roots['default'].event.LogEntry;
  connect();
})();
