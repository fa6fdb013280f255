/*  Experiments: value lists and ranges of `cxsim sweep --set`, the grid's
 *  order and point keys, and the seed of every run (docs/EXPERIMENTS.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_exp_grid.h"
#include "cx_exp_util.h"

/* Expands spec and checks it gives exactly the expected values. */
static void s_expect(const char *spec, const char *const *want, int n)
{
    char **v = NULL;
    char err[256] = "";
    int got = cx_exp_values_parse(spec, &v, err, sizeof err);
    if (got != n) {
        fprintf(stderr, "spec '%s': %d values (expected %d): %s\n", spec, got, n, err);
    }
    assert_int_equal(got, n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(v[i], want[i]);
    }
    cx_exp_values_free(v, got);
}

static void s_expect_bad(const char *spec)
{
    char **v = NULL;
    char err[256] = "";
    int got = cx_exp_values_parse(spec, &v, err, sizeof err);
    if (got != -1) {
        fprintf(stderr, "spec '%s' was accepted (%d values)\n", spec, got);
    }
    assert_int_equal(got, -1);
    assert_null(v);
    assert_true(strlen(err) > 0);
}

static void test_integer_range(void **state)
{
    (void)state;
    static const char *const w[] = {"1", "2", "3", "4", "5"};
    s_expect("1..5", w, 5);
    static const char *const one[] = {"3"};
    s_expect("3..3", one, 1);
    static const char *const neg[] = {"-2", "-1", "0"};
    s_expect("-2..0", neg, 3);
    static const char *const step2[] = {"0", "2", "4"};
    s_expect("0..5:2", step2, 3); /* stops at the last value <= B */
}

static void test_fractional_range(void **state)
{
    (void)state;
    static const char *const w[] = {"1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"};
    s_expect("1..5:0.5", w, 9);
    /* 0.1 steps accumulate no visible floating-point noise, and B is kept
     * although 0.1 * 3 is not exactly 0.3. */
    static const char *const tenth[] = {"0", "0.1", "0.2", "0.3"};
    s_expect("0..0.3:0.1", tenth, 4);
    static const char *const sym[] = {"-1", "-0.5", "0", "0.5", "1"};
    s_expect("-1..1:0.5", sym, 5);
    static const char *const sci[] = {"0.001", "0.002", "0.003"};
    s_expect("1e-3..3e-3:1e-3", sci, 3);
}

static void test_lists(void **state)
{
    (void)state;
    static const char *const w[] = {"2", "3", "5"};
    s_expect("2,3,5", w, 3);
    static const char *const mixed[] = {"1", "3", "4", "5", "10"};
    s_expect("1,3..5,10", mixed, 5);
    static const char *const words[] = {"marketing", "cx_team"};
    s_expect("marketing, cx_team", words, 2); /* spaces around items trimmed */
    static const char *const single[] = {"cx_team"};
    s_expect("cx_team", single, 1);
    /* Commas inside brackets or quotes belong to the value. */
    static const char *const flow[] = {"[1, 2]", "[]"};
    s_expect("[1, 2],[]", flow, 2);
    static const char *const quoted[] = {"\"a,b\"", "c"};
    s_expect("\"a,b\",c", quoted, 2);
}

static void test_bad_input(void **state)
{
    (void)state;
    s_expect_bad("");
    s_expect_bad("1,,2");
    s_expect_bad("1,");
    s_expect_bad(",1");
    s_expect_bad("5..1");    /* B < A */
    s_expect_bad("1..5:0");  /* step 0 */
    s_expect_bad("1..5:-1"); /* negative step */
    s_expect_bad("1..");     /* no B */
    s_expect_bad("..5");     /* no A */
    s_expect_bad("a..b");    /* not numbers */
    s_expect_bad("1..5:x");
    s_expect_bad("1..5:1:2");
    s_expect_bad("0x1..0x5"); /* only plain decimals */
    s_expect_bad("1..inf");
    s_expect_bad("nan..1");
    s_expect_bad("0..1000000"); /* too many values */
    s_expect_bad("1\t2");       /* tab in a value */
}

static void test_grid_add_errors(void **state)
{
    (void)state;
    cx_exp_grid_t g;
    cx_exp_grid_init(&g);
    char err[256];
    assert_int_equal(cx_exp_grid_add(&g, "novalue", err, sizeof err), -1);
    assert_int_equal(cx_exp_grid_add(&g, "=1,2", err, sizeof err), -1);
    assert_int_equal(cx_exp_grid_add(&g, "a b=1", err, sizeof err), -1);
    assert_int_equal(cx_exp_grid_add(&g, "k=1..0", err, sizeof err), -1);
    assert_int_equal(cx_exp_grid_add(&g, "k=1,2", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_add(&g, "k=3", err, sizeof err), -1); /* key twice */
    assert_non_null(strstr(err, "twice"));
    /* 1000 x 1000 x 10 points is over the limit. */
    assert_int_equal(cx_exp_grid_add(&g, "a=1..1000", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_add(&g, "b=1..1000", err, sizeof err), -1);
    cx_exp_grid_fini(&g);
}

static void test_grid_order(void **state)
{
    (void)state;
    cx_exp_grid_t g;
    cx_exp_grid_init(&g);
    char err[256];
    assert_int_equal(cx_exp_grid_points(&g), 1);
    assert_int_equal(cx_exp_grid_add(&g, "departments.it.maturity=1..3", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_add(&g, "company.cx_owner=marketing,cx_team", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_add(&g, "model.survey_rate=0.1", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_points(&g), 6);
    /* First axis slowest. */
    static const char *const it[] = {"1", "1", "2", "2", "3", "3"};
    static const char *const own[] = {"marketing", "cx_team",   "marketing",
                                      "cx_team",   "marketing", "cx_team"};
    for (int i = 0; i < 6; i++) {
        cx_exp_point_t p;
        assert_int_equal(cx_exp_point_sets(&g, i, &p), 0);
        assert_int_equal(p.n, 3);
        char want[128];
        snprintf(want, sizeof want, "departments.it.maturity=%s", it[i]);
        assert_string_equal(p.set[0], want);
        snprintf(want, sizeof want, "company.cx_owner=%s", own[i]);
        assert_string_equal(p.set[1], want);
        assert_string_equal(p.set[2], "model.survey_rate=0.1");
        char key[256];
        snprintf(key, sizeof key, "%s\n%s\n%s", p.set[0], p.set[1], p.set[2]);
        assert_string_equal(p.key, key);
        /* Numbers unquoted, words quoted. */
        char json[256];
        snprintf(json, sizeof json,
                 "{\"departments.it.maturity\": %s, \"company.cx_owner\": \"%s\", "
                 "\"model.survey_rate\": 0.1}",
                 it[i], own[i]);
        assert_string_equal(p.params_json, json);
        cx_exp_point_fini(&p);
    }
    cx_exp_grid_fini(&g);
}

static void test_json_numbers(void **state)
{
    (void)state;
    assert_true(cx_exp_is_json_number("4"));
    assert_true(cx_exp_is_json_number("-0.5"));
    assert_true(cx_exp_is_json_number("1e3"));
    assert_true(cx_exp_is_json_number("0"));
    assert_false(cx_exp_is_json_number("007"));
    assert_false(cx_exp_is_json_number("1."));
    assert_false(cx_exp_is_json_number(".5"));
    assert_false(cx_exp_is_json_number("nan"));
    assert_false(cx_exp_is_json_number("cx_team"));
    assert_false(cx_exp_is_json_number(""));
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_json_text(&b, "a\"b\\c\nd");
    assert_string_equal(cx_exp_buf_str(&b), "\"a\\\"b\\\\c\\nd\"");
    cx_exp_buf_fini(&b);
}

static void test_splitmix_fnv(void **state)
{
    (void)state;
    /* SplitMix64 from state 0: its first two outputs (Steele, Lea, Flood
     * 2014; the reference implementation's published values). */
    assert_true(cx_exp_splitmix64(0) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(cx_exp_splitmix64(UINT64_C(0x9e3779b97f4a7c15)) == UINT64_C(0x6e789e6aa1b965f4));
    /* FNV-1a 64 test vectors. */
    assert_true(cx_exp_fnv1a64("") == UINT64_C(0xcbf29ce484222325));
    assert_true(cx_exp_fnv1a64("a") == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(cx_exp_fnv1a64("foobar") == UINT64_C(0x85944171f73967e8));
}

static void test_seeds(void **state)
{
    (void)state;
    const char *key = "departments.it.maturity=3";
    /* The documented formula (docs/EXPERIMENTS.md), computed outside the
     * code: Python's big integers, splitmix64 and FNV-1a 64 written from
     * their published definitions, masked to 53 bits. */
    assert_true(cx_exp_seed(42, key, 2) == UINT64_C(2556726541588262));
    assert_true(cx_exp_seed(42, key, 0) == UINT64_C(678420929307698));
    assert_true(cx_exp_seed(42, NULL, 2) == UINT64_C(5512094565838406));
    assert_true(cx_exp_seed(7, NULL, 5) == UINT64_C(8823144284423574));

    /* Deterministic, within 53 bits, distinct across replicates, points and
     * base seeds; common random numbers ignore the point. */
    for (int r = 0; r < 200; r++) {
        uint64_t s = cx_exp_seed(42, key, r);
        assert_true(s == cx_exp_seed(42, key, r));
        assert_true(s <= CX_EXP_SEED_MASK);
        assert_true(s != cx_exp_seed(42, key, r + 1));
        assert_true(s != cx_exp_seed(42, "departments.it.maturity=4", r));
        assert_true(s != cx_exp_seed(43, key, r));
        assert_true(cx_exp_seed(42, NULL, r) != s);
    }
    /* The seed depends on the point's key, not its position: the same key
     * gives the same seed in any grid. */
    cx_exp_grid_t a, b;
    cx_exp_grid_init(&a);
    cx_exp_grid_init(&b);
    char err[256];
    assert_int_equal(cx_exp_grid_add(&a, "x=1,2", err, sizeof err), 0);
    assert_int_equal(cx_exp_grid_add(&b, "x=0,1,2,3", err, sizeof err), 0);
    cx_exp_point_t pa, pb;
    assert_int_equal(cx_exp_point_sets(&a, 1, &pa), 0);
    assert_int_equal(cx_exp_point_sets(&b, 2, &pb), 0);
    assert_string_equal(pa.key, pb.key);
    assert_true(cx_exp_seed(9, pa.key, 0) == cx_exp_seed(9, pb.key, 0));
    cx_exp_point_fini(&pa);
    cx_exp_point_fini(&pb);
    cx_exp_grid_fini(&a);
    cx_exp_grid_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_range),   cmocka_unit_test(test_fractional_range),
        cmocka_unit_test(test_lists),           cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_grid_add_errors), cmocka_unit_test(test_grid_order),
        cmocka_unit_test(test_json_numbers),    cmocka_unit_test(test_splitmix_fnv),
        cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
