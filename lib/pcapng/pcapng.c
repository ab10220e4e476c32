// SPDX-License-Identifier: GPL-2.0-only
#include "pcapng.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (1u << 18)

/* option codes */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2

/* Longest option value we write (comments are cut there). */
#define MAX_OPT 1024

struct ec_pcapng {
	int fd;
	int err; /* sticky: once a write failed, every call returns it */
	uint8_t *buf;
	size_t len, cap;
	uint32_t nif;
	uint64_t blocks, bytes;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t opt_size(size_t vlen)
{
	return 4 + pad4(vlen);
}

static size_t str_opt_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > MAX_OPT ? MAX_OPT : n;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *v, size_t n)
{
	p = put16(p, code);
	p = put16(p, (uint16_t)n);
	if (n)
		memcpy(p, v, n);
	memset(p + n, 0, pad4(n) - n);
	return p + pad4(n);
}

int ec_pcapng_flush(struct ec_pcapng *w)
{
	if (w->err)
		return w->err;
	size_t off = 0;
	while (off < w->len) {
		ssize_t k = write(w->fd, w->buf + off, w->len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* sticky: nothing more is written after a failed write */
			w->err = errno == EPIPE ? EC_ERR_PIPE : EC_ERR_IO;
			return w->err;
		}
		off += (size_t)k;
	}
	w->len = 0;
	return 0;
}

/* Room for a block of n bytes at the end of the buffer, or NULL (w->err). */
static uint8_t *reserve(struct ec_pcapng *w, size_t n)
{
	if (w->err)
		return NULL;
	if (w->len + n > w->cap) {
		if (ec_pcapng_flush(w))
			return NULL;
		if (n > w->cap) {
			uint8_t *nb = realloc(w->buf, n);
			if (!nb) {
				w->err = EC_ERR_NOMEM;
				return NULL;
			}
			w->buf = nb;
			w->cap = n;
		}
	}
	return w->buf + w->len;
}

static void commit(struct ec_pcapng *w, size_t n)
{
	w->len += n;
	w->blocks++;
	w->bytes += n;
}

struct ec_pcapng *ec_pcapng_new(int fd, const char *appname)
{
	struct ec_pcapng *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fd;
	w->cap = BUF_SIZE;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		free(w);
		return NULL;
	}
	size_t an = str_opt_len(appname);
	size_t total = 28 + (an ? opt_size(an) : 0) + 4;
	uint8_t *p = reserve(w, total), *b = p;
	p = put32(p, EC_PCAPNG_SHB);
	p = put32(p, (uint32_t)total);
	p = put32(p, EC_PCAPNG_BOM);
	p = put16(p, 1);
	p = put16(p, 0);
	memset(p, 0xff, 8); /* section length: unknown */
	p += 8;
	if (an)
		p = put_opt(p, SHB_USERAPPL, appname, an);
	p = put32(p, OPT_ENDOFOPT);
	p = put32(p, (uint32_t)total);
	commit(w, (size_t)(p - b));
	return w;
}

int ec_pcapng_free(struct ec_pcapng *w)
{
	if (!w)
		return 0;
	int err = ec_pcapng_flush(w);
	free(w->buf);
	free(w);
	return err;
}

int ec_pcapng_idb(struct ec_pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		  const char *description)
{
	size_t nn = str_opt_len(name), dn = str_opt_len(description);
	size_t total = 16 + (nn ? opt_size(nn) : 0) + (dn ? opt_size(dn) : 0) + opt_size(1) + 4 + 4;
	uint8_t *p = reserve(w, total), *b = p;
	if (!p)
		return w->err;
	p = put32(p, EC_PCAPNG_IDB);
	p = put32(p, (uint32_t)total);
	p = put16(p, linktype);
	p = put16(p, 0);
	p = put32(p, snaplen);
	if (nn)
		p = put_opt(p, IF_NAME, name, nn);
	if (dn)
		p = put_opt(p, IF_DESCRIPTION, description, dn);
	uint8_t resol = 9; /* 10^-9 s */
	p = put_opt(p, IF_TSRESOL, &resol, 1);
	p = put32(p, OPT_ENDOFOPT);
	p = put32(p, (uint32_t)total);
	commit(w, (size_t)(p - b));
	return (int)w->nif++;
}

uint8_t *ec_pcapng_epb_begin(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, size_t caplen,
			     uint32_t origlen, uint32_t flags, const char *comment, int *err)
{
	*err = w->err;
	if (*err)
		return NULL;
	if (ifid >= w->nif) {
		*err = EC_ERR_INVAL;
		return NULL;
	}
	if (caplen > EC_PCAPNG_MAX_PACKET) {
		*err = EC_ERR_TOOBIG;
		return NULL;
	}
	if (origlen < caplen)
		origlen = (uint32_t)caplen;
	size_t cn = str_opt_len(comment);
	size_t opts = (cn ? opt_size(cn) : 0) + (flags ? opt_size(4) : 0);
	size_t total = 28 + pad4(caplen) + (opts ? opts + 4 : 0) + 4;
	uint8_t *p = reserve(w, total), *b = p;
	if (!p) {
		*err = w->err;
		return NULL;
	}
	uint64_t ts = ts_ns < 0 ? 0 : (uint64_t)ts_ns;
	p = put32(p, EC_PCAPNG_EPB);
	p = put32(p, (uint32_t)total);
	p = put32(p, ifid);
	p = put32(p, (uint32_t)(ts >> 32));
	p = put32(p, (uint32_t)ts);
	p = put32(p, (uint32_t)caplen);
	p = put32(p, origlen);
	uint8_t *data = p;
	p += caplen;
	memset(p, 0, pad4(caplen) - caplen);
	p += pad4(caplen) - caplen;
	if (opts) {
		if (cn)
			p = put_opt(p, OPT_COMMENT, comment, cn);
		if (flags)
			p = put_opt(p, EPB_FLAGS, &flags, 4);
		p = put32(p, OPT_ENDOFOPT);
	}
	p = put32(p, (uint32_t)total);
	/* committed now: nothing is written out before the caller's next call */
	commit(w, (size_t)(p - b));
	return data;
}

int ec_pcapng_epbv(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, const struct iovec *iov,
		   int n, uint32_t origlen, uint32_t flags, const char *comment)
{
	if (n < 0)
		return EC_ERR_INVAL;
	size_t caplen = 0;
	for (int i = 0; i < n; i++)
		caplen += iov[i].iov_len;
	int err;
	uint8_t *p = ec_pcapng_epb_begin(w, ifid, ts_ns, caplen, origlen, flags, comment, &err);
	if (!p)
		return err;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	return 0;
}

int ec_pcapng_epb(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, const uint8_t *pkt, size_t len,
		  uint32_t origlen, uint32_t flags, const char *comment)
{
	struct iovec iov = {(void *)pkt, len};
	return ec_pcapng_epbv(w, ifid, ts_ns, &iov, 1, origlen, flags, comment);
}

int ec_pcapng_dsb(struct ec_pcapng *w, uint32_t secrets_type, const uint8_t *data, size_t len)
{
	if (w->err)
		return w->err;
	if (len > (64u << 20))
		return EC_ERR_TOOBIG;
	size_t total = 16 + pad4(len) + 4;
	uint8_t *p = reserve(w, total), *b = p;
	if (!p)
		return w->err;
	p = put32(p, EC_PCAPNG_DSB);
	p = put32(p, (uint32_t)total);
	p = put32(p, secrets_type);
	p = put32(p, (uint32_t)len);
	if (len)
		memcpy(p, data, len);
	memset(p + len, 0, pad4(len) - len);
	p += pad4(len);
	p = put32(p, (uint32_t)total);
	commit(w, (size_t)(p - b));
	return 0;
}

uint64_t ec_pcapng_blocks(const struct ec_pcapng *w)
{
	return w->blocks;
}

uint64_t ec_pcapng_bytes(const struct ec_pcapng *w)
{
	return w->bytes;
}
