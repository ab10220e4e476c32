// SPDX-License-Identifier: GPL-2.0-only
#include "pbwire.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "google/protobuf/descriptor.pb-c.h"

#define MAX_DEPTH 16	     /* nested messages rendered this deep at most */
#define MAX_SET (64u << 20)  /* the largest descriptor set read */
#define MAX_FIELD 536870911u /* 2^29 - 1 */

typedef Google__Protobuf__DescriptorProto Msg;
typedef Google__Protobuf__EnumDescriptorProto Enum;
typedef Google__Protobuf__FieldDescriptorProto Field;

/* A named type of the schema: a message or an enum. */
struct ec_pbwire_type {
	char *name; /* full, without the leading dot */
	const Msg *m;
	const Enum *e;
};

struct method {
	char *path; /* "/pkg.Service/Method" */
	const struct ec_pbwire_type *in, *out;
};

struct ec_pbwire_schema {
	Google__Protobuf__FileDescriptorSet *set;
	struct ec_pbwire_type *types; /* sorted by name */
	size_t nt, capt;
	struct method *methods;
	size_t nm;
};

/* ---- the wire ---- */

static int varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	uint64_t x = 0;
	for (int s = 0; s < 64 && *off < n; s += 7) {
		uint8_t b = p[(*off)++];
		x |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* One field's key and value: v for wire types 0, 1 and 5, s/len for 2. */
struct val {
	uint64_t field;
	unsigned wt;
	uint64_t v;
	const uint8_t *s;
	size_t len;
};

static int field(const uint8_t *p, size_t n, size_t *off, struct val *f)
{
	uint64_t key;
	if (varint(p, n, off, &key) || key >> 3 == 0 || key >> 3 > MAX_FIELD)
		return -1;
	f->field = key >> 3;
	f->wt = key & 7;
	switch (f->wt) {
	case 0:
		return varint(p, n, off, &f->v);
	case 1:
	case 5: {
		size_t w = f->wt == 1 ? 8 : 4;
		if (n - *off < w)
			return -1;
		f->v = 0;
		for (size_t i = 0; i < w; i++)
			f->v |= (uint64_t)p[*off + i] << (8 * i);
		*off += w;
		return 0;
	}
	case 2:
		if (varint(p, n, off, &f->v) || f->v > n - *off)
			return -1;
		f->s = p + *off;
		f->len = (size_t)f->v;
		*off += f->len;
		return 0;
	default:
		return -1;
	}
}

/* Do the bytes parse as a message, every field whole (nested ones unchecked)? */
static int is_message(const uint8_t *p, size_t n)
{
	size_t off = 0;
	struct val f;
	while (off < n)
		if (field(p, n, &off, &f))
			return 0;
	return 1;
}

static int printable(const uint8_t *p, size_t n)
{
	if (!ec_is_utf8(p, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static void quoted(struct ec_text *t, const uint8_t *p, size_t n)
{
	int utf8 = ec_is_utf8(p, n);
	ec_text_put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\')
			ec_text_fmt(t, "\\%c", c);
		else if (c == '\n')
			ec_text_str(t, "\\n");
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			ec_text_fmt(t, "\\%03o", c);
		else
			ec_text_put(t, &c, 1);
	}
	ec_text_put(t, "\"", 1);
}

static void spaces(struct ec_text *t, int depth)
{
	for (int i = 0; i < depth; i++)
		ec_text_str(t, "  ");
}

/* ---- rendering ---- */

static int render(struct ec_text *t, const struct ec_pbwire_schema *s,
		  const struct ec_pbwire_type *ty, const uint8_t *p, size_t n, int depth);

/* A field as protoc --decode_raw shows it: by number, its bytes guessed. */
static void raw_field(struct ec_text *t, const struct val *f, int depth)
{
	spaces(t, depth);
	switch (f->wt) {
	case 0:
		ec_text_fmt(t, "%" PRIu64 ": %" PRIu64 "\n", f->field, f->v);
		return;
	case 1:
		ec_text_fmt(t, "%" PRIu64 ": 0x%016" PRIx64 "\n", f->field, f->v);
		return;
	case 5:
		ec_text_fmt(t, "%" PRIu64 ": 0x%08" PRIx64 "\n", f->field, f->v);
		return;
	}
	/* text reads better as text; protoc would guess a message first */
	if (!printable(f->s, f->len) && depth < MAX_DEPTH && is_message(f->s, f->len) && f->len) {
		ec_text_fmt(t, "%" PRIu64 " {\n", f->field);
		render(t, NULL, NULL, f->s, f->len, depth + 1);
		spaces(t, depth);
		ec_text_str(t, "}\n");
		return;
	}
	ec_text_fmt(t, "%" PRIu64 ": ", f->field);
	quoted(t, f->s, f->len);
	ec_text_put(t, "\n", 1);
}

static const Field *field_of(const Msg *m, uint64_t num)
{
	for (size_t i = 0; i < m->n_field; i++)
		if (m->field[i]->has_number && (uint64_t)m->field[i]->number == num)
			return m->field[i];
	return NULL;
}

/* The wire type a field of type ty is sent with when not packed; -1 for groups. */
static int wire_of(int ty)
{
	switch (ty) {
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64:
		return 1;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32:
		return 5;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE:
		return 2;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP:
		return -1;
	default:
		return 0;
	}
}

/* The shortest decimal that reads back as x (as protoc prints floats and doubles). */
static void real(struct ec_text *t, double x, int is_float)
{
	if (isnan(x)) {
		ec_text_str(t, "nan");
		return;
	}
	if (isinf(x)) {
		ec_text_str(t, x < 0 ? "-inf" : "inf");
		return;
	}
	char b[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(b, sizeof b, "%.*g", prec, x);
		double y = strtod(b, NULL);
		if (is_float ? (float)y == (float)x : y == x)
			break;
	}
	ec_text_str(t, b);
}

/* A scalar value v of field f (wire types 0, 1, 5). */
static void scalar(struct ec_text *t, const struct ec_pbwire_schema *s, const Field *f, uint64_t v)
{
	switch (f->type) {
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE: {
		double d;
		memcpy(&d, &v, sizeof d);
		real(t, d, 0);
		return;
	}
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT: {
		uint32_t w = (uint32_t)v;
		float x;
		memcpy(&x, &w, sizeof x);
		real(t, x, 1);
		return;
	}
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64:
		ec_text_fmt(t, "%" PRId64, (int64_t)v);
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32:
		ec_text_fmt(t, "%" PRId32, (int32_t)(uint32_t)v);
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32:
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32:
		ec_text_fmt(t, "%" PRIu32, (uint32_t)v);
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32:
		ec_text_fmt(t, "%" PRId32, (int32_t)((uint32_t)v >> 1 ^ -((uint32_t)v & 1)));
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64:
		ec_text_fmt(t, "%" PRId64, (int64_t)(v >> 1 ^ -(v & 1)));
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL:
		ec_text_str(t, v ? "true" : "false");
		return;
	case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM: {
		const struct ec_pbwire_type *et =
		    f->type_name ? ec_pbwire_type(s, f->type_name) : NULL;
		int32_t k = (int32_t)(uint32_t)v;
		if (et && et->e)
			for (size_t i = 0; i < et->e->n_value; i++)
				if (et->e->value[i]->number == k && et->e->value[i]->name) {
					ec_text_str(t, et->e->value[i]->name);
					return;
				}
		ec_text_fmt(t, "%" PRId32, k);
		return;
	}
	default: /* uint64, fixed64 */
		ec_text_fmt(t, "%" PRIu64, v);
	}
}

/* Packed repeated scalars: each as its own line; -1 (nothing rendered) when they do not parse. */
static int packed(struct ec_text *t, const struct ec_pbwire_schema *s, const Field *f,
		  const struct val *pv, int depth)
{
	int wt = wire_of(f->type);
	size_t w = wt == 1 ? 8 : 4;
	if (wt == 0) {
		size_t off = 0;
		uint64_t v;
		while (off < pv->len)
			if (varint(pv->s, pv->len, &off, &v))
				return -1;
	} else if (pv->len % w) {
		return -1;
	}
	size_t off = 0;
	while (off < pv->len) {
		uint64_t v = 0;
		if (wt == 0) {
			varint(pv->s, pv->len, &off, &v);
		} else {
			for (size_t i = 0; i < w; i++)
				v |= (uint64_t)pv->s[off + i] << (8 * i);
			off += w;
		}
		spaces(t, depth);
		ec_text_fmt(t, "%s: ", f->name);
		scalar(t, s, f, v);
		ec_text_put(t, "\n", 1);
	}
	return 0;
}

/* A field the schema names, its wire type matching; 0, or -1 to show it raw. */
static int typed_field(struct ec_text *t, const struct ec_pbwire_schema *s, const Field *f,
		       const struct val *v, int depth)
{
	int wt = wire_of(f->type);
	if (wt < 0 || !f->name)
		return -1;
	if (v->wt == 2 && wt != 2)
		return packed(t, s, f, v, depth);
	if ((int)v->wt != wt)
		return -1;
	if (f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE) {
		const struct ec_pbwire_type *sub =
		    f->type_name ? ec_pbwire_type(s, f->type_name) : NULL;
		if (!sub || !sub->m || depth >= MAX_DEPTH || !is_message(v->s, v->len))
			return -1;
		spaces(t, depth);
		ec_text_fmt(t, "%s {\n", f->name);
		render(t, s, sub, v->s, v->len, depth + 1);
		spaces(t, depth);
		ec_text_str(t, "}\n");
		return 0;
	}
	spaces(t, depth);
	ec_text_fmt(t, "%s: ", f->name);
	if (wt == 2)
		quoted(t, v->s, v->len);
	else
		scalar(t, s, f, v->v);
	ec_text_put(t, "\n", 1);
	return 0;
}

static int render(struct ec_text *t, const struct ec_pbwire_schema *s,
		  const struct ec_pbwire_type *ty, const uint8_t *p, size_t n, int depth)
{
	size_t off = 0;
	struct val v;
	while (off < n) {
		if (field(p, n, &off, &v))
			return -1;
		const Field *f = ty && ty->m ? field_of(ty->m, v.field) : NULL;
		if (!f || typed_field(t, s, f, &v, depth))
			raw_field(t, &v, depth);
	}
	return 0;
}

int ec_pbwire_render(struct ec_text *t, const struct ec_pbwire_schema *s,
		     const struct ec_pbwire_type *ty, const uint8_t *p, size_t n, int indent)
{
	return render(t, s, ty, p, n, indent);
}

/* ---- the schema ---- */

static void add_type(struct ec_pbwire_schema *s, const char *scope, const char *name, const Msg *m,
		     const Enum *e)
{
	if (!name)
		return;
	if (s->nt == s->capt) {
		s->capt = s->capt ? 2 * s->capt : 32;
		s->types = ec_xrealloc(s->types, s->capt * sizeof *s->types);
	}
	struct ec_pbwire_type *ty = &s->types[s->nt++];
	size_t k = strlen(scope) + strlen(name) + 2;
	ty->name = ec_xmalloc(k);
	snprintf(ty->name, k, "%s%s%s", scope, *scope ? "." : "", name);
	ty->m = m;
	ty->e = e;
	if (!m)
		return;
	char *in = ec_xstrdup(ty->name); /* s->types may move */
	for (size_t i = 0; i < m->n_nested_type; i++)
		add_type(s, in, m->nested_type[i]->name, m->nested_type[i], NULL);
	for (size_t i = 0; i < m->n_enum_type; i++)
		add_type(s, in, m->enum_type[i]->name, NULL, m->enum_type[i]);
	free(in);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ec_pbwire_type *)a)->name,
		      ((const struct ec_pbwire_type *)b)->name);
}

const struct ec_pbwire_type *ec_pbwire_type(const struct ec_pbwire_schema *s, const char *name)
{
	if (!s || !s->nt)
		return NULL;
	struct ec_pbwire_type key = {.name = (char *)(name + (*name == '.'))};
	return bsearch(&key, s->types, s->nt, sizeof *s->types, by_name);
}

const char *ec_pbwire_type_name(const struct ec_pbwire_type *ty)
{
	return ty->name;
}

const struct ec_pbwire_type *ec_pbwire_method(const struct ec_pbwire_schema *s, const char *path,
					      int response)
{
	for (size_t i = 0; s && i < s->nm; i++)
		if (!strcmp(s->methods[i].path, path))
			return response ? s->methods[i].out : s->methods[i].in;
	return NULL;
}

struct ec_pbwire_schema *ec_pbwire_from_set(const uint8_t *p, size_t n, char *err, size_t cap)
{
	Google__Protobuf__FileDescriptorSet *set =
	    google__protobuf__file_descriptor_set__unpack(NULL, n, p);
	if (!set || !set->n_file) {
		snprintf(err, cap, "not a FileDescriptorSet (protoc --descriptor_set_out)");
		if (set)
			google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
		return NULL;
	}
	struct ec_pbwire_schema *s = ec_xcalloc(1, sizeof *s);
	s->set = set;
	for (size_t i = 0; i < set->n_file; i++) {
		const Google__Protobuf__FileDescriptorProto *fd = set->file[i];
		const char *pkg = fd->package ? fd->package : "";
		for (size_t j = 0; j < fd->n_message_type; j++)
			add_type(s, pkg, fd->message_type[j]->name, fd->message_type[j], NULL);
		for (size_t j = 0; j < fd->n_enum_type; j++)
			add_type(s, pkg, fd->enum_type[j]->name, NULL, fd->enum_type[j]);
	}
	if (s->nt)
		qsort(s->types, s->nt, sizeof *s->types, by_name);
	for (size_t i = 0; i < set->n_file; i++) {
		const Google__Protobuf__FileDescriptorProto *fd = set->file[i];
		for (size_t j = 0; j < fd->n_service; j++) {
			const Google__Protobuf__ServiceDescriptorProto *sv = fd->service[j];
			s->methods =
			    ec_xrealloc(s->methods, (s->nm + sv->n_method) * sizeof *s->methods);
			for (size_t k = 0; k < sv->n_method; k++) {
				const Google__Protobuf__MethodDescriptorProto *md = sv->method[k];
				struct method *me = &s->methods[s->nm++];
				size_t len = 4 + (fd->package ? strlen(fd->package) : 0) +
					     strlen(sv->name ? sv->name : "") +
					     strlen(md->name ? md->name : "");
				me->path = ec_xmalloc(len);
				snprintf(me->path, len, "/%s%s%s/%s",
					 fd->package ? fd->package : "", fd->package ? "." : "",
					 sv->name ? sv->name : "", md->name ? md->name : "");
				me->in = md->input_type ? ec_pbwire_type(s, md->input_type) : NULL;
				me->out =
				    md->output_type ? ec_pbwire_type(s, md->output_type) : NULL;
			}
		}
	}
	return s;
}

void ec_pbwire_free(struct ec_pbwire_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nt; i++)
		free(s->types[i].name);
	for (size_t i = 0; i < s->nm; i++)
		free(s->methods[i].path);
	free(s->types);
	free(s->methods);
	google__protobuf__file_descriptor_set__free_unpacked(s->set, NULL);
	free(s);
}

static uint8_t *slurp(int fd, size_t *n, char *err, size_t cap, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_SET) {
		snprintf(err, cap, "%s: not a regular file of at most 64 MiB", path);
		return NULL;
	}
	uint8_t *p = ec_xmalloc((size_t)st.st_size + 1);
	size_t k = 0;
	while (k < (size_t)st.st_size) {
		ssize_t r = read(fd, p + k, (size_t)st.st_size - k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, cap, "%s: %s", path,
				 r ? strerror(errno) : "shorter than it was");
			free(p);
			return NULL;
		}
		k += (size_t)r;
	}
	*n = k;
	return p;
}

/* protoc makes path (a .proto file) into a descriptor set in the open file out. */
static int run_protoc(const char *path, int out, char *err, size_t cap)
{
	char *dir = ec_xstrdup(path), *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash == dir)
		dir[1] = 0; /* "/x.proto": the root */
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	char ipath[4096], setout[64];
	snprintf(ipath, sizeof ipath, "--proto_path=%s", dir);
	snprintf(setout, sizeof setout, "--descriptor_set_out=/dev/fd/%d", out);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(2, 1); /* its messages are logs: stderr */
		execlp("protoc", "protoc", "--include_imports", setout, ipath, base, (char *)NULL);
		fprintf(stderr, "protoc: %s\n", strerror(errno));
		_exit(127);
	}
	free(dir);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		snprintf(err, cap, "protoc: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, cap, "%s: protoc failed (status %d)", path,
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	return 0;
}

struct ec_pbwire_schema *ec_pbwire_load(const char *path, char *err, size_t cap)
{
	size_t len = strlen(path);
	int fd;
	if (len > 6 && !strcmp(path + len - 6, ".proto")) {
		/* an unlinked temporary file protoc writes and we read back */
		const char *td = getenv("TMPDIR");
		char tpl[4096];
		snprintf(tpl, sizeof tpl, "%s/ec-parse-proto.XXXXXX", td && *td ? td : "/tmp");
		if ((fd = mkstemp(tpl)) < 0) {
			snprintf(err, cap, "a temporary file: %s", strerror(errno));
			return NULL;
		}
		unlink(tpl);
		if (run_protoc(path, fd, err, cap)) {
			close(fd);
			return NULL;
		}
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t n = 0;
	uint8_t *p = slurp(fd, &n, err, cap, path);
	close(fd);
	if (!p)
		return NULL;
	struct ec_pbwire_schema *s = ec_pbwire_from_set(p, n, err, cap);
	free(p);
	return s;
}
