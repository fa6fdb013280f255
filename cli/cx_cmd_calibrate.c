/*  cxsim calibrate — fits model parameters so that the simulated KPI series
 *  match an observed one (docs/EXPERIMENTS.md, "Calibration").
 *
 *      PARSE --> PARAMETERS (--params) checked against the model's table
 *        --> LOAD the scenario with --set/--seed/--ticks: the start values
 *            and the run's ticks; the observed file (cx_calib_obs_load:
 *            FILE:LINE errors) and the KPIs fitted (--kpi, default every
 *            column of the file)
 *        --> SEARCH: Nelder–Mead in the parameters' ranges (cx_calib_nm).
 *            Each evaluation of theta is a point of the experiment
 *            (overrides model.NAME=VALUE) with R replicates under common
 *            random numbers, run through cx_exp_plan / cx_exp_exec like a
 *            sweep's: identical theta, identical runs, nothing re-run
 *        --> UNCERTAINTY of each fitted parameter: the objective's
 *            curvature at the best point (cx_calib_unc), no new run
 *        --> DIR/calibration.db (runs, kpis, ... and the evaluations,
 *            eval_params, eval_kpis, result and uncertainty tables),
 *            calibration.csv, calibrated.yaml (cx_scenario_emit of the
 *            scenario with the best theta), the printed summary
 *
 *  Ownership: everything is freed before returning. Exit status: 0 the
 *  search ran with every run completed; 1 a run failed, the command was
 *  interrupted or a file could not be written; 2 invalid input (option,
 *  parameter, KPI, observed file, an override that does not validate).
 */
#include "cx_cmd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_exp_calib.h"
#include "cx_exp_calib_unc.h"
#include "cx_exp_cmd.h"
#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_sens.h"
#include "cx_exp_util.h"
#include "cx_load.h"
#include "cx_output.h"
#include "cx_params.h"
#include "cx_proc.h"
#include "cx_signals.h"
#include "cx_version.h"

#define C_MAX_SETS 16 /* --set options */
#define C_STEP 0.1    /* initial simplex: share of each range */
#define C_XTOL 1e-3   /* converged: simplex within this share of each range */

static const char s_cmd[] = "cxsim calibrate";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim calibrate SCENARIO.yaml --observed FILE.csv --params A,B,... [options]\n"
            "\n"
            "Fits model parameters so that the simulated KPI series match an observed one:\n"
            "Nelder-Mead in the parameters' ranges (trial points clamped into them), from the\n"
            "scenario's values, minimising J = sum over KPIs of MSE / variance of the observed\n"
            "series, the simulated series being the mean of R replicates with common random\n"
            "numbers (the same R seeds at every point).\n"
            "\n"
            "FILE.csv: a header tick,<kpi>,<kpi>... (kpis.csv columns), one row per observed\n"
            "tick (sparse ticks allowed; an empty cell is not observed).\n"
            "\n"
            "options:\n"
            "  --observed FILE       the observed series (required)\n"
            "  --params A,B,...      model parameters to fit (names of docs/MODEL.md)\n"
            "  --kpi K,K,...         KPIs fitted (default: every column of FILE)\n"
            "  --replicates R        replicates per evaluation, R >= 1 (default 3)\n"
            "  --max-evals N         evaluations at most (default 40)\n"
            "  --set KEY=VALUE       override at every point (repeatable)\n"
            "  --seed N              base seed (default: the scenario's)\n"
            "  --ticks N             ticks per run (default: the scenario file's)\n"
            "  --jobs J              runs at once (default: the number of cores)\n"
            "  --engine E            in-process (default) or processes\n"
            "  --backend slurm       each batch of runs as one sbatch array job, waited for\n"
            "  --slurm-opt OPT       an sbatch option for those jobs, repeatable\n"
            "  --slurm-tasks N       array tasks per job (default: about 60 s a task)\n"
            "  --out DIR             directory (default calibration/NAME-HASH; a re-run\n"
            "                        re-uses its runs)\n"
            "  --quiet               no per-evaluation lines\n"
            "\n"
            "exit status: 0 success, 1 a run failed, 2 invalid input\n");
}

typedef struct {
    const char *scenario;
    const char *observed;
    const char *params;
    const char *kpis;
    const char *sets[C_MAX_SETS];
    int n_sets;
    int max_evals;
    cx_exp_common_t com; /* --replicates, --jobs, --seed, --ticks, --engine, --out, --quiet */
} c_opts_t;

static int s_parse(int argc, char **argv, c_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->com.replicates = 3;
    o->max_evals = 40;
    o->com.engine = "in-process";
    enum { O_HELP, O_OBSERVED, O_PARAMS, O_KPI, O_SET, O_MAX_EVALS };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP},   {"--observed", NULL, true, O_OBSERVED},
        {"--params", NULL, true, O_PARAMS}, {"--kpi", NULL, true, O_KPI},
        {"--set", NULL, true, O_SET},       {"--max-evals", NULL, true, O_MAX_EVALS},
        CX_EXP_COMMON_OPTS,
    };
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        long long n;
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            exit(0);
        case O_OBSERVED:
            o->observed = v;
            break;
        case O_PARAMS:
            o->params = v;
            break;
        case O_KPI:
            o->kpis = v;
            break;
        case O_SET:
            if (cx_exp_cmd_add_set(s_cmd, o->sets, &o->n_sets, C_MAX_SETS, v) != 0) {
                return -1;
            }
            break;
        case O_MAX_EVALS:
            if (cx_exp_cmd_int(s_cmd, "--max-evals", v, 1, 100000, &n) != 0) {
                return -1;
            }
            o->max_evals = (int)n;
            break;
        case CX_OPTS_ERROR:
            return -1;
        case CX_OPTS_POSITIONAL:
            if (cx_exp_cmd_positional(s_cmd, v, false, &o->scenario) != 0) {
                return -1;
            }
            break;
        default:
            if (cx_exp_cmd_common_opt(s_cmd, id, v, &o->com, 1, 10000) < 0) {
                return -1;
            }
            break;
        }
    }
    if (cx_exp_cmd_finish(s_cmd, o->scenario, &o->com) != 0) {
        return -1;
    }
    if (!o->observed) {
        fprintf(stderr, "cxsim calibrate: --observed FILE.csv is required\n");
        return -1;
    }
    if (!o->params) {
        fprintf(stderr, "cxsim calibrate: --params NAME,NAME,... is required\n");
        return -1;
    }
    return 0;
}

/* --params as indices into the parameter table. Returns how many, or -1
 * after a message. */
static int s_params(const char *list, int *idx)
{
    char *names[CX_CALIB_MAX_PARAMS];
    int n = cx_exp_cmd_split(list, names, CX_CALIB_MAX_PARAMS, s_cmd, "--params");
    if (n < 0) {
        return -1;
    }
    int rc = cx_exp_cmd_params(s_cmd, names, n, idx);
    for (int i = 0; i < n; i++) {
        free(names[i]);
    }
    return rc;
}

/* One evaluation as recorded. */
typedef struct {
    long long point; /* point id, -1 when theta did not validate */
    double x[CX_CALIB_MAX_PARAMS];
    double f;                       /* objective (+inf: infeasible) */
    double rmse[CX_CALIB_MAX_KPIS]; /* per fitted KPI */
    double term[CX_CALIB_MAX_KPIS];
    bool reused; /* every run was already recorded */
} c_eval_t;

typedef struct {
    const c_opts_t *o;
    cx_exp_plan_t *pl;
    cx_exp_exec_t *ex;
    const cx_calib_obs_t *obs;
    const int *cols;                /* fitted KPI columns of obs */
    int nc;                         /* how many */
    const char *const *pname;       /* parameter names */
    int np;                         /* how many */
    int ticks;                      /* run ticks */
    bool tty;                       /* progress on stderr */
    int *tbuf;                      /* ticks series buffer (ticks entries) */
    double *vbuf;                   /* values series buffer */
    double *sim;                    /* R x nc x n_obs */
    c_eval_t *ev;                   /* evaluations (max_evals) */
    int n_ev;                       /* used */
    int failed;                     /* runs failed */
    int ran;                        /* runs started */
    long long reused;               /* runs found already recorded */
    long long base_seed;            /* the first point's seed */
    int rc;                         /* exit status when the search aborted */
    char err[2048];                 /* why it aborted */
    int best;                       /* index of the best evaluation (after the search) */
    int iterations;                 /* Nelder-Mead iterations completed */
    bool have_unc;                  /* the uncertainty was computed */
    double u_lo[CX_CALIB_MAX_PARAMS], u_hi[CX_CALIB_MAX_PARAMS]; /* 95% interval (NaN: none) */
    double u_sd[CX_CALIB_MAX_PARAMS]; /* and standard error, per parameter */
} c_ctx_t;

static int s_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok, const char *reason)
{
    (void)ex;
    c_ctx_t *c = ud;
    return cx_exp_cmd_run_done(s_cmd, c->pl, run, ok, reason, c->tty, &c->failed);
}

/* The overrides of a point: the --set options (without those of the fitted
 * parameters) then model.NAME=VALUE for each fitted parameter. own holds
 * the text of the latter (np x 160 bytes). Returns how many. */
static int s_sets(const c_opts_t *o, const char *const *pname, int np, const double *x,
                  char (*own)[160], const char **sets)
{
    int n = 0;
    for (int i = 0; i < o->n_sets; i++) {
        bool fitted = false;
        for (int p = 0; p < np && !fitted; p++) {
            size_t l = strlen(pname[p]);
            fitted = strncmp(o->sets[i], "model.", 6) == 0 &&
                     strncmp(o->sets[i] + 6, pname[p], l) == 0 && o->sets[i][6 + l] == '=';
        }
        if (!fitted) {
            sets[n++] = o->sets[i];
        }
    }
    for (int p = 0; p < np; p++) {
        char v[32];
        cx_exp_sens_fmt(v, sizeof v, x[p]);
        snprintf(own[p], 160, "model.%s=%s", pname[p], v);
        sets[n++] = own[p];
    }
    return n;
}

static void s_theta_json(cx_buf_t *b, const char *const *pname, int np, const double *x)
{
    cx_buf_printf(b, "{");
    for (int p = 0; p < np; p++) {
        cx_buf_printf(b, "%s", p ? ", " : "");
        cx_json_text(b, pname[p]);
        cx_buf_printf(b, ": %.12g", x[p]);
    }
    cx_buf_printf(b, "}");
}

/* Records evaluation e (index i) in the database. */
static int s_record(c_ctx_t *c, int i, char *err, size_t errlen)
{
    const c_eval_t *e = &c->ev[i];
    cx_buf_t b;
    cx_buf_init(&b);
    s_theta_json(&b, c->pname, c->np, e->x);
    double f = isfinite(e->f) ? e->f : NAN;
    double v[3] = {i + 1, e->point >= 0 ? (double)e->point : NAN, f};
    int rc = b.oom ? -1
                   : cx_exp_db_exec_bind(c->pl->db,
                                         "INSERT OR REPLACE INTO evaluations(eval, point, objective, "
                                         "theta) VALUES(?2, ?3, ?4, ?1)",
                                         cx_buf_str(&b), v, 3, err, errlen);
    cx_buf_fini(&b);
    for (int p = 0; p < c->np && rc == 0; p++) {
        double pv[2] = {i + 1, e->x[p]};
        rc = cx_exp_db_exec_bind(c->pl->db,
                                 "INSERT OR REPLACE INTO eval_params(eval, parameter, value) "
                                 "VALUES(?2, ?1, ?3)",
                                 c->pname[p], pv, 2, err, errlen);
    }
    for (int k = 0; k < c->nc && rc == 0 && e->point >= 0; k++) {
        int col = c->cols[k];
        double kv[5] = {i + 1, e->rmse[k] * e->rmse[k], e->rmse[k],
                        cx_calib_scale(c->obs, col), e->term[k]};
        rc = cx_exp_db_exec_bind(c->pl->db,
                                 "INSERT OR REPLACE INTO eval_kpis(eval, kpi, mse, rmse, scale, "
                                 "term) VALUES(?2, ?1, ?3, ?4, ?5, ?6)",
                                 c->obs->kpi[col], kv, 5, err, errlen);
    }
    return rc;
}

/* The objective at x: one point, R replicates, run and read back. */
/* Reads evaluation e's simulated values at the observed ticks into c->sim.
 * Returns 0, or -1 (c->err, c->rc). */
static int s_series(c_ctx_t *c, c_eval_t *e)
{
    int no = c->obs->n_obs, R = c->o->com.replicates;
    for (int r = 0; r < R; r++) {
        for (int k = 0; k < c->nc; k++) {
            const char *kpi = c->obs->kpi[c->cols[k]];
            int got = cx_exp_db_series(c->pl->db, e->point, r, kpi, c->tbuf, c->vbuf, c->ticks);
            if (got < 0 || got > c->ticks) {
                snprintf(c->err, sizeof c->err, "cannot read %s of point %lld replicate %d", kpi,
                         e->point, r);
                c->rc = 1;
                return -1;
            }
            double *dst = c->sim + ((size_t)r * (size_t)c->nc + (size_t)k) * (size_t)no;
            if (cx_calib_pick(c->tbuf, c->vbuf, got, c->obs->tick, no, dst) != 0) {
                snprintf(c->err, sizeof c->err,
                         "point %lld replicate %d: the run has no row for an observed tick",
                         e->point, r);
                c->rc = 1;
                return -1;
            }
        }
    }
    return 0;
}

static int s_objective(void *ud, const double *x, double *f)
{
    c_ctx_t *c = ud;
    const c_opts_t *o = c->o;
    cx_exp_plan_t *pl = c->pl;
    if (c->n_ev >= o->max_evals) {
        snprintf(c->err, sizeof c->err, "internal: evaluation budget exceeded");
        c->rc = 1;
        return -1;
    }
    c_eval_t *e = &c->ev[c->n_ev];
    memset(e, 0, sizeof *e);
    memcpy(e->x, x, (size_t)c->np * sizeof *x);
    e->f = INFINITY;
    e->point = -1;

    char own[CX_CALIB_MAX_PARAMS][160];
    const char *sets[C_MAX_SETS + CX_CALIB_MAX_PARAMS];
    int n = s_sets(o, c->pname, c->np, x, own, sets);
    char real[PATH_MAX];
    cx_buf_t key, json;
    cx_buf_init(&key);
    cx_buf_init(&json);
    cx_buf_printf(&key, "calibrate\n%s", realpath(o->scenario, real) ? real : o->scenario);
    cx_buf_printf(&json, "{");
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(sets[i], '=');
        char k[256];
        snprintf(k, sizeof k, "%.*s", (int)(eq - sets[i]), sets[i]);
        cx_buf_printf(&key, "\n%s", sets[i]);
        cx_buf_printf(&json, "%s", i ? ", " : "");
        cx_json_text(&json, k);
        cx_buf_printf(&json, ": ");
        cx_exp_buf_json_value(&json, eq + 1);
    }
    cx_buf_printf(&json, "}");
    int pi = -1;
    if (key.oom || json.oom) {
        snprintf(c->err, sizeof c->err, "out of memory");
    } else {
        pi = cx_exp_plan_point_add(pl, o->scenario, "eval", cx_buf_str(&key),
                                   (char *const *)sets, n, cx_buf_str(&json), c->err,
                                   sizeof c->err);
    }
    cx_buf_fini(&key);
    cx_buf_fini(&json);
    if (pi == -2 && c->n_ev > 0) {
        /* A trial point the scenario rejects (a constraint between
         * parameters): infeasible, worse than any other. */
        fprintf(stderr, "cxsim calibrate: evaluation %d: %s: treated as infeasible\n",
                c->n_ev + 1, c->err);
        c->n_ev++;
        *f = INFINITY;
        return s_record(c, c->n_ev - 1, c->err, sizeof c->err) == 0 ? 0 : (c->rc = 1, -1);
    }
    if (pi < 0) {
        c->rc = pi == -2 ? 2 : 1;
        return -1;
    }
    if (c->n_ev == 0) {
        c->base_seed = (long long)pl->point[pi].base_seed;
    }
    pl->point[pi].base_seed = (uint64_t)c->base_seed; /* common random numbers */
    int todo = 0;
    long long skipped0 = pl->skipped;
    int qr = cx_exp_plan_queue(pl, pi, 0, o->com.replicates, c->ex, &todo, c->err, sizeof c->err);
    if (qr != 0) {
        c->rc = qr == 2 ? 2 : 1;
        return -1;
    }
    c->reused += pl->skipped - skipped0;
    if (o->com.replicates > cx_exp_db_planned(pl->db, pl->point[pi].id)) {
        cx_exp_db_set_planned(pl->db, pl->point[pi].id, o->com.replicates, c->err, sizeof c->err);
    }
    int failed0 = c->failed;
    int lr = cx_exp_cmd_loop(&c->o->com, c->ex, c->pl, s_done, c, &s_stop, c->err, sizeof c->err);
    c->ran += todo;
    if (lr != 0) {
        if (lr == 1) {
            snprintf(c->err, sizeof c->err,
                     "interrupted; recorded runs are kept: run the same command again to resume");
        }
        c->rc = 1;
        return -1;
    }
    if (c->failed > failed0) {
        snprintf(c->err, sizeof c->err, "evaluation %d: %d run%s failed (see the runs' log.txt)",
                 c->n_ev + 1, c->failed - failed0, c->failed - failed0 == 1 ? "" : "s");
        c->rc = 1;
        return -1;
    }
    e->point = pl->point[pi].id;
    e->reused = todo == 0;
    if (s_series(c, e) != 0) {
        return -1;
    }
    double mse[CX_CALIB_MAX_KPIS];
    e->f = cx_calib_objective(c->obs, c->cols, c->nc, c->sim, o->com.replicates, mse, e->rmse,
                              e->term);
    if (isnan(e->f)) {
        e->f = INFINITY;
    }
    *f = e->f;
    c->n_ev++;
    if (s_record(c, c->n_ev - 1, c->err, sizeof c->err) != 0) {
        c->rc = 1;
        return -1;
    }
    if (!o->com.quiet) {
        printf("eval %3d ", c->n_ev);
        for (int p = 0; p < c->np; p++) {
            char v[32];
            cx_exp_sens_fmt(v, sizeof v, x[p]);
            printf(" %s=%s", c->pname[p], v);
        }
        printf("  objective %.6g%s\n", e->f, e->reused ? "  (runs re-used)" : "");
        fflush(stdout);
    }
    return 0;
}

static const char *const s_schema =
    "CREATE TABLE IF NOT EXISTS evaluations(eval INTEGER PRIMARY KEY, point INTEGER, "
    "objective REAL, theta TEXT);"
    "CREATE TABLE IF NOT EXISTS eval_params(eval INTEGER, parameter TEXT, value REAL, "
    "PRIMARY KEY(eval, parameter));"
    "CREATE TABLE IF NOT EXISTS eval_kpis(eval INTEGER, kpi TEXT, mse REAL, rmse REAL, "
    "scale REAL, term REAL, PRIMARY KEY(eval, kpi));"
    "CREATE TABLE IF NOT EXISTS result(best_eval INTEGER, objective REAL, start_objective REAL, "
    "evaluations INTEGER, iterations INTEGER, stop_reason TEXT, theta TEXT);"
    "DELETE FROM evaluations; DELETE FROM eval_params; DELETE FROM eval_kpis; DELETE FROM result;";

static void s_meta(cx_exp_plan_t *pl, int argc, char **argv, const c_opts_t *o, const char *obs,
                   const char *kpis)
{
    cx_exp_cmd_meta(pl, argc, argv, "calibration");
    char err[512], num[64];
    cx_exp_db_meta_set(pl->db, "seeding", "common", err, sizeof err);
    cx_exp_db_meta_set(pl->db, "ticks", o->com.ticks ? o->com.ticks : "scenario", err, sizeof err);
    cx_exp_db_meta_set(pl->db, "observed", obs, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "scenario", o->scenario, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "kpis", kpis, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "params", o->params, err, sizeof err);
    snprintf(num, sizeof num, "%d", o->com.replicates);
    cx_exp_db_meta_set(pl->db, "replicates", num, err, sizeof err);
}

/* Loads the scenario with the --set options (plus extra), --seed and
 * --ticks into *sc. Returns 0, or 2 after printing the diagnostics. */
static int s_load(const c_opts_t *o, const char *const *extra, int n_extra, cx_scenario_t *sc)
{
    const char *sets[C_MAX_SETS + CX_CALIB_MAX_PARAMS + 1];
    int n = 0;
    if (extra) {
        for (int i = 0; i < n_extra; i++) {
            sets[n++] = extra[i];
        }
    } else {
        for (int i = 0; i < o->n_sets; i++) {
            sets[n++] = o->sets[i];
        }
    }
    char sbuf[64];
    if (o->com.seed) {
        snprintf(sbuf, sizeof sbuf, "seed=%s", o->com.seed);
        sets[n++] = sbuf;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_file(o->scenario, sets, n, sc, &d);
    cx_diags_print(stderr, &d);
    cx_diags_fini(&d);
    if (rc != 0) {
        return 2;
    }
    if (o->com.ticks && cx_scenario_set_ticks(sc, atoi(o->com.ticks)) < 0) {
        fprintf(stderr, "cxsim calibrate: --ticks %s is out of range\n", o->com.ticks);
        return 2;
    }
    return 0;
}

/* calibration.csv: one row per evaluation. Returns 0, or -1 after a
 * message. */
static int s_write_csv(const c_ctx_t *c, char **kpis, const char *root)
{
    int np = c->np, nk = c->nc;
    cx_buf_t csv;
    cx_buf_init(&csv);
    cx_buf_printf(&csv, "eval,point");
    for (int p = 0; p < np; p++) {
        cx_buf_printf(&csv, ",%s", c->pname[p]);
    }
    cx_buf_printf(&csv, ",objective");
    for (int k = 0; k < nk; k++) {
        cx_buf_printf(&csv, ",rmse_%s,term_%s", kpis[k], kpis[k]);
    }
    cx_buf_printf(&csv, "\n");
    for (int i = 0; i < c->n_ev; i++) {
        const c_eval_t *e = &c->ev[i];
        cx_buf_printf(&csv, "%d,", i + 1);
        if (e->point >= 0) {
            cx_buf_printf(&csv, "%lld", e->point);
        }
        for (int p = 0; p < np; p++) {
            cx_buf_printf(&csv, ",%.12g", e->x[p]);
        }
        cx_buf_printf(&csv, isfinite(e->f) ? ",%.10g" : ",", e->f);
        for (int k = 0; k < nk; k++) {
            if (e->point >= 0) {
                cx_buf_printf(&csv, ",%.10g,%.10g", e->rmse[k], e->term[k]);
            } else {
                cx_buf_printf(&csv, ",,");
            }
        }
        cx_buf_printf(&csv, "\n");
    }
    char path[4300];
    snprintf(path, sizeof path, "%.4000s/calibration.csv", root);
    int rc = 0;
    if (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0) {
        fprintf(stderr, "cxsim calibrate: cannot write %s\n", path);
        rc = -1;
    }
    cx_buf_fini(&csv);
    return rc;
}

/* The uncertainty of each fitted parameter from the curvature of the
 * objective at the optimum (cx_calib_unc), into c->u_* and the table
 * `uncertainty` (NULL interval where it is undefined). Returns 0, or -1
 * after a message. */
static int s_uncertainty(c_ctx_t *c, cx_exp_plan_t *pl, const double *lo, const double *hi)
{
    char err[512];
    if (cx_exp_db_exec(pl->db,
                       "DROP TABLE IF EXISTS uncertainty; CREATE TABLE uncertainty(parameter TEXT PRIMARY KEY, "
                       "best REAL, method TEXT, n_values INTEGER, se REAL, ci_low REAL, "
                       "ci_high REAL);",
                       err, sizeof err) != 0) {
        fprintf(stderr, "cxsim calibrate: %s\n", err);
        return -1;
    }
    int nv = cx_calib_obs_count(c->obs, c->cols, c->nc);
    double *x = malloc((size_t)c->n_ev * (size_t)c->np * sizeof *x);
    double *f = malloc((size_t)c->n_ev * sizeof *f);
    for (int i = 0; x && f && i < c->n_ev; i++) {
        memcpy(x + (size_t)i * (size_t)c->np, c->ev[i].x, (size_t)c->np * sizeof *x);
        f[i] = c->ev[i].f;
    }
    int rc = x && f ? cx_calib_unc(x, f, c->n_ev, c->np, c->best, lo, hi, nv, c->u_sd, c->u_lo,
                                   c->u_hi)
                    : -1;
    free(x);
    free(f);
    if (rc != 0) {
        fprintf(stderr, "cxsim calibrate: out of memory\n");
        return -1;
    }
    c->have_unc = true;
    for (int p = 0; p < c->np && rc == 0; p++) {
        double v[5] = {c->ev[c->best].x[p], nv, c->u_sd[p], c->u_lo[p], c->u_hi[p]};
        rc = cx_exp_db_exec_bind(pl->db,
                                 "INSERT INTO uncertainty VALUES(?1, ?2, 'curvature', ?3, ?4, "
                                 "?5, ?6)",
                                 c->pname[p], v, 5, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "cxsim calibrate: cannot record the uncertainty: %s\n", err);
    }
    return rc;
}

/* The result row. Returns 0, or -1 after a message. */
static int s_write_result(const c_ctx_t *c, const char *stop)
{
    char err[2048];
    cx_buf_t th, sql;
    cx_buf_init(&th);
    cx_buf_init(&sql);
    int bi = c->best;
    s_theta_json(&th, c->pname, c->np, c->ev[bi].x);
    cx_buf_printf(&sql,
                  "INSERT INTO result(best_eval, objective, start_objective, evaluations, "
                  "iterations, stop_reason, theta) VALUES(?2, ?3, ?4, ?5, ?6, '%s', ?1)",
                  stop); /* static strings */
    double v[5] = {bi + 1, isfinite(c->ev[bi].f) ? c->ev[bi].f : NAN,
                   isfinite(c->ev[0].f) ? c->ev[0].f : NAN, c->n_ev, c->iterations};
    int dr = th.oom || sql.oom ? -1
                               : cx_exp_db_exec_bind(c->pl->db, cx_buf_str(&sql),
                                                     cx_buf_str(&th), v, 5, err, sizeof err);
    cx_buf_fini(&th);
    cx_buf_fini(&sql);
    if (dr != 0) {
        fprintf(stderr, "cxsim calibrate: cannot record the result: %s\n",
                th.oom || sql.oom ? "out of memory" : err);
    }
    return dr;
}

/* calibrated.yaml: the scenario loaded with the best values, emitted
 * (*yaml gets the text, the caller's to free). Returns 0, or -1. */
static int s_write_calibrated(const c_opts_t *o, const c_ctx_t *c, cx_scenario_t *sc, char **yaml)
{
    char own[CX_CALIB_MAX_PARAMS][160];
    const char *sets[C_MAX_SETS + CX_CALIB_MAX_PARAMS];
    int n = s_sets(o, c->pname, c->np, c->ev[c->best].x, own, sets);
    size_t len = 0;
    if (s_load(o, sets, n, sc) != 0 || cx_scenario_emit(sc, yaml, &len) != 0) {
        fprintf(stderr, "cxsim calibrate: cannot build the calibrated scenario\n");
        return -1;
    }
    char path[4300];
    snprintf(path, sizeof path, "%.4000s/calibrated.yaml", c->pl->root);
    if (cx_write_atomic(path, *yaml, len) != 0) {
        fprintf(stderr, "cxsim calibrate: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* The printed summary. */
static void s_summary(const c_ctx_t *c, int nr, const cx_calib_nm_result_t *res, double secs,
                      const double *lo, const double *hi, char **kpis)
{
    int bi = c->best, np = c->np;
    printf("%s after %d evaluation%s (%d iteration%s) in %.1f s: %d run%s, %lld re-used\n",
           nr == 1                               ? "stopped (aborted)"
           : strcmp(res->stop, "converged") == 0 ? "converged"
                                                 : "stopped at --max-evals",
           c->n_ev, c->n_ev == 1 ? "" : "s", res->iterations, res->iterations == 1 ? "" : "s",
           secs, c->ran, c->ran == 1 ? "" : "s", c->reused);
    int w = 9;
    for (int p = 0; p < np; p++) {
        int l = (int)strlen(c->pname[p]);
        w = l > w ? l : w;
    }
    printf("%-*s %14s %14s  %-26s %s\n", w, "parameter", "start", "best", "95% interval",
           "range");
    for (int p = 0; p < np; p++) {
        char a[32], b[32], u[64] = "n/a (flat or too few points)";
        cx_exp_sens_fmt(a, sizeof a, c->ev[0].x[p]);
        cx_exp_sens_fmt(b, sizeof b, c->ev[bi].x[p]);
        if (c->have_unc && !isnan(c->u_lo[p])) {
            snprintf(u, sizeof u, "[%.4g, %.4g]", c->u_lo[p], c->u_hi[p]);
        }
        printf("%-*s %14s %14s  %-26s [%g, %g]\n", w, c->pname[p], a, b, u, lo[p], hi[p]);
    }
    printf("(95%% interval: from the curvature of the objective at the best point, fitted to the "
           "evaluations nearest it, and the residual variance; docs/EXPERIMENTS.md)\n");
    printf("objective %.6g at the start, %.6g at the best (evaluation %d)\n", c->ev[0].f,
           c->ev[bi].f, bi + 1);
    printf("%-*s %14s %14s  %s\n", w, "KPI", "RMSE start", "RMSE best", "observed sd");
    for (int k = 0; k < c->nc; k++) {
        printf("%-*s %14.6g %14.6g  %.6g\n", w, kpis[k], c->ev[0].rmse[k], c->ev[bi].rmse[k],
               sqrt(cx_calib_scale(c->obs, c->cols[k])));
    }
    printf("results: %s/calibration.db, %s/calibration.csv, %s/calibrated.yaml\n", c->pl->root,
           c->pl->root, c->pl->root);
}

/* The KPIs fitted (heap copies into kpis, *nk of them, the caller's to
 * free) and their columns of obs: --kpi, or every column of the observed
 * file. Returns 0, or the exit status after a message. */
static int s_fit_kpis(const c_opts_t *o, const cx_calib_obs_t *obs, char **kpis, int *cols,
                      int *nk_out)
{
    int nk = 0;
    if (o->kpis) {
        nk = cx_exp_cmd_split(o->kpis, kpis, CX_CALIB_MAX_KPIS, s_cmd, "--kpi");
        if (nk < 0) {
            return 2;
        }
    } else {
        for (int k = 0; k < obs->n_kpi; k++, nk++) {
            if (!(kpis[nk] = strdup(obs->kpi[k]))) {
                fprintf(stderr, "cxsim calibrate: out of memory\n");
                *nk_out = nk;
                return 1;
            }
        }
    }
    *nk_out = nk;
    for (int k = 0; k < nk; k++) {
        cols[k] = cx_calib_obs_column(obs, kpis[k]);
        for (int j = 0; j < k && cols[k] >= 0; j++) {
            if (cols[j] == cols[k]) {
                fprintf(stderr, "cxsim calibrate: KPI '%s' given twice\n", kpis[k]);
                return 2;
            }
        }
        if (cols[k] < 0) {
            const char *s = cx_suggest(kpis[k], (const char *const *)obs->kpi, obs->n_kpi);
            fprintf(stderr, "cxsim calibrate: --kpi %s: %s has no column '%s'", kpis[k],
                    o->observed, kpis[k]);
            if (s) {
                fprintf(stderr, " (did you mean '%s'?)", s);
            }
            fprintf(stderr, "\n");
            return 2;
        }
    }
    return 0;
}

/* The directory: --out, or by default named after what the calibration is. */
static const char *s_out_dir(const c_opts_t *o, char *buf, size_t cap)
{
    if (o->com.out) {
        return o->com.out;
    }
    char real[PATH_MAX];
    cx_buf_t def;
    cx_buf_init(&def);
    cx_buf_printf(&def, "calibrate\n%s\n", realpath(o->scenario, real) ? real : o->scenario);
    cx_buf_printf(&def, "observed %s\nparams %s\nkpi %s\n",
                  realpath(o->observed, real) ? real : o->observed, o->params,
                  o->kpis ? o->kpis : "-");
    for (int i = 0; i < o->n_sets; i++) {
        cx_buf_printf(&def, "set %s\n", o->sets[i]);
    }
    cx_buf_printf(&def, "seed %s\nticks %s\nreplicates %d\n", o->com.seed ? o->com.seed : "-",
                  o->com.ticks ? o->com.ticks : "-", o->com.replicates);
    cx_exp_default_dir_for(buf, cap, "calibration", o->scenario, cx_buf_str(&def));
    cx_buf_fini(&def);
    return buf;
}

/* A copy of the observed series in the directory, so that it holds
 * everything its report needs (cxsim report DIR), wherever the original
 * file goes. Returns 0, or -1 after a message. */
static int s_copy_observed(const c_opts_t *o, const char *out)
{
    char *text = NULL, copy[PATH_MAX + 32];
    size_t tlen = 0;
    snprintf(copy, sizeof copy, "%s/observed.csv", out);
    int rc = 0;
    if (cx_read_file(o->observed, 64u << 20, &text, &tlen) != 0 ||
        cx_write_atomic(copy, text, tlen) != 0) {
        fprintf(stderr, "cxsim calibrate: cannot copy %s to %s: %s\n", o->observed, copy,
                strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

/* The start: the scenario's values of the fitted parameters into x0.
 * Returns 0, or -1 after a message. */
static int s_start(const cx_scenario_t *sc, const char *const *pname, int np, const double *lo,
                   const double *hi, double *x0)
{
    for (int p = 0; p < np; p++) {
        const double *field = cx_params_field((cx_params_t *)&sc->params, pname[p]);
        if (!field) {
            fprintf(stderr, "cxsim calibrate: %s: not found\n", pname[p]);
            return -1;
        }
        x0[p] = *field;
        if (!(lo[p] < hi[p])) {
            fprintf(stderr, "cxsim calibrate: %s has an empty range: nothing to fit\n", pname[p]);
            return -1;
        }
    }
    return 0;
}

/* s_meta with the observed file's real path and the KPIs fitted. */
static void s_meta_kpis(cx_exp_plan_t *pl, int argc, char **argv, const c_opts_t *o, char **kpis,
                        int nk)
{
    char real[PATH_MAX];
    cx_buf_t kl;
    cx_buf_init(&kl);
    for (int k = 0; k < nk; k++) {
        cx_buf_printf(&kl, "%s%s", k ? "," : "", kpis[k]);
    }
    s_meta(pl, argc, argv, o, realpath(o->observed, real) ? real : o->observed, cx_buf_str(&kl));
    cx_buf_fini(&kl);
}

/* The observed file, its columns checked against the kpis.csv columns.
 * Returns 0, or -1 after a message naming FILE:LINE. */
static int s_load_obs(const c_opts_t *o, int ticks, cx_calib_obs_t *obs)
{
    const char *known[64];
    double vals[64];
    char err[2048];
    cx_kpi_row_t zero;
    memset(&zero, 0, sizeof zero);
    int n_known = cx_kpi_row_columns(&zero, known, vals, 64);
    if (cx_calib_obs_load(o->observed, known, n_known, ticks, obs, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim calibrate: %s\n", err);
        return -1;
    }
    return 0;
}

/* The first line: what the calibration will do. */
static void s_say_plan(const c_ctx_t *c)
{
    const c_opts_t *o = c->o;
    printf("calibrate %s: %d parameter%s, %d KPI%s at %d observed ticks; %d replicate%s per "
           "evaluation, at most %d evaluations; %d at a time, engine %s\n",
           c->pl->root, c->np, c->np == 1 ? "" : "s", c->nc, c->nc == 1 ? "" : "s",
           c->obs->n_obs, o->com.replicates, o->com.replicates == 1 ? "" : "s", o->max_evals,
           o->com.jobs, o->com.engine);
    fflush(stdout);
}

int cx_cmd_calibrate(int argc, char **argv)
{
    c_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim calibrate --help'\n");
        return 2;
    }
    int tab_n;
    const cx_param_info_t *tab = cx_params_table(&tab_n);
    int idx[CX_CALIB_MAX_PARAMS];
    int np = s_params(o.params, idx);
    if (np < 0) {
        return 2;
    }
    const char *pname[CX_CALIB_MAX_PARAMS];
    double x0[CX_CALIB_MAX_PARAMS], lo[CX_CALIB_MAX_PARAMS], hi[CX_CALIB_MAX_PARAMS];
    for (int p = 0; p < np; p++) {
        pname[p] = tab[idx[p]].name;
        lo[p] = tab[idx[p]].lo;
        hi[p] = tab[idx[p]].hi;
    }

    int rc = 2;
    char err[2048] = "";
    char *kpis[CX_CALIB_MAX_KPIS];
    int nk = 0;
    int cols[CX_CALIB_MAX_KPIS];
    cx_calib_obs_t obs;
    memset(&obs, 0, sizeof obs);
    cx_exp_exec_t *ex = NULL;
    cx_exp_plan_t pl;
    memset(&pl, 0, sizeof pl);
    pl.lock_fd = -1;
    bool plan_open = false;
    c_ctx_t c;
    memset(&c, 0, sizeof c);
    char *yaml = NULL;

    /* The start: the scenario's values of the fitted parameters. */
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        fprintf(stderr, "cxsim calibrate: out of memory\n");
        return 1;
    }
    if (s_load(&o, NULL, 0, sc) != 0) {
        fprintf(stderr, "cxsim calibrate: %s does not load; nothing was run\n", o.scenario);
        goto done;
    }
    int ticks = sc->ticks;
    /* The start values, the observed series and the KPIs fitted. */
    if (s_start(sc, pname, np, lo, hi, x0) != 0 || s_load_obs(&o, ticks, &obs) != 0 ||
        (rc = s_fit_kpis(&o, &obs, kpis, cols, &nk)) != 0) {
        goto done;
    }
    char outbuf[PATH_MAX];
    const char *out = s_out_dir(&o, outbuf, sizeof outbuf);
    rc = 1;
    plan_open = true;
    if (cx_exp_plan_init(&pl, out, "calibration.db", err, sizeof err) != 0 ||
        cx_exp_plan_lock(&pl, err, sizeof err) != 0 ||
        cx_exp_db_exec(pl.db, s_schema, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim calibrate: %s\n", err);
        goto done;
    }
    pl.ticks = o.com.ticks;
    pl.seed = o.com.seed;
    pl.crn = true;
    s_meta_kpis(&pl, argc, argv, &o, kpis, nk);
    if (s_copy_observed(&o, out) != 0) {
        goto done;
    }

    cx_signals_on_stop(s_on_signal);

    c.tty = isatty(2) != 0;
    ex = cx_exp_exec_new(pl.exe, pl.root, o.com.engine, o.com.jobs, c.tty);
    c = (c_ctx_t){.o = &o, .pl = &pl, .ex = ex, .obs = &obs, .cols = cols, .nc = nk,
                  .pname = pname, .np = np, .ticks = ticks, .tty = c.tty};
    c.tbuf = malloc((size_t)ticks * sizeof *c.tbuf);
    c.vbuf = malloc((size_t)ticks * sizeof *c.vbuf);
    c.sim = malloc((size_t)o.com.replicates * (size_t)nk * (size_t)obs.n_obs * sizeof *c.sim);
    c.ev = calloc((size_t)o.max_evals, sizeof *c.ev);
    if (!ex || !c.tbuf || !c.vbuf || !c.sim || !c.ev) {
        fprintf(stderr, "cxsim calibrate: out of memory\n");
        goto done;
    }

    s_say_plan(&c);
    cx_calib_nm_opts_t nmo = {o.max_evals, C_STEP, C_XTOL};
    cx_calib_nm_result_t res;
    double best[CX_CALIB_MAX_PARAMS];
    long long t0 = cx_now_ms();
    int nr = cx_calib_nm(np, x0, lo, hi, &nmo, s_objective, &c, best, &res, err, sizeof err);
    if (nr < 0) {
        fprintf(stderr, "cxsim calibrate: %s\n", err);
        rc = 2;
        goto done;
    }
    if (nr == 1) {
        fprintf(stderr, "cxsim calibrate: %s\n", c.err);
        rc = c.rc ? c.rc : 1;
        if (c.n_ev == 0) {
            goto done;
        }
    }
    c.iterations = res.iterations;
    int bi = 0; /* the best evaluation: the first with the best value */
    for (int i = 1; i < c.n_ev; i++) {
        if (c.ev[i].f < c.ev[bi].f) {
            bi = i;
        }
    }

    c.best = bi;
    if (s_write_csv(&c, kpis, pl.root) != 0 || s_uncertainty(&c, &pl, lo, hi) != 0 ||
        s_write_result(&c, nr == 1 ? "aborted" : res.stop) != 0 ||
        s_write_calibrated(&o, &c, sc, &yaml) != 0) {
        rc = 1;
        goto done;
    }
    s_summary(&c, nr, &res, (double)(cx_now_ms() - t0) / 1000.0, lo, hi, kpis);
    if (nr == 0) {
        rc = c.failed ? 1 : 0;
    }
done:
    cx_exp_exec_destroy(&ex);
    if (plan_open) {
        cx_exp_plan_fini(&pl);
    }
    cx_calib_obs_fini(&obs);
    for (int k = 0; k < nk; k++) {
        free(kpis[k]);
    }
    free(c.tbuf);
    free(c.vbuf);
    free(c.sim);
    free(c.ev);
    free(yaml);
    free(sc);
    return rc;
}
