// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Module fields besides the common ones. */
#define TLS_FIELDS                                                                                 \
	(EC_CF_PATH | EC_CF_MODEL | EC_CF_KEYLOGFILE | EC_CF_PCAPFILE | EC_CF_IFNAME |             \
	 EC_CF_CGROUP_PATH | EC_CF_SSL_VERSION)

struct module {
	const char *name;
	const char *path_key;
	uint32_t fields;
	const char *const *help; /* pairs: key, help line */
};

static const char *const tls_help[] = {
    "libssl",	   "path of libssl.so / the binary statically linked with it",
    "model",	   "text, pcap, pcapng, key or keylog",
    "keylogfile",  "where key mode writes NSS key log lines",
    "pcapfile",	   "where pcap mode writes packets",
    "ifname",	   "interface for pcap mode's TC hook",
    "cgroup_path", "cgroup v2 path for the connect hooks",
    "ssl_version", "force an OpenSSL/BoringSSL version (e.g. \"openssl 3.0.0\")",
    NULL};
static const char *const gotls_help[] = {"elfpath",    "path of the Go binary",
					 "model",      "text, pcap, pcapng, key or keylog",
					 "keylogfile", "where key mode writes NSS key log lines",
					 "pcapfile",   "where pcap mode writes packets",
					 "ifname",     "interface for pcap mode's TC hook",
					 NULL};
static const char *const gnutls_help[] = {"gnutls",	 "path of libgnutls.so",
					  "model",	 "text, pcap, pcapng, key or keylog",
					  "keylogfile",	 "where key mode writes NSS key log lines",
					  "pcapfile",	 "where pcap mode writes packets",
					  "ifname",	 "interface for pcap mode's TC hook",
					  "ssl_version", "force a GnuTLS version",
					  NULL};
static const char *const nss_help[] = {"nspr",	     "path of libnspr4.so",
				       "model",	     "text, pcap, pcapng, key or keylog",
				       "keylogfile", "where key mode writes NSS key log lines",
				       "pcapfile",   "where pcap mode writes packets",
				       "ifname",     "interface for pcap mode's TC hook",
				       NULL};
static const char *const bash_help[] = {"bashpath", "path of bash",
					"readline", "path of libreadline.so if bash uses it",
					"errno",    "only commands exiting with this status",
					NULL};
static const char *const mysqld_help[] = {"mysqldpath", "path of mysqld",
					  "funcname",	"function to hook (dispatch_command)",
					  "offset",	"function offset when symbols are stripped",
					  NULL};
static const char *const postgres_help[] = {"postgrespath", "path of postgres", "funcname",
					    "function to hook (exec_simple_query)", NULL};

static const char *const no_fields[] = {NULL};

static const struct module modules[] = {
    {"tls", "libssl", TLS_FIELDS, tls_help},
    {"auto", "", 0, no_fields}, /* ec's: every TLS library, no path */
    {"sock", "", 0, no_fields}, /* ec's: TCP sockets without TLS, no path */
    {"gotls", "elfpath",
     EC_CF_PATH | EC_CF_MODEL | EC_CF_KEYLOGFILE | EC_CF_PCAPFILE | EC_CF_IFNAME, gotls_help},
    {"gnutls", "gnutls",
     EC_CF_PATH | EC_CF_MODEL | EC_CF_KEYLOGFILE | EC_CF_PCAPFILE | EC_CF_IFNAME |
	 EC_CF_SSL_VERSION,
     gnutls_help},
    {"nss", "nspr", EC_CF_PATH | EC_CF_MODEL | EC_CF_KEYLOGFILE | EC_CF_PCAPFILE | EC_CF_IFNAME,
     nss_help},
    {"bash", "bashpath", EC_CF_PATH | EC_CF_READLINE | EC_CF_ERRNO, bash_help},
    {"mysqld", "mysqldpath", EC_CF_PATH | EC_CF_FUNCNAME | EC_CF_OFFSET, mysqld_help},
    {"postgres", "postgrespath", EC_CF_PATH | EC_CF_FUNCNAME, postgres_help},
};

const char *const ec_config_routes[] = {"tls",	     "openssl", "boringssl", "gotls",  "gnutls",
					"nss",	     "nspr",	"bash",	     "mysqld", "postgres",
					"postgress", "auto",	"sock",	     NULL};
/* canonical module of each route, same order */
static const char *const route_module[] = {"tls",      "tls",  "tls",  "gotls",	 "gnutls",
					   "nss",      "nss",  "bash", "mysqld", "postgres",
					   "postgres", "auto", "sock"};

const char *ec_config_module(const char *route)
{
	if (!route)
		return NULL;
	if (*route == '/')
		route++;
	for (size_t i = 0; ec_config_routes[i]; i++)
		if (!strcmp(route, ec_config_routes[i]))
			return route_module[i];
	return NULL;
}

static const struct module *find_module(const char *name)
{
	const char *m = ec_config_module(name);
	if (!m)
		return NULL;
	for (size_t i = 0; i < sizeof modules / sizeof *modules; i++)
		if (!strcmp(modules[i].name, m))
			return &modules[i];
	return NULL;
}

const char *ec_config_path_key(const char *module)
{
	const struct module *m = find_module(module);
	return m ? m->path_key : NULL;
}

const char *const *ec_config_module_fields(const char *module)
{
	const struct module *m = find_module(module);
	return m ? m->help : NULL;
}

/* Upstream config keys we accept and ignore (eCapture's BaseConfig). */
static const char *const ignored_keys[] = {"listen", "logger_addr", "logger_type",
					   "logger_tcp_addr", NULL};

static int fail(char *msg, size_t msglen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t msglen, int code, const char *fmt, ...)
{
	if (msg && msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "invalid";
}

struct ctx {
	struct ec_config *cfg;
	const struct module *mod;
	char *msg;
	size_t msglen;
};

/*
 * An integer field: wrong type or a fraction is a decode error (4), a
 * value outside [min, max] a check error (5). Numbers are doubles in JSON,
 * so only integers up to 2^53 are exact; the limits stay below that.
 */
static int get_int(struct ctx *c, const cJSON *v, const char *key, double min, double max,
		   const char *hint, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"%s\": expected an integer, got %s", key, json_type(v));
	double d = v->valuedouble;
	if (d != d || d > 9007199254740992.0 || d < -9007199254740992.0 || d != (double)(int64_t)d)
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"%s\": expected an integer, got %g", key, d);
	if (d < min || d > max)
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED, "field \"%s\": %.0f is %s; %s",
			    key, d, d < min ? "too small" : "too large", hint);
	*out = (int64_t)d;
	return EC_RESP_OK;
}

static int get_bool(struct ctx *c, const cJSON *v, const char *key, int *out)
{
	if (!cJSON_IsBool(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"%s\": expected true or false, got %s", key, json_type(v));
	*out = cJSON_IsTrue(v);
	return EC_RESP_OK;
}

static int get_str(struct ctx *c, const cJSON *v, const char *key, int must_be_abs, char **out)
{
	if (!cJSON_IsString(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"%s\": expected a string, got %s", key, json_type(v));
	size_t n = strlen(v->valuestring);
	if (n >= EC_CONFIG_PATH_MAX)
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
			    "field \"%s\": %zu bytes is too long; at most %d", key, n,
			    EC_CONFIG_PATH_MAX - 1);
	if (must_be_abs && n && v->valuestring[0] != '/')
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
			    "field \"%s\": \"%s\" is not an absolute path; give one starting "
			    "with '/' or \"\" for auto-detection",
			    key, v->valuestring);
	free(*out);
	*out = ec_xstrdup(v->valuestring);
	return EC_RESP_OK;
}

static int get_procs(struct ctx *c, const cJSON *v, const char *key,
		     char names[][EC_CONFIG_COMM_LEN], size_t *n)
{
	*n = 0;
	if (cJSON_IsNull(v))
		return EC_RESP_OK; /* Go's nil slice: no names */
	if (!cJSON_IsArray(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"filters.%s\": expected an array of process names, got %s", key,
			    json_type(v));
	int count = cJSON_GetArraySize(v);
	if (count > EC_CONFIG_MAX_PROCS)
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
			    "field \"filters.%s\": %d names is too many; at most %d", key, count,
			    EC_CONFIG_MAX_PROCS);
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
				    "field \"filters.%s[%d]\": expected a string, got %s", key, i,
				    json_type(e));
		size_t len = strlen(e->valuestring);
		if (!len)
			return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
				    "field \"filters.%s[%d]\": empty process name", key, i);
		if (len >= EC_CONFIG_COMM_LEN)
			return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
				    "field \"filters.%s[%d]\": \"%s\" is %zu bytes; the kernel "
				    "keeps %d (comm), give the first %d",
				    key, i, e->valuestring, len, EC_CONFIG_COMM_LEN - 1,
				    EC_CONFIG_COMM_LEN - 1);
		if (strchr(e->valuestring, '/'))
			return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
				    "field \"filters.%s[%d]\": \"%s\" contains '/'; give the "
				    "process name (comm), not a path",
				    key, i, e->valuestring);
		memcpy(names[i], e->valuestring, len + 1);
		i++;
	}
	*n = (size_t)i;
	return EC_RESP_OK;
}

/* filters.cgroup / filters.container: up to EC_CONFIG_MAX_CGROUPS
 * non-empty strings shorter than size, into out (size bytes each). */
static int get_strs(struct ctx *c, const cJSON *v, const char *key, char *out, size_t size,
		    size_t *n)
{
	int count = cJSON_GetArraySize(v), i = 0;
	const cJSON *e;
	if (!cJSON_IsArray(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"filters.%s\": expected an array of strings, got %s", key,
			    json_type(v));
	if (count > EC_CONFIG_MAX_CGROUPS)
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
			    "field \"filters.%s\": %d entries is too many; at most %d", key, count,
			    EC_CONFIG_MAX_CGROUPS);
	cJSON_ArrayForEach(e, v)
	{
		size_t len;
		if (!cJSON_IsString(e))
			return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
				    "field \"filters.%s[%d]\": expected a string, got %s", key, i,
				    json_type(e));
		len = strlen(e->valuestring);
		if (!len || len >= size)
			return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
				    "field \"filters.%s[%d]\": %zu bytes; give 1 to %zu", key, i,
				    len, size - 1);
		memcpy(out + (size_t)i * size, e->valuestring, len + 1);
		i++;
	}
	*n = (size_t)i;
	return EC_RESP_OK;
}

/* A key seen twice in one object: cJSON keeps both, we refuse. */
static const char *duplicate_key(const cJSON *obj)
{
	for (const cJSON *a = obj->child; a; a = a->next)
		for (const cJSON *b = obj->child; b != a; b = b->next)
			if (a->string && b->string && !strcmp(a->string, b->string))
				return a->string;
	return NULL;
}

static int parse_filters(struct ctx *c, const cJSON *v)
{
	if (cJSON_IsNull(v))
		return EC_RESP_OK;
	if (!cJSON_IsObject(v))
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"filters\": expected an object, got %s", json_type(v));
	const char *dup = duplicate_key(v);
	if (dup)
		return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
			    "field \"filters.%s\" appears twice; give it once", dup);
	const cJSON *e;
	cJSON_ArrayForEach(e, v)
	{
		int rc;
		if (!strcmp(e->string, "target_process")) {
			rc = get_procs(c, e, e->string, c->cfg->target_process, &c->cfg->n_target);
			c->cfg->present |= EC_CF_TARGET_PROCESS;
		} else if (!strcmp(e->string, "ignore_process")) {
			rc = get_procs(c, e, e->string, c->cfg->ignore_process, &c->cfg->n_ignore);
			c->cfg->present |= EC_CF_IGNORE_PROCESS;
		} else if (!strcmp(e->string, "cgroup")) {
			rc = get_strs(c, e, e->string, &c->cfg->cgroup[0][0], EC_CONFIG_CGROUP_LEN,
				      &c->cfg->n_cgroup);
			c->cfg->present |= EC_CF_CGROUPS;
		} else if (!strcmp(e->string, "container")) {
			rc = get_strs(c, e, e->string, &c->cfg->container[0][0],
				      sizeof c->cfg->container[0], &c->cfg->n_container);
			c->cfg->present |= EC_CF_CONTAINERS;
		} else {
			rc = fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
				  "unknown field \"filters.%s\"; known: target_process, "
				  "ignore_process, cgroup, container",
				  e->string);
		}
		if (rc)
			return rc;
	}
	return EC_RESP_OK;
}

static int module_field(struct ctx *c, const cJSON *v, const char *key, uint32_t *bit)
{
	struct ec_config *cfg = c->cfg;
	const struct module *m = c->mod;
	int64_t n;
	int rc;
	if (!strcmp(key, m->path_key)) {
		*bit = EC_CF_PATH;
		return get_str(c, v, key, 1, &cfg->path);
	}
	if (!strcmp(key, "model") && (m->fields & EC_CF_MODEL)) {
		*bit = EC_CF_MODEL;
		if ((rc = get_str(c, v, key, 0, &cfg->model)))
			return rc;
		static const char *const models[] = {"text", "pcap", "pcapng", "key", "keylog"};
		for (size_t i = 0; i < sizeof models / sizeof *models; i++)
			if (!strcmp(cfg->model, models[i]))
				return EC_RESP_OK;
		return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
			    "field \"model\": \"%s\" is unknown; give text, pcap, pcapng, key or "
			    "keylog",
			    cfg->model);
	}
	static const struct {
		const char *key;
		uint32_t bit;
		size_t off;
		int abs;
	} strs[] = {
	    {"keylogfile", EC_CF_KEYLOGFILE, offsetof(struct ec_config, keylogfile), 0},
	    {"pcapfile", EC_CF_PCAPFILE, offsetof(struct ec_config, pcapfile), 0},
	    {"ifname", EC_CF_IFNAME, offsetof(struct ec_config, ifname), 0},
	    {"cgroup_path", EC_CF_CGROUP_PATH, offsetof(struct ec_config, cgroup_path), 1},
	    {"ssl_version", EC_CF_SSL_VERSION, offsetof(struct ec_config, ssl_version), 0},
	    {"readline", EC_CF_READLINE, offsetof(struct ec_config, readline), 1},
	    {"funcname", EC_CF_FUNCNAME, offsetof(struct ec_config, funcname), 0},
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		if (strcmp(key, strs[i].key) || !(m->fields & strs[i].bit))
			continue;
		*bit = strs[i].bit;
		if ((rc = get_str(c, v, key, strs[i].abs, (char **)((char *)cfg + strs[i].off))))
			return rc;
		if (strs[i].bit == EC_CF_IFNAME && strlen(cfg->ifname) >= 16)
			return fail(c->msg, c->msglen, EC_RESP_CHECK_FAILED,
				    "field \"ifname\": \"%s\" is longer than an interface name "
				    "(15 bytes)",
				    cfg->ifname);
		return EC_RESP_OK;
	}
	if (!strcmp(key, "errno") && (m->fields & EC_CF_ERRNO)) {
		*bit = EC_CF_ERRNO;
		rc = get_int(c, v, key, -1, 255, "give an exit status 0-255, or -1 for all", &n);
		cfg->errno_filter = n;
		return rc;
	}
	if (!strcmp(key, "offset") && (m->fields & EC_CF_OFFSET)) {
		*bit = EC_CF_OFFSET;
		rc = get_int(c, v, key, 0, 9007199254740992.0, "give a byte offset >= 0", &n);
		cfg->offset = (uint64_t)n;
		return rc;
	}
	*bit = 0;
	return EC_RESP_OK;
}

static void known_keys(const struct module *m, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "pid, uid, debug, hex, btf, per_cpu_map_size, truncate_size, filters");
	for (size_t i = 0; m->help[i] && n >= 0 && (size_t)n < len; i += 2)
		n += snprintf(buf + n, len - (size_t)n, ", %s", m->help[i]);
}

static int parse_field(struct ctx *c, const cJSON *v)
{
	struct ec_config *cfg = c->cfg;
	const char *key = v->string;
	int64_t n = 0;
	int rc;

	for (size_t i = 0; ignored_keys[i]; i++)
		if (!strcmp(key, ignored_keys[i]))
			return EC_RESP_OK;
	if (!strcmp(key, "filters"))
		return parse_filters(c, v);
	/* Go leaves a field untouched for null: so do we. */
	if (cJSON_IsNull(v))
		return EC_RESP_OK;
	if (!strcmp(key, "pid")) {
		rc = get_int(c, v, key, 0, EC_CONFIG_PID_MAX,
			     "give 0 (all processes) or a process id up to 4194304", &n);
		cfg->pid = (uint64_t)n;
		cfg->present |= EC_CF_PID;
		return rc;
	}
	if (!strcmp(key, "uid")) {
		rc = get_int(c, v, key, 0, EC_CONFIG_UID_MAX,
			     "give 0 (all users) or a user id up to 4294967294", &n);
		cfg->uid = (uint64_t)n;
		cfg->present |= EC_CF_UID;
		return rc;
	}
	if (!strcmp(key, "debug")) {
		cfg->present |= EC_CF_DEBUG;
		return get_bool(c, v, key, &cfg->debug);
	}
	if (!strcmp(key, "hex") || !strcmp(key, "is_hex")) {
		cfg->present |= EC_CF_HEX;
		return get_bool(c, v, key, &cfg->hex);
	}
	if (!strcmp(key, "btf") || !strcmp(key, "btf_mode")) {
		rc = get_int(c, v, key, 0, 2, "give 0 (auto), 1 (CO-RE) or 2 (non-CO-RE)", &n);
		cfg->btf = (uint8_t)n;
		cfg->present |= EC_CF_BTF;
		return rc;
	}
	if (!strcmp(key, "per_cpu_map_size")) {
		rc = get_int(c, v, key, 0, EC_CONFIG_MAP_SIZE_MAX,
			     "give a size in KiB, 0 for the default, up to 1048576", &n);
		cfg->per_cpu_map_size = n;
		cfg->present |= EC_CF_PER_CPU_MAP_SIZE;
		return rc;
	}
	if (!strcmp(key, "truncate_size")) {
		rc = get_int(c, v, key, 0, (double)EC_CONFIG_TRUNCATE_MAX,
			     "give a byte count, 0 for no truncation, up to 1 GiB", &n);
		cfg->truncate_size = (uint64_t)n;
		cfg->present |= EC_CF_TRUNCATE_SIZE;
		return rc;
	}
	uint32_t bit = 0;
	if ((rc = module_field(c, v, key, &bit)))
		return rc;
	if (bit) {
		cfg->present |= bit;
		return EC_RESP_OK;
	}
	char known[512];
	known_keys(c->mod, known, sizeof known);
	return fail(c->msg, c->msglen, EC_RESP_DECODE_FAILED,
		    "unknown field \"%s\" for module %s; known: %s", key, c->mod->name, known);
}

int ec_config_parse(const char *module, const char *body, size_t len, struct ec_config *cfg,
		    char *msg, size_t msglen)
{
	memset(cfg, 0, sizeof *cfg);
	if (msg && msglen)
		*msg = 0;
	const struct module *m = find_module(module);
	if (!m)
		return fail(msg, msglen, EC_RESP_NOT_FOUND,
			    "unknown module \"%s\"; known: tls openssl boringssl gotls gnutls nss "
			    "nspr bash mysqld postgres postgress",
			    module ? module : "");
	if (len > EC_CONFIG_BODY_MAX)
		return fail(msg, msglen, EC_RESP_INVALID_REQUEST,
			    "body is %zu bytes; at most %u are accepted", len, EC_CONFIG_BODY_MAX);
	if (!body || !len)
		return fail(msg, msglen, EC_RESP_DECODE_FAILED,
			    "empty body; send a JSON object such as {\"pid\":0}");

	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root) {
		size_t off = end && end >= body ? (size_t)(end - body) : 0;
		return fail(msg, msglen, EC_RESP_DECODE_FAILED,
			    "malformed JSON at byte %zu of %zu; send a JSON object", off, len);
	}
	/* trailing bytes after the value, other than whitespace */
	for (const char *p = end; p && p < body + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(root);
			return fail(msg, msglen, EC_RESP_DECODE_FAILED,
				    "malformed JSON: extra data at byte %zu after the object",
				    (size_t)(p - body));
		}

	const char *slash = *module == '/' ? module + 1 : module;
	snprintf(cfg->route, sizeof cfg->route, "%s", slash);
	snprintf(cfg->module, sizeof cfg->module, "%s", m->name);
	struct ctx c = {cfg, m, msg, msglen};
	int rc = EC_RESP_OK;
	const char *dup;
	if (!cJSON_IsObject(root)) {
		rc = fail(msg, msglen, EC_RESP_DECODE_FAILED,
			  "body is %s, not a JSON object; send {\"pid\":0,...}", json_type(root));
	} else if ((dup = duplicate_key(root))) {
		rc = fail(msg, msglen, EC_RESP_DECODE_FAILED,
			  "field \"%s\" appears twice; give it once", dup);
	} else {
		const cJSON *v;
		cJSON_ArrayForEach(v, root)
		{
			if ((rc = parse_field(&c, v)))
				break;
		}
	}
	cJSON_Delete(root);
	if (rc)
		ec_config_free(cfg);
	return rc;
}

void ec_config_free(struct ec_config *cfg)
{
	if (!cfg)
		return;
	char **strs[] = {&cfg->path,	    &cfg->model,    &cfg->keylogfile,
			 &cfg->pcapfile,    &cfg->ifname,   &cfg->cgroup_path,
			 &cfg->ssl_version, &cfg->readline, &cfg->funcname};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

static char *print_free(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		ec_die(1, "out of memory");
	return s;
}

char *ec_config_to_json(const struct ec_config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	uint32_t p = cfg->present;
	if (p & EC_CF_PID)
		cJSON_AddNumberToObject(o, "pid", (double)cfg->pid);
	if (p & EC_CF_UID)
		cJSON_AddNumberToObject(o, "uid", (double)cfg->uid);
	if (p & EC_CF_DEBUG)
		cJSON_AddBoolToObject(o, "debug", cfg->debug);
	if (p & EC_CF_HEX)
		cJSON_AddBoolToObject(o, "hex", cfg->hex);
	if (p & EC_CF_BTF)
		cJSON_AddNumberToObject(o, "btf", cfg->btf);
	if (p & EC_CF_PER_CPU_MAP_SIZE)
		cJSON_AddNumberToObject(o, "per_cpu_map_size", (double)cfg->per_cpu_map_size);
	if (p & EC_CF_TRUNCATE_SIZE)
		cJSON_AddNumberToObject(o, "truncate_size", (double)cfg->truncate_size);
	if (p & (EC_CF_TARGET_PROCESS | EC_CF_IGNORE_PROCESS | EC_CF_CGROUPS | EC_CF_CONTAINERS)) {
		cJSON *f = cJSON_AddObjectToObject(o, "filters");
		if (p & EC_CF_CGROUPS) {
			cJSON *a = cJSON_AddArrayToObject(f, "cgroup");
			for (size_t i = 0; i < cfg->n_cgroup; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(cfg->cgroup[i]));
		}
		if (p & EC_CF_CONTAINERS) {
			cJSON *a = cJSON_AddArrayToObject(f, "container");
			for (size_t i = 0; i < cfg->n_container; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(cfg->container[i]));
		}
		if (p & EC_CF_TARGET_PROCESS) {
			cJSON *a = cJSON_AddArrayToObject(f, "target_process");
			for (size_t i = 0; i < cfg->n_target; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(cfg->target_process[i]));
		}
		if (p & EC_CF_IGNORE_PROCESS) {
			cJSON *a = cJSON_AddArrayToObject(f, "ignore_process");
			for (size_t i = 0; i < cfg->n_ignore; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(cfg->ignore_process[i]));
		}
	}
	const char *pk = ec_config_path_key(cfg->module);
	if ((p & EC_CF_PATH) && pk)
		cJSON_AddStringToObject(o, pk, cfg->path ? cfg->path : "");
	static const struct {
		const char *key;
		uint32_t bit;
		size_t off;
	} strs[] = {
	    {"model", EC_CF_MODEL, offsetof(struct ec_config, model)},
	    {"keylogfile", EC_CF_KEYLOGFILE, offsetof(struct ec_config, keylogfile)},
	    {"pcapfile", EC_CF_PCAPFILE, offsetof(struct ec_config, pcapfile)},
	    {"ifname", EC_CF_IFNAME, offsetof(struct ec_config, ifname)},
	    {"cgroup_path", EC_CF_CGROUP_PATH, offsetof(struct ec_config, cgroup_path)},
	    {"ssl_version", EC_CF_SSL_VERSION, offsetof(struct ec_config, ssl_version)},
	    {"readline", EC_CF_READLINE, offsetof(struct ec_config, readline)},
	    {"funcname", EC_CF_FUNCNAME, offsetof(struct ec_config, funcname)},
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		if (!(p & strs[i].bit))
			continue;
		const char *s = *(char *const *)((const char *)cfg + strs[i].off);
		cJSON_AddStringToObject(o, strs[i].key, s ? s : "");
	}
	if (p & EC_CF_ERRNO)
		cJSON_AddNumberToObject(o, "errno", (double)cfg->errno_filter);
	if (p & EC_CF_OFFSET)
		cJSON_AddNumberToObject(o, "offset", (double)cfg->offset);
	return print_free(o);
}

static const char *const code_names[] = {"RespOK",
					 "RespInvalidRequest",
					 "RespServerError",
					 "RespModuleNotFound",
					 "RespConfigDecodeFailed",
					 "RespConfigCheckFailed",
					 "RespSendToChanFailed"};

const char *ec_config_code_name(int code)
{
	return code >= 0 && (size_t)code < sizeof code_names / sizeof *code_names ? code_names[code]
										  : "RespUnknown";
}

char *ec_config_response(int code, const char *module, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "code", code);
	cJSON_AddStringToObject(o, "module_type", module ? module : "");
	cJSON_AddStringToObject(o, "msg", msg && *msg ? msg : ec_config_code_name(code));
	cJSON_AddNullToObject(o, "data");
	return print_free(o);
}

int ec_config_response_parse(const char *body, size_t len, int *code, char *msg, size_t msglen)
{
	if (msg && msglen)
		*msg = 0;
	cJSON *o = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *c = o ? cJSON_GetObjectItemCaseSensitive(o, "code") : NULL;
	if (!cJSON_IsObject(o) || !cJSON_IsNumber(c) || c->valuedouble < 0 ||
	    c->valuedouble > 1000 || c->valuedouble != (double)(int)c->valuedouble) {
		cJSON_Delete(o);
		return fail(msg, msglen, -1, "not a config API response (no integer \"code\")");
	}
	*code = (int)c->valuedouble;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "msg");
	if (msg && msglen)
		snprintf(msg, msglen, "%s",
			 cJSON_IsString(m) ? m->valuestring : ec_config_code_name(*code));
	cJSON_Delete(o);
	return 0;
}

int ec_config_http_status(int code)
{
	switch (code) {
	case EC_RESP_OK:
		return 200;
	case EC_RESP_NOT_FOUND:
		return 404;
	case EC_RESP_DECODE_FAILED:
	case EC_RESP_CHECK_FAILED:
		return 400;
	case EC_RESP_SEND_FAILED:
		return 503;
	default:
		return 500;
	}
}
