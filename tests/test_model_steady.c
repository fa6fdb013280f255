/* The steady state (models/cx_steady): a firm at constant maturity starts at
 * its equilibrium and stays there, with no start-up transient; the warm-up is
 * a pure function of the scenario; a change of experience moves the share. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_kpi.h"
#include "cx_steady.h"
#include "cx_world.h"

#define S_TICKS 730

typedef struct {
    double customers[S_TICKS]; /* at each tick's start */
    double nps[S_TICKS];
    double revenue[S_TICKS];
    double churned[S_TICKS];
} s_series_t;

static void s_run(const cx_scenario_t *sc, s_series_t *out)
{
    cx_world_t *w = cx_world_new(sc, 2);
    assert_non_null(w);
    for (int t = 0; t < S_TICKS; t++) {
        cx_kpi_row_t row;
        assert_int_equal(cx_world_step(w, NULL, &row), 0);
        out->customers[t] = (double)row.customers;
        out->nps[t] = row.nps;
        out->revenue[t] = row.revenue;
        out->churned[t] = (double)row.churned;
    }
    cx_world_destroy(&w);
}

static double s_mean(const double *v, int a, int b)
{
    double s = 0.0;
    for (int i = a; i < b; i++) {
        s += v[i];
    }
    return s / (b - a);
}

/* Two years at constant maturity: customers within 5 % of the start,
 * quarterly NPS within 3 points of the first quarter, and the first ticks
 * like any other (revenue, churn). */
static void test_steady(void **state)
{
    (void)state;
    cx_scenario_t *sc = calloc(1, sizeof *sc);
    s_series_t *s = calloc(1, sizeof *s);
    assert_non_null(sc);
    assert_non_null(s);
    cx_world_example_scenario(sc, 20000, 2.0, S_TICKS);
    s_run(sc, s);
    double q1 = s_mean(s->nps, 0, 91);
    for (int q = 1; q < 8; q++) {
        double qn = s_mean(s->nps, q * 91, q * 91 + 91);
        printf("  quarter %d NPS %.2f (first %.2f), customers %.0f\n", q + 1, qn, q1,
               s->customers[q * 91]);
        assert_true(fabs(qn - q1) <= 3.0);
    }
    double end = s->customers[S_TICKS - 1];
    printf("  customers %.0f -> %.0f\n", s->customers[0], end);
    assert_true(fabs(end / s->customers[0] - 1.0) <= 0.05);
    double rev = s_mean(s->revenue, 30, 120);
    double churn = s_mean(s->churned, 30, 120);
    printf("  tick 0: revenue %.0f (mean %.0f), churned %.0f (mean %.1f)\n", s->revenue[0], rev,
           s->churned[0], churn);
    assert_true(fabs(s->revenue[0] / rev - 1.0) <= 0.25);
    assert_true(s->churned[0] > 0.3 * churn);
    free(s);
    free(sc);
}

/* The warm-up depends on the scenario only: computed twice, the same bytes;
 * another seed, another steady state; the timeline is ignored. */
static void test_pure(void **state)
{
    (void)state;
    cx_scenario_t *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, 3000, 3.0, 10);
    cx_steady_t *a = cx_steady_new(sc);
    cx_steady_t *b = cx_steady_new(sc);
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_equal(a, b, sizeof *a);
    sc->event[0] = (cx_event_spec_t){.tick = 0, .kind = CX_EV_PRICE, .value = 2.0, .duration = 1};
    sc->n_event = 1;
    cx_steady_t *c = cx_steady_new(sc);
    assert_memory_equal(a, c, sizeof *a);
    sc->seed++;
    cx_steady_t *d = cx_steady_new(sc);
    assert_true(memcmp(a, d, sizeof *a) != 0);
    assert_true(a->churn_day[0] > 0.0 && a->n_sample[0] > 0);
    cx_steady_destroy(&a);
    cx_steady_destroy(&b);
    cx_steady_destroy(&c);
    cx_steady_destroy(&d);
    assert_null(a);
    free(sc);
}

/* Growth comes from change: raising every department from 2 to 3 at tick 30
 * grows the customer base; competitors that improve while the firm stands
 * still shrink it. */
static void test_share_moves(void **state)
{
    (void)state;
    cx_scenario_t *sc = calloc(1, sizeof *sc);
    s_series_t *base = calloc(1, sizeof *base);
    s_series_t *up = calloc(1, sizeof *up);
    s_series_t *rival = calloc(1, sizeof *rival);
    assert_non_null(sc);
    assert_non_null(base);
    assert_non_null(up);
    assert_non_null(rival);
    cx_world_example_scenario(sc, 10000, 2.0, S_TICKS);
    s_run(sc, base);
    for (int d = 0; d < sc->n_dept; d++) {
        sc->event[d] = (cx_event_spec_t){
            .tick = 30, .kind = CX_EV_MATURITY, .dept = d, .value = 3.0, .duration = 60};
    }
    sc->n_event = sc->n_dept;
    s_run(sc, up);
    sc->n_event = 0;
    sc->competitor_improvement = 10.0;
    s_run(sc, rival);
    double b = base->customers[S_TICKS - 1];
    printf("  customers after two years: steady %.0f, improving %.0f, competitors improving %.0f\n",
           b, up->customers[S_TICKS - 1], rival->customers[S_TICKS - 1]);
    assert_true(up->customers[S_TICKS - 1] > 1.05 * b);
    assert_true(rival->customers[S_TICKS - 1] < 0.97 * b);
    free(rival);
    free(up);
    free(base);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady),
        cmocka_unit_test(test_pure),
        cmocka_unit_test(test_share_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
