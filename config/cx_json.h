/*  cx_json — the project's JSON, over Jansson (libjansson): string
 *  literals, numbers and compact documents written into a cx_buf_t, and
 *  reading values out of a JSON text. Every JSON writer and reader of the
 *  project goes through here or through Jansson itself.
 *
 *  What Jansson does: parsing (strict RFC 8259: invalid UTF-8, trailing
 *  text, bad escapes and, on request, repeated keys are errors; nesting is
 *  bounded by its compile-time limit of 2048) and the escaping of string
 *  literals. What stays the project's: the layout of the documents it
 *  writes and the text of its numbers. Jansson writes a real with "%.17g"
 *  plus ".0" (0.1 -> 0.10000000000000001, 3.0 -> 3.0), which is not the
 *  bytes the project's files have always held, so numbers are written by
 *  cx_json_num (the shortest text that reads back to the same double) or by
 *  the callers' own formats.
 *
 *  Ownership: every function writes into caller storage; a json_t passed
 *  in stays the caller's. Errors: a buffer that runs out of memory sets its
 *  .oom (see cx_buf.h); readers return the counts and codes stated below.
 */
#ifndef CX_JSON_H
#define CX_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "cx_buf.h"

/* Flags of cx_json_strn_f. */
#define CX_JSON_HTML 1 /* also '<', '>', '&' and DEL as \u escapes: safe inside HTML */

/* A JSON string literal of n bytes of s: quotes, backslashes and control
 * characters escaped (\n, \t, \r, \b, \f short, the others as \u00XX),
 * each byte of an invalid UTF-8 sequence as U+FFFD, a NUL as \u0000. */
void cx_json_strn_f(cx_buf_t *b, const char *s, size_t n, int flags);
/* The same for a NUL-terminated s (NULL writes ""), without flags. */
void cx_json_text(cx_buf_t *b, const char *s);
/* A JSON number: the shortest of %.15g/%.16g/%.17g that reads back to v;
 * null for NaN and infinities. */
void cx_json_num(cx_buf_t *b, double v);
/* v written compactly, as SQLite's JSON functions write it ({"a":1,"b":[2]}):
 * strings by cx_json_strn_f, integers as %lld, reals by cx_json_num. */
void cx_json_dump(cx_buf_t *b, const json_t *v);

/* A value's text, as SQLite's json_extract gives it: a string as itself,
 * an integer as %lld, a real as SQLite writes a REAL ("%.15g" with a point
 * always shown), true and false as 1 and 0, an object or array as
 * cx_json_dump writes it, NULL and JSON null as "". A fresh heap string,
 * the caller's to free; NULL on out of memory. */
char *cx_json_value_dup(const json_t *v);
/* An integer as SQLite's column_int64 reads json_extract's value: an
 * integer as itself, a real truncated, true 1, anything else (NULL
 * included) 0. */
long long cx_json_int(const json_t *v);
/* The same into out (cut to cap). Returns 1, 0 for NULL and JSON null
 * (out ""), -1 on out of memory. */
int cx_json_value_text(const json_t *v, char *out, size_t cap);

/* The value at `path` of a document: "$" then any run of ".key" and
 * "[index]" ("$.status", "$[3]", "$.a.b[0]"). NULL when absent, or when the
 * path is not of that form. Borrowed from doc. */
const json_t *cx_json_path(const json_t *doc, const char *path);

#endif
