/*
 * ec-ctl: build a remote config body from flags and post it to ec-serve's
 * config API (or straight to ec-capture's --control socket); print the answer.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpc.h"
#include "util.h"

#define DEFAULT_SERVER "http://127.0.0.1:28256"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s MODULE [options]      post a config update\n"
	    "       %s status [options]      print the server's status\n"
	    "\n"
	    "Builds the JSON config body from the options, posts it to MODULE's route of\n"
	    "ec-serve's config API (or of ec-capture's control socket) and prints the answer.\n"
	    "Exit 0 when the answer's code is 0, 1 otherwise, 2 on bad usage.\n"
	    "\n"
	    "Where:\n"
	    "  --server URL            ec-serve's config API, an http:// or https:// URL\n"
	    "                          (%s)\n"
	    "  --control PATH          ec-capture's control socket instead (HTTP over Unix)\n"
	    "  --proxy URL             go through this proxy; proxy variables (http_proxy,\n"
	    "                          ALL_PROXY...) are ignored, so the token goes nowhere else\n"
	    "  --token SECRET          send \"Authorization: Bearer SECRET\" (or EC_TOKEN)\n"
	    "  --timeout SECONDS       give up after this long (10)\n"
	    "  --json                  print the raw JSON answer on stdout\n"
	    "  --dry-run               print the body that would be posted, post nothing\n"
	    "\n"
	    "Every module:\n"
	    "  --pid N                 capture only this process (0 = all)\n"
	    "  --uid N                 capture only this user (0 = all)\n"
	    "  --target-process A,B    capture only these process names (comm)\n"
	    "  --ignore-process A,B    never capture these process names\n"
	    "  --debug | --no-debug    debug logging\n"
	    "  --hex | --no-hex        hex dumps in text output\n"
	    "  --btf N                 0 auto, 1 CO-RE, 2 non-CO-RE\n"
	    "  --per-cpu-map-size N    per-CPU event map size, KiB\n"
	    "  --truncate-size N       cut payloads to N bytes (0 = no limit)\n"
	    "  --body JSON             post this body as is (other options ignored)\n"
	    "\n"
	    "Modules and their own fields (--FIELD VALUE; JSON keys use '_' for '-'):\n",
	    argv0, argv0, DEFAULT_SERVER);
	const char *shown[8] = {0};
	size_t nshown = 0;
	for (size_t i = 0; ec_config_routes[i]; i++) {
		const char *r = ec_config_routes[i];
		const char *m = ec_config_module(r);
		int dup = 0;
		for (size_t k = 0; k < nshown; k++)
			dup |= !strcmp(shown[k], m);
		if (dup)
			continue;
		shown[nshown++] = m;
		fprintf(f, "  %s", r);
		for (size_t k = i + 1; ec_config_routes[k]; k++)
			if (!strcmp(ec_config_module(ec_config_routes[k]), m))
				fprintf(f, ", %s", ec_config_routes[k]);
		fprintf(f, "\n");
		const char *const *fl = ec_config_module_fields(r);
		for (size_t k = 0; fl && fl[k]; k += 2) {
			char name[32];
			snprintf(name, sizeof name, "%s", fl[k]);
			for (char *c = name; *c; c++)
				if (*c == '_')
					*c = '-';
			fprintf(f, "      --%-18s %s\n", name, fl[k + 1]);
		}
	}
	fprintf(f,
		"\nExamples:\n"
		"  %s tls --pid 1234\n"
		"  %s tls --target-process nginx,curl --ignore-process ec-capture\n"
		"  %s bash --uid 1000\n"
		"  %s tls --pid 0 --control /run/ec/capture.sock\n",
		argv0, argv0, argv0, argv0);
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

static long long integer(const char *opt, const char *s)
{
	long long v;
	/* the range is the server's to check: it answers code 5 with the reason */
	if (ec_parse_int(s, -9007199254740991ll, 9007199254740991ll, &v))
		ec_die(2, "--%s \"%s\": expected a whole number", opt, s);
	return v;
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

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		ec_version();
	const char *module = argv[1];
	int status_cmd = !strcmp(module, "status");
	if (!status_cmd && !ec_config_module(module)) {
		ec_warn("unknown module \"%s\"; known: tls openssl boringssl gotls gnutls nss nspr "
			"bash mysqld postgres postgress (see --help)",
			module);
		return 2;
	}

	enum {
		O_SERVER = 256,
		O_CONTROL,
		O_PROXY,
		O_TOKEN,
		O_TIMEOUT,
		O_JSON,
		O_DRY,
		O_PID,
		O_UID,
		O_TARGET,
		O_IGNORE,
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
	struct option longopts[64] = {
	    {"server", required_argument, NULL, O_SERVER},
	    {"control", required_argument, NULL, O_CONTROL},
	    {"proxy", required_argument, NULL, O_PROXY},
	    {"token", required_argument, NULL, O_TOKEN},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"json", no_argument, NULL, O_JSON},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"pid", required_argument, NULL, O_PID},
	    {"uid", required_argument, NULL, O_UID},
	    {"target-process", required_argument, NULL, O_TARGET},
	    {"ignore-process", required_argument, NULL, O_IGNORE},
	    {"debug", no_argument, NULL, O_DEBUG},
	    {"no-debug", no_argument, NULL, O_NODEBUG},
	    {"hex", no_argument, NULL, O_HEX},
	    {"no-hex", no_argument, NULL, O_NOHEX},
	    {"btf", required_argument, NULL, O_BTF},
	    {"per-cpu-map-size", required_argument, NULL, O_MAPSIZE},
	    {"truncate-size", required_argument, NULL, O_TRUNC},
	    {"body", required_argument, NULL, O_BODY},
	    {"help", no_argument, NULL, 'h'},
	};
	size_t nopt = 0;
	while (longopts[nopt].name)
		nopt++;
	/* the module's own fields, as --key and --key-with-dashes */
	const char *const *fields = status_cmd ? NULL : ec_config_module_fields(module);
	char dashed[16][32];
	size_t nd = 0;
	for (size_t i = 0; fields && fields[i]; i += 2) {
		longopts[nopt++] =
		    (struct option){fields[i], required_argument, NULL, O_FIELD + (int)(i / 2)};
		if (strchr(fields[i], '_') && nd < 16) {
			snprintf(dashed[nd], sizeof dashed[nd], "%s", fields[i]);
			for (char *c = dashed[nd]; *c; c++)
				if (*c == '_')
					*c = '-';
			longopts[nopt++] = (struct option){dashed[nd], required_argument, NULL,
							   O_FIELD + (int)(i / 2)};
			nd++;
		}
	}
	longopts[nopt] = (struct option){NULL, 0, NULL, 0};

	const char *server = NULL, *control = NULL, *proxy = NULL, *body_arg = NULL;
	const char *token = getenv("EC_TOKEN");
	long timeout_ms = 10000;
	int json = 0, dry = 0, c;
	cJSON *body = cJSON_CreateObject(), *filters = NULL;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SERVER:
			server = optarg;
			break;
		case O_CONTROL:
			control = optarg;
			break;
		case O_PROXY:
			proxy = optarg;
			break;
		case O_TOKEN:
			token = optarg;
			break;
		case O_TIMEOUT: {
			long long v;
			if (ec_parse_int(optarg, 1, 3600, &v))
				ec_die(2, "--timeout \"%s\": expected seconds, 1-3600", optarg);
			timeout_ms = (long)v * 1000;
			break;
		}
		case O_JSON:
			json = 1;
			break;
		case O_DRY:
			dry = 1;
			break;
		case O_PID:
			set(body, "pid", cJSON_CreateNumber((double)integer("pid", optarg)));
			break;
		case O_UID:
			set(body, "uid", cJSON_CreateNumber((double)integer("uid", optarg)));
			break;
		case O_TARGET:
		case O_IGNORE:
			if (!filters)
				filters = cJSON_AddObjectToObject(body, "filters");
			set(filters, c == O_TARGET ? "target_process" : "ignore_process",
			    split_list(optarg));
			break;
		case O_DEBUG:
		case O_NODEBUG:
			set(body, "debug", cJSON_CreateBool(c == O_DEBUG));
			break;
		case O_HEX:
		case O_NOHEX:
			set(body, "hex", cJSON_CreateBool(c == O_HEX));
			break;
		case O_BTF:
			set(body, "btf", cJSON_CreateNumber((double)integer("btf", optarg)));
			break;
		case O_MAPSIZE:
			set(body, "per_cpu_map_size",
			    cJSON_CreateNumber((double)integer("per-cpu-map-size", optarg)));
			break;
		case O_TRUNC:
			set(body, "truncate_size",
			    cJSON_CreateNumber((double)integer("truncate-size", optarg)));
			break;
		case O_BODY:
			body_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (c >= O_FIELD && fields) {
				const char *key = fields[(c - O_FIELD) * 2];
				set(body, key,
				    is_number_field(key)
					? cJSON_CreateNumber((double)integer(key, optarg))
					: cJSON_CreateString(optarg));
				break;
			}
			ec_warn("see --help for %s's options", status_cmd ? "status" : module);
			return 2;
		}
	}
	if (optind < argc) {
		ec_warn("unexpected argument \"%s\"; options start with --", argv[optind]);
		return 2;
	}
	if (server && control)
		ec_die(2, "--server and --control are exclusive: post to one of them");
	char why[300];
	if (server && ec_httpc_target_check(server, 0, why, sizeof why))
		ec_die(2, "--server %s (a Unix socket goes with --control PATH)", why);
	if (proxy && ec_httpc_proxy_check(proxy, why, sizeof why))
		ec_die(2, "--proxy %s", why);
	if (proxy && control)
		ec_die(2, "--proxy is for --server URLs; --control is a local socket");
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
	snprintf(path, sizeof path, "/%s", module);
	struct ec_httpc_reply r;
	int rc = ec_httpc_request(target, proxy, status_cmd ? "GET" : "POST", path, text,
				  strlen(text), token, timeout_ms, &r, err, sizeof err);
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
