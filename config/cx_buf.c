/*  cx_buf — a growable text buffer, whole-file reads and atomic writes
 *  (see cx_buf.h). */
#include "cx_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- files ----------------------------------------------------------- */

int cx_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int cx_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    if (cx_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int cx_read_file(const char *path, size_t max, char **data, size_t *len)
{
    /* O_NONBLOCK: opening a FIFO without a writer must not wait. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = ENOTSUP;
        return -1;
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > max) {
        fclose(fp);
        errno = EFBIG;
        return -1;
    }
    /* Sized from fstat, grown if the file grows (a /proc file says 0),
     * never past max. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *p = malloc(cap);
    if (!p) {
        fclose(fp);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max + 1) {
                free(p);
                fclose(fp);
                errno = EFBIG;
                return -1;
            }
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                fclose(fp);
                errno = ENOMEM;
                return -1;
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n - 1, fp);
        if (got == 0) {
            break;
        }
        n += got;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad || n > max) {
        free(p);
        errno = bad ? EIO : EFBIG;
        return -1;
    }
    p[n] = '\0';
    *data = p;
    *len = n;
    return 0;
}

int cx_buf_write_file(const cx_buf_t *b, const char *path)
{
    if (b->oom) {
        errno = ENOMEM;
        return -1;
    }
    return cx_write_atomic(path, cx_buf_str(b), b->n);
}
