/*  test_scenario_garbage — the loader never crashes or hangs: random bytes,
 *  mutated scenarios, deep nesting, alias bombs, huge inputs, NUL bytes,
 *  floods of errors. Each returns quickly with diagnostics; every input that
 *  does load survives the emit -> load round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cx_load.h"

#define S_BASELINE CX_SOURCE_DIR "/scenarios/baseline.yaml"

static cx_scenario_t *s_sc;
static cx_scenario_t *s_back;

static int s_setup(void **state)
{
    (void)state;
    s_sc = malloc(sizeof *s_sc);
    s_back = malloc(sizeof *s_back);
    return s_sc && s_back ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    free(s_sc);
    free(s_back);
    return 0;
}

/* CPU time of this process: the bounds below catch work that blows up
 * (an alias bomb, a huge input), which CPU time measures whatever else the
 * machine runs; wall-clock time on a loaded two-core machine does not. */
static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t s_rng = 0x9e3779b97f4a7c15ull;

static uint64_t s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

/* Loads text; checks the result is coherent (an error comes with a
 * diagnostic; a success round-trips). Returns the load's result and, when
 * want is given, checks the first diagnostic contains it. */
static int s_try(const char *text, size_t len, const char *want)
{
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_string("g.yaml", text, len, NULL, 0, s_sc, &d);
    assert_true(d.n <= CX_DIAGS_MAX);
    if (rc != 0) {
        assert_true(d.n > 0);
    } else {
        assert_int_equal(d.n, 0);
        char *out = NULL;
        size_t olen = 0;
        assert_int_equal(cx_scenario_emit(s_sc, &out, &olen), 0);
        cx_diags_t d2;
        cx_diags_init(&d2);
        assert_int_equal(cx_scenario_load_string("r.yaml", out, olen, NULL, 0, s_back, &d2), 0);
        assert_true(cx_scenario_equal(s_sc, s_back));
        cx_diags_fini(&d2);
        free(out);
    }
    if (want) {
        bool found = false;
        for (int i = 0; i < d.n && !found; i++) {
            char line[1024];
            cx_diag_format(&d.items[i], line, sizeof line);
            found = strstr(line, want) != NULL;
        }
        if (!found) {
            print_error("expected a diagnostic containing '%s', found:\n", want);
            cx_diags_print(stderr, &d);
            fail();
        }
    }
    cx_diags_fini(&d);
    return rc;
}

static char *s_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

static void test_random_bytes(void **state)
{
    (void)state;
    char buf[2048];
    double t0 = s_now();
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(s_next() % sizeof buf);
        for (size_t k = 0; k < len; k++) {
            /* Mostly YAML punctuation and letters, sometimes any byte. */
            static const char alphabet[] = "{}[]:,-#&*!|>'\"%@` \n\tabcdeit0123456789._";
            uint64_t r = s_next();
            buf[k] = (r & 7) == 0 ? (char)(r >> 8) : alphabet[(r >> 8) % (sizeof alphabet - 1)];
        }
        s_try(buf, len, NULL);
    }
    assert_true(s_now() - t0 < 20.0);
}

static void test_mutated_scenarios(void **state)
{
    (void)state;
    size_t len;
    char *base = s_read(S_BASELINE, &len);
    char *buf = malloc(len + 64);
    assert_non_null(buf);
    int loaded = 0;
    double t0 = s_now();
    for (int i = 0; i < 1500; i++) {
        memcpy(buf, base, len);
        size_t n = len;
        int edits = 1 + (int)(s_next() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(s_next() % n);
            switch (s_next() % 4) {
            case 0: /* change a digit or letter */
                buf[at] = "0123456789.-_ax:"[s_next() % 16];
                break;
            case 1: /* delete a byte */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 2: /* duplicate a byte */
                memmove(buf + at + 1, buf + at, n - at);
                n++;
                break;
            default: /* any byte */
                buf[at] = (char)s_next();
                break;
            }
        }
        loaded += s_try(buf, n, NULL) == 0;
    }
    /* Some mutations (a digit changed in range) still load; round trips
     * were checked for those. */
    assert_true(loaded > 0);
    assert_true(s_now() - t0 < 20.0);
    free(buf);
    free(base);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *buf = malloc(2 * n + 16);
    assert_non_null(buf);
    memset(buf, '[', n);
    double t0 = s_now();
    s_try(buf, n, "levels of nesting");
    size_t o = 0;
    while (o + 4 <= n) {
        memcpy(buf + o, "{a: ", 4);
        o += 4;
    }
    s_try(buf, o, "levels of nesting");
    /* Block nesting, by indentation. */
    o = 0;
    for (int level = 0; level < 200 && o + 400 < 2 * n; level++) {
        memset(buf + o, ' ', (size_t)level);
        o += (size_t)level;
        o += (size_t)sprintf(buf + o, "k%d:\n", level);
    }
    s_try(buf, o, "levels of nesting");
    assert_true(s_now() - t0 < 1.0);
    free(buf);
}

static void test_alias_bomb(void **state)
{
    (void)state;
    const char *bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    double t0 = s_now();
    s_try(bomb, strlen(bomb), "g.yaml:2:8: error: aliases ('*a') are not supported");
    const char *merge = "base: &b {id: it}\ndepartments: [{<<: *b, maturity: 2}]\n";
    s_try(merge, strlen(merge), "aliases");
    assert_true(s_now() - t0 < 0.5);
}

static void test_huge_inputs(void **state)
{
    (void)state;
    size_t n = CX_SCENARIO_MAX_BYTES + 1;
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    memset(buf, 'x', n);
    double t0 = s_now();
    s_try(buf, n, "expected a scenario of at most 4194304 bytes");

    /* A file that size, through load_file. */
    char path[] = "/tmp/cx_huge_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_file(path, NULL, 0, s_sc, &d), -1);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.items[0].message, "at most 4194304 bytes"));
    cx_diags_fini(&d);
    unlink(path);

    /* Just under the limit: a list of a million items hits the node limit. */
    size_t o = 0;
    while (o + 4 <= CX_SCENARIO_MAX_BYTES) {
        memcpy(buf + o, "- x\n", 4);
        o += 4;
    }
    s_try(buf, o, "YAML nodes");

    /* 90 000 unknown keys in one mapping: the diagnostics are capped, the
     * time stays short. */
    o = 0;
    for (int i = 0; i < 90000; i++) {
        o += (size_t)sprintf(buf + o, "k%d: 1\n", i);
    }
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_string("g.yaml", buf, o, NULL, 0, s_sc, &d), -1);
    assert_int_equal(d.n, CX_DIAGS_MAX);
    assert_non_null(strstr(d.items[d.n - 1].message, "too many errors"));
    cx_diags_fini(&d);

    /* A 1000-byte key (YAML's limit for a plain key is 1024) and a 1 MiB
     * value: messages are cut, never overflow. */
    memset(buf, 'k', 1000);
    memcpy(buf + 1000, ": 1\nname: ", 10);
    o = 1000 + 10;
    memset(buf + o, 'v', 1 << 20);
    o += 1 << 20;
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_string("g.yaml", buf, o, NULL, 0, s_sc, &d), -1);
    assert_int_equal(d.n, 5); /* the key, the name, three missing sections */
    for (int i = 0; i < d.n; i++) {
        assert_true(strlen(d.items[i].message) < sizeof d.items[i].message);
    }
    assert_non_null(strstr(d.items[0].message, "unknown key 'kkkk"));
    assert_non_null(strstr(d.items[4].message, "vvv..."));
    cx_diags_fini(&d);
    assert_true(s_now() - t0 < 5.0);
    free(buf);
}

static void test_nul_and_encodings(void **state)
{
    (void)state;
    s_try("name: a\0b\n", 10, "control characters are not allowed");
    s_try("name: \"a\\0b\"\n", 13, "name: expected a short name");
    s_try("description: \"a\\0b\"\n", 20, "description: expected a text");
    s_try("departments: [{id: \"i\\0t\"}]\n", 28, "departments[0].id: expected a department id");
    s_try("\xff\xfe", 2, NULL);                 /* a UTF-16 byte order mark, then nothing */
    s_try("\xef\xbb\xbf", 3, "empty document"); /* a UTF-8 byte order mark, then nothing */
    s_try("", 0, "empty document");
    s_try(NULL, 0, "empty document");
    s_try("~", 1, "empty document");
    s_try("42", 2, "found '42'");
    s_try("--- |\n  text\n", 13, "found 'text\\x0a'");
}

static void test_strings_round_trip(void **state)
{
    (void)state;
    /* Every kind of character a description may hold comes back intact. */
    const char *text =
        "name: x.y-2\n"
        "description: \"quote \\\" backslash \\\\ tab \\t nl \\n ctl \\x01 del \\x7f "
        "c1 \\x85 \\x9f nbsp \\xa0 e \\xe9 ls \\u2028 ps \\u2029 bom \\ufeff "
        "astral \\U0001F600 end  \"\n"
        "departments: [{id: it}]\n"
        "journeys: [{id: j, touchpoints: [{id: a, owner: it}]}]\n"
        "personas: [{id: p, customers: 10}]\n";
    assert_int_equal(s_try(text, strlen(text), NULL), 0);
    assert_non_null(strstr(s_sc->description, "astral \xf0\x9f\x98\x80 end  "));
    /* Names and ids that other YAML readers would take for something else. */
    const char *t2 = "name: 2024\n"
                     "departments: [{id: no}, {id: 'null'}, {id: 'y'}]\n"
                     "journeys: [{id: j, touchpoints: [{id: a, owner: no, handoff: ['null']}]}]\n"
                     "personas: [{id: p, customers: 10}]\n";
    assert_int_equal(s_try(t2, strlen(t2), NULL), 0);
    assert_string_equal(s_sc->name, "2024");
    assert_string_equal(s_sc->dept[1].id, "null");
}

static void test_numbers_round_trip(void **state)
{
    (void)state;
    /* Awkward doubles come back bit for bit. */
    const char *text =
        "departments: [{id: it, maturity: 1.0000000000000002, staff: 3e-5,"
        " cost_per_staff: 123456789012.5, service_rate: 0.1, engagement: 99.99999999999999}]\n"
        "journeys: [{id: j, touchpoints: [{id: a, owner: it, gap_days: 1e-300,"
        " probability: 0.30000000000000004}]}]\n"
        "personas: [{id: p, customers: 1_000, weights: {integrity: 1e-9, empathy: 3},"
        " spend: 1e9}]\n"
        "seed: 18446744073709551615\n";
    assert_int_equal(s_try(text, strlen(text), NULL), 0);
    assert_true(s_sc->journey[0].tp[0].gap_days == 1e-300);
    assert_true(s_sc->seed == UINT64_MAX);
    /* Not numbers. */
    s_try("ticks: .inf\n", 12, "ticks: expected an integer");
    s_try("ticks: 0x10\n", 12, "ticks: expected an integer");
    s_try("ticks: 1_\n", 10, "ticks: expected an integer");
    s_try("seed: -1\n", 9, "seed: expected an integer from 0");
    s_try("seed: 18446744073709551616\n", 27, "seed: expected an integer from 0");
    s_try("company: {budget: nan}\n", 23, "company.budget: expected a number");
    s_try("company: {budget: 1e400}\n", 25, "company.budget: expected a number");
}

static void test_file_errors(void **state)
{
    (void)state;
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_file("/nonexistent/x.yaml", NULL, 0, s_sc, &d), -1);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.items[0].message, "cannot open"));
    assert_int_equal(cx_scenario_load_file("/tmp", NULL, 0, s_sc, &d), -1);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.items[1].message, "cannot read"));
    cx_diags_fini(&d);
}

static void test_suggest(void **state)
{
    (void)state;
    const char *keys[] = {"maturity", "staff", "cost_per_staff", "customer_service", "it"};
    assert_string_equal(cx_suggest("maturty", keys, 5), "maturity");
    assert_string_equal(cx_suggest("MATURITY", keys, 5), "maturity");
    assert_string_equal(cx_suggest("stafff", keys, 5), "staff");
    assert_string_equal(cx_suggest("service", keys, 5), "customer_service");
    assert_string_equal(cx_suggest("ti", keys, 5), "it");
    assert_null(cx_suggest("budget", keys, 5));
    assert_null(cx_suggest("", keys, 5));
    assert_null(cx_suggest("x", keys, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bytes),       cmocka_unit_test(test_mutated_scenarios),
        cmocka_unit_test(test_deep_nesting),       cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_huge_inputs),        cmocka_unit_test(test_nul_and_encodings),
        cmocka_unit_test(test_strings_round_trip), cmocka_unit_test(test_numbers_round_trip),
        cmocka_unit_test(test_file_errors),        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
