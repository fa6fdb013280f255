/*  cx_buf — the project's one growable text buffer: result rows
 *  (runtime/cx_output.c), resolved YAML (cx_emit.c), JSON, CSV and HTML of
 *  the experiments and reports (cx_exp_buf_t is this type). It lives in
 *  config/, the lowest layer that writes text, so every layer above can
 *  use it.
 *
 *  Ownership: a cx_buf_t is caller storage whose `p` is heap memory, freed
 *  by cx_buf_fini. Errors: an append that runs out of memory sets `oom`;
 *  every later append is then ignored, so callers check `oom` once at the
 *  end instead of after every append.
 */
#ifndef CX_BUF_H
#define CX_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *p;    /* NUL-terminated text (NULL until the first append) */
    size_t n;   /* length, without the NUL */
    size_t cap; /* bytes allocated */
    bool oom;   /* an append failed */
} cx_buf_t;

void cx_buf_init(cx_buf_t *b);
void cx_buf_fini(cx_buf_t *b);
/* Empties the buffer, keeping its memory. */
void cx_buf_reset(cx_buf_t *b);
/* Appends the formatted text. */
void cx_buf_printf(cx_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a va_list (for wrappers). */
void cx_buf_vprintf(cx_buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends n bytes of s. */
void cx_buf_add(cx_buf_t *b, const char *s, size_t n);
/* The buffer's text, "" when empty. */
const char *cx_buf_str(const cx_buf_t *b);

#endif
