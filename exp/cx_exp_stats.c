/*  cx_exp_stats — Student t quantiles and confidence intervals (see
 *  cx_exp_stats.h).
 */
#include "cx_exp_stats.h"

#include <math.h>

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double s_betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny) {
        d = tiny;
    }
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15) {
            break;
        }
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b), 0 <= x <= 1. */
static double s_ibeta(double a, double b, double x)
{
    if (x <= 0.0) {
        return 0.0;
    }
    if (x >= 1.0) {
        return 1.0;
    }
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double bt = exp(lbt);
    /* The continued fraction converges fast for x < (a+1)/(a+b+2); use the
     * symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise. */
    if (x < (a + 1.0) / (a + b + 2.0)) {
        return bt * s_betacf(a, b, x) / a;
    }
    return 1.0 - bt * s_betacf(b, a, 1.0 - x) / b;
}

double cx_exp_t_cdf(double t, double df)
{
    if (!(df > 0) || isnan(t)) {
        return NAN;
    }
    if (isinf(t)) {
        return t > 0 ? 1.0 : 0.0;
    }
    double tail = 0.5 * s_ibeta(df / 2.0, 0.5, df / (df + t * t)); /* P(T > |t|) */
    return t >= 0 ? 1.0 - tail : tail;
}

double cx_exp_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0)) {
        return NAN;
    }
    if (p == 0.5) {
        return 0.0;
    }
    if (p < 0.5) {
        return -cx_exp_t_quantile(1.0 - p, df);
    }
    /* Bracket the root of cdf(t) - p on [0, hi], then bisect. */
    double lo = 0.0, hi = 1.0;
    while (cx_exp_t_cdf(hi, df) < p) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300) {
            return INFINITY;
        }
    }
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (cx_exp_t_cdf(mid, df) < p) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

void cx_exp_ci(const double *x, int n, double level, cx_exp_ci_t *ci)
{
    ci->n = n;
    ci->mean = ci->sd = ci->half = ci->lo = ci->hi = NAN;
    if (n <= 0) {
        return;
    }
    /* Two passes: the mean first, then squared deviations from it, which
     * keeps the variance exact for large values with small spread (revenue
     * in the millions varying by a few units). */
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        sum += x[i];
    }
    double mean = sum / n;
    ci->mean = mean;
    if (n < 2 || isnan(mean)) {
        return;
    }
    double ss = 0.0;
    for (int i = 0; i < n; i++) {
        double d = x[i] - mean;
        ss += d * d;
    }
    ci->sd = sqrt(ss / (n - 1));
    double t = cx_exp_t_quantile(1.0 - (1.0 - level) / 2.0, n - 1);
    ci->half = t * ci->sd / sqrt((double)n);
    ci->lo = mean - ci->half;
    ci->hi = mean + ci->half;
}
