/* Human text and JSON renderings of records (ec-dump's output). */
#ifndef EC_FORMAT_H
#define EC_FORMAT_H

#include <stdio.h>

#include "stream.h"

enum ec_format_flags {
	EC_FMT_HEX = 1, /* payloads as hex dumps even when they are text */
};

/* One record as eCapture-like text: a header line, then the payload. */
int ec_format_text(FILE *f, const EcLogEntry *e, unsigned flags);
/* One record as one line of JSON (proto field names); cJSON does the escaping. */
int ec_format_json(FILE *f, const EcLogEntry *e);

#endif
