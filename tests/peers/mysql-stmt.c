// SPDX-License-Identifier: GPL-2.0-only
/*
 * A MariaDB Connector/C client for mysql.bats: over TLS, one prepared
 * statement with two parameters (COM_STMT_PREPARE, then COM_STMT_EXECUTE
 * with the values in the binary protocol, binary rows back), printed as
 * "answer word".
 *
 *   mysql-stmt HOST PORT USER PASSWORD DATABASE CA-FILE
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(MYSQL *m, MYSQL_STMT *s, const char *what)
{
	fprintf(stderr, "mysql-stmt: %s: %s\n", what, s ? mysql_stmt_error(s) : mysql_error(m));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: mysql-stmt HOST PORT USER PASSWORD DATABASE CA-FILE\n");
		return 2;
	}
	MYSQL *m = mysql_init(NULL);
	my_bool verify = 0;
	mysql_ssl_set(m, NULL, NULL, argv[6], NULL, NULL);
	mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	if (!mysql_real_connect(m, argv[1], argv[3], argv[4], argv[5], (unsigned)atoi(argv[2]),
				NULL, 0))
		return fail(m, NULL, "connect");
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *sql = "SELECT ? + 1 AS answer, CONCAT(?, '!') AS word";
	if (mysql_stmt_prepare(s, sql, strlen(sql)))
		return fail(m, s, "prepare");
	int n = 41;
	char word[] = "hello";
	unsigned long wlen = strlen(word);
	MYSQL_BIND in[2];
	memset(in, 0, sizeof in);
	in[0].buffer_type = MYSQL_TYPE_LONG;
	in[0].buffer = &n;
	in[1].buffer_type = MYSQL_TYPE_STRING;
	in[1].buffer = word;
	in[1].buffer_length = wlen;
	in[1].length = &wlen;
	if (mysql_stmt_bind_param(s, in) || mysql_stmt_execute(s))
		return fail(m, s, "execute");
	long long answer = 0;
	char out[64] = "";
	unsigned long olen = 0;
	MYSQL_BIND res[2];
	memset(res, 0, sizeof res);
	res[0].buffer_type = MYSQL_TYPE_LONGLONG;
	res[0].buffer = &answer;
	res[1].buffer_type = MYSQL_TYPE_STRING;
	res[1].buffer = out;
	res[1].buffer_length = sizeof out - 1;
	res[1].length = &olen;
	if (mysql_stmt_bind_result(s, res) || mysql_stmt_fetch(s))
		return fail(m, s, "fetch");
	out[olen < sizeof out ? olen : sizeof out - 1] = 0;
	printf("%lld %s\n", answer, out);
	mysql_stmt_close(s);
	mysql_close(m);
	return 0;
}
