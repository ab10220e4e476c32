// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the writer's UTF-8 rule (lib/core/record, lib/core/stream) and
 * the renderings (lib/core/format): string fields holding arbitrary bytes.
 * The input, split at 0x1e, gives pname, uuid, src_ip, dst_ip, note,
 * run_log, heartbeat message and origin; they are written as C strings
 * (ec_writer_put) and as wire bytes with their NULs (ec_writer_put_raw),
 * and the whole input goes through ec_writer_put_raw as a record too.
 * Whatever was written must re-decode with every string strictly UTF-8;
 * ec-dump's text must hold no control byte, its JSON must parse as UTF-8.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "record.h"
#include "stream.h"
#include "utf8.h"

#define NSTR 8

static void strict(const struct ec_wire_str *w)
{
	if (w->set && !ec_utf8_valid(w->p, w->n))
		abort();
}

/* One record as the renderings show it: no control byte, UTF-8 JSON. */
static void render(const uint8_t *b, size_t n, const EcLogEntry *e)
{
	struct ec_record_strs st, *raw = ec_record_strs(b, n, &st) ? NULL : &st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ec_format_text(f, e, raw, 0);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		if (((uint8_t)out[i] < 0x20 && out[i] != '\n' && out[i] != '\t' &&
		     !(out[i] == '\r' && (i + 1 == len || out[i + 1] == '\n'))) ||
		    out[i] == 0x7f)
			abort();
	if (!ec_utf8_valid((const uint8_t *)out, len))
		abort();
	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	ec_format_json(f, e, raw);
	fclose(f);
	if (!ec_utf8_valid((const uint8_t *)out, len) || memchr(out, 0, len))
		abort();
	cJSON *j = cJSON_Parse(out);
	if (!j)
		abort();
	cJSON_Delete(j);
	free(out);
}

/* Every record in fd decodes and has strictly UTF-8 strings. */
static void check(int fd)
{
	lseek(fd, 0, SEEK_SET);
	struct ec_reader *r = ec_reader_new(fd, "fuzz", 1 << 20);
	const uint8_t *b;
	size_t n;
	int rc;
	while ((rc = ec_reader_next(r, &b, &n)) > 0) {
		struct ec_record_strs st;
		if (ec_record_strs(b, n, &st))
			abort();
		strict(&st.run_log);
		strict(&st.uuid);
		strict(&st.src_ip);
		strict(&st.dst_ip);
		strict(&st.pname);
		strict(&st.note);
		strict(&st.message);
		strict(&st.origin);
		EcLogEntry *e = ec_record_decode(b, n);
		if (!e)
			abort();
		render(b, n, e);
		ec_record_free(e);
	}
	if (rc < 0)
		abort();
	ec_reader_free(r);
}

/* A length-delimited field num of n bytes at p, appended at b[*at]. */
static void wire(uint8_t *b, size_t *at, unsigned num, const uint8_t *p, size_t n)
{
	*at += ec_varint_encode((uint64_t)num << 3 | 2, b + *at);
	*at += ec_varint_encode(n, b + *at);
	memcpy(b + *at, p, n);
	*at += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[NSTR] = {0};
	size_t plen[NSTR] = {0}, k = 0, start = 0;
	for (size_t i = 0; i <= size && k < NSTR; i++) {
		if (i == size || data[i] == 0x1e) {
			part[k] = data + start;
			plen[k++] = i - start;
			start = i + 1;
		}
	}
	char *s[NSTR];
	for (int i = 0; i < NSTR; i++) {
		s[i] = malloc(plen[i] + 1);
		if (plen[i])
			memcpy(s[i], part[i], plen[i]);
		s[i][plen[i]] = 0;
	}
	int fd = memfd_create("fuzz", 0);
	struct ec_writer *w = ec_writer_new(fd);

	/* C strings: what the tools hand the writer */
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pname = s[0];
	ev.uuid = s[1];
	ev.src_ip = s[2];
	ev.dst_ip = s[3];
	ev.note = s[4];
	ev.payload.data = (uint8_t *)data;
	ev.payload.len = size;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	ec_writer_put(w, &e);
	ec_record_log(w, EC_LOG_INFO, "%s", s[5]);
	ec_record_keylog(w, s[5]);
	ec_record_heartbeat(w, 1, 2, 3, s[7], s[6]);

	/* wire bytes, NULs included: what pass-through writers and ec-serve get */
	uint8_t *b = malloc(2 * size + 64), *sub = malloc(size + 64);
	size_t bl = 0, sl = 0;
	static const unsigned evnum[5] = {8, 2, 3, 5, 30};
	for (int i = 0; i < 5; i++)
		wire(sub, &sl, evnum[i], part[i] ? part[i] : data, plen[i]);
	wire(b, &bl, 2, sub, sl);
	ec_writer_put_raw(w, b, bl);
	bl = 0;
	wire(b, &bl, 4, part[5] ? part[5] : data, plen[5]);
	ec_writer_put_raw(w, b, bl);
	sl = bl = 0;
	wire(sub, &sl, 3, part[6] ? part[6] : data, plen[6]);
	wire(sub, &sl, 18, part[7] ? part[7] : data, plen[7]);
	wire(b, &bl, 3, sub, sl);
	ec_writer_put_raw(w, b, bl);

	/* the input itself as a record, when it is one */
	EcLogEntry *d = ec_record_decode(data, size);
	if (d) {
		ec_writer_put_raw(w, data, size);
		ec_record_free(d);
	}
	ec_writer_free(w);
	check(fd);
	close(fd);
	free(b);
	free(sub);
	for (int i = 0; i < NSTR; i++)
		free(s[i]);
	return 0;
}
