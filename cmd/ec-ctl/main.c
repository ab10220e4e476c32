// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-ctl: build a remote config body from flags and post it to ec-serve's
 * config API (or straight to ec-capture's --control socket); print the answer.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpc.h"
#include "opt.h"
#include "util.h"

#define DEFAULT_SERVER "http://127.0.0.1:28256"

enum {
	O_SERVER = 256,
	O_CONTROL,
	O_PROXY,
	O_TOKEN,
	O_TOKEN_FILE,
	O_TIMEOUT,
	O_JSON,
	O_DRY,
	O_PID,
	O_UID,
	O_TARGET,
	O_IGNORE,
	O_CGROUP,
	O_CONTAINER,
	O_CAPTURE,
	O_DEBUG,
	O_NODEBUG,
	O_HEX,
	O_NOHEX,
	O_BTF,
	O_MAPSIZE,
	O_TRUNC,
	O_BODY,
	O_FIELD /* O_FIELD + i: module field i */
};

static const struct ec_opt where_opts[] = {
    {"server", O_SERVER, "URL",
     "ec-serve's config API, an http:// or https:// URL\n(" DEFAULT_SERVER ")"},
    {"control", O_CONTROL, "PATH", "ec-capture's control socket instead (HTTP over Unix)"},
    {"proxy", O_PROXY, "URL",
     "go through this proxy; proxy variables (http_proxy,\nALL_PROXY...) are ignored, so the "
     "token goes nowhere else"},
    {"token", O_TOKEN, "SECRET", "send \"Authorization: Bearer SECRET\" (or EC_TOKEN)"},
    {"token-file", O_TOKEN_FILE, "FILE", "--token's secret from FILE's one line"},
    {"timeout", O_TIMEOUT, "SECONDS", "give up after this long (10)"},
    {"json", O_JSON, NULL, "print the raw JSON answer on stdout"},
    {"dry-run", O_DRY, NULL, "print the body that would be posted, post nothing"},
    {NULL, 0, NULL, NULL},
};

static const struct ec_opt status_opts[] = {
    {"capture", O_CAPTURE, NULL,
     "the capture's status through ec-serve (GET\n/capture/status): its filters, counts and "
     "the files\nit hooked (--control asks the capture itself)"},
    {NULL, 0, NULL, NULL},
};

static const struct ec_opt module_opts[] = {
    {"pid", O_PID, "N", "capture only this process (0 = all)"},
    {"uid", O_UID, "N", "capture only this user (0 = all)"},
    {"target-process", O_TARGET, "A,B", "capture only these process names (comm)"},
    {"ignore-process", O_IGNORE, "A,B", "never capture these process names"},
    {"cgroup", O_CGROUP, "P,Q",
     "capture only processes in these cgroups or below\n(paths "
     "below the cgroup2 root)"},
    {"container", O_CONTAINER, "ID,..", "capture only these containers (id prefixes)"},
    {"debug", O_DEBUG, NULL, "debug logging (--no-debug: off)"},
    {"no-debug", O_NODEBUG, NULL, NULL},
    {"hex", O_HEX, NULL, "hex dumps in text output (--no-hex: off)"},
    {"no-hex", O_NOHEX, NULL, NULL},
    {"btf", O_BTF, "N", "0 auto, 1 CO-RE, 2 non-CO-RE"},
    {"per-cpu-map-size", O_MAPSIZE, "N", "per-CPU event map size, KiB"},
    {"truncate-size", O_TRUNC, "N", "cut payloads to N bytes (0 = no limit)"},
    {"body", O_BODY, "JSON", "post this body as is (other options ignored)"},
    {NULL, 0, NULL, NULL},
};

/* The modules and their own fields, for the tool's --help. */
static const char *modules_help(void)
{
	static char out[8192];
	const char *shown[16] = {0};
	size_t nshown = 0, n = 0;
#define ADD(...) (n += (size_t)snprintf(out + n, n < sizeof out ? sizeof out - n : 0, __VA_ARGS__))
	ADD("Modules and their own fields (--FIELD VALUE; JSON keys use '_' for '-'):\n");
	for (size_t i = 0; ec_config_routes[i] && nshown < 16; i++) {
		const char *r = ec_config_routes[i], *m = ec_config_module(r);
		int dup = 0;
		for (size_t k = 0; k < nshown; k++)
			dup |= !strcmp(shown[k], m);
		if (dup)
			continue;
		shown[nshown++] = m;
		ADD("  %s", r);
		for (size_t k = i + 1; ec_config_routes[k]; k++)
			if (!strcmp(ec_config_module(ec_config_routes[k]), m))
				ADD(", %s", ec_config_routes[k]);
		ADD("\n");
		const char *const *fl = ec_config_module_fields(r);
		for (size_t k = 0; fl && fl[k]; k += 2) {
			char name[32];
			snprintf(name, sizeof name, "%s", fl[k]);
			for (char *c = name; *c; c++)
				if (*c == '_')
					*c = '-';
			ADD("      --%-18s %s\n", name, fl[k + 1]);
		}
	}
	ADD("\nExamples:\n  %s tls --pid 1234\n"
	    "  %s tls --target-process nginx,curl --ignore-process ec-capture\n"
	    "  %s bash --uid 1000\n  %s tls --pid 0 --control /run/ec/capture.sock",
	    argv0, argv0, argv0, argv0);
#undef ADD
	return out;
}

static int is_number_field(const char *key)
{
	return !strcmp(key, "errno") || !strcmp(key, "offset");
}

/* "nginx,curl" → ["nginx","curl"]; empty items are kept for the server to refuse. */
static cJSON *split_list(const char *s)
{
	cJSON *a = cJSON_CreateArray();
	if (!*s)
		return a;
	char *copy = ec_xstrdup(s), *p = copy, *comma;
	do {
		comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		cJSON_AddItemToArray(a, cJSON_CreateString(p));
		p = comma + 1;
	} while (comma);
	free(copy);
	return a;
}

/* A number field into o[key]: 0, or 2 after a one-line error. */
static int integer(cJSON *o, const char *key, const char *s)
{
	long long v;
	/* the range is the server's to check: it answers code 5 with the reason */
	if (ec_util_parse_int(s, -9007199254740991ll, 9007199254740991ll, &v)) {
		ec_warn("%s \"%s\": expected a whole number", ec_opt_current(), s);
		return 2;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, cJSON_CreateNumber((double)v));
	return 0;
}

static void set(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

static int print_status(const char *target, const struct ec_httpc_reply *r, int json)
{
	if (json || r->status == 200) {
		printf("%s\n", r->body);
		return r->status == 200 ? 0 : 1;
	}
	int code;
	char msg[1024];
	if (ec_config_response_parse(r->body, r->len, &code, msg, sizeof msg) == 0)
		ec_warn("%s: HTTP %ld: %s", target, r->status, msg);
	else
		ec_warn("%s: HTTP %ld", target, r->status);
	return 1;
}

struct args {
	const char *server, *control, *proxy, *body_arg, *token, *token_file;
	int token_given;
	long timeout_ms;
	int json, dry, capture;
	cJSON *body, *filters;
	const char *const *fields;
};

static int where(void *ctx, int key, const char *arg)
{
	struct args *a = ctx;
	long long v;
	switch (key) {
	case O_SERVER:
		a->server = arg;
		return 0;
	case O_CONTROL:
		a->control = arg;
		return 0;
	case O_PROXY:
		a->proxy = arg;
		return 0;
	case O_TOKEN:
		a->token = arg;
		a->token_given = 1;
		return 0;
	case O_TOKEN_FILE: /* read once the options are parsed: a runtime error */
		a->token_file = arg;
		return 0;
	case O_TIMEOUT:
		if (ec_util_parse_int(arg, 1, 3600, &v)) {
			ec_warn("--timeout \"%s\": expected seconds, 1-3600", arg);
			return 2;
		}
		a->timeout_ms = (long)v * 1000;
		return 0;
	case O_JSON:
		a->json = 1;
		return 0;
	case O_CAPTURE:
		a->capture = 1;
		return 0;
	default: /* O_DRY */
		a->dry = 1;
		return 0;
	}
}

static int field(void *ctx, int key, const char *arg)
{
	struct args *a = ctx;
	cJSON *b = a->body;
	switch (key) {
	case O_PID:
		return integer(b, "pid", arg);
	case O_UID:
		return integer(b, "uid", arg);
	case O_TARGET:
	case O_IGNORE:
	case O_CGROUP:
	case O_CONTAINER:
		if (!a->filters)
			a->filters = cJSON_AddObjectToObject(b, "filters");
		set(a->filters,
		    key == O_TARGET   ? "target_process"
		    : key == O_IGNORE ? "ignore_process"
		    : key == O_CGROUP ? "cgroup"
				      : "container",
		    split_list(arg));
		return 0;
	case O_DEBUG:
	case O_NODEBUG:
		set(b, "debug", cJSON_CreateBool(key == O_DEBUG));
		return 0;
	case O_HEX:
	case O_NOHEX:
		set(b, "hex", cJSON_CreateBool(key == O_HEX));
		return 0;
	case O_BTF:
		return integer(b, "btf", arg);
	case O_MAPSIZE:
		return integer(b, "per_cpu_map_size", arg);
	case O_TRUNC:
		return integer(b, "truncate_size", arg);
	case O_BODY:
		a->body_arg = arg;
		return 0;
	}
	const char *k = a->fields[(key - O_FIELD) * 2];
	if (is_number_field(k))
		return integer(b, k, arg);
	set(b, k, cJSON_CreateString(arg));
	return 0;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	struct ec_opt_group top[] = {{"where", where_opts, NULL, NULL},
				     {"every module", module_opts, NULL, NULL}};
	struct ec_opt_spec help = {
	    .usage = "MODULE [options]      post a config update\n"
		     "       ec-ctl status [options]      print the server's status",
	    .about = "Builds the JSON config body from the options, posts it to MODULE's route of\n"
		     "ec-serve's config API (or of ec-capture's control socket) and prints the "
		     "answer.\nExit 0 when the answer's code is 0, 1 otherwise, 2 on bad usage.",
	    .footer = modules_help(),
	    .groups = top,
	    .ngroups = 2,
	    .what = "change a running capture's filters through the remote config API",
	    .examples =
		(const char *const[]){
		    "ec-ctl tls --pid 1234",
		    "ec-ctl tls --target-process nginx,curl --ignore-process ec-capture",
		    "ec-ctl tls --pid 0 --control /run/ec/capture.sock     # straight to the "
		    "capture",
		    "ec-ctl status                                          # GET /status",
		    "ec-ctl status --capture     # the capture's: the files it hooked", NULL},
	};
	if (argc < 2) {
		ec_opt_help(stderr, &help, argv0);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		ec_opt_help(stdout, &help, argv0);
		return 0;
	}
	if (!strcmp(argv[1], "--man")) { /* hidden: the man page, made at build time */
		ec_opt_man(stdout, &help, argv0, help.what);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		ec_version();
	const char *module = argv[1];
	int status_cmd = !strcmp(module, "status");
	if (!status_cmd && !ec_config_module(module)) {
		ec_warn("unknown module \"%s\"; known: tls openssl boringssl auto gotls gnutls nss "
			"nspr "
			"bash mysqld postgres postgress (see --help)",
			module);
		return 2;
	}
	/* the module's own fields, as --key and (hidden) --key-with-dashes */
	struct args a = {.token = getenv("EC_TOKEN"), .timeout_ms = 10000};
	a.fields = status_cmd ? NULL : ec_config_module_fields(module);
	struct ec_opt own[33] = {{0}};
	char dashed[16][32];
	size_t n = 0, nd = 0;
	for (size_t i = 0; a.fields && a.fields[i] && n < 30; i += 2) {
		int key = O_FIELD + (int)(i / 2);
		own[n++] = (struct ec_opt){a.fields[i], key, "VALUE", a.fields[i + 1]};
		if (strchr(a.fields[i], '_') && nd < 16) {
			snprintf(dashed[nd], sizeof dashed[nd], "%s", a.fields[i]);
			for (char *c = dashed[nd]; *c; c++)
				if (*c == '_')
					*c = '-';
			own[n++] = (struct ec_opt){dashed[nd++], key, "VALUE", NULL};
		}
	}
	a.body = cJSON_CreateObject();
	struct ec_opt_group groups[] = {{"where", where_opts, where, &a},
					{"every module", module_opts, field, &a},
					{"this module", own, field, &a}};
	if (status_cmd)
		groups[1] = (struct ec_opt_group){"status", status_opts, where, &a};
	char prog[64];
	snprintf(prog, sizeof prog, "%s %s", argv0, module);
	struct ec_opt_spec spec = {
	    .prog = prog,
	    .usage = "[options]",
	    .about = status_cmd ? "Print the server's status." : "Post a config update.",
	    .groups = groups,
	    .ngroups = status_cmd ? 2 : 3,
	};
	int rc = ec_opt_parse(&spec, argc - 1, argv + 1, NULL);
	if (rc) {
		cJSON_Delete(a.body);
		return rc == EC_OPT_HELP ? 0 : rc;
	}
	const char *server = a.server, *control = a.control, *proxy = a.proxy;
	const char *token = a.token, *body_arg = a.body_arg;
	long timeout_ms = a.timeout_ms;
	int json = a.json, dry = a.dry;
	cJSON *body = a.body;
	if (server && control)
		ec_die(2, "--server and --control are exclusive: post to one of them");
	char why[300];
	if (server && ec_httpc_target_check(server, 0, why, sizeof why))
		ec_die(2, "--server %s (a Unix socket goes with --control PATH)", why);
	if (proxy && ec_httpc_proxy_check(proxy, why, sizeof why))
		ec_die(2, "--proxy %s", why);
	if (proxy && control)
		ec_die(2, "--proxy is for --server URLs; --control is a local socket");
	if (a.token_file && a.token_given)
		ec_die(2, "--token and --token-file: give the secret one way");
	if (a.token_file && !(token = ec_util_read_token("--token-file", a.token_file)))
		return 1;
	if (token && !*token)
		token = NULL;
	const char *target = control ? control : server ? server : DEFAULT_SERVER;

	char *text = body_arg ? ec_xstrdup(body_arg) : cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!text)
		ec_die(1, "out of memory");
	if (dry && !status_cmd) {
		printf("%s\n", text);
		free(text);
		return 0;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	char path[64], err[600];
	snprintf(path, sizeof path, "/%s",
		 status_cmd && a.capture && !control ? "capture/status" : module);
	struct ec_httpc_reply r;
	rc = ec_httpc_request(target, proxy, status_cmd ? "GET" : "POST", path, text, strlen(text),
			      token, timeout_ms, &r, err, sizeof err);
	free(text);
	int status = 1;
	if (rc) {
		ec_warn("cannot reach %s", err);
	} else if (status_cmd) {
		status = print_status(target, &r, json);
	} else {
		int code;
		char msg[1024];
		if (json)
			printf("%s\n", r.body);
		if (ec_config_response_parse(r.body, r.len, &code, msg, sizeof msg)) {
			ec_warn("%s%s: HTTP %ld, not a config API answer: %.200s", target, path,
				r.status, r.body);
		} else if (code == EC_RESP_OK) {
			if (!json)
				printf("%s: %s\n", module, msg);
			status = 0;
		} else {
			ec_warn("%s: code %d (%s, HTTP %ld): %s", module, code,
				ec_config_code_name(code), r.status, msg);
		}
		free(r.body);
		r.body = NULL;
	}
	free(r.body);
	curl_global_cleanup();
	return status;
}
