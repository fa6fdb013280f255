/*  cx_web_json — JSON for cxsim-web: the project's text buffer under the
 *  web's names, string literals safe inside HTML (over cx_json.h), and the
 *  parser of the body of POST /api/command (Jansson, strict).
 *
 *  The command body is one JSON object whose members are strings (or, for
 *  value, over, cost and at, numbers, kept as the text cx_json_num writes):
 *      {"verb": "set", "value": "departments.it.maturity=4",
 *       "over": "30", "cost": "250000"}
 *  Anything else (another type, an unknown or repeated member, trailing
 *  text, a NUL, invalid UTF-8, a member longer than its field, a body over
 *  CX_WEB_JSON_MAX bytes or nested deeper than Jansson's limit) is an error.
 *
 *  Ownership: cx_wbuf_t is caller storage, zero-initialised, released with
 *  cx_wbuf_free; cx_web_cmd_t is caller storage filled by the parser.
 *  Errors: a buffer that cannot grow sets .oom and ignores later writes
 *  (callers check .oom once at the end); the parser returns -1 with a
 *  message in err.
 */
#ifndef CX_WEB_JSON_H
#define CX_WEB_JSON_H

#include <stddef.h>

#include "cx_buf.h"
#include "cx_json.h"

/* The project's text buffer (config/cx_buf.h) under the names of the web
 * modules. */
typedef cx_buf_t cx_wbuf_t;

#define cx_wbuf_free cx_buf_fini
#define cx_wbuf_reset cx_buf_reset /* empties, keeps the memory */
#define cx_wbuf_add cx_buf_add
#define cx_wbuf_printf cx_buf_printf
void cx_wbuf_puts(cx_wbuf_t *b, const char *s);

/* A JSON string literal of the NUL-terminated s (or of n bytes of s):
 * quotes, backslashes and control characters escaped, '<', '>' and '&' as
 * \u escapes, each byte of an invalid UTF-8 sequence as U+FFFD. */
void cx_json_str(cx_wbuf_t *b, const char *s);
void cx_json_strn(cx_wbuf_t *b, const char *s, size_t n);
/* Numbers: cx_json_num (cx_json.h). */

#define CX_WEB_JSON_MAX 65536 /* the parser's own bound on a body (HTTP allows less) */
#define CX_WEB_VALUE_MAX 4096 /* longest value, with its NUL (a control value's limit) */

/* The body of POST /api/command. Absent members are empty strings. */
typedef struct {
    char verb[32];
    char value[CX_WEB_VALUE_MAX];
    char over[32];
    char cost[64];
    char at[32];
    int has_value, has_over, has_cost, has_at;
} cx_web_cmd_t;

/* Parses len bytes of body into cmd. Returns 0, or -1 with a message. */
int cx_web_cmd_parse(const char *body, size_t len, cx_web_cmd_t *cmd, char *err, size_t cap);

#endif
