#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The extended query protocol through libpq (ctypes, no driver needed):
PQexecParams (Parse/Bind/Describe/Execute/Sync with a text parameter), then
PQprepare + PQexecPrepared (a named statement bound in a later request).
The process renames itself ec-pgq so a capture can pick it by comm.

usage: pg_extended.py CONNINFO
"""
import ctypes
import sys

ctypes.CDLL(None).prctl(15, b"ec-pgq", 0, 0, 0)  # PR_SET_NAME
pq = ctypes.CDLL("libpq.so.5")
for f in ("PQconnectdb", "PQexecParams", "PQprepare", "PQexecPrepared"):
    getattr(pq, f).restype = ctypes.c_void_p
for f in ("PQgetvalue", "PQerrorMessage", "PQresultErrorMessage"):
    getattr(pq, f).restype = ctypes.c_char_p
pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
pq.PQresultErrorMessage.argtypes = [ctypes.c_void_p]
pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
pq.PQstatus.argtypes = [ctypes.c_void_p]
pq.PQresultStatus.argtypes = [ctypes.c_void_p]
pq.PQclear.argtypes = [ctypes.c_void_p]
pq.PQfinish.argtypes = [ctypes.c_void_p]

conn = pq.PQconnectdb(sys.argv[1].encode())
if pq.PQstatus(conn) != 0:
    sys.exit("connect: " + pq.PQerrorMessage(conn).decode())


def value(r):
    if pq.PQresultStatus(r) != 2:  # PGRES_TUPLES_OK
        sys.exit(pq.PQresultErrorMessage(r).decode())
    v = pq.PQgetvalue(r, 0, 0).decode()
    pq.PQclear(r)
    return v


vals = (ctypes.c_char_p * 1)(b"41")
print(value(pq.PQexecParams(ctypes.c_void_p(conn), b"SELECT $1::int + 1 AS answer", 1, None,
                            vals, None, None, 0)))
pq.PQclear(pq.PQprepare(ctypes.c_void_p(conn), b"ec_shout", b"SELECT $1::text || '!' AS shout",
                        1, None))
vals = (ctypes.c_char_p * 1)(b"hello")
print(value(pq.PQexecPrepared(ctypes.c_void_p(conn), b"ec_shout", 1, vals, None, None, 0)))
pq.PQfinish(conn)
