// SPDX-License-Identifier: GPL-2.0-only
/* cgroup v2 ids, their paths, and the containers the paths name. */
#include "cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define FILEID_KERNFS 0xfe /* a kernfs node named by its 64-bit id */
#define MAX_DEPTH 32

/* ---- paths to containers ---- */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int eq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

static int starts(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return n >= k && !memcmp(s, lit, k);
}

static int ends(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return n >= k && !memcmp(s + n - k, lit, k);
}

/* PRE + 64 hex [+ ".scope"] (cgroupfs drivers leave the suffix off): the id. */
static const char *hex_unit(const char *s, size_t n, const char *pre)
{
	size_t a = strlen(pre);
	if (!starts(s, n, pre))
		return NULL;
	s += a;
	n -= a;
	if (ends(s, n, ".scope"))
		n -= 6;
	return n == 64 && is_hex(s, n) ? s : NULL;
}

/* PRE + NAME + SUF, NAME unescaped as systemd escapes unit names ("\x2d"
 * is '-') into out; a NAME empty, too long or naming NUL or '/' is none. */
static int name_unit(const char *s, size_t n, const char *pre, const char *suf, char *out,
		     size_t len)
{
	size_t a = strlen(pre), b = strlen(suf), o = 0;
	if (n <= a + b || !starts(s, n, pre) || !ends(s, n, suf))
		return 0;
	s += a;
	n -= a + b;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3])) {
			char hex[3] = {s[i + 2], s[i + 3], '\0'};
			c = (unsigned char)strtoul(hex, NULL, 16);
			i += 3;
		}
		if (c == '\0' || c == '/' || o + 1 >= len)
			return 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 1;
}

/* A pod's cgroup: kubepods[-CLASS]-pod<UID>.slice (the systemd driver
 * writes the UID's '-' as '_', a '-' being its slice separator), or
 * pod<UID> below /kubepods (cgroupfs). The UID, '-' separated, into out. */
static int pod_unit(const char *s, size_t n, int kubepods, char *out, size_t len)
{
	const char *u = NULL;
	size_t un = 0;
	if (ends(s, n, ".slice") &&
	    (starts(s, n, "kubepods-") || starts(s, n, "kubelet-kubepods-"))) {
		size_t m = n - 6;
		const char *dash = memrchr(s, '-', m);
		if (dash && starts(dash + 1, (size_t)(s + m - dash - 1), "pod")) {
			u = dash + 4;
			un = (size_t)(s + m - u);
		}
	} else if (kubepods && starts(s, n, "pod")) {
		u = s + 3;
		un = n - 3;
	}
	/* a UUID, or 32 hex digits for a static pod (a hash of its manifest) */
	if (!u || un < 32 || un >= len)
		return 0;
	for (size_t i = 0; i < un; i++)
		if (!isxdigit((unsigned char)u[i]) && u[i] != '-' && u[i] != '_')
			return 0;
	for (size_t i = 0; i < un; i++)
		out[i] = u[i] == '_' ? '-' : u[i];
	out[un] = '\0';
	return 1;
}

/* What the previous component was, for the forms named by their parent. */
enum prev { P_OTHER, P_DOCKER, P_CONTAINERD, P_POD, P_MACHINES, P_NSPAWN };

int ec_cgroup_container(const char *path, struct ec_cgroup_info *out)
{
	struct ec_cgroup_info outside = {0}; /* what held before the last nspawn unit */
	char pod[sizeof out->pod_uid] = "", name[sizeof out->id];
	enum prev prev = P_OTHER;
	int kubepods = 0;
	memset(out, 0, sizeof *out);
	if (!path)
		return EC_ERR_INVAL;
	for (const char *p = path; *p;) {
		if (*p == '/') {
			p++;
			continue;
		}
		const char *s = p, *hex = NULL, *kind = NULL;
		size_t n = strcspn(p, "/");
		enum prev next = P_OTHER;
		p += n;
		if ((hex = hex_unit(s, n, "docker-")))
			kind = "docker";
		else if ((hex = hex_unit(s, n, "cri-containerd-")) ||
			 (hex = hex_unit(s, n, "nerdctl-")))
			kind = "containerd";
		else if ((hex = hex_unit(s, n, "crio-")))
			kind = "cri-o";
		else if ((hex = hex_unit(s, n, "libpod-")))
			kind = "podman";
		else if (n == 64 && is_hex(s, n) &&
			 (prev == P_DOCKER || prev == P_CONTAINERD || prev == P_POD)) {
			hex = s;
			kind = prev == P_DOCKER ? "docker" : "containerd";
		} else if (name_unit(s, n, "systemd-nspawn@", ".service", name, sizeof name) ||
			   (prev == P_MACHINES &&
			    name_unit(s, n, "machine-", ".scope", name, sizeof name))) {
			kind = "nspawn";
			next = P_NSPAWN;
			outside = *out;
		} else if (prev == P_NSPAWN && eq(s, n, "supervisor")) {
			*out = outside; /* systemd-nspawn itself, on the host's side */
		} else if (pod_unit(s, n, kubepods, pod, sizeof pod)) {
			next = P_POD;
		} else if (eq(s, n, "docker")) {
			next = P_DOCKER;
		} else if (eq(s, n, "containerd")) {
			next = P_CONTAINERD;
		} else if (eq(s, n, "machine.slice")) {
			next = P_MACHINES;
		}
		if (starts(s, n, "kubepods") || starts(s, n, "kubelet-kubepods"))
			kubepods = 1;
		if (kind) { /* the innermost wins, with the pod around it */
			out->kind = kind;
			if (hex) {
				memcpy(out->id, hex, 64);
				out->id[64] = '\0';
			} else {
				memcpy(out->id, name, sizeof out->id);
			}
			memcpy(out->pod_uid, pod, sizeof out->pod_uid);
		}
		prev = next;
	}
	if (!out->kind) {
		memset(out, 0, sizeof *out);
		return EC_ERR_NOTFOUND;
	}
	return 0;
}

/* ---- the cgroup2 mount ---- */

static struct {
	int state; /* 0 not looked for, 1 found, -1 none */
	int fd;
	dev_t dev;
	char dir[PATH_MAX];
} mnt = {0, -1, 0, ""};

/* mountinfo's octal escapes ("\040" is ' ') undone in place. */
static void unoctal(char *s)
{
	char *o = s;
	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* The cgroup2 mount, open: its root "/" preferred (another root is a bind
 * mount of a subtree, whose paths would not be the root's). */
static int mount_find(void)
{
	char *line = NULL, best[PATH_MAX] = "";
	size_t cap = 0;
	int best_root = 0;
	struct stat st;
	if (mnt.state)
		return mnt.state > 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0; /* not remembered: /proc may come later */
	while (!best_root && getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		char *dash = strstr(line, " - "), *field[5], *save = NULL;
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		*dash = '\0';
		int k = 0;
		for (char *t = strtok_r(line, " ", &save); t && k < 5;
		     t = strtok_r(NULL, " ", &save))
			field[k++] = t;
		if (k < 5 || (best[0] && strcmp(field[3], "/")))
			continue;
		unoctal(field[4]);
		if (strlen(field[4]) >= sizeof best)
			continue;
		strcpy(best, field[4]);
		best_root = !strcmp(field[3], "/");
	}
	free(line);
	fclose(f);
	mnt.state = -1;
	if (!best[0])
		return 0;
	mnt.fd = open(best, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mnt.fd < 0 || fstat(mnt.fd, &st)) {
		if (mnt.fd >= 0)
			close(mnt.fd);
		mnt.fd = -1;
		mnt.state = 0; /* tried again next time */
		return 0;
	}
	strcpy(mnt.dir, best);
	mnt.dev = st.st_dev;
	mnt.state = 1;
	return 1;
}

const char *ec_cgroup_mount(void)
{
	return mount_find() ? mnt.dir : NULL;
}

void ec_cgroup_close(void)
{
	if (mnt.fd >= 0)
		close(mnt.fd);
	mnt.fd = -1;
	mnt.state = 0;
	mnt.dir[0] = '\0';
}

/* abs, a path under the mount point, as a path below the cgroup2 root
 * (NULL if it is not under it). */
static const char *below_root(const char *abs)
{
	size_t rl = strlen(mnt.dir);
	if (rl == 1) /* mounted on / */
		return abs;
	if (strncmp(abs, mnt.dir, rl) || (abs[rl] != '/' && abs[rl] != '\0'))
		return NULL;
	return abs[rl] ? abs + rl : "/";
}

static int put(char *out, size_t len, const char *s, size_t n)
{
	if (n >= len) {
		if (len)
			out[0] = '\0';
		return EC_ERR_TOOBIG;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int ec_cgroup_path_of_id(uint64_t id, char *out, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char fn[64], buf[PATH_MAX + 16];
	if (!out)
		return EC_ERR_INVAL;
	if (!mount_find())
		return EC_ERR_UNSUPPORTED;
	h.fh.handle_bytes = sizeof h.id;
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof id);
	int fd = open_by_handle_at(mnt.fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? EC_ERR_NOTFOUND : EC_ERR_IO;
	snprintf(fn, sizeof fn, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fn, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	errno = e;
	if (n < 0)
		return EC_ERR_IO;
	if ((size_t)n >= sizeof buf - 1)
		return EC_ERR_TOOBIG;
	buf[n] = '\0';
	/* removed between the open and the readlink */
	if (n >= 10 && !strcmp(buf + n - 10, " (deleted)"))
		return EC_ERR_NOTFOUND;
	const char *rel = below_root(buf);
	if (!rel) /* outside what our mount shows */
		return EC_ERR_NOTFOUND;
	return put(out, len, rel, strlen(rel));
}

int ec_cgroup_path_of_pid(pid_t pid, char *out, size_t len)
{
	char fn[64], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = EC_ERR_NOTFOUND;
	if (pid < 0 || !out)
		return EC_ERR_INVAL;
	if (pid)
		snprintf(fn, sizeof fn, "/proc/%d/cgroup", (int)pid);
	else
		snprintf(fn, sizeof fn, "/proc/self/cgroup");
	FILE *f = fopen(fn, "re");
	if (!f)
		return errno == ENOENT || errno == ESRCH ? EC_ERR_NOTFOUND : EC_ERR_IO;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (strncmp(line, "0::", 3))
			continue;
		size_t k = strcspn(line + 3, "\n");
		if (k >= 10 && !memcmp(line + 3 + k - 10, " (deleted)", 10))
			k -= 10; /* a process left in a removed cgroup */
		err = put(out, len, line + 3, k);
		break;
	}
	/* a process that exits while read: ESRCH, gone */
	if (n < 0 && ferror(f))
		err = errno == ESRCH ? EC_ERR_NOTFOUND : EC_ERR_IO;
	free(line);
	fclose(f);
	return err;
}

int ec_cgroup_id_of_path(const char *path, uint64_t *id)
{
	char full[PATH_MAX];
	struct stat st;
	int n;
	if (!path || !id)
		return EC_ERR_INVAL;
	for (const char *p = path; *p;) {
		size_t k = strcspn(p, "/");
		if (k == 2 && p[0] == '.' && p[1] == '.')
			return EC_ERR_INVAL;
		p += k;
		while (*p == '/')
			p++;
	}
	if (!mount_find())
		return EC_ERR_UNSUPPORTED;
	if (path[0] == '/' && below_root(path) && strlen(mnt.dir) > 1)
		n = snprintf(full, sizeof full, "%s", path);
	else
		n = snprintf(full, sizeof full, "%s%s%s", mnt.dir, path[0] == '/' ? "" : "/", path);
	if (n < 0 || (size_t)n >= sizeof full)
		return EC_ERR_NOTFOUND; /* longer than any path */
	if (stat(full, &st))
		return errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG
			   ? EC_ERR_NOTFOUND
			   : EC_ERR_IO;
	/* a directory of the cgroup2 file system, not of one mounted on it */
	if (!S_ISDIR(st.st_mode) || st.st_dev != mnt.dev)
		return EC_ERR_NOTFOUND;
	*id = st.st_ino;
	return 0;
}

int ec_cgroup_find_containers(const char *prefix, uint64_t *ids, size_t max, size_t *n)
{
	char *roots[2] = {NULL, NULL};
	struct ec_cgroup_info info;
	struct stat st;
	FTSENT *e;
	int err = 0;
	if (!n || !prefix || (!ids && max))
		return EC_ERR_INVAL;
	*n = 0;
	if (!mount_find())
		return EC_ERR_UNSUPPORTED;
	size_t plen = strlen(prefix);
	roots[0] = mnt.dir;
	/* directories are told by d_type: the files of each cgroup are not stat'ed */
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV | FTS_NOSTAT, NULL);
	if (!fts)
		return EC_ERR_IO;
	errno = 0;
	while ((e = fts_read(fts))) {
		/* FTS_DNR, FTS_NS, FTS_ERR: a cgroup removed while walked */
		if (e->fts_info != FTS_D)
			continue;
		if (e->fts_level >= MAX_DEPTH)
			fts_set(fts, e, FTS_SKIP);
		const char *rel = below_root(e->fts_path);
		if (!rel || ec_cgroup_container(rel, &info) || strncasecmp(info.id, prefix, plen))
			continue;
		/* FTS_NOSTAT leaves fts_statp out: the few that match are stat'ed */
		if (stat(e->fts_path, &st))
			continue; /* removed meanwhile */
		if (*n == max) {
			err = EC_ERR_TOOBIG;
			break;
		}
		ids[(*n)++] = st.st_ino;
	}
	if (!e && errno)
		err = EC_ERR_IO;
	int saved = errno;
	fts_close(fts);
	errno = saved;
	return err;
}

/* ---- the cache ---- */

const struct ec_cgroup_entry *ec_cgroup_lookup(struct ec_cgroup_cache *c, uint64_t id, pid_t pid)
{
	/* Fibonacci hashing: ids are sequential, their top bits spread them */
	struct ec_cgroup_entry *e =
	    &c->e[(id * 0x9e3779b97f4a7c15ull) >> (64 - EC_CGROUP_CACHE_BITS)];
	char path[PATH_MAX];
	int found = 0;
	if (id && e->id == id && (e->found || pid <= 0 || e->pid == pid))
		return e;
	if (id && !c->by_pid_only) {
		int err = ec_cgroup_path_of_id(id, path, sizeof path);
		found = !err;
		/* no CAP_DAC_READ_SEARCH, or a seccomp filter: each try would fail */
		if (err == EC_ERR_UNSUPPORTED ||
		    (err == EC_ERR_IO &&
		     (errno == EPERM || errno == EACCES || errno == ENOSYS || errno == EOPNOTSUPP)))
			c->by_pid_only = 1;
	}
	if (!found && pid > 0 && ec_cgroup_path_of_pid(pid, path, sizeof path) == 0) {
		uint64_t now;
		/* the process's cgroup now: id's only if it is not another live one */
		found = !id || ec_cgroup_id_of_path(path, &now) || now == id;
	}
	memset(e, 0, sizeof *e);
	e->id = id;
	e->pid = pid;
	if (found) {
		e->found = 1;
		ec_cgroup_container(path, &e->info);
		size_t k = strnlen(path, sizeof e->path - 1);
		memcpy(e->path, path, k); /* cut: e->info saw it whole */
		e->path[k] = '\0';
	}
	return e;
}
