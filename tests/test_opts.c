/*  The option parser (config/cx_opts): both value forms, flags, aliases,
 *  positionals, exact names only, and the errors with "did you mean".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cx_opts.h"

enum { O_TICKS, O_REPLICATES, O_QUIET, O_SET };
static const cx_opt_t s_table[] = {
    {"--ticks", NULL, true, O_TICKS},
    {"--replicates", NULL, true, O_REPLICATES},
    {"--quiet", "-q", false, O_QUIET},
    {"--set", NULL, true, O_SET},
};
#define S_N ((int)(sizeof s_table / sizeof s_table[0]))

/* Runs the parser over args and returns what stderr got (static buffer). */
static char s_err[1024];
static int s_parse_all(char **argv, int argc, int *ids, const char **vals, int cap)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(fileno(stderr));
    dup2(fileno(tmp), fileno(stderr));
    cx_opts_t p;
    cx_opts_init(&p, "prog", s_table, S_N, argc, argv);
    int n = 0, id;
    while ((id = cx_opts_next(&p)) != CX_OPTS_END && n < cap) {
        ids[n] = id;
        vals[n++] = p.value;
        if (id == CX_OPTS_ERROR) {
            break;
        }
    }
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(tmp);
    size_t got = fread(s_err, 1, sizeof s_err - 1, tmp);
    s_err[got] = '\0';
    fclose(tmp);
    return n;
}

static void test_forms(void **state)
{
    (void)state;
    char *argv[] = {"run",   "a.yaml", "--ticks",   "60", "--replicates=3", "-q",
                    "--set", "x=1",    "--set=y=2", "-",  "--quiet"};
    int ids[16];
    const char *vals[16];
    int n = s_parse_all(argv, 11, ids, vals, 16);
    assert_int_equal(n, 8);
    assert_int_equal(ids[0], CX_OPTS_POSITIONAL);
    assert_string_equal(vals[0], "a.yaml");
    assert_int_equal(ids[1], O_TICKS);
    assert_string_equal(vals[1], "60");
    assert_int_equal(ids[2], O_REPLICATES);
    assert_string_equal(vals[2], "3");
    assert_int_equal(ids[3], O_QUIET);
    assert_null(vals[3]);
    assert_int_equal(ids[4], O_SET);
    assert_string_equal(vals[4], "x=1");
    assert_int_equal(ids[5], O_SET);
    assert_string_equal(vals[5], "y=2"); /* only the first '=' splits */
    assert_int_equal(ids[6], CX_OPTS_POSITIONAL);
    assert_string_equal(vals[6], "-");
    assert_int_equal(ids[7], O_QUIET);
    assert_string_equal(s_err, "");
}

static void test_no_abbreviation(void **state)
{
    (void)state;
    char *argv[] = {"sweep", "--replicate", "2"};
    int ids[4];
    const char *vals[4];
    int n = s_parse_all(argv, 3, ids, vals, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], CX_OPTS_ERROR);
    assert_string_equal(s_err,
                        "prog: unknown option '--replicate' (did you mean '--replicates'?)\n");
}

static void test_errors(void **state)
{
    (void)state;
    int ids[4];
    const char *vals[4];
    char *a1[] = {"run", "--tick=5"};
    s_parse_all(a1, 2, ids, vals, 4);
    assert_int_equal(ids[0], CX_OPTS_ERROR);
    assert_string_equal(s_err, "prog: unknown option '--tick' (did you mean '--ticks'?)\n");
    char *a2[] = {"run", "--ticks"};
    s_parse_all(a2, 2, ids, vals, 4);
    assert_int_equal(ids[0], CX_OPTS_ERROR);
    assert_string_equal(s_err, "prog: --ticks expects a value\n");
    char *a3[] = {"run", "--quiet=yes"};
    s_parse_all(a3, 2, ids, vals, 4);
    assert_int_equal(ids[0], CX_OPTS_ERROR);
    assert_string_equal(s_err, "prog: --quiet takes no value\n");
    char *a4[] = {"run", "--frobnicate"};
    s_parse_all(a4, 2, ids, vals, 4);
    assert_int_equal(ids[0], CX_OPTS_ERROR);
    assert_string_equal(s_err, "prog: unknown option '--frobnicate'\n");
}

static void test_command(void **state)
{
    (void)state;
    static const char *const names[] = {"run", "resume", "sweep", "report"};
    assert_int_equal(cx_opts_command("cxsim", "sweep", names, 4), 2);
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(fileno(stderr));
    dup2(fileno(tmp), fileno(stderr));
    int k = cx_opts_command("cxsim", "runn", names, 4);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(tmp);
    size_t got = fread(s_err, 1, sizeof s_err - 1, tmp);
    s_err[got] = '\0';
    fclose(tmp);
    assert_int_equal(k, -1);
    assert_string_equal(s_err, "cxsim: unknown command 'runn' (did you mean 'run'?)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_no_abbreviation),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
