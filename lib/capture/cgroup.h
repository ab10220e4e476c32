/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroup v2 in user space: a cgroup's id (the inode number of its directory
 * in the cgroup2 file system, what bpf_get_current_cgroup_id() returns), its
 * path below the cgroup2 root, and the container that path names as the
 * runtimes lay them out (ID is 64 hex digits, NAME a systemd-escaped
 * machine name, UID a Kubernetes pod UID):
 *   docker          /docker/ID, docker-ID.scope
 *   containerd      cri-containerd-ID.scope, nerdctl-ID.scope, /containerd/ID,
 *                   /kubepods/CLASS/podUID/ID (cgroupfs: the runtime is not
 *                   in the path; containerd is taken)
 *   cri-o           crio-ID.scope, crio-ID (cgroupfs)
 *   podman          libpod-ID.scope (and its .../container), libpod-ID
 *   nspawn          systemd-nspawn@NAME.service, /machine.slice/machine-NAME.scope
 *                   (machined registers libvirt's VMs the same way), and
 *                   everything below them but the "supervisor" child, which
 *                   holds systemd-nspawn itself
 *   Kubernetes      the pod of the above: kubepods[-CLASS]-podUID.slice
 *                   (systemd driver, '-' escaped as '_') or /kubepods/.../podUID
 * Monitors are not containers: crio-conmon-ID.scope and libpod-conmon-ID.scope
 * hold conmon, a host process, so they name no container (nor does a pod's
 * own cgroup). The innermost container of a path wins: docker in an nspawn
 * machine is docker.
 *
 * The functions that touch the file system find the cgroup2 mount once (in
 * /proc/self/mountinfo) and keep it open for the life of the process
 * (ec_cgroup_close releases it). They are not thread-safe.
 */
#ifndef EC_CGROUP_H
#define EC_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ec_cgroup_info {
	const char *kind; /* "docker", "containerd", "cri-o", "podman", "nspawn"; NULL: none */
	char id[128];	  /* container id (lower or upper hex as the path has it) or machine name */
	char pod_uid[64]; /* Kubernetes pod UID, '-' separated; "" outside a pod */
};

/*
 * The container the cgroup path (as /proc/PID/cgroup has it after "0::")
 * names: 0, or EC_ERR_NOTFOUND with *out zeroed (EC_ERR_INVAL: path NULL).
 * Any length is safe; a name that would not fit in id is no container.
 */
int ec_cgroup_container(const char *path, struct ec_cgroup_info *out);

/* The cgroup2 mount point (e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified), NULL if none. */
const char *ec_cgroup_mount(void);

/*
 * The path below the cgroup2 root (from '/', the root itself is "/") of
 * cgroup id, by open_by_handle_at (CAP_DAC_READ_SEARCH). 0, EC_ERR_NOTFOUND
 * (no such cgroup, or removed), EC_ERR_TOOBIG (longer than len),
 * EC_ERR_UNSUPPORTED (no cgroup2 mounted), EC_ERR_IO (errno kept: EPERM
 * when open_by_handle_at is refused).
 */
int ec_cgroup_path_of_id(uint64_t id, char *out, size_t len);

/*
 * The cgroup v2 path of process pid (0: the caller), the "0::" line of
 * /proc/PID/cgroup, relative to the caller's cgroup namespace; a removed
 * cgroup's " (deleted)" is dropped. 0, EC_ERR_NOTFOUND (no such process or
 * no v2 line), EC_ERR_TOOBIG, EC_ERR_IO (errno kept), EC_ERR_INVAL (pid < 0).
 */
int ec_cgroup_path_of_pid(pid_t pid, char *out, size_t len);

/*
 * The id of a cgroup given by its path below the cgroup2 root (with or
 * without the leading '/'; "" and "/" are the root) or as an absolute path
 * under the mount point (which wins when both could be meant). 0,
 * EC_ERR_NOTFOUND (no such cgroup directory), EC_ERR_INVAL (NULL, or a ".."
 * component), EC_ERR_UNSUPPORTED (no cgroup2 mounted), EC_ERR_IO.
 */
int ec_cgroup_id_of_path(const char *path, uint64_t *id);

/*
 * The ids of every cgroup whose container (ec_cgroup_container of its path)
 * has an id starting with prefix (case-insensitive; "" is any container),
 * the cgroups below a container's own included, 32 levels deep at most.
 * Up to max into ids, their count in *n. 0 (*n may be 0), EC_ERR_TOOBIG
 * (more than max: the first max are in ids), EC_ERR_INVAL,
 * EC_ERR_UNSUPPORTED (no cgroup2 mounted), EC_ERR_IO (errno kept).
 */
int ec_cgroup_find_containers(const char *prefix, uint64_t *ids, size_t max, size_t *n);

/* What a cgroup id resolves to. */
#define EC_CGROUP_PATH_LEN 512
struct ec_cgroup_entry {
	uint64_t id;		       /* 0: an empty slot */
	int found;		       /* path is known */
	pid_t pid;		       /* the pid a failed lookup tried */
	char path[EC_CGROUP_PATH_LEN]; /* from '/', cut to fit; "" when not found */
	struct ec_cgroup_info info;    /* from the whole path; info.kind NULL: no container */
};

/*
 * A fixed table of ids (direct-mapped: a new id evicts the one in its slot;
 * it never grows), about 180 KiB: make it static or calloc it, not on the
 * stack. All zero is empty.
 */
#define EC_CGROUP_CACHE_BITS 8
struct ec_cgroup_cache {
	struct ec_cgroup_entry e[1 << EC_CGROUP_CACHE_BITS];
	int by_pid_only; /* open_by_handle_at was refused: not tried again */
};

/*
 * The entry of cgroup id, resolved on a miss by id (ec_cgroup_path_of_id),
 * else by pid (ec_cgroup_path_of_pid, pid > 0; taken only if that path is
 * not a different live cgroup: the process may have moved). Cgroup ids are
 * never reused, so a found entry stays true; a failure is cached too, and
 * tried again only for another pid. id 0 is resolved by pid every time.
 * Never NULL; valid until the next ec_cgroup_lookup on the same cache.
 */
const struct ec_cgroup_entry *ec_cgroup_lookup(struct ec_cgroup_cache *c, uint64_t id, pid_t pid);

/* Close the cgroup2 mount kept open and forget it (found again if needed). */
void ec_cgroup_close(void);

#endif
