/*
 * ec-capture tls: load bpf/tls.bpf.c, hook the library's SSL_read/SSL_write
 * (and the _ex variants), and turn ring-buffer events into Event records.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "control.h"
#include "error.h"
#include "libfind.h"
#include "modrun.h"
#include "modules.h"
#include "pcap.h"
#include "record.h"
#include "sslcal.h"
#include "sslkeys.h"
#include "sslrow.h"
#include "tls.h"
#include "tls.skel.h"
#include "util.h"

#define MAX_LINKS 16
#define MAX_NAMES 32
#define EC_CONTROL_DEFAULT "/run/ec/capture.sock"
#define EC_KEYS_CACHE "/var/cache/ec"

struct tls_opts {
	long pid;
	long uid;
	int uid_set;
	char targets[MAX_NAMES][TLS_COMM_LEN];
	int ntargets;
	char ignores[MAX_NAMES][TLS_COMM_LEN];
	int nignores;
	uint64_t truncate;
	const char *libssl;
	const char *keylogfile;
	const char *keys_row;		  /* --keys-row: offsets row by name, or a row line */
	struct tls_ssl_offsets keys_line; /* --keys-row "flags=..." parsed */
	const char *keys_cache;		  /* --keys-cache DIR, "" = none */
	const char *sysroot;		  /* --sysroot: the library's file system */
	int no_calibrate;		  /* --no-calibrate: the table only */
	int no_keys_table;		  /* --no-keys-table: calibration only */
	int check_keys;			  /* --check-keys: print the offsets and exit */
	const char *control;		  /* --control socket path, NULL = none */
	uint64_t ringbuf;
	unsigned heartbeat;
	int force;
	int debug;
	int source;		 /* Event__Source */
	struct pktcap_opts pcap; /* --pcap FILE --ifname IF [FILTER] */
};

struct tls_run {
	struct tls_opts o;
	struct tls_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ec_capture *cap;
	int ncpus;
	int have_keys; /* key log offsets found: keys_off */
	struct tls_ssl_offsets keys_off;
	char keys_from[64];	     /* the row's name ("given" for a line), "" when calibrated */
	struct keys_check *check;    /* a table row waiting for its proof */
	FILE *keylog;		     /* --keylogfile */
	struct ec_sslkeys_seen seen; /* key log lines already written */
	struct pktcap *pcap;	     /* --pcap */
	char keylog_path[4096];
	char libpath[4096];
	struct ec_control *control;
};

static int debug_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug_libbpf && level != LIBBPF_WARN)
		return 0;
	if (!debug_libbpf)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f, const char *cmd)
{
	fprintf(
	    f,
	    "usage: %s %s [options] [--pcap FILE --ifname IF [FILTER...]] > out.pb\n"
	    "Capture the plaintext of OpenSSL/BoringSSL SSL_read/SSL_write as records.\n"
	    "  -p, --pid PID              only this process (also finds its libssl)\n"
	    "  -u, --uid UID              only this user id\n"
	    "  -t, --target-process N,..  only these commands (comm, 15 chars)\n"
	    "  -i, --ignore-process N,..  never these commands\n"
	    "  -T, --truncate SIZE        keep at most SIZE bytes of each call (k/M/G)\n"
	    "  -l, --libssl PATH          the library to hook (default: --pid's, ldconfig's)\n"
	    "  -k, --keylogfile FILE      also append the NSS key log lines to FILE\n"
	    "  -K, --keys-row NAME|LINE   struct offsets row for the keys: a row of the built-in\n"
	    "                             table, or a line --check-keys printed (default:\n"
	    "                             calibrated on the library itself)\n"
	    "      --keys-cache DIR       calibrated rows by build-id (default " EC_KEYS_CACHE ",\n"
	    "                             or $XDG_CACHE_HOME/ec; '' for none)\n"
	    "      --no-calibrate         take the key offsets from the built-in table only\n"
	    "      --no-keys-table        calibrate only, never fall back to the table\n"
	    "      --check-keys           print how the key offsets for the library are found,\n"
	    "                             and the row, then exit (nothing is hooked)\n"
	    "      --sysroot DIR          the file system the library belongs to, for its\n"
	    "                             calibration (default /, or /proc/PID/root)\n"
	    "  -r, --ringbuf SIZE         ring buffer size (default 8M, power of 2)\n"
	    "  -b, --heartbeat SECONDS    heartbeat record interval (default 15, 0 = none)\n"
	    "  -f, --force                write records even when stdout is a terminal\n"
	    "  -d, --debug                libbpf and verifier messages on stderr\n"
	    "      --pcap FILE            also write IF's packets (TC) to FILE as pcapng with\n"
	    "                             the TLS keys in it; FILTER: pcap-filter(7) words\n"
	    "      --ifname IF            the interface for --pcap\n"
	    "      --snaplen N            bytes kept per packet (default and most 65535)\n"
	    "  -c, --control [PATH]       take live config (HTTP POST /tls, JSON) on a Unix\n"
	    "                             socket (default " EC_CONTROL_DEFAULT ")\n"
	    "  -h, --help                 this help\n"
	    "Needs root. Stops on SIGINT/SIGTERM or when the reader of stdout exits.\n",
	    argv0, cmd);
}

static int split_names(char *arg, char (*names)[TLS_COMM_LEN], int *n, const char *opt)
{
	int before = *n;
	for (char *s = strtok(arg, ","); s; s = strtok(NULL, ",")) {
		if (!*s)
			continue;
		if (*n >= MAX_NAMES) {
			ec_warn("%s: more than %d names", opt, MAX_NAMES);
			return -1;
		}
		if (strlen(s) >= TLS_COMM_LEN)
			ec_warn("%s: '%s' is longer than %d characters: the kernel's comm is cut, "
				"matching '%.*s'",
				opt, s, TLS_COMM_LEN - 1, TLS_COMM_LEN - 1, s);
		snprintf(names[(*n)++], TLS_COMM_LEN, "%.*s", TLS_COMM_LEN - 1, s);
	}
	if (*n == before) {
		ec_warn("%s: empty name list; give NAME[,NAME...]", opt);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct tls_opts *o)
{
	static const struct option longopts[] = {
	    {"pid", required_argument, 0, 'p'},
	    {"uid", required_argument, 0, 'u'},
	    {"target-process", required_argument, 0, 't'},
	    {"ignore-process", required_argument, 0, 'i'},
	    {"truncate", required_argument, 0, 'T'},
	    {"libssl", required_argument, 0, 'l'},
	    {"keylogfile", required_argument, 0, 'k'},
	    {"keys-row", required_argument, 0, 'K'},
	    {"ringbuf", required_argument, 0, 'r'},
	    {"heartbeat", required_argument, 0, 'b'},
	    {"force", no_argument, 0, 'f'},
	    {"debug", no_argument, 0, 'd'},
	    {"pcap", required_argument, 0, 'P'},
	    {"ifname", required_argument, 0, 'N'},
	    {"snaplen", required_argument, 0, 'S'},
	    {"control", optional_argument, 0, 'c'},
	    {"keys-cache", required_argument, 0, 1001},
	    {"no-calibrate", no_argument, 0, 1002},
	    {"no-keys-table", no_argument, 0, 1003},
	    {"check-keys", no_argument, 0, 1004},
	    {"sysroot", required_argument, 0, 1005},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	long long v;
	int c;
	const char *cmd = argv[0];

	o->ringbuf = 8u << 20;
	o->heartbeat = 15;
	o->pcap.snaplen = 65535;
	o->source = strcmp(cmd, "boringssl") ? EVENT__SOURCE__SOURCE_OPENSSL
					     : EVENT__SOURCE__SOURCE_BORINGSSL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:u:t:i:T:l:k:K:r:b:fdc::h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (ec_parse_int(optarg, 1, 0x7fffffff, &v)) {
				ec_warn("--pid: '%s' is not a process id (a number > 0)", optarg);
				return 2;
			}
			o->pid = (long)v;
			break;
		case 'u':
			if (ec_parse_int(optarg, 0, 0xfffffffe, &v)) {
				ec_warn("--uid: '%s' is not a user id (a number >= 0)", optarg);
				return 2;
			}
			o->uid = (long)v;
			o->uid_set = 1;
			break;
		case 't':
			if (split_names(optarg, o->targets, &o->ntargets, "--target-process"))
				return 2;
			break;
		case 'i':
			if (split_names(optarg, o->ignores, &o->nignores, "--ignore-process"))
				return 2;
			break;
		case 'T':
			if (ec_parse_size(optarg, &o->truncate) ||
			    o->truncate > EC_CONFIG_TRUNCATE_MAX) {
				ec_warn(
				    "--truncate: '%s' is not a size from 0 to 1G (e.g. 4096, 64k)",
				    optarg);
				return 2;
			}
			break;
		case 'l':
			o->libssl = optarg;
			break;
		case 'k':
			o->keylogfile = optarg;
			break;
		case 'K': {
			size_t bad = 0;
			/* a row line as --check-keys prints it (a layout seen elsewhere) */
			if (strchr(optarg, '=') && ec_sslrow_parse(optarg, &o->keys_line, &bad)) {
				ec_warn(
				    "--keys-row: not a row line at byte %zu: '%.40s' (give a row "
				    "name, or a line as --check-keys prints it after \"row \")",
				    bad, optarg + bad);
				return 2;
			}
			if (!strchr(optarg, '=') && !ec_sslkeys_row_by_name(optarg)) {
				size_t n;
				const struct ec_sslkeys_row *rows = ec_sslkeys_rows(&n);
				char names[512] = "";
				for (size_t i = 0; i < n; i++)
					snprintf(names + strlen(names),
						 sizeof names - strlen(names), "%s%s",
						 i ? ", " : "", rows[i].name);
				ec_warn("--keys-row: no row '%s' (rows: %s)", optarg, names);
				return 2;
			}
			o->keys_row = optarg;
			break;
		}
		case 'r':
			if (ec_parse_size(optarg, &o->ringbuf) || o->ringbuf < 4096 ||
			    o->ringbuf > (1ull << 30)) {
				ec_warn("--ringbuf: '%s' is not a size from 4k to 1G", optarg);
				return 2;
			}
			break;
		case 'b':
			if (ec_parse_int(optarg, 0, 86400, &v)) {
				ec_warn("--heartbeat: '%s' is not a number of seconds (0-86400)",
					optarg);
				return 2;
			}
			o->heartbeat = (unsigned)v;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'c':
			o->control = ec_optarg_optional(argc, argv);
			if (!o->control || !*o->control)
				o->control = EC_CONTROL_DEFAULT;
			break;
		case 'd':
			o->debug = 1;
			o->pcap.debug = 1;
			break;
		case 'P':
			o->pcap.path = optarg;
			break;
		case 'N':
			o->pcap.ifname = optarg;
			break;
		case 'S':
			if (ec_parse_int(optarg, 64, 65535, &v)) {
				ec_warn("--snaplen: '%s' is not a number from 64 to 65535", optarg);
				return 2;
			}
			o->pcap.snaplen = (uint32_t)v;
			break;
		case 1001:
			o->keys_cache = optarg;
			break;
		case 1002:
			o->no_calibrate = 1;
			break;
		case 1003:
			o->no_keys_table = 1;
			break;
		case 1004:
			o->check_keys = 1;
			break;
		case 1005:
			o->sysroot = optarg;
			break;
		case 'h':
			usage(stdout, cmd);
			exit(0);
		case ':':
			ec_warn("%s: option %s needs a value (see --help)", cmd, argv[optind - 1]);
			return 2;
		default:
			ec_warn("%s: unknown option '%s' (see --help)", cmd, argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc && o->pcap.path) { /* the pcap filter, as tcpdump takes it */
		static char filter[4096];
		size_t n = 0;
		for (int i = optind; i < argc; i++) {
			int k = snprintf(filter + n, sizeof filter - n, "%s%s",
					 i > optind ? " " : "", argv[i]);
			if (k < 0 || (size_t)k >= sizeof filter - n) {
				ec_warn("%s: the pcap filter is longer than %zu bytes", cmd,
					sizeof filter - 1);
				return 2;
			}
			n += (size_t)k;
		}
		o->pcap.filter = filter;
	} else if (optind < argc) {
		ec_warn("%s: unexpected argument '%s' (see --help)", cmd, argv[optind]);
		return 2;
	}
	if (o->no_calibrate && o->no_keys_table) {
		ec_warn("%s: --no-calibrate and --no-keys-table leave no way to the keys", cmd);
		return 2;
	}
	if (o->keys_row && (o->no_calibrate || o->no_keys_table)) {
		ec_warn("%s: --keys-row names a table row: it goes with neither --no-calibrate "
			"nor --no-keys-table",
			cmd);
		return 2;
	}
	if (o->pcap.ifname && !o->pcap.path) {
		ec_warn("%s: --ifname is for --pcap FILE (see --help)", cmd);
		return 2;
	}
	return 0;
}

/* A startup fact (after prefix): on stderr and as a process-log record;
 * on stdout alone when --check-keys prints its report. */
static void vsay(struct tls_run *r, const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (r->o.check_keys) {
		printf("%s\n", buf);
		return;
	}
	ec_warn("%s%s", prefix, buf); /* escaped: paths and names are captured bytes */
	if (r->cap)
		ec_record_log(ec_capture_writer(r->cap), EC_LOG_INFO, "%s%s", prefix, buf);
}

static void say(struct tls_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct tls_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(r, "", fmt, ap);
	va_end(ap);
}

/* A key log fact: the "key log: " startup facts, or --check-keys' report. */
static void keys_say(struct tls_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void keys_say(struct tls_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(r, "key log: ", fmt, ap);
	va_end(ap);
}

static const char *keys_cache_dir(const struct tls_opts *o, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (o->keys_cache)
		return o->keys_cache;
	if (xdg && xdg[0] == '/') {
		snprintf(buf, len, "%s/ec", xdg);
		return buf;
	}
	return EC_KEYS_CACHE;
}

/* The key log offsets for the library at path: --keys-row's; else learnt
 * from the library itself (lib/sslcal.h), or from the cache; else the
 * table's row for its version, or the nearest one.  0 when found. */
static int choose_keys(struct tls_run *r, const char *path, const char *version)
{
	const struct ec_sslkeys_row *row;
	char err[512], cache[4096], root[64];
	const char *sysroot = r->o.sysroot;
	int exact = 0, n;

	if (r->o.keys_row) {
		row = ec_sslkeys_row_by_name(r->o.keys_row);
		r->keys_off = row ? row->off : r->o.keys_line;
		snprintf(r->keys_from, sizeof r->keys_from, "%s", row ? row->name : "given");
		keys_say(r, "offsets row %s (--keys-row)", r->keys_from);
		return 0;
	}
	/* a library seen through /proc/PID/root belongs to that process's tree */
	if (!sysroot && r->o.pid &&
	    (n = snprintf(root, sizeof root, "/proc/%ld/root", r->o.pid)) > 0 &&
	    !strncmp(path, root, (size_t)n) && path[n] == '/')
		sysroot = root;
	if (!r->o.no_calibrate) {
		struct ec_sslcal_opts co = {
		    .root = sysroot,
		    .cache_dir = keys_cache_dir(&r->o, cache, sizeof cache),
		};
		struct ec_sslcal_result cr;
		int err_rc = ec_sslcal_row(path, &co, &cr, err, sizeof err);
		if (!err_rc) {
			r->keys_off = cr.off;
			if (cr.cached)
				keys_say(r, "offsets cached for %s (%s, %.1f ms)", cr.id,
					 co.cache_dir, cr.us / 1000.0);
			else
				keys_say(r,
					 "calibrated for %s in %.0f ms: %d key log lines of %d SSL "
					 "objects reproduced%s%s",
					 cr.id, cr.us / 1000.0, cr.lines, cr.objects,
					 co.cache_dir[0] ? ", cached in " : "", co.cache_dir);
			if (cr.note[0])
				keys_say(r, "%s", cr.note);
			return 0;
		}
		keys_say(r, "calibration failed after %.0f ms: %s", cr.us / 1000.0, err);
	}
	if (!r->o.no_keys_table && (row = ec_sslkeys_nearest_row(version, &exact))) {
		r->keys_off = row->off;
		snprintf(r->keys_from, sizeof r->keys_from, "%s", row->name);
		if (exact)
			keys_say(r, "offsets row %s (table, %s..%s)", row->name, row->first,
				 row->last);
		else
			keys_say(r, "offsets row %s (table, nearest to %s: %s..%s)", row->name,
				 version, row->first, row->last);
		return 0;
	}
	keys_say(r, "no offsets for %s: no TLS keys (docs/TLS-KEYS.md)", version);
	return -1;
}

static void fmt_addr(int family, const uint8_t *a, char *out, size_t len)
{
	if (family == 2)
		inet_ntop(AF_INET, a, out, (socklen_t)len);
	else if (family == 10)
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
	else
		out[0] = '\0';
}

/* One NSS key log line: a key-log record, and a line of --keylogfile. */
static int on_keyline(const char *line, void *ctx)
{
	struct tls_run *r = ctx;
	if (ec_sslkeys_seen(&r->seen, line))
		return 0; /* the other end of the same connection */
	int err = ec_record_keylog(ec_capture_writer(r->cap), line);
	if (!err)
		err = pktcap_keyline(r->pcap, line);
	if (err)
		return err;
	if (r->keylog && (fprintf(r->keylog, "%s\n", line) < 0 || fflush(r->keylog))) {
		ec_warn("--keylogfile: cannot write: %s", strerror(errno));
		return EC_ERR_IO;
	}
	return 0;
}

/*
 * A row from the table is not trusted until proven on this library: the
 * client random it reads for a connection must be the one that
 * connection's ClientHello carried on the socket (TLS_KIND_HELLO events,
 * sent while the BPF global verify_keys is set).  Until then key events
 * wait here; the first connection seen both ways settles it.
 */
#define CHECK_HELLOS 1024
#define CHECK_HELD 4096
struct keys_check {
	struct {
		uint32_t pid;
		uint64_t ssl;
		uint8_t random[TLS_KEYS_RANDOM_LEN];
	} hello[CHECK_HELLOS];
	size_t nhello, next;
	struct {
		uint32_t pid;
		uint64_t ssl;
		struct tls_keys k;
	} held[CHECK_HELD]; /* a ring: nheld entries from held_first on */
	size_t held_first, nheld;
	uint64_t dropped;
	struct bpf_link *links[8]; /* the handshake and sys_exit hooks */
	int nlinks;
};

static int emit_keys(struct tls_run *r, uint32_t pid, uint64_t ssl, const struct tls_keys *k);
static int check_end(struct tls_run *r, int proven, uint32_t pid, const uint8_t *read_rnd);

#define HELD(c, i) (&(c)->held[((c)->held_first + (i)) % CHECK_HELD])

/* The wire's client random of (pid, ssl), or NULL. */
static const uint8_t *check_hello(struct keys_check *c, uint32_t pid, uint64_t ssl)
{
	for (size_t i = 0; i < c->nhello; i++)
		if (c->hello[i].pid == pid && c->hello[i].ssl == ssl)
			return c->hello[i].random;
	return NULL;
}

/* 1 when what the row read for (pid, ssl) settles the question (the check
 * is over then), 0 when that connection's ClientHello was not seen; < 0 on
 * an output error. */
static int check_settle(struct tls_run *r, uint32_t pid, uint64_t ssl, const struct tls_keys *k)
{
	const uint8_t *wire = check_hello(r->check, pid, ssl);
	int err;
	if (!wire)
		return 0;
	err = check_end(r, !memcmp(wire, k->client_random, TLS_KEYS_RANDOM_LEN), pid,
			k->client_random);
	return err < 0 ? err : 1;
}

static int on_hello(struct tls_run *r, const struct tls_event *te)
{
	struct keys_check *c = r->check;
	if (!c || te->len != TLS_KEYS_RANDOM_LEN)
		return 0;
	c->hello[c->next].pid = te->pid;
	c->hello[c->next].ssl = te->ssl;
	memcpy(c->hello[c->next].random, te->data, TLS_KEYS_RANDOM_LEN);
	c->next = (c->next + 1) % CHECK_HELLOS;
	if (c->nhello < CHECK_HELLOS)
		c->nhello++;
	for (size_t i = 0; i < c->nheld; i++) {
		int rc;
		if (HELD(c, i)->pid != te->pid || HELD(c, i)->ssl != te->ssl)
			continue;
		rc = check_settle(r, te->pid, te->ssl, &HELD(c, i)->k);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

static int on_keys(struct tls_run *r, const struct tls_event *te)
{
	struct tls_keys k;
	if (te->len != sizeof k)
		return 0;
	memcpy(&k, te->data, sizeof k);
	if (r->check) {
		struct keys_check *c = r->check;
		if (c->nheld == CHECK_HELD) { /* the oldest waits no more */
			c->held_first = (c->held_first + 1) % CHECK_HELD;
			c->nheld--;
			c->dropped++;
		}
		HELD(c, c->nheld)->pid = te->pid;
		HELD(c, c->nheld)->ssl = te->ssl;
		HELD(c, c->nheld)->k = k;
		c->nheld++;
		int rc = check_settle(r, te->pid, te->ssl, &k);
		return rc < 0 ? rc : 0;
	}
	if (!r->have_keys)
		return 0; /* a row proven wrong: what was in flight is dropped */
	return emit_keys(r, te->pid, te->ssl, &k);
}

static int emit_keys(struct tls_run *r, uint32_t pid, uint64_t ssl, const struct tls_keys *k)
{
	int n = ec_sslkeys_lines(k, on_keyline, r);

	if (n == EC_ERR_PROTO) {
		if (r->o.debug)
			ec_warn("pid %u: key material of SSL* 0x%llx unusable (TLS version 0x%x, "
				"read 0x%x): no key log lines",
				pid, (unsigned long long)ssl, k->version, k->valid);
		return 0;
	}
	return n < 0 ? n : 0;
}

static void *destroy_links(void *arg)
{
	struct keys_check *c = arg;
	for (int i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	free(c);
	return NULL;
}

/* The proof is in, or the row is shown wrong: stop looking (the extra hooks
 * go in a thread: each detach waits out an RCU grace period), then release
 * or drop the key events that waited. */
static int check_end(struct tls_run *r, int proven, uint32_t pid, const uint8_t *read_rnd)
{
	struct keys_check *c = r->check;
	pthread_t th;
	int err = 0;

	r->check = NULL;
	r->skel->bss->verify_keys = 0;
	if (proven) {
		say(r,
		    "key log: offsets row %s proven on pid %u: the client random it reads is "
		    "the one its ClientHello carried",
		    r->keys_from, pid);
		for (size_t i = 0; i < c->nheld && !err; i++)
			err = emit_keys(r, HELD(c, i)->pid, HELD(c, i)->ssl, &HELD(c, i)->k);
		if (c->dropped)
			say(r, "key log: %llu connections' keys waited too long and were dropped",
			    (unsigned long long)c->dropped);
	} else {
		struct tls_ssl_offsets none;
		uint32_t zero = 0;
		say(r,
		    "key log: offsets row %s is wrong for this library: it read client random "
		    "%02x%02x%02x%02x... for pid %u, whose ClientHello carried another: no TLS "
		    "keys (let calibration run, or --keys-row another row)",
		    r->keys_from, read_rnd[0], read_rnd[1], read_rnd[2], read_rnd[3], pid);
		r->have_keys = 0;
		memset(&none, 0, sizeof none);
		bpf_map_update_elem(bpf_map__fd(r->skel->maps.tls_offsets), &zero, &none, BPF_ANY);
	}
	c->nheld = 0;
	if (pthread_create(&th, NULL, destroy_links, c) == 0)
		pthread_detach(th);
	else
		destroy_links(c);
	return err;
}

/* Look for the proof: the handshake calls hooked, sys_exit too, the BPF
 * side told to send the ClientHellos it sees. */
static int check_start(struct tls_run *r, const char *path)
{
	static const char *const syms[] = {"SSL_do_handshake", "SSL_connect", "SSL_accept"};
	struct keys_check *c = calloc(1, sizeof *c);
	struct bpf_link *l;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
		for (int ret = 0; ret < 2; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = syms[i], .retprobe = ret);
			l = bpf_program__attach_uprobe_opts(ret ? r->skel->progs.ssl_hs_return
								: r->skel->progs.ssl_hs_enter,
							    -1, path, 0, &uo);
			if (l)
				c->links[c->nlinks++] = l;
		}
	if (!(l = bpf_program__attach(r->skel->progs.sys_exit))) {
		int err = -errno;
		destroy_links(c);
		return err;
	}
	c->links[c->nlinks++] = l;
	r->check = c;
	r->skel->bss->verify_keys = 1;
	say(r,
	    "key log: offsets row %s: its lines wait until the client random it reads is seen "
	    "in a ClientHello on the socket",
	    r->keys_from);
	return 0;
}

/*
 * The strings of an event (comm, addresses, uuid) are the same for every
 * event of a thread on a connection: format them once and keep them in a
 * small direct-mapped cache (printf was a third of the per-event cost).
 */
struct fmt_key {
	__u32 pid, tid, dir; /* dir 0 for a close event */
	__s32 fd;
	__u16 family, pad;
	__u8 saddr[16], daddr[16];
	char comm[TLS_COMM_LEN];
};

struct fmt_entry {
	int valid;
	struct fmt_key k;
	char comm[TLS_COMM_LEN + 1], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[96];
};

static struct fmt_entry fmt_cache[64];

static struct fmt_entry *fmt_cached(const struct tls_event *te)
{
	struct fmt_key k;
	memset(&k, 0, sizeof k);
	k.pid = te->pid;
	k.tid = te->tid;
	k.dir = te->kind == TLS_KIND_CLOSE ? 0 : te->dir;
	k.fd = te->fd;
	k.family = te->family;
	memcpy(k.saddr, te->saddr, sizeof k.saddr);
	memcpy(k.daddr, te->daddr, sizeof k.daddr);
	memcpy(k.comm, te->comm, sizeof k.comm);
	struct fmt_entry *fe = &fmt_cache[(k.tid * 31u + (__u32)k.fd * 7u + k.dir) %
					  (sizeof fmt_cache / sizeof *fmt_cache)];
	if (fe->valid && !memcmp(&fe->k, &k, sizeof k))
		return fe;
	fe->valid = 1;
	fe->k = k;
	char comm[TLS_COMM_LEN + 1];
	memcpy(comm, k.comm, TLS_COMM_LEN);
	comm[TLS_COMM_LEN] = '\0';
	memcpy(fe->comm, comm, sizeof comm);
	fmt_addr(k.family, k.saddr, fe->src, sizeof fe->src);
	fmt_addr(k.family, k.daddr, fe->dst, sizeof fe->dst);
	snprintf(fe->uuid, sizeof fe->uuid, "%u_%u_%s_%d_%u", k.pid, k.tid, comm, k.fd, k.dir);
	return fe;
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct tls_run *r = ctx;
	const struct tls_event *te = data;
	if (size < sizeof *te || te->len > size - sizeof *te)
		return 0; /* not ours: ignore rather than misread */
	if (te->kind == TLS_KIND_KEYS)
		return on_keys(r, te);
	if (te->kind == TLS_KIND_HELLO)
		return on_hello(r, te);
	pktcap_note_conn(r->pcap, te);

	struct fmt_entry *fe = fmt_cached(te);
	char *comm = fe->comm, *src = fe->src, *dst = fe->dst, *uuid = fe->uuid;

	EcEvent ev = EVENT__EVENT__INIT;
	ev.timestamp = ec_capture_walltime(te->ts_ns);
	ev.uuid = uuid;
	ev.src_ip = src;
	ev.src_port = te->sport;
	ev.dst_ip = dst;
	ev.dst_port = te->dport;
	ev.pid = te->pid;
	ev.pname = comm;
	ev.tid = te->tid;
	ev.uid = te->uid;
	ev.fd = te->fd;
	ev.conn_id = te->conn_id;
	ev.source = (Event__Source)r->o.source;
	if (te->kind == TLS_KIND_CLOSE) {
		ev.closed = 1;
	} else if (te->kind == TLS_KIND_DATA) {
		ev.direction = te->dir == TLS_DIR_READ ? EVENT__DIRECTION__DIRECTION_READ
						       : EVENT__DIRECTION__DIRECTION_WRITE;
		ev.length = te->len;
		ev.payload.data = (uint8_t *)te->data;
		ev.payload.len = te->len;
		ev.seq = te->seq;
		if (te->truncated) {
			ev.truncated = 1;
			ev.orig_length = te->call_len;
		}
	} else {
		return 0;
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	int err = ec_writer_put(ec_capture_writer(r->cap), &e);
	if (err)
		return err;
	ec_capture_count(r->cap, te->len);
	return 0;
}

static uint64_t read_lost(void *ctx)
{
	struct tls_run *r = ctx;
	uint64_t vals[1024] = {0}, sum = 0;
	uint32_t zero = 0;
	if (r->ncpus <= 0 || r->ncpus > 1024)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.tls_lost), &zero, vals))
		return 0;
	for (int i = 0; i < r->ncpus; i++)
		sum += vals[i];
	return sum;
}

/* Write the filters into the maps (usable again while running). */
static int apply_filters(struct tls_run *r)
{
	struct tls_cfg cfg = {0};
	uint32_t zero = 0;
	cfg.pid = (uint32_t)r->o.pid;
	cfg.uid = (uint32_t)r->o.uid;
	cfg.uid_set = (uint32_t)r->o.uid_set;
	cfg.n_target = (uint32_t)r->o.ntargets;
	cfg.n_ignore = (uint32_t)r->o.nignores;
	cfg.truncate = r->o.truncate;
	cfg.wakeup_bytes = r->o.ringbuf / 4;
	int cfd = bpf_map__fd(r->skel->maps.tls_comms);
	char key[TLS_COMM_LEN], next[TLS_COMM_LEN];
	while (bpf_map_get_next_key(cfd, NULL, next) == 0)
		bpf_map_delete_elem(cfd, next);
	for (int i = 0; i < r->o.nignores; i++) {
		uint32_t v = TLS_COMM_IGNORE;
		memset(key, 0, sizeof key);
		strncpy(key, r->o.ignores[i], TLS_COMM_LEN - 1);
		if (bpf_map_update_elem(cfd, key, &v, BPF_ANY))
			return -errno;
	}
	for (int i = 0; i < r->o.ntargets; i++) {
		uint32_t v = TLS_COMM_TARGET;
		memset(key, 0, sizeof key);
		strncpy(key, r->o.targets[i], TLS_COMM_LEN - 1);
		if (bpf_map_update_elem(cfd, key, &v, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.tls_config), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_uprobe(struct tls_run *r, struct bpf_program *prog, const char *path,
			 const char *sym, int ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = sym, .retprobe = ret);
	if (r->nlinks >= MAX_LINKS)
		return -E2BIG;
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, 0, &uo);
	if (!l)
		return -errno;
	r->links[r->nlinks++] = l;
	return 0;
}

static int attach_all(struct tls_run *r, const char *path)
{
	struct {
		const char *sym;
		struct bpf_program *prog;
		int required;
	} hooks[] = {
	    {"SSL_write", r->skel->progs.ssl_write_enter, 1},
	    {"SSL_read", r->skel->progs.ssl_read_enter, 1},
	    {"SSL_write_ex", r->skel->progs.ssl_write_ex_enter, 0},
	    {"SSL_read_ex", r->skel->progs.ssl_read_ex_enter, 0},
	};
	char done[256] = "";
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) {
		int err = attach_uprobe(r, hooks[i].prog, path, hooks[i].sym, 0);
		if (!err)
			err = attach_uprobe(r, r->skel->progs.ssl_return, path, hooks[i].sym, 1);
		if (err == -ENOENT && !hooks[i].required) {
			say(r, "%s: not in %s, not hooked", hooks[i].sym, path);
			continue;
		}
		if (err) {
			if (err == -ENOENT)
				ec_warn("symbol %s not found in %s: is it an OpenSSL/BoringSSL "
					"libssl? (give the right one with --libssl)",
					hooks[i].sym, path);
			else
				ec_warn("cannot attach uprobe to %s in %s: %s", hooks[i].sym, path,
					ec_capture_strerror(err));
			return err;
		}
		strcat(done, done[0] ? ", " : "");
		strcat(done, hooks[i].sym);
	}
	struct bpf_link *l = bpf_program__attach(r->skel->progs.sys_enter);
	if (!l) {
		ec_warn("cannot attach tp_btf/sys_enter: %s", strerror(errno));
		return -errno;
	}
	r->links[r->nlinks++] = l;
	l = bpf_program__attach(r->skel->progs.sock_state);
	if (!l) {
		ec_warn("cannot attach tp_btf/inet_sock_set_state: %s", strerror(errno));
		return -errno;
	}
	r->links[r->nlinks++] = l;
	say(r, "hooked %s (entry and return) in %s; sys_enter, inet_sock_set_state", done, path);
	return 0;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Each uprobe's release waits for an RCU grace period (~130 ms here):
 * release them all at once from threads so stopping takes one period.
 */
static void detach_all(struct tls_run *r)
{
	pthread_t th[MAX_LINKS];
	int started[MAX_LINKS] = {0};
	for (int i = 0; i < r->nlinks; i++)
		started[i] = pthread_create(&th[i], NULL, destroy_link, r->links[i]) == 0;
	for (int i = 0; i < r->nlinks; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(r->links[i]);
	}
	r->nlinks = 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 4096;
	while (p < v)
		p <<= 1;
	return p;
}

static void describe_filters(struct tls_run *r, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (r->o.pid)
		n += (size_t)snprintf(buf + n, len - n, " pid=%ld", r->o.pid);
	if (r->o.uid_set && n < len)
		n += (size_t)snprintf(buf + n, len - n, " uid=%ld", r->o.uid);
	for (int i = 0; i < r->o.ntargets && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " target=%s", r->o.targets[i]);
	for (int i = 0; i < r->o.nignores && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " ignore=%s", r->o.ignores[i]);
	if (r->o.truncate && n < len)
		snprintf(buf + n, len - n, " truncate=%llu", (unsigned long long)r->o.truncate);
	if (!buf[0])
		snprintf(buf, len, " none");
}

/* Apply a parsed config to the running capture: maps only, no detach. */
static int tls_apply(struct tls_run *r, const struct ec_config *cfg, char *msg, size_t msglen)
{
	struct tls_opts o = r->o;
	char applied[512] = "", ignored[512] = "";
#define NOTE(buf, name)                                                                            \
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", name)
	if (cfg->present & EC_CF_PID) {
		o.pid = (long)cfg->pid;
		NOTE(applied, "pid");
	}
	if (cfg->present & EC_CF_UID) {
		o.uid = (long)cfg->uid;
		o.uid_set = cfg->uid != 0; /* 0 = every user, as in eCapture */
		NOTE(applied, "uid");
	}
	if (cfg->present & EC_CF_TRUNCATE_SIZE) {
		o.truncate = cfg->truncate_size;
		NOTE(applied, "truncate_size");
	}
	if (cfg->present & EC_CF_TARGET_PROCESS) {
		o.ntargets = 0;
		for (size_t i = 0; i < cfg->n_target && i < MAX_NAMES; i++)
			snprintf(o.targets[o.ntargets++], TLS_COMM_LEN, "%s",
				 cfg->target_process[i]);
		NOTE(applied, "target_process");
	}
	if (cfg->present & EC_CF_IGNORE_PROCESS) {
		o.nignores = 0;
		for (size_t i = 0; i < cfg->n_ignore && i < MAX_NAMES; i++)
			snprintf(o.ignores[o.nignores++], TLS_COMM_LEN, "%s",
				 cfg->ignore_process[i]);
		NOTE(applied, "ignore_process");
	}
	if (cfg->present & EC_CF_DEBUG) {
		o.debug = cfg->debug;
		debug_libbpf = o.debug;
		NOTE(applied, "debug");
	}
	FILE *newlog = NULL;
	if ((cfg->present & EC_CF_KEYLOGFILE) && cfg->keylogfile && *cfg->keylogfile &&
	    strcmp(cfg->keylogfile, r->keylog_path)) {
		newlog = fopen(cfg->keylogfile, "ae");
		if (!newlog) {
			snprintf(msg, msglen, "keylogfile %s: %s", cfg->keylogfile,
				 strerror(errno));
			return EC_RESP_CHECK_FAILED;
		}
		NOTE(applied, "keylogfile");
	}
	if ((cfg->present & EC_CF_PATH) && cfg->path && *cfg->path && strcmp(cfg->path, r->libpath))
		NOTE(ignored, "libssl (hooks stay on the library they were attached to)");
	if (cfg->present & EC_CF_HEX)
		NOTE(ignored, "hex (a display option: use ec-dump --hex)");
	if (cfg->present & (EC_CF_PER_CPU_MAP_SIZE | EC_CF_BTF | EC_CF_MODEL | EC_CF_PCAPFILE |
			    EC_CF_IFNAME | EC_CF_CGROUP_PATH | EC_CF_SSL_VERSION))
		NOTE(ignored, "per_cpu_map_size/btf/model/pcap fields (need a restart)");
#undef NOTE
	struct tls_opts old = r->o;
	r->o = o;
	int err = apply_filters(r);
	if (err) {
		r->o = old;
		apply_filters(r);
		if (newlog)
			fclose(newlog);
		snprintf(msg, msglen, "cannot update the BPF maps: %s", ec_capture_strerror(err));
		return EC_RESP_INTERNAL;
	}
	if (newlog) {
		if (r->keylog)
			fclose(r->keylog);
		r->keylog = newlog;
		snprintf(r->keylog_path, sizeof r->keylog_path, "%s", cfg->keylogfile);
		r->o.keylogfile = r->keylog_path;
	}
	char filters[1024];
	describe_filters(r, filters, sizeof filters);
	say(r, "control: config applied; filters:%s", filters);
	snprintf(msg, msglen, "applied: %s%s%s", applied[0] ? applied : "nothing",
		 ignored[0] ? "; not applied: " : "", ignored);
	return EC_RESP_OK;
}

static char *on_control(void *ctx, const char *method, const char *path, const char *body,
			size_t len, int *status)
{
	struct tls_run *r = ctx;
	char msg[1024] = "";
	const char *route = path[0] == '/' ? path + 1 : path;
	const char *module = ec_config_module(route);
	int code;
	if (strcmp(method, "POST")) {
		code = EC_RESP_INVALID_REQUEST;
		snprintf(msg, sizeof msg, "%s %s: use POST /tls with a JSON config body", method,
			 path);
		*status = 405;
		return ec_config_response(code, module ? module : "tls", msg);
	}
	struct ec_config cfg;
	code = ec_config_parse(route, body, len, &cfg, msg, sizeof msg);
	if (code == EC_RESP_OK) {
		if (strcmp(cfg.module, "tls")) {
			code = EC_RESP_NOT_FOUND;
			snprintf(msg, sizeof msg, "this ec-capture runs module tls, not %s",
				 cfg.module);
		} else {
			code = tls_apply(r, &cfg, msg, sizeof msg);
		}
		ec_config_free(&cfg);
	}
	if (code != EC_RESP_OK)
		say(r, "control: POST %s refused: %s", path, msg);
	*status = ec_config_http_status(code);
	return ec_config_response(code, module ? module : "tls", msg);
}

static int control_tick(void *ctx)
{
	struct tls_run *r = ctx;
	return r->control ? ec_control_service(r->control) : 0;
}

int tls_main(int argc, char **argv)
{
	struct tls_run run, *r = &run;
	char path[4096], msg[4352], version[128], filters[1024];
	int err, status = 1;

	memset(r, 0, sizeof *r);
	if ((err = parse_args(argc, argv, &r->o)))
		return err;
	debug_libbpf = r->o.debug;
	libbpf_set_print(libbpf_print);

	if (isatty(STDOUT_FILENO) && !r->o.force && !r->o.check_keys) {
		ec_warn("stdout is a terminal and records are binary: pipe them (%s tls | ec-dump) "
			"or redirect (> out.pb); --force writes anyway",
			argv0);
		return 2;
	}
	if (geteuid() != 0) {
		ec_warn("needs root (BPF and uprobes): run it with sudo");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		ec_warn("no kernel BTF at /sys/kernel/btf/vmlinux (%s): needs a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y",
			strerror(errno));
		return 1;
	}
	if (r->o.pid && kill((pid_t)r->o.pid, 0) != 0 && errno == ESRCH) {
		ec_warn("--pid %ld: no such process", r->o.pid);
		return 1;
	}
	if (ec_libfind_ssl(r->o.libssl, (pid_t)r->o.pid, path, sizeof path, msg, sizeof msg)) {
		ec_warn("%s", msg);
		return 1;
	}
	/* attaching to a file that is not a library fails with libbpf's own codes: say why first */
	char sym[128];
	err = ec_mod_find_symbol(path, "SSL_write", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s: give OpenSSL's or BoringSSL's libssl (or a program linking it "
			"statically) with --libssl PATH",
			path,
			err == EC_ERR_NOTFOUND ? "no SSL_write function in it"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	snprintf(r->libpath, sizeof r->libpath, "%s", path);
	if (ec_sslkeys_version(path, version, sizeof version))
		snprintf(version, sizeof version, "unknown version");
	if (r->o.check_keys) {
		char line[EC_SSLROW_MAX];
		printf("library %s (%s)\n", path, version);
		if (choose_keys(r, path, version))
			return 1;
		ec_sslrow_format(&r->keys_off, line, sizeof line);
		printf("row %s\n", line);
		return fflush(stdout) ? 1 : 0;
	}
	if (!strncmp(version, "BoringSSL", 9))
		r->o.source = EVENT__SOURCE__SOURCE_BORINGSSL;
	if (r->o.pcap.path && !(r->pcap = pktcap_open(&r->o.pcap, &status)))
		return status;
	status = 1;

	struct ec_capture_opts co = {
	    .origin = "ec-capture",
	    .heartbeat_s = r->o.heartbeat,
	    .tty_counters = -1,
	};
	r->cap = ec_capture_new(STDOUT_FILENO, &co);
	if (!r->cap) {
		ec_warn("cannot set up the output: %s", strerror(errno));
		return 1;
	}
	ec_capture_banner(r->cap, "tls");
	say(r, "library %s (%s)", path, version);
	r->have_keys = choose_keys(r, path, version) == 0;
	if (r->have_keys && r->o.keylogfile)
		say(r, "key log: appended to %s", r->o.keylogfile);
	if (r->o.keylogfile) {
		r->keylog = fopen(r->o.keylogfile, "ae");
		if (!r->keylog) {
			ec_warn("--keylogfile %s: %s", r->o.keylogfile, strerror(errno));
			goto cleanup;
		}
		snprintf(r->keylog_path, sizeof r->keylog_path, "%s", r->o.keylogfile);
	}

	if (r->o.control) {
		char cerr[512];
		r->control = ec_control_new(r->o.control, EC_CONFIG_BODY_MAX, on_control, r, cerr,
					    sizeof cerr);
		if (!r->control) {
			ec_warn("--control: %s", cerr);
			goto cleanup;
		}
		ec_capture_set_tick(r->cap, control_tick, r);
		say(r, "control: HTTP on unix socket %s (POST /tls with a JSON config)",
		    r->o.control);
	}
	r->skel = tls_bpf__open();
	if (!r->skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	r->o.ringbuf = pow2_at_least(r->o.ringbuf);
	bpf_map__set_max_entries(r->skel->maps.tls_events, (uint32_t)r->o.ringbuf);
	if ((err = tls_bpf__load(r->skel))) {
		ec_warn("cannot load the BPF programs: %s%s", ec_capture_strerror(err),
			r->o.debug ? " (verifier log above)"
				   : "; run with --debug to see the verifier's log");
		goto cleanup;
	}
	r->ncpus = libbpf_num_possible_cpus();
	if (r->have_keys) {
		uint32_t zero = 0;
		if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.tls_offsets), &zero, &r->keys_off,
					BPF_ANY)) {
			ec_warn("cannot write the key log offsets map: %s", strerror(errno));
			goto cleanup;
		}
	}
	if ((err = apply_filters(r))) {
		ec_warn("cannot write the filter maps: %s", ec_capture_strerror(err));
		goto cleanup;
	}
	describe_filters(r, filters, sizeof filters);
	say(r, "filters:%s", filters);
	if (attach_all(r, path))
		goto cleanup;
	if (r->have_keys && r->keys_from[0] && (err = check_start(r, path))) {
		ec_warn("cannot hook the handshake to check the key offsets: %s", strerror(-err));
		goto cleanup;
	}
	err = ec_capture_add_ringbuf(r->cap, bpf_map__fd(r->skel->maps.tls_events), on_event, r);
	if (err) {
		ec_warn("cannot poll the ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	ec_capture_set_lost(r->cap, read_lost, r);
	if (r->pcap && pktcap_attach(r->pcap, r->cap))
		goto cleanup;
	ec_capture_handle_signals();
	say(r, "capturing (stop with SIGINT or SIGTERM)");
	if (ec_writer_flush(ec_capture_writer(r->cap)) == EC_ERR_IO) {
		ec_warn("cannot write to stdout: %s", strerror(errno));
		goto cleanup;
	}

	err = ec_capture_run(r->cap);
	if (err) {
		ec_warn("capture stopped: %s", ec_strerror(err));
		goto cleanup;
	}
	status = 0;
cleanup:
	ec_control_free(r->control);
	if (r->check) {
		if (r->check->nheld)
			say(r,
			    "key log: offsets row %s never proven (no ClientHello seen for a "
			    "connection whose keys were read): %zu connections' keys not written",
			    r->keys_from, r->check->nheld);
		destroy_links(r->check);
		r->check = NULL;
	}
	detach_all(r);
	if ((err = pktcap_close(r->pcap)) && err != EC_ERR_PIPE && status == 0) {
		ec_warn("--pcap %s: %s", r->o.pcap.path, ec_strerror(err));
		status = 1;
	}
	if (r->cap) {
		uint64_t ev = ec_capture_events(r->cap), lost = r->skel ? read_lost(r) : 0;
		if (status == 0)
			fprintf(stderr,
				"%s: stopped: %llu events, %llu lost, all probes detached\n", argv0,
				(unsigned long long)ev, (unsigned long long)lost);
		err = ec_capture_free(r->cap);
		if (err && err != EC_ERR_PIPE && status == 0) {
			ec_warn("cannot write to stdout: %s", ec_strerror(err));
			status = 1;
		}
	}
	tls_bpf__destroy(r->skel);
	if (r->keylog && fclose(r->keylog) && status == 0) {
		ec_warn("--keylogfile %s: %s", r->o.keylogfile, strerror(errno));
		status = 1;
	}
	return status;
}
