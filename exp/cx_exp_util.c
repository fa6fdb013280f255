/*  cx_exp_util — JSON numbers and values, files, time (see cx_exp_util.h). */
#include "cx_exp_util.h"

#include "cx_exp_db.h"
#include "cx_output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

void cx_exp_buf_json_value(cx_buf_t *b, const char *s)
{
    if (cx_exp_is_json_number(s)) {
        cx_buf_printf(b, "%s", s);
    } else {
        cx_json_text(b, s);
    }
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

int cx_exp_transitions_text(const char *json, const char *indent, char *buf, size_t cap)
{
    static const char *const key[9] = {
        "at",           "from",           "to",   "planned_ticks", "effective_ticks",
        "planned_days", "effective_days", "cost", "cost_booked"};
    size_t used = strlen(buf);
    json_t *doc = json_loads(json, 0, NULL);
    const json_t *tr = json_object_get(doc, "transitions");
    int n = 0;
    for (; n < (int)json_array_size(tr); n++) {
        const json_t *t = json_array_get(tr, (size_t)n);
        char dep[64], f[9][64];
        if (cx_json_value_text(json_object_get(t, "department"), dep, sizeof dep) != 1) {
            break;
        }
        for (int k = 0; k < 9; k++) {
            if (cx_json_value_text(json_object_get(t, key[k]), f[k], sizeof f[k]) != 1) {
                snprintf(f[k], sizeof f[k], "0");
            }
        }
        double planned = atof(f[3]), effective = atof(f[4]);
        if (used < cap) {
            int w = snprintf(buf + used, cap - used,
                             "%s%s %.3g -> %.3g from tick %s: planned %.0f ticks (%.0f days), "
                             "effective %.0f ticks (%.0f days)%s; investment %.0f, %.0f booked "
                             "within the run\n",
                             indent, dep, atof(f[1]), atof(f[2]), f[0], planned, atof(f[5]),
                             effective, atof(f[6]),
                             effective > planned   ? ", stretched by the speed of change"
                             : effective < planned ? ", shorter than planned"
                                                   : ", as planned",
                             atof(f[7]), atof(f[8]));
            used += w > 0 ? (size_t)w : 0;
        }
    }
    json_decref(doc);
    return n;
}
