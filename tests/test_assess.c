/*  Self-assessment: every level reachable on every axis through the shipped
 *  questionnaire, conflicting answers flagged, confidence and the overall
 *  level by hand, the loader's diagnostics (FILE:LINE:COLUMN, key path,
 *  "did you mean"), and the assessed scenario. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_assess.h"
#include "cx_questionnaire.h"

#define S_DIR CX_SOURCE_DIR "/scenarios/assess"

static void s_close(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9)) {
        fprintf(stderr, "got %.12g, want %.12g\n", got, want);
    }
    assert_true(fabs(got - want) <= 1e-9);
}

/* Answers text for one department "d" with the three axes given. */
static int s_load(const char *answers, cx_questionnaire_t *q, cx_diags_t *d)
{
    char text[2048];
    snprintf(text, sizeof text,
             "questionnaire: questionnaire.yaml\n"
             "scenario: ../baseline.yaml\n"
             "%s",
             answers);
    cx_diags_init(d);
    return cx_questionnaire_load_string("answers.yaml", S_DIR, text, strlen(text), q, d);
}

static bool s_has(const cx_diags_t *d, const char *needle)
{
    for (int i = 0; i < d->n; i++) {
        char buf[1200];
        cx_diag_format(&d->items[i], buf, sizeof buf);
        if (strstr(buf, needle)) {
            return true;
        }
    }
    for (int i = 0; i < d->n; i++) {
        char buf[1200];
        cx_diag_format(&d->items[i], buf, sizeof buf);
        fprintf(stderr, "diagnostic: %s\n", buf);
    }
    fprintf(stderr, "wanted: %s\n", needle);
    return false;
}

/* Through the shipped questionnaire: a department that fully agrees with
 * level L's statement only is at level L, on each axis, for every L. */
static void test_every_level_reachable(void **state)
{
    (void)state;
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_assessment_t *as = malloc(sizeof *as);
    assert_non_null(q);
    assert_non_null(as);
    for (int axis = 0; axis < CX_Q_AXES; axis++) {
        for (int level = 1; level <= CX_Q_LEVELS; level++) {
            char lists[CX_Q_AXES][32];
            for (int a = 0; a < CX_Q_AXES; a++) {
                int v[CX_Q_LEVELS] = {0, 0, 0, 0, 0};
                v[a == axis ? level - 1 : 2] = 4; /* other axes at level 3 */
                snprintf(lists[a], sizeof lists[a], "[%d, %d, %d, %d, %d]", v[0], v[1], v[2], v[3],
                         v[4]);
            }
            char ans[512];
            snprintf(ans, sizeof ans,
                     "departments:\n  it: {strategy: %s, control: %s, tactics: %s}\n", lists[0],
                     lists[1], lists[2]);
            cx_diags_t d;
            assert_int_equal(s_load(ans, q, &d), 0);
            assert_int_equal(cx_assess_score(q, as, &d), 0);
            assert_int_equal(as->n_assessed, 1);
            const cx_axis_score_t *s = &as->dept[0].axis[axis];
            assert_int_equal(s->level, level);
            s_close(s->score, level);
            s_close(s->confidence, 1.0);
            assert_false(s->conflict);
            s_close(as->dept[0].score, (level + 6.0) / 3.0);
            assert_int_equal(as->dept[0].disagree, fabs(level - 3.0) >= 1.0);
            cx_diags_fini(&d);
        }
    }
    /* The statements came from the shipped file, one per level and axis. */
    for (int a = 0; a < CX_Q_AXES; a++) {
        for (int k = 0; k < CX_Q_LEVELS; k++) {
            assert_true(strlen(q->axis[a].statement[k]) > 20);
            assert_non_null(strstr(q->axis[a].st_source[k], "000"));
        }
    }
    free(q);
    free(as);
}

static void test_scores_by_hand(void **state)
{
    (void)state;
    cx_axis_score_t s;
    /* 1x2 + 4x3 + 2x4 = 22 over 7: 3.142..., level 3, all within one level. */
    cx_assess_axis((const int[5]){0, 1, 4, 2, 0}, &s);
    s_close(s.score, 22.0 / 7.0);
    assert_int_equal(s.level, 3);
    s_close(s.confidence, 1.0);
    assert_false(s.conflict);
    /* Exactly between two levels rounds up: 2.5 -> 3. */
    cx_assess_axis((const int[5]){0, 2, 2, 0, 0}, &s);
    s_close(s.score, 2.5);
    assert_int_equal(s.level, 3);
    /* Levels 1 and 5 fully: score 3, conflict 1..5, confidence 0. */
    cx_assess_axis((const int[5]){4, 0, 0, 0, 4}, &s);
    s_close(s.score, 3.0);
    assert_int_equal(s.level, 3);
    assert_true(s.conflict);
    assert_int_equal(s.conflict_lo, 1);
    assert_int_equal(s.conflict_hi, 5);
    s_close(s.confidence, 0.0);
    /* Two adjacent levels largely: no conflict. */
    cx_assess_axis((const int[5]){0, 4, 3, 0, 0}, &s);
    assert_false(s.conflict);
    /* Two levels apart at agreement 3: a conflict; 2 does not count. */
    cx_assess_axis((const int[5]){0, 3, 0, 3, 0}, &s);
    assert_true(s.conflict);
    assert_int_equal(s.conflict_lo, 2);
    assert_int_equal(s.conflict_hi, 4);
    cx_assess_axis((const int[5]){0, 4, 0, 2, 0}, &s);
    assert_false(s.conflict);
    s_close(s.confidence, 1.0); /* level 3 (2.67), levels 2..4 near */
    /* A low but not conflicting confidence: 4 at level 1, 1 at level 4. */
    cx_assess_axis((const int[5]){4, 0, 0, 1, 0}, &s);
    assert_int_equal(s.level, 2); /* 8 / 5 = 1.6 */
    s_close(s.confidence, 0.8);
}

/* The shipped example: product's strategy answers conflict and are
 * reported as such; the assessed scenario takes the rounded tactics. */
static void test_example_and_scenario(void **state)
{
    (void)state;
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_assessment_t *as = malloc(sizeof *as);
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_scenario_t *back = malloc(sizeof *back);
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_questionnaire_load_file(S_DIR "/example-answers.yaml", q, &d), 0);
    assert_int_equal(cx_assess_score(q, as, &d), 0);
    assert_int_equal(cx_scenario_load_file(q->scenario, NULL, 0, sc, &d), 0);
    assert_int_equal(cx_assess_apply(q, as, sc, &d), 0);
    assert_int_equal(as->n_assessed, 6);
    int product = -1;
    for (int i = 0; i < as->n_dept; i++) {
        if (strcmp(as->dept[i].id, "product") == 0) {
            product = i;
        }
        int di = cx_scenario_dept_index(sc, as->dept[i].id);
        assert_true(di >= 0);
        s_close(sc->dept[di].maturity,
                floor(as->dept[i].axis[CX_AXIS_TACTICS].score * 10 + 0.5) / 10);
    }
    assert_true(product >= 0);
    assert_true(as->dept[product].axis[CX_AXIS_STRATEGY].conflict);
    assert_true(as->dept[product].disagree);
    assert_int_equal(sc->cx_owner, CX_OWNER_MARKETING);
    assert_int_equal(sc->governance, CX_GOV_CENTRALISED);
    assert_int_equal(sc->n_event, 0);
    cx_buf_t b;
    cx_buf_init(&b);
    cx_assess_report(&b, q, as, sc);
    assert_non_null(strstr(cx_buf_str(&b), "conflict: product, strategy"));
    cx_buf_fini(&b);
    cx_buf_init(&b);
    assert_int_equal(cx_assess_scenario_text(&b, q, as, sc), 0);
    assert_int_equal(cx_scenario_load_string("assessed.yaml", cx_buf_str(&b), b.n, NULL, 0, back, &d), 0);
    cx_scenario_clear_lines(sc);
    cx_scenario_clear_lines(back);
    assert_true(cx_scenario_equal(sc, back));
    cx_buf_fini(&b);
    cx_diags_fini(&d);
    free(q);
    free(as);
    free(sc);
    free(back);
}

/* The scenario assessed from answers for "it" and "sales" (the baseline,
 * every department at 2). Returns sc, which the caller frees. */
static cx_scenario_t *s_assessed_text(const char *ans, cx_assessment_t *as)
{
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(q);
    assert_non_null(sc);
    cx_diags_t d;
    assert_int_equal(s_load(ans, q, &d), 0);
    assert_int_equal(cx_assess_score(q, as, &d), 0);
    assert_int_equal(cx_scenario_load_file(q->scenario, NULL, 0, sc, &d), 0);
    assert_int_equal(cx_assess_apply(q, as, sc, &d), 0);
    /* The written scenario reads back equal. */
    cx_scenario_t *back = malloc(sizeof *back);
    assert_non_null(back);
    cx_buf_t b;
    cx_buf_init(&b);
    assert_int_equal(cx_assess_scenario_text(&b, q, as, sc), 0);
    assert_int_equal(cx_scenario_load_string("a.yaml", cx_buf_str(&b), b.n, NULL, 0, back, &d), 0);
    cx_scenario_clear_lines(sc);
    cx_scenario_clear_lines(back);
    assert_true(cx_scenario_equal(sc, back));
    cx_buf_fini(&b);
    cx_diags_fini(&d);
    free(back);
    free(q);
    return sc;
}

static cx_scenario_t *s_assessed(const char *it_s, const char *it_c, const char *it_t,
                                 cx_assessment_t *as)
{
    char ans[512];
    snprintf(ans, sizeof ans,
             "departments:\n  it: {strategy: %s, control: %s, tactics: %s}\n"
             "  sales: {strategy: [0, 2, 4, 0, 0], control: [0, 1, 4, 1, 0], tactics: [1, 4, 0, "
             "0, 0]}\n",
             it_s, it_c, it_t);
    return s_assessed_text(ans, as);
}

/* Each axis drives its own key: tactics the department's maturity, control
 * the speed of change, strategy the budget. Changing one axis's answers moves
 * that key and nothing else: with the key set back, the two scenarios are
 * equal. */
static void test_axis_drives_its_part(void **state)
{
    (void)state;
    cx_assessment_t *as = malloc(sizeof *as);
    assert_non_null(as);
    const char *l2 = "[0, 4, 0, 0, 0]";
    const char *l4 = "[0, 0, 0, 4, 0]";
    cx_scenario_t *base = s_assessed(l2, l2, l2, as);
    int it = cx_scenario_dept_index(base, "it");
    int sales = cx_scenario_dept_index(base, "sales");
    /* Baseline departments at 2; it at 2 on every axis, sales at strategy 2.67,
     * control 3.00, tactics 1.80: means strategy 2.33, control 2.50, m0 2. */
    s_close(base->dept[it].maturity, 2.0);
    s_close(base->dept[sales].maturity, 1.8);
    double f = (0.6 + 0.9 * 1.5 / 4) / (0.6 + 0.9 / 4); /* V(2.5) / V(2) */
    s_close(base->params.change_speed_low, floor(0.6 * f * 1000 + 0.5) / 1000);
    s_close(base->params.change_speed_high, floor(1.5 * f * 1000 + 0.5) / 1000);
    s_close(base->budget, floor(1500000 * (2.0 + 8.0 / 3) / 2 / 2 + 0.5));

    /* Tactics: only it's maturity. */
    cx_scenario_t *t = s_assessed(l2, l2, l4, as);
    s_close(t->dept[it].maturity, 4.0);
    t->dept[it].maturity = base->dept[it].maturity;
    assert_true(cx_scenario_equal(t, base));
    /* Control: only the speed of change, faster. */
    cx_scenario_t *c = s_assessed(l2, l4, l2, as);
    assert_true(c->params.change_speed_low > base->params.change_speed_low);
    assert_true(c->params.change_speed_high > base->params.change_speed_high);
    c->params.change_speed_low = base->params.change_speed_low;
    c->params.change_speed_high = base->params.change_speed_high;
    assert_true(cx_scenario_equal(c, base));
    /* Strategy: only the budget, in proportion: mean strategy 3.33 against 2. */
    cx_scenario_t *s = s_assessed(l4, l2, l2, as);
    s_close(s->budget, floor(1500000 * (4.0 + 8.0 / 3) / 2 / 2 + 0.5));
    s->budget = base->budget;
    assert_true(cx_scenario_equal(s, base));
    free(base);
    free(t);
    free(c);
    free(s);
    free(as);
}

/* Three equal axes give the maturity of the mean of the axes, as before the
 * per-axis mapping; axes equal to the base scenario's maturities (the
 * baseline at 2) leave the speed of change and the budget as they were. */
static void test_equal_axes_as_before(void **state)
{
    (void)state;
    cx_assessment_t *as = malloc(sizeof *as);
    assert_non_null(as);
    const char *a = "[0, 1, 4, 2, 0]"; /* 22 / 7 = 3.14 */
    char ans[512];
    snprintf(ans, sizeof ans, "departments:\n  it: {strategy: %s, control: %s, tactics: %s}\n", a,
             a, a);
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(q);
    assert_non_null(sc);
    cx_diags_t d;
    assert_int_equal(s_load(ans, q, &d), 0);
    assert_int_equal(cx_assess_score(q, as, &d), 0);
    assert_int_equal(cx_scenario_load_file(q->scenario, NULL, 0, sc, &d), 0);
    assert_int_equal(cx_assess_apply(q, as, sc, &d), 0);
    int it = cx_scenario_dept_index(sc, "it");
    s_close(sc->dept[it].maturity, floor(as->dept[0].score * 10 + 0.5) / 10);
    s_close(sc->dept[it].maturity, 3.1);
    cx_diags_fini(&d);
    free(sc);
    free(q);
    cx_scenario_t *same = s_assessed_text("departments:\n"
                                          "  it: {strategy: [0, 4, 0, 0, 0], control: [0, 4, 0, 0, "
                                          "0], tactics: [0, 4, 0, 0, 0]}\n"
                                          "  sales: {strategy: [1, 2, 1, 0, 0], control: [0, 4, "
                                          "0, 0, 0], tactics: [0, 3, 0, 0, 0]}\n",
                                          as);
    /* sales' strategy: (1 + 4 + 3) / 4 = 2. */
    s_close(same->params.change_speed_low, 0.6);
    s_close(same->params.change_speed_high, 1.5);
    s_close(same->budget, 1500000);
    s_close(same->dept[cx_scenario_dept_index(same, "sales")].maturity, 2.0);
    free(same);
    free(as);
}

static void test_diagnostics(void **state)
{
    (void)state;
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_assessment_t *as = malloc(sizeof *as);
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_diags_t d;
    /* Out of range, wrong length, misspelt axis and key, unknown owner. */
    assert_int_equal(
        s_load("company: {cx_owner: marketting}\n"
               "departments:\n"
               "  it: {strategy: [0, 5, 0, 0, 0], control: [1, 2], stratgy: [1, 1, 1, 1, 1]}\n"
               "  sales: {strategy: [0, 0, 0, 0, 0], control: ~, tactics: ~}\n",
               q, &d),
        -1);
    assert_true(s_has(
        &d, "answers.yaml:5:22: error: departments.it.strategy[1]: expected an agreement from 0"));
    assert_true(
        s_has(&d, "answers.yaml:5:44: error: departments.it.control: expected 5 agreements"));
    assert_true(
        s_has(&d, "departments.it.stratgy: unknown key 'stratgy'; did you mean 'strategy'?"));
    assert_true(s_has(&d, "answers.yaml:3:21: error: company.cx_owner: expected one of none, "
                          "marketing, customer_service, product, cx_team, found 'marketting'; did "
                          "you mean 'marketing'?"));
    assert_true(s_has(&d, "answers.yaml:6:21: error: departments.sales.strategy: no statement"));
    cx_diags_fini(&d);
    /* A department answered on some axes only. */
    assert_int_equal(
        s_load("departments:\n"
               "  it: {strategy: [0, 4, 0, 0, 0], control: ~, tactics: [0, 4, 0, 0, 0]}\n",
               q, &d),
        0);
    assert_int_equal(cx_assess_score(q, as, &d), -1);
    assert_true(s_has(&d, "answers.yaml:4:44: error: departments.it.control: not answered"));
    cx_diags_fini(&d);
    /* A department the scenario lacks. */
    assert_int_equal(
        s_load("departments:\n"
               "  custmer_service: {strategy: [0, 4, 0, 0, 0], control: [0, 4, 0, 0, 0], "
               "tactics: [0, 4, 0, 0, 0]}\n",
               q, &d),
        0);
    assert_int_equal(cx_assess_score(q, as, &d), 0);
    assert_int_equal(cx_scenario_load_file(q->scenario, NULL, 0, sc, &d), 0);
    assert_int_equal(cx_assess_apply(q, as, sc, &d), -1);
    assert_true(s_has(&d, "answers.yaml:4:3: error: departments.custmer_service: no department "
                          "'custmer_service'"));
    assert_true(s_has(&d, "did you mean 'customer_service'?"));
    cx_diags_fini(&d);
    /* Statements and a reference to them at once; a missing statements file. */
    cx_diags_init(&d);
    const char *both = "questionnaire: questionnaire.yaml\naxes: []\nscenario: x.yaml\n";
    assert_int_equal(cx_questionnaire_load_string("b.yaml", S_DIR, both, strlen(both), q, &d), -1);
    assert_true(s_has(&d, "b.yaml:1:16: error: questionnaire: give either the statements"));
    cx_diags_fini(&d);
    cx_diags_init(&d);
    const char *missing = "questionnaire: nowhere.yaml\nscenario: x.yaml\n";
    assert_int_equal(cx_questionnaire_load_string("m.yaml", S_DIR, missing, strlen(missing), q, &d),
                     -1);
    assert_true(s_has(&d, "m.yaml:1:16: error: questionnaire: cannot read"));
    cx_diags_fini(&d);
    free(q);
    free(as);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_level_reachable),
        cmocka_unit_test(test_scores_by_hand),
        cmocka_unit_test(test_example_and_scenario),
        cmocka_unit_test(test_axis_drives_its_part),
        cmocka_unit_test(test_equal_axes_as_before),
        cmocka_unit_test(test_diagnostics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
