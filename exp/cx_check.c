/*  cx_check — evaluating a reality check from its runs (see cx_check.h). */
#include "cx_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_stats.h"

double cx_check_aggregate(const int *ticks, const double *v, int n, int from, int to, cx_how_t how)
{
    double sum = 0, first = NAN, last = NAN;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (ticks[i] < from || ticks[i] >= to) {
            continue;
        }
        if (isnan(v[i])) {
            return NAN;
        }
        if (k == 0) {
            first = v[i];
        }
        last = v[i];
        sum += v[i];
        k++;
    }
    if (k == 0) {
        return NAN;
    }
    switch (how) {
    case CX_HOW_MEAN:
        return sum / k;
    case CX_HOW_SUM:
        return sum;
    case CX_HOW_LAST:
        return last;
    case CX_HOW_GROWTH:
        return first != 0 ? last / first : NAN;
    }
    return NAN;
}

static double s_mean(const double *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        s += x[i];
    }
    return n ? s / n : NAN;
}

void cx_check_evaluate(const cx_check_t *c, const double *b, const double *s, int n,
                       cx_check_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->value = r->lo = r->hi = r->base_mean = r->scen_mean = NAN;
    double *x = calloc((size_t)(n > 0 ? n : 1), sizeof *x);
    double *xb = malloc((size_t)(n > 0 ? n : 1) * sizeof *xb);
    double *xs = malloc((size_t)(n > 0 ? n : 1) * sizeof *xs);
    if (!x || !xb || !xs) {
        free(x);
        free(xb);
        free(xs);
        return;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(b[i]) || (s && isnan(s[i]))) {
            continue;
        }
        xb[m] = b[i];
        xs[m] = s ? s[i] : NAN;
        if (!s) {
            x[m] = b[i];
        } else if (c->expect == CX_EXPECT_RATIO_BETWEEN) {
            if (b[i] == 0) {
                continue;
            }
            x[m] = s[i] / b[i];
        } else {
            x[m] = s[i] - b[i];
        }
        m++;
    }
    cx_exp_ci_t ci;
    cx_exp_ci(x, m, 0.95, &ci);
    r->n = m;
    r->value = ci.mean;
    r->lo = ci.lo;
    r->hi = ci.hi;
    r->base_mean = s_mean(xb, m);
    r->scen_mean = s ? s_mean(xs, m) : NAN;
    bool known = m >= 2 && !isnan(ci.lo) && !isnan(ci.hi);
    switch (c->expect) {
    case CX_EXPECT_INCREASE:
        r->holds = known && ci.lo > 0;
        break;
    case CX_EXPECT_DECREASE:
        r->holds = known && ci.hi < 0;
        break;
    case CX_EXPECT_NO_DECREASE:
        r->holds = known && ci.lo > -c->tolerance;
        break;
    case CX_EXPECT_NO_INCREASE:
        r->holds = known && ci.hi < c->tolerance;
        break;
    case CX_EXPECT_BETWEEN:
    case CX_EXPECT_RATIO_BETWEEN:
        r->holds = known && ci.lo >= c->lo && ci.hi <= c->hi;
        break;
    }
    free(x);
    free(xb);
    free(xs);
}
