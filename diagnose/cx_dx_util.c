/*  cx_dx_util — see cx_dx_util.h. */
#include "cx_dx_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cx_dx_read_file(const char *path, size_t max, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return NULL;
    }
    size_t cap = 4096;
    size_t used = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (used + 1 >= cap) {
            if (cap > max) {
                free(buf);
                fclose(fp);
                errno = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + used, 1, cap - used - 1, fp);
        used += got;
        if (got == 0) {
            break;
        }
    }
    int err = ferror(fp) ? EIO : 0;
    fclose(fp);
    if (!buf || err) {
        free(buf);
        errno = buf ? err : ENOMEM;
        return NULL;
    }
    if (used > max) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

bool cx_dx_int(const cx_node_t *n, long lo, long hi, long *v)
{
    if (!n || n->type != CX_NODE_SCALAR || !n->plain || n->len == 0 || n->len > 18 ||
        strlen(n->text) != n->len) {
        return false;
    }
    char *end;
    errno = 0;
    long x = strtol(n->text, &end, 10);
    if (*end || errno || x < lo || x > hi) {
        return false;
    }
    *v = x;
    return true;
}

void cx_dx_buf_init(cx_dx_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void cx_dx_buf_fini(cx_dx_buf_t *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

void cx_dx_buf_printf(cx_dx_buf_t *b, const char *fmt, ...)
{
    if (b->oom) {
        return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1) {
            cap *= 2;
        }
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

const char *cx_dx_buf_str(const cx_dx_buf_t *b)
{
    return b->s ? b->s : "";
}

int cx_dx_write_file(const char *path, const char *text, size_t len)
{
    char tmp[4200];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        return -1;
    }
    size_t w = fwrite(text, 1, len, fp);
    int bad = (w != len) | (fflush(fp) != 0);
    if (fclose(fp) != 0 || bad) {
        int e = errno ? errno : EIO;
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
