/*  cx_exp_util — text buffer, JSON output, files, time (see cx_exp_util.h). */
#include "cx_exp_util.h"

#include "cx_output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void cx_exp_buf_init(cx_exp_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void cx_exp_buf_fini(cx_exp_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void cx_exp_buf_reset(cx_exp_buf_t *b)
{
    b->n = 0;
    if (b->p) {
        b->p[0] = '\0';
    }
}

static bool s_reserve(cx_exp_buf_t *b, size_t more)
{
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

void cx_exp_buf_printf(cx_exp_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !s_reserve(b, (size_t)need)) {
        if (need < 0) {
            b->oom = true;
        }
        va_end(ap2);
        return;
    }
    vsnprintf(b->p + b->n, (size_t)need + 1, fmt, ap2);
    va_end(ap2);
    b->n += (size_t)need;
}

void cx_exp_buf_json_str(cx_exp_buf_t *b, const char *s)
{
    cx_exp_buf_printf(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            cx_exp_buf_printf(b, "\\%c", c);
        } else if (c == '\n') {
            cx_exp_buf_printf(b, "\\n");
        } else if (c == '\t') {
            cx_exp_buf_printf(b, "\\t");
        } else if (c < 0x20) {
            cx_exp_buf_printf(b, "\\u%04x", c);
        } else {
            cx_exp_buf_printf(b, "%c", c);
        }
    }
    cx_exp_buf_printf(b, "\"");
}

bool cx_exp_is_json_number(const char *s)
{
    const char *p = s;
    if (*p == '-') {
        p++;
    }
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    } else {
        return false;
    }
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (!(*p >= '0' && *p <= '9')) {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

void cx_exp_buf_json_value(cx_exp_buf_t *b, const char *s)
{
    if (cx_exp_is_json_number(s)) {
        cx_exp_buf_printf(b, "%s", s);
    } else {
        cx_exp_buf_json_str(b, s);
    }
}

const char *cx_exp_buf_str(const cx_exp_buf_t *b)
{
    return b->p ? b->p : "";
}

char *cx_exp_read_file(const char *path, size_t max, size_t *len)
{
    char *p = NULL;
    size_t n = 0;
    if (cx_read_file(path, max, &p, &n) != 0) {
        return NULL;
    }
    if (len) {
        *len = n;
    }
    return p;
}

void cx_exp_now_iso(char buf[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, 32, "%s.%03dZ", base, (int)(ts.tv_nsec / 1000000));
}

double cx_exp_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *cx_exp_opt(const char *opt, int argc, char **argv, int *i, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0) {
        return NULL;
    }
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (a[n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}
