/*  cx_tp_counts — see cx_tp_counts.h. */
#include "cx_tp_counts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_csv.h"

/* The columns read, in the order of the fields of cx_tp_counts_t after the
 * two names. */
enum { S_JOURNEY, S_TP, S_INTER, S_PAIN, S_DELIGHT, S_FAILED, S_WAITED, S_ABANDONED, S_COLS };
static const char *const s_cols[S_COLS] = {"journey", "touchpoint", "interactions",
                                           "pain",    "delight",    "failed_handoffs",
                                           "waited",  "abandoned"};

/* cx_tp_counts_read's state. */
typedef struct {
    int col[S_COLS];
    const cx_attr_tp_t *tps;
    int n_tp;
    cx_tp_counts_t *out;
} s_read_t;

/* The header's column index of each of s_cols, or -1 with a message. */
static int s_header(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_read_t *rd = ud;
    for (int k = 0; k < S_COLS; k++) {
        if ((rd->col[k] = cx_csv_col(row, s_cols[k])) < 0) {
            snprintf(err, errlen, "no column '%s' (a run of an earlier cxsim?)", s_cols[k]);
            return -1;
        }
    }
    return 0;
}

/* Adds one row into out. */
static int s_row(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_read_t *rd = ud;
    const int *col = rd->col;
    long line = row->line;
    char name[2 * CX_ID_MAX + 4];
    snprintf(name, sizeof name, "%.*s/%.*s", CX_ID_MAX, row->fields[col[S_JOURNEY]], CX_ID_MAX,
             row->fields[col[S_TP]]);
    int t = 0;
    while (t < rd->n_tp && strcmp(rd->tps[t].name, name) != 0) {
        t++;
    }
    if (t == rd->n_tp) {
        snprintf(err, errlen, "line %ld: touchpoint '%s' is not the scenario's", line, name);
        return -1;
    }
    cx_tp_counts_t *o = &rd->out[t];
    int64_t *dst[] = {&o->interactions,    &o->pain,   &o->delight,
                      &o->failed_handoffs, &o->waited, &o->abandoned};
    for (int k = S_INTER; k < S_COLS; k++) {
        const char *v = row->fields[col[k]];
        char *stop;
        if (!v[0]) {
            snprintf(err, errlen, "line %ld: no value for '%s'", line, s_cols[k]);
            return -1;
        }
        errno = 0;
        long long x = strtoll(v, &stop, 10);
        if (*stop || errno || x < 0) {
            snprintf(err, errlen, "line %ld: '%s' is not a count: '%.31s'", line, s_cols[k], v);
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
    s_read_t rd = {.tps = tps, .n_tp = n_tp, .out = out};
    long rc = cx_csv_parse_copy(csv, len, "touchpoints.csv", 0, s_header, s_row, &rd, err,
                                errlen);
    return rc < 0 ? -1 : 0;
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
