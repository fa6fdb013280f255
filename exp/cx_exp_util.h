/*  cx_exp_util — small helpers shared by the experiment commands: JSON
 *  string and number output into a text buffer (cx_buf.h), whole-file
 *  reads and UTC timestamps.
 *
 *  Ownership: the buffer is the caller's (cx_buf_fini). Errors: as
 *  cx_buf: out of memory sets the buffer's `oom`.
 */
#ifndef CX_EXP_UTIL_H
#define CX_EXP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_buf.h"
#include "cx_json.h" /* cx_json_text: JSON string literals */

/* The text buffer is the project's one (config/cx_buf.h). The cx_exp_buf_
 * names are kept for the unit tests that still use them. */
typedef cx_buf_t cx_exp_buf_t;
#define cx_exp_buf_init cx_buf_init
#define cx_exp_buf_fini cx_buf_fini
#define cx_exp_buf_reset cx_buf_reset
#define cx_exp_buf_printf cx_buf_printf
#define cx_exp_buf_str cx_buf_str

/* Appends s as a JSON number when it is one by JSON's grammar ("4",
 * "-0.5", "1e3"), else as a JSON string. */
void cx_exp_buf_json_value(cx_exp_buf_t *b, const char *s);
/* The buffer's text, "" when empty. */
const char *cx_exp_buf_str(const cx_exp_buf_t *b);

/* True when s is a number by JSON's grammar. */
bool cx_exp_is_json_number(const char *s);

/* Reads a whole file into a NUL-terminated heap buffer (the caller's to
 * free); *len gets its length when len is not NULL. NULL with errno on
 * failure or when it is larger than `max` bytes (EFBIG). */
char *cx_exp_read_file(const char *path, size_t max, size_t *len);

/* The current time as ISO 8601 UTC with milliseconds,
 * "2025-01-31T12:00:00.123Z". */
void cx_exp_now_iso(char buf[32]);

/* Seconds since the epoch, as a double (wall clock). */
double cx_exp_now_s(void);

/* "--opt=value" or "--opt value" at argv[*i]: the value, advancing *i past
 * it; NULL when argv[*i] is not opt (or its value is missing: *missing set). */
const char *cx_exp_opt(const char *opt, int argc, char **argv, int *i, bool *missing);

/* The maturity transitions of a run, from the text of its summary.json
 * (its "transitions", written by cx_output): one line each, starting with
 * indent and ending with '\n', appended to buf (cut to cap), e.g.
 *   "it 2 -> 4 from tick 2: planned 10 ticks (10 days), effective 14 ticks
 *    (14 days), stretched by the speed of change; investment 2000, 2000
 *    booked within the run"
 * Returns how many there are (0 when none or not a summary). */
int cx_exp_transitions_text(const char *json, const char *indent, char *buf, size_t cap);

#endif
