/* SPDX-License-Identifier: GPL-2.0-only */
/* ec-capture postgres: limits shared by bpf/postgres.bpf.c and cmd/ec-capture/postgres.c. */
#ifndef EC_BPF_POSTGRES_H
#define EC_BPF_POSTGRES_H

#define PG_BACKENDS 1024 /* backends with a query in progress at once */
#define PG_ERROR 21	 /* elog.h ERROR: errstart levels >= this abort the query */

#endif
