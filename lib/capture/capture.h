/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The user-side loop every ec-capture module shares: poll BPF ring buffers,
 * write records, send a heartbeat every N seconds with the events and the
 * kernel's lost count, show live counters when stderr is a terminal, and
 * stop cleanly on SIGINT/SIGTERM or when the reader of stdout goes away.
 */
#ifndef EC_CAPTURE_H
#define EC_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct ec_capture;

/* Called for each ring-buffer sample; return a negative ec_error to stop. */
typedef int (*ec_capture_sample_fn)(void *ctx, const void *data, size_t size);
/* Returns the kernel-side lost count so far (summed over CPUs). */
typedef uint64_t (*ec_capture_lost_fn)(void *ctx);
/* Called on every loop turn (at most poll_ms apart); negative stops. */
typedef int (*ec_capture_tick_fn)(void *ctx);

struct ec_capture_opts {
	const char *origin;   /* heartbeat origin, e.g. "ec-capture" */
	unsigned heartbeat_s; /* 0 = no heartbeats */
	unsigned poll_ms;     /* ring poll timeout; 0 = 10 ms */
	int tty_counters;     /* 1: live counters on stderr, -1: if stderr is a tty */
};

/* Writer on out_fd; NULL on failure (errno set). */
struct ec_capture *ec_capture_new(int out_fd, const struct ec_capture_opts *o);
/* Stop everything attached, flush, free. Returns the last writer error. */
int ec_capture_free(struct ec_capture *c);

struct ec_writer *ec_capture_writer(struct ec_capture *c);
/*
 * The start-up lines: process-log records as eCapture opens its log
 * (AppName=, Version=, Kernel Info=, module initialization.) and one
 * summary line on stderr (only that when c is NULL: a dry run).
 */
void ec_capture_banner(struct ec_capture *c, const char *module);
/* Poll the BPF ring buffer map map_fd; fn sees every sample. */
int ec_capture_add_ringbuf(struct ec_capture *c, int map_fd, ec_capture_sample_fn fn, void *ctx);
void ec_capture_set_lost(struct ec_capture *c, ec_capture_lost_fn fn, void *ctx);
void ec_capture_set_tick(struct ec_capture *c, ec_capture_tick_fn fn, void *ctx);
/* Count one captured event of n payload bytes (heartbeats, live counters). */
void ec_capture_count(struct ec_capture *c, uint64_t bytes);

/* Install SIGINT/SIGTERM/SIGHUP handlers that make ec_capture_run return. */
void ec_capture_handle_signals(void);
/* Ask the loop to stop (async-signal-safe). */
void ec_capture_stop(void);

/*
 * Run until a signal, ec_capture_stop, a callback error or the output
 * closing. Returns 0 for a normal stop (signal or EPIPE), else a negative
 * ec_error.
 */
int ec_capture_run(struct ec_capture *c);

/* Totals so far. */
uint64_t ec_capture_events(const struct ec_capture *c);
uint64_t ec_capture_bytes(const struct ec_capture *c);
uint64_t ec_capture_lost(struct ec_capture *c);

/*
 * The text of a negative error from libbpf: an errno, or one of libbpf's own
 * codes (-4001 "Invalid ELF format"...), which strerror calls "Unknown error".
 */
const char *ec_capture_strerror(int err);

/* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) to ns since the epoch. */
int64_t ec_capture_walltime(uint64_t mono_ns);

#endif
