/*  cx_buf — the project's one growable text buffer, and the whole-file
 *  reads and atomic writes that take text in and out: result rows
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

/* ---- whole files (the text's way in and out) ---- */

/* Writes all n bytes to fd (retrying short writes and EINTR). 0, or -1 (errno). */
int cx_write_all(int fd, const char *p, size_t n);
/* Writes `len` bytes to `path` atomically: path.tmp, fsync, rename. 0, or -1 (errno). */
int cx_write_atomic(const char *path, const void *data, size_t len);
/* The buffer's text to path, atomically (cx_write_atomic). 0, or -1 (errno;
 * ENOMEM when the buffer ran out of memory). */
int cx_buf_write_file(const cx_buf_t *b, const char *path);
/* Reads a whole regular file of at most `max` bytes into a malloc'ed buffer
 * (the caller's to free, NUL-terminated). Returns 0, or -1 (errno set; EFBIG
 * when larger than max; ENOTSUP, without waiting, for a FIFO, a device, a
 * socket or a directory, which could block the reader forever). */
int cx_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
