// SPDX-License-Identifier: GPL-2.0-only
/* lib/config/config: the remote config API's body, checks, codes and responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static char msg[512];

static int parse(const char *module, const char *body, struct ec_config *cfg)
{
	return ec_config_parse(module, body, strlen(body), cfg, msg, sizeof msg);
}

/* Parse, expect code, free; returns nothing, checks msg mentions `needle`. */
static void expect(const char *module, const char *body, int code, const char *needle)
{
	struct ec_config cfg;
	int rc = parse(module, body, &cfg);
	if (rc != code)
		fail_msg("%s %s: got %d (%s), want %d", module, body, rc, msg, code);
	if (needle && !strstr(msg, needle))
		fail_msg("%s %s: msg \"%s\" lacks \"%s\"", module, body, msg, needle);
	if (code == EC_RESP_OK)
		ec_config_free(&cfg);
}

static void test_seed_example(void **state)
{
	(void)state;
	const char *body = "{\n\"pid\": 0,\n\"uid\": 0,\n\"debug\": false,\n\"hex\": false,\n"
			   "\"btf\": 0,\n\"per_cpu_map_size\": 1024,\n\"truncate_size\": 0,\n"
			   "\"filters\": {\n\"target_process\": [\"nginx\", \"curl\"],\n"
			   "\"ignore_process\": [\"ecapture\"]\n}\n}";
	struct ec_config cfg;
	assert_int_equal(parse("/tls", body, &cfg), EC_RESP_OK);
	assert_string_equal(cfg.module, "tls");
	assert_string_equal(cfg.route, "tls");
	assert_int_equal(cfg.pid, 0);
	assert_int_equal(cfg.per_cpu_map_size, 1024);
	assert_int_equal(cfg.n_target, 2);
	assert_string_equal(cfg.target_process[0], "nginx");
	assert_string_equal(cfg.target_process[1], "curl");
	assert_int_equal(cfg.n_ignore, 1);
	assert_string_equal(cfg.ignore_process[0], "ecapture");
	uint32_t want = EC_CF_PID | EC_CF_UID | EC_CF_DEBUG | EC_CF_HEX | EC_CF_BTF |
			EC_CF_PER_CPU_MAP_SIZE | EC_CF_TRUNCATE_SIZE | EC_CF_TARGET_PROCESS |
			EC_CF_IGNORE_PROCESS;
	assert_int_equal(cfg.present, want);
	ec_config_free(&cfg);
}

static void test_routes(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
	    {"tls", "tls"},	      {"openssl", "tls"},	 {"/boringssl", "tls"},
	    {"gotls", "gotls"},	      {"gnutls", "gnutls"},	 {"nss", "nss"},
	    {"nspr", "nss"},	      {"bash", "bash"},		 {"mysqld", "mysqld"},
	    {"postgres", "postgres"}, {"postgress", "postgres"}, {"auto", "auto"},
	    {"sock", "sock"}};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		struct ec_config cfg;
		assert_int_equal(parse(pairs[i][0], "{\"pid\":7}", &cfg), EC_RESP_OK);
		assert_string_equal(cfg.module, pairs[i][1]);
		assert_int_equal(cfg.pid, 7);
		ec_config_free(&cfg);
		assert_string_equal(ec_config_module(pairs[i][0]), pairs[i][1]);
	}
	size_t n = 0;
	while (ec_config_routes[n])
		n++;
	assert_int_equal(n, 13);
	assert_null(ec_config_module("zsh"));
	assert_null(ec_config_module(""));
	expect("/zsh", "{}", EC_RESP_NOT_FOUND, "unknown module \"/zsh\"");
	expect("tlsx", "{}", EC_RESP_NOT_FOUND, NULL);
}

static void test_decode_failures(void **state)
{
	(void)state;
	expect("tls", "{\"filters\":{\"cgroup\":\"/a\"}}", EC_RESP_DECODE_FAILED,
	       "\"filters.cgroup\": expected an array of strings");
	expect("tls", "{\"filters\":{\"container\":[\"\"]}}", EC_RESP_CHECK_FAILED,
	       "\"filters.container[0]\": 0 bytes; give 1 to 71");
	expect("tls", "{\"filters\":{\"container\":[7]}}", EC_RESP_DECODE_FAILED,
	       "\"filters.container[0]\": expected a string, got");
	expect("tls", "{\"filters\":{\"nope\":[]}}", EC_RESP_DECODE_FAILED,
	       "known: target_process, ignore_process, cgroup, container");
	expect("tls", "{\"pid\": 1", EC_RESP_DECODE_FAILED, "malformed JSON");
	expect("tls", "not json", EC_RESP_DECODE_FAILED, "byte 0");
	expect("tls", "[1,2]", EC_RESP_DECODE_FAILED, "not a JSON object");
	expect("tls", "{} {}", EC_RESP_DECODE_FAILED, "extra data at byte 3");
	expect("tls", "{\"pid\":\"12\"}", EC_RESP_DECODE_FAILED, "\"pid\": expected an integer");
	expect("tls", "{\"pid\":1.5}", EC_RESP_DECODE_FAILED, "expected an integer, got 1.5");
	expect("tls", "{\"debug\":1}", EC_RESP_DECODE_FAILED, "expected true or false");
	expect("tls", "{\"filters\":[]}", EC_RESP_DECODE_FAILED, "\"filters\": expected an object");
	expect("tls", "{\"filters\":{\"target_process\":\"curl\"}}", EC_RESP_DECODE_FAILED,
	       "expected an array");
	expect("tls", "{\"filters\":{\"target_process\":[\"curl\",3]}}", EC_RESP_DECODE_FAILED,
	       "target_process[1]");
	expect("tls", "{\"filters\":{\"target\":[]}}", EC_RESP_DECODE_FAILED,
	       "unknown field \"filters.target\"");
	expect("tls", "{\"pidd\":1}", EC_RESP_DECODE_FAILED, "unknown field \"pidd\"");
	expect("tls", "{\"pid\":1,\"pid\":2}", EC_RESP_DECODE_FAILED, "appears twice");
	/* a module field of another module */
	expect("bash", "{\"libssl\":\"/x\"}", EC_RESP_DECODE_FAILED, "known: pid");
	expect("tls", "{\"elfpath\":\"/x\"}", EC_RESP_DECODE_FAILED, "elfpath");
	expect("tls", "", EC_RESP_DECODE_FAILED, "empty body");
	/* a NUL inside the body is not JSON */
	struct ec_config cfg;
	assert_int_equal(ec_config_parse("tls", "{}\0{}", 5, &cfg, msg, sizeof msg),
			 EC_RESP_DECODE_FAILED);
}

static void test_check_failures(void **state)
{
	(void)state;
	expect("tls", "{\"pid\":-1}", EC_RESP_CHECK_FAILED, "\"pid\": -1 is too small");
	expect("tls", "{\"pid\":4194305}", EC_RESP_CHECK_FAILED, "too large");
	expect("tls", "{\"uid\":-5}", EC_RESP_CHECK_FAILED, "\"uid\"");
	expect("tls", "{\"btf\":3}", EC_RESP_CHECK_FAILED, "btf");
	expect("tls", "{\"per_cpu_map_size\":-1}", EC_RESP_CHECK_FAILED, NULL);
	expect("tls", "{\"truncate_size\":-1}", EC_RESP_CHECK_FAILED, NULL);
	expect("tls", "{\"filters\":{\"target_process\":[\"\"]}}", EC_RESP_CHECK_FAILED,
	       "empty process name");
	expect("tls", "{\"filters\":{\"target_process\":[\"a-very-long-name-x\"]}}",
	       EC_RESP_CHECK_FAILED, "comm");
	expect("tls", "{\"filters\":{\"ignore_process\":[\"/usr/bin/curl\"]}}",
	       EC_RESP_CHECK_FAILED, "contains '/'");
	expect("tls",
	       "{\"filters\":{\"target_process\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
	       "\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}}",
	       EC_RESP_CHECK_FAILED, "17 names is too many");
	expect("tls", "{\"libssl\":\"libssl.so.3\"}", EC_RESP_CHECK_FAILED, "absolute path");
	expect("tls", "{\"model\":\"json\"}", EC_RESP_CHECK_FAILED, "model");
	expect("tls", "{\"ifname\":\"an-interface-name\"}", EC_RESP_CHECK_FAILED, "ifname");
	expect("bash", "{\"errno\":256}", EC_RESP_CHECK_FAILED, "errno");
	expect("mysqld", "{\"offset\":-3}", EC_RESP_CHECK_FAILED, "offset");
}

static void test_limits_ok(void **state)
{
	(void)state;
	struct ec_config cfg;
	assert_int_equal(parse("tls", "{\"pid\":4194304,\"uid\":4294967294}", &cfg), EC_RESP_OK);
	assert_int_equal(cfg.pid, 4194304);
	assert_int_equal(cfg.uid, 4294967294ull);
	ec_config_free(&cfg);
	/* 15-byte name fits comm; 16 names fit */
	assert_int_equal(parse("tls",
			       "{\"filters\":{\"target_process\":[\"abcdefghijklmno\",\"b\",\"c\","
			       "\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\","
			       "\"o\",\"p\"],\"ignore_process\":null}}",
			       &cfg),
			 EC_RESP_OK);
	assert_int_equal(cfg.n_target, 16);
	assert_int_equal(cfg.n_ignore, 0);
	assert_true(cfg.present & EC_CF_IGNORE_PROCESS);
	ec_config_free(&cfg);
	/* null leaves a field absent (as Go does); upstream keys are ignored */
	assert_int_equal(parse("tls",
			       "{\"pid\":null,\"listen\":\"x\",\"is_hex\":true,"
			       "\"btf_mode\":2}",
			       &cfg),
			 EC_RESP_OK);
	assert_false(cfg.present & EC_CF_PID);
	assert_true(cfg.hex);
	assert_int_equal(cfg.btf, 2);
	ec_config_free(&cfg);
	assert_int_equal(parse("tls", " \r\n{}\n ", &cfg), EC_RESP_OK);
	assert_int_equal(cfg.present, 0);
	ec_config_free(&cfg);
	/* oversize */
	size_t big = EC_CONFIG_BODY_MAX + 1;
	char *b = malloc(big);
	memset(b, ' ', big);
	b[0] = '{';
	b[big - 1] = '}';
	assert_int_equal(ec_config_parse("tls", b, big, &cfg, msg, sizeof msg),
			 EC_RESP_INVALID_REQUEST);
	free(b);
}

static void test_module_fields(void **state)
{
	(void)state;
	struct ec_config cfg;
	assert_int_equal(parse("openssl",
			       "{\"libssl\":\"/usr/lib/libssl.so.3\",\"model\":\"keylog\","
			       "\"keylogfile\":\"k.log\",\"ifname\":\"lo\",\"cgroup_path\":"
			       "\"/sys/fs/cgroup\",\"ssl_version\":\"openssl 3.0.0\"}",
			       &cfg),
			 EC_RESP_OK);
	assert_string_equal(cfg.path, "/usr/lib/libssl.so.3");
	assert_string_equal(cfg.model, "keylog");
	assert_string_equal(cfg.keylogfile, "k.log");
	assert_string_equal(cfg.ifname, "lo");
	assert_string_equal(cfg.ssl_version, "openssl 3.0.0");
	ec_config_free(&cfg);
	assert_null(cfg.path);
	assert_int_equal(parse("gotls", "{\"elfpath\":\"/bin/app\",\"model\":\"text\"}", &cfg),
			 EC_RESP_OK);
	assert_string_equal(cfg.path, "/bin/app");
	ec_config_free(&cfg);
	assert_int_equal(parse("bash",
			       "{\"bashpath\":\"/bin/bash\",\"errno\":-1,\"readline\":"
			       "\"/lib/libreadline.so.8\"}",
			       &cfg),
			 EC_RESP_OK);
	assert_int_equal(cfg.errno_filter, -1);
	ec_config_free(&cfg);
	assert_int_equal(parse("mysqld",
			       "{\"mysqldpath\":\"/usr/sbin/mysqld\",\"funcname\":"
			       "\"dispatch_command\",\"offset\":4096}",
			       &cfg),
			 EC_RESP_OK);
	assert_int_equal(cfg.offset, 4096);
	ec_config_free(&cfg);
	assert_int_equal(parse("postgress", "{\"postgrespath\":\"/usr/bin/postgres\"}", &cfg),
			 EC_RESP_OK);
	assert_string_equal(cfg.module, "postgres");
	assert_string_equal(cfg.route, "postgress");
	ec_config_free(&cfg);
	assert_string_equal(ec_config_path_key("nspr"), "nspr");
	assert_string_equal(ec_config_path_key("gnutls"), "gnutls");
	assert_null(ec_config_path_key("zsh"));
	const char *const *f = ec_config_module_fields("bash");
	assert_non_null(f);
	assert_string_equal(f[0], "bashpath");
}

static void test_to_json_roundtrip(void **state)
{
	(void)state;
	const char *bodies[][2] = {
	    {"tls", "{\"pid\":1234,\"uid\":1000,\"debug\":true,\"hex\":false,\"btf\":1,"
		    "\"per_cpu_map_size\":2048,\"truncate_size\":4096,\"filters\":{"
		    "\"target_process\":[\"nginx\",\"curl\"],\"ignore_process\":[]},"
		    "\"libssl\":\"/lib/libssl.so\",\"model\":\"text\"}"},
	    {"bash", "{\"uid\":1000,\"bashpath\":\"/bin/bash\",\"errno\":0}"},
	    {"mysqld", "{\"pid\":9,\"mysqldpath\":\"/m\",\"funcname\":\"f\",\"offset\":16}"},
	    {"tls", "{}"},
	    {"auto", "{\"pid\":3,\"filters\":{\"cgroup\":[\"/machine.slice/machine-web.scope\"],"
		     "\"container\":[\"3f2a\",\"web\"]}}"},
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		struct ec_config cfg;
		assert_int_equal(parse(bodies[i][0], bodies[i][1], &cfg), EC_RESP_OK);
		char *j = ec_config_to_json(&cfg);
		assert_string_equal(j, bodies[i][1]);
		struct ec_config again;
		assert_int_equal(parse(bodies[i][0], j, &again), EC_RESP_OK);
		assert_int_equal(again.present, cfg.present);
		free(j);
		ec_config_free(&cfg);
		ec_config_free(&again);
	}
}

static void test_response(void **state)
{
	(void)state;
	char *r = ec_config_response(0, "tls", NULL);
	assert_string_equal(
	    r, "{\"code\":0,\"module_type\":\"tls\",\"msg\":\"RespOK\",\"data\":null}");
	int code = -1;
	assert_int_equal(ec_config_response_parse(r, strlen(r), &code, msg, sizeof msg), 0);
	assert_int_equal(code, 0);
	assert_string_equal(msg, "RespOK");
	free(r);
	r = ec_config_response(5, "bash", "field \"pid\": \"quoted\"\n");
	assert_int_equal(ec_config_response_parse(r, strlen(r), &code, msg, sizeof msg), 0);
	assert_int_equal(code, 5);
	assert_string_equal(msg, "field \"pid\": \"quoted\"\n");
	free(r);
	assert_int_equal(ec_config_response_parse("{\"code\":\"0\"}", 12, &code, msg, sizeof msg),
			 -1);
	assert_int_equal(ec_config_response_parse("<html>", 6, &code, msg, sizeof msg), -1);
	assert_int_equal(ec_config_response_parse("", 0, &code, msg, sizeof msg), -1);
	assert_int_equal(ec_config_http_status(EC_RESP_OK), 200);
	assert_int_equal(ec_config_http_status(EC_RESP_NOT_FOUND), 404);
	assert_int_equal(ec_config_http_status(EC_RESP_DECODE_FAILED), 400);
	assert_int_equal(ec_config_http_status(EC_RESP_CHECK_FAILED), 400);
	assert_int_equal(ec_config_http_status(EC_RESP_SEND_FAILED), 503);
	assert_int_equal(ec_config_http_status(EC_RESP_INTERNAL), 500);
	assert_int_equal(ec_config_http_status(EC_RESP_INVALID_REQUEST), 500);
	assert_string_equal(ec_config_code_name(4), "RespConfigDecodeFailed");
	assert_string_equal(ec_config_code_name(99), "RespUnknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_example),      cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_decode_failures),   cmocka_unit_test(test_check_failures),
	    cmocka_unit_test(test_limits_ok),	      cmocka_unit_test(test_module_fields),
	    cmocka_unit_test(test_to_json_roundtrip), cmocka_unit_test(test_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
