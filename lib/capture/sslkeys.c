// SPDX-License-Identifier: GPL-2.0-only
/* TLS key log: library version detection, the per-version offsets table and
 * NSS key log lines from the key material read by bpf/tls_keys.bpf.h. */
#include "sslkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "error.h"
#include "util.h"

#include "sslkeys_rows.h"

#define NROWS (sizeof(ec_sslkeys_table) / sizeof(ec_sslkeys_table[0]))
#define VER_MAX 96 /* longest version string taken from a file */

/* --- version string in the library file --------------------------------- */

/* Length of a "N.N.N[letters]" version at p (at most n bytes), 0 if none. */
static size_t ver_number_len(const char *p, size_t n)
{
	size_t i = 0;
	int parts = 0;

	for (;;) {
		size_t start = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == start || i - start > 4)
			return 0;
		if (++parts == 3)
			break;
		if (i >= n || p[i] != '.')
			return 0;
		i++;
	}
	while (i < n && p[i] >= 'a' && p[i] <= 'z')
		i++;
	return i;
}

/* A printable, NUL-terminated string of at most VER_MAX bytes at p whose text
 * after prefix is a version number: its length, else 0. */
static size_t ver_string_at(const char *p, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix), num, i;

	if (n <= plen || memcmp(p, prefix, plen) != 0)
		return 0;
	num = ver_number_len(p + plen, n - plen);
	if (num == 0)
		return 0;
	i = plen + num;
	if (i < n && p[i] != '\0' && p[i] != ' ')
		return 0;
	while (i < n && i <= VER_MAX && p[i] != '\0') {
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
		i++;
	}
	if (i >= n || i > VER_MAX)
		return 0;
	return i;
}

/* The first version string with prefix anywhere in the n bytes at base. */
static size_t find_ver(const char *base, size_t n, const char *prefix, const char **at)
{
	const char *p = base, *end = base + n;
	size_t plen = strlen(prefix);

	while (p < end) {
		const char *q = memmem(p, (size_t)(end - p), prefix, plen);
		size_t len;
		if (!q)
			return 0;
		/* must start a string: first byte of the file or after a NUL */
		if ((q == base || q[-1] == '\0') &&
		    (len = ver_string_at(q, (size_t)(end - q), prefix))) {
			*at = q;
			return len;
		}
		p = q + 1;
	}
	return 0;
}

static void copy_out(char *ver, size_t len, const char *s, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(ver, s, n);
	ver[n] = '\0';
}

int ec_sslkeys_version_buf(const void *buf, size_t n, char *ver, size_t len)
{
	const char *base = buf, *at = NULL;
	size_t l;

	if ((!buf && n) || !ver || len == 0)
		return EC_ERR_INVAL;
	if (n == 0)
		return EC_ERR_NOTFOUND;
	/* BoringSSL's OPENSSL_VERSION_TEXT is "OpenSSL 1.1.1 (compatible;
	 * BoringSSL)": look for BoringSSL before any OpenSSL version */
	if (memmem(base, n, "compatible; BoringSSL", 21) || memmem(base, n, "BORINGSSL_", 10)) {
		copy_out(ver, len, "BoringSSL", 9);
		return EC_OK;
	}
	if ((l = find_ver(base, n, "OpenSSL ", &at)) || (l = find_ver(base, n, "LibreSSL ", &at))) {
		copy_out(ver, len, at, l);
		return EC_OK;
	}
	return EC_ERR_NOTFOUND;
}

static int version_in_file(const char *path, char *ver, size_t len)
{
	struct stat st;
	void *base;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EC_ERR_IO;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return EC_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return EC_ERR_IO;
	}
	if (st.st_size == 0) {
		close(fd);
		return EC_ERR_NOTFOUND;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return EC_ERR_IO;
	err = ec_sslkeys_version_buf(base, (size_t)st.st_size, ver, len);
	munmap(base, (size_t)st.st_size);
	return err;
}

int ec_sslkeys_version(const char *libpath, char *ver, size_t len)
{
	const char *slash, *name;
	char other[4096];
	int err, n;

	if (!libpath || !ver || len == 0)
		return EC_ERR_INVAL;
	err = version_in_file(libpath, ver, len);
	if (err != EC_ERR_NOTFOUND)
		return err;
	/* OpenSSL 3 keeps OPENSSL_VERSION_TEXT in libcrypto only */
	slash = strrchr(libpath, '/');
	name = slash ? slash + 1 : libpath;
	if (strncmp(name, "libssl", 6) != 0)
		return EC_ERR_NOTFOUND;
	n = snprintf(other, sizeof(other), "%.*slibcrypto%s", (int)(name - libpath), libpath,
		     name + 6);
	if (n < 0 || (size_t)n >= sizeof(other))
		return EC_ERR_NOTFOUND;
	err = version_in_file(other, ver, len);
	return err == EC_ERR_IO ? EC_ERR_NOTFOUND : err;
}

/* --- rows ---------------------------------------------------------------- */

struct ver {
	long part[3];
	int letter; /* 0, or 'a'..'z' for 1.1.1w */
};

/* Parse "3.0.22", "1.1.1w" (and the same after "OpenSSL "); 0 or -1. */
static int parse_ver(const char *s, struct ver *v)
{
	size_t len;
	int i;

	if (strncmp(s, "OpenSSL ", 8) == 0)
		s += 8;
	len = ver_number_len(s, strlen(s));
	if (len == 0)
		return -1;
	for (i = 0; i < 3; i++) {
		v->part[i] = strtol(s, (char **)&s, 10);
		if (i < 2)
			s++;
	}
	v->letter = (*s >= 'a' && *s <= 'z') ? *s : 0;
	return 0;
}

static int cmp_ver(const struct ver *a, const struct ver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->part[i] != b->part[i])
			return a->part[i] < b->part[i] ? -1 : 1;
	return (a->letter > b->letter) - (a->letter < b->letter);
}

const struct ec_sslkeys_row *ec_sslkeys_find_row(const char *ver)
{
	struct ver v, first, last;

	if (!ver || strncmp(ver, "OpenSSL ", 8) != 0 || parse_ver(ver, &v) < 0)
		return NULL;
	for (size_t i = 0; i < NROWS; i++) {
		const struct ec_sslkeys_row *r = &ec_sslkeys_table[i];
		if (parse_ver(r->first, &first) < 0 || parse_ver(r->last, &last) < 0)
			continue; /* a row without a version range (BoringSSL) */
		if (cmp_ver(&v, &first) >= 0 && cmp_ver(&v, &last) <= 0)
			return r;
	}
	return NULL;
}

/* distance in patch releases from v to the range first..last of the same
 * major.minor line, or -1 when v is on another line */
static long line_distance(const struct ver *v, const struct ver *first, const struct ver *last)
{
	long lo = first->part[0] * 1000 + first->part[1], hi = last->part[0] * 1000 + last->part[1];
	long line = v->part[0] * 1000 + v->part[1];

	if (line < lo || line > hi)
		return -1;
	if (cmp_ver(v, first) < 0)
		return line == lo ? first->part[2] - v->part[2] + 1 : -1;
	if (cmp_ver(v, last) > 0)
		return line == hi ? v->part[2] - last->part[2] + 1 : -1;
	return 0;
}

const struct ec_sslkeys_row *ec_sslkeys_nearest_row(const char *ver, int *exact)
{
	const struct ec_sslkeys_row *best = NULL;
	struct ver v, first, last;
	long best_d = -1;

	if (exact)
		*exact = 0;
	if (!ver || strncmp(ver, "OpenSSL ", 8) != 0 || parse_ver(ver, &v) < 0)
		return NULL;
	for (size_t i = 0; i < NROWS; i++) {
		const struct ec_sslkeys_row *r = &ec_sslkeys_table[i];
		long d;
		if (parse_ver(r->first, &first) < 0 || parse_ver(r->last, &last) < 0)
			continue;
		d = line_distance(&v, &first, &last);
		if (d >= 0 && (best_d < 0 || d < best_d)) {
			best = r;
			best_d = d;
		}
	}
	if (exact && best)
		*exact = best_d == 0;
	return best;
}

const struct ec_sslkeys_row *ec_sslkeys_row_by_name(const char *name)
{
	for (size_t i = 0; name && i < NROWS; i++)
		if (strcmp(ec_sslkeys_table[i].name, name) == 0)
			return &ec_sslkeys_table[i];
	return NULL;
}

const struct ec_sslkeys_row *ec_sslkeys_rows(size_t *n)
{
	if (n)
		*n = NROWS;
	return ec_sslkeys_table;
}

/* --- NSS key log lines --------------------------------------------------- */

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static char *hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		*out++ = digits[p[i] >> 4];
		*out++ = digits[p[i] & 15];
	}
	*out = '\0';
	return out;
}

/* "LABEL <client_random> <secret>" → on_line */
static int emit(const char *label, const struct tls_keys *k, const uint8_t *secret, size_t n,
		int (*on_line)(const char *, void *), void *ctx)
{
	char line[EC_SSLKEYS_LINE_MAX], *p;
	size_t l = strlen(label);

	if (l + 2 + 2 * TLS_KEYS_RANDOM_LEN + 2 * n + 1 > sizeof(line))
		return EC_ERR_INVAL;
	memcpy(line, label, l);
	p = line + l;
	*p++ = ' ';
	p = hex(p, k->client_random, TLS_KEYS_RANDOM_LEN);
	*p++ = ' ';
	hex(p, secret, n);
	return on_line(line, ctx);
}

/* Digest name and length of a TLS 1.3 cipher suite (SSL_CIPHER id). */
static const char *tls13_hash(uint32_t id, size_t *len)
{
	*len = tls_keys_tls13_hash_len(id);
	return *len == 32 ? "SHA256" : *len == 48 ? "SHA384" : NULL;
}

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, context, n), with
 * libcrypto's HKDF in expand-only mode (the EVP_PKEY interface, which
 * OpenSSL 1.1.1 and 3.x both have) */
static int hkdf_expand_label(const char *md, const uint8_t *secret, size_t n, const char *label,
			     const uint8_t *context, size_t clen, uint8_t *out)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t llen = 6 + strlen(label), ilen = 0, outlen = n;
	const EVP_MD *digest = EVP_get_digestbyname(md);
	EVP_PKEY_CTX *pctx;
	int ok;

	if (!digest || llen > 255 || clen > 255)
		return -1;
	info[ilen++] = (uint8_t)(n >> 8);
	info[ilen++] = (uint8_t)n;
	info[ilen++] = (uint8_t)llen;
	memcpy(info + ilen, "tls13 ", 6);
	memcpy(info + ilen + 6, label, llen - 6);
	ilen += llen;
	info[ilen++] = (uint8_t)clen;
	memcpy(info + ilen, context, clen);
	ilen += clen;

	pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!pctx)
		return -1;
	ok = EVP_PKEY_derive_init(pctx) > 0 &&
	     EVP_PKEY_CTX_hkdf_mode(pctx, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(pctx, digest) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(pctx, secret, (int)n) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(pctx, info, (int)ilen) > 0 &&
	     EVP_PKEY_derive(pctx, out, &outlen) > 0 && outlen == n;
	EVP_PKEY_CTX_free(pctx);
	return ok ? 0 : -1;
}

static int tls12_lines(const struct tls_keys *k, int (*on_line)(const char *, void *), void *ctx)
{
	int rc;

	if (!(k->valid & TLS_KEYS_HAVE_MASTER) || k->master_key_len != TLS_KEYS_MASTER_LEN ||
	    all_zero(k->master_key, TLS_KEYS_MASTER_LEN))
		return EC_ERR_PROTO;
	rc = emit("CLIENT_RANDOM", k, k->master_key, TLS_KEYS_MASTER_LEN, on_line, ctx);
	return rc ? rc : 1;
}

static int tls13_lines(const struct tls_keys *k, int (*on_line)(const char *, void *), void *ctx)
{
	uint8_t chts[TLS_KEYS_SECRET_LEN], shts[TLS_KEYS_SECRET_LEN];
	const uint8_t *c = NULL, *s = NULL;
	const char *md;
	size_t n;
	int lines = 0, rc;

	if (!(k->valid & TLS_KEYS_HAVE_CIPHER) || !(md = tls13_hash(k->cipher_id, &n)))
		return EC_ERR_PROTO;
	if ((k->valid & TLS_KEYS_HAVE_HS_TRAFFIC) && !all_zero(k->client_hs_traffic, n) &&
	    !all_zero(k->server_hs_traffic, n)) {
		c = k->client_hs_traffic;
		s = k->server_hs_traffic;
	} else if ((k->valid & TLS_KEYS_HAVE_HS) && !all_zero(k->handshake_secret, n) &&
		   !all_zero(k->handshake_traffic_hash, n)) {
		/* OpenSSL keeps only the inputs: RFC 8446 7.1 Derive-Secret */
		if (hkdf_expand_label(md, k->handshake_secret, n, "c hs traffic",
				      k->handshake_traffic_hash, n, chts) < 0 ||
		    hkdf_expand_label(md, k->handshake_secret, n, "s hs traffic",
				      k->handshake_traffic_hash, n, shts) < 0)
			return EC_ERR_PROTO;
		c = chts;
		s = shts;
	}
	if (c) {
		if ((rc = emit("CLIENT_HANDSHAKE_TRAFFIC_SECRET", k, c, n, on_line, ctx)) ||
		    (rc = emit("SERVER_HANDSHAKE_TRAFFIC_SECRET", k, s, n, on_line, ctx)))
			return rc;
		lines += 2;
	}
	if (k->valid & TLS_KEYS_HAVE_APP) {
		static const struct {
			const char *label;
			size_t off;
		} app[] = {
		    {"CLIENT_TRAFFIC_SECRET_0", offsetof(struct tls_keys, client_app_traffic)},
		    {"SERVER_TRAFFIC_SECRET_0", offsetof(struct tls_keys, server_app_traffic)},
		    {"EXPORTER_SECRET", offsetof(struct tls_keys, exporter_secret)},
		};
		for (size_t i = 0; i < sizeof(app) / sizeof(app[0]); i++) {
			const uint8_t *sec = (const uint8_t *)k + app[i].off;
			if (all_zero(sec, n))
				continue;
			if ((rc = emit(app[i].label, k, sec, n, on_line, ctx)))
				return rc;
			lines++;
		}
	}
	return lines ? lines : EC_ERR_PROTO;
}

int ec_sslkeys_lines(const struct tls_keys *k, int (*on_line)(const char *line, void *ctx),
		     void *ctx)
{
	if (!k || !on_line)
		return EC_ERR_INVAL;
	if (!(k->valid & TLS_KEYS_HAVE_RANDOM) || all_zero(k->client_random, TLS_KEYS_RANDOM_LEN))
		return EC_ERR_PROTO;
	switch (k->version) {
	case 0x0301: /* TLS 1.0 */
	case 0x0302: /* TLS 1.1 */
	case 0x0303: /* TLS 1.2 */
		return tls12_lines(k, on_line, ctx);
	case 0x0304:
		return tls13_lines(k, on_line, ctx);
	}
	return EC_ERR_PROTO;
}

int ec_sslkeys_seen(struct ec_sslkeys_seen *s, const char *line)
{
	uint64_t h = ec_fnv1a(EC_FNV1A_INIT, line, strlen(line));
	for (size_t i = 0; i < s->n; i++)
		if (s->hash[i] == h)
			return 1;
	s->hash[s->next] = h;
	s->next = (s->next + 1) % EC_SSLKEYS_SEEN_MAX;
	if (s->n < EC_SSLKEYS_SEEN_MAX)
		s->n++;
	return 0;
}
