/*  Reality checks: window aggregates, the evaluation of every expect kind
 *  on hand-computed intervals, and the check-file loader's diagnostics
 *  (FILE:LINE:COLUMN, key path, "did you mean"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_check.h"
#include "cx_check_file.h"

static void s_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "got %.12g, want %.12g (tolerance %g)\n", got, want, tol);
    }
    assert_true(fabs(got - want) <= tol);
}

static void test_aggregate(void **state)
{
    (void)state;
    const int t[6] = {0, 1, 2, 3, 4, 5};
    const double v[6] = {2, 4, 6, 8, 10, 12};
    s_close(cx_check_aggregate(t, v, 6, 1, 4, CX_HOW_MEAN), 6, 1e-12); /* ticks 1..3 */
    s_close(cx_check_aggregate(t, v, 6, 1, 4, CX_HOW_SUM), 18, 1e-12);
    s_close(cx_check_aggregate(t, v, 6, 1, 4, CX_HOW_LAST), 8, 1e-12);
    s_close(cx_check_aggregate(t, v, 6, 1, 4, CX_HOW_GROWTH), 2, 1e-12);
    s_close(cx_check_aggregate(t, v, 6, 0, 100, CX_HOW_MEAN), 7, 1e-12); /* past the run */
    assert_true(isnan(cx_check_aggregate(t, v, 6, 6, 10, CX_HOW_MEAN))); /* no tick */
    const double z[3] = {0, 1, 2};
    assert_true(isnan(cx_check_aggregate(t, z, 3, 0, 3, CX_HOW_GROWTH))); /* from 0 */
    const double nan[3] = {1, NAN, 2};
    assert_true(isnan(cx_check_aggregate(t, nan, 3, 0, 3, CX_HOW_SUM)));
    s_close(cx_check_aggregate(t, nan, 3, 2, 3, CX_HOW_SUM), 2, 1e-12);
}

/* Deltas 1, 2, 3: mean 2, sd 1, half-width t(0.975, 2) / sqrt(3). */
static void test_evaluate(void **state)
{
    (void)state;
    const double b[3] = {10, 10, 10}, s[3] = {11, 12, 13};
    const double half = 4.302652729749464 / sqrt(3.0);
    cx_check_t c;
    memset(&c, 0, sizeof c);
    c.has_change = true;
    cx_check_result_t r;

    c.expect = CX_EXPECT_INCREASE;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_int_equal(r.n, 3);
    s_close(r.value, 2, 1e-12);
    s_close(r.lo, 2 - half, 1e-9);
    s_close(r.hi, 2 + half, 1e-9);
    s_close(r.base_mean, 10, 1e-12);
    s_close(r.scen_mean, 12, 1e-12);
    assert_false(r.holds); /* 2 - 2.48 < 0 */

    c.expect = CX_EXPECT_DECREASE;
    cx_check_evaluate(&c, s, b, 3, &r);
    assert_false(r.holds);
    const double s2[3] = {13, 14, 15}; /* deltas 3..5: CI [1.52, 6.48] */
    c.expect = CX_EXPECT_INCREASE;
    cx_check_evaluate(&c, b, s2, 3, &r);
    assert_true(r.holds);
    c.expect = CX_EXPECT_DECREASE;
    cx_check_evaluate(&c, s2, b, 3, &r);
    assert_true(r.holds);

    c.expect = CX_EXPECT_NO_DECREASE; /* low = 2 - 2.484 = -0.484 */
    c.tolerance = 0.5;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_true(r.holds);
    c.tolerance = 0.4;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_false(r.holds);
    c.expect = CX_EXPECT_NO_INCREASE; /* high = 4.484 */
    c.tolerance = 4.5;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_true(r.holds);
    c.tolerance = 4.4;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_false(r.holds);

    c.expect = CX_EXPECT_BETWEEN;
    c.lo = -1;
    c.hi = 5;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_true(r.holds);
    c.hi = 4;
    cx_check_evaluate(&c, b, s, 3, &r);
    assert_false(r.holds);

    /* Absolute: the CI of the baseline's values 11, 12, 13. */
    c.has_change = false;
    c.lo = 9;
    c.hi = 15;
    cx_check_evaluate(&c, s, NULL, 3, &r);
    s_close(r.value, 12, 1e-12);
    assert_true(r.holds);
    assert_true(isnan(r.scen_mean));

    /* Ratios 1.1, 1.2, 1.3: mean 1.2, sd 0.1. */
    c.has_change = true;
    c.expect = CX_EXPECT_RATIO_BETWEEN;
    c.lo = 0.9;
    c.hi = 1.5;
    cx_check_evaluate(&c, b, s, 3, &r);
    s_close(r.value, 1.2, 1e-12);
    s_close(r.hi - r.value, 0.1 * 4.302652729749464 / sqrt(3.0), 1e-9);
    assert_true(r.holds);

    /* NaN pairs are left out; fewer than 2 never holds. */
    const double bn[3] = {10, NAN, 10}, sn[3] = {20, 20, NAN};
    c.expect = CX_EXPECT_INCREASE;
    cx_check_evaluate(&c, bn, sn, 3, &r);
    assert_int_equal(r.n, 1);
    assert_false(r.holds);
}

static const char s_good[] =
    "checks:\n"
    "  - name: IT lifts NPS\n"
    "    source: \"002: la technologie\"\n"
    "    scenario: baseline.yaml\n"
    "    set: [ticks=730]\n"
    "    change:\n"
    "      set: [departments.it.maturity=4]\n"
    "      timeline: [{at: 5, event: price, value: 1.1}, {at: 9, event: policy, value: 0.5}]\n"
    "    kpi: nps\n"
    "    window: [548, 730]\n"
    "    quick: true\n"
    "    expect: increase\n"
    "  - name: steady\n"
    "    source: x\n"
    "    scenario: baseline.yaml\n"
    "    kpi: some_new_column\n"
    "    how: growth\n"
    "    window: [10, 20]\n"
    "    reference_window: [0, 10]\n"
    "    replicates: 4\n"
    "    expect: {ratio_between: [0.5, 1.5]}\n";

static void test_load(void **state)
{
    (void)state;
    cx_checks_t cs;
    cx_checks_init(&cs);
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_checks_load_string("c.yaml", CX_SOURCE_DIR "/scenarios", s_good, strlen(s_good),
                                   &cs, &d);
    if (rc != 0) {
        cx_diags_print(stderr, &d);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(cs.n, 2);
    const cx_check_t *c = &cs.items[0];
    assert_string_equal(c->name, "IT lifts NPS");
    assert_string_equal(c->scenario, CX_SOURCE_DIR "/scenarios/baseline.yaml");
    assert_int_equal(c->n_set, 1);
    assert_string_equal(c->set[0], "ticks=730");
    assert_int_equal(c->n_change, 1);
    assert_string_equal(c->change[0], "departments.it.maturity=4");
    assert_string_equal(c->timeline_items,
                        "{at: 5, event: price, value: 1.1}, {at: 9, event: policy, value: 0.5}");
    char *tl = cx_check_timeline_set(c);
    assert_string_equal(tl, "timeline=[{at: 5, event: price, value: 1.1}, "
                            "{at: 9, event: policy, value: 0.5}]");
    free(tl);
    assert_int_equal(c->window[0], 548);
    assert_int_equal(c->window[1], 730);
    assert_int_equal(c->replicates, 10);
    assert_true(c->quick && c->kpi_known && c->has_change);
    assert_int_equal(c->expect, CX_EXPECT_INCREASE);
    assert_int_equal(c->kpi_at.line, 9);
    assert_int_equal(c->kpi_at.column, 10);
    c = &cs.items[1];
    assert_false(c->kpi_known); /* provisionally: checked against kpis.csv later */
    assert_true(c->has_ref && !c->has_change);
    assert_int_equal(c->how, CX_HOW_GROWTH);
    assert_int_equal(c->expect, CX_EXPECT_RATIO_BETWEEN);
    s_close(c->lo, 0.5, 0);
    s_close(c->hi, 1.5, 0);
    assert_int_equal(c->replicates, 4);
    /* A second file may not reuse a name. */
    assert_int_equal(cx_checks_load_string("d.yaml", CX_SOURCE_DIR "/scenarios", s_good,
                                           strlen(s_good), &cs, &d),
                     -1);
    assert_int_equal(cs.n, 2);
    char line[1024];
    cx_diag_format(&d.items[0], line, sizeof line);
    assert_string_equal(line, "d.yaml:2:11: error: checks[0].name: the name 'IT lifts NPS' is "
                              "taken by c.yaml:2");
    cx_diags_fini(&d);
    cx_checks_fini(&cs);
}

static const char s_bad[] = "checks:\n"
                            "  - name: a\n"
                            "    source: x\n"
                            "    scenario: baseline.yaml\n"
                            "    kpi: npss\n"
                            "    window: [10, 5]\n"
                            "    expect: increse\n"
                            "    tolerence: 1\n"
                            "  - name: b\n"
                            "    scenario: baseline.yaml\n"
                            "    set: [ticks]\n"
                            "    change: {sett: [a=1]}\n"
                            "    kpi: nps\n"
                            "    window: [0, 5]\n"
                            "    expect: {between: [3]}\n";

static void test_diagnostics(void **state)
{
    (void)state;
    cx_checks_t cs;
    cx_checks_init(&cs);
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_checks_load_string("bad.yaml", CX_SOURCE_DIR "/scenarios", s_bad,
                                           strlen(s_bad), &cs, &d),
                     -1);
    assert_int_equal(cs.n, 0);
    static const char *const want[] = {
        "bad.yaml:5:10: error: checks[0].kpi: expected a column of kpis.csv (such as nps, csat, "
        "ces, churn_rate, customers, revenue), found 'npss'; did you mean 'nps'?",
        "bad.yaml:6:13: error: checks[0].window: expected FROM < TO (ticks [FROM, TO)), found "
        "[10, 5]",
        "bad.yaml:7:13: error: checks[0].expect: expected what must hold (one of increase, "
        "decrease, no_decrease, no_increase), found 'increse'; did you mean 'increase'?",
        "bad.yaml:8:5: error: checks[0].tolerence: unknown key 'tolerence'; did you mean "
        "'tolerance'?",
        "bad.yaml:9:5: error: checks[1]: missing key 'source'",
        "bad.yaml:11:11: error: checks[1].set[0]: expected KEY=VALUE, such as "
        "departments.it.maturity=4, found 'ticks'",
        "bad.yaml:12:14: error: checks[1].change.sett: unknown key 'sett' (a change has set and "
        "timeline); did you mean 'set'?",
        "bad.yaml:15:23: error: checks[1].expect.between: expected [LOW, HIGH], two numbers, "
        "found a list",
    };
    int n = (int)(sizeof want / sizeof want[0]);
    for (int i = 0; i < d.n; i++) {
        char line[1024];
        cx_diag_format(&d.items[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    assert_int_equal(d.n, n);
    for (int i = 0; i < n; i++) {
        char line[1024];
        cx_diag_format(&d.items[i], line, sizeof line);
        assert_string_equal(line, want[i]);
    }
    cx_diags_fini(&d);
    cx_checks_fini(&cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_diagnostics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
