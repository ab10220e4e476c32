// SPDX-License-Identifier: GPL-2.0-only
/* Every executable file the host's processes map, each looked at once. */
#include "hostscan.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#define GONE_EVERY_NS (10 * 1000000000LL)

/* A file seen: hooked ones keep their names, the others only their key. */
struct seen {
	uint64_t ino;
	uint32_t dev;
	struct ec_hostscan_file *f; /* hooked (or tried): the module's view */
};

struct ec_hostscan {
	const struct ec_hostscan_ops *ops;
	void *ctx;
	unsigned max;
	void *tree; /* struct seen, by (dev, ino): tsearch(3) */
	struct ec_hostscan_file **hooked;
	size_t nhooked;
	int64_t next_gone;
};

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void say(struct ec_hostscan *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct ec_hostscan *h, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (h->ops->say)
		h->ops->say(h->ctx, buf);
}

struct ec_hostscan *ec_hostscan_new(const struct ec_hostscan_ops *ops, void *ctx, unsigned max)
{
	struct ec_hostscan *h = calloc(1, sizeof *h);
	if (!h || !(h->hooked = calloc(max ? max : 1, sizeof *h->hooked))) {
		free(h);
		return NULL;
	}
	h->ops = ops;
	h->ctx = ctx;
	h->max = max;
	h->next_gone = ec_mono_ns() + GONE_EVERY_NS;
	return h;
}

static void free_file(struct ec_hostscan_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->open);
	free(f);
}

static void free_seen(void *p)
{
	struct seen *s = p;
	free_file(s->f);
	free(s);
}

void ec_hostscan_free(struct ec_hostscan *h)
{
	if (!h)
		return;
	tdestroy(h->tree, free_seen);
	free(h->hooked);
	free(h);
}

/* The entry for (dev, ino), added when new (*fresh set). NULL: no memory. */
static struct seen *lookup(struct ec_hostscan *h, uint32_t dev, uint64_t ino, int *fresh)
{
	struct seen key = {ino, dev, NULL}, *s, **slot;
	if ((slot = tfind(&key, &h->tree, cmp_seen))) {
		*fresh = 0;
		return *slot;
	}
	if (!(s = malloc(sizeof *s)))
		return NULL;
	*s = key;
	if (!(slot = tsearch(s, &h->tree, cmp_seen))) {
		free(s);
		return NULL;
	}
	*fresh = 1;
	return s;
}

static uint32_t kdev(unsigned major, unsigned minor)
{
	return (uint32_t)major << 20 | (minor & 0xfffff);
}

/* Does path name the file (dev, ino) here? */
static int is_file(const char *path, uint32_t dev, uint64_t ino)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_ino == ino &&
	       kdev(major(st.st_dev), minor(st.st_dev)) == dev;
}

/* f is hooked now: in the list (while there is room), held open to tell
 * when it is deleted. */
static void keep_hooked(struct ec_hostscan *h, struct ec_hostscan_file *f)
{
	f->hooked = 1;
	f->hooked_at = ec_now_ns();
	f->fd = open(f->open, O_PATH | O_CLOEXEC);
	if (h->nhooked < h->max)
		h->hooked[h->nhooked++] = f;
}

/* A file first seen in pid's maps: the module looks at it, maybe hooks it.
 * maps names it as seen from our root when it can (a chroot), else as in
 * the process's own mount namespace: /proc/PID/root reaches it then. */
static int consider(struct ec_hostscan *h, struct seen *s, pid_t pid, const char *path)
{
	struct ec_hostscan_file *f = calloc(1, sizeof *f);
	if (!f)
		return EC_ERR_NOMEM;
	f->ino = s->ino;
	f->dev = s->dev;
	f->pid = pid;
	f->fd = -1;
	f->path = strdup(path);
	int here = is_file(path, s->dev, s->ino);
	if (here)
		f->open = strdup(path);
	else if (asprintf(&f->open, "/proc/%d/root%s", (int)pid, path) < 0)
		f->open = NULL;
	if (!f->path || !f->open) {
		free_file(f);
		return EC_ERR_NOMEM;
	}
	if ((!here && !is_file(f->open, s->dev, s->ino)) || !h->ops->want(h->ctx, f)) {
		free_file(f);
		return 0;
	}
	s->f = f; /* tried once, hooked or not */
	if (h->nhooked >= h->max) {
		say(h,
		    "%s (pid %d) not hooked: %u files are hooked, the most --max-files allows "
		    "(raise it to hook more)",
		    path, (int)pid, h->max);
		return 0;
	}
	if (h->ops->hook(h->ctx, f))
		return 0;
	keep_hooked(h, f);
	return 1;
}

int ec_hostscan_known(struct ec_hostscan *h, const char *path, void *priv)
{
	struct stat st;
	int fresh;
	struct seen *s;
	if (stat(path, &st))
		return EC_ERR_IO;
	if (!(s = lookup(h, kdev(major(st.st_dev), minor(st.st_dev)), st.st_ino, &fresh)))
		return EC_ERR_NOMEM;
	if (!fresh)
		return 0;
	struct ec_hostscan_file *f = calloc(1, sizeof *f);
	if (f)
		f->fd = -1; /* free_file closes it */
	if (!f || !(f->path = strdup(path)) || !(f->open = strdup(path))) {
		free_file(f);
		return EC_ERR_NOMEM;
	}
	f->ino = s->ino;
	f->dev = s->dev;
	f->priv = priv;
	s->f = f;
	keep_hooked(h, f);
	return 0;
}

/* Each executable file mapping of pid: fn(dev, ino, path). The count of
 * lines read, or EC_ERR_NOTFOUND when the process is gone. */
static int each_map(pid_t pid, int (*fn)(void *arg, uint32_t dev, uint64_t ino, const char *path),
		    void *arg)
{
	char fn_[64], line[4352];
	snprintf(fn_, sizeof fn_, "/proc/%d/maps", (int)pid);
	FILE *fp = fopen(fn_, "re");
	int n = 0;
	if (!fp)
		return EC_ERR_NOTFOUND;
	while (fgets(line, sizeof line, fp)) {
		char perms[8];
		unsigned major, minor;
		unsigned long long ino;
		int at = 0;
		n++;
		if (sscanf(line, "%*x-%*x %7s %*x %x:%x %llu %n", perms, &major, &minor, &ino,
			   &at) != 4 ||
		    !at || !strchr(perms, 'x') || !ino || line[at] != '/')
			continue;
		char *path = line + at;
		path[strcspn(path, "\n")] = '\0';
		size_t len = strlen(path);
		if (len > 10 && !strcmp(path + len - 10, " (deleted)"))
			continue; /* only its old mappings are left: nothing to open */
		if (fn(arg, kdev(major, minor), ino, path))
			break;
	}
	fclose(fp);
	return n;
}

struct pid_scan {
	struct ec_hostscan *h;
	pid_t pid;
	int files, hooked, err;
};

static int scan_map(void *arg, uint32_t dev, uint64_t ino, const char *path)
{
	struct pid_scan *p = arg;
	int fresh, rc;
	struct seen *s = lookup(p->h, dev, ino, &fresh);
	if (!s) {
		p->err = EC_ERR_NOMEM;
		return 1;
	}
	if (!fresh)
		return 0;
	p->files++;
	if ((rc = consider(p->h, s, p->pid, path)) < 0) {
		p->err = rc;
		return 1;
	}
	p->hooked += rc;
	return 0;
}

static int scan_pid(struct ec_hostscan *h, pid_t pid, struct ec_hostscan_stats *st)
{
	struct pid_scan p = {h, pid, 0, 0, 0};
	int n = each_map(pid, scan_map, &p);
	if (n < 0)
		return n;
	if (st) {
		st->processes++;
		st->files += (unsigned)p.files;
		st->hooked += (unsigned)p.hooked;
	}
	return p.err ? p.err : p.files;
}

int ec_hostscan_pid(struct ec_hostscan *h, pid_t pid)
{
	return scan_pid(h, pid, NULL);
}

/* Each process id in /proc: fn(pid); stops when fn returns non-zero. */
static int each_pid(int (*fn)(void *arg, pid_t pid), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	if (!d)
		return EC_ERR_IO;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (fn(arg, (pid_t)pid))
			break;
	}
	closedir(d);
	return 0;
}

struct all_scan {
	struct ec_hostscan *h;
	struct ec_hostscan_stats *st;
	int err;
};

static int scan_one(void *arg, pid_t pid)
{
	struct all_scan *a = arg;
	int rc = scan_pid(a->h, pid, a->st);
	if (rc == EC_ERR_NOMEM) {
		a->err = rc;
		return 1;
	}
	return 0; /* a process gone meanwhile is no error */
}

int ec_hostscan_all(struct ec_hostscan *h, struct ec_hostscan_stats *st)
{
	struct ec_hostscan_stats local;
	struct all_scan a = {h, st ? st : &local, 0};
	int64_t t0 = ec_mono_ns();
	memset(a.st, 0, sizeof *a.st);
	int err = each_pid(scan_one, &a);
	a.st->ns = ec_mono_ns() - t0;
	return err ? err : a.err;
}

/* ---- files gone ---- */

struct gone_scan {
	struct ec_hostscan *h;
	int *mapped; /* per hooked file: some process maps it */
	size_t ndeleted;
};

static int mark_map(void *arg, uint32_t dev, uint64_t ino, const char *path)
{
	struct gone_scan *g = arg;
	(void)path;
	for (size_t i = 0; i < g->h->nhooked; i++)
		if (g->h->hooked[i]->dev == dev && g->h->hooked[i]->ino == ino)
			g->mapped[i] = 1;
	return 0;
}

static int mark_pid(void *arg, pid_t pid)
{
	each_map(pid, mark_map, arg);
	return 0;
}

void ec_hostscan_tick(struct ec_hostscan *h)
{
	int64_t now = ec_mono_ns();
	struct stat st;
	if (now < h->next_gone || !h->nhooked)
		return;
	h->next_gone = now + GONE_EVERY_NS;
	int *mapped = calloc(h->nhooked, sizeof *mapped);
	struct gone_scan g = {h, mapped, 0};
	if (!mapped)
		return;
	/* only a deleted file can be gone: the others cost one fstat each */
	for (size_t i = 0; i < h->nhooked; i++) {
		struct ec_hostscan_file *f = h->hooked[i];
		if (f->fd >= 0 && fstat(f->fd, &st) == 0 && st.st_nlink == 0)
			g.ndeleted++;
		else
			mapped[i] = 1;
	}
	if (g.ndeleted)
		each_pid(mark_pid, &g);
	size_t keep = 0;
	for (size_t i = 0; i < h->nhooked; i++) {
		struct ec_hostscan_file *f = h->hooked[i];
		if (mapped[i]) {
			h->hooked[keep++] = f;
			continue;
		}
		say(h,
		    "%s (dev %u:%u inode %" PRIu64 ") deleted and mapped by no process: "
		    "unhooked",
		    f->path, f->dev >> 20, f->dev & 0xfffff, f->ino);
		h->ops->unhook(h->ctx, f);
		f->hooked = 0;
		close(f->fd);
		f->fd = -1;
	}
	h->nhooked = keep;
	free(mapped);
}

size_t ec_hostscan_each(struct ec_hostscan *h, void (*fn)(void *arg, struct ec_hostscan_file *f),
			void *arg)
{
	for (size_t i = 0; fn && i < h->nhooked; i++)
		fn(arg, h->hooked[i]);
	return h->nhooked;
}

void ec_hostscan_json(struct ec_hostscan *h, cJSON *arr,
		      void (*extra)(void *arg, struct ec_hostscan_file *f, cJSON *o), void *arg)
{
	char dev[32];
	for (size_t i = 0; i < h->nhooked; i++) {
		struct ec_hostscan_file *f = h->hooked[i];
		cJSON *o = cJSON_CreateObject();
		if (!o)
			return;
		cJSON_AddStringToObject(o, "path", f->path);
		cJSON_AddStringToObject(o, "open", f->open);
		cJSON_AddNumberToObject(o, "pid", f->pid);
		snprintf(dev, sizeof dev, "%u:%u", f->dev >> 20, f->dev & 0xfffff);
		cJSON_AddStringToObject(o, "dev", dev);
		cJSON_AddNumberToObject(o, "inode", (double)f->ino);
		cJSON_AddNumberToObject(o, "hooked_at", (double)(f->hooked_at / 1000000) / 1000.0);
		if (extra)
			extra(arg, f, o);
		cJSON_AddItemToArray(arr, o);
	}
}
