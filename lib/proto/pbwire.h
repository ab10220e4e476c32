/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Protobuf messages as text, with or without their schema. Without one,
 * as `protoc --decode_raw` shows them (`1: 150`, `2: "text"`, `3 { 1: 2 }`:
 * a length-delimited field that reads as text is text, else a nested
 * message when it parses as one, else escaped bytes). With a schema (a
 * FileDescriptorSet, read with protobuf-c's descriptor.proto), as `protoc
 * --decode` shows them: field names, enum names, signed, zigzag, fixed and
 * floating types, packed repeated fields; fields the schema does not know,
 * or whose wire type is not the declared one, are shown as without a schema.
 * Fields come in wire order; groups (wire types 3 and 4) are not decoded.
 * Bytes are read through bounds checks only, nesting is bounded.
 */
#ifndef EC_PBWIRE_H
#define EC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct ec_pbwire_schema;
struct ec_pbwire_type;

/*
 * A schema from path: a FileDescriptorSet (`protoc --descriptor_set_out=F
 * --include_imports x.proto`), or a file named *.proto made into one by
 * running protoc (its directory is the import path). NULL with the reason
 * in err.
 */
struct ec_pbwire_schema *ec_pbwire_load(const char *path, char *err, size_t cap);
/* The same from a FileDescriptorSet's bytes. */
struct ec_pbwire_schema *ec_pbwire_from_set(const uint8_t *p, size_t n, char *err, size_t cap);
void ec_pbwire_free(struct ec_pbwire_schema *s);

/* The message type of full name ("pkg.Msg", a leading dot allowed); NULL if unknown. */
const struct ec_pbwire_type *ec_pbwire_type(const struct ec_pbwire_schema *s, const char *name);
/* Its full name ("pkg.Msg"). */
const char *ec_pbwire_type_name(const struct ec_pbwire_type *ty);
/*
 * The request (response 0) or response message type of the gRPC method at
 * path ("/pkg.Service/Method"); NULL if s has no such method.
 */
const struct ec_pbwire_type *ec_pbwire_method(const struct ec_pbwire_schema *s, const char *path,
					      int response);

/*
 * Message p rendered into t, one field a line, indented by indent levels of
 * two spaces: as type ty of s, or without a schema when ty is NULL. 0, or
 * -1 when p is not a message (what could be read is rendered).
 */
int ec_pbwire_render(struct ec_text *t, const struct ec_pbwire_schema *s,
		     const struct ec_pbwire_type *ty, const uint8_t *p, size_t n, int indent);

#endif
