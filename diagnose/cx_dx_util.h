/*  cx_dx_util — small helpers shared by the diagnose modules: reading a
 *  whole file under a size limit, integers from YAML scalars, and a growing
 *  text buffer.
 *
 *  Ownership: cx_dx_read_file returns a malloc'ed, NUL-terminated buffer
 *  the caller frees; a cx_dx_buf_t is caller storage freed by
 *  cx_dx_buf_fini. Errors: NULL / false, with errno set for files; a buffer
 *  that ran out of memory sets `oom` and keeps what it had.
 */
#ifndef CX_DX_UTIL_H
#define CX_DX_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_doc.h"

/* The whole file, NUL-terminated, or NULL (errno; EFBIG past max bytes). */
char *cx_dx_read_file(const char *path, size_t max, size_t *len);

/* An integer lo..hi from a plain scalar (the whole text, decimal). */
bool cx_dx_int(const cx_node_t *n, long lo, long hi, long *v);

typedef struct {
    char *s;    /* text, NUL-terminated once anything was appended */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
    bool oom;   /* an append failed */
} cx_dx_buf_t;

void cx_dx_buf_init(cx_dx_buf_t *b);
void cx_dx_buf_fini(cx_dx_buf_t *b);
/* Appends printf-formatted text. */
void cx_dx_buf_printf(cx_dx_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text ("" when empty). */
const char *cx_dx_buf_str(const cx_dx_buf_t *b);

/* Writes len bytes to path through a temporary file and a rename, so a
 * reader never sees half a file. Returns 0, or -1 (errno). */
int cx_dx_write_file(const char *path, const char *text, size_t len);

#endif
