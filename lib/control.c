#include "control.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	int status;
	char *resp; /* LWS_PRE bytes of headroom, then the JSON */
	size_t resp_len;
};

static void session_reset(struct session *s)
{
	free(s->body);
	free(s->resp);
	memset(s, 0, sizeof *s);
}

static void respond(struct ec_control *c, struct lws *wsi, struct session *s)
{
	char *body;
	int status = 500;
	if (s->too_big) {
		status = 413;
		body = ec_xstrdup(
		    "{\"code\":1,\"module_type\":\"\",\"msg\":\"request body too large\","
		    "\"data\":null}");
	} else {
		body =
		    c->fn(c->fn_ctx, s->method, s->path, s->body ? s->body : "", s->len, &status);
		if (!body)
			body = ec_xstrdup(
			    "{\"code\":2,\"module_type\":\"\",\"msg\":\"internal error\","
			    "\"data\":null}");
	}
	size_t n = strlen(body);
	s->resp = ec_xmalloc(LWS_PRE + n + 1);
	memcpy(s->resp + LWS_PRE, body, n + 1);
	s->resp_len = n;
	s->status = status;
	free(body);
	lws_callback_on_writable(wsi);
}

static int write_response(struct lws *wsi, struct session *s)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
					  *end = hdr + sizeof hdr - 1;
	if (lws_add_http_common_headers(wsi, (unsigned)s->status, "application/json", s->resp_len,
					&p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (lws_write(wsi, (unsigned char *)s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP_FINAL) !=
	    (int)s->resp_len)
		return -1;
	session_reset(s);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct session *s = user;
	struct ec_control *c = lws_context_user(lws_get_context(wsi));
	char clen[32];

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
		long long want = 0;
		if (lws_hdr_copy(wsi, clen, sizeof clen, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			want = atoll(clen);
		if (want > (long long)c->max_body)
			s->too_big = 1;
		if (!post || want == 0 || s->too_big)
			respond(c, wsi, s); /* no body to wait for */
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
		if (!s->resp)
			respond(c, wsi, s);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!s->resp)
			return 0;
		return write_response(wsi, s);
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
	}
	struct ec_control *c = ec_xcalloc(1, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	c->max_body = max_body;
	c->fn = fn;
	c->fn_ctx = ctx;

	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_UNIX_SOCK;
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
