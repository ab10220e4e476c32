// SPDX-License-Identifier: GPL-2.0-only
#include "capture.h"
#include "error.h"
#include "record.h"
#include "util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RINGS 8

struct ring {
	struct ec_capture *c;
	ec_capture_sample_fn fn;
	void *ctx;
};

struct ec_capture {
	struct ec_writer *w;
	struct ring_buffer *rb;
	struct ring rings[MAX_RINGS];
	int nrings;
	int err; /* first callback error */
	struct ec_capture_opts o;
	ec_capture_lost_fn lost_fn;
	void *lost_ctx;
	ec_capture_tick_fn tick_fn;
	void *tick_ctx;
	uint64_t events, bytes;
	int tty;
	int out_fd;
	int out_pipe; /* stdout is a pipe: notice its reader leaving while idle */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void ec_capture_handle_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void ec_capture_stop(void)
{
	stop_flag = 1;
}

const char *ec_capture_strerror(int err)
{
	static __thread char buf[128];
	if (libbpf_strerror(err, buf, sizeof buf))
		snprintf(buf, sizeof buf, "error %d", err);
	return buf;
}

static int64_t mono_to_real;

int64_t ec_capture_walltime(uint64_t mono_ns)
{
	if (!mono_to_real) {
		struct timespec m, r;
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r);
		mono_to_real =
		    ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
	}
	return (int64_t)mono_ns + mono_to_real;
}

static uint64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

struct ec_capture *ec_capture_new(int out_fd, const struct ec_capture_opts *o)
{
	struct ec_capture *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->w = ec_writer_new(out_fd);
	if (!c->w) {
		free(c);
		return NULL;
	}
	if (o)
		c->o = *o;
	if (!c->o.origin)
		c->o.origin = argv0;
	if (!c->o.poll_ms)
		c->o.poll_ms = 10;
	c->tty = c->o.tty_counters < 0 ? isatty(STDERR_FILENO) : c->o.tty_counters;
	struct stat st;
	c->out_fd = out_fd;
	c->out_pipe = fstat(out_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	ec_capture_walltime(0);
	return c;
}

int ec_capture_free(struct ec_capture *c)
{
	if (!c)
		return 0;
	ring_buffer__free(c->rb);
	int err = ec_writer_free(c->w);
	free(c);
	return err;
}

void ec_capture_banner(struct ec_capture *c, const char *module)
{
	struct utsname u;
	uname(&u);
	fprintf(stderr, "%s: ec-capture %s, module %s, kernel %s %s\n", argv0, EC_VERSION, module,
		u.release, u.machine);
	if (!c)
		return;
	ec_record_log(c->w, EC_LOG_INFO, "AppName=ec-capture");
	ec_record_log(c->w, EC_LOG_INFO, "Version=linux_%s:%s:%s", u.machine, EC_VERSION,
		      u.release);
	ec_record_log(c->w, EC_LOG_INFO, "Kernel Info=%s Pid=%d", u.release, (int)getpid());
	ec_record_log(c->w, EC_LOG_INFO, "module initialization. moduleName=%s", module);
}

struct ec_writer *ec_capture_writer(struct ec_capture *c)
{
	return c->w;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;
	if (r->c->err)
		return r->c->err;
	int err = r->fn(r->ctx, data, size);
	if (err < 0)
		r->c->err = err;
	return err < 0 ? err : 0;
}

int ec_capture_add_ringbuf(struct ec_capture *c, int map_fd, ec_capture_sample_fn fn, void *ctx)
{
	if (c->nrings >= MAX_RINGS)
		return EC_ERR_INVAL;
	struct ring *r = &c->rings[c->nrings];
	r->c = c;
	r->fn = fn;
	r->ctx = ctx;
	int err;
	if (!c->rb) {
		c->rb = ring_buffer__new(map_fd, on_sample, r, NULL);
		err = c->rb ? 0 : -errno;
	} else {
		err = ring_buffer__add(c->rb, map_fd, on_sample, r);
	}
	if (err) {
		errno = -err;
		return EC_ERR_IO;
	}
	c->nrings++;
	return 0;
}

void ec_capture_set_lost(struct ec_capture *c, ec_capture_lost_fn fn, void *ctx)
{
	c->lost_fn = fn;
	c->lost_ctx = ctx;
}

void ec_capture_set_tick(struct ec_capture *c, ec_capture_tick_fn fn, void *ctx)
{
	c->tick_fn = fn;
	c->tick_ctx = ctx;
}

void ec_capture_count(struct ec_capture *c, uint64_t bytes)
{
	c->events++;
	c->bytes += bytes;
}

uint64_t ec_capture_events(const struct ec_capture *c)
{
	return c->events;
}

uint64_t ec_capture_bytes(const struct ec_capture *c)
{
	return c->bytes;
}

uint64_t ec_capture_lost(struct ec_capture *c)
{
	return c->lost_fn ? c->lost_fn(c->lost_ctx) : 0;
}

static void show_counters(struct ec_capture *c, int final)
{
	fprintf(stderr, "\r%s: %llu events, %llu bytes, %llu lost%s", c->o.origin,
		(unsigned long long)c->events, (unsigned long long)c->bytes,
		(unsigned long long)ec_capture_lost(c), final ? "\n" : "   ");
	fflush(stderr);
}

/* Has the reader of a pipe gone (POLLERR/POLLHUP on the write end)? */
static int reader_gone(const struct ec_capture *c)
{
	if (!c->out_pipe)
		return 0;
	struct pollfd p = {.fd = c->out_fd, .events = 0};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* Drain every ring (also when no wakeup was sent: BPF_RB_NO_WAKEUP). */
static int drain(struct ec_capture *c)
{
	int n = ring_buffer__consume(c->rb);
	if (c->err)
		return c->err;
	return n < 0 && n != -EINTR ? EC_ERR_IO : 0;
}

int ec_capture_run(struct ec_capture *c)
{
	uint64_t now = mono_ms();
	uint64_t next_hb = now + (uint64_t)c->o.heartbeat_s * 1000;
	uint64_t next_tty = now + 1000;
	int err = 0;

	while (!stop_flag) {
		if (c->rb) {
			int n = ring_buffer__poll(c->rb, (int)c->o.poll_ms);
			if (n < 0 && n != -EINTR && !c->err) {
				err = EC_ERR_IO;
				break;
			}
			if ((err = drain(c)))
				break;
		} else {
			usleep(c->o.poll_ms * 1000);
		}
		if (c->tick_fn && (err = c->tick_fn(c->tick_ctx)) < 0)
			break;
		err = 0;
		now = mono_ms();
		if (c->o.heartbeat_s && now >= next_hb) {
			next_hb = now + (uint64_t)c->o.heartbeat_s * 1000;
			err = ec_record_heartbeat(c->w, (int64_t)c->events, ec_capture_lost(c), 0,
						  c->o.origin, "running");
			if (err)
				break;
		}
		if ((err = ec_writer_flush(c->w)))
			break;
		if (reader_gone(c)) {
			err = EC_ERR_PIPE;
			break;
		}
		if (c->tty && now >= next_tty) {
			next_tty = now + 1000;
			show_counters(c, 0);
		}
	}
	/* whatever the ring still holds when we stop */
	if (!err && c->rb)
		err = drain(c);
	if (!err)
		err = ec_record_heartbeat(c->w, (int64_t)c->events, ec_capture_lost(c), 0,
					  c->o.origin, "stopped");
	if (!err)
		err = ec_writer_flush(c->w);
	if (c->tty)
		show_counters(c, 1);
	return err == EC_ERR_PIPE ? 0 : err;
}
