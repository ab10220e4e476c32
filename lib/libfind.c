#include "libfind.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is the file name (after the last '/') an OpenSSL-style libssl? */
static int is_libssl(const char *path, const char *base)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (base)
		return !strncmp(b, base, strlen(base));
	/* libssl.so, libssl.so.3, libssl.so.1.1 but not NSS's libssl3.so */
	return !strncmp(b, "libssl.so", 9) && (b[9] == '\0' || b[9] == '.');
}

int ec_libfind_maps(pid_t pid, const char *base, char *out, size_t len)
{
	char fn[64], line[4096];
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return EC_ERR_IO;
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (strstr(p, " (deleted)") || !is_libssl(p, base))
			continue;
		if (access(p, R_OK) == 0)
			snprintf(out, len, "%s", p);
		else
			snprintf(out, len, "/proc/%d/root%s", (int)pid, p);
		found = 1;
	}
	fclose(f);
	return found ? 0 : EC_ERR_NOTFOUND;
}

int ec_libfind_ldconfig(char *out, size_t len)
{
	static const char *const names[] = {"libssl.so.3", "libssl.so.1.1", "libssl.so"};
	char best[3][4096] = {{0}};
	char line[4096];
	FILE *f = popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null", "r");
	if (!f)
		return EC_ERR_IO;
	while (fgets(line, sizeof line, f)) {
		/* "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3" */
		char *name = line;
		while (isspace((unsigned char)*name))
			name++;
		char *arrow = strstr(line, "=> ");
		if (!arrow || !strstr(line, "x86-64"))
			continue;
		char *path = arrow + 3;
		path[strcspn(path, "\n")] = '\0';
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(names[i]);
			if (!strncmp(name, names[i], n) && name[n] == ' ' && !best[i][0])
				snprintf(best[i], sizeof best[i], "%s", path);
		}
	}
	pclose(f);
	for (int i = 0; i < 3; i++) {
		if (best[i][0] && access(best[i], R_OK) == 0) {
			snprintf(out, len, "%s", best[i]);
			return 0;
		}
	}
	return EC_ERR_NOTFOUND;
}

int ec_libfind_ssl(const char *explicit_path, pid_t pid, char *out, size_t len, char *msg,
		   size_t msglen)
{
	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			snprintf(msg, msglen, "--libssl %s: %s", explicit_path, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (pid > 0) {
		int err = ec_libfind_maps(pid, NULL, out, len);
		if (err == 0)
			return 0;
		if (err == EC_ERR_IO) {
			snprintf(msg, msglen, "--pid %d: cannot read /proc/%d/maps: %s", (int)pid,
				 (int)pid, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
	}
	if (ec_libfind_ldconfig(out, len) == 0)
		return 0;
	snprintf(msg, msglen,
		 "libssl not found%s in `ldconfig -p`; install OpenSSL or give --libssl PATH",
		 pid > 0 ? " in the process's maps nor" : "");
	return EC_ERR_NOTFOUND;
}
