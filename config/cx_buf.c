/*  cx_buf — a growable text buffer (see cx_buf.h). */
#include "cx_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx_buf_init(cx_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void cx_buf_fini(cx_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void cx_buf_reset(cx_buf_t *b)
{
    b->n = 0;
    if (b->p) {
        b->p[0] = '\0';
    }
}

/* Room for `more` bytes and the NUL; false (oom set) when there is none. */
static bool s_reserve(cx_buf_t *b, size_t more)
{
    if (b->oom) {
        return false;
    }
    if (more > SIZE_MAX / 4 - b->n) {
        b->oom = true;
        return false;
    }
    if (b->n + more + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void cx_buf_vprintf(cx_buf_t *b, const char *fmt, va_list ap)
{
    if (b->oom) {
        return;
    }
    /* Formats into the room there is first: one pass when it fits, which
     * is the common case of the per-tick rows. */
    va_list again;
    va_copy(again, ap);
    int need = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    if (need < 0) {
        b->oom = true;
    } else if (b->p && b->n + (size_t)need < b->cap) {
        b->n += (size_t)need;
    } else if (s_reserve(b, (size_t)need)) {
        vsnprintf(b->p + b->n, (size_t)need + 1, fmt, again);
        b->n += (size_t)need;
    } else if (b->p) {
        b->p[b->n] = '\0';
    }
    va_end(again);
}

void cx_buf_printf(cx_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cx_buf_add(cx_buf_t *b, const char *s, size_t n)
{
    if (!s_reserve(b, n)) {
        return;
    }
    if (n > 0) {
        memcpy(b->p + b->n, s, n);
    }
    b->n += n;
    b->p[b->n] = '\0';
}

const char *cx_buf_str(const cx_buf_t *b)
{
    return b->p ? b->p : "";
}
