// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/proto/pbwire: protobuf wire format without a schema, as protoc
 * --decode_raw shows it, and with one (a FileDescriptorSet) as protoc --decode does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "pbwire.h"

static const char *raw(const void *p, size_t n, int *rc)
{
	static struct ec_text t;
	ec_text_reset(&t, 4096);
	*rc = ec_pbwire_render(&t, NULL, NULL, p, n, 0);
	return ec_text_get(&t);
}

static void test_decode_raw(void **state)
{
	(void)state;
	int rc;
	/* field 1 varint 150, field 2 "ab", field 3 a message {1: 1}, fixed32, fixed64 */
	static const uint8_t m[] = {0x08, 0x96, 0x01, 0x12, 0x02, 'a', 0x62, 0x1a, 0x02,
				    0x08, 0x01, 0x25, 1,    0,	  0,   0,    0x29, 2,
				    0,	  0,	0,    0,    0,	  0,   0};
	assert_string_equal(
	    raw(m, sizeof m, &rc),
	    "1: 150\n2: \"ab\"\n3 {\n  1: 1\n}\n4: 0x00000001\n5: 0x0000000000000002\n");
	assert_int_equal(rc, 0);
	/* bytes that are neither text nor a message */
	static const uint8_t b[] = {0x0a, 0x02, 0xff, 0x00};
	assert_string_equal(raw(b, sizeof b, &rc), "1: \"\\377\\000\"\n");
	/* a length past the end, a wire type 7, field 0: not a message */
	static const uint8_t cut[] = {0x0a, 0x09, 'x'};
	raw(cut, sizeof cut, &rc);
	assert_int_equal(rc, -1);
	static const uint8_t wt7[] = {0x0f};
	raw(wt7, sizeof wt7, &rc);
	assert_int_equal(rc, -1);
	static const uint8_t f0[] = {0x00, 0x01};
	raw(f0, sizeof f0, &rc);
	assert_int_equal(rc, -1);
	/* a varint that never ends */
	static const uint8_t v[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0xff};
	raw(v, sizeof v, &rc);
	assert_int_equal(rc, -1);
}

typedef Google__Protobuf__FieldDescriptorProto Field;

static Field *fld(const char *name, int num, int type, const char *type_name, int repeated)
{
	Field *f = calloc(1, sizeof *f);
	google__protobuf__field_descriptor_proto__init(f);
	f->name = (char *)name;
	f->has_number = f->has_type = f->has_label = 1;
	f->number = num;
	f->type = type;
	f->type_name = (char *)type_name;
	f->label = repeated ? GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED
			    : GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL;
	return f;
}

/*
 * package t; enum E { ZERO = 0; ONE = 1; }
 * message M { message In { uint64 u = 1; } string name = 1; int32 n = 2;
 *   sint32 s = 3; float f = 4; double d = 5; E e = 6; M sub = 7;
 *   repeated int32 r = 8; bool b = 9; sfixed64 x = 10; In in = 11; }
 * service S { rpc Get (M) returns (M.In); }
 */
static struct ec_pbwire_schema *schema(void)
{
	Field *mf[] = {
	    fld("name", 1, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING, NULL, 0),
	    fld("n", 2, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL, 0),
	    fld("s", 3, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32, NULL, 0),
	    fld("f", 4, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT, NULL, 0),
	    fld("d", 5, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE, NULL, 0),
	    fld("e", 6, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM, ".t.E", 0),
	    fld("sub", 7, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE, ".t.M", 0),
	    fld("r", 8, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL, 1),
	    fld("b", 9, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL, NULL, 0),
	    fld("x", 10, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64, NULL, 0),
	    fld("in", 11, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE, ".t.M.In",
		0),
	};
	Field *inf[] = {
	    fld("u", 1, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64, NULL, 0)};
	Google__Protobuf__DescriptorProto in = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *inp = &in;
	in.name = "In";
	in.n_field = 1;
	in.field = inf;
	Google__Protobuf__DescriptorProto m = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *mp = &m;
	m.name = "M";
	m.n_field = sizeof mf / sizeof *mf;
	m.field = mf;
	m.n_nested_type = 1;
	m.nested_type = &inp;
	Google__Protobuf__EnumValueDescriptorProto v0 =
	    GOOGLE__PROTOBUF__ENUM_VALUE_DESCRIPTOR_PROTO__INIT;
	Google__Protobuf__EnumValueDescriptorProto v1 =
	    GOOGLE__PROTOBUF__ENUM_VALUE_DESCRIPTOR_PROTO__INIT;
	v0.name = "ZERO";
	v0.has_number = 1;
	v1.name = "ONE";
	v1.has_number = 1;
	v1.number = 1;
	Google__Protobuf__EnumValueDescriptorProto *vs[] = {&v0, &v1};
	Google__Protobuf__EnumDescriptorProto e = GOOGLE__PROTOBUF__ENUM_DESCRIPTOR_PROTO__INIT,
					      *ep = &e;
	e.name = "E";
	e.n_value = 2;
	e.value = vs;
	Google__Protobuf__MethodDescriptorProto md =
						    GOOGLE__PROTOBUF__METHOD_DESCRIPTOR_PROTO__INIT,
						*mdp = &md;
	md.name = "Get";
	md.input_type = ".t.M";
	md.output_type = ".t.M.In";
	Google__Protobuf__ServiceDescriptorProto
	    sv = GOOGLE__PROTOBUF__SERVICE_DESCRIPTOR_PROTO__INIT,
	    *svp = &sv;
	sv.name = "S";
	sv.n_method = 1;
	sv.method = &mdp;
	Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT,
					      *fdp = &fd;
	fd.name = "t.proto";
	fd.package = "t";
	fd.n_message_type = 1;
	fd.message_type = &mp;
	fd.n_enum_type = 1;
	fd.enum_type = &ep;
	fd.n_service = 1;
	fd.service = &svp;
	Google__Protobuf__FileDescriptorSet set = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
	set.n_file = 1;
	set.file = &fdp;
	size_t n = google__protobuf__file_descriptor_set__get_packed_size(&set);
	uint8_t *b = malloc(n);
	google__protobuf__file_descriptor_set__pack(&set, b);
	char err[128];
	struct ec_pbwire_schema *s = ec_pbwire_from_set(b, n, err, sizeof err);
	assert_non_null(s);
	free(b);
	for (size_t i = 0; i < sizeof mf / sizeof *mf; i++)
		free(mf[i]);
	free(inf[0]);
	return s;
}

static void test_schema(void **state)
{
	(void)state;
	struct ec_pbwire_schema *s = schema();
	const struct ec_pbwire_type *m = ec_pbwire_method(s, "/t.S/Get", 0);
	assert_non_null(m);
	assert_string_equal(ec_pbwire_type_name(m), "t.M");
	assert_string_equal(ec_pbwire_type_name(ec_pbwire_method(s, "/t.S/Get", 1)), "t.M.In");
	assert_null(ec_pbwire_method(s, "/t.S/Put", 0));
	assert_ptr_equal(ec_pbwire_type(s, ".t.M"), m);
	static const uint8_t p[] = {
	    0x0a, 0x02, 'h',  'i',					      /* name */
	    0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* n -1 */
	    0x18, 0x03,							      /* s -2 */
	    0x25, 0x00, 0x00, 0xc0, 0x3f,				      /* f 1.5 */
	    0x29, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,	      /* d 0.1 */
	    0x30, 0x01,							      /* e ONE */
	    0x3a, 0x02, 0x10, 0x07,					      /* sub { n: 7 } */
	    0x42, 0x03, 0x01, 0xac, 0x02,			  /* r [1, 300] packed */
	    0x48, 0x01,						  /* b */
	    0x51, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* x -5 */
	    0x5a, 0x02, 0x08, 0x05,				  /* in { u: 5 } */
	    0x98, 0x06, 0x04,					  /* 99: 4, unknown */
	    0x30, 0x07,						  /* e 7, no name */
	    0x15, 0x01, 0x00, 0x00, 0x00,			  /* n as fixed32: raw */
	    0x3a, 0x01, 0xff,					  /* sub, not a message */
	};
	struct ec_text t = {0};
	ec_text_reset(&t, 4096);
	assert_int_equal(ec_pbwire_render(&t, s, m, p, sizeof p, 1), 0);
	assert_string_equal(ec_text_get(&t), "  name: \"hi\"\n"
					     "  n: -1\n"
					     "  s: -2\n"
					     "  f: 1.5\n"
					     "  d: 0.1\n"
					     "  e: ONE\n"
					     "  sub {\n"
					     "    n: 7\n"
					     "  }\n"
					     "  r: 1\n"
					     "  r: 300\n"
					     "  b: true\n"
					     "  x: -5\n"
					     "  in {\n"
					     "    u: 5\n"
					     "  }\n"
					     "  99: 4\n"
					     "  e: 7\n"
					     "  2: 0x00000001\n"
					     "  7: \"\\377\"\n");
	ec_text_free(&t);
	char err[128];
	assert_null(ec_pbwire_from_set((const uint8_t *)"\xff\xff", 2, err, sizeof err));
	ec_pbwire_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_raw),
	    cmocka_unit_test(test_schema),
	};
	return cmocka_run_group_tests_name("pbwire", tests, NULL, NULL);
}
