/*  Sensitivity analysis (exp/cx_exp_sens): where each parameter is
 *  evaluated (relative step, clamping at the range's edges, the absolute
 *  step of a zero-valued parameter), the paired central differences and
 *  elasticities with their 95% intervals against a computation written
 *  out here with published t quantiles, pairing by replicate, ranks and
 *  bars. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_exp_sens.h"

static void s_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "got %.15g, want %.15g (tolerance %g)\n", got, want, tol);
    }
    assert_true(fabs(got - want) <= tol);
}

/* Student t, 0.975 quantile, by degrees of freedom (published tables). */
static double s_t975(int df)
{
    static const double t[] = {NAN, 12.7062047362, 4.30265272975, 3.18244630528, 2.77644510520};
    assert_true(df >= 1 && df <= 4);
    return t[df];
}

/* Mean and half-width of x[0..n-1], written out independently. */
static void s_ref_ci(const double *x, int n, double *mean, double *half)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        s += x[i];
    }
    *mean = s / n;
    for (int i = 0; i < n; i++) {
        ss += (x[i] - *mean) * (x[i] - *mean);
    }
    *half = s_t975(n - 1) * sqrt(ss / (n - 1)) / sqrt(n);
}

static void test_step_relative(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    assert_int_equal(cx_exp_sens_step(0.65, 0.0, 3.0, 0.1, &st, err, sizeof err), 0);
    s_close(st.low, 0.585, 1e-15);
    s_close(st.high, 0.715, 1e-15);
    assert_string_equal(st.low_text, "0.585");
    assert_string_equal(st.high_text, "0.715");
    assert_string_equal(st.base_text, "0.65");
    assert_false(st.absolute || st.clamped_low || st.clamped_high);
    /* The values are what their text reads back as. */
    assert_true(st.low == strtod(st.low_text, NULL) && st.high == strtod(st.high_text, NULL));
    /* A negative base: the (1 + delta) side is the lower one. */
    assert_int_equal(cx_exp_sens_step(-2.0, -10.0, 10.0, 0.25, &st, err, sizeof err), 0);
    s_close(st.low, -2.5, 0);
    s_close(st.high, -1.5, 0);
}

static void test_step_clamped(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    /* At the top of its range [0, 1]: p+ is clamped onto p (backward difference). */
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 1.0, 0.1, &st, err, sizeof err), 0);
    s_close(st.low, 0.9, 1e-15);
    s_close(st.high, 1.0, 0);
    assert_true(st.clamped_high && !st.clamped_low);
    /* Near the bottom: 1.05 x (1 - 0.1) = 0.945 < 1 is raised to 1. */
    assert_int_equal(cx_exp_sens_step(1.05, 1.0, 5.0, 0.1, &st, err, sizeof err), 0);
    s_close(st.low, 1.0, 0);
    s_close(st.high, 1.155, 1e-15);
    assert_true(st.clamped_low && !st.clamped_high);
    assert_string_equal(st.low_text, "1");
}

static void test_step_zero(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    /* p = 0 in [-10, 10]: absolute step 0.1 x 20 = 2 on both sides. */
    assert_int_equal(cx_exp_sens_step(0.0, -10.0, 10.0, 0.1, &st, err, sizeof err), 0);
    assert_true(st.absolute);
    s_close(st.low, -2.0, 0);
    s_close(st.high, 2.0, 0);
    /* p = 0 at the bottom of [0, 5]: p- clamped onto 0, p+ = 0.2 x 5 = 1. */
    assert_int_equal(cx_exp_sens_step(0.0, 0.0, 5.0, 0.2, &st, err, sizeof err), 0);
    assert_true(st.absolute && st.clamped_low);
    s_close(st.low, 0.0, 0);
    s_close(st.high, 1.0, 0);
    assert_string_equal(st.low_text, "0");
}

static void test_step_invalid(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, 0.0, &st, err, sizeof err), -1);
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, 0.51, &st, err, sizeof err), -1);
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, NAN, &st, err, sizeof err), -1);
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, 0.5, &st, err, sizeof err), 0);
    assert_int_equal(cx_exp_sens_step(3.0, 0.0, 2.0, 0.1, &st, err, sizeof err), -1);
    assert_int_equal(cx_exp_sens_step(1.0, 1.0, 1.0, 0.1, &st, err, sizeof err), -1);
    assert_true(strstr(err, "range") != NULL);
}

static void test_compute(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    assert_int_equal(cx_exp_sens_step(2.0, 0.0, 10.0, 0.1, &st, err, sizeof err), 0);
    /* p- = 1.8, p+ = 2.2: four replicates by hand. */
    const double lo[4] = {10.0, 12.0, 9.0, 11.5};
    const double base[4] = {11.0, 12.5, 10.0, 12.0};
    const double hi[4] = {12.4, 13.6, 10.6, 12.9};
    double work[4];
    cx_exp_sens_stat_t out;
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 4, work, &out), 0);
    assert_int_equal(out.n, 4);
    assert_int_equal(out.n_elasticity, 4);
    /* d_r = (hi - lo) / 0.4: 6, 4, 4, 3.5; e_r = d_r x 2 / base_r. */
    double d[4], e[4];
    for (int i = 0; i < 4; i++) {
        d[i] = (hi[i] - lo[i]) / 0.4;
        e[i] = d[i] * 2.0 / base[i];
    }
    s_close(d[0], 6.0, 1e-12);
    s_close(d[3], 3.5, 1e-12);
    double m, h;
    s_ref_ci(d, 4, &m, &h);
    s_close(m, 4.375, 1e-12);
    s_close(out.derivative.mean, m, 1e-12);
    s_close(out.derivative.half, h, 1e-8);
    s_close(out.derivative.lo, m - h, 1e-8);
    s_close(out.derivative.hi, m + h, 1e-8);
    s_ref_ci(e, 4, &m, &h);
    s_close(out.elasticity.mean, m, 1e-12);
    s_close(out.elasticity.lo, m - h, 1e-8);
    s_close(out.elasticity.hi, m + h, 1e-8);
    s_close(out.kpi_base_mean, 11.375, 1e-12);
    /* The numbers themselves: e = 12/11, 8/12.5, 8/10, 7/12. */
    s_close(out.elasticity.mean, (12 / 11.0 + 0.64 + 0.8 + 7 / 12.0) / 4, 1e-12);
    /* The change across the step, in the KPI's units: K(p+) - K(p-). */
    s_close(st.width, 0.4, 1e-15);
    s_close(out.change.mean, (2.4 + 1.6 + 1.6 + 1.4) / 4, 1e-12);
    s_close(out.change.half, out.derivative.half * 0.4, 1e-10);
}

static void test_change_clamped_and_rule(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    /* p = 1 at the top of [0, 1]: backward difference over 0.1, scaled to the
     * nominal width 0.2, so that it compares with an unclamped step. */
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 1.0, 0.1, &st, err, sizeof err), 0);
    s_close(st.width, 0.2, 1e-15);
    const double lo[2] = {4.0, 5.0}, base[2] = {5.0, 6.0}, hi[2] = {5.0, 6.0};
    double work[2];
    cx_exp_sens_stat_t out;
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 2, work, &out), 0);
    s_close(out.change.mean, 2.0, 1e-12);
    /* p = 0: the width is 2 delta (max - min). */
    assert_int_equal(cx_exp_sens_step(0.0, -10.0, 10.0, 0.1, &st, err, sizeof err), 0);
    s_close(st.width, 4.0, 1e-15);
    /* The elasticity rule: NPS against its span of 200, others against max |K|. */
    s_close(cx_exp_sens_scale("nps", 3.0), 200, 0);
    s_close(cx_exp_sens_scale("window_nps", 3.0), 200, 0);
    s_close(cx_exp_sens_scale("churn_rate", -0.5), 0.5, 0);
    assert_false(cx_exp_sens_elastic(-2.0, 200));
    assert_false(cx_exp_sens_elastic(19.9, 200));
    assert_true(cx_exp_sens_elastic(-20.0, 200));
    assert_true(cx_exp_sens_elastic(0.05, 0.5));
    assert_false(cx_exp_sens_elastic(0.049, 0.5));
    assert_false(cx_exp_sens_elastic(NAN, 1));
    assert_false(cx_exp_sens_elastic(1, 0));
}

static void test_compute_edges(void **state)
{
    (void)state;
    cx_exp_sens_step_t st;
    char err[256];
    double work[3];
    cx_exp_sens_stat_t out;
    /* A replicate with K(p) = 0 has a derivative but no elasticity. */
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, 0.5, &st, err, sizeof err), 0);
    const double lo[3] = {1, 0, 2}, base[3] = {2, 0, 3}, hi[3] = {3, 1, 5};
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 3, work, &out), 0);
    assert_int_equal(out.n, 3);
    assert_int_equal(out.n_elasticity, 2);
    s_close(out.derivative.mean, (2 + 1 + 3) / 3.0, 1e-12); /* width 1 */
    double e[2] = {2.0 * 1 / 2, 3.0 * 1 / 3}, m, h;
    s_ref_ci(e, 2, &m, &h);
    s_close(out.elasticity.mean, 1.0, 1e-12);
    s_close(out.elasticity.half, 0.0, 1e-12);
    /* Zero base value: the derivative is defined, the elasticity is not. */
    assert_int_equal(cx_exp_sens_step(0.0, 0.0, 1.0, 0.1, &st, err, sizeof err), 0);
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 3, work, &out), 0);
    s_close(out.derivative.mean, 20.0, 1e-9); /* mean of (2, 1, 3) / (0.1 - 0) */
    assert_true(isnan(out.elasticity.mean) && isnan(out.elasticity.lo));
    assert_int_equal(out.n_elasticity, 0);
    /* One replicate: a mean, no interval. */
    assert_int_equal(cx_exp_sens_step(1.0, 0.0, 2.0, 0.5, &st, err, sizeof err), 0);
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 1, work, &out), 0);
    s_close(out.derivative.mean, 2.0, 1e-12);
    assert_true(isnan(out.derivative.lo));
    /* No room: nothing computed. */
    st.high = st.low;
    assert_int_equal(cx_exp_sens_compute(&st, lo, base, hi, 3, work, &out), -1);
}

static void test_align(void **state)
{
    (void)state;
    /* Replicate 1 is missing at p+, replicate 3 has a NaN at p-. */
    const int rl[4] = {0, 1, 2, 3}, rb[4] = {0, 1, 2, 3}, rh[3] = {0, 2, 3};
    const double vl[4] = {1, 2, 3, NAN}, vb[4] = {10, 20, 30, 40}, vh[3] = {100, 300, 400};
    double lo[3], base[3], hi[3];
    int reps[3];
    int n = cx_exp_sens_align(rl, vl, 4, rb, vb, 4, rh, vh, 3, lo, base, hi, reps);
    assert_int_equal(n, 2);
    assert_int_equal(reps[0], 0);
    assert_int_equal(reps[1], 2);
    s_close(lo[1], 3, 0);
    s_close(base[1], 30, 0);
    s_close(hi[1], 300, 0);
    assert_int_equal(cx_exp_sens_align(rl, vl, 0, rb, vb, 4, rh, vh, 3, lo, base, hi, NULL), 0);
}

static void test_rank_bar(void **state)
{
    (void)state;
    const double v[5] = {0.5, -2.0, NAN, 0.5, 1.0};
    int rank[5];
    cx_exp_sens_rank(v, 5, rank);
    assert_int_equal(rank[1], 1);
    assert_int_equal(rank[4], 2);
    assert_int_equal(rank[0], 3); /* ties keep their order */
    assert_int_equal(rank[3], 4);
    assert_int_equal(rank[2], 5); /* NaN last */
    char bar[16];
    cx_exp_sens_bar(bar, sizeof bar, -2.0, 2.0, 4);
    assert_string_equal(bar, "####|    ");
    cx_exp_sens_bar(bar, sizeof bar, 1.0, 2.0, 4);
    assert_string_equal(bar, "    |##  ");
    cx_exp_sens_bar(bar, sizeof bar, 0.01, 2.0, 4);
    assert_string_equal(bar, "    |#   ");
    cx_exp_sens_bar(bar, sizeof bar, NAN, 2.0, 4);
    assert_string_equal(bar, "    |    ");
    cx_exp_sens_bar(bar, 5, 1.0, 2.0, 4); /* too small: empty */
    assert_string_equal(bar, "");
    char t[32];
    cx_exp_sens_fmt(t, sizeof t, -0.0);
    assert_string_equal(t, "0");
    cx_exp_sens_fmt(t, sizeof t, 0.1 + 0.2);
    assert_string_equal(t, "0.3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_relative), cmocka_unit_test(test_step_clamped),
        cmocka_unit_test(test_step_zero),     cmocka_unit_test(test_step_invalid),
        cmocka_unit_test(test_compute),       cmocka_unit_test(test_compute_edges),
        cmocka_unit_test(test_align),         cmocka_unit_test(test_rank_bar),
        cmocka_unit_test(test_change_clamped_and_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
