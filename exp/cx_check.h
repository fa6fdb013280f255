/*  cx_check — evaluating a reality check (cx_check_file.h) from its runs.
 *
 *  Each run is reduced to one number, the KPI aggregated over the window
 *  (cx_check_aggregate). With a change, replicate r of the scenario side is
 *  paired with replicate r of the baseline (common random numbers: the same
 *  seed); with a reference_window, the window is paired with the reference
 *  window of the same run. Then:
 *
 *      increase       the 95% CI of the paired deltas (scenario - baseline)
 *                     lies above 0
 *      decrease       ... lies below 0
 *      no_decrease    its lower bound is above -tolerance
 *      no_increase    its upper bound is below +tolerance
 *      between        the delta's CI lies inside [lo, hi]; without a change
 *                     or a reference, the CI of the baseline's aggregate
 *                     over the replicates does
 *      ratio_between  the CI of the paired ratios (scenario / baseline)
 *                     lies inside [lo, hi]
 *
 *  CIs are Student t intervals over the replicates (cx_exp_stats). A check
 *  with fewer than two usable replicates does not hold (its CI is unknown).
 *
 *  Ownership: caller storage only. Errors: none; unknown values are NaN.
 */
#ifndef CX_CHECK_H
#define CX_CHECK_H

#include <stdbool.h>

#include "cx_check_file.h"

typedef struct {
    int n;            /* replicates (pairs) used */
    double value;     /* the mean delta, ratio or (absolute check) value */
    double lo, hi;    /* its 95% confidence interval */
    double base_mean; /* mean of the baseline (or reference window) aggregates */
    double scen_mean; /* mean of the scenario (or window) aggregates; NaN when absolute */
    bool holds;       /* the expectation holds */
} cx_check_result_t;

/* The aggregate of one run's series (ticks increasing, values v) over the
 * ticks [from, to): mean, sum, last value, or last / first value. NaN when
 * no tick falls in the window, a value in it is NaN, or (growth) the first
 * value is 0. */
double cx_check_aggregate(const int *ticks, const double *v, int n, int from, int to, cx_how_t how);

/* Evaluates check c from n paired aggregates: b (baseline or reference
 * window) and s (scenario or window; NULL for an absolute check). Pairs
 * holding a NaN are left out. */
void cx_check_evaluate(const cx_check_t *c, const double *b, const double *s, int n,
                       cx_check_result_t *r);

#endif
