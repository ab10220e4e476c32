/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PostgreSQL frontend/backend protocol 3.0 for ec-parse (lib/proto/parse.h).
 *
 * A request (Event type 8) is what the frontend sends up to the message
 * that asks for ReadyForQuery: a simple Query, the extended-query messages
 * up to Sync (Parse, Bind, Describe, Execute, Close, Flush), a
 * FunctionCall, the StartupMessage, an SSLRequest/GSSENCRequest, a
 * password/SASL message. Its answer (type 9) is every backend message up
 * to ReadyForQuery, or up to the authentication request the frontend must
 * answer, or the single-byte answer to SSLRequest. Both are rendered as
 * text that reads like psql: the SQL; column names and rows with " | ";
 * command tags; "ERROR 42P01: message". Secrets (passwords, SASL data, the
 * cancel key) are never rendered.
 *
 * Facts: method = the statement's first keyword, authority =
 * user@database from the StartupMessage, path = the SQL with its
 * whitespace collapsed (and, for Bind, " [$1 = 'value', ...]"); the
 * response's summary is its last command tag, "ERROR SQLSTATE" (failed),
 * "EMPTY", or what the startup came to ("connected", "SASL SCRAM-SHA-256").
 * Named prepared statements are remembered per connection (64 at most), so
 * a Bind to one parsed earlier names its SQL. COPY data is counted, not
 * rendered; a CopyData stream from the frontend goes out as a request of
 * the exchange being answered. NotificationResponse (and a notice or
 * parameter change while nothing is asked) is a response of no exchange;
 * Terminate and CancelRequest are requests of none (they get no answer).
 *
 * Detection: an untyped StartupMessage (protocol 3.x, with a user),
 * SSLRequest, GSSENCRequest or CancelRequest from its first bytes alone;
 * mid-stream, a message whose type, length and content are valid for the
 * role that port 5432 gives its sender (the traced process's local port
 * 5432: it is the server). On bytes that are not a valid message the
 * direction loses sync and resumes at an event that starts with one.
 */
#ifndef EC_PGSQL_H
#define EC_PGSQL_H

struct ec_parse_proto;
extern const struct ec_parse_proto ec_pgsql_proto;

#endif
