/*  cx_exp_util — small helpers shared by the experiment commands: a growable
 *  text buffer, JSON string and number output, whole-file reads and UTC
 *  timestamps.
 *
 *  Ownership: a cx_exp_buf_t is caller storage whose `p` is heap memory,
 *  freed by cx_exp_buf_fini. Errors: an append that runs out of memory sets
 *  `oom` and leaves the buffer as it was; callers check `oom` once at the
 *  end instead of after every append.
 */
#ifndef CX_EXP_UTIL_H
#define CX_EXP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *p;    /* NUL-terminated text (NULL until the first append) */
    size_t n;   /* length, without the NUL */
    size_t cap; /* bytes allocated */
    bool oom;   /* an append failed */
} cx_exp_buf_t;

void cx_exp_buf_init(cx_exp_buf_t *b);
void cx_exp_buf_fini(cx_exp_buf_t *b);
/* Empties the buffer, keeping its memory. */
void cx_exp_buf_reset(cx_exp_buf_t *b);
void cx_exp_buf_printf(cx_exp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void cx_exp_buf_json_str(cx_exp_buf_t *b, const char *s);
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

#endif
