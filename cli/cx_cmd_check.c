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

/* Check c judged on reps paired replicates: baseline point bp, scenario
 * point sp (-1 without a change). Returns 0 or -1 (out of memory). */
static int s_judge(cx_exp_db_t *db, const cx_check_t *c, int reps, long long bp, long long sp,
                   cx_check_result_t *res)
{
    double *b = malloc((size_t)reps * sizeof *b), *s = malloc((size_t)reps * sizeof *s);
    if (!b || !s) {
        free(b);
        free(s);
        return -1;
    }
    for (int r = 0; r < reps; r++) {
        if (c->has_ref) {
            b[r] = s_agg(db, bp, r, c->kpi, c->ref[0], c->ref[1], c->how);
            s[r] = s_agg(db, bp, r, c->kpi, c->window[0], c->window[1], c->how);
        } else {
            b[r] = s_agg(db, bp, r, c->kpi, c->window[0], c->window[1], c->how);
            s[r] = sp >= 0 ? s_agg(db, sp, r, c->kpi, c->window[0], c->window[1], c->how) : NAN;
        }
    }
    cx_check_evaluate(c, b, sp >= 0 || c->has_ref ? s : NULL, reps, res);
    free(b);
    free(s);
    return 0;
}

/* The row of check c in check.csv. */
static void s_csv_row(cx_buf_t *csv, const cx_check_t *c, const cx_check_result_t *res,
                      const char *st)
{
    char num[8][40];
    const double nv[6] = {res->base_mean, res->scen_mean, res->value, res->lo, res->hi, NAN};
    for (int k = 0; k < 5; k++) {
        snprintf(num[k], sizeof num[k], isnan(nv[k]) ? "" : "%.10g", nv[k]);
    }
    char tmp[32];
    s_csv(csv, c->name, false);
    s_csv(csv, c->file, false);
    s_csv(csv, c->kpi, false);
    s_csv(csv, cx_how_name(c->how), false);
    snprintf(tmp, sizeof tmp, "%d", c->window[0]);
    s_csv(csv, tmp, false);
    snprintf(tmp, sizeof tmp, "%d", c->window[1]);
    s_csv(csv, tmp, false);
    s_csv(csv, cx_expect_name(c->expect), false);
    s_csv(csv, st, false);
    snprintf(tmp, sizeof tmp, "%d", res->n);
    s_csv(csv, tmp, false);
    for (int k = 0; k < 5; k++) {
        s_csv(csv, num[k], false);
    }
    s_csv(csv, res->holds ? "true" : "false", false);
    s_csv(csv, c->source, true);
}

/* The printed row of check c (and what was expected when it fails). */
static void s_print_row(const cx_check_t *c, const cx_check_result_t *res, const char *st,
                        const char *what)
{
    double half = (res->hi - res->lo) / 2;
    int dec = s_decimals(half, res->value);
    bool sign = c->expect != CX_EXPECT_RATIO_BETWEEN && (c->has_change || c->has_ref);
    char v[40], lo[40], hi[40], kpi[80];
    s_fmt(v, sizeof v, res->value, dec, sign);
    s_fmt(lo, sizeof lo, res->lo, dec, sign);
    s_fmt(hi, sizeof hi, res->hi, dec, sign);
    snprintf(kpi, sizeof kpi, "%s%s%s", c->kpi, c->how == CX_HOW_MEAN ? "" : " ",
             c->how == CX_HOW_MEAN ? "" : cx_how_name(c->how));
    char ci[96];
    snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
    printf("  %-5s  %-60.60s %-18.18s %-5s %9s  %-22s %s\n", res->holds ? "holds" : "FAILS",
           c->name, kpi, what, v, ci, c->source);
    if (!res->holds) {
        printf("  %-5s  expected: %s (n = %d)\n", "", st, res->n);
    }
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
        cx_check_result_t res;
        if (s_judge(db, c, u->reps, bp, sp, &res) != 0) {
            snprintf(err, errlen, "out of memory");
            cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
            cx_buf_fini(&csv);
            return -1;
        }
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
        s_csv_row(&csv, c, &res, st);
        if (!quiet) {
            s_print_row(c, &res, st, what);
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

/* Everything a check command holds, released by s_state_fini. */
typedef struct {
    s_opts_t o;         /* the command line */
    glob_t g;           /* the default check files, when globbed */
    bool globbed;       /* g is to be freed */
    cx_checks_t cs;     /* the checks of every file */
    cx_diags_t d;       /* problems of the check files */
    bool *sel;          /* per check: selected (--quick) */
    int n_sel;          /* checks selected */
    s_use_t *use;       /* per check: its points and replicates */
    s_point_t *pts;     /* the experiment's points */
    int npts;           /* entries of pts used */
    cx_exp_plan_t pl;   /* the experiment */
    cx_exp_exec_t *ex;  /* the runner */
    cx_buf_t def, key;  /* the directory's definition; a point's key */
    char err[2048];     /* the last error */
} s_state_t;

static void s_state_fini(s_state_t *st)
{
    cx_exp_exec_destroy(&st->ex);
    cx_exp_plan_fini(&st->pl);
    cx_buf_fini(&st->def);
    cx_buf_fini(&st->key);
    cx_diags_fini(&st->d);
    cx_checks_fini(&st->cs);
    free(st->sel);
    free(st->use);
    free(st->pts);
    if (st->globbed) {
        globfree(&st->g);
    }
}

/* Without files named: every file of S_DEFAULT_GLOB, here or next to this
 * build's executable. Returns 0, or 2 (printed). */
static int s_default_files(s_state_t *st)
{
    s_opts_t *o = &st->o;
    glob_t *g = &st->g;
    int gr = glob(S_DEFAULT_GLOB, 0, NULL, g);
    st->globbed = true;
    if (gr != 0 || g->gl_pathc == 0) {
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
            globfree(g);
            memset(g, 0, sizeof *g);
            gr = glob(pat, 0, NULL, g);
        }
    }
    if (gr != 0 || g->gl_pathc == 0) {
        fprintf(stderr,
                "%s: no check file given and none in %s (run from the source tree, "
                "or name the files)\n",
                s_cmd, S_DEFAULT_GLOB);
        return 2;
    }
    for (size_t i = 0; i < g->gl_pathc && o->n_files < S_MAX_FILES; i++) {
        o->files[o->n_files++] = g->gl_pathv[i];
    }
    return 0;
}

/* LOAD: every check file, then the selection. Returns 0, or the exit
 * status (printed). */
static int s_load(s_state_t *st)
{
    bool bad = false;
    for (int f = 0; f < st->o.n_files; f++) {
        if (cx_checks_load_file(st->o.files[f], &st->cs, &st->d) != 0) {
            bad = true;
        }
    }
    if (bad) {
        cx_diags_print(stderr, &st->d);
        fprintf(stderr, "%s: %d error%s; nothing was run\n", s_cmd, st->d.n,
                st->d.n == 1 ? "" : "s");
        return 2;
    }
    int n = st->cs.n;
    st->sel = calloc((size_t)n + 1, sizeof *st->sel);
    st->use = calloc((size_t)n + 1, sizeof *st->use);
    st->pts = calloc(2 * (size_t)n + 1, sizeof *st->pts);
    if (!st->sel || !st->use || !st->pts) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        st->sel[i] = !st->o.quick || st->cs.items[i].quick;
        st->n_sel += st->sel[i];
    }
    if (st->n_sel == 0) {
        fprintf(stderr, "%s: no check is marked quick: true in the files given\n", s_cmd);
        return 2;
    }
    return 0;
}

/* The experiment's directory, named after what is checked, opened and
 * locked. Returns 0, or 1 (printed). */
static int s_open_dir(s_state_t *st, int argc, char **argv)
{
    s_opts_t *o = &st->o;
    char outbuf[PATH_MAX];
    const char *out = o->com.out;
    cx_buf_printf(&st->def, "check\nquick %d\nreplicates %d\nseed %s\n", o->quick,
                  o->com.replicates, o->com.seed ? o->com.seed : "-");
    for (int f = 0; f < o->n_files; f++) {
        char real[PATH_MAX];
        cx_buf_printf(&st->def, "%s\n", realpath(o->files[f], real) ? real : o->files[f]);
    }
    if (!out) {
        cx_exp_default_dir(outbuf, sizeof outbuf, "checks", o->quick ? "quick" : "all",
                           cx_buf_str(&st->def));
        out = outbuf;
    }
    if (cx_exp_plan_init(&st->pl, out, "check.db", st->err, sizeof st->err) != 0 ||
        cx_exp_plan_lock(&st->pl, st->err, sizeof st->err) != 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, st->err);
        return 1;
    }
    st->pl.seed = o->com.seed;
    st->pl.crn = true;
    cx_exp_cmd_meta(&st->pl, argc, argv, "check");
    cx_exp_db_meta_set(st->pl.db, "seeding", "common", st->err, sizeof st->err);
    return 0;
}

/* A side's key (its file, base seed and overrides) into st->key, and its
 * overrides as a JSON object into json (a later override of a key wins). */
static void s_side_key(s_state_t *st, const cx_check_t *c, uint64_t seed, const char *const *sets,
                       int n, cx_buf_t *json)
{
    char real[PATH_MAX];
    cx_buf_reset(&st->key);
    cx_buf_printf(&st->key, "check\n%s\nseed %llu",
                  realpath(c->scenario, real) ? real : c->scenario, (unsigned long long)seed);
    cx_buf_printf(json, "{");
    bool first = true;
    for (int k = 0; k < n; k++) {
        cx_buf_printf(&st->key, "\n%s", sets[k]);
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
        cx_buf_printf(json, "%s", first ? "" : ", ");
        first = false;
        cx_json_text(json, kk);
        cx_buf_printf(json, ": ");
        cx_exp_buf_json_value(json, eq + 1);
    }
    cx_buf_printf(json, "}");
}

/* The point of a side: an existing one with the same key, or a new one.
 * Returns its index in st->pts, or -1 (printed, counted in *errors). */
static int s_side_point(s_state_t *st, const cx_check_t *c, int side, uint64_t seed,
                        const char *const *sets, int n, int *errors)
{
    cx_buf_t json;
    cx_buf_init(&json);
    s_side_key(st, c, seed, sets, n, &json);
    int found = -1;
    for (int p = 0; p < st->npts && found < 0; p++) {
        if (strcmp(st->pl.point[st->pts[p].pi].key, cx_buf_str(&st->key)) == 0) {
            found = p;
        }
    }
    if (found < 0) {
        char label[200];
        snprintf(label, sizeof label, "%s (%s)", c->name, side ? "scenario" : "baseline");
        bool oom = st->key.oom || json.oom;
        int pi = oom ? -1
                     : cx_exp_plan_point_add(&st->pl, c->scenario, label, cx_buf_str(&st->key),
                                             (char *const *)sets, n, cx_buf_str(&json), st->err,
                                             sizeof st->err);
        if (pi < 0) {
            fprintf(stderr, "%s:%d:%d: error: %s: %s\n", c->file, c->at.line, c->at.column,
                    c->path, oom ? "out of memory" : st->err);
            (*errors)++;
            cx_buf_fini(&json);
            return -1;
        }
        st->pl.point[pi].base_seed = seed;
        st->pts[st->npts] = (s_point_t){pi, 0};
        found = st->npts++;
    }
    cx_buf_fini(&json);
    return found;
}

/* PLAN for check i: its sides, each validated and made a point. Problems
 * are printed and counted in *errors. */
static void s_plan_check(s_state_t *st, int i, int *errors)
{
    const cx_check_t *c = &st->cs.items[i];
    s_use_t *u = &st->use[i];
    u->reps = st->o.com.replicates ? st->o.com.replicates : c->replicates;
    u->scen = -1;
    uint64_t seed = 0;
    for (int side = 0; side < (c->has_change ? 2 : 1); side++) {
        const char *sets[2 * CX_CHECK_MAX_SETS + 2];
        char *tl = NULL;
        int n = s_side_sets(c, side == 1, sets, &tl);
        uint64_t own = 0;
        if (n < 0 || s_validate_side(c, side == 1, sets, n, st->o.com.seed, &own, errors) != 0) {
            if (n < 0) {
                fprintf(stderr, "%s: out of memory\n", s_cmd);
                (*errors)++;
            }
            free(tl);
            return;
        }
        if (side == 0) {
            seed = own;
        }
        /* A point is its file, its overrides and its base seed: the
         * scenario side runs with the baseline's seeds (common random
         * numbers). */
        int found = s_side_point(st, c, side, seed, sets, n, errors);
        free(tl);
        if (found < 0) {
            return;
        }
        if (st->pts[found].needed < u->reps) {
            st->pts[found].needed = u->reps;
        }
        if (side == 0) {
            u->base = found;
        } else {
            u->scen = found;
        }
    }
}

/* RUN: queues the replicates not yet recorded and runs them. Returns 0, or
 * the exit status (printed); *failed counts runs that failed. */
static int s_run(s_state_t *st, int *failed)
{
    const s_opts_t *o = &st->o;
    bool tty = isatty(2) != 0;
    st->ex = cx_exp_exec_new(st->pl.exe, st->pl.root, o->com.engine, o->com.jobs, tty);
    if (!st->ex) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        return 1;
    }
    int todo = 0, total = 0;
    for (int p = 0; p < st->npts; p++) {
        int q = 0;
        int qr = cx_exp_plan_queue(&st->pl, st->pts[p].pi, 0, st->pts[p].needed, st->ex, &q,
                                   st->err, sizeof st->err);
        if (qr != 0) {
            fprintf(stderr, "%s: %s\n", s_cmd, st->err);
            return qr == 2 ? 2 : 1;
        }
        todo += q;
        total += st->pts[p].needed;
    }
    if (!o->com.quiet) {
        printf("check %s: %d check%s, %d scenario%s x replicates = %d runs: %d to do, %lld "
               "already done; %d at a time, engine %s\n",
               st->pl.root, st->n_sel, st->n_sel == 1 ? "" : "s", st->npts,
               st->npts == 1 ? "" : "s", total, todo, st->pl.skipped, o->com.jobs, o->com.engine);
        fflush(stdout);
    }
    s_ctx_t ctx = {&st->pl, tty, 0};
    int lr = cx_exp_exec_loop(st->ex, s_done, &ctx, &s_stop, st->err, sizeof st->err);
    *failed = ctx.failed;
    if (lr < 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, st->err);
        return 1;
    }
    if (lr == 1) {
        fprintf(stderr,
                "%s: interrupted; recorded runs are kept: run the same command again "
                "to resume\n",
                s_cmd);
        return 1;
    }
    return 0;
}

/* LOAD, PLAN, RUN, EVALUATE (the diagram at the top). */
static int s_check(s_state_t *st, int argc, char **argv)
{
    int rc = s_load(st);
    if (rc != 0) {
        return rc;
    }
    if (s_open_dir(st, argc, argv) != 0) {
        return 1;
    }
    int errors = 0;
    for (int i = 0; i < st->cs.n; i++) {
        if (st->sel[i]) {
            s_plan_check(st, i, &errors);
        }
    }
    if (errors) {
        fprintf(stderr, "%s: %d error%s; nothing was run\n", s_cmd, errors, errors == 1 ? "" : "s");
        return 2;
    }
    int failed = 0;
    if ((rc = s_run(st, &failed)) != 0) {
        return rc;
    }
    if (s_check_kpis(st->pl.db, &st->cs, st->sel) != 0) {
        return 2;
    }
    int n_hold = 0, n_all = 0;
    if (s_evaluate(&st->pl, &st->cs, st->sel, st->use, st->pts, st->o.com.quiet, &n_hold, &n_all,
                   st->err, sizeof st->err) != 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, st->err);
        return 1;
    }
    if (failed) {
        fprintf(stderr, "%s: %d run%s failed (see %s/runs/*/log.txt)\n", s_cmd, failed,
                failed == 1 ? "" : "s", st->pl.root);
    }
    if (!st->o.com.quiet) {
        printf("\nresults: %s/check.db, %s/check.csv\n", st->pl.root, st->pl.root);
    }
    printf("%d of %d checks hold\n", n_hold, n_all);
    return n_hold == n_all && failed == 0 ? 0 : 1;
}

int cx_cmd_check(int argc, char **argv)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        return 1;
    }
    if (s_parse(argc, argv, &st->o) != 0) {
        fprintf(stderr, "try 'cxsim check --help'\n");
        free(st);
        return 2;
    }
    cx_checks_init(&st->cs);
    cx_diags_init(&st->d);
    st->pl.lock_fd = -1;
    cx_buf_init(&st->def);
    cx_buf_init(&st->key);
    int rc = st->o.n_files == 0 ? s_default_files(st) : 0;
    if (rc == 0) {
        cx_signals_on_stop(s_on_signal);
        rc = s_check(st, argc, argv);
    }
    s_state_fini(st);
    free(st);
    return rc;
}
