// SPDX-License-Identifier: GPL-2.0-only
/* Calibration of an offsets row on the target's own library: the sandbox
 * around libexec/ec-sslcal, the check of its report, the build-id cache. */
#include "sslcal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <grp.h>
#include <libelf.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "sslkeys.h"
#include "sslrow.h"

/* the helper program, linked in by the Makefile (build/.../sslcal-blob.o) */
extern const unsigned char ec_sslcal_blob[], ec_sslcal_blob_end[];

#define NOBODY 65534
#define CACHE_MAGIC "ec-sslcal-row 1"

static void say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static unsigned long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000 + (unsigned long long)ts.tv_nsec / 1000;
}

/* --- the library file ----------------------------------------------------- */

static Elf *elf_open(int fd)
{
	Elf *e;
	GElf_Ehdr eh;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return NULL;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_type != ET_DYN) {
		elf_end(e);
		return NULL;
	}
	return e;
}

static int sha256_file(int fd, char *id, size_t len)
{
	unsigned char buf[65536], md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t n;
	off_t pos = 0;
	int ok;

	if (!ctx)
		return EC_ERR_NOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	while (ok && (n = pread(fd, buf, sizeof(buf), pos)) > 0) {
		ok = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
		pos += n;
	}
	ok = ok && n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return EC_ERR_IO;
	size_t used = (size_t)snprintf(id, len, "sha256 ");
	for (unsigned i = 0; i < mdlen && used + 3 <= len; i++)
		used += (size_t)snprintf(id + used, len - used, "%02x", md[i]);
	return EC_OK;
}

int ec_sslcal_file_id(int fd, char *id, size_t len)
{
	Elf *e = elf_open(fd);
	Elf_Scn *scn = NULL;
	int found = 0;

	if (!e) {
		errno = ENOEXEC;
		return EC_ERR_UNSUPPORTED;
	}
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		while (!found && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4) || nh.n_descsz == 0 ||
			    nh.n_descsz > 64)
				continue;
			size_t used = (size_t)snprintf(id, len, "build-id ");
			for (unsigned i = 0; i < nh.n_descsz && used + 3 <= len; i++)
				used += (size_t)snprintf(id + used, len - used, "%02x",
							 ((unsigned char *)d->d_buf)[doff + i]);
			found = 1;
		}
	}
	elf_end(e);
	return found ? EC_OK : sha256_file(fd, id, len);
}

/* The DT_NEEDED entry of the ELF at fd that starts with prefix. */
static int needed(int fd, const char *prefix, char *out, size_t len)
{
	Elf *e = elf_open(fd);
	Elf_Scn *scn = NULL;
	int found = 0;

	if (!e)
		return EC_ERR_UNSUPPORTED;
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Dyn dyn;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (int i = 0; !found && gelf_getdyn(d, i, &dyn); i++) {
			const char *name;
			if (dyn.d_tag != DT_NEEDED ||
			    !(name = elf_strptr(e, sh.sh_link, (size_t)dyn.d_un.d_val)))
				continue;
			if (!strncmp(name, prefix, strlen(prefix)) && !strchr(name, '/') &&
			    strlen(name) < len) {
				snprintf(out, len, "%s", name);
				found = 1;
			}
		}
	}
	elf_end(e);
	return found ? EC_OK : EC_ERR_NOTFOUND;
}

/* Open rel (a path inside the tree at rootfd) with symlinks resolved inside
 * that tree, as the tree's own programs would see it. */
static int open_in(int rootfd, const char *rel, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	while (*rel == '/')
		rel++;
	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/* --- the cache ------------------------------------------------------------ */

static void cache_path(const char *dir, const char *id, char *out, size_t len)
{
	/* "build-id 12ab..." -> DIR/build-id-12ab....row */
	char name[160];
	snprintf(name, sizeof(name), "%s", id);
	for (char *p = name; *p; p++)
		if (*p == ' ')
			*p = '-';
	snprintf(out, len, "%s/%s.row", dir, name);
}

static int cache_get(const char *dir, const char *id, struct ec_sslcal_result *res)
{
	char path[PATH_MAX], buf[1024];
	struct stat st;
	FILE *f;
	size_t n;

	cache_path(dir, id, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* only a file of ours: root's, not writable by others */
	if (fstat(fileno(f), &st) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *nl1 = strchr(buf, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	if (!nl2 || (size_t)(nl1 - buf) != strlen(CACHE_MAGIC) ||
	    memcmp(buf, CACHE_MAGIC, nl1 - buf))
		return -1;
	*nl2 = '\0';
	char *nl3 = strchr(nl2 + 1, '\n');
	if (nl3)
		*nl3 = '\0';
	if (ec_sslrow_parse(nl1 + 1, &res->off, NULL))
		return -1;
	/* the third line: the note, if any */
	snprintf(res->note, sizeof(res->note), "%s", nl3 ? nl2 + 1 : "");
	return 0;
}

static int mkdirs(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

static int cache_put(const char *dir, const char *id, const struct ec_sslcal_result *res, char *err,
		     size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], row[EC_SSLROW_MAX];
	FILE *f;
	int fd;

	if (mkdirs(dir)) {
		say(err, errlen, "key cache %s: %s", dir, strerror(errno));
		return EC_ERR_IO;
	}
	cache_path(dir, id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 || !(f = fdopen(fd, "w"))) {
		say(err, errlen, "key cache %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd), unlink(tmp);
		return EC_ERR_IO;
	}
	ec_sslrow_format(&res->off, row, sizeof(row));
	fprintf(f, "%s\n%s\n%s\n", CACHE_MAGIC, row, res->note);
	if (fclose(f) || rename(tmp, path)) {
		say(err, errlen, "key cache %s: %s", path, strerror(errno));
		unlink(tmp);
		return EC_ERR_IO;
	}
	return EC_OK;
}

/* --- the report ----------------------------------------------------------- */

#define MAXOBJ 64
#define MAXCB 16

struct lineset {
	int n;
	char l[MAXCB][EC_SSLKEYS_LINE_MAX];
};

static int add_line(const char *line, void *ctx)
{
	struct lineset *s = ctx;
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->l[i], line))
			return 0;
	if (s->n == MAXCB)
		return EC_ERR_TOOBIG;
	snprintf(s->l[s->n++], EC_SSLKEYS_LINE_MAX, "%s", line);
	return 0;
}

static int has(const struct lineset *s, const char *line)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->l[i], line))
			return 1;
	return 0;
}

struct robj {
	char role;
	unsigned version;
	int have_keys;
	struct tls_keys keys;
	struct lineset cb;
};

static int hexbytes(const char *s, void *out, size_t n)
{
	unsigned char *b = out;
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		char c = s[2 * i], d = s[2 * i + 1];
		hi = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		lo = d >= '0' && d <= '9' ? d - '0' : d >= 'a' && d <= 'f' ? d - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* "N REST": the object number (< MAXOBJ, already announced) and REST */
static struct robj *obj_ref(struct robj *objs, int nobj, const char *s, const char **rest)
{
	char *end;
	long i = strtol(s, &end, 10);
	if (end == s || *end != ' ' || i < 0 || i >= nobj)
		return NULL;
	*rest = end + 1;
	return &objs[i];
}

static const char *label_of(const char *line, char *buf, size_t len)
{
	const char *sp = strchr(line, ' ');
	size_t n = sp ? (size_t)(sp - line) : strlen(line);
	snprintf(buf, len, "%.*s", (int)n, line);
	return buf;
}

int ec_sslcal_check(const char *report, size_t n, struct ec_sslcal_result *res, char *err,
		    size_t errlen)
{
	static struct robj objs[MAXOBJ];
	int nobj = 0, have_row = 0, ended = 0, lineno = 0, lines = 0;
	const char *p = report, *end = report + n;
	char line[4096];

	res->version[0] = res->note[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *rest;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct robj *o;
		lineno++;
		if (!nl || l >= sizeof(line) || memchr(p, '\0', l)) {
			say(err, errlen, "helper report line %d: %s", lineno,
			    !nl ? "not ended by a newline" : "too long or holds a NUL");
			return EC_ERR_PROTO;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl + 1;
		if (ended) {
			say(err, errlen, "helper report line %d: text after \"end\"", lineno);
			return EC_ERR_PROTO;
		}
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
				line[i] = '?';
		if (!strncmp(line, "error ", 6)) {
			say(err, errlen, "%s", line + 6);
			return EC_ERR_UNSUPPORTED;
		} else if (!strncmp(line, "version ", 8)) {
			snprintf(res->version, sizeof(res->version), "%.*s",
				 (int)sizeof(res->version) - 1, line + 8);
		} else if (!strncmp(line, "note ", 5)) {
			snprintf(res->note, sizeof(res->note), "%.*s", (int)sizeof(res->note) - 1,
				 line + 5);
		} else if (!strncmp(line, "row ", 4)) {
			size_t bad = 0;
			if (have_row || ec_sslrow_parse(line + 4, &res->off, &bad)) {
				say(err, errlen, "helper report line %d: bad row at byte %zu",
				    lineno, 4 + bad);
				return EC_ERR_PROTO;
			}
			have_row = 1;
		} else if (!strncmp(line, "obj ", 4)) {
			char role;
			unsigned idx, ver;
			int used = 0;
			if (sscanf(line + 4, "%u %c 0x%x%n", &idx, &role, &ver, &used) != 3 ||
			    line[4 + used] || (int)idx != nobj || nobj == MAXOBJ ||
			    (role != 'c' && role != 's')) {
				say(err, errlen, "helper report line %d: bad object", lineno);
				return EC_ERR_PROTO;
			}
			memset(&objs[nobj], 0, sizeof(objs[0]));
			objs[nobj].role = role;
			objs[nobj++].version = ver;
		} else if (!strncmp(line, "cb ", 3)) {
			if (!(o = obj_ref(objs, nobj, line + 3, &rest)) ||
			    strlen(rest) >= EC_SSLKEYS_LINE_MAX || add_line(rest, &o->cb)) {
				say(err, errlen, "helper report line %d: bad callback line",
				    lineno);
				return EC_ERR_PROTO;
			}
		} else if (!strncmp(line, "keys ", 5)) {
			if (!(o = obj_ref(objs, nobj, line + 5, &rest)) || o->have_keys ||
			    hexbytes(rest, &o->keys, sizeof(o->keys))) {
				say(err, errlen, "helper report line %d: bad key material", lineno);
				return EC_ERR_PROTO;
			}
			o->have_keys = 1;
		} else if (!strcmp(line, "end")) {
			ended = 1;
		} else {
			say(err, errlen, "helper report line %d: unknown item \"%.40s\"", lineno,
			    line);
			return EC_ERR_PROTO;
		}
	}
	if (!ended || !have_row) {
		say(err, errlen, "the helper's report ended early (no %s)",
		    have_row ? "\"end\"" : "row");
		return EC_ERR_PROTO;
	}

	/* every object: what the row reads must give exactly the callback's
	 * lines, both roles, TLS 1.2 and 1.3 */
	int seen = 0;
	for (int i = 0; i < nobj; i++) {
		struct robj *o = &objs[i];
		struct lineset ours = {0};
		char lab[64];
		int rc;
		if (!o->have_keys || !o->cb.n) {
			say(err, errlen, "object %d: %s", i,
			    !o->have_keys ? "not read through the row" : "no callback lines");
			return EC_ERR_PROTO;
		}
		if (o->keys.version != o->version) {
			say(err, errlen,
			    "object %d: the row reads TLS version %#x, the library says %#x", i,
			    o->keys.version, o->version);
			return EC_ERR_PROTO;
		}
		rc = ec_sslkeys_lines(&o->keys, add_line, &ours);
		if (rc < 0) {
			say(err, errlen,
			    "object %d (TLS %#x, %s): the row's material gives no key log "
			    "lines (%s)",
			    i, o->version, o->role == 's' ? "server" : "client", ec_strerror(rc));
			return EC_ERR_PROTO;
		}
		for (int j = 0; j < ours.n; j++)
			if (!has(&o->cb, ours.l[j])) {
				say(err, errlen,
				    "object %d: the row gives a line the library never logged (%s)",
				    i, label_of(ours.l[j], lab, sizeof(lab)));
				return EC_ERR_PROTO;
			}
		for (int j = 0; j < o->cb.n; j++) {
			const char *l = label_of(o->cb.l[j], lab, sizeof(lab));
			int optional = !strncmp(l, "CLIENT_EARLY", 12) ||
				       !strncmp(l, "EARLY_", 6) ||
				       ((res->off.flags & TLS_OFF_NO_HS) && strstr(l, "HANDSHAKE"));
			if (!optional && !has(&ours, o->cb.l[j])) {
				say(err, errlen, "object %d (%s): the row misses the %s line", i,
				    o->role == 's' ? "server" : "client", l);
				return EC_ERR_PROTO;
			}
		}
		seen |= (o->version == 0x0304 ? 1 : 2) << (o->role == 's' ? 2 : 0);
		lines += ours.n;
	}
	if (seen != 15) {
		say(err, errlen, "the report lacks a TLS 1.2 or 1.3 client or server");
		return EC_ERR_PROTO;
	}
	res->objects = nobj;
	res->lines = lines;
	return EC_OK;
}

/* --- the sandbox ---------------------------------------------------------- */

/* The seccomp allow-list, exported once as a classic BPF program: what a
 * dynamic loader, libc start-up, OpenSSL and the helper need, and no
 * sockets, no process creation, no ptrace, no writes to files (the mounts
 * are read-only and RLIMIT_FSIZE is 0 besides). */
static struct sock_fprog filter;

static int build_filter(void)
{
	static const char *allow[] = {
	    "read",
	    "write",
	    "readv",
	    "writev",
	    "pread64",
	    "close",
	    "fstat",
	    "newfstatat",
	    "statx",
	    "stat",
	    "lstat",
	    "lseek",
	    "mmap",
	    "mprotect",
	    "munmap",
	    "mremap",
	    "madvise",
	    "brk",
	    "openat",
	    "open",
	    "access",
	    "faccessat",
	    "faccessat2",
	    "readlink",
	    "readlinkat",
	    "getdents64",
	    "getcwd",
	    "fcntl",
	    "dup",
	    "dup2",
	    "dup3",
	    "exit",
	    "exit_group",
	    "rt_sigaction",
	    "rt_sigprocmask",
	    "rt_sigreturn",
	    "sigaltstack",
	    "getrandom",
	    "clock_gettime",
	    "clock_getres",
	    "gettimeofday",
	    "time",
	    "nanosleep",
	    "clock_nanosleep",
	    "getpid",
	    "gettid",
	    "getppid",
	    "getuid",
	    "geteuid",
	    "getgid",
	    "getegid",
	    "getresuid",
	    "getresgid",
	    "uname",
	    "futex",
	    "set_tid_address",
	    "set_robust_list",
	    "get_robust_list",
	    "rseq",
	    "arch_prctl",
	    "prlimit64",
	    "getrlimit",
	    "sched_getaffinity",
	    "sched_yield",
	    "sysinfo",
	    "process_vm_readv",
	    "execve",
	    "execveat",
	    "mincore",
	    "membarrier",
	    "restart_syscall",
	};
	scmp_filter_ctx ctx;
	char buf[32768];
	ssize_t n;
	int fd, rc = -1;

	if (filter.filter)
		return 0;
	if (!(ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))))
		return -1;
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allow[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			goto out;
	}
	/* libseccomp sets no_new_privs itself on load; we do it by hand */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if ((fd = memfd_create("ec-seccomp", MFD_CLOEXEC)) < 0)
		goto out;
	if (seccomp_export_bpf(ctx, fd) == 0 && (n = pread(fd, buf, sizeof(buf), 0)) > 0 &&
	    n % sizeof(struct sock_filter) == 0 && (filter.filter = malloc((size_t)n))) {
		memcpy(filter.filter, buf, (size_t)n);
		filter.len = (unsigned short)(n / sizeof(struct sock_filter));
		rc = 0;
	}
	close(fd);
out:
	seccomp_release(ctx);
	return rc;
}

/* The helper as an executable file descriptor (sealed memfd), made once. */
static int helper_fd(const char *path)
{
	static int fd = -1;
	size_t n = (size_t)(ec_sslcal_blob_end - ec_sslcal_blob);

	if (path)
		return open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	fd = memfd_create("ec-sslcal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write(fd, ec_sslcal_blob, n) != (ssize_t)n || fchmod(fd, 0555) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		close(fd);
		return fd = -1;
	}
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/* the fixed descriptor numbers in the child */
enum { FD_CRYPTO = 3, FD_SSL, FD_HELPER, FD_LOADER, FD_DIRS };
#define MAXDIRS 8

static void child_fail(const char *what)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "error sandbox: %s failed (errno %d)\n", what, errno);
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		_exit(126);
	_exit(126);
}

/* In the new namespaces, before the helper runs: only system calls from
 * here on (the parent may have threads; nothing here takes a lock). */
static void __attribute__((noreturn))
child(int out, int errfd, int *fds, int nfds, int execfd, char *const *argv, int cpu_s)
{
	struct rlimit rl;
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
	static const char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
	int devnull;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((devnull = open("/dev/null", O_RDONLY)) < 0 || dup2(devnull, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	/* the descriptors the helper gets, at fixed numbers above 2: dup them
	 * high first, so none overwrites another */
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0 && (fds[i] = fcntl(fds[i], F_DUPFD, 100)) < 0)
			child_fail("dup");
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0 && dup2(fds[i], FD_CRYPTO + i) < 0)
			child_fail("dup2");
	syscall(SYS_close_range, FD_CRYPTO + nfds, ~0u, 0);

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		child_fail("making mounts private");
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL))
		child_fail("making mounts read-only");
	rl.rlim_cur = rl.rlim_max = EC_SSLCAL_MEM_LIMIT;
	if (setrlimit(RLIMIT_AS, &rl))
		child_fail("RLIMIT_AS");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) || setrlimit(RLIMIT_CORE, &rl))
		child_fail("RLIMIT_FSIZE");
	/* a backstop only: the parent's wall clock ends it first */
	rl.rlim_cur = rl.rlim_max = (rlim_t)cpu_s;
	if (setrlimit(RLIMIT_CPU, &rl))
		child_fail("RLIMIT_CPU");
	rl.rlim_cur = rl.rlim_max = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		child_fail("RLIMIT_NOFILE");
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		child_fail("dropping to nobody");
	/* a uid change makes the process undumpable, which would hide
	 * /proc/self/fd (where the helper finds its files) from it */
	if (prctl(PR_SET_DUMPABLE, 1) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail("prctl");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter))
		child_fail("seccomp");
	syscall(SYS_execveat, execfd, "", argv, envp, AT_EMPTY_PATH);
	child_fail("exec");
	_exit(126);
}

/* Run the helper once: with the host's loader (loader_fd < 0) or with the
 * tree's own (loader_fd and the tree's library folders dirs).  The report
 * goes to rep (NUL-terminated), the helper's stderr tail to errtail. */
static int run(int cfd, int sfd, int hfd, int loader_fd, const int *dirs, int ndirs, int timeout_ms,
	       char *rep, size_t cap, size_t *replen, char *errtail, size_t errcap, int *status)
{
	int fds[FD_DIRS - FD_CRYPTO + MAXDIRS];
	int nfds = 0, op[2], ep[2], rc = EC_OK;
	char libpath[MAXDIRS * 24 + 1] = "", *argv[12];
	char fdarg[2][12], helper[32];
	size_t elen = 0;
	pid_t pid;

	fds[nfds++] = cfd;
	fds[nfds++] = sfd;
	fds[nfds++] = hfd;
	fds[nfds++] = loader_fd;
	for (int i = 0; i < ndirs; i++) {
		fds[nfds++] = dirs[i];
		snprintf(libpath + strlen(libpath), sizeof(libpath) - strlen(libpath),
			 "%s/proc/self/fd/%d", i ? ":" : "", FD_DIRS + i);
	}
	snprintf(fdarg[0], sizeof(fdarg[0]), "%d", FD_CRYPTO);
	snprintf(fdarg[1], sizeof(fdarg[1]), "%d", FD_SSL);
	snprintf(helper, sizeof(helper), "/proc/self/fd/%d", FD_HELPER);
	int a = 0;
	if (loader_fd >= 0) {
		argv[a++] = "ld.so";
		argv[a++] = "--inhibit-cache";
		argv[a++] = "--library-path";
		argv[a++] = libpath;
		argv[a++] = helper;
	} else {
		argv[a++] = "ec-sslcal";
	}
	argv[a++] = fdarg[0];
	argv[a++] = fdarg[1];
	argv[a] = NULL;

	if (pipe2(op, O_CLOEXEC))
		return EC_ERR_IO;
	if (pipe2(ep, O_CLOEXEC)) {
		close(op[0]), close(op[1]);
		return EC_ERR_IO;
	}
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone,
			     SIGCHLD | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
				 CLONE_NEWUTS,
			     NULL, NULL, NULL, NULL);
	if (pid == 0)
		child(op[1], ep[1], fds, nfds, loader_fd >= 0 ? FD_LOADER : FD_HELPER, argv,
		      timeout_ms / 1000 + 2);
	close(op[1]);
	close(ep[1]);
	if (pid < 0) {
		close(op[0]), close(ep[0]);
		return EC_ERR_IO;
	}

	unsigned long long deadline = now_us() + (unsigned long long)timeout_ms * 1000;
	struct pollfd pfd[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
	*replen = 0;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		long long left = (long long)(deadline - now_us()) / 1000;
		if (left <= 0 || poll(pfd, 2, (int)left) == 0) {
			rc = EC_ERR_BUSY; /* out of time: the child is killed below */
			break;
		}
		for (int i = 0; i < 2; i++) {
			char buf[4096];
			ssize_t n;
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 0) {
				if (*replen + (size_t)n >= cap) {
					rc = EC_ERR_TOOBIG;
					break;
				}
				memcpy(rep + *replen, buf, (size_t)n);
				*replen += (size_t)n;
				/* complete: what the library does after is not our business */
				if (*replen >= 5 && !memcmp(rep + *replen - 5, "\nend\n", 5)) {
					close(pfd[0].fd), close(pfd[1].fd);
					pfd[0].fd = pfd[1].fd = -1;
					break;
				}
			} else { /* keep the tail of stderr */
				for (ssize_t k = 0; k < n; k++) {
					if (elen + 1 >= errcap) {
						memmove(errtail, errtail + errcap / 2,
							elen - errcap / 2);
						elen -= errcap / 2;
					}
					errtail[elen++] = buf[k];
				}
			}
		}
		if (rc)
			break;
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	rep[*replen] = '\0';
	errtail[elen] = '\0';
	kill(pid, SIGKILL); /* nothing of it may outlive the call */
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

/* the tree's library folders, as the loader of that tree searches them */
static const char *const lib_dirs[] = {
    "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib",
};

static int find_crypto(int sfd, const char *libssl, int rootfd, const char *rel_dir, char *err,
		       size_t errlen)
{
	char name[256], path[PATH_MAX + 300];
	const char *slash = strrchr(libssl, '/');
	int fd = -1;

	if (needed(sfd, "libcrypto", name, sizeof(name)))
		/* one file with both halves (no DT_NEEDED libcrypto) */
		return fcntl(sfd, F_DUPFD_CLOEXEC, 0);
	if (rootfd >= 0) {
		snprintf(path, sizeof(path), "%s/%s", rel_dir, name);
		fd = open_in(rootfd, path, O_RDONLY);
	} else {
		snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - libssl + 1) : 0,
			 libssl, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	for (size_t i = 0; fd < 0 && i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		snprintf(path, sizeof(path), "/%s/%s", lib_dirs[i], name);
		fd = rootfd >= 0 ? open_in(rootfd, path, O_RDONLY)
				 : open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		say(err, errlen, "%s needs %s, found neither beside it nor in the library folders",
		    libssl, name);
	return fd;
}

int ec_sslcal_row(const char *libssl, const struct ec_sslcal_opts *opts,
		  struct ec_sslcal_result *res, char *err, size_t errlen)
{
	struct ec_sslcal_opts o = opts ? *opts : (struct ec_sslcal_opts){0};
	unsigned long long t0 = now_us();
	int sfd = -1, cfd = -1, hfd = -1, rootfd = -1, loader = -1, dirs[MAXDIRS], ndirs = 0;
	int rc, status = 0;
	char rel_dir[PATH_MAX] = "", *rep = NULL, errtail[512];
	size_t replen = 0;

	memset(res, 0, sizeof(*res));
	if (!o.timeout_ms)
		o.timeout_ms = EC_SSLCAL_TIMEOUT_MS;
	if (o.root && !strcmp(o.root, "/"))
		o.root = NULL;

	if ((sfd = open(libssl, O_RDONLY | O_CLOEXEC)) < 0) {
		say(err, errlen, "%s: %s", libssl, strerror(errno));
		return EC_ERR_IO;
	}
	if ((rc = ec_sslcal_file_id(sfd, res->id, sizeof(res->id)))) {
		say(err, errlen, "%s: %s", libssl,
		    rc == EC_ERR_UNSUPPORTED ? "not an ELF shared library" : strerror(errno));
		goto out;
	}
	if (o.cache_dir && *o.cache_dir && cache_get(o.cache_dir, res->id, res) == 0) {
		res->cached = 1;
		rc = EC_OK;
		goto out;
	}
	if (o.root) {
		size_t rl = strlen(o.root);
		if ((rootfd = open(o.root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
			say(err, errlen, "root %s: %s", o.root, strerror(errno));
			rc = EC_ERR_IO;
			goto out;
		}
		/* the library's folder inside the tree, for its libcrypto */
		if (!strncmp(libssl, o.root, rl) && libssl[rl] == '/') {
			const char *slash = strrchr(libssl, '/');
			snprintf(rel_dir, sizeof(rel_dir), "%.*s", (int)(slash - libssl - rl),
				 libssl + rl);
		}
	}
	if ((cfd = find_crypto(sfd, libssl, rootfd, rel_dir, err, errlen)) < 0) {
		rc = EC_ERR_NOTFOUND;
		goto out;
	}
	if (build_filter() || (hfd = helper_fd(o.helper)) < 0 ||
	    !(rep = malloc(EC_SSLCAL_REPORT_MAX))) {
		say(err, errlen, "cannot set up the calibration sandbox: %s", strerror(errno));
		rc = EC_ERR_IO;
		goto out;
	}
	if (rootfd >= 0) {
		/* /lib64 is a symlink made by the system, not by libc6's package:
		 * an unpacked tree has only the /usr paths */
		static const char *const loaders[] = {
		    "lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2",
		    "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		    "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"};
		for (size_t i = 0; loader < 0 && i < sizeof(loaders) / sizeof(loaders[0]); i++)
			loader = open_in(rootfd, loaders[i], O_RDONLY);
		if (rel_dir[0] &&
		    (dirs[ndirs] = open_in(rootfd, rel_dir, O_PATH | O_DIRECTORY)) >= 0)
			ndirs++;
		for (size_t i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]) && ndirs < MAXDIRS;
		     i++)
			if ((dirs[ndirs] = open_in(rootfd, lib_dirs[i], O_PATH | O_DIRECTORY)) >= 0)
				ndirs++;
	}

	/* the tree's own loader first (its glibc matches its libraries), then
	 * the host's (a tree that is older than the helper's glibc) */
	for (int pass = loader >= 0 ? 0 : 1; pass < 2; pass++) {
		errtail[0] = '\0';
		rc = run(cfd, sfd, hfd, pass == 0 ? loader : -1, dirs, pass == 0 ? ndirs : 0,
			 o.timeout_ms, rep, EC_SSLCAL_REPORT_MAX, &replen, errtail, sizeof(errtail),
			 &status);
		if (rc == EC_ERR_BUSY) {
			say(err, errlen, "the calibration helper ran out of time (%d ms): killed",
			    o.timeout_ms);
			goto out;
		}
		if (rc == EC_ERR_TOOBIG) {
			say(err, errlen, "the calibration helper wrote more than %u bytes: killed",
			    EC_SSLCAL_REPORT_MAX);
			rc = EC_ERR_PROTO;
			goto out;
		}
		if (rc) {
			say(err, errlen, "cannot run the calibration helper: %s", strerror(errno));
			goto out;
		}
		if (replen > 0)
			break;
		/* nothing at all: the loader refused the helper; try the next */
	}
	if (replen == 0) {
		char *nl;
		while ((nl = strchr(errtail, '\n')) && nl[1])
			memmove(errtail, nl + 1, strlen(nl + 1) + 1);
		if ((nl = strchr(errtail, '\n')))
			*nl = '\0';
		if (WIFSIGNALED(status))
			say(err, errlen, "the calibration helper died of signal %d%s%s",
			    WTERMSIG(status), errtail[0] ? ": " : "", errtail);
		else
			say(err, errlen, "the calibration helper gave no report%s%s",
			    errtail[0] ? ": " : "", errtail[0] ? errtail : "");
		rc = EC_ERR_BUSY;
		goto out;
	}
	if ((rc = ec_sslcal_check(rep, replen, res, err, errlen)))
		goto out;
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
		say(err, errlen, "the calibration helper died of signal %d", WTERMSIG(status));
		rc = EC_ERR_BUSY;
		goto out;
	}
	if (o.cache_dir && *o.cache_dir)
		rc = cache_put(o.cache_dir, res->id, res, err, errlen);
out:
	res->us = (unsigned)(now_us() - t0);
	free(rep);
	for (int i = 0; i < ndirs; i++)
		close(dirs[i]);
	int fds[] = {sfd, cfd, hfd, rootfd, loader};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}
