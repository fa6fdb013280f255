/*  cx_exp_stats — the statistics of experiments: Student t quantiles and
 *  t-based confidence intervals of a mean.
 *
 *  The quantile is computed, not looked up: the t distribution's CDF comes
 *  from the regularised incomplete beta function (Lentz's continued
 *  fraction), and the quantile is found by bisection on it to ~1e-12, so any
 *  degrees of freedom (also non-integer) work. tests/test_exp_stats.c checks
 *  it against published table values.
 *
 *  Ownership: caller storage only. Errors: a statistic that is undefined
 *  (fewer than 2 values for a spread) is NaN, never a crash.
 */
#ifndef CX_EXP_STATS_H
#define CX_EXP_STATS_H

typedef struct {
    int n;       /* values */
    double mean; /* arithmetic mean (NaN when n = 0) */
    double sd;   /* sample standard deviation, n - 1 in the denominator (NaN when n < 2) */
    double half; /* half-width of the interval: t(1 - (1-level)/2, n-1) x sd / sqrt(n) */
    double lo;   /* mean - half */
    double hi;   /* mean + half */
} cx_exp_ci_t;

/* P(T <= t) for Student's t with df > 0 degrees of freedom. */
double cx_exp_t_cdf(double t, double df);

/* The p-quantile (0 < p < 1) of Student's t with df > 0 degrees of freedom;
 * NaN for arguments out of range. cx_exp_t_quantile(0.975, 4) = 2.776445. */
double cx_exp_t_quantile(double p, double df);

/* Mean, standard deviation and two-sided `level` (e.g. 0.95) confidence
 * interval of the mean of x[0..n-1], from Student's t with n - 1 degrees of
 * freedom. With n = 1 the interval is NaN (unknown), not zero. A NaN value
 * in x makes every field NaN. */
void cx_exp_ci(const double *x, int n, double level, cx_exp_ci_t *ci);

#endif
