/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every executable file any process on the host maps, in any mount
 * namespace (Pixie's SSL tracer does the same): a scan of /proc/PID/maps
 * for all processes at start, of one process when the kernel side says it
 * mapped a file not seen before (bpf/files.bpf.h), and a check now and then
 * that the files hooked still exist. Each distinct file (device + inode) is
 * looked at once: the module says whether it wants it and hooks it, through
 * struct ec_hostscan_ops. A file inside a container is opened through
 * /proc/PID/root of a process that maps it.
 */
#ifndef EC_HOSTSCAN_H
#define EC_HOSTSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cJSON;

/* One distinct file, as the module sees it in want/hook/unhook. */
struct ec_hostscan_file {
	uint64_t ino;
	uint32_t dev;	   /* major << 20 | minor: the kernel's s_dev */
	pid_t pid;	   /* the process it was found in */
	char *path;	   /* as that process names it */
	char *open;	   /* where this process opens it: path, or /proc/PID/root/path */
	int hooked;	   /* hook succeeded; unhook not yet called */
	int fd;		   /* held while hooked, to tell when it is deleted; -1 none */
	int64_t hooked_at; /* wall clock, ns */
	void *priv;	   /* the module's */
};

struct ec_hostscan_ops {
	/* 1 when the module hooks this file (f->open is readable now), else 0 */
	int (*want)(void *ctx, struct ec_hostscan_file *f);
	/* hook it: 0, or negative after a message (not tried again) */
	int (*hook)(void *ctx, struct ec_hostscan_file *f);
	/* it is gone (deleted and mapped by no process): release it */
	void (*unhook)(void *ctx, struct ec_hostscan_file *f);
	/* a fact for the run log */
	void (*say)(void *ctx, const char *msg);
};

struct ec_hostscan;

/* A scanner that hooks at most max files. NULL when out of memory. */
struct ec_hostscan *ec_hostscan_new(const struct ec_hostscan_ops *ops, void *ctx, unsigned max);

/* Free the table (no unhook: the module detaches its own). NULL is fine. */
void ec_hostscan_free(struct ec_hostscan *h);

/* A file the module hooked on its own (path in this mount namespace): the
 * scan will not hook it again. 0, or EC_ERR_IO when it cannot be stat'ed. */
int ec_hostscan_known(struct ec_hostscan *h, const char *path, void *priv);

/* What one scan found. */
struct ec_hostscan_stats {
	unsigned processes; /* maps files read */
	unsigned files;	    /* distinct executable files not seen before */
	unsigned hooked;    /* of those, hooked now */
	int64_t ns;	    /* time taken */
};

/* Scan every process. 0, or EC_ERR_IO when /proc cannot be read. */
int ec_hostscan_all(struct ec_hostscan *h, struct ec_hostscan_stats *st);

/* Scan one process: the count of files it maps not seen before (0 or
 * more), or EC_ERR_NOTFOUND when it is gone. */
int ec_hostscan_pid(struct ec_hostscan *h, pid_t pid);

/* Now and then (every 10 s at most, whatever the call rate): unhook the
 * hooked files that were deleted and that no process maps any more. */
void ec_hostscan_tick(struct ec_hostscan *h);

/* The hooked files: their count, and each through fn in hooking order. */
size_t ec_hostscan_each(struct ec_hostscan *h, void (*fn)(void *arg, struct ec_hostscan_file *f),
			void *arg);

/* The hooked files as a JSON array of {path, pid, root, dev, inode,
 * hooked_at} objects, into arr (the module adds its own fields with
 * extra, called on each object). */
void ec_hostscan_json(struct ec_hostscan *h, struct cJSON *arr,
		      void (*extra)(void *arg, struct ec_hostscan_file *f, struct cJSON *o),
		      void *arg);

#endif
