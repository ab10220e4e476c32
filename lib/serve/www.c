// SPDX-License-Identifier: GPL-2.0-only
#include "www.h"

#include <string.h>

/* tools/www-blob.sh's symbols: NAME and NAME_end around each file */
#define FILE_SYMS(n) extern const unsigned char ec_www_##n[], ec_www_##n##_end[]
FILE_SYMS(index_html);
FILE_SYMS(app_css);
FILE_SYMS(app_js);
FILE_SYMS(ecaptureq_js);
FILE_SYMS(protobuf_min_js);

#define F(p, t, n)                                                                                 \
	{                                                                                          \
		p, t, ec_www_##n, ec_www_##n##_end                                                 \
	}
static const struct {
	const char *path, *ctype;
	const unsigned char *start, *end;
} files[] = {
    F("/", "text/html; charset=utf-8", index_html),
    F("/app.css", "text/css; charset=utf-8", app_css),
    F("/app.js", "text/javascript; charset=utf-8", app_js),
    F("/protobuf.min.js", "text/javascript; charset=utf-8", protobuf_min_js),
    F("/ecaptureq.js", "text/javascript; charset=utf-8", ecaptureq_js),
};

int ec_www_find(const char *path, struct ec_www_file *out)
{
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (!strcmp(files[i].path, path)) {
			*out = (struct ec_www_file){files[i].path, files[i].ctype, files[i].start,
						    (size_t)(files[i].end - files[i].start)};
			return 1;
		}
	return 0;
}
