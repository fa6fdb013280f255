/*  cx_tp_counts — see cx_tp_counts.h. */
#include "cx_tp_counts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read, in the order of the fields of cx_tp_counts_t after the
 * two names. */
enum { S_JOURNEY, S_TP, S_INTER, S_PAIN, S_DELIGHT, S_FAILED, S_WAITED, S_ABANDONED, S_COLS };
static const char *const s_cols[S_COLS] = {"journey", "touchpoint", "interactions",
                                           "pain",    "delight",    "failed_handoffs",
                                           "waited",  "abandoned"};

/* Field f (0-based) of the comma-separated line [p, e) into out; false
 * when the line has fewer fields or the field does not fit. */
static bool s_field(const char *p, const char *e, int f, char *out, size_t cap)
{
    for (int i = 0; i < f; i++) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        if (!c) {
            return false;
        }
        p = c + 1;
    }
    const char *c = memchr(p, ',', (size_t)(e - p));
    size_t n = (size_t)((c ? c : e) - p);
    if (n >= cap) {
        return false;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* The header's column index of each of s_cols, or -1 with a message. */
static int s_header(const char *csv, const char *eol, int col[S_COLS], char *err, size_t errlen)
{
    for (int k = 0; k < S_COLS; k++) {
        col[k] = -1;
        char name[64];
        for (int f = 0; s_field(csv, eol, f, name, sizeof name); f++) {
            if (strcmp(name, s_cols[k]) == 0) {
                col[k] = f;
                break;
            }
        }
        if (col[k] < 0) {
            snprintf(err, errlen, "no column '%s' (a run of an earlier cxsim?)", s_cols[k]);
            return -1;
        }
    }
    return 0;
}

/* Adds the row [p, e) (line `line`) into out. */
static int s_row(const char *p, const char *e, int line, const int col[S_COLS],
                 const cx_attr_tp_t *tps, int n_tp, cx_tp_counts_t *out, char *err, size_t errlen)
{
    char jn[CX_ID_MAX + 1];
    char tn[CX_ID_MAX + 1];
    if (!s_field(p, e, col[S_JOURNEY], jn, sizeof jn) || !s_field(p, e, col[S_TP], tn, sizeof tn)) {
        snprintf(err, errlen, "line %d: no journey or touchpoint", line);
        return -1;
    }
    char name[2 * CX_ID_MAX + 4];
    snprintf(name, sizeof name, "%s/%s", jn, tn);
    int t = 0;
    while (t < n_tp && strcmp(tps[t].name, name) != 0) {
        t++;
    }
    if (t == n_tp) {
        snprintf(err, errlen, "line %d: touchpoint '%s' is not the scenario's", line, name);
        return -1;
    }
    int64_t *dst[] = {&out[t].interactions,    &out[t].pain,   &out[t].delight,
                      &out[t].failed_handoffs, &out[t].waited, &out[t].abandoned};
    for (int k = S_INTER; k < S_COLS; k++) {
        char v[32];
        char *stop;
        if (!s_field(p, e, col[k], v, sizeof v) || !v[0]) {
            snprintf(err, errlen, "line %d: no value for '%s'", line, s_cols[k]);
            return -1;
        }
        errno = 0;
        long long x = strtoll(v, &stop, 10);
        if (*stop || errno || x < 0) {
            snprintf(err, errlen, "line %d: '%s' is not a count: '%s'", line, s_cols[k], v);
            return -1;
        }
        *dst[k - S_INTER] += x;
    }
    return 0;
}

int cx_tp_counts_read(const char *csv, size_t len, const cx_attr_tp_t *tps, int n_tp,
                      cx_tp_counts_t *out, char *err, size_t errlen)
{
    memset(out, 0, (size_t)n_tp * sizeof *out);
    const char *end = csv + len;
    const char *eol = memchr(csv, '\n', len);
    if (!eol) {
        snprintf(err, errlen, "no header line");
        return -1;
    }
    int col[S_COLS];
    if (s_header(csv, eol, col, err, errlen) != 0) {
        return -1;
    }
    int line = 1;
    for (const char *p = eol + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) {
            e = end;
        }
        line++;
        if (e > p && s_row(p, e, line, col, tps, n_tp, out, err, errlen) != 0) {
            return -1;
        }
        p = e + 1;
    }
    return 0;
}

const char *cx_share_name(cx_share_t s)
{
    static const char *const names[CX_SHARES] = {"pain_share", "delight_share", "handoff_share",
                                                 "wait_share", "abandon_share"};
    return s >= 0 && s < CX_SHARES ? names[s] : "?";
}

void cx_tp_shares(const cx_tp_counts_t *c, double share[CX_SHARES])
{
    double n = (double)c->interactions;
    const int64_t k[CX_SHARES] = {c->pain, c->delight, c->failed_handoffs, c->waited, c->abandoned};
    for (int s = 0; s < CX_SHARES; s++) {
        share[s] = n > 0 ? 100.0 * (double)k[s] / n : NAN;
    }
}
