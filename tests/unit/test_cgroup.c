// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/cgroup: the container a cgroup path names, cgroup ids and paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"

#define D1 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D2 "7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730"
#define UID "0f8c2a3e-5b1d-4c7a-9e2f-6a1b3c4d5e6f"
#define UID_ "0f8c2a3e_5b1d_4c7a_9e2f_6a1b3c4d5e6f"   /* as the systemd driver writes it */
#define STATIC_UID "6e5f1b2c3d4a5b6c7d8e9f0a1b2c3d4e" /* a static pod's: a hash */
#define BURSTABLE "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"

static const struct {
	const char *path, *kind, *id, *pod;
} forms_cases[] = {
    /* docker: systemd driver, cgroupfs, a cgroup below its own, nested */
    {"/system.slice/docker-" D1 ".scope", "docker", D1, ""},
    {"/docker/" D1, "docker", D1, ""},
    {"/system.slice/docker-" D1 ".scope/init.scope", "docker", D1, ""},
    {"/docker/" D1 "/docker/" D2, "docker", D2, ""},
    {"system.slice//docker-" D1 ".scope/", "docker", D1, ""},
    /* containerd on its own, and nerdctl's */
    {"/containerd/" D1, "containerd", D1, ""},
    {"/system.slice/nerdctl-" D1 ".scope", "containerd", D1, ""},
    /* cri-o, systemd driver and cgroupfs */
    {"/machine.slice/crio-" D1 ".scope", "cri-o", D1, ""},
    {"/kubepods/besteffort/pod" UID "/crio-" D1, "cri-o", D1, UID},
    /* podman: root, its container sub-cgroup, cgroupfs, rootless */
    {"/machine.slice/libpod-" D1 ".scope", "podman", D1, ""},
    {"/machine.slice/libpod-" D1 ".scope/container", "podman", D1, ""},
    {"/libpod_parent/libpod-" D1, "podman", D1, ""},
    {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" D1 ".scope/container",
     "podman", D1, ""},
    /* systemd-nspawn: the service, machined's scope, what runs inside */
    {"/machine.slice/systemd-nspawn@web.service", "nspawn", "web", ""},
    {"/machine.slice/systemd-nspawn@web.service/payload/system.slice/nginx.service", "nspawn",
     "web", ""},
    {"/machine.slice/machine-web\\x2d1.scope", "nspawn", "web-1", ""},
    {"/machine.slice/machine-web\\x2d1.scope/payload/init.scope", "nspawn", "web-1", ""},
    /* the innermost container wins; nspawn's supervisor is nspawn itself */
    {"/machine.slice/systemd-nspawn@box.service/payload/system.slice/docker-" D2 ".scope", "docker",
     D2, ""},
    {"/docker/" D1 "/machine.slice/machine-box.scope/supervisor", "docker", D1, ""},
    {"/machine.slice/machine-a.scope/payload/machine.slice/machine-b.scope", "nspawn", "b", ""},
    /* Kubernetes, systemd driver: the three QoS classes, every runtime */
    {BURSTABLE "/cri-containerd-" D1 ".scope", "containerd", D1, UID},
    {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
     ".slice/cri-containerd-" D1 ".scope",
     "containerd", D1, UID},
    {"/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" D1 ".scope", "containerd", D1,
     UID},
    {BURSTABLE "/crio-" D1 ".scope", "cri-o", D1, UID},
    {BURSTABLE "/crio-" D1 ".scope/container", "cri-o", D1, UID},
    {BURSTABLE "/docker-" D1 ".scope", "docker", D1, UID},
    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_UID
     ".slice/cri-containerd-" D1 ".scope",
     "containerd", D1, STATIC_UID},
    /* Kubernetes, cgroupfs driver */
    {"/kubepods/burstable/pod" UID "/" D1, "containerd", D1, UID},
    {"/kubepods/pod" UID "/" D1, "containerd", D1, UID},
    /* kind: a node in a docker container, kubelet's slices prefixed */
    {"/docker/" D1 "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
     "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" D2 ".scope",
     "containerd", D2, UID},
    /* a pod inside the container is not the container's */
    {"/docker/" D1 "/kubepods/besteffort/pod" UID, "docker", D1, ""},
};

static void forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof forms_cases / sizeof *forms_cases; i++) {
		struct ec_cgroup_info c;
		const char *path = forms_cases[i].path;
		if (ec_cgroup_container(path, &c) != 0)
			fail_msg("no container in %s", path);
		assert_string_equal(c.kind, forms_cases[i].kind);
		assert_string_equal(c.id, forms_cases[i].id);
		assert_string_equal(c.pod_uid, forms_cases[i].pod);
	}
}

static const char *const not_cases[] = {
    "/",
    "",
    "//",
    "/init.scope",
    "/user.slice/user-0.slice/session-1.scope",
    "/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service",
    "/system.slice/docker.service",
    "/system.slice/containerd.service",
    "/system.slice/docker-xyz.scope",
    /* not hex, one digit short, one too many, a suffix after */
    "/system.slice/docker-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z.scope",
    "/system.slice/docker-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85.scope",
    "/system.slice/docker-" D1 "0.scope",
    "/system.slice/docker-" D1 ".scope.bak",
    "/docker/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
    "/docker-",
    "/docker-.scope",
    /* monitors: conmon runs on the host's side */
    "/machine.slice/libpod-conmon-" D1 ".scope",
    "/machine.slice/crio-conmon-" D1 ".scope",
    BURSTABLE "/crio-conmon-" D1 ".scope",
    "/machine.slice/systemd-nspawn@box.service/supervisor",
    "/machine.slice/machine-box.scope/supervisor",
    /* a pod's own cgroup; a bare id under no runtime's folder */
    BURSTABLE,
    "/kubepods/burstable/pod" UID,
    "/" D1,
    "/system.slice/" D1,
    /* machine names: empty, a template, outside machine.slice, NUL or '/' */
    "/machine.slice/machine-.scope",
    "/machine.slice/systemd-nspawn@.service",
    "/system.slice/machine-web.scope",
    "/machine.slice/machine-a\\x00b.scope",
    "/machine.slice/machine-a\\x2fb.scope",
};

static void not_containers(void **state)
{
	(void)state;
	struct ec_cgroup_info c;
	for (size_t i = 0; i < sizeof not_cases / sizeof *not_cases; i++) {
		memset(&c, 0x55, sizeof c);
		if (ec_cgroup_container(not_cases[i], &c) != EC_ERR_NOTFOUND)
			fail_msg("%s: a %s container %s", not_cases[i], c.kind, c.id);
		assert_null(c.kind);
		assert_string_equal(c.id, "");
		assert_string_equal(c.pod_uid, "");
	}
	assert_int_equal(ec_cgroup_container(NULL, &c), EC_ERR_INVAL);
}

/* 10,000 bytes: one component, many, many almost-forms, one form at the end. */
static void long_paths(void **state)
{
	(void)state;
	struct ec_cgroup_info c;
	size_t len = 10000;
	char *big = malloc(len + 1);
	assert_non_null(big);
	memset(big, 'a', len);
	big[len] = '\0';
	assert_int_equal(ec_cgroup_container(big, &c), EC_ERR_NOTFOUND);
	big[0] = '/';
	assert_int_equal(ec_cgroup_container(big, &c), EC_ERR_NOTFOUND);
	for (size_t i = 0; i < len; i += 2)
		big[i] = '/';
	assert_int_equal(ec_cgroup_container(big, &c), EC_ERR_NOTFOUND);
	/* a 9,900-byte machine name does not fit in id: no container */
	memset(big, 'm', len);
	memcpy(big, "/machine.slice/machine-", 23);
	memcpy(big + len - 6, ".scope", 6);
	assert_int_equal(ec_cgroup_container(big, &c), EC_ERR_NOTFOUND);
	/* /docker/docker/... and a real one last */
	const char *tail = "/docker-" D1 ".scope";
	size_t tl = strlen(tail), o = 0;
	while (o + 7 + tl <= len) {
		memcpy(big + o, "/docker", 7);
		o += 7;
	}
	memcpy(big + o, tail, tl + 1);
	assert_int_equal(ec_cgroup_container(big, &c), 0);
	assert_string_equal(c.kind, "docker");
	assert_string_equal(c.id, D1);
	free(big);
}

/* systemd's \xNN escapes in machine names, and what is not one. */
static void unescape(void **state)
{
	(void)state;
	static const struct {
		const char *path, *name;
	} cases[] = {
	    {"/machine.slice/machine-a\\x2db\\x2Dc.scope", "a-b-c"},
	    {"/machine.slice/systemd-nspawn@my\\x2dbox.service", "my-box"},
	    {"/machine.slice/machine-qemu\\x2d1\\x2dwin11.scope", "qemu-1-win11"},
	    {"/machine.slice/machine-a\\x2.scope", "a\\x2"},
	    {"/machine.slice/machine-a\\xZZ.scope", "a\\xZZ"},
	    {"/machine.slice/machine-a\\.scope", "a\\"},
	    {"/machine.slice/machine-\\x5cx2d.scope", "\\x2d"}, /* unescaped once */
	};
	struct ec_cgroup_info c;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_int_equal(ec_cgroup_container(cases[i].path, &c), 0);
		assert_string_equal(c.kind, "nspawn");
		assert_string_equal(c.id, cases[i].name);
	}
	/* 127 bytes fit in id, 128 do not */
	char path[256], name[129];
	memset(name, 'n', 128);
	name[127] = '\0';
	snprintf(path, sizeof path, "/machine.slice/machine-%s.scope", name);
	assert_int_equal(ec_cgroup_container(path, &c), 0);
	assert_int_equal(strlen(c.id), 127);
	name[127] = 'n';
	name[128] = '\0';
	snprintf(path, sizeof path, "/machine.slice/machine-%s.scope", name);
	assert_int_equal(ec_cgroup_container(path, &c), EC_ERR_NOTFOUND);
}

/* ---- live, on this machine's cgroup2 ---- */

#define CGROUP2_SUPER_MAGIC 0x63677270

/* The cgroup2 mount, checked independently of the library; NULL skips. */
static const char *cgroup2(void)
{
	struct statfs sf;
	const char *m = ec_cgroup_mount();
	if (!m || statfs(m, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)
		return NULL;
	return m;
}

static uint64_t ino(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Our own cgroup, and the root: id from path and back. */
static void self(void **state)
{
	(void)state;
	char line[4096], own[4096] = "", path[4096], full[8192];
	uint64_t id, id2;
	const char *m = cgroup2();
	if (!m)
		skip();
	FILE *f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(own, sizeof own, "%s", line + 3);
		}
	fclose(f);
	assert_true(own[0] == '/');
	assert_int_equal(ec_cgroup_path_of_pid(0, path, sizeof path), 0);
	assert_string_equal(path, own);
	assert_int_equal(ec_cgroup_path_of_pid(getpid(), path, sizeof path), 0);
	assert_string_equal(path, own);

	/* the root */
	assert_int_equal(ec_cgroup_id_of_path("/", &id), 0);
	assert_int_equal(id, ino(m));
	assert_int_equal(ec_cgroup_id_of_path("", &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(ec_cgroup_id_of_path(m, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(ec_cgroup_path_of_id(id, path, sizeof path), 0);
	assert_string_equal(path, "/");

	/* ours: relative, with and without '/', absolute */
	snprintf(full, sizeof full, "%s%s", m, strcmp(own, "/") ? own : "");
	assert_int_equal(ec_cgroup_id_of_path(own, &id), 0);
	assert_int_equal(id, ino(full));
	assert_int_equal(ec_cgroup_id_of_path(own + 1, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(ec_cgroup_id_of_path(full, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(ec_cgroup_path_of_id(id, path, sizeof path), 0);
	assert_string_equal(path, own);
	assert_int_equal(ec_cgroup_path_of_id(id, path, 1), EC_ERR_TOOBIG);

	/* what is not a cgroup */
	assert_int_equal(ec_cgroup_id_of_path("/../etc", &id), EC_ERR_INVAL);
	assert_int_equal(ec_cgroup_id_of_path("a/../..", &id), EC_ERR_INVAL);
	assert_int_equal(ec_cgroup_id_of_path("..", &id), EC_ERR_INVAL);
	assert_int_equal(ec_cgroup_id_of_path("/...", &id), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_id_of_path("/no/such/cgroup", &id), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_id_of_path("/cgroup.procs", &id), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_path_of_id(~0ull - 7, path, sizeof path), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_path_of_pid(2147483646, path, sizeof path), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_path_of_pid(-1, path, sizeof path), EC_ERR_INVAL);

	/* closed, then found again */
	ec_cgroup_close();
	assert_int_equal(ec_cgroup_id_of_path(own, &id2), 0);
	assert_int_equal(id2, id);
}

/*
 * Made-up containers, their ids ours ("ec" or "ed" and our pid in 6 hex
 * digits, so that no other run's can match):
 * mount/ec-unit-PID/{docker-H.scope{,/sub},crio-conmon-H.scope,libpod-H2.scope}
 */
#define REST "98fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
enum { BASE, SCOPE, SUB, CONMON, POD, NMADE };
static char dirs[NMADE][1024], h[65], h2[65], pre[9];
static int live; /* the directories were made */

static int made_setup(void **state)
{
	(void)state;
	const char *m = cgroup2();
	int pid = (int)getpid();
	live = 0;
	memset(dirs, 0, sizeof dirs);
	if (!m)
		return 0;
	snprintf(pre, sizeof pre, "ec%06x", pid & 0xffffff);
	snprintf(h, sizeof h, "%s%s", pre, REST);
	snprintf(h2, sizeof h2, "ed%06x%s", pid & 0xffffff, REST);
	char made[NMADE][96] = {""};
	snprintf(made[SCOPE], sizeof made[SCOPE], "/docker-%s.scope", h);
	snprintf(made[SUB], sizeof made[SUB], "/docker-%s.scope/sub", h);
	snprintf(made[CONMON], sizeof made[CONMON], "/crio-conmon-%s.scope", h);
	snprintf(made[POD], sizeof made[POD], "/libpod-%s.scope", h2);
	for (int i = 0; i < NMADE; i++)
		snprintf(dirs[i], sizeof dirs[i], "%s/ec-unit-%d%s", m, pid, made[i]);
	for (int i = 0; i < NMADE; i++)
		if (mkdir(dirs[i], 0755) && errno != EEXIST) {
			if (errno == EACCES || errno == EPERM || errno == EROFS)
				return 0; /* the test skips */
			return -1;
		}
	live = 1;
	return 0;
}

static int made_teardown(void **state)
{
	(void)state;
	for (int i = NMADE - 1; i >= 0; i--)
		if (dirs[i][0])
			rmdir(dirs[i]);
	return 0;
}

static int has(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static void find(void **state)
{
	(void)state;
	uint64_t ids[1024], id[NMADE];
	size_t n;
	char path[4096], want[1024];
	if (!live)
		skip();
	for (int i = 0; i < NMADE; i++)
		id[i] = ino(dirs[i]);
	snprintf(want, sizeof want, "/ec-unit-%d/docker-%s.scope", (int)getpid(), h);
	assert_int_equal(ec_cgroup_path_of_id(id[SCOPE], path, sizeof path), 0);
	assert_string_equal(path, want);
	uint64_t back;
	assert_int_equal(ec_cgroup_id_of_path(want, &back), 0);
	assert_int_equal(back, id[SCOPE]);

	/* 8 digits: the container and the cgroup below it, not conmon's */
	assert_int_equal(ec_cgroup_find_containers(pre, ids, 1024, &n), 0);
	assert_int_equal(n, 2);
	assert_true(has(ids, n, id[SCOPE]));
	assert_true(has(ids, n, id[SUB]));
	assert_false(has(ids, n, id[CONMON]));
	assert_false(has(ids, n, id[POD]));
	assert_false(has(ids, n, id[BASE]));
	/* any case; the whole id; the other container */
	char upper[9];
	for (int i = 0; i < 9; i++)
		upper[i] = (char)toupper((unsigned char)pre[i]);
	assert_int_equal(ec_cgroup_find_containers(upper, ids, 1024, &n), 0);
	assert_int_equal(n, 2);
	assert_true(has(ids, n, id[SCOPE]) && has(ids, n, id[SUB]));
	assert_int_equal(ec_cgroup_find_containers(h, ids, 1024, &n), 0);
	assert_true(has(ids, n, id[SCOPE]) && has(ids, n, id[SUB]));
	assert_int_equal(ec_cgroup_find_containers(h2, ids, 1024, &n), 0);
	assert_int_equal(n, 1);
	assert_true(has(ids, n, id[POD]));
	assert_false(has(ids, n, id[SCOPE]));
	/* "" is every container: ours among them */
	assert_int_equal(ec_cgroup_find_containers("", ids, 1024, &n), 0);
	assert_true(has(ids, n, id[SCOPE]) && has(ids, n, id[POD]));
	/* no room: the first max, and TOOBIG */
	assert_int_equal(ec_cgroup_find_containers(pre, ids, 1, &n), EC_ERR_TOOBIG);
	assert_int_equal(n, 1);
	assert_true(ids[0] == id[SCOPE] || ids[0] == id[SUB]);
	char other[16];
	snprintf(other, sizeof other, "%sffff", pre);
	assert_int_equal(ec_cgroup_find_containers(other, ids, 1024, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ec_cgroup_find_containers(NULL, ids, 1024, &n), EC_ERR_INVAL);

	/* removed: its id names nothing any more */
	assert_int_equal(rmdir(dirs[SUB]), 0);
	assert_int_equal(ec_cgroup_path_of_id(id[SUB], path, sizeof path), EC_ERR_NOTFOUND);
	assert_int_equal(ec_cgroup_find_containers(pre, ids, 1024, &n), 0);
	assert_int_equal(n, 1);
	assert_false(has(ids, n, id[SUB]));
}

static void cache(void **state)
{
	(void)state;
	const struct ec_cgroup_entry *e, *e2;
	char own[4096];
	if (!live)
		skip();
	struct ec_cgroup_cache *c = calloc(1, sizeof *c);
	assert_non_null(c);
	uint64_t scope = ino(dirs[SCOPE]), bogus = ~0ull - 7;

	/* by id */
	e = ec_cgroup_lookup(c, scope, 0);
	assert_int_equal(e->id, scope);
	assert_true(e->found);
	assert_string_equal(e->path, dirs[SCOPE] + strlen(ec_cgroup_mount()));
	assert_string_equal(e->info.kind, "docker");
	assert_string_equal(e->info.id, h);
	assert_ptr_equal(ec_cgroup_lookup(c, scope, 0), e); /* a hit */

	/* no such id: not found, and remembered */
	e = ec_cgroup_lookup(c, bogus, 0);
	assert_int_equal(e->id, bogus);
	assert_false(e->found);
	assert_null(e->info.kind);
	assert_string_equal(e->path, "");
	assert_ptr_equal(ec_cgroup_lookup(c, bogus, 0), e);
	/* a pid now in another cgroup does not make it found */
	e = ec_cgroup_lookup(c, bogus, getpid());
	assert_false(e->found);

	/* id 0 (unknown): by pid */
	assert_int_equal(ec_cgroup_path_of_pid(0, own, sizeof own), 0);
	e = ec_cgroup_lookup(c, 0, getpid());
	assert_true(e->found);
	assert_string_equal(e->path, own);
	e = ec_cgroup_lookup(c, 0, 0);
	assert_false(e->found);

	/* more ids than slots: every answer still right */
	for (uint64_t i = 0; i < 1024; i++) {
		e = ec_cgroup_lookup(c, bogus - 1 - i * 3, 0);
		assert_false(e->found);
	}
	e2 = ec_cgroup_lookup(c, scope, 0);
	assert_true(e2->found);
	assert_string_equal(e2->info.id, h);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(forms),
	    cmocka_unit_test(not_containers),
	    cmocka_unit_test(long_paths),
	    cmocka_unit_test(unescape),
	    cmocka_unit_test(self),
	    cmocka_unit_test_setup_teardown(find, made_setup, made_teardown),
	    cmocka_unit_test_setup_teardown(cache, made_setup, made_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	ec_cgroup_close();
	return failed;
}
