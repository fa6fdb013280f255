/*  Experiments: the results database. A run is recorded whole or not at
 *  all; only a run whose files prove it completed is recorded as completed;
 *  importing twice does nothing; final values, totals and the summary are
 *  computed from what was recorded; plan lines round-trip. Runs here are
 *  synthetic run directories, written as `cxsim run` and the executor
 *  would write them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_sha256.h"
#include "cx_exp_stats.h"
#include "cx_exp_summary.h"
#include "cx_exp_util.h"
#include "cx_output.h"

static char s_root[256];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_root, sizeof s_root, "%s/cx-test-exp-db-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(s_root));
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_root);
    return system(cmd) == 0 ? 0 : -1;
}

static void s_write(const char *dir, const char *name, const char *text)
{
    char path[2048];
    snprintf(path, sizeof path, "%.1000s/%.100s", dir, name);
    assert_int_equal(cx_write_atomic(path, text, strlen(text)), 0);
}

static const char *s_yaml = "name: synthetic\nseed: 1\n";

/* A run directory as `cxsim run` leaves it: `ticks` rows whose nps is
 * base + tick and whose revenue is 100 per tick. status is summary.json's;
 * rows_written lets a test cut kpis.csv short. */
static void s_fake_run(cx_exp_run_t *run, long long point, int replicate, double base, int ticks,
                       const char *status, int rows_written, int exit_code)
{
    memset(run, 0, sizeof *run);
    run->point = point;
    run->replicate = replicate;
    run->seed = 1000 + (uint64_t)replicate;
    cx_exp_sha256_hex(s_yaml, strlen(s_yaml), run->sha);
    snprintf(run->dir, sizeof run->dir, "runs/p%06lld-r%04d", point, replicate);
    char key[64], params[64];
    snprintf(key, sizeof key, "x=%lld", point);
    snprintf(params, sizeof params, "{\"x\": %lld}", point);
    run->point_key = strdup(key);
    run->label = strdup("");
    run->params_json = strdup(params);
    run->scenario = strdup("/nowhere/synthetic.yaml");
    run->sets_json = strdup("[\"x=1\"]");
    run->arg[run->n_arg++] = strdup("/nowhere/synthetic.yaml");

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", s_root, run->dir);
    assert_int_equal(cx_mkdirs(dir), 0);
    s_write(dir, "scenario.resolved.yaml", s_yaml);
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_exp_buf_printf(&b, "tick,customers,nps,revenue,cost,investment\n");
    for (int t = 0; t < rows_written; t++) {
        cx_exp_buf_printf(&b, "%d,%d,%.10g,100,40,%d\n", t, 1000 + t, base + t, t == 0 ? 50 : 0);
    }
    s_write(dir, "kpis.csv", cx_exp_buf_str(&b));
    cx_exp_buf_reset(&b);
    cx_exp_buf_printf(&b, "tick,department,maturity,cost\n");
    for (int t = 0; t < rows_written; t++) {
        cx_exp_buf_printf(&b, "%d,it,2,10\n%d,sales,3,30\n", t, t);
    }
    s_write(dir, "departments.csv", cx_exp_buf_str(&b));
    cx_exp_buf_reset(&b);
    cx_exp_buf_printf(&b,
                      "{\"status\": \"%s\", \"reason\": \"\", \"ticks\": %d, "
                      "\"ticks_completed\": %d}\n",
                      status, ticks, rows_written < ticks ? rows_written : ticks);
    s_write(dir, "summary.json", cx_exp_buf_str(&b));
    cx_exp_buf_fini(&b);
    bool ok;
    char reason[512], started[32], finished[32];
    int wstatus = exit_code << 8; /* as waitpid reports an exit */
    /* Every attempt ends at its own time. */
    static int attempt = 0;
    attempt++;
    snprintf(started, sizeof started, "2025-01-01T00:%02d:00.000Z", attempt % 60);
    snprintf(finished, sizeof finished, "2025-01-01T00:%02d:01.000Z", attempt % 60);
    assert_int_equal(cx_exp_write_run_json(s_root, run, "/nowhere/cxsim", "in-process", wstatus,
                                           started, finished, 1.0, &ok, reason, sizeof reason),
                     0);
}

static cx_exp_db_t *s_open(void)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/sweep.db", s_root);
    cx_exp_db_t *db = cx_exp_db_open(path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "%s\n", err);
    }
    assert_non_null(db);
    return db;
}

static int s_import(cx_exp_db_t *db, const cx_exp_run_t *run, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", s_root, run->dir);
    return cx_exp_db_import(db, dir, run->dir, err, errlen);
}

/* kpis rows recorded for a point, whatever the run's status. */
static long long s_count(cx_exp_db_t *db, const char *table, long long point)
{
    (void)db;
    char path[512], sql[256];
    snprintf(path, sizeof path, "%s/sweep.db", s_root);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM %s k JOIN runs r ON r.run_id = k.run_id WHERE r.point = %lld",
             table, point);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_import_once(void **state)
{
    (void)state;
    cx_exp_db_t *db = s_open();
    cx_exp_run_t run;
    char err[1024];
    s_fake_run(&run, 1, 0, 10, 5, "completed", 5, 0);
    assert_int_equal(s_import(db, &run, err, sizeof err), 1);
    assert_int_equal(s_count(db, "kpis", 1), 5);
    assert_int_equal(s_count(db, "departments", 1), 10);
    char sha[65];
    assert_int_equal(cx_exp_db_run_done(db, 1, 0, sha), 1);
    assert_string_equal(sha, run.sha);
    /* Twice: nothing new. */
    assert_int_equal(s_import(db, &run, err, sizeof err), 2);
    assert_int_equal(s_count(db, "kpis", 1), 5);
    assert_int_equal(cx_exp_db_count_completed(db, -1), 1);
    /* The final value is the last tick's; totals sum every tick. */
    double v[4];
    int reps[4];
    assert_int_equal(cx_exp_db_finals(db, 1, "nps", reps, v, 4), 1);
    assert_int_equal(reps[0], 0);
    assert_true(v[0] == 14.0);
    assert_int_equal(cx_exp_db_finals(db, 1, "total_revenue", NULL, v, 4), 1);
    assert_true(v[0] == 500.0);
    assert_int_equal(cx_exp_db_finals(db, 1, "total_investment", NULL, v, 4), 1);
    assert_true(v[0] == 50.0);
    /* Unknown or hostile column names are refused. */
    assert_int_equal(cx_exp_db_finals(db, 1, "no_such_kpi", NULL, v, 4), -1);
    assert_int_equal(cx_exp_db_finals(db, 1, "nps\"; DROP TABLE runs; --", NULL, v, 4), -1);
    cx_exp_run_fini(&run);
    cx_exp_db_close(&db);
    assert_null(db);
}

static void test_never_half_recorded(void **state)
{
    (void)state;
    cx_exp_db_t *db = s_open();
    char err[1024];
    cx_exp_run_t run;
    /* kpis.csv shorter than summary.json claims: failed, no rows kept. */
    s_fake_run(&run, 2, 0, 0, 5, "completed", 5, 0);
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", s_root, run.dir);
    s_write(path, "kpis.csv", "tick,customers,nps,revenue,cost,investment\n0,1,2,3,4,5\n1,1,2,3\n");
    assert_int_equal(s_import(db, &run, err, sizeof err), 0);
    assert_non_null(strstr(err, "kpis.csv"));
    assert_int_equal(cx_exp_db_run_done(db, 2, 0, NULL), 0);
    assert_int_equal(s_count(db, "kpis", 2), 0);
    assert_int_equal(s_count(db, "departments", 2), 0);
    assert_int_equal(cx_exp_db_count_failed(db), 1);
    cx_exp_run_fini(&run);

    /* A run interrupted part-way: summary.json says so, exit status 1. */
    s_fake_run(&run, 2, 1, 0, 5, "interrupted", 3, 1);
    assert_int_equal(s_import(db, &run, err, sizeof err), 0);
    assert_int_equal(cx_exp_db_run_done(db, 2, 1, NULL), 0);
    cx_exp_run_fini(&run);

    /* Exit 0 but summary.json not "completed" is not complete either. */
    s_fake_run(&run, 2, 2, 0, 5, "failed", 5, 0);
    assert_int_equal(s_import(db, &run, err, sizeof err), 0);
    cx_exp_run_fini(&run);

    /* The resolved scenario is not the one planned. */
    s_fake_run(&run, 2, 3, 0, 5, "completed", 5, 0);
    snprintf(path, sizeof path, "%s/%s", s_root, run.dir);
    s_write(path, "scenario.resolved.yaml", "name: edited\n");
    assert_int_equal(s_import(db, &run, err, sizeof err), 0);
    assert_non_null(strstr(err, "differs"));
    cx_exp_run_fini(&run);

    /* No run.json at all: nothing recorded. */
    s_fake_run(&run, 2, 4, 0, 5, "completed", 5, 0);
    snprintf(path, sizeof path, "%s/%s/run.json", s_root, run.dir);
    unlink(path);
    assert_int_equal(s_import(db, &run, err, sizeof err), -1);
    cx_exp_run_fini(&run);

    /* A later attempt that completes replaces the failed record. */
    s_fake_run(&run, 2, 0, 0, 5, "completed", 5, 0);
    assert_int_equal(s_import(db, &run, err, sizeof err), 1);
    assert_int_equal(cx_exp_db_run_done(db, 2, 0, NULL), 1);
    assert_int_equal(s_count(db, "kpis", 2), 5);
    cx_exp_run_fini(&run);
    /* Re-importing a recorded failure is not a new failure. */
    s_fake_run(&run, 2, 2, 0, 5, "failed", 5, 0);
    char again[1024];
    assert_int_equal(s_import(db, &run, err, sizeof err), 0);
    snprintf(again, sizeof again, "%s", err);
    assert_int_equal(s_import(db, &run, err, sizeof err), 2);
    cx_exp_run_fini(&run);
    cx_exp_db_close(&db);
}

static void test_summary(void **state)
{
    (void)state;
    cx_exp_db_t *db = s_open();
    char err[1024];
    /* Point 3: final nps = base + 4 for bases 0, 1, 2, 5 -> 4, 5, 6, 9. */
    double bases[] = {0, 1, 2, 5};
    for (int r = 0; r < 4; r++) {
        cx_exp_run_t run;
        s_fake_run(&run, 3, r, bases[r], 5, "completed", 5, 0);
        assert_int_equal(s_import(db, &run, err, sizeof err), 1);
        cx_exp_run_fini(&run);
    }
    assert_int_equal(cx_exp_summary(db, s_root, NULL, err, sizeof err), 0);
    double want[] = {4, 5, 6, 9};
    cx_exp_ci_t ci;
    cx_exp_ci(want, 4, 0.95, &ci);
    char path[2048];
    snprintf(path, sizeof path, "%s/summary.csv", s_root);
    char *csv = cx_exp_read_file(path, 1 << 20, NULL);
    assert_non_null(csv);
    /* Header and the row of point 3 ("x" varies between points 1, 2, 3). */
    assert_non_null(strstr(csv, "point,x,n,nps_mean,nps_ci_low,nps_ci_high,"));
    char row[256];
    snprintf(row, sizeof row, "\n3,3,4,%.10g,%.10g,%.10g,", ci.mean, ci.lo, ci.hi);
    if (!strstr(csv, row)) {
        fprintf(stderr, "want %s in\n%s\n", row, csv);
    }
    assert_non_null(strstr(csv, row));
    free(csv);
    cx_exp_db_close(&db);
}

static void test_plan_lines(void **state)
{
    (void)state;
    cx_exp_run_t run, back;
    s_fake_run(&run, 4, 7, 0, 2, "completed", 2, 0);
    free(run.point_key);
    run.point_key = strdup("a=1\nb=\"two\"");
    run.arg[run.n_arg++] = strdup("--set");
    run.arg[run.n_arg++] = strdup("b=\"two\"");
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_exp_run_to_json(&b, &run);
    char err[256];
    assert_int_equal(cx_exp_run_from_json(cx_exp_buf_str(&b), &back, err, sizeof err), 0);
    assert_string_equal(back.dir, run.dir);
    assert_true(back.point == 4 && back.replicate == 7 && back.seed == run.seed);
    assert_string_equal(back.sha, run.sha);
    assert_string_equal(back.point_key, run.point_key);
    assert_int_equal(back.n_arg, run.n_arg);
    for (int i = 0; i < run.n_arg; i++) {
        assert_string_equal(back.arg[i], run.arg[i]);
    }
    cx_exp_run_fini(&back);
    /* A plan may not send a run outside the experiment directory. */
    assert_int_equal(cx_exp_run_from_json("{\"dir\": \"../etc\", \"seed\": 1, \"args\": [\"x\"]}",
                                          &back, err, sizeof err),
                     -1);
    assert_int_equal(cx_exp_run_from_json("not json", &back, err, sizeof err), -1);
    cx_exp_buf_fini(&b);
    cx_exp_run_fini(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_once),
        cmocka_unit_test(test_never_half_recorded),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_plan_lines),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
