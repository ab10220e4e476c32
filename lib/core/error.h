/* SPDX-License-Identifier: GPL-2.0-only */
/* Error codes shared by every lib/ module: negative, with ec_strerror. */
#ifndef EC_ERROR_H
#define EC_ERROR_H

enum ec_error {
	EC_OK = 0,
	EC_ERR_IO = -1,	       /* read/write failed: see errno */
	EC_ERR_TRUNCATED = -2, /* input ended inside a record */
	EC_ERR_VARINT = -3,    /* length prefix is not a valid varint */
	EC_ERR_TOOBIG = -4,    /* record longer than the configured maximum */
	EC_ERR_DECODE = -5,    /* record bytes are not a LogEntry */
	EC_ERR_NOMEM = -6,
	EC_ERR_PIPE = -7,  /* reader of our output went away (EPIPE) */
	EC_ERR_INVAL = -8, /* invalid argument or value */
	EC_ERR_PROTO = -9, /* protocol violation in parsed data */
	EC_ERR_NOTFOUND = -10,
	EC_ERR_BUSY = -11,
	EC_ERR_UNSUPPORTED = -12,
};

const char *ec_strerror(int err);

#endif
