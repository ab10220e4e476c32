/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Human text and JSON renderings of records (ec-dump's output). Both are
 * safe whatever the record holds: text escapes control characters and bytes
 * that are not UTF-8 (lib/core/utf8), JSON lines are always UTF-8.
 */
#ifndef EC_FORMAT_H
#define EC_FORMAT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "record.h"
#include "stream.h"

enum ec_format_flags {
	EC_FMT_HEX = 1, /* payloads as hex dumps even when they are text */
	EC_FMT_RAW = 2, /* names, notes, logs and payloads as captured: no escaping */
};

/*
 * One record as eCapture-like text: a header line, then the payload. Text
 * payloads are written as they are, binary ones hex-dumped; control
 * characters and bytes that are not UTF-8, in payloads and in names, notes
 * and logs, are shown as \xNN (ec_utf8_escape) unless EC_FMT_RAW. raw, when
 * not NULL, holds the record's string fields as on the wire (a NUL inside
 * shows as \x00 rather than cutting the string).
 */
int ec_format_text(FILE *f, const EcLogEntry *e, const struct ec_record_strs *raw, unsigned flags);
/*
 * One record as one line of JSON (proto field names); cJSON does the
 * escaping. A string field that is not UTF-8 text (or holds a NUL) is shown
 * with U+FFFD for each bad part and its exact bytes in base64 as FIELD_raw;
 * pname_raw and run_log_raw are base64 too.
 */
int ec_format_json(FILE *f, const EcLogEntry *e, const struct ec_record_strs *raw);

/* o[k] = v, exactly: as a raw JSON number (cJSON's numbers are doubles,
 * which cut nanosecond timestamps and 64-bit ids). */
void ec_format_json_num(cJSON *o, const char *k, long long v);

#endif
