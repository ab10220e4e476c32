/* SPDX-License-Identifier: GPL-2.0-only */
/* ec-capture mysqld: limits shared by bpf/mysqld.bpf.c and cmd/ec-capture/mysqld.c. */
#ifndef EC_BPF_MYSQLD_H
#define EC_BPF_MYSQLD_H

#define MYSQL_COM_QUERY 3  /* enum_server_command: a text query */
#define MYSQL_INFLIGHT 256 /* server threads inside dispatch_command at once */

/* dispatch_command's argument layout, told by its mangled name */
enum mysqld_layout {
	/* MariaDB: (enum_server_command, THD *, char *packet, uint length, bool) */
	MYSQLD_MARIADB = 1,
	/* MySQL 5.7 / 8.x: (THD *, const COM_DATA *, enum_server_command);
	 * COM_DATA.com_query = {const char *query; unsigned int length;} */
	MYSQLD_MYSQL = 2,
};

#endif
