/*  test_scenario_validate — `cxsim validate`, run in-process with its
 *  stdout and stderr captured: the ok line, the diagnostics, the exit
 *  statuses, --set, --resolved and --help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cx_cmd_validate.h"
#include "cx_load.h"

#define S_SCEN CX_SOURCE_DIR "/scenarios"
#define S_BROKEN CX_SOURCE_DIR "/tests/scenarios_broken"
#define S_OUT (1 << 20)

static char s_out[S_OUT];
static char s_err[S_OUT];

static void s_slurp(FILE *fp, char *buf)
{
    rewind(fp);
    size_t n = fread(buf, 1, S_OUT - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

/* Runs cx_cmd_validate on a NULL-terminated argument list; fills s_out and
 * s_err; returns its exit status. */
static int s_run(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;

    fflush(stdout);
    fflush(stderr);
    FILE *fo = tmpfile();
    FILE *fe = tmpfile();
    assert_non_null(fo);
    assert_non_null(fe);
    int so = dup(1);
    int se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    int rc = cx_cmd_validate(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    s_slurp(fo, s_out);
    s_slurp(fe, s_err);
    return rc;
}

static void test_ok(void **state)
{
    (void)state;
    assert_int_equal(s_run("validate", S_SCEN "/baseline.yaml", NULL), 0);
    assert_string_equal(s_out, S_SCEN "/baseline.yaml: ok (6 departments, 2 personas, 1 journey, "
                                      "0 events, 365 ticks)\n");
    assert_string_equal(s_err, "");
}

static void test_many_files_and_sets(void **state)
{
    (void)state;
    assert_int_equal(s_run("validate", S_SCEN "/baseline.yaml", S_SCEN "/saas-b2b.yaml", "--set",
                           "ticks=30", "--set=seed=9", NULL),
                     0);
    assert_non_null(strstr(s_out, "baseline.yaml: ok (6 departments, 2 personas, 1 journey, 0 "
                                  "events, 30 ticks)\n"));
    assert_non_null(strstr(s_out, "saas-b2b.yaml: ok (6 departments, 3 personas, 2 journeys, 2 "
                                  "events, 30 ticks)\n"));
}

static void test_invalid(void **state)
{
    (void)state;
    assert_int_equal(s_run("validate", S_BROKEN "/maturity-range.yaml", NULL), 2);
    assert_string_equal(s_out, "");
    assert_non_null(strstr(s_err, "maturity-range.yaml:7:38: error: departments[1].maturity: "
                                  "expected a number from 1 to 5, found '7'\n"));
    assert_non_null(strstr(s_err, "maturity-range.yaml: invalid (1 error)\n"));

    /* One bad file among good ones: the good ones still say ok. */
    assert_int_equal(
        s_run("validate", S_SCEN "/baseline.yaml", S_BROKEN "/owner-unknown.yaml", NULL), 2);
    assert_non_null(strstr(s_out, "baseline.yaml: ok"));
    assert_non_null(strstr(s_err, "did you mean 'customer_service'?"));
}

static void test_bad_set(void **state)
{
    (void)state;
    assert_int_equal(
        s_run("validate", S_SCEN "/baseline.yaml", "--set", "company.cx_ownr=cx_team", NULL), 2);
    assert_non_null(strstr(s_err, "--set: error: company.cx_ownr: unknown key 'cx_ownr'; did you "
                                  "mean 'cx_owner'? (from --set company.cx_ownr=cx_team)\n"));
}

static void test_resolved(void **state)
{
    (void)state;
    assert_int_equal(s_run("validate", S_SCEN "/backlash.yaml", "--resolved", NULL), 0);
    assert_non_null(strstr(s_err, "backlash.yaml: ok"));
    assert_memory_equal(s_out, "# Resolved scenario", 19);
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_scenario_t *sc2 = malloc(sizeof *sc2);
    assert_non_null(sc);
    assert_non_null(sc2);
    cx_diags_t d;
    cx_diags_init(&d);
    assert_int_equal(cx_scenario_load_string("out", s_out, strlen(s_out), NULL, 0, sc, &d), 0);
    assert_int_equal(cx_scenario_load_file(S_SCEN "/backlash.yaml", NULL, 0, sc2, &d), 0);
    assert_true(cx_scenario_equal(sc, sc2));
    cx_diags_fini(&d);
    free(sc);
    free(sc2);
    assert_int_equal(s_run("validate", "a.yaml", "b.yaml", "--resolved", NULL), 2);
}

static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(s_run("validate", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "usage: cxsim validate FILE..."));
    assert_int_equal(s_run("validate", NULL), 2);
    assert_non_null(strstr(s_err, "expected a scenario FILE"));
    assert_int_equal(s_run("validate", "x.yaml", "--bogus", NULL), 2);
    assert_non_null(strstr(s_err, "unknown option '--bogus'"));
    assert_int_equal(s_run("validate", "x.yaml", "--set", NULL), 2);
    assert_int_equal(s_run("validate", "/nonexistent.yaml", NULL), 2);
    assert_non_null(strstr(s_err, "/nonexistent.yaml: error: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),       cmocka_unit_test(test_many_files_and_sets),
        cmocka_unit_test(test_invalid),  cmocka_unit_test(test_bad_set),
        cmocka_unit_test(test_resolved), cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
