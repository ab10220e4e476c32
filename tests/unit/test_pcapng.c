// SPDX-License-Identifier: GPL-2.0-only
/* lib/pcapng/pcapng: block layout, options, libpcap reading it back, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/mman.h>

#include "error.h"
#include "pcapng.h"
#include "pcapng_walk.h"

static int tmpfd(void)
{
	int fd = memfd_create("pcapng", 0);
	assert_true(fd >= 0);
	return fd;
}

static void layout(void **state)
{
	(void)state;
	int fd = tmpfd();
	struct ec_pcapng *w = ec_pcapng_new(fd, "test-app");
	assert_non_null(w);
	assert_int_equal(ec_pcapng_idb(w, EC_LINKTYPE_ETHERNET, 65535, "eth-x", "desc"), 0);
	assert_int_equal(ec_pcapng_idb(w, 113, 0, NULL, NULL), 1);
	static const char keys[] = "CLIENT_RANDOM 00 11\n"; /* 20 bytes: no padding */
	assert_int_equal(ec_pcapng_dsb(w, EC_PCAPNG_SECRETS_TLS, (const uint8_t *)keys, 20), 0);
	uint8_t pkt[61];
	for (size_t i = 0; i < sizeof pkt; i++)
		pkt[i] = (uint8_t)i;
	assert_int_equal(ec_pcapng_epb(w, 0, 1764684000123456789ll, pkt, sizeof pkt, 0,
				       EC_PCAPNG_OUTBOUND, "pid=42 comm=curl"),
			 0);
	struct iovec iov[2] = {{pkt, 10}, {pkt + 10, 5}};
	assert_int_equal(ec_pcapng_epbv(w, 1, 5, iov, 2, 100, 0, NULL), 0);
	assert_int_equal((int)ec_pcapng_blocks(w), 6);
	uint64_t bytes = ec_pcapng_bytes(w);
	assert_int_equal(ec_pcapng_free(w), 0);

	size_t n;
	uint8_t *b = slurp(fd, &n);
	assert_int_equal(n, bytes);
	struct blk k[8];
	assert_int_equal(walk(b, n, k, 8), 6);

	/* SHB: BOM, version 1.0, unknown section length, shb_userappl */
	assert_int_equal(k[0].type, EC_PCAPNG_SHB);
	assert_int_equal(rd32(k[0].body), EC_PCAPNG_BOM);
	assert_int_equal(rd16(k[0].body + 4), 1);
	assert_int_equal(rd16(k[0].body + 6), 0);
	uint16_t vl;
	const uint8_t *v = find_opt(k[0].body + 16, k[0].blen - 16, 4, &vl);
	assert_non_null(v);
	assert_int_equal(vl, 8);
	assert_memory_equal(v, "test-app", 8);

	/* IDBs: link type, snaplen, name, nanosecond if_tsresol */
	assert_int_equal(k[1].type, EC_PCAPNG_IDB);
	assert_int_equal(rd16(k[1].body), 1);
	assert_int_equal(rd32(k[1].body + 4), 65535);
	v = find_opt(k[1].body + 8, k[1].blen - 8, 2, &vl);
	assert_non_null(v);
	assert_memory_equal(v, "eth-x", 5);
	v = find_opt(k[1].body + 8, k[1].blen - 8, 9, &vl);
	assert_non_null(v);
	assert_int_equal(vl, 1);
	assert_int_equal(v[0], 9);
	assert_int_equal(rd16(k[2].body), 113);
	assert_null(find_opt(k[2].body + 8, k[2].blen - 8, 2, &vl));

	/* DSB: secrets type, length, the bytes */
	assert_int_equal(k[3].type, EC_PCAPNG_DSB);
	assert_int_equal(rd32(k[3].body), EC_PCAPNG_SECRETS_TLS);
	assert_int_equal(rd32(k[3].body + 4), 20);
	assert_memory_equal(k[3].body + 8, keys, 20);

	/* EPB: timestamp split in two words, padding, comment and flags options */
	struct epb e = epb_of(&k[4]);
	assert_int_equal(e.ifid, 0);
	assert_true(e.ts == 1764684000123456789ull);
	assert_int_equal(e.caplen, 61);
	assert_int_equal(e.origlen, 61);
	assert_memory_equal(e.data, pkt, 61);
	assert_int_equal(e.data[61] | e.data[62] | e.data[63], 0);
	char c[64];
	assert_string_equal(epb_comment(&e, c, sizeof c), "pid=42 comm=curl");
	v = find_opt(e.opts, e.nopts, 2, &vl);
	assert_non_null(v);
	assert_int_equal(vl, 4);
	assert_int_equal(rd32(v), EC_PCAPNG_OUTBOUND);
	e = epb_of(&k[5]);
	assert_int_equal(e.ifid, 1);
	assert_int_equal(e.caplen, 15);
	assert_int_equal(e.origlen, 100);
	assert_int_equal(e.nopts, 0);
	free(b);
	close(fd);
}

/* libpcap (an independent reader) opens the file and sees the packets. */
static void libpcap_reads_it(void **state)
{
	(void)state;
	int fd = tmpfd();
	struct ec_pcapng *w = ec_pcapng_new(fd, NULL);
	assert_int_equal(ec_pcapng_idb(w, EC_LINKTYPE_ETHERNET, 0, "x", NULL), 0);
	uint8_t pkt[100] = {0};
	for (int i = 0; i < 50; i++) {
		pkt[0] = (uint8_t)i;
		assert_int_equal(ec_pcapng_epb(w, 0, 1000000000ll * i + i, pkt, 14 + (size_t)i, 0,
					       0, i % 2 ? "odd" : NULL),
				 0);
		if (i == 20)
			assert_int_equal(
			    ec_pcapng_dsb(w, EC_PCAPNG_SECRETS_TLS, (const uint8_t *)"A B C\n", 6),
			    0);
	}
	assert_int_equal(ec_pcapng_free(w), 0);
	lseek(fd, 0, SEEK_SET);
	FILE *f = fdopen(fd, "rb");
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *d;
	int i = 0, rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		assert_int_equal(h->caplen, 14 + i);
		assert_int_equal(d[0], i);
		assert_int_equal(h->ts.tv_sec, i);
		assert_int_equal(h->ts.tv_usec, i); /* nanoseconds here */
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	assert_int_equal(i, 50);
	pcap_close(p); /* closes f and fd */
}

static void errors(void **state)
{
	(void)state;
	int fd = tmpfd();
	struct ec_pcapng *w = ec_pcapng_new(fd, NULL);
	uint8_t pkt[64] = {0};
	/* no interface yet */
	assert_int_equal(ec_pcapng_epb(w, 0, 0, pkt, 14, 0, 0, NULL), EC_ERR_INVAL);
	assert_int_equal(ec_pcapng_idb(w, 1, 0, NULL, NULL), 0);
	assert_int_equal(ec_pcapng_epb(w, 1, 0, pkt, 14, 0, 0, NULL), EC_ERR_INVAL);
	uint8_t *big = calloc(1, EC_PCAPNG_MAX_PACKET + 1);
	assert_int_equal(ec_pcapng_epb(w, 0, 0, big, EC_PCAPNG_MAX_PACKET + 1, 0, 0, NULL),
			 EC_ERR_TOOBIG);
	/* the largest packet and a DSB bigger than the buffer still go out whole */
	assert_int_equal(ec_pcapng_epb(w, 0, 0, big, EC_PCAPNG_MAX_PACKET, 0, 0, NULL), 0);
	uint8_t *keys = malloc(3u << 20);
	memset(keys, 'k', 3u << 20);
	assert_int_equal(ec_pcapng_dsb(w, EC_PCAPNG_SECRETS_TLS, keys, 3u << 20), 0);
	/* an over-long comment is cut, not refused */
	char longc[3000];
	memset(longc, 'c', sizeof longc - 1);
	longc[sizeof longc - 1] = 0;
	assert_int_equal(ec_pcapng_epb(w, 0, 0, pkt, 14, 0, 0, longc), 0);
	assert_int_equal(ec_pcapng_free(w), 0);
	size_t n;
	uint8_t *b = slurp(fd, &n);
	struct blk k[8];
	assert_int_equal(walk(b, n, k, 8), 5);
	assert_int_equal(epb_of(&k[2]).caplen, EC_PCAPNG_MAX_PACKET);
	assert_int_equal(rd32(k[3].body + 4), 3u << 20);
	struct epb e = epb_of(&k[4]);
	uint16_t vl;
	assert_non_null(find_opt(e.opts, e.nopts, 1, &vl));
	assert_int_equal(vl, 1024);
	free(b);
	free(big);
	free(keys);
	close(fd);
}

/* A reader that went away: EC_ERR_PIPE, and it sticks. */
static void epipe(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct ec_pcapng *w = ec_pcapng_new(p[1], NULL);
	close(p[0]);
	assert_int_equal(ec_pcapng_flush(w), EC_ERR_PIPE);
	assert_int_equal(ec_pcapng_idb(w, 1, 0, NULL, NULL), EC_ERR_PIPE);
	assert_int_equal(ec_pcapng_free(w), EC_ERR_PIPE);
	close(p[1]);
}

/* Cut after any whole block, the file is still a pcapng libpcap reads. */
static void whole_blocks(void **state)
{
	(void)state;
	int fd = tmpfd();
	struct ec_pcapng *w = ec_pcapng_new(fd, "x");
	ec_pcapng_idb(w, EC_LINKTYPE_ETHERNET, 0, NULL, NULL);
	uint8_t pkt[40] = {0};
	for (int i = 0; i < 5; i++) {
		ec_pcapng_epb(w, 0, i, pkt, 20 + (size_t)i, 0, 0, "c");
		assert_int_equal(ec_pcapng_flush(w), 0);
		off_t end = lseek(fd, 0, SEEK_END);
		size_t n;
		uint8_t *b = slurp(fd, &n);
		assert_int_equal((off_t)n, end);
		FILE *f = fmemopen(b, n, "rb");
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_fopen_offline(f, err);
		assert_non_null(p);
		struct pcap_pkthdr *h;
		const u_char *d;
		int k = 0;
		while (pcap_next_ex(p, &h, &d) == 1)
			k++;
		assert_int_equal(k, i + 1);
		pcap_close(p);
		free(b);
	}
	ec_pcapng_free(w);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(layout), cmocka_unit_test(libpcap_reads_it), cmocka_unit_test(errors),
	    cmocka_unit_test(epipe),  cmocka_unit_test(whole_blocks),
	};
	return cmocka_run_group_tests_name("pcapng", tests, NULL, NULL);
}
