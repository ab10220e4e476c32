#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Drive ec-serve's page in headless Chromium over the DevTools protocol
(python3-websocket) and report what a user sees, as one JSON object.

  page.py --url URL --rows N [--filter TEXT] [--feed FILE --fifo PATH]
          [--screenshot OUT.png] [--timeout S] [--watch SECONDS] [--har FILE]

Opens URL, waits until the table has N rows, then reports the rows (method,
host, path, status, latency), what --filter leaves, the details panel of
the first row whose path holds "<script>", whether any captured script ran
(window.pwned), and the status bar. With --feed, writes FILE's bytes into
the FIFO ec-serve reads and reports how long the new rows took to show.
With --har, last, opens FILE with the page's HAR input and reports the
rows it shows then. With --watch, samples once a second for that long: rows shown, records the
page decoded, its JavaScript heap (bench/bench-page.sh).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m["result"]

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expr, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = self.js(expr)
            if v:
                return v
            time.sleep(0.05)
        return None


ROWS = """[...document.querySelectorAll('#exchanges tbody tr')].filter(t => !t.hidden)
  .map(t => [...t.cells].map(c => c.textContent))"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--filter")
    ap.add_argument("--feed")
    ap.add_argument("--fifo")
    ap.add_argument("--screenshot")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--watch", type=float, default=0)
    ap.add_argument("--har")
    a = ap.parse_args()
    prof = tempfile.mkdtemp(prefix="ec-chromium-")
    chrome = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--user-data-dir=" + prof, "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "--window-size=1400,900", a.url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out = {}
    try:
        port = None
        end = time.monotonic() + a.timeout
        while time.monotonic() < end and port is None:
            line = chrome.stderr.readline()
            if "DevTools listening on ws://" in line:
                port = int(line.split("ws://127.0.0.1:")[1].split("/")[0])
        if port is None:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port))
        page = Page([t for t in targets if t["type"] == "page"][0]["webSocketDebuggerUrl"])
        n = page.wait("document.querySelectorAll('#exchanges tbody tr').length >= %d && "
                      "document.querySelectorAll('#exchanges tbody tr').length" % a.rows,
                      a.timeout)
        out["rows_seen"] = n or page.js("document.querySelectorAll('#exchanges tbody tr').length")
        out["rows"] = page.js(ROWS)
        out["status"] = page.js("document.getElementById('status').textContent")
        # the captured scripts: shown as text, never run
        out["pwned"] = page.js("typeof window.pwned === 'undefined' ? null : window.pwned")
        hostile = page.js("""(() => {
          const t = [...document.querySelectorAll('#exchanges tbody tr')]
            .find(r => r.cells[4].textContent.includes('<script>'));
          if (!t) return null;
          t.click();
          return {title: document.getElementById('d-title').textContent,
                  req: document.getElementById('d-req-head').textContent,
                  body: document.getElementById('d-resp-body').textContent,
                  elements: document.querySelectorAll('#details script, #details img[src="x"], #details b').length};
        })()""")
        out["hostile"] = hostile
        time.sleep(0.2)
        out["pwned_after_details"] = page.js(
            "typeof window.pwned === 'undefined' ? null : window.pwned")
        if a.screenshot:
            shot = page.call("Page.captureScreenshot", format="png")
            import base64
            os.makedirs(os.path.dirname(os.path.abspath(a.screenshot)), exist_ok=True)
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        if a.filter:
            page.js("""(() => { const f = document.getElementById('filter');
              f.value = %s; f.dispatchEvent(new Event('input')); })()""" % json.dumps(a.filter))
            out["filtered"] = page.js(ROWS)
            page.js("""(() => { const f = document.getElementById('filter');
              f.value = ''; f.dispatchEvent(new Event('input')); })()""")
        if a.watch:
            page.call("Performance.enable")
            samples = []
            end = time.monotonic() + a.watch
            while time.monotonic() < end:
                time.sleep(1)
                m = {x["name"]: x["value"] for x in page.call("Performance.getMetrics")["metrics"]}
                st = page.js("document.getElementById('status').textContent")
                rec = int(st.split("records ")[1].split(" ")[0]) if "records " in st else 0
                samples.append({"heap": m.get("JSHeapUsedSize", 0), "nodes": m.get("Nodes", 0),
                                "rows": page.js("document.querySelectorAll('#exchanges tbody tr').length"),
                                "records": rec})
            out["samples"] = samples
        if a.feed:
            before = page.js("document.querySelectorAll('#exchanges tbody tr').length")
            with open(a.feed, "rb") as src, open(a.fifo, "ab") as fifo:
                t0 = time.monotonic()
                fifo.write(src.read())
            got = page.wait("document.querySelectorAll('#exchanges tbody tr').length > %d" % before,
                            a.timeout)
            out["live_ms"] = round((time.monotonic() - t0) * 1000, 1) if got else None
            out["rows_after_feed"] = page.js(
                "document.querySelectorAll('#exchanges tbody tr').length")
        if a.har:
            root = page.call("DOM.getDocument")["root"]["nodeId"]
            node = page.call("DOM.querySelector", nodeId=root, selector="#har")["nodeId"]
            page.call("DOM.setFileInputFiles", files=[os.path.abspath(a.har)], nodeId=node)
            page.wait("document.getElementById('status').textContent.startsWith('HAR')", a.timeout)
            time.sleep(0.3)
            out["har_rows"] = page.js(ROWS)
            out["har_status"] = page.js("document.getElementById('status').textContent")
            out["har_details"] = page.js("""(() => {
              const t = [...document.querySelectorAll('#exchanges tbody tr')]
                .find(r => r.cells[4].textContent === '/stream');
              if (!t) return null;
              t.click();
              return document.getElementById('d-resp-head').textContent + '|' +
                document.getElementById('d-resp-body').textContent;
            })()""")
    finally:
        chrome.terminate()
        try:
            chrome.wait(10)
        except subprocess.TimeoutExpired:
            chrome.kill()
            chrome.wait()
        shutil.rmtree(prof, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
