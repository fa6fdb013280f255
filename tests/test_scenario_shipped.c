/*  test_scenario_shipped — every scenario in scenarios/ validates, opens
 *  with the question it answers, stays small enough for CI, and survives
 *  load -> emit -> load unchanged; so do the documented variants.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_load.h"

#define S_DIR CX_SOURCE_DIR "/scenarios"
#define S_MAX_CUSTOMERS 50000 /* a shipped scenario runs fast (benchmarks aside) */

/* The scenarios the library promises. */
static const char *const s_required[] = {"baseline",    "maturity-ladder", "cloud-migration-3-to-4",
                                         "who-owns-cx", "governance-fit",  "silo-busting",
                                         "saas-b2b",    "bank-regulated",  "backlash"};

static char *s_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    if (len) {
        *len = (size_t)size;
    }
    return buf;
}

/* Loads path with sets; fails the test, printing the diagnostics, on error. */
static void s_load_ok(const char *path, const char *const *sets, int n_sets, cx_scenario_t *sc)
{
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_file(path, sets, n_sets, sc, &d);
    if (rc != 0 || d.n != 0) {
        cx_diags_print(stderr, &d);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(d.n, 0);
    cx_diags_fini(&d);
}

/* load -> emit -> load gives an equal scenario, and emitting that gives
 * the same text again. */
static void s_round_trip(const cx_scenario_t *sc)
{
    char *t1 = NULL;
    char *t2 = NULL;
    size_t l1 = 0;
    size_t l2 = 0;
    assert_int_equal(cx_scenario_emit(sc, &t1, &l1), 0);
    assert_int_equal(strlen(t1), l1);
    cx_scenario_t *back = malloc(sizeof *back);
    assert_non_null(back);
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_string("resolved", t1, l1, NULL, 0, back, &d);
    if (rc != 0) {
        cx_diags_print(stderr, &d);
    }
    assert_int_equal(rc, 0);
    assert_true(cx_scenario_equal(sc, back));

    /* The same, spelled out: byte-identical once the line fields are zeroed. */
    cx_scenario_t *a = malloc(sizeof *a);
    assert_non_null(a);
    memcpy(a, sc, sizeof *a);
    cx_scenario_clear_lines(a);
    cx_scenario_clear_lines(back);
    assert_memory_equal(a, back, sizeof *a);

    assert_int_equal(cx_scenario_emit(back, &t2, &l2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(t1, t2, l1);
    cx_diags_fini(&d);
    free(a);
    free(back);
    free(t1);
    free(t2);
}

static int s_list(char names[][128], int max)
{
    DIR *dir = opendir(S_DIR);
    assert_non_null(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0 && n < max && len < 128) {
            memcpy(names[n++], de->d_name, len + 1);
        }
    }
    closedir(dir);
    return n;
}

static void test_library_complete(void **state)
{
    (void)state;
    char names[64][128];
    int n = s_list(names, 64);
    for (size_t i = 0; i < sizeof s_required / sizeof s_required[0]; i++) {
        bool found = false;
        char want[128];
        snprintf(want, sizeof want, "%s.yaml", s_required[i]);
        for (int k = 0; k < n; k++) {
            found = found || strcmp(names[k], want) == 0;
        }
        if (!found) {
            fail_msg("scenarios/%s is missing", want);
        }
    }
}

static void test_every_scenario(void **state)
{
    (void)state;
    char names[64][128];
    int n = s_list(names, 64);
    assert_true(n >= 9);
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    for (int i = 0; i < n; i++) {
        char path[1024];
        assert_true(snprintf(path, sizeof path, "%s/%s", S_DIR, names[i]) < (int)sizeof path);
        print_message("scenario %s\n", names[i]);
        s_load_ok(path, NULL, 0, sc);

        /* name matches the file; the file opens with "# NAME — question?" */
        char stem[128];
        memcpy(stem, names[i], sizeof stem);
        stem[strlen(stem) - 5] = '\0';
        assert_string_equal(sc->name, stem);
        char *text = s_read(path, NULL);
        char head[160];
        snprintf(head, sizeof head, "# %s — ", stem);
        assert_memory_equal(text, head, strlen(head));
        char *end_of_comment = strstr(text, "\nname:");
        assert_non_null(end_of_comment);
        char *q = memchr(text, '?', (size_t)(end_of_comment - text));
        assert_non_null(q);
        free(text);
        assert_true(sc->description[0] != '\0');

        int64_t customers = 0;
        for (int p = 0; p < sc->n_persona; p++) {
            customers += sc->persona[p].customers;
        }
        /* Benchmarks (bench-*) are sized for what they measure. */
        if (strncmp(stem, "bench-", 6) != 0) {
            assert_true(customers > 0 && customers <= S_MAX_CUSTOMERS);
        }
        s_round_trip(sc);
    }
    free(sc);
}

static void test_maturity_ladder_variants(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_load_ok(S_DIR "/maturity-ladder.yaml", NULL, 0, sc);
    for (int d = 0; d < sc->n_dept; d++) {
        assert_true(sc->dept[d].maturity == 1.0);
    }
    static const char *const rungs[] = {"company.maturity=1", "company.maturity=2",
                                        "company.maturity=3", "company.maturity=4",
                                        "company.maturity=5"};
    for (int r = 0; r < 5; r++) {
        s_load_ok(S_DIR "/maturity-ladder.yaml", &rungs[r], 1, sc);
        for (int d = 0; d < sc->n_dept; d++) {
            assert_true(sc->dept[d].maturity == (double)(r + 1));
        }
        s_round_trip(sc);
    }
    free(sc);
}

static void test_who_owns_cx_variants(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    for (int o = 0; o < CX_OWNER_COUNT; o++) {
        char set[64];
        snprintf(set, sizeof set, "company.cx_owner=%s", cx_owner_name((cx_owner_t)o));
        const char *sets[] = {set};
        s_load_ok(S_DIR "/who-owns-cx.yaml", sets, 1, sc);
        assert_int_equal(sc->cx_owner, o);
        assert_true(cx_scenario_dept_of_kind(sc, CX_DEPT_CX_TEAM) >= 0);
        s_round_trip(sc);
    }
    free(sc);
}

static void test_governance_fit_grid(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    static const char *const levels[] = {"1.5", "3", "4.5"};
    for (int g = 0; g < CX_GOV_COUNT; g++) {
        for (int m = 0; m < 3; m++) {
            char s1[64];
            char s2[64];
            snprintf(s1, sizeof s1, "company.governance=%s",
                     cx_governance_name((cx_governance_t)g));
            snprintf(s2, sizeof s2, "company.maturity=%s", levels[m]);
            const char *sets[] = {s1, s2};
            s_load_ok(S_DIR "/governance-fit.yaml", sets, 2, sc);
            assert_int_equal(sc->governance, g);
            for (int d = 0; d < sc->n_dept; d++) {
                assert_true(sc->dept[d].maturity == strtod(levels[m], NULL));
            }
        }
    }
    free(sc);
}

static void test_cloud_migration_timeline(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_load_ok(S_DIR "/cloud-migration-3-to-4.yaml", NULL, 0, sc);
    int it = cx_scenario_dept_index(sc, "it");
    int mk = cx_scenario_dept_index(sc, "marketing");
    assert_true(it >= 0 && mk >= 0);
    assert_true(sc->dept[it].maturity == 3.0 && sc->dept[mk].maturity == 3.0);
    int moves = 0;
    for (int e = 0; e < sc->n_event; e++) {
        const cx_event_spec_t *ev = &sc->event[e];
        if (ev->kind == CX_EV_MATURITY) {
            assert_true(ev->dept == it || ev->dept == mk);
            assert_true(ev->value == 4.0);
            /* 18 months of weekly ticks */
            assert_true(ev->duration * cx_tick_days(sc->tick_unit) >= 18 * 30);
            assert_true(ev->cost > 0);
            moves++;
        }
        if (e > 0) {
            assert_true(sc->event[e - 1].tick <= ev->tick);
        }
    }
    assert_int_equal(moves, 2);

    /* Run only the first ticks: the later events are dropped, not refused. */
    int events = sc->n_event;
    assert_int_equal(cx_scenario_set_ticks(sc, 0), -1);
    assert_int_equal(cx_scenario_set_ticks(sc, CX_MAX_TICKS + 1), -1);
    assert_int_equal(cx_scenario_set_ticks(sc, 47), 1); /* drops the outage at week 47 */
    assert_int_equal(sc->n_event, events - 1);
    s_round_trip(sc);
    assert_int_equal(cx_scenario_set_ticks(sc, 5), events - 1);
    assert_int_equal(sc->ticks, 5);
    assert_int_equal(sc->n_event, 0);
    assert_int_equal(cx_scenario_set_ticks(sc, 500), 0); /* longer: nothing to drop */
    assert_int_equal(sc->ticks, 500);
    s_round_trip(sc);
    free(sc);
}

static void test_backlash_timeline(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_load_ok(S_DIR "/backlash.yaml", NULL, 0, sc);
    bool price = false;
    bool policy = false;
    for (int e = 0; e < sc->n_event; e++) {
        price = price || (sc->event[e].kind == CX_EV_PRICE && sc->event[e].value > 1.0);
        policy = policy || (sc->event[e].kind == CX_EV_POLICY && sc->event[e].value > 0.0);
    }
    assert_true(price && policy);
    /* The documented "each change alone" variants. */
    const char *no_price[] = {"timeline.0.value=1.0"};
    const char *no_policy[] = {"timeline.1.value=0"};
    s_load_ok(S_DIR "/backlash.yaml", no_price, 1, sc);
    s_load_ok(S_DIR "/backlash.yaml", no_policy, 1, sc);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_complete),
        cmocka_unit_test(test_every_scenario),
        cmocka_unit_test(test_maturity_ladder_variants),
        cmocka_unit_test(test_who_owns_cx_variants),
        cmocka_unit_test(test_governance_fit_grid),
        cmocka_unit_test(test_cloud_migration_timeline),
        cmocka_unit_test(test_backlash_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
