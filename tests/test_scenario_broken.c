/*  test_scenario_broken — every file of tests/scenarios_broken/ fails to
 *  load with exactly the diagnostics its header announces, quickly.
 *
 *  A broken file starts with comment lines:
 *    # what is wrong (free text)
 *    # set: KEY=VALUE          optional, repeatable: applied as --set
 *    # expect: TEXT            one per expected diagnostic, in order
 *  Each TEXT must occur in the matching diagnostic as cx_diags_print
 *  writes it ("FILE:LINE:COLUMN: error: PATH: MESSAGE"), and the file must
 *  produce as many diagnostics as it has expect lines: one error makes one
 *  message, not a cascade.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cx_load.h"

#define S_DIR CX_SOURCE_DIR "/tests/scenarios_broken"
#define S_MAX_LINES 16 /* expect or set lines per file */

/* CPU seconds of this process: what the loader costs, not what a loaded
 * machine makes it wait. */
static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The bound on one load: 1 CPU second, times CX_TIME_SCALE under a tool
 * that slows every instruction (scripts/memcheck sets 50 for valgrind). */
static double s_bound(void)
{
    const char *s = getenv("CX_TIME_SCALE");
    double k = s ? atof(s) : 1.0;
    return k >= 1.0 ? k : 1.0;
}

/* Copies the header value after `tag` on each header line into out[]. */
static int s_header(const char *text, size_t len, const char *tag, char out[][512], int max)
{
    int n = 0;
    size_t tl = strlen(tag);
    size_t i = 0;
    while (i < len && text[i] == '#') {
        size_t end = i;
        while (end < len && text[end] != '\n') {
            end++;
        }
        if (end - i > tl && memcmp(text + i, tag, tl) == 0 && n < max) {
            size_t vl = end - i - tl;
            if (vl > 511) {
                vl = 511;
            }
            memcpy(out[n], text + i + tl, vl);
            out[n][vl] = '\0';
            n++;
        }
        i = end + 1;
    }
    return n;
}

static void test_one(void **state)
{
    const char *path = *state;
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *text = malloc(1 << 20);
    assert_non_null(text);
    size_t len = fread(text, 1, 1 << 20, fp);
    fclose(fp);

    char expect[S_MAX_LINES][512];
    char setbuf[S_MAX_LINES][512];
    const char *sets[S_MAX_LINES];
    int n_expect = s_header(text, len, "# expect: ", expect, S_MAX_LINES);
    int n_sets = s_header(text, len, "# set: ", setbuf, S_MAX_LINES);
    for (int i = 0; i < n_sets; i++) {
        sets[i] = setbuf[i];
    }
    free(text);
    if (n_expect == 0) {
        fail_msg("%s: no '# expect:' line", path);
    }

    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_diags_t d;
    cx_diags_init(&d);
    double t0 = s_now();
    int rc = cx_scenario_load_file(path, sets, n_sets, sc, &d);
    double dt = s_now() - t0;
    assert_int_equal(rc, -1);
    assert_true(dt < s_bound());

    char line[1024];
    bool ok = d.n == n_expect;
    for (int i = 0; i < n_expect && i < d.n; i++) {
        cx_diag_format(&d.items[i], line, sizeof line);
        ok = ok && strstr(line, expect[i]) != NULL;
    }
    if (!ok) {
        print_error("%s: expected %d diagnostics:\n", path, n_expect);
        for (int i = 0; i < n_expect; i++) {
            print_error("  %s\n", expect[i]);
        }
        print_error("found %d:\n", d.n);
        for (int i = 0; i < d.n; i++) {
            cx_diag_format(&d.items[i], line, sizeof line);
            print_error("  %s\n", line);
        }
        fail();
    }
    cx_diags_fini(&d);
    free(sc);
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    DIR *dir = opendir(S_DIR);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", S_DIR);
        return 1;
    }
    char **paths = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0) {
            continue;
        }
        paths = realloc(paths, (size_t)(n + 1) * sizeof *paths);
        size_t plen = strlen(S_DIR) + len + 2;
        paths[n] = malloc(plen);
        if (!paths || !paths[n]) {
            return 1;
        }
        snprintf(paths[n], plen, "%s/%s", S_DIR, de->d_name);
        n++;
    }
    closedir(dir);
    if (n < 40) {
        fprintf(stderr, "expected at least 40 broken files, found %d\n", n);
        return 1;
    }
    qsort(paths, (size_t)n, sizeof *paths, s_by_name);
    struct CMUnitTest *tests = calloc((size_t)n, sizeof *tests);
    if (!tests) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        tests[i].name = strrchr(paths[i], '/') + 1;
        tests[i].test_func = test_one;
        tests[i].initial_state = paths[i];
    }
    int failed = _cmocka_run_group_tests("scenarios_broken", tests, (size_t)n, NULL, NULL);
    for (int i = 0; i < n; i++) {
        free(paths[i]);
    }
    free(paths);
    free(tests);
    return failed;
}
