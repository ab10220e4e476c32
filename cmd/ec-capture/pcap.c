// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture tls --pcap: TC clsact programs (bpf/tc.bpf.c) copy packets into
 * a ring buffer; here they are filtered with a libpcap-compiled filter
 * (pcap_offline_filter, in user space), held for PCAP_HOLD_NS so that the
 * TLS keys of their connection — known only once the handshake is done —
 * reach the file first, then written to pcapng and to the record stream.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "pcap.h"
#include "pcapfilter.h"
#include "pcapng.h"
#include "record.h"
#include "synth.h"
#include "tc.h"
#include "tc.skel.h"
#include "util.h"

/* A packet waits this long (capture clock) before it is written. */
#define PCAP_HOLD_NS 1000000000ull
/* ... unless this much is held: then the oldest go out early. */
#define PCAP_HOLD_BYTES (64u << 20)
/* The packet ring buffer (every packet of IF is copied: the filter runs here). */
#define PCAP_RING (32u << 20)
/* Direct-mapped cache of 4-tuple -> process, from the TLS events. */
#define OWNERS 65536
/* --keys-only: direct-mapped client random -> 4-tuple, from ClientHellos,
 * for the handshakes that name no socket (Go, memory BIOs) */
#define HELLOS 4096

#define PCAP_ERR_LEN 512

/*
 * tcx links (Linux 6.6+): attachments owned by a file descriptor, so a
 * capture killed with SIGKILL leaves nothing on the interface. libbpf 1.1
 * has no bpf_program__attach_tcx (1.3 does) and Debian 12's linux/bpf.h
 * (6.1) does not name these attach types: their UAPI values, made with
 * libbpf's generic bpf_link_create.
 */
#define EC_BPF_TCX_INGRESS 46
#define EC_BPF_TCX_EGRESS 47
/*
 * Older kernels: clsact filters, at this fixed handle and priority so that
 * the next start finds the ones a killed run left and removes them.
 */
#define EC_TC_HANDLE 0xec
#define EC_TC_PRIO 0xec
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
#define ARPHRD_NONE 65534

struct held {
	struct held *next;
	uint64_t ts_ns;
	uint32_t len, caplen, ifindex, egress;
	int has_tuple;
	struct ec_synth_tuple t;
	uint8_t data[];
};

struct owner {
	struct ec_synth_tuple t; /* src = the process's end */
	uint64_t conn_id;
	uint32_t pid, tid, uid;
	int32_t fd;
	char comm[EC_COMM_LEN + 1];
	/* its packets' strings, made once: t's ends and the uuid */
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[96];
};

struct pktcap {
	struct pktcap_opts o;
	int ifindex, loopback;
	uint32_t linktype;
	int fd;
	struct ec_pcapng *png;
	struct ec_synth *synth;
	struct pcapfilter *filter;
	struct tc_bpf *skel;
	int link_fd[2]; /* tcx links (ingress, egress); -1 when none */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts in, eg;
	int hook_created, in_attached, eg_attached;
	struct ec_capture *cap;
	struct held *head, *tail;
	size_t held_bytes;
	struct owner *owners;
	struct hello {
		uint8_t random[32];
		struct ec_synth_tuple t; /* src: the client */
		uint32_t pid;		 /* who sent it, when it went out here (egress) */
	} * hellos;
	uint64_t seen, filtered, written;
	int stream_gone; /* EPIPE on stdout: packets go to FILE only */
	int err;
};

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int dev_type(const char *ifname)
{
	char path[128];
	snprintf(path, sizeof path, "/sys/class/net/%s/type", ifname);
	FILE *f = fopen(path, "re");
	int type = -1;
	if (f) {
		if (fscanf(f, "%d", &type) != 1)
			type = -1;
		fclose(f);
	}
	return type;
}

int pktcap_args(struct pktcap_opts *o, int argc, char **argv, int first)
{
	static char filter[4096];
	size_t n = 0;
	for (int i = first; i < argc; i++) {
		int k = snprintf(filter + n, sizeof filter - n, "%s%s", n ? " " : "", argv[i]);
		if (!o->path && !o->keys_only) {
			ec_warn("%s: unexpected argument '%s' (see --help)", argv[0], argv[i]);
			return 2;
		}
		if (k < 0 || (size_t)k >= sizeof filter - n) {
			ec_warn("%s: the pcap filter is longer than %zu bytes", argv[0],
				sizeof filter - 1);
			return 2;
		}
		n += (size_t)k;
	}
	o->filter = n ? filter : NULL;
	if (o->ifname && !o->path && !o->keys_only) {
		ec_warn("%s: --ifname is for --pcap FILE or --keys-only (see --help)", argv[0]);
		return 2;
	}
	return 0;
}

struct pktcap *pktcap_open(const struct pktcap_opts *o, int *status)
{
	*status = 2;
	if (!o->ifname) {
		ec_warn("%s needs --ifname IF: the interface to capture on (e.g. lo, eth0)",
			o->keys_only ? "--keys-only" : "--pcap");
		return NULL;
	}
	if (o->snaplen < 64 || o->snaplen > TC_SNAP_MAX) {
		ec_warn("--snaplen: %u is not from 64 to %u", o->snaplen, TC_SNAP_MAX);
		return NULL;
	}
	struct pktcap *p = ec_xcalloc(1, sizeof *p);
	p->o = *o;
	p->fd = -1;
	p->link_fd[0] = p->link_fd[1] = -1;
	*status = 1;
	p->ifindex = (int)if_nametoindex(o->ifname);
	if (!p->ifindex) {
		ec_warn("--ifname %s: %s (see ip link)", o->ifname, strerror(errno));
		goto fail;
	}
	int type = dev_type(o->ifname);
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK) {
		p->linktype = EC_LINKTYPE_ETHERNET;
		p->loopback = type == ARPHRD_LOOPBACK;
	} else if (type == ARPHRD_NONE) {
		p->linktype = EC_SYNTH_LINKTYPE_RAW; /* tun, wireguard: packets start at IP */
	} else {
		ec_warn("--ifname %s: device type %d is neither Ethernet, loopback nor raw IP",
			o->ifname, type);
		goto fail;
	}
	char msg[PCAP_ERR_LEN];
	if (o->filter && *o->filter &&
	    !(p->filter = pcapfilter_new(p->linktype, o->snaplen, o->filter, msg, sizeof msg))) {
		ec_warn("filter '%s': %s (pcap-filter(7) syntax, e.g. 'tcp port 443')", o->filter,
			msg);
		*status = 2;
		goto fail;
	}
	p->owners = ec_xcalloc(OWNERS, sizeof *p->owners);
	if (o->keys_only)
		p->hellos = ec_xcalloc(HELLOS, sizeof *p->hellos);
	if (!o->path)
		return p; /* --keys-only: the records alone */
	p->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->fd < 0) {
		ec_warn("--pcap %s: %s", o->path, strerror(errno));
		goto fail;
	}
	p->png = ec_pcapng_new(p->fd, "ec-capture " EC_VERSION);
	p->synth = p->png ? ec_synth_new(p->png, -1) : NULL;
	if (!p->synth || ec_pcapng_flush(p->png)) {
		ec_warn("--pcap %s: cannot write: %s", o->path, strerror(errno));
		goto fail;
	}
	return p;
fail:
	pktcap_close(p);
	return NULL;
}

/* Every packet looks its owner up: a word-wise mix, not a byte loop. */
static uint32_t tuple_slot(const struct ec_synth_tuple *t)
{
	uint64_t w[4], h = (uint64_t)t->family << 32 | (uint64_t)t->sport << 16 | t->dport;
	memcpy(w, t->src, 16);
	memcpy(w + 2, t->dst, 16);
	for (int i = 0; i < 4; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h ^ (h >> 29)) % OWNERS;
}

static void note_owner(struct pktcap *p, const struct ec_synth_tuple *t, const struct ec_event *te);

void pktcap_note_conn(struct pktcap *p, const struct ec_event *te)
{
	if (!p ||
	    (te->kind != EC_KIND_DATA && te->kind != EC_KIND_KEYS && te->kind != EC_KIND_KEYLOG) ||
	    (te->family != 2 && te->family != 10))
		return;
	struct ec_synth_tuple t;
	memset(&t, 0, sizeof t);
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	t.family = te->family == 2 ? 4 : 6;
	memcpy(t.src, te->saddr, t.family == 4 ? 4 : 16);
	memcpy(t.dst, te->daddr, t.family == 4 ? 4 : 16);
	if (t.family == 6 && !memcmp(t.src, mapped, 12) && !memcmp(t.dst, mapped, 12)) {
		/* an IPv4 peer of a dual-stack socket: the packets are IPv4 */
		memset(&t, 0, sizeof t);
		t.family = 4;
		memcpy(t.src, te->saddr + 12, 4);
		memcpy(t.dst, te->daddr + 12, 4);
	}
	t.sport = te->sport;
	t.dport = te->dport;
	note_owner(p, &t, te);
}

static void note_owner(struct pktcap *p, const struct ec_synth_tuple *tp, const struct ec_event *te)
{
	struct ec_synth_tuple t = *tp;
	struct owner *o = &p->owners[tuple_slot(&t)];
	o->t = t;
	o->conn_id = te->conn_id;
	o->pid = te->pid;
	o->tid = te->tid;
	o->uid = te->uid;
	o->fd = te->fd;
	memcpy(o->comm, te->comm, EC_COMM_LEN);
	o->comm[EC_COMM_LEN] = 0;
	int af = t.family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, t.src, o->src, sizeof o->src);
	inet_ntop(af, t.dst, o->dst, sizeof o->dst);
	snprintf(o->uuid, sizeof o->uuid, "%u_%u_%s_%d_0", o->pid, o->tid, o->comm, o->fd);
}

int pktcap_hello_conn(struct pktcap *p, struct ec_event *te, const uint8_t random[32])
{
	if (!p || !p->hellos)
		return -1;
	const struct hello *h = &p->hellos[(random[0] | random[1] << 8) % HELLOS];
	if (memcmp(h->random, random, 32))
		return -1;
	int client = h->pid && h->pid == te->pid;
	const struct ec_synth_tuple *t = &h->t;
	size_t n = t->family == 4 ? 4 : 16;
	memset(te->saddr, 0, sizeof te->saddr);
	memset(te->daddr, 0, sizeof te->daddr);
	memcpy(te->saddr, client ? t->src : t->dst, n);
	memcpy(te->daddr, client ? t->dst : t->src, n);
	te->sport = client ? t->sport : t->dport;
	te->dport = client ? t->dport : t->sport;
	te->family = t->family == 4 ? 2 : 10;
	struct ec_synth_tuple mine = *t; /* the process's end as src */
	if (!client) {
		memcpy(mine.src, t->dst, 16);
		memcpy(mine.dst, t->src, 16);
		mine.sport = t->dport;
		mine.dport = t->sport;
	}
	note_owner(p, &mine, te);
	return 0;
}

/* --keys-only: a ClientHello's random and tuple, from the TCP payload b
 * (n bytes) of packet t (the random is in the first segment, whatever the
 * hello's length). */
static void note_hello(struct pktcap *p, const struct ec_synth_tuple *t, const uint8_t *b, size_t n,
		       uint32_t pid)
{
	if (n < 43 || b[0] != 0x16 || b[1] != 3 || b[5] != 1 || b[9] != 3)
		return;
	struct hello *h = &p->hellos[(b[11] | b[12] << 8) % HELLOS];
	memcpy(h->random, b + 11, 32);
	h->t = *t;
	h->pid = pid;
}

/* The process at the packet's source end, else at its destination end. */
static const struct owner *owner_of(struct pktcap *p, const struct ec_synth_tuple *t)
{
	const struct owner *o = &p->owners[tuple_slot(t)];
	if (o->pid && !memcmp(&o->t, t, sizeof *t))
		return o;
	struct ec_synth_tuple r = *t;
	memcpy(r.src, t->dst, 16);
	memcpy(r.dst, t->src, 16);
	r.sport = t->dport;
	r.dport = t->sport;
	o = &p->owners[tuple_slot(&r)];
	return o->pid && !memcmp(&o->t, &r, sizeof r) ? o : NULL;
}

/* The owner of a held packet's connection, NULL when none is known. */
static const struct owner *held_owner(struct pktcap *p, const struct held *h)
{
	return h->has_tuple ? owner_of(p, &h->t) : NULL;
}

/* One held packet, whose owner is o: a RECORD_KIND_PACKET record and an EPB. */
static int write_held(struct pktcap *p, const struct held *h, const struct owner *o)
{
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	EcEvent ev = EVENT__EVENT__INIT;
	if (!o && p->o.owned_only) {
		p->filtered++; /* no process the filters select keyed this connection */
		return 0;
	}
	ev.uuid = "";
	ev.src_ip = src;
	ev.dst_ip = dst;
	if (o) {
		int same = o->t.sport == h->t.sport && !memcmp(o->t.src, h->t.src, 16);
		ev.src_ip = (char *)(same ? o->src : o->dst);
		ev.dst_ip = (char *)(same ? o->dst : o->src);
		ev.pid = o->pid;
		ev.tid = o->tid;
		ev.uid = o->uid;
		ev.fd = o->fd;
		ev.pname = (char *)o->comm;
		ev.conn_id = o->conn_id;
		ev.uuid = (char *)o->uuid;
	} else if (h->has_tuple) {
		int af = h->t.family == 4 ? AF_INET : AF_INET6;
		inet_ntop(af, h->t.src, src, sizeof src);
		inet_ntop(af, h->t.dst, dst, sizeof dst);
	}
	if (h->has_tuple) {
		ev.src_port = h->t.sport;
		ev.dst_port = h->t.dport;
	}
	ev.timestamp = ec_capture_walltime(h->ts_ns);
	ev.length = h->caplen;
	ev.payload.data = (uint8_t *)h->data;
	ev.payload.len = h->caplen;
	ev.source = EVENT__SOURCE__SOURCE_PACKET;
	ev.link_type = p->linktype;
	ev.ifindex = h->ifindex;
	ev.egress = h->egress != 0;
	if (h->len > h->caplen) {
		ev.truncated = 1;
		ev.orig_length = h->len;
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_PACKET;
	int err = p->synth ? ec_synth_record(p->synth, &e) : 0;
	if (err)
		return err;
	p->written++;
	/* the file matters more: once the reader of stdout has gone, only it */
	if (!p->stream_gone && ec_writer_put(ec_capture_writer(p->cap), &e) == EC_ERR_PIPE)
		p->stream_gone = 1;
	return 0;
}

/*
 * Write what has been held long enough (everything when all is set); with
 * --keys-only also, in their order, the packets of connections whose keys
 * are in, wherever they wait.
 */
static int release(struct pktcap *p, int all)
{
	uint64_t now = mono_ns();
	int err = 0;
	struct held **pp = &p->head, *prev = NULL;
	while (*pp && !err) {
		struct held *h = *pp;
		int due = all || p->held_bytes > PCAP_HOLD_BYTES || h->ts_ns + PCAP_HOLD_NS <= now;
		const struct owner *o = due || p->o.keys_only ? held_owner(p, h) : NULL;
		if (!due && !(p->o.keys_only && o)) {
			if (!p->o.keys_only)
				break; /* in order: the rest are younger */
			prev = h;
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		if (p->tail == h)
			p->tail = prev;
		p->held_bytes -= sizeof *h + h->caplen;
		err = write_held(p, h, o);
		free(h);
	}
	if (!err && p->png)
		err = ec_pcapng_flush(p->png);
	return err;
}

void pktcap_tick(struct pktcap *p)
{
	if (!p || p->err)
		return;
	int err = release(p, 0);
	if (err) {
		p->err = err;
		if (err != EC_ERR_PIPE)
			ec_warn("--pcap %s: %s", p->o.path ? p->o.path : "records",
				err == EC_ERR_IO ? strerror(errno) : ec_strerror(err));
	}
}

static int on_packet(void *ctx, const void *data, size_t size)
{
	struct pktcap *p = ctx;
	const struct tc_pkt *tp = data;
	if (size < sizeof *tp || tp->caplen > size - sizeof *tp || tp->caplen > tp->len)
		return 0; /* not ours: ignore rather than misread */
	p->seen++;
	if (p->filter && !pcapfilter_match(p->filter, tp->data, tp->caplen, tp->len)) {
		p->filtered++;
		return 0;
	}
	struct held *h = malloc(sizeof *h + tp->caplen);
	if (!h)
		return EC_ERR_NOMEM;
	size_t off = 0;
	h->has_tuple = ec_synth_packet_l4(p->linktype, tp->data, tp->caplen, &h->t, &off) == 0;
	if (p->hellos && h->has_tuple)
		note_hello(p, &h->t, tp->data + off, tp->caplen - off, tp->egress ? tp->pid : 0);
	h->next = NULL;
	h->ts_ns = tp->ts_ns;
	h->len = tp->len;
	h->caplen = tp->caplen;
	h->ifindex = tp->ifindex;
	h->egress = tp->egress;
	memcpy(h->data, tp->data, tp->caplen);
	const struct owner *o = p->o.keys_only && !p->head ? held_owner(p, h) : NULL;
	if (o) { /* its keys are in and nothing waits before it: out now */
		int err = write_held(p, h, o);
		free(h);
		return err;
	}
	if (p->tail)
		p->tail->next = h;
	else
		p->head = h;
	p->tail = h;
	p->held_bytes += sizeof *h + h->caplen;
	return p->held_bytes > PCAP_HOLD_BYTES ? release(p, 0) : 0;
}

int pktcap_keyline(struct pktcap *p, const char *line)
{
	if (!p || !p->synth)
		return 0;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG;
	e.run_log = (char *)line;
	e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_KEYLOG;
	int err = ec_synth_record(p->synth, &e);
	if (!err)
		err = ec_synth_flush_keys(p->synth);
	if (!err)
		err = ec_pcapng_flush(p->png);
	return err;
}

static uint64_t tc_lost(struct pktcap *p)
{
	uint64_t vals[1024] = {0}, sum = 0;
	uint32_t zero = 0;
	int n = libbpf_num_possible_cpus();
	if (!p->skel || n <= 0 || n > 1024 ||
	    bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.tc_lost), &zero, vals))
		return 0;
	for (int i = 0; i < n; i++)
		sum += vals[i];
	return sum;
}

/* Both programs as tcx links. 0, or a negative errno (EINVAL: no tcx here). */
static int attach_tcx(struct pktcap *p)
{
	if (getenv("EC_TC_LEGACY")) /* tests: the path of kernels before 6.6 */
		return -EOPNOTSUPP;
	const int type[2] = {EC_BPF_TCX_INGRESS, EC_BPF_TCX_EGRESS};
	struct bpf_program *prog[2] = {p->skel->progs.tc_ingress, p->skel->progs.tc_egress};
	for (int i = 0; i < 2; i++) {
		int fd = bpf_link_create(bpf_program__fd(prog[i]), p->ifindex,
					 (enum bpf_attach_type)type[i], NULL);
		if (fd < 0) {
			int err = -errno;
			for (int j = 0; j < i; j++) {
				close(p->link_fd[j]);
				p->link_fd[j] = -1;
			}
			return err;
		}
		p->link_fd[i] = fd;
	}
	return 0;
}

/* The pid of a process other than us holding BPF program id (its fdinfo), or 0. */
static pid_t prog_holder(uint32_t id)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	pid_t found = 0, self = getpid();
	char want[32], path[300], line[128];
	snprintf(want, sizeof want, "prog_id:\t%u\n", id);
	while (!found && proc && (d = readdir(proc))) {
		pid_t pid = (pid_t)atoi(d->d_name);
		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof path, "/proc/%d/fdinfo", pid);
		DIR *fds = opendir(path);
		struct dirent *f;
		while (!found && fds && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", pid, f->d_name);
			FILE *fi = fopen(path, "re");
			while (fi && fgets(line, sizeof line, fi))
				if (!strcmp(line, want))
					found = pid;
			if (fi)
				fclose(fi);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return found;
}

/*
 * A filter of ours at our handle and priority that no live process holds
 * is what a killed run left: remove it and say so. -1 when a live ec-capture
 * holds it (one --pcap per interface on these kernels).
 */
static int remove_stale(struct pktcap *p, enum bpf_tc_attach_point ap, const char *name)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = EC_TC_HANDLE, .priority = EC_TC_PRIO);
	p->hook.attach_point = ap;
	if (bpf_tc_query(&p->hook, &q))
		return 0; /* nothing there */
	struct bpf_prog_info info;
	uint32_t len = sizeof info;
	memset(&info, 0, sizeof info);
	int fd = bpf_prog_get_fd_by_id(q.prog_id);
	int ok = fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len);
	if (fd >= 0)
		close(fd);
	if (!ok || strcmp(info.name, name))
		return 0; /* not ours: attaching says so */
	pid_t holder = prog_holder(q.prog_id);
	if (holder) {
		ec_warn("--ifname %s: another ec-capture (pid %d) captures its packets; on this "
			"kernel (no tcx) one --pcap per interface",
			p->o.ifname, (int)holder);
		return -1;
	}
	uint32_t id = q.prog_id;
	q.prog_fd = q.prog_id = q.flags = 0;
	int err = bpf_tc_detach(&p->hook, &q);
	if (err)
		ec_warn("--ifname %s: cannot remove the stale %s filter (prog %u): %s", p->o.ifname,
			name, id, ec_capture_strerror(err));
	else
		ec_record_log(ec_capture_writer(p->cap), EC_LOG_WARN,
			      "pcap: removed a stale %s filter (prog %u) on %s that a killed "
			      "ec-capture left",
			      name, id, p->o.ifname);
	if (!err)
		fprintf(stderr,
			"%s: pcap: removed a stale %s filter (prog %u) on %s that a killed "
			"ec-capture left\n",
			argv0, name, id, p->o.ifname);
	return 0;
}

/* Kernels before 6.6: clsact filters (libbpf's bpf_tc_*), stale ones removed first. */
static int attach_legacy(struct pktcap *p)
{
	int err;
	memset(&p->hook, 0, sizeof p->hook);
	p->hook.sz = sizeof p->hook;
	p->hook.ifindex = p->ifindex;
	p->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_create(&p->hook);
	if (err && err != -EEXIST) {
		ec_warn("--ifname %s: cannot add a clsact qdisc: %s", p->o.ifname,
			ec_capture_strerror(err));
		return -1;
	}
	p->hook_created = err == 0;
	struct {
		struct bpf_tc_opts *opts;
		int *attached;
		enum bpf_tc_attach_point ap;
		struct bpf_program *prog;
		const char *name;
	} at[] = {
	    {&p->in, &p->in_attached, BPF_TC_INGRESS, p->skel->progs.tc_ingress, "tc_ingress"},
	    {&p->eg, &p->eg_attached, BPF_TC_EGRESS, p->skel->progs.tc_egress, "tc_egress"}};
	for (int i = 0; i < 2; i++) {
		if (!p->hook_created && remove_stale(p, at[i].ap, at[i].name))
			return -1;
		memset(at[i].opts, 0, sizeof *at[i].opts);
		at[i].opts->sz = sizeof *at[i].opts;
		at[i].opts->handle = EC_TC_HANDLE;
		at[i].opts->priority = EC_TC_PRIO;
		at[i].opts->prog_fd = bpf_program__fd(at[i].prog);
		p->hook.attach_point = at[i].ap;
		if ((err = bpf_tc_attach(&p->hook, at[i].opts))) {
			ec_warn("--ifname %s: cannot attach the TC %s program: %s", p->o.ifname,
				at[i].name + 3, ec_capture_strerror(err));
			return -1;
		}
		*at[i].attached = 1;
	}
	return 0;
}

int pktcap_attach(struct pktcap *p, struct ec_capture *cap)
{
	int err;
	p->cap = cap;
	p->skel = tc_bpf__open();
	if (!p->skel) {
		ec_warn("cannot open the TC BPF object: %s", strerror(errno));
		return EC_ERR_IO;
	}
	p->skel->rodata->snaplen = p->o.snaplen;
	p->skel->rodata->skip_ingress = (uint32_t)p->loopback;
	bpf_map__set_max_entries(p->skel->maps.tc_packets, PCAP_RING);
	p->skel->rodata->wakeup_bytes = PCAP_RING / 4;
	int ncpus = libbpf_num_possible_cpus();
	bpf_map__set_max_entries(p->skel->maps.tc_scratch, ncpus > 0 ? (uint32_t)ncpus : 1);
	if ((err = tc_bpf__load(p->skel))) {
		ec_warn("cannot load the TC BPF programs: %s%s", ec_capture_strerror(err),
			p->o.debug ? "" : "; run with --debug to see the verifier's log");
		return EC_ERR_IO;
	}
	const char *how;
	if ((err = attach_tcx(p)) == 0) {
		how = "tcx links (released with the process, even on SIGKILL)";
	} else if (err == -EINVAL || err == -EOPNOTSUPP || err == -EPERM ||
		   getenv("EC_TC_LEGACY")) {
		/* no tcx in this kernel (before 6.6): clsact filters */
		if (attach_legacy(p))
			return EC_ERR_IO;
		how = p->hook_created ? "filters on a clsact qdisc it created"
				      : "filters on the existing clsact qdisc";
	} else {
		ec_warn("--ifname %s: cannot attach the tcx programs: %s", p->o.ifname,
			ec_capture_strerror(err));
		return EC_ERR_IO;
	}
	if (ec_capture_add_ringbuf(cap, bpf_map__fd(p->skel->maps.tc_packets), on_packet, p)) {
		ec_warn("cannot poll the packet ring buffer: %s", strerror(errno));
		return EC_ERR_IO;
	}
	const char *to = p->o.path ? p->o.path : "records only";
	ec_record_log(ec_capture_writer(cap), EC_LOG_INFO,
		      "pcap: %s %s (ifindex %d, %s), snap length %u, filter '%s', %s", to,
		      p->o.ifname, p->ifindex,
		      p->linktype == EC_LINKTYPE_ETHERNET ? "Ethernet" : "raw IP", p->o.snaplen,
		      p->o.filter ? p->o.filter : "", how);
	fprintf(stderr, "%s: pcap: %s on %s, %s%s%s\n", argv0, to, p->o.ifname, how,
		p->o.filter ? ", filter: " : "", p->o.filter ? p->o.filter : "");
	return 0;
}

static void detach(struct pktcap *p)
{
	for (int i = 0; i < 2; i++) {
		if (p->link_fd[i] >= 0)
			close(p->link_fd[i]); /* the kernel releases the tcx link */
		p->link_fd[i] = -1;
	}
	struct {
		struct bpf_tc_opts *opts;
		int *attached;
		enum bpf_tc_attach_point ap;
		const char *name;
	} at[] = {{&p->in, &p->in_attached, BPF_TC_INGRESS, "ingress"},
		  {&p->eg, &p->eg_attached, BPF_TC_EGRESS, "egress"}};
	for (int i = 0; i < 2; i++) {
		if (!*at[i].attached)
			continue;
		p->hook.attach_point = at[i].ap;
		at[i].opts->prog_fd = 0;
		at[i].opts->prog_id = 0;
		at[i].opts->flags = 0;
		int err = bpf_tc_detach(&p->hook, at[i].opts);
		if (err)
			ec_warn("--ifname %s: cannot detach the TC %s program: %s", p->o.ifname,
				at[i].name, ec_capture_strerror(err));
		*at[i].attached = 0;
	}
	if (p->hook_created) {
		p->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		int err = bpf_tc_hook_destroy(&p->hook);
		if (err)
			ec_warn("--ifname %s: cannot remove the clsact qdisc we added: %s",
				p->o.ifname, ec_capture_strerror(err));
		p->hook_created = 0;
	}
}

int pktcap_close(struct pktcap *p)
{
	if (!p)
		return 0;
	detach(p);
	int err = p->err;
	if (p->cap && !err)
		err = release(p, 1);
	while (p->head) {
		struct held *h = p->head;
		p->head = h->next;
		free(h);
	}
	if (p->cap)
		fprintf(
		    stderr, "%s: pcap: %llu packets written to %s, %llu filtered out, %llu lost\n",
		    argv0, (unsigned long long)p->written, p->o.path ? p->o.path : "the records",
		    (unsigned long long)p->filtered, (unsigned long long)tc_lost(p));
	int e2 = ec_synth_free(p->synth);
	int e3 = ec_pcapng_free(p->png);
	err = err ? err : e2 ? e2 : e3;
	if (p->fd >= 0 && close(p->fd) && !err)
		err = EC_ERR_IO;
	pcapfilter_free(p->filter);
	tc_bpf__destroy(p->skel);
	free(p->owners);
	free(p->hellos);
	free(p);
	return err;
}
