/*  test_scenario_sets — `--set key.path=value` overrides: every documented
 *  form, and the errors (unknown key or id with a suggestion, bad syntax,
 *  bad value), reported with file "--set".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_load.h"

#define S_BASELINE CX_SOURCE_DIR "/scenarios/baseline.yaml"

static cx_scenario_t *s_sc;

static int s_setup(void **state)
{
    (void)state;
    s_sc = malloc(sizeof *s_sc);
    return s_sc ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    free(s_sc);
    return 0;
}

/* Loads the baseline with one override, expecting success. */
static cx_scenario_t *s_ok(const char *set)
{
    cx_diags_t d;
    cx_diags_init(&d);
    const char *sets[] = {set};
    int rc = cx_scenario_load_file(S_BASELINE, sets, 1, s_sc, &d);
    if (rc != 0) {
        cx_diags_print(stderr, &d);
    }
    assert_int_equal(rc, 0);
    cx_diags_fini(&d);
    return s_sc;
}

/* Loads text (or the baseline when text is NULL) with overrides, expecting
 * exactly one diagnostic that contains `want`; returns nothing. */
static void s_fail(const char *text, const char *const *sets, int n_sets, const char *want_file,
                   const char *want)
{
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = text ? cx_scenario_load_string("t.yaml", text, strlen(text), sets, n_sets, s_sc, &d)
                  : cx_scenario_load_file(S_BASELINE, sets, n_sets, s_sc, &d);
    char line[1024] = "";
    if (d.n > 0) {
        cx_diag_format(&d.items[0], line, sizeof line);
    }
    if (rc != -1 || d.n != 1 || strstr(line, want) == NULL ||
        strcmp(d.items[0].file, want_file) != 0) {
        print_error("expected one diagnostic from %s containing: %s\nfound:\n", want_file, want);
        cx_diags_print(stderr, &d);
        fail();
    }
    cx_diags_fini(&d);
}

static void test_documented_forms(void **state)
{
    (void)state;
    assert_int_equal(s_ok("ticks=30")->ticks, 30);
    assert_true(s_ok("seed=7")->seed == 7);
    assert_true(s_ok("seed=18446744073709551615")->seed == UINT64_MAX);
    assert_int_equal(s_ok("company.cx_owner=cx_team")->cx_owner, CX_OWNER_CX_TEAM);
    assert_int_equal(s_ok("company.governance=hybrid")->governance, CX_GOV_HYBRID);
    assert_int_equal(s_ok("tick=week")->tick_unit, CX_TICK_WEEK);

    cx_scenario_t *sc = s_ok("departments.it.maturity=4");
    assert_true(sc->dept[cx_scenario_dept_index(sc, "it")].maturity == 4.0);
    assert_true(sc->dept[cx_scenario_dept_index(sc, "sales")].maturity == 2.0);

    sc = s_ok("personas.bargain_hunter.customers=1000");
    assert_int_equal(sc->persona[cx_scenario_persona_index(sc, "bargain_hunter")].customers, 1000);

    assert_true(s_ok("model.survey_rate=0.1")->params.survey_rate == 0.1);

    sc = s_ok("journeys.retail.touchpoints.support.probability=0.2");
    const cx_journey_spec_t *j = &sc->journey[0];
    int support = -1;
    for (int k = 0; k < j->n_tp; k++) {
        if (strcmp(j->tp[k].id, "support") == 0) {
            support = k;
        }
    }
    assert_true(support >= 0);
    assert_true(j->tp[support].probability == 0.2);
}

static void test_index_forms(void **state)
{
    (void)state;
    /* departments[5] is it in the baseline; both index spellings work. */
    assert_true(s_ok("departments[5].maturity=3")->dept[5].maturity == 3.0);
    assert_true(s_ok("departments.5.staff=11")->dept[5].staff == 11.0);
    assert_true(s_ok("journeys.retail.touchpoints[0].gap_days=4")->journey[0].tp[0].gap_days ==
                4.0);
}

static void test_values_are_yaml(void **state)
{
    (void)state;
    /* A flow list replaces a list; an empty list empties it. */
    cx_scenario_t *sc = s_ok("journeys.retail.touchpoints.renewal.handoff=[customer_service, it]");
    const cx_touchpoint_spec_t *t = &sc->journey[0].tp[6];
    assert_string_equal(t->id, "renewal");
    assert_int_equal(t->n_handoff, 2);
    assert_int_equal(t->handoff[1], cx_scenario_dept_index(sc, "it"));

    sc = s_ok("timeline=[{at: 3, event: price, value: 1.1}]");
    assert_int_equal(sc->n_event, 1);
    assert_int_equal(sc->event[0].kind, CX_EV_PRICE);
    assert_int_equal(s_ok("timeline=[]")->n_event, 0);

    /* Quoted strings are strings; an id can be given quoted. */
    assert_int_equal(s_ok("company.cx_owner='product'")->cx_owner, CX_OWNER_PRODUCT);
    /* An empty value is the same as leaving the key out: the default. */
    assert_int_equal(s_ok("ticks=")->ticks, 365);
    /* Digit separators. */
    assert_int_equal(s_ok("personas.loyal_family.customers=12_500")->persona[1].customers, 12500);
}

static void test_order_and_creation(void **state)
{
    (void)state;
    /* Later overrides win. */
    const char *sets[] = {"ticks=10", "ticks=20"};
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_file(S_BASELINE, sets, 2, s_sc, &d), 0);
    assert_int_equal(s_sc->ticks, 20);

    /* Sections missing or empty in the file are created. */
    const char *text = "company:\n"
                       "departments: [{id: it}]\n"
                       "journeys: [{id: j, touchpoints: [{id: a, owner: it}]}]\n"
                       "personas: [{id: p, customers: 10}]\n";
    const char *sets2[] = {"company.maturity=4", "model.survey_rate=0.5", "company.budget=1e6"};
    assert_int_equal(cx_scenario_load_string("t.yaml", text, strlen(text), sets2, 3, s_sc, &d), 0);
    assert_true(s_sc->dept[0].maturity == 4.0);
    assert_true(s_sc->params.survey_rate == 0.5);
    assert_true(s_sc->budget == 1e6);
    assert_int_equal(d.n, 0);
    cx_diags_fini(&d);
}

static void test_unknown_key_suggests(void **state)
{
    (void)state;
    const char *a[] = {"company.cx_ownr=cx_team"};
    s_fail(NULL, a, 1, "--set",
           "--set: error: company.cx_ownr: unknown key 'cx_ownr'; did you mean 'cx_owner'? "
           "(from --set company.cx_ownr=cx_team)");
    const char *b[] = {"departmnts.it.maturity=4"};
    s_fail(NULL, b, 1, "--set", "unknown key 'departmnts'; did you mean 'departments'?");
    const char *c[] = {"model.survey_rat=0.1"};
    s_fail(NULL, c, 1, "--set",
           "model.survey_rat: unknown key 'survey_rat'; did you mean 'survey_rate'?");
    const char *e[] = {"departments.it.maturty=4"};
    s_fail(NULL, e, 1, "--set",
           "departments[5].maturty: unknown key 'maturty'; did you mean 'maturity'?");
}

static void test_unknown_id_suggests(void **state)
{
    (void)state;
    const char *a[] = {"departments.itt.maturity=4"};
    s_fail(NULL, a, 1, "--set", "found 'itt'; did you mean 'it'?");
    const char *b[] = {"personas.bargain_hunters.customers=5"};
    s_fail(NULL, b, 1, "--set", "did you mean 'bargain_hunter'?");
    const char *c[] = {"journeys.retail.touchpoints.suport.probability=0.2"};
    s_fail(NULL, c, 1, "--set", "did you mean 'support'?");
    const char *e[] = {"departments[9].maturity=4"};
    s_fail(NULL, e, 1, "--set", "or an index below 6, found '9'");
}

static void test_bad_overrides(void **state)
{
    (void)state;
    const char *a[] = {"ticks"};
    s_fail(NULL, a, 1, "--set", "expected KEY=VALUE, found 'ticks'");
    const char *b[] = {"=5"};
    s_fail(NULL, b, 1, "--set", "expected KEY=VALUE");
    const char *c[] = {"a..b=1"};
    s_fail(NULL, c, 1, "--set", "has an empty segment");
    const char *e[] = {"ticks.x=3"};
    s_fail(NULL, e, 1, "--set", "expected 'ticks' to be a section");
    const char *f[] = {"name=[unclosed"};
    s_fail(NULL, f, 1, "--set", "invalid YAML");
    const char *g[] = {"company[0].cx_owner=product"};
    s_fail(NULL, g, 1, "--set", "it is a mapping, not a list");
    const char *h[] = {"departments.it.maturity=9"};
    s_fail(NULL, h, 1, "--set",
           "--set: error: departments[5].maturity: expected a number from 1 to 5, found '9' "
           "(from --set departments.it.maturity=9)");
    const char *i[] = {"ticks=many"};
    s_fail(NULL, i, 1, "--set", "ticks: expected an integer from 1 to 1000000, found 'many'");
    const char *k[] = {"seed=*x"};
    s_fail(NULL, k, 1, "--set", "aliases");
    /* An open lower bound excludes the bound itself: no staff, a service
     * rate of 0 are refused; the smallest value above is taken. */
    const char *l[] = {"departments.it.staff=0"};
    s_fail(NULL, l, 1, "--set", "departments[5].staff: expected a number");
    const char *m[] = {"departments.it.service_rate=0"};
    s_fail(NULL, m, 1, "--set", "departments[5].service_rate: expected a number");
    assert_true(s_ok("departments.it.staff=0.5")->dept[5].staff == 0.5);
}

static void test_ticks_and_timeline(void **state)
{
    (void)state;
    /* Shortening a scenario with --set ticks keeps the checks: an event past
     * the new end is an error (cx_scenario_truncate is the way to run only
     * the first ticks). */
    const char *text = "ticks: 100\n"
                       "departments: [{id: it}]\n"
                       "journeys: [{id: j, touchpoints: [{id: a, owner: it}]}]\n"
                       "personas: [{id: p, customers: 10}]\n"
                       "timeline: [{at: 50, event: outage, department: it, value: 0.5}]\n";
    const char *sets[] = {"ticks=30"};
    s_fail(
        text, sets, 1, "t.yaml",
        "t.yaml:5:17: error: timeline[0].at: expected a tick from 0 to 29 (ticks: 30), found '50'");
}

static void test_sets_on_empty_document(void **state)
{
    (void)state;
    cx_diags_t d;
    cx_diags_init(&d);
    const char *sets[] = {"ticks=5", "departments=[{id: it}]",
                          "journeys=[{id: j, touchpoints: [{id: a, owner: it}]}]",
                          "personas=[{id: p, customers: 3}]"};
    assert_int_equal(cx_scenario_load_string("empty.yaml", "", 0, sets, 4, s_sc, &d), 0);
    assert_int_equal(s_sc->ticks, 5);
    assert_int_equal(s_sc->n_dept, 1);
    cx_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_forms),       cmocka_unit_test(test_index_forms),
        cmocka_unit_test(test_values_are_yaml),        cmocka_unit_test(test_order_and_creation),
        cmocka_unit_test(test_unknown_key_suggests),   cmocka_unit_test(test_unknown_id_suggests),
        cmocka_unit_test(test_bad_overrides),          cmocka_unit_test(test_ticks_and_timeline),
        cmocka_unit_test(test_sets_on_empty_document),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
