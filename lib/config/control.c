// SPDX-License-Identifier: GPL-2.0-only
#include "control.h"
#include "error.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libwebsockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct ec_control {
	struct lws_context *ctx;
	char path[108];
	size_t max_body;
	ec_control_handler fn;
	void *fn_ctx;
};

/* Per HTTP transaction. */
struct session {
	char method[8];
	char path[128];
	char *body;
	size_t len;
	int too_big;
	int closing; /* answered; close once lws has flushed it */
};

static void session_reset(struct session *s)
{
	free(s->body);
	memset(s, 0, sizeof *s);
}

int ec_control_framing(struct lws *wsi, long long *clen, char *msg, size_t len)
{
	char v[64];
	int ncl = 0;
	*clen = -1;
	while (ncl < 4 && lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, ncl) > 0)
		ncl++;
	int te = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	if (ncl > 1) {
		snprintf(msg, len, "more than one Content-Length header: send exactly one");
		return 400;
	}
	if (ncl) {
		int n = lws_hdr_copy_fragment(wsi, v, sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH, 0);
		if (n <= 0 || n > 15 || strspn(v, "0123456789") != (size_t)n) {
			snprintf(msg, len, "Content-Length \"%.20s\" is not a byte count",
				 n > 0 ? v : "");
			return 400;
		}
		*clen = atoll(v);
	}
	if (te && ncl) {
		snprintf(msg, len,
			 "Content-Length together with Transfer-Encoding: send one of them "
			 "(Content-Length)");
		return 400;
	}
	if (te) {
		if (lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0 ||
		    strcasecmp(v, "chunked")) {
			snprintf(msg, len, "unsupported Transfer-Encoding \"%.30s\"", v);
			return 400;
		}
		snprintf(msg, len,
			 "length required: send the body with a Content-Length header, "
			 "not chunked");
		return 411;
	}
	return 0;
}

/*
 * Write the answer now, from the request's own callback, and close: the
 * answer goes out even when the client has already shut its sending side,
 * and lws never parses a pipelined request after it. Returns 1 when
 * written, 0 when lws holds the rest (it is flushed, then the connection
 * closed from WRITEABLE), -1 when it could not be written.
 */
static int send_answer(struct lws *wsi, struct session *s, int status, const char *body)
{
	size_t n = strlen(body);
	unsigned char *buf = ec_xmalloc(LWS_PRE + n + 1);
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
					  *end = hdr + sizeof hdr - 1;
	memcpy(buf + LWS_PRE, body, n);
	int ok =
	    !lws_add_http_common_headers(wsi, (unsigned)status, "application/json", n, &p, end) &&
	    !lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					 (const unsigned char *)"close", 5, &p, end) &&
	    !lws_finalize_write_http_header(wsi, start, &p, end) &&
	    lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) == (int)n;
	free(buf);
	if (!ok)
		return -1;
	if (lws_partial_buffered(wsi)) {
		s->closing = 1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	return 1;
}

static char *error_body(const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "code", 1);
	cJSON_AddStringToObject(o, "module_type", "");
	cJSON_AddStringToObject(o, "msg", msg);
	cJSON_AddNullToObject(o, "data");
	char *j = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!j)
		ec_die(1, "out of memory");
	return j;
}

/* A request refused before anything is applied. */
static int refuse(struct lws *wsi, struct session *s, int status, const char *msg)
{
	char *j = error_body(msg);
	int rc = send_answer(wsi, s, status, j);
	cJSON_free(j);
	return rc == 0 ? 0 : -1;
}

/* Nonzero when the connection can take an answer now. */
static int can_answer(struct lws *wsi)
{
	struct pollfd p = {.fd = lws_get_socket_fd(wsi), .events = POLLOUT};
	return p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
	       !(p.revents & (POLLERR | POLLHUP));
}

/* Apply the request only when its answer can be written, then write it. */
static int answer(struct ec_control *c, struct lws *wsi, struct session *s)
{
	if (!can_answer(wsi)) {
		ec_warn("control: %s %s not applied: the client's connection takes no answer",
			s->method, s->path);
		return -1;
	}
	int status = 500;
	char *body = c->fn(c->fn_ctx, s->method, s->path, s->body ? s->body : "", s->len, &status);
	if (!body)
		body = ec_xstrdup(
		    "{\"code\":2,\"module_type\":\"\",\"msg\":\"internal error\",\"data\":null}");
	int rc = send_answer(wsi, s, status, body);
	if (rc < 0)
		ec_warn("control: %s %s was applied (HTTP %d) but its answer could not be sent",
			s->method, s->path, status);
	free(body);
	return rc == 0 ? 0 : -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct session *s = user;
	struct ec_control *c = lws_context_user(lws_get_context(wsi));

	if (!s) /* a connection that never made a request: nothing of ours */
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		session_reset(s);
		snprintf(s->path, sizeof s->path, "%s", in ? (const char *)in : "/");
		int post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
		snprintf(s->method, sizeof s->method, "%s",
			 post						    ? "POST"
			 : lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0 ? "GET"
									    : "OTHER");
		long long want;
		char why[200];
		int bad = ec_control_framing(wsi, &want, why, sizeof why);
		if (bad) {
			ec_warn("control: %s %s refused (HTTP %d): %s", s->method, s->path, bad,
				why);
			return refuse(wsi, s, bad, why);
		}
		if (want > (long long)c->max_body)
			return refuse(wsi, s, 413, "request body too large");
		if (!post || want <= 0)
			return answer(c, wsi, s); /* no body to wait for */
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (s->too_big || s->len + len > c->max_body) {
			s->too_big = 1;
			return 0;
		}
		s->body = ec_xrealloc(s->body, s->len + len + 1);
		memcpy(s->body + s->len, in, len);
		s->len += len;
		s->body[s->len] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (s->too_big)
			return refuse(wsi, s, 413, "request body too large");
		return answer(c, wsi, s);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return s->closing ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		session_reset(s);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"http", callback, sizeof(struct session), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Is somebody accepting on path? */
static int socket_live(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return live;
}

static void mkdir_parent(const char *path)
{
	char dir[108];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	mkdir(dir, 0755); /* EEXIST is fine; other errors show at bind */
}

/* Can path be bound? The reason in err when not. */
static int try_bind(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
		snprintf(err, errlen, "cannot create the socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	unlink(path);
	return 0;
}

struct ec_control *ec_control_new(const char *path, size_t max_body, ec_control_handler fn,
				  void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	if (!path || !*path || strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "control socket path must be 1 to %zu bytes",
			 sizeof sa.sun_path - 1);
		return NULL;
	}
	if (path[0] != '@') {
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				snprintf(err, errlen, "%s exists and is not a socket", path);
				return NULL;
			}
			if (socket_live(path)) {
				snprintf(err, errlen,
					 "%s is in use by another process (another ec-capture?): "
					 "give another --control path",
					 path);
				return NULL;
			}
			unlink(path);
		}
		mkdir_parent(path);
		/* lws would log its bind error and carry on without the socket: try first */
		if (try_bind(path, err, errlen))
			return NULL;
	}
	struct ec_control *c = ec_xcalloc(1, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	c->max_body = max_body;
	c->fn = fn;
	c->fn_ctx = ctx;

	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_UNIX_SOCK | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.iface = c->path;
	info.port = 0;
	info.protocols = protocols;
	info.user = c;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	mode_t old = umask(0177); /* the socket file: 0600, root's only */
	c->ctx = lws_create_context(&info);
	umask(old);
	if (!c->ctx) {
		snprintf(err, errlen, "cannot listen on %s (libwebsockets could not create it)",
			 path);
		free(c);
		return NULL;
	}
	return c;
}

int ec_control_service(struct ec_control *c)
{
	/* a negative timeout: service what is pending, never sleep */
	return lws_service(c->ctx, -1) < 0 ? EC_ERR_IO : 0;
}

void ec_control_free(struct ec_control *c)
{
	if (!c)
		return;
	lws_context_destroy(c->ctx);
	if (c->path[0] != '@')
		unlink(c->path);
	free(c);
}
