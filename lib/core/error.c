// SPDX-License-Identifier: GPL-2.0-only
#include "error.h"

const char *ec_strerror(int err)
{
	switch (err) {
	case EC_OK:
		return "success";
	case EC_ERR_IO:
		return "I/O error";
	case EC_ERR_TRUNCATED:
		return "input ends inside a record";
	case EC_ERR_VARINT:
		return "bad length prefix (not a varint)";
	case EC_ERR_TOOBIG:
		return "record longer than the maximum record size";
	case EC_ERR_DECODE:
		return "record is not a valid LogEntry";
	case EC_ERR_NOMEM:
		return "out of memory";
	case EC_ERR_PIPE:
		return "output closed";
	case EC_ERR_INVAL:
		return "invalid value";
	case EC_ERR_PROTO:
		return "protocol error";
	case EC_ERR_NOTFOUND:
		return "not found";
	case EC_ERR_BUSY:
		return "busy";
	case EC_ERR_UNSUPPORTED:
		return "unsupported";
	}
	return "unknown error";
}
