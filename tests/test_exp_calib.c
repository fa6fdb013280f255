/*  Calibration (exp/cx_exp_calib): the bounded Nelder–Mead search on known
 *  functions (a 2-D quadratic, a minimum outside the box, determinism,
 *  the evaluation budget, an aborting callback), the objective against a
 *  computation written out here, picking observed ticks from a series,
 *  and the observed-file parser, including each error with its
 *  file:line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_exp_calib.h"
#include "cx_exp_calib_unc.h"

static void s_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "got %.15g, want %.15g (tolerance %g)\n", got, want, tol);
    }
    assert_true(fabs(got - want) <= tol);
}

/* f(x, y) = 3 (x - cx)^2 + (y - cy)^2 + (x - cx)(y - cy) + 2: a tilted,
 * positive-definite quadratic with its minimum 2 at (cx, cy). Every point
 * evaluated is checked against the box. */
typedef struct {
    double cx, cy;
    double lo[2], hi[2];
    int calls;
    int abort_at; /* 0: never */
    double trace[256][2];
} s_quad_t;

static int s_quad(void *ud, const double *x, double *f)
{
    s_quad_t *q = ud;
    assert_true(x[0] >= q->lo[0] && x[0] <= q->hi[0]);
    assert_true(x[1] >= q->lo[1] && x[1] <= q->hi[1]);
    if (q->calls < 256) {
        q->trace[q->calls][0] = x[0];
        q->trace[q->calls][1] = x[1];
    }
    q->calls++;
    if (q->abort_at && q->calls == q->abort_at) {
        return -1;
    }
    double a = x[0] - q->cx, b = x[1] - q->cy;
    *f = 3 * a * a + b * b + a * b + 2;
    return 0;
}

static void test_nm_quadratic(void **state)
{
    (void)state;
    s_quad_t q = {.cx = 1.3, .cy = -0.7, .lo = {-5, -5}, .hi = {5, 5}};
    double x0[2] = {-3, 4}, best[2];
    cx_calib_nm_opts_t o = {200, 0.1, 1e-6};
    cx_calib_nm_result_t r;
    char err[256];
    assert_int_equal(cx_calib_nm(2, x0, q.lo, q.hi, &o, s_quad, &q, best, &r, err, sizeof err), 0);
    assert_string_equal(r.stop, "converged");
    assert_int_equal(r.evals, q.calls);
    assert_true(r.evals <= 200);
    s_close(best[0], 1.3, 1e-4);
    s_close(best[1], -0.7, 1e-4);
    s_close(r.f, 2.0, 1e-7);
    /* The first evaluation is the start; the next two the documented
     * initial simplex: +10% of each range (width 10 -> +1). */
    s_close(q.trace[0][0], -3, 0);
    s_close(q.trace[0][1], 4, 0);
    s_close(q.trace[1][0], -2, 0);
    s_close(q.trace[1][1], 4, 0);
    s_close(q.trace[2][0], -3, 0);
    s_close(q.trace[2][1], 5, 0);
}

static void test_nm_bounds(void **state)
{
    (void)state;
    /* The unconstrained minimum (3, 0.5) lies outside x <= 2: the search
     * stays in the box and ends on its edge x = 2, where the constrained
     * minimum is at y = 0.5 - (2 - 3) / 2 = 1 (df/dy = 2 b + a = 0). */
    s_quad_t q = {.cx = 3, .cy = 0.5, .lo = {0, 0}, .hi = {2, 2}};
    double x0[2] = {1.95, 0.1}, best[2];
    cx_calib_nm_opts_t o = {300, 0.1, 1e-7};
    cx_calib_nm_result_t r;
    char err[256];
    assert_int_equal(cx_calib_nm(2, x0, q.lo, q.hi, &o, s_quad, &q, best, &r, err, sizeof err), 0);
    s_close(best[0], 2.0, 1e-3);
    s_close(best[1], 1.0, 2e-3);
    /* The start at the upper edge: its initial step goes downwards. */
    s_close(q.trace[1][0], 1.95 - 0.2, 1e-12);
}

static void test_nm_budget_determinism(void **state)
{
    (void)state;
    s_quad_t a = {.cx = 1.3, .cy = -0.7, .lo = {-5, -5}, .hi = {5, 5}};
    s_quad_t b = a;
    double x0[2] = {-3, 4}, ba[2], bb[2];
    cx_calib_nm_opts_t o = {17, 0.1, 1e-9};
    cx_calib_nm_result_t ra, rb;
    char err[256];
    assert_int_equal(cx_calib_nm(2, x0, a.lo, a.hi, &o, s_quad, &a, ba, &ra, err, sizeof err), 0);
    assert_int_equal(cx_calib_nm(2, x0, b.lo, b.hi, &o, s_quad, &b, bb, &rb, err, sizeof err), 0);
    assert_string_equal(ra.stop, "max_evals");
    assert_int_equal(ra.evals, 17);
    assert_int_equal(a.calls, 17);
    /* No randomness: the same points, in the same order. */
    assert_memory_equal(a.trace, b.trace, 17 * sizeof a.trace[0]);
    assert_memory_equal(ba, bb, sizeof ba);
    /* The best point is the best evaluated. */
    double fmin = INFINITY;
    for (int i = 0; i < 17; i++) {
        double x = a.trace[i][0] - 1.3, y = a.trace[i][1] + 0.7;
        double f = 3 * x * x + y * y + x * y + 2;
        fmin = f < fmin ? f : fmin;
    }
    s_close(ra.f, fmin, 0);
}

static void test_nm_abort_and_args(void **state)
{
    (void)state;
    s_quad_t q = {.cx = 1, .cy = 1, .lo = {-5, -5}, .hi = {5, 5}, .abort_at = 5};
    double x0[2] = {0, 0}, best[2];
    cx_calib_nm_opts_t o = {100, 0.1, 1e-6};
    cx_calib_nm_result_t r;
    char err[256];
    assert_int_equal(cx_calib_nm(2, x0, q.lo, q.hi, &o, s_quad, &q, best, &r, err, sizeof err), 1);
    assert_string_equal(r.stop, "aborted");
    assert_int_equal(r.evals, 4);
    double bad_lo[2] = {1, -5};
    double bad_hi[2] = {1, 5};
    assert_int_equal(cx_calib_nm(2, x0, bad_lo, bad_hi, &o, s_quad, &q, best, &r, err, sizeof err),
                     -1);
}

/* 1-D: f(x) = (x - 0.25)^2, from a start outside the box (clamped). */
static int s_one(void *ud, const double *x, double *f)
{
    int *calls = ud;
    (*calls)++;
    assert_true(x[0] >= 0 && x[0] <= 1);
    *f = (x[0] - 0.25) * (x[0] - 0.25);
    return 0;
}

static void test_nm_one_dimension(void **state)
{
    (void)state;
    double lo[1] = {0}, hi[1] = {1}, x0[1] = {7}, best[1];
    cx_calib_nm_opts_t o = {100, 0.1, 1e-6};
    cx_calib_nm_result_t r;
    char err[256];
    int calls = 0;
    assert_int_equal(cx_calib_nm(1, x0, lo, hi, &o, s_one, &calls, best, &r, err, sizeof err), 0);
    assert_string_equal(r.stop, "converged");
    s_close(best[0], 0.25, 1e-5);
}

static const char *const s_known[] = {"customers", "nps", "csat", "churn_rate", "revenue"};
#define S_NK 5

static void test_objective(void **state)
{
    (void)state;
    const char *csv = "tick,nps,revenue\n"
                      "0,10,1000\n"
                      "5,14,\n"   /* revenue not observed at 5 */
                      "10,12,1200\n"
                      "15,8,1100\n";
    cx_calib_obs_t obs;
    char err[256];
    assert_int_equal(cx_calib_obs_parse("o.csv", csv, strlen(csv), s_known, S_NK, 20, &obs, err,
                                        sizeof err),
                     0);
    assert_int_equal(obs.n_obs, 4);
    assert_int_equal(obs.n_kpi, 2);
    /* Columns fitted: revenue then nps (order differs from the file). */
    int cols[2] = {1, 0};
    /* sim[(r * 2 + c) * 4 + i], 2 replicates. */
    double sim[2 * 2 * 4] = {
        /* r0 revenue */ 1010, 0, 1180, 1150,
        /* r0 nps */ 11, 13, 12, 6,
        /* r1 revenue */ 990, 5, 1240, 1090,
        /* r1 nps */ 9, 16, 13, 9,
    };
    double mse[2], rmse[2], term[2];
    double j = cx_calib_objective(&obs, cols, 2, sim, 2, mse, rmse, term);

    /* Independently: means over replicates, observed ticks only. */
    double y_nps[4] = {10, 14, 12, 8}, m_nps[4] = {10, 14.5, 12.5, 7.5};
    double y_rev[3] = {1000, 1200, 1100}, m_rev[3] = {1000, 1210, 1120};
    double se_n = 0, se_r = 0, mu_n = 11, mu_r = 1100, v_n = 0, v_r = 0;
    for (int i = 0; i < 4; i++) {
        se_n += (m_nps[i] - y_nps[i]) * (m_nps[i] - y_nps[i]);
        v_n += (y_nps[i] - mu_n) * (y_nps[i] - mu_n);
    }
    for (int i = 0; i < 3; i++) {
        se_r += (m_rev[i] - y_rev[i]) * (m_rev[i] - y_rev[i]);
        v_r += (y_rev[i] - mu_r) * (y_rev[i] - mu_r);
    }
    double want_n = (se_n / 4) / (v_n / 4), want_r = (se_r / 3) / (v_r / 3);
    s_close(mse[1], se_n / 4, 1e-12);
    s_close(mse[0], se_r / 3, 1e-9);
    s_close(rmse[0], sqrt(se_r / 3), 1e-9);
    s_close(term[1], want_n, 1e-12);
    s_close(term[0], want_r, 1e-12);
    s_close(j, want_n + want_r, 1e-12);
    s_close(cx_calib_scale(&obs, 0), v_n / 4, 1e-12);

    /* A NaN simulated value at an observed tick: NaN. At an unobserved
     * one (revenue at tick 5): ignored. */
    sim[1] = NAN;
    s_close(cx_calib_objective(&obs, cols, 2, sim, 2, NULL, NULL, NULL), j, 1e-12);
    sim[8 + 4] = NAN;
    assert_true(isnan(cx_calib_objective(&obs, cols, 2, sim, 2, NULL, NULL, NULL)));
    cx_calib_obs_fini(&obs);

    /* A constant series: the scale is its mean squared; 0 everywhere: 1. */
    const char *flat = "tick,nps,csat\n1,4,0\n2,4,0\n";
    assert_int_equal(cx_calib_obs_parse("f.csv", flat, strlen(flat), s_known, S_NK, 0, &obs, err,
                                        sizeof err),
                     0);
    s_close(cx_calib_scale(&obs, 0), 16, 0);
    s_close(cx_calib_scale(&obs, 1), 1, 0);
    cx_calib_obs_fini(&obs);
}

static void test_pick(void **state)
{
    (void)state;
    int ticks[5] = {0, 1, 2, 3, 4};
    double v[5] = {10, 11, 12, 13, 14};
    int want[3] = {4, 0, 2};
    double out[3];
    assert_int_equal(cx_calib_pick(ticks, v, 5, want, 3, out), 0);
    s_close(out[0], 14, 0);
    s_close(out[1], 10, 0);
    s_close(out[2], 12, 0);
    int want2[2] = {3, 9};
    assert_int_equal(cx_calib_pick(ticks, v, 5, want2, 2, out), 1);
    assert_true(isnan(out[1]));
    s_close(cx_calib_round12(0.1 + 0.2), 0.3, 0);
}

/* Parses text and expects an error containing `want`. */
static void s_bad(const char *text, int ticks, const char *want)
{
    cx_calib_obs_t obs;
    char err[512] = "";
    assert_int_equal(cx_calib_obs_parse("obs.csv", text, strlen(text), s_known, S_NK, ticks, &obs,
                                        err, sizeof err),
                     -1);
    if (!strstr(err, want)) {
        fprintf(stderr, "error '%s' lacks '%s'\n", err, want);
    }
    assert_non_null(strstr(err, want));
    assert_null(obs.kpi);
    assert_int_equal(obs.n_obs, 0);
}

static void test_parser_errors(void **state)
{
    (void)state;
    s_bad("tick,np\n0,1\n", 10, "obs.csv:1: unknown column 'np' (column 2)");
    s_bad("tick,np\n0,1\n", 10, "did you mean 'nps'?");
    s_bad("tick,chrun_rate\n0,1\n", 10, "did you mean 'churn_rate'?");
    s_bad("\n# x\n", 10, "obs.csv:2: the header must start with 'tick'");
    s_bad("nps,tick\n1,0\n", 10, "obs.csv:1: the header must start with 'tick'");
    s_bad("tick\n0\n", 10, "obs.csv:1: no KPI column");
    s_bad("tick,nps,nps\n0,1,1\n", 10, "obs.csv:1: column 'nps' appears twice");
    s_bad("tick,nps\n0,1\n5,abc\n", 10, "obs.csv:3: column 'nps': 'abc' is not a number");
    s_bad("tick,nps\n0,1\n5,1e999\n", 10, "obs.csv:3: column 'nps': '1e999' is not a number");
    s_bad("tick,nps\n0,1\nfive,2\n", 10, "obs.csv:3: tick 'five' is not an integer");
    s_bad("tick,nps\r\n0,1\r\n10,2\r\n", 10, "obs.csv:3: tick 10 is outside the run's ticks 0..9");
    s_bad("tick,nps\n-1,2\n", 10, "obs.csv:2: tick -1 is outside");
    s_bad("tick,nps\n0,1\n5,2\n\n0,3\n", 10, "obs.csv:5: tick 0 already given on line 2");
    s_bad("tick,nps\n0,1,2\n", 10, "obs.csv:2: 3 fields, the header has 2");
    s_bad("tick,nps,csat\n0,1\n", 10, "obs.csv:2: 2 fields, the header has 3");
    s_bad("tick,nps\n", 10, "obs.csv: no observations");
    s_bad("", 10, "obs.csv: empty");
    s_bad("tick,nps,csat\n0,1,\n1,2,\n", 10, "obs.csv: column 'csat' has no value");
}

static void test_parser_ok(void **state)
{
    (void)state;
    const char *csv = "tick, nps ,churn_rate\r\n\r\n30,-5.5,0.25\r\n0,1e1,0\r\n";
    cx_calib_obs_t obs;
    char err[256];
    assert_int_equal(cx_calib_obs_parse("o.csv", csv, strlen(csv), s_known, S_NK, 31, &obs, err,
                                        sizeof err),
                     0);
    assert_int_equal(obs.n_kpi, 2);
    assert_string_equal(obs.kpi[0], "nps");
    assert_string_equal(obs.kpi[1], "churn_rate");
    assert_int_equal(obs.n_obs, 2);
    assert_int_equal(obs.tick[0], 30);
    assert_int_equal(obs.line[0], 3);
    assert_int_equal(obs.tick[1], 0);
    s_close(obs.value[0], -5.5, 0);
    s_close(obs.value[3], 0, 0);
    s_close(obs.value[2], 10, 0);
    assert_int_equal(cx_calib_obs_column(&obs, "churn_rate"), 1);
    assert_int_equal(cx_calib_obs_column(&obs, "csat"), -1);
    cx_calib_obs_fini(&obs);
    cx_calib_obs_fini(&obs); /* twice: safe */
    char err2[256];
    assert_int_equal(cx_calib_obs_load("/nonexistent/obs.csv", s_known, S_NK, 10, &obs, err2,
                                       sizeof err2),
                     -1);
    assert_non_null(strstr(err2, "/nonexistent/obs.csv"));
}

/* The curvature interval on exact quadratics: J = J0 + a (x - c)^2 gives
 * H = 2a, s2 = J0 / (N - 1) and se = sqrt(2 s2 / H) = sqrt(s2 / a). */
static void test_unc_quadratic(void **state)
{
    (void)state;
    double x[9], f[9], se[2], lo[2], hi[2];
    const double rlo[1] = {0}, rhi[1] = {10};
    for (int i = 0; i < 9; i++) {
        x[i] = 3 + 0.25 * (i - 4);
        f[i] = 2.0 + 8.0 * (x[i] - 3) * (x[i] - 3);
    }
    assert_int_equal(cx_calib_unc(x, f, 9, 1, 4, rlo, rhi, 21, se, lo, hi), 0);
    double want = sqrt(2.0 / 20 / 8.0);
    assert_true(fabs(se[0] - want) < 1e-9);
    double t = 2.085963447; /* t(0.975, 20) */
    assert_true(fabs(lo[0] - (3 - t * want)) < 1e-6 && fabs(hi[0] - (3 + t * want)) < 1e-6);
    /* A sharper minimum (a x 4) halves the interval; more residual (J0 x 4) doubles it. */
    for (int i = 0; i < 9; i++) {
        f[i] = 2.0 + 32.0 * (x[i] - 3) * (x[i] - 3);
    }
    assert_int_equal(cx_calib_unc(x, f, 9, 1, 4, rlo, rhi, 21, se, lo, hi), 0);
    assert_true(fabs(se[0] - want / 2) < 1e-9);
    /* A maximum, or too few points: no interval. */
    for (int i = 0; i < 9; i++) {
        f[i] = 2.0 - (x[i] - 3) * (x[i] - 3);
    }
    assert_int_equal(cx_calib_unc(x, f, 9, 1, 4, rlo, rhi, 21, se, lo, hi), 0);
    assert_true(isnan(se[0]) && isnan(lo[0]) && isnan(hi[0]));
    assert_int_equal(cx_calib_unc(x, f, 2, 1, 0, rlo, rhi, 21, se, lo, hi), 0);
    assert_true(isnan(se[0]));
    /* Two parameters with a cross term: the covariance's diagonal. H = [[4, 2], [2, 6]]
     * (J = 2 u^2 + 2 u v + 3 v^2 + 1), H^-1 = [[6, -2], [-2, 4]] / 20. */
    double x2[50], f2[25];
    int n = 0;
    for (int i = -2; i <= 2; i++) {
        for (int j = -2; j <= 2; j++, n++) {
            double u = 0.1 * i, v = 0.1 * j;
            x2[2 * n] = 5 + u;
            x2[2 * n + 1] = 5 + v;
            f2[n] = 1 + 2 * u * u + 2 * u * v + 3 * v * v;
        }
    }
    const double lo2[2] = {0, 0}, hi2[2] = {10, 10};
    assert_int_equal(cx_calib_unc(x2, f2, 25, 2, 12, lo2, hi2, 12, se, lo, hi), 0);
    double s2 = 1.0 / 10;
    assert_true(fabs(se[0] - sqrt(2 * s2 * 6 / 20)) < 1e-9);
    assert_true(fabs(se[1] - sqrt(2 * s2 * 4 / 20)) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nm_quadratic),      cmocka_unit_test(test_nm_bounds),
        cmocka_unit_test(test_nm_budget_determinism), cmocka_unit_test(test_nm_abort_and_args),
        cmocka_unit_test(test_nm_one_dimension),  cmocka_unit_test(test_objective),
        cmocka_unit_test(test_pick),              cmocka_unit_test(test_parser_errors),
        cmocka_unit_test(test_parser_ok),         cmocka_unit_test(test_unc_quadratic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
