/*  cxsim check — reality checks: statements of how the simulated company
 *  must behave, each written as a scenario, an optional change, a KPI, a
 *  window and an expectation (cx_check_file.h), run as paired replicates
 *  with common random numbers and judged on 95% confidence intervals
 *  (cx_check.h).
 *
 *      PARSE --> LOAD every check file (all problems at once, exit 2)
 *        --> PLAN: per check a baseline side (scenario + set) and, with a
 *            change, a scenario side (+ change); each side is loaded and
 *            validated, and becomes a point of the experiment. Sides that
 *            are the same (file, overrides, seed) are one point shared by
 *            every check that needs it. Replicate r of every point has the
 *            seed cx_exp_seed(baseline seed, NULL, r): common random numbers
 *        --> RUN the points' replicates (skipping those already recorded in
 *            DIR/check.db: a re-run resumes), J at a time
 *        --> KPI names not known today are looked up in the columns the
 *            runs' kpis.csv brought (exit 2 when absent)
 *        --> EVALUATE each check, write the checks table of check.db and
 *            DIR/check.csv, print one row per check and "N of M checks
 *            hold" last
 *
 *  Exit status: 0 every check holds; 1 a check does not hold, or a run
 *  failed or was interrupted; 2 invalid input.
 */
#include "cx_cmd.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_check.h"
#include "cx_check_file.h"
#include "cx_exp_cmd.h"
#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_util.h"
#include "cx_load.h"
#include "cx_output.h"
#include "cx_signals.h"

#define S_MAX_FILES 256 /* check files on the command line */
#define S_DEFAULT_GLOB "scenarios/checks/*.yaml"

static const char s_cmd[] = "cxsim check";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim check [FILE.yaml...] [options]\n"
                "\n"
                "Runs reality checks: statements of how the simulated company must behave\n"
                "(a scenario, an optional change, a KPI over a window of ticks, and what must\n"
                "hold), as paired replicates with common random numbers, and prints one row\n"
                "per check with its delta (or value) and 95%% confidence interval, then\n"
                "'N of M checks hold'. Without FILE, every file of " S_DEFAULT_GLOB "\n"
                "(in the current directory, else in the source tree of this executable).\n"
                "\n"
                "options:\n"
                "  --quick               only the checks marked quick: true\n"
                "  --replicates R        paired replicates of every check (default: each\n"
                "                        check's own, 10 when it gives none)\n"
                "  --seed N              base seed (default: each scenario's)\n"
                "  --jobs J              runs at once (default: the number of cores)\n"
                "  --engine E            in-process (default) or processes\n"
                "  --out DIR             directory (default checks/all-HASH or\n"
                "                        checks/quick-HASH; a re-run resumes)\n"
                "  --quiet               only the last line\n"
                "\n"
                "exit status: 0 every check holds, 1 a check does not hold or a run failed,\n"
                "2 invalid input\n");
}

typedef struct {
    const char *files[S_MAX_FILES]; /* check files */
    int n_files;                    /* entries used */
    cx_exp_common_t com;            /* --replicates, --jobs, --seed, --engine, --out, --quiet */
    bool quick;                     /* --quick */
} s_opts_t;

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->com.engine = "in-process";
    enum { O_HELP, O_QUICK };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP},
        {"--quick", NULL, false, O_QUICK},
        CX_EXP_COMMON_OPTS,
    };
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            exit(0);
        case O_QUICK:
            o->quick = true;
            break;
        case CX_OPTS_ERROR:
            return -1;
        case CX_OPTS_POSITIONAL:
            if (o->n_files == S_MAX_FILES) {
                fprintf(stderr, "%s: at most %d check files\n", s_cmd, S_MAX_FILES);
                return -1;
            }
            o->files[o->n_files++] = op.value;
            break;
        default:
            if (cx_exp_cmd_common_opt(s_cmd, id, op.value, &o->com, 2, 10000) < 0) {
                return -1;
            }
            break;
        }
    }
    if (o->com.ticks) {
        fprintf(stderr,
                "%s: --ticks does not apply: each check sets its own horizon "
                "(set: [ticks=N]) and windows\n",
                s_cmd);
        return -1;
    }
    if (o->com.slurm || o->com.n_slurm_opt || o->com.slurm_tasks) {
        fprintf(stderr, "%s: --backend slurm is for sweep, compare, sensitivity, calibrate and "
                        "optimise\n", s_cmd);
        return -1;
    }
    if (!o->com.jobs) {
        o->com.jobs = cx_exp_cores();
    }
    return 0;
}

/* One side of a check as a point of the experiment. */
typedef struct {
    int pi;     /* index in the plan's points */
    int needed; /* replicates the checks using it need */
} s_point_t;

/* Per check: its points (scenario -1 without a change) and replicates. */
typedef struct {
    int base; /* index into the s_point_t array */
    int scen; /* -1 without a change */
    int reps; /* replicates */
} s_use_t;

/* The overrides of a side into sets (pointers into c, and *tl: the
 * timeline override, heap). Returns the count, or -1 on out of memory. */
static int s_side_sets(const cx_check_t *c, bool scenario, const char **sets, char **tl)
{
    int n = 0;
    *tl = NULL;
    for (int i = 0; i < c->n_set; i++) {
        sets[n++] = c->set[i];
    }
    if (!scenario) {
        return n;
    }
    for (int i = 0; i < c->n_change; i++) {
        sets[n++] = c->change[i];
    }
    if (c->timeline_items) {
        if (!(*tl = cx_check_timeline_set(c))) {
            return -1;
        }
        sets[n++] = *tl;
    }
    return n;
}

/* Loads a side as cxsim run will, reporting its problems at the check:
 * FILE:LINE:COLUMN of the check's set or change, then the scenario's
 * message. Returns 0 (seed set) or -1. */
static int s_validate_side(const cx_check_t *c, bool scenario, const char *const *sets, int n,
                           const char *seed, uint64_t *base_seed, int *errors)
{
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        (*errors)++;
        return -1;
    }
    const char *all[2 * CX_CHECK_MAX_SETS + 4];
    int m = 0;
    for (int i = 0; i < n; i++) {
        all[m++] = sets[i];
    }
    char sbuf[64];
    if (seed) {
        snprintf(sbuf, sizeof sbuf, "seed=%s", seed);
        all[m++] = sbuf;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = 0;
    if (cx_scenario_load_file(c->scenario, all, m, sc, &d) != 0) {
        const cx_check_pos_t *at = scenario && c->has_change ? &c->chg_at : &c->set_at;
        const char *key = scenario && c->has_change ? "change" : "set";
        for (int i = 0; i < d.n; i++) {
            const cx_diag_t *g = &d.items[i];
            if (strcmp(g->file, "--set") == 0) {
                /* An override of the check: at the check's set or change. */
                fprintf(stderr, "%s:%d:%d: error: %s.%s: %s%s%s\n", c->file, at->line, at->column,
                        c->path, key, g->path, g->path[0] ? ": " : "", g->message);
            } else {
                char msg[1024];
                cx_diag_format(g, msg, sizeof msg);
                fprintf(stderr, "%s (the %s side of %s:%d:%d %s)\n", msg,
                        scenario ? "scenario" : "baseline", c->file, c->at.line, c->at.column,
                        c->path);
            }
            (*errors)++;
        }
        rc = -1;
    } else {
        *base_seed = sc->seed;
    }
    cx_diags_fini(&d);
    free(sc);
    return rc;
}

typedef struct {
    cx_exp_plan_t *pl; /* the experiment */
    bool tty;          /* progress line on stderr */
    int failed;        /* runs failed */
} s_ctx_t;

static int s_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok, const char *reason)
{
    (void)ex;
    s_ctx_t *c = ud;
    return cx_exp_cmd_run_done(s_cmd, c->pl, run, ok, reason, c->tty, &c->failed);
}

/* The aggregate of point/replicate's KPI over [from, to): NaN when the run
 * is not recorded. */
static double s_agg(cx_exp_db_t *db, long long point, int r, const char *kpi, int from, int to,
                    cx_how_t how)
{
    int n = cx_exp_db_series(db, point, r, kpi, NULL, NULL, 0);
    if (n <= 0) {
        return NAN;
    }
    int *ticks = malloc((size_t)n * sizeof *ticks);
    double *v = malloc((size_t)n * sizeof *v);
    double out = NAN;
    if (ticks && v && cx_exp_db_series(db, point, r, kpi, ticks, v, n) == n) {
        out = cx_check_aggregate(ticks, v, n, from, to, how);
    }
    free(ticks);
    free(v);
    return out;
}

/* Decimals for a value shown next to an interval of this half-width. */
static int s_decimals(double half, double v)
{
    double ref = isnan(half) || half <= 1e-9 * fabs(v) ? fabs(v) / 1000 : half;
    if (!(ref > 0)) {
        return 2;
    }
    int d = 1 - (int)floor(log10(ref));
    return d < 0 ? 0 : d > 4 ? 4 : d;
}

static void s_fmt(char *buf, size_t cap, double v, int dec, bool sign)
{
    if (isnan(v)) {
        snprintf(buf, cap, "-");
    } else {
        snprintf(buf, cap, sign ? "%+.*f" : "%.*f", dec, v);
    }
}

/* Appends a CSV field, quoted when it needs to be. */
static void s_csv(cx_buf_t *b, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n")) {
        cx_buf_printf(b, "\"");
        for (const char *p = s; *p; p++) {
            cx_buf_printf(b, *p == '"' ? "\"\"" : "%c", *p);
        }
        cx_buf_printf(b, "\"");
    } else {
        cx_buf_printf(b, "%s", s);
    }
    cx_buf_printf(b, last ? "\n" : ",");
}

/* The KPI of every check is a column of the kpis the runs wrote. Returns
 * the number of problems (printed). */
static int s_check_kpis(cx_exp_db_t *db, const cx_checks_t *cs, const bool *sel)
{
    char **cols = NULL;
    int nc = cx_exp_db_kpi_columns(db, &cols);
    int bad = 0;
    for (int i = 0; i < cs->n; i++) {
        const cx_check_t *c = &cs->items[i];
        if (!sel[i] || c->kpi_known) {
            continue;
        }
        bool found = false;
        for (int j = 0; j < nc; j++) {
            found |= strcmp(cols[j], c->kpi) == 0;
        }
        if (!found) {
            const char *hint = nc > 0 ? cx_suggest(c->kpi, (const char *const *)cols, nc) : NULL;
            fprintf(stderr,
                    "%s:%d:%d: error: %s.kpi: expected a column of kpis.csv (the runs wrote "
                    "%d columns), found '%s'%s%s%s\n",
                    c->file, c->kpi_at.line, c->kpi_at.column, c->path, nc, c->kpi,
                    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            bad++;
        }
    }
    for (int j = 0; j < nc; j++) {
        free(cols[j]);
    }
    free(cols);
    return bad;
}

static int s_evaluate(cx_exp_plan_t *pl, const cx_checks_t *cs, const bool *sel, const s_use_t *use,
                      const s_point_t *pts, bool quiet, int *n_hold, int *n_all, char *err,
                      size_t errlen)
{
    cx_exp_db_t *db = pl->db;
    cx_buf_t csv;
    cx_buf_init(&csv);
    cx_buf_printf(&csv, "name,file,kpi,how,window_from,window_to,expect,statement,n,"
                            "baseline_mean,scenario_mean,value,ci_low,ci_high,holds,source\n");
    if (cx_exp_db_exec(db,
                       "CREATE TABLE IF NOT EXISTS checks(ord INTEGER, name TEXT PRIMARY KEY, "
                       "file TEXT, line INTEGER, source TEXT, kpi TEXT, how TEXT, "
                       "window_from INTEGER, window_to INTEGER, ref_from INTEGER, ref_to "
                       "INTEGER, expect TEXT, statement TEXT, low REAL, high REAL, tolerance "
                       "REAL, baseline_point INTEGER, scenario_point INTEGER, replicates "
                       "INTEGER, n INTEGER, baseline_mean REAL, scenario_mean REAL, value REAL, "
                       "ci_low REAL, ci_high REAL, holds INTEGER);"
                       "BEGIN IMMEDIATE; DELETE FROM checks;",
                       err, errlen) != 0) {
        cx_buf_fini(&csv);
        return -1;
    }
    if (!quiet) {
        printf("\n  %-5s  %-60s %-18s %15s  %-22s %s\n", "", "check", "KPI", "", "95% CI",
               "source");
    }
    int ord = 0;
    for (int i = 0; i < cs->n; i++) {
        if (!sel[i]) {
            continue;
        }
        const cx_check_t *c = &cs->items[i];
        const s_use_t *u = &use[i];
        long long bp = pl->point[pts[u->base].pi].id;
        long long sp = u->scen >= 0 ? pl->point[pts[u->scen].pi].id : -1;
        double *b = malloc((size_t)u->reps * sizeof *b), *s = malloc((size_t)u->reps * sizeof *s);
        if (!b || !s) {
            free(b);
            free(s);
            snprintf(err, errlen, "out of memory");
            cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
            cx_buf_fini(&csv);
            return -1;
        }
        for (int r = 0; r < u->reps; r++) {
            if (c->has_ref) {
                b[r] = s_agg(db, bp, r, c->kpi, c->ref[0], c->ref[1], c->how);
                s[r] = s_agg(db, bp, r, c->kpi, c->window[0], c->window[1], c->how);
            } else {
                b[r] = s_agg(db, bp, r, c->kpi, c->window[0], c->window[1], c->how);
                s[r] = sp >= 0 ? s_agg(db, sp, r, c->kpi, c->window[0], c->window[1], c->how) : NAN;
            }
        }
        cx_check_result_t res;
        cx_check_evaluate(c, b, sp >= 0 || c->has_ref ? s : NULL, u->reps, &res);
        free(b);
        free(s);
        *n_all += 1;
        *n_hold += res.holds;
        char st[128];
        cx_check_statement(c, st, sizeof st);
        const char *what = c->expect == CX_EXPECT_RATIO_BETWEEN ? "ratio"
                           : c->has_change || c->has_ref        ? "delta"
                                                                : "value";
        char *sql = sqlite3_mprintf(
            "INSERT INTO checks VALUES(%d, %Q, %Q, %d, %Q, %Q, %Q, %d, %d, %d, %d, %Q, %Q, "
            "?1, ?2, ?3, %lld, %lld, %d, %d, ?4, ?5, ?6, ?7, ?8, %d)",
            ord++, c->name, c->file, c->at.line, c->source, c->kpi, cx_how_name(c->how),
            c->window[0], c->window[1], c->has_ref ? c->ref[0] : -1, c->has_ref ? c->ref[1] : -1,
            cx_expect_name(c->expect), st, bp, sp, u->reps, res.n, res.holds ? 1 : 0);
        double row[8] = {c->expect >= CX_EXPECT_BETWEEN ? c->lo : NAN,
                         c->expect >= CX_EXPECT_BETWEEN ? c->hi : NAN,
                         c->expect == CX_EXPECT_NO_DECREASE || c->expect == CX_EXPECT_NO_INCREASE
                             ? c->tolerance
                             : NAN,
                         res.base_mean,
                         res.scen_mean,
                         res.value,
                         res.lo,
                         res.hi};
        if (!sql || cx_exp_db_exec_bind(db, sql, NULL, row, 8, err, errlen) != 0) {
            sqlite3_free(sql);
            if (!sql) {
                snprintf(err, errlen, "out of memory");
            }
            cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
            cx_buf_fini(&csv);
            return -1;
        }
        sqlite3_free(sql);
        char num[8][40];
        const double nv[6] = {res.base_mean, res.scen_mean, res.value, res.lo, res.hi, NAN};
        for (int k = 0; k < 5; k++) {
            snprintf(num[k], sizeof num[k], isnan(nv[k]) ? "" : "%.10g", nv[k]);
        }
        char tmp[32];
        s_csv(&csv, c->name, false);
        s_csv(&csv, c->file, false);
        s_csv(&csv, c->kpi, false);
        s_csv(&csv, cx_how_name(c->how), false);
        snprintf(tmp, sizeof tmp, "%d", c->window[0]);
        s_csv(&csv, tmp, false);
        snprintf(tmp, sizeof tmp, "%d", c->window[1]);
        s_csv(&csv, tmp, false);
        s_csv(&csv, cx_expect_name(c->expect), false);
        s_csv(&csv, st, false);
        snprintf(tmp, sizeof tmp, "%d", res.n);
        s_csv(&csv, tmp, false);
        for (int k = 0; k < 5; k++) {
            s_csv(&csv, num[k], false);
        }
        s_csv(&csv, res.holds ? "true" : "false", false);
        s_csv(&csv, c->source, true);
        if (!quiet) {
            double half = (res.hi - res.lo) / 2;
            int dec = s_decimals(half, res.value);
            bool sign = c->expect != CX_EXPECT_RATIO_BETWEEN && (c->has_change || c->has_ref);
            char v[40], lo[40], hi[40], kpi[80];
            s_fmt(v, sizeof v, res.value, dec, sign);
            s_fmt(lo, sizeof lo, res.lo, dec, sign);
            s_fmt(hi, sizeof hi, res.hi, dec, sign);
            snprintf(kpi, sizeof kpi, "%s%s%s", c->kpi, c->how == CX_HOW_MEAN ? "" : " ",
                     c->how == CX_HOW_MEAN ? "" : cx_how_name(c->how));
            char ci[96];
            snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
            printf("  %-5s  %-60.60s %-18.18s %-5s %9s  %-22s %s\n", res.holds ? "holds" : "FAILS",
                   c->name, kpi, what, v, ci, c->source);
            if (!res.holds) {
                printf("  %-5s  expected: %s (n = %d)\n", "", st, res.n);
            }
        }
    }
    if (cx_exp_db_exec(db, "COMMIT", err, errlen) != 0) {
        cx_buf_fini(&csv);
        return -1;
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/check.csv", pl->root);
    int rc = 0;
    if (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0) {
        snprintf(err, errlen, "cannot write %.1000s", path);
        rc = -1;
    }
    cx_buf_fini(&csv);
    return rc;
}

int cx_cmd_check(int argc, char **argv)
{
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim check --help'\n");
        return 2;
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    bool globbed = false;
    if (o.n_files == 0) {
        int gr = glob(S_DEFAULT_GLOB, 0, NULL, &g);
        globbed = true;
        if (gr != 0 || g.gl_pathc == 0) {
            /* Outside the source tree: the checks next to this build's
             * executable (build/bin/cxsim -> scenarios/checks). */
            char exe[PATH_MAX], pat[PATH_MAX + 64];
            ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
            if (len > 0) {
                exe[len] = '\0';
                char *slash = strrchr(exe, '/');
                if (slash) {
                    *slash = '\0';
                }
                snprintf(pat, sizeof pat, "%s/../../%s", exe, S_DEFAULT_GLOB);
                globfree(&g);
                memset(&g, 0, sizeof g);
                gr = glob(pat, 0, NULL, &g);
            }
        }
        if (gr != 0 || g.gl_pathc == 0) {
            fprintf(stderr,
                    "%s: no check file given and none in %s (run from the source tree, "
                    "or name the files)\n",
                    s_cmd, S_DEFAULT_GLOB);
            globfree(&g);
            return 2;
        }
        for (size_t i = 0; i < g.gl_pathc && o.n_files < S_MAX_FILES; i++) {
            o.files[o.n_files++] = g.gl_pathv[i];
        }
    }
    cx_signals_on_stop(s_on_signal);

    int rc = 2;
    cx_checks_t cs;
    cx_checks_init(&cs);
    cx_diags_t d;
    cx_diags_init(&d);
    bool *sel = NULL;
    s_use_t *use = NULL;
    s_point_t *pts = NULL;
    int npts = 0;
    cx_exp_plan_t pl;
    memset(&pl, 0, sizeof pl);
    pl.lock_fd = -1;
    cx_exp_exec_t *ex = NULL;
    cx_buf_t def, key;
    cx_buf_init(&def);
    cx_buf_init(&key);
    char err[2048] = "";

    bool bad = false;
    for (int f = 0; f < o.n_files; f++) {
        if (cx_checks_load_file(o.files[f], &cs, &d) != 0) {
            bad = true;
        }
    }
    if (bad) {
        cx_diags_print(stderr, &d);
        fprintf(stderr, "%s: %d error%s; nothing was run\n", s_cmd, d.n, d.n == 1 ? "" : "s");
        goto done;
    }
    sel = calloc((size_t)cs.n + 1, sizeof *sel);
    use = calloc((size_t)cs.n + 1, sizeof *use);
    pts = calloc(2 * (size_t)cs.n + 1, sizeof *pts);
    if (!sel || !use || !pts) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        rc = 1;
        goto done;
    }
    int n_sel = 0;
    for (int i = 0; i < cs.n; i++) {
        sel[i] = !o.quick || cs.items[i].quick;
        n_sel += sel[i];
    }
    if (n_sel == 0) {
        fprintf(stderr, "%s: no check is marked quick: true in the files given\n", s_cmd);
        goto done;
    }

    /* The experiment's directory: named after what is checked. */
    char outbuf[PATH_MAX];
    const char *out = o.com.out;
    cx_buf_printf(&def, "check\nquick %d\nreplicates %d\nseed %s\n", o.quick, o.com.replicates,
                      o.com.seed ? o.com.seed : "-");
    for (int f = 0; f < o.n_files; f++) {
        char real[PATH_MAX];
        cx_buf_printf(&def, "%s\n", realpath(o.files[f], real) ? real : o.files[f]);
    }
    if (!out) {
        cx_exp_default_dir(outbuf, sizeof outbuf, "checks", o.quick ? "quick" : "all",
                           cx_buf_str(&def));
        out = outbuf;
    }
    if (cx_exp_plan_init(&pl, out, "check.db", err, sizeof err) != 0 ||
        cx_exp_plan_lock(&pl, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, err);
        rc = 1;
        goto done;
    }
    pl.seed = o.com.seed;
    pl.crn = true;
    cx_exp_cmd_meta(&pl, argc, argv, "check");
    cx_exp_db_meta_set(pl.db, "seeding", "common", err, sizeof err);

    /* Plan: the sides of every selected check, each validated. */
    int errors = 0;
    for (int i = 0; i < cs.n; i++) {
        if (!sel[i]) {
            continue;
        }
        const cx_check_t *c = &cs.items[i];
        use[i].reps = o.com.replicates ? o.com.replicates : c->replicates;
        use[i].scen = -1;
        uint64_t seed = 0;
        for (int side = 0; side < (c->has_change ? 2 : 1); side++) {
            const char *sets[2 * CX_CHECK_MAX_SETS + 2];
            char *tl = NULL;
            int n = s_side_sets(c, side == 1, sets, &tl);
            uint64_t own = 0;
            if (n < 0 || s_validate_side(c, side == 1, sets, n, o.com.seed, &own, &errors) != 0) {
                if (n < 0) {
                    fprintf(stderr, "%s: out of memory\n", s_cmd);
                    errors++;
                }
                free(tl);
                break;
            }
            if (side == 0) {
                seed = own;
            }
            /* A point is its file, its overrides and its base seed: the
             * scenario side runs with the baseline's seeds (common random
             * numbers). */
            char real[PATH_MAX];
            cx_buf_reset(&key);
            cx_buf_printf(&key, "check\n%s\nseed %llu",
                              realpath(c->scenario, real) ? real : c->scenario,
                              (unsigned long long)seed);
            cx_buf_t json;
            cx_buf_init(&json);
            cx_buf_printf(&json, "{");
            bool first = true;
            for (int k = 0; k < n; k++) {
                cx_buf_printf(&key, "\n%s", sets[k]);
                const char *eq = strchr(sets[k], '=');
                size_t kl = (size_t)(eq - sets[k]);
                bool later = false; /* a later override of the same key wins */
                for (int l = k + 1; l < n && !later; l++) {
                    later = strncmp(sets[l], sets[k], kl + 1) == 0;
                }
                if (later) {
                    continue;
                }
                char kk[256];
                snprintf(kk, sizeof kk, "%.*s", (int)kl, sets[k]);
                cx_buf_printf(&json, "%s", first ? "" : ", ");
                first = false;
                cx_json_text(&json, kk);
                cx_buf_printf(&json, ": ");
                cx_exp_buf_json_value(&json, eq + 1);
            }
            cx_buf_printf(&json, "}");
            int found = -1;
            for (int p = 0; p < npts && found < 0; p++) {
                if (strcmp(pl.point[pts[p].pi].key, cx_buf_str(&key)) == 0) {
                    found = p;
                }
            }
            if (found < 0) {
                char label[200];
                snprintf(label, sizeof label, "%s (%s)", c->name, side ? "scenario" : "baseline");
                int pi = key.oom || json.oom
                             ? -1
                             : cx_exp_plan_point_add(&pl, c->scenario, label, cx_buf_str(&key),
                                                     (char *const *)sets, n, cx_buf_str(&json),
                                                     err, sizeof err);
                if (pi < 0) {
                    fprintf(stderr, "%s:%d:%d: error: %s: %s\n", c->file, c->at.line, c->at.column,
                            c->path, key.oom || json.oom ? "out of memory" : err);
                    errors++;
                    cx_buf_fini(&json);
                    free(tl);
                    break;
                }
                pl.point[pi].base_seed = seed;
                pts[npts] = (s_point_t){pi, 0};
                found = npts++;
            }
            cx_buf_fini(&json);
            free(tl);
            if (pts[found].needed < use[i].reps) {
                pts[found].needed = use[i].reps;
            }
            if (side == 0) {
                use[i].base = found;
            } else {
                use[i].scen = found;
            }
        }
    }
    if (errors) {
        fprintf(stderr, "%s: %d error%s; nothing was run\n", s_cmd, errors, errors == 1 ? "" : "s");
        goto done;
    }

    bool tty = isatty(2) != 0;
    ex = cx_exp_exec_new(pl.exe, pl.root, o.com.engine, o.com.jobs, tty);
    if (!ex) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        rc = 1;
        goto done;
    }
    int todo = 0, total = 0;
    for (int p = 0; p < npts; p++) {
        int q = 0;
        int qr = cx_exp_plan_queue(&pl, pts[p].pi, 0, pts[p].needed, ex, &q, err, sizeof err);
        if (qr != 0) {
            fprintf(stderr, "%s: %s\n", s_cmd, err);
            rc = qr == 2 ? 2 : 1;
            goto done;
        }
        todo += q;
        total += pts[p].needed;
    }
    if (!o.com.quiet) {
        printf("check %s: %d check%s, %d scenario%s x replicates = %d runs: %d to do, %lld "
               "already done; %d at a time, engine %s\n",
               pl.root, n_sel, n_sel == 1 ? "" : "s", npts, npts == 1 ? "" : "s", total, todo,
               pl.skipped, o.com.jobs, o.com.engine);
        fflush(stdout);
    }
    s_ctx_t ctx = {&pl, tty, 0};
    int lr = cx_exp_exec_loop(ex, s_done, &ctx, &s_stop, err, sizeof err);
    if (lr < 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, err);
        rc = 1;
        goto done;
    }
    if (lr == 1) {
        fprintf(stderr,
                "%s: interrupted; recorded runs are kept: run the same command again "
                "to resume\n",
                s_cmd);
        rc = 1;
        goto done;
    }
    if (s_check_kpis(pl.db, &cs, sel) != 0) {
        rc = 2;
        goto done;
    }
    int n_hold = 0, n_all = 0;
    if (s_evaluate(&pl, &cs, sel, use, pts, o.com.quiet, &n_hold, &n_all, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, err);
        rc = 1;
        goto done;
    }
    if (ctx.failed) {
        fprintf(stderr, "%s: %d run%s failed (see %s/runs/*/log.txt)\n", s_cmd, ctx.failed,
                ctx.failed == 1 ? "" : "s", pl.root);
    }
    if (!o.com.quiet) {
        printf("\nresults: %s/check.db, %s/check.csv\n", pl.root, pl.root);
    }
    printf("%d of %d checks hold\n", n_hold, n_all);
    rc = n_hold == n_all && ctx.failed == 0 ? 0 : 1;
done:
    cx_exp_exec_destroy(&ex);
    cx_exp_plan_fini(&pl);
    cx_buf_fini(&def);
    cx_buf_fini(&key);
    cx_diags_fini(&d);
    cx_checks_fini(&cs);
    free(sel);
    free(use);
    free(pts);
    if (globbed) {
        globfree(&g);
    }
    return rc;
}
