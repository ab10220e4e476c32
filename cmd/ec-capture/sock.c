// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture sock: load bpf/sock.bpf.c, attach its system-call tracepoints
 * and inet_sock_set_state, and write what processes send and receive on
 * TCP sockets as Event records (source sock): the plaintext protocols no
 * TLS library carries (PostgreSQL, Redis, HTTP, DNS over TCP...). No file
 * to hook. Connections found to carry TLS are skipped in the kernel and
 * said once here.
 */
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "mod.h"
#include "modules.h"
#include "record.h"
#include "sock.h"
#include "sock.skel.h"
#include "util.h"

enum { OPT_PORT = 300 };

static const struct ec_opt opts[] = {
    {"port", OPT_PORT, "N[,N..]",
     "only connections with one of these ports at either end\n(a server's port; at most 16)"},
    {NULL, 0, NULL, NULL},
};

static struct {
	uint16_t ports[EC_SOCK_PORTS];
	unsigned nports;
} s;

static int opt(struct ec_mod *m, int key, const char *arg)
{
	char buf[256];
	long long v;
	(void)m;
	(void)key;
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (ec_opt_int(p, 1, 65535, "a port (1-65535)", &v))
			return 2;
		if (s.nports == EC_SOCK_PORTS) {
			ec_warn("--port: more than %d ports", EC_SOCK_PORTS);
			return 2;
		}
		s.ports[s.nports++] = (uint16_t)v;
	}
	return 0;
}

static int setup(struct ec_mod *m)
{
	char ports[EC_SOCK_PORTS * 7 + 16] = "";
	if (ec_mod_start(m, NULL, NULL))
		return 1;
	struct sock_bpf *skel = sock_bpf__open();
	if (skel) {
		skel->rodata->sock_nports = s.nports;
		memcpy((void *)skel->rodata->sock_ports, s.ports, sizeof s.ports);
		int ncpus = libbpf_num_possible_cpus();
		bpf_map__set_max_entries(skel->maps.sock_buf, ncpus > 0 ? (uint32_t)ncpus : 1);
	}
	if (EC_MOD_LOAD(m, skel))
		return 1;
	/* sys_exit first: every call whose entry is kept has its exit seen */
	if (ec_mod_attach(m, skel->progs.sock_exit, "tp_btf/sys_exit") ||
	    ec_mod_attach(m, skel->progs.sock_enter, "tp_btf/sys_enter") ||
	    ec_mod_attach(m, skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
		return 1;
	for (unsigned i = 0; i < s.nports; i++)
		snprintf(ports + strlen(ports), sizeof ports - strlen(ports), "%s%u",
			 i ? "," : ", ports ", s.ports[i]);
	ec_mod_say(m,
		   "hooked sys_enter, sys_exit (read, write, readv, writev, recvfrom, sendto, "
		   "recvmsg, sendmsg on TCP sockets%s; TLS connections skipped), "
		   "inet_sock_set_state",
		   ports);
	return 0;
}

static void addr(const struct ec_event *e, const uint8_t *a, char *out, size_t len)
{
	if (!inet_ntop(e->family == 10 ? AF_INET6 : AF_INET, a, out, (socklen_t)len))
		snprintf(out, len, "?");
}

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind == EC_KIND_SKIP) {
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		addr(e, e->saddr, src, sizeof src);
		addr(e, e->daddr, dst, sizeof dst);
		ec_mod_say(
		    m, "conn %llu pid %u: TLS, skipped (use ec-capture tls): %.*s, %s:%u %s %s:%u",
		    (unsigned long long)e->conn_id, e->pid, EC_COMM_LEN, e->comm, src, e->sport,
		    e->dir == EC_DIR_WRITE ? "->" : "<-", dst, e->dport);
		return 0;
	}
	if (e->kind == EC_KIND_DATA || e->kind == EC_KIND_CLOSE)
		return ec_mod_put(m, e, NULL, 0, NULL);
	return 0;
}

const struct ec_mod_spec ec_mod_sock = {
    .name = "sock",
    .what = "Capture what processes send and receive on TCP sockets without TLS (PostgreSQL, "
	    "Redis, HTTP, DNS over TCP...): the read/write system calls.",
    .source = EVENT__SOURCE__SOURCE_SOCK,
    .opts = opts,
    .opt = opt,
    .setup = setup,
    .event = event,
};
