/*  cxsim sensitivity — one-at-a-time local sensitivity analysis of the
 *  model's parameters (docs/EXPERIMENTS.md, "Sensitivity analysis").
 *
 *      PARSE --> PARAMETERS (--params, --all, or the default list) and KPIs
 *            checked: an unknown name exits 2 with a suggestion
 *        --> PLAN the base point (the scenario with its --set overrides),
 *            then for each parameter p the points p- and p+
 *            (cx_exp_sens_step: relative step delta, clamped into p's
 *            range; a side clamped onto p reuses the base point). Every
 *            point is validated before anything runs. Common random
 *            numbers: replicate r has the same seed at every point.
 *        --> RUN the missing runs (cx_exp_plan / cx_exp_exec, as sweep and
 *            compare: resumable, each recorded in one transaction)
 *        --> ANALYSE per parameter and KPI (each KPI as its mean over the
 *            window, --window DAYS, or a total): paired changes across the
 *            step in the KPI's units, derivatives and elasticities over the
 *            replicates (cx_exp_sens_compute), ranked by |mean change| of the
 *            first KPI; an elasticity only where the base is far from zero
 *        --> DIR/sensitivity.db (runs, kpis, ... and the `sensitivity`
 *            table), DIR/sensitivity.csv, DIR/summary.csv, printed tornado
 *
 *  Ownership: everything is freed before returning. Exit status: 0 every
 *  run completed; 1 a run failed, the command was interrupted or a file
 *  could not be written; 2 invalid input (unknown option, parameter or
 *  KPI, a bad --delta, an override that does not validate).
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

#include "cx_exp_cmd.h"
#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_sens.h"
#include "cx_exp_stats.h"
#include "cx_exp_summary.h"
#include "cx_exp_util.h"
#include "cx_load.h"
#include "cx_output.h"
#include "cx_params.h"
#include "cx_proc.h"
#include "cx_signals.h"
#include "cx_version.h"

#define S_MAX_SETS 32 /* --set options */
#define S_MAX_KPIS 16 /* --kpi entries */
#define S_BAR 20      /* characters per side of a tornado bar */

/* The default parameters: those that moved final NPS, churn rate or total
 * revenue most (|elasticity| with a 95% CI excluding 0) in a screening of
 * every parameter (--all) on scenarios/baseline.yaml, 90 ticks, 3
 * replicates (docs/EXPERIMENTS.md). --all screens the rest. */
static const char *const s_default_params[] = {
    "ltr_slope",       "ltr_offset",      "quality_low",       "quality_high",
    "fcr_low",         "fcr_high",        "ede_gain_negative", "churn_neutral_satisfaction",
    "competitor_pull", "automation_high", "service_gain",      "spend_loyalty",
};
#define S_N_DEFAULT ((int)(sizeof s_default_params / sizeof s_default_params[0]))

static const char s_cmd[] = "cxsim sensitivity";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim sensitivity SCENARIO.yaml [options]\n"
            "\n"
            "One-at-a-time local sensitivity of the model's parameters: runs the scenario at\n"
            "p x (1 - delta) and p x (1 + delta) for each parameter p (clamped into its range;\n"
            "p = 0 steps by delta x the range's width) and at the base point, R replicates\n"
            "each with common random numbers, and prints per KPI the change across the step,\n"
            "c = K(p+) - K(p-) in the KPI's units (a step clamped at one side scaled to the\n"
            "full width), with its paired 95%% confidence interval, parameters ranked by |c|\n"
            "of the first KPI; the elasticity e = (dK/dp) x p / K(p) only where |K(p)| is at\n"
            "least %g x the KPI's scale (NPS: its span, 200; others: the largest |K| seen),\n"
            "n/a otherwise.\n"
            "\n"
            "options:\n"
            "  --params A,B,...      model parameters to vary (names of docs/MODEL.md)\n"
            "  --all                 every model parameter\n"
            "                        (default: %d parameters that matter most on the\n"
            "                        baseline, listed in docs/EXPERIMENTS.md)\n"
            "  --delta D             relative step, 0 < D <= 0.5 (default 0.1)\n"
            "  --kpi K,K,...         KPIs (default nps,churn_rate,total_revenue): kpis.csv\n"
            "                        columns as their window mean (window_<column>), or\n"
            "                        total_<column> (sum over every tick)\n"
            "  --window DAYS         the window: each run's last DAYS days (default %g; in\n"
            "                        ticks of the scenario's tick length)\n"
            "  --replicates R        paired replicates, R >= 2 (default 5)\n"
            "  --set KEY=VALUE       override at every point (repeatable)\n"
            "  --seed N              base seed (default: the scenario's)\n"
            "  --ticks N             ticks per run (default: the scenario file's)\n"
            "  --jobs J              runs at once (default: the number of cores)\n"
            "  --engine E            in-process (default) or processes\n"
            "  --backend slurm       each batch of runs as one sbatch array job, waited for\n"
            "  --slurm-opt OPT       an sbatch option for those jobs, repeatable\n"
            "  --slurm-tasks N       array tasks per job (default: about 60 s a task)\n"
            "  --out DIR             directory (default sensitivity/NAME-HASH; a re-run\n"
            "                        resumes)\n"
            "  --quiet               no table\n"
            "\n"
            "exit status: 0 every run completed, 1 a run failed, 2 invalid input\n",
            CX_EXP_SENS_FAR, S_N_DEFAULT, (double)CX_EXP_WINDOW_DAYS);
}

typedef struct {
    const char *scenario;         /* scenario file */
    const char *params;           /* --params (comma-separated) */
    bool all;                     /* --all */
    double delta;                 /* --delta */
    const char *kpis;             /* --kpi (comma-separated) */
    double window_days;           /* --window: days of the final KPIs' mean */
    const char *sets[S_MAX_SETS]; /* --set */
    int n_sets;                   /* entries used */
    cx_exp_common_t com; /* --replicates, --jobs, --seed, --ticks, --engine, --out, --quiet */
} s_opts_t;

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->delta = 0.1;
    o->com.replicates = 5;
    o->com.engine = "in-process";
    o->kpis = "nps,churn_rate,total_revenue";
    o->window_days = CX_EXP_WINDOW_DAYS;
    enum { O_HELP, O_PARAMS, O_ALL, O_DELTA, O_KPI, O_SET, O_WINDOW };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP}, {"--params", NULL, true, O_PARAMS},
        {"--all", NULL, false, O_ALL},   {"--delta", NULL, true, O_DELTA},
        {"--kpi", NULL, true, O_KPI},    {"--set", NULL, true, O_SET},
        {"--window", NULL, true, O_WINDOW},
        CX_EXP_COMMON_OPTS,
    };
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        char *end;
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            exit(0);
        case O_PARAMS:
            o->params = v;
            break;
        case O_ALL:
            o->all = true;
            break;
        case O_DELTA:
            errno = 0;
            o->delta = strtod(v, &end);
            if (!*v || *end || errno || !(o->delta > 0 && o->delta <= 0.5)) {
                fprintf(stderr, "cxsim sensitivity: --delta expects 0 < D <= 0.5, got '%s'\n", v);
                return -1;
            }
            break;
        case O_KPI:
            o->kpis = v;
            break;
        case O_WINDOW:
            if (cx_exp_cmd_window_days(s_cmd, v, &o->window_days) != 0) {
                return -1;
            }
            break;
        case O_SET:
            if (cx_exp_cmd_add_set(s_cmd, o->sets, &o->n_sets, S_MAX_SETS, v) != 0) {
                return -1;
            }
            break;
        case CX_OPTS_ERROR:
            return -1;
        case CX_OPTS_POSITIONAL:
            if (cx_exp_cmd_positional(s_cmd, v, false, &o->scenario) != 0) {
                return -1;
            }
            break;
        default:
            if (cx_exp_cmd_common_opt(s_cmd, id, v, &o->com, 2, 100000) < 0) {
                return -1;
            }
            break;
        }
    }
    if (cx_exp_cmd_finish(s_cmd, o->scenario, &o->com) != 0) {
        return -1;
    }
    if (o->all && o->params) {
        fprintf(stderr, "cxsim sensitivity: give --params or --all, not both\n");
        return -1;
    }
    return 0;
}

/* The parameters to analyse as indices into the table: --all, --params or
 * the default list. Returns how many, or -1 after a message (invalid
 * input). */
static int s_params(const s_opts_t *o, int *idx)
{
    int count;
    cx_params_table(&count);
    if (o->all) {
        for (int i = 0; i < count; i++) {
            idx[i] = i;
        }
        return count;
    }
    char *names[256];
    int n;
    if (o->params) {
        n = cx_exp_cmd_split(o->params, names, count, s_cmd, "--params");
        if (n < 0) {
            return -1;
        }
    } else {
        n = S_N_DEFAULT;
        for (int i = 0; i < n; i++) {
            names[i] = strdup(s_default_params[i]);
        }
    }
    int rc = cx_exp_cmd_params(s_cmd, names, n, idx);
    for (int i = 0; i < n; i++) {
        free(names[i]);
    }
    return rc;
}

/* The KPIs (heap copies into kpis), each checked against the database's
 * kpis columns. Returns how many, or -1 after a message. */
static int s_kpis(const s_opts_t *o, cx_exp_db_t *db, char **kpis)
{
    int n = cx_exp_cmd_split(o->kpis, kpis, S_MAX_KPIS, s_cmd, "--kpi");
    for (int i = 0; i < n; i++) {
        const char *col = strncmp(kpis[i], "total_", 6) == 0 ? kpis[i] + 6 : kpis[i];
        bool ok = cx_exp_db_has_column(db, col) &&
                  strspn(kpis[i], "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(kpis[i]);
        for (int j = 0; j < i && ok; j++) {
            if (strcmp(kpis[i], kpis[j]) == 0) {
                fprintf(stderr, "cxsim sensitivity: KPI '%s' given twice\n", kpis[i]);
                ok = false;
                kpis[i][0] = '\0';
            }
        }
        if (!ok) {
            if (kpis[i][0]) {
                const char *s = cx_suggest(kpis[i], (const char *const *)cx_exp_summary_kpis,
                                           cx_exp_summary_n_kpis);
                fprintf(stderr,
                        "cxsim sensitivity: '%s' is not a KPI (a kpis.csv column such as nps, "
                        "churn_rate, revenue, or total_<column>)",
                        kpis[i]);
                if (s) {
                    fprintf(stderr, "; did you mean '%s'?", s);
                }
                fprintf(stderr, "\n");
            }
            for (int k = 0; k < n; k++) {
                free(kpis[k]);
            }
            return -1;
        }
    }
    return n;
}

/* A point's key, overrides and params JSON: the --set options (without one
 * for `param`, when given), then "model.param=value" when param is not
 * NULL. */
static int s_point(cx_exp_plan_t *pl, const s_opts_t *o, const char *label, const char *param,
                   const char *value, char *err, size_t errlen)
{
    const char *sets[S_MAX_SETS + 1];
    int n = 0;
    char own[256] = "";
    if (param) {
        snprintf(own, sizeof own, "model.%s=%s", param, value);
    }
    size_t plen = param ? strlen(param) + 7 : 0; /* "model." + name + "=" */
    for (int i = 0; i < o->n_sets; i++) {
        if (param && strncmp(o->sets[i], own, plen) == 0) {
            continue; /* this point sets the parameter itself */
        }
        sets[n++] = o->sets[i];
    }
    if (param) {
        sets[n++] = own;
    }
    char real[PATH_MAX];
    cx_buf_t key, json;
    cx_buf_init(&key);
    cx_buf_init(&json);
    cx_buf_printf(&key, "%s\n%s", label, realpath(o->scenario, real) ? real : o->scenario);
    cx_buf_printf(&json, "{");
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(sets[i], '=');
        cx_buf_printf(&key, "\n%s", sets[i]);
        cx_buf_printf(&json, "%s", i ? ", " : "");
        char k[256];
        snprintf(k, sizeof k, "%.*s", (int)(eq - sets[i]), sets[i]);
        cx_json_text(&json, k);
        cx_buf_printf(&json, ": ");
        cx_exp_buf_json_value(&json, eq + 1);
    }
    cx_buf_printf(&json, "}");
    int r;
    if (key.oom || json.oom) {
        snprintf(err, errlen, "out of memory");
        r = -1;
    } else {
        r = cx_exp_plan_point_add(pl, o->scenario, label, cx_buf_str(&key), (char *const *)sets,
                                  n, cx_buf_str(&json), err, errlen);
    }
    cx_buf_fini(&key);
    cx_buf_fini(&json);
    return r;
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

/* One analysed parameter. */
typedef struct {
    int info;                /* index into the parameter table */
    cx_exp_sens_step_t step; /* where it is evaluated */
    int pi_lo, pi_hi;        /* plan point indices of p- and p+ (0: the base point) */
} s_param_t;

/* One row of the results: parameter x KPI. */
typedef struct {
    int param, kpi;        /* indices */
    cx_exp_sens_stat_t st; /* statistics */
    bool elastic;          /* the elasticity is shown (cx_exp_sens_elastic) */
    int rank;              /* of the parameter, by |change| of the first KPI */
    int kpi_rank;          /* of the parameter within this KPI, by |change| */
} s_row_t;

/* The analysis: what s_analyse's steps share. */
typedef struct {
    const s_opts_t *o;     /* options */
    cx_exp_plan_t *pl;     /* the experiment */
    const s_param_t *par;  /* the parameters */
    int np;                /* how many */
    char **fig;            /* figure read per KPI: window_<kpi>, or total_<column> */
    int nk;                /* KPIs */
    s_row_t *rows;         /* rows[p * nk + k] */
    double *scale;         /* per KPI: the scale of the elasticity rule */
    const cx_param_info_t *tab; /* the parameter table */
} s_an_t;

static bool s_sig(const cx_exp_ci_t *ci)
{
    return !isnan(ci->lo) && !isnan(ci->hi) && (ci->lo > 0 || ci->hi < 0);
}

/* SQL text literal of an identifier (names already checked). */
static void s_sql_str(cx_buf_t *b, const char *s)
{
    cx_buf_printf(b, "'");
    for (; *s; s++) {
        cx_buf_printf(b, *s == '\'' ? "''" : "%c", *s);
    }
    cx_buf_printf(b, "'");
}

/* The statistics of every row and the scale of every KPI (the largest |K|
 * over the analysis's runs, or the KPI's fixed span); then whether each
 * row's elasticity is shown. Returns 0, or -1 (out of memory). */
static int s_stats(s_an_t *a)
{
    int cap = a->o->com.replicates + 1;
    int *r3[3];
    double *v3[3], *a3[3], *work = malloc((size_t)cap * sizeof *work);
    bool oom = !work;
    for (int k = 0; k < 3; k++) {
        r3[k] = malloc((size_t)cap * sizeof *r3[k]);
        v3[k] = malloc((size_t)cap * sizeof *v3[k]);
        a3[k] = malloc((size_t)cap * sizeof *a3[k]);
        oom |= !r3[k] || !v3[k] || !a3[k];
    }
    for (int k = 0; k < a->nk && !oom; k++) {
        double max_abs = 0;
        for (int p = 0; p < a->np; p++) {
            long long ids[3] = {a->pl->point[a->par[p].pi_lo].id, a->pl->point[0].id,
                                a->pl->point[a->par[p].pi_hi].id};
            int nn[3];
            for (int s = 0; s < 3; s++) {
                nn[s] = cx_exp_db_finals(a->pl->db, ids[s], a->fig[k], r3[s], v3[s], cap);
                nn[s] = nn[s] < 0 ? 0 : nn[s] > cap ? cap : nn[s];
            }
            int n = cx_exp_sens_align(r3[0], v3[0], nn[0], r3[1], v3[1], nn[1], r3[2], v3[2],
                                      nn[2], a3[0], a3[1], a3[2], NULL);
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < n; i++) {
                    max_abs = fabs(a3[s][i]) > max_abs ? fabs(a3[s][i]) : max_abs;
                }
            }
            s_row_t *row = &a->rows[p * a->nk + k];
            row->param = p;
            row->kpi = k;
            cx_exp_sens_compute(&a->par[p].step, a3[0], a3[1], a3[2], n, work, &row->st);
        }
        a->scale[k] = cx_exp_sens_scale(a->fig[k], max_abs);
        for (int p = 0; p < a->np; p++) {
            s_row_t *row = &a->rows[p * a->nk + k];
            row->elastic = !isnan(row->st.elasticity.mean) &&
                           cx_exp_sens_elastic(row->st.kpi_base_mean, a->scale[k]);
        }
    }
    for (int k = 0; k < 3; k++) {
        free(r3[k]);
        free(v3[k]);
        free(a3[k]);
    }
    free(work);
    return oom ? -1 : 0;
}

/* Ranks per KPI by |mean change|, and of the parameters by the first KPI. */
static int s_ranks(s_an_t *a)
{
    int np = a->np, nk = a->nk;
    double *key = malloc((size_t)(np > 0 ? np : 1) * sizeof *key);
    int *rank = malloc((size_t)(np > 0 ? np : 1) * sizeof *rank);
    if (!key || !rank) {
        free(key);
        free(rank);
        return -1;
    }
    for (int k = 0; k < nk; k++) {
        for (int p = 0; p < np; p++) {
            key[p] = a->rows[p * nk + k].st.change.mean;
        }
        cx_exp_sens_rank(key, np, rank);
        for (int p = 0; p < np; p++) {
            a->rows[p * nk + k].kpi_rank = rank[p];
            for (int kk = 0; k == 0 && kk < nk; kk++) {
                a->rows[p * nk + kk].rank = rank[p];
            }
        }
    }
    free(key);
    free(rank);
    return 0;
}

/* One row into the CSV and the sensitivity table (within the open
 * transaction). */
static int s_store_row(s_an_t *a, const s_row_t *row, cx_buf_t *csv, cx_buf_t *sql, char *err,
                       size_t errlen)
{
    const s_param_t *pp = &a->par[row->param];
    const cx_exp_sens_stat_t *st = &row->st;
    const char *name = a->tab[pp->info].name;
    const char *kpi = a->fig[row->kpi];
    const char *step = pp->step.absolute ? "absolute" : "relative";
    int sig = s_sig(&st->change);
    /* An elasticity not shown (base near zero, or p = 0) is NULL / empty. */
    cx_exp_ci_t el = row->elastic ? st->elasticity : (cx_exp_ci_t){0, NAN, NAN, NAN, NAN, NAN};
    double num[13] = {st->kpi_base_mean, st->change.mean, st->change.lo,  st->change.hi,
                      st->derivative.mean, st->derivative.lo, st->derivative.hi,
                      st->n_elasticity, row->elastic, el.mean, el.lo, el.hi, sig};
    cx_buf_printf(csv, "%s,%s,%d,%d,%s,%s,%s,%s,%.10g,%d", name, kpi, row->rank, row->kpi_rank,
                  pp->step.base_text, pp->step.low_text, pp->step.high_text, step, a->o->delta,
                  st->n);
    for (int c = 0; c < 13; c++) { /* NaN (undefined) as an empty field */
        cx_buf_printf(csv, isnan(num[c]) ? "," : ",%.10g", num[c]);
    }
    cx_buf_printf(csv, ",%.10g\n", a->scale[row->kpi]);
    cx_buf_reset(sql);
    cx_buf_printf(sql, "INSERT INTO sensitivity VALUES(");
    s_sql_str(sql, name);
    cx_buf_printf(sql, ", ");
    s_sql_str(sql, kpi);
    cx_buf_printf(sql, ", ?2, ?3, ?4, ?5, ?6, '%s'", step);
    for (int i = 7; i <= 32; i++) {
        cx_buf_printf(sql, ", ?%d", i);
    }
    cx_buf_printf(sql, ")");
    double v[31] = {row->rank,       row->kpi_rank,    pp->step.base,       pp->step.low,
                    pp->step.high,   a->o->delta,      st->n,               st->kpi_base_mean,
                    st->derivative.mean, st->derivative.sd, st->derivative.half,
                    st->derivative.lo, st->derivative.hi, st->n_elasticity, el.mean, el.sd,
                    el.half,         el.lo,            el.hi,               sig,
                    (double)a->pl->point[0].id, (double)a->pl->point[pp->pi_lo].id,
                    (double)a->pl->point[pp->pi_hi].id, st->change.mean, st->change.sd,
                    st->change.half, st->change.lo,    st->change.hi,       row->elastic,
                    a->scale[row->kpi], pp->step.width};
    if (sql->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return cx_exp_db_exec_bind(a->pl->db, cx_buf_str(sql), "", v, 31, err, errlen);
}

/* The sensitivity table (replaced whole: its columns grew with the change
 * in KPI units) and sensitivity.csv, per KPI in rank order. */
static int s_store(s_an_t *a, char *err, size_t errlen)
{
    if (cx_exp_db_exec(a->pl->db,
                       "BEGIN IMMEDIATE; DROP TABLE IF EXISTS sensitivity; "
                       "CREATE TABLE sensitivity(parameter TEXT NOT NULL, "
                       "kpi TEXT NOT NULL, rank INTEGER, kpi_rank INTEGER, base_value REAL, "
                       "low REAL, high REAL, step TEXT, delta REAL, n INTEGER, "
                       "kpi_base_mean REAL, derivative_mean REAL, derivative_sd REAL, "
                       "derivative_half_width REAL, derivative_ci_low REAL, "
                       "derivative_ci_high REAL, n_elasticity INTEGER, elasticity_mean REAL, "
                       "elasticity_sd REAL, elasticity_half_width REAL, elasticity_ci_low REAL, "
                       "elasticity_ci_high REAL, significant INTEGER, base_point INTEGER, "
                       "low_point INTEGER, high_point INTEGER, change_mean REAL, "
                       "change_sd REAL, change_half_width REAL, change_ci_low REAL, "
                       "change_ci_high REAL, elasticity_shown INTEGER, kpi_scale REAL, "
                       "step_width REAL, PRIMARY KEY(parameter, kpi));",
                       err, errlen) != 0) {
        return -1;
    }
    cx_buf_t csv, sql;
    cx_buf_init(&csv);
    cx_buf_init(&sql);
    cx_buf_printf(&csv, "parameter,kpi,rank,kpi_rank,base_value,low,high,step,delta,n,"
                        "kpi_base_mean,change_mean,change_ci_low,change_ci_high,"
                        "derivative_mean,derivative_ci_low,derivative_ci_high,n_elasticity,"
                        "elasticity_shown,elasticity_mean,elasticity_ci_low,elasticity_ci_high,"
                        "significant,kpi_scale\n");
    int rc = 0;
    for (int k = 0; k < a->nk && rc == 0; k++) {
        for (int want = 1; want <= a->np && rc == 0; want++) {
            for (int p = 0; p < a->np && rc == 0; p++) {
                const s_row_t *row = &a->rows[p * a->nk + k];
                if (row->rank == want) {
                    rc = s_store_row(a, row, &csv, &sql, err, errlen);
                }
            }
        }
    }
    if (rc == 0) {
        rc = cx_exp_db_exec(a->pl->db, "COMMIT", err, errlen);
    }
    if (rc != 0) {
        cx_exp_db_exec(a->pl->db, "ROLLBACK", NULL, 0);
    } else {
        char path[4300];
        snprintf(path, sizeof path, "%.4000s/sensitivity.csv", a->pl->root);
        if (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0) {
            snprintf(err, errlen, "cannot write %.1000s", path);
            rc = -1;
        }
    }
    cx_buf_fini(&csv);
    cx_buf_fini(&sql);
    return rc;
}

/* The printed table of one KPI: the change across the step as a bar,
 * parameters in this KPI's rank order. */
static int s_print_kpi(const s_an_t *a, int k, int w, FILE *out)
{
    int np = a->np, nk = a->nk;
    double vmax = 0;
    int n_min = INT_MAX, n_max = 0;
    char(*ci)[200] = calloc((size_t)(np > 0 ? np : 1), sizeof *ci);
    if (!ci) {
        return -1;
    }
    for (int p = 0; p < np; p++) {
        const s_row_t *row = &a->rows[p * nk + k];
        vmax = fabs(row->st.change.mean) > vmax ? fabs(row->st.change.mean) : vmax;
        n_min = row->st.n < n_min ? row->st.n : n_min;
        n_max = row->st.n > n_max ? row->st.n : n_max;
    }
    /* Three significant digits of the largest change, for every row. */
    int dec = vmax > 0 && isfinite(vmax) ? 2 - (int)floor(log10(vmax)) : 3;
    dec = dec < 0 ? 0 : dec > 9 ? 9 : dec;
    int cw = 19;
    for (int p = 0; p < np; p++) {
        const s_row_t *row = &a->rows[p * nk + k];
        const cx_exp_ci_t *c = &row->st.change, *e = &row->st.elasticity;
        int l = isnan(c->lo) ? snprintf(ci[p], 100, "%+.*f", dec, c->mean)
                             : snprintf(ci[p], 100, "%+.*f [%+.*f, %+.*f]", dec, c->mean, dec,
                                        c->lo, dec, c->hi);
        cw = l > cw ? l : cw;
        char *el = ci[p] + 100;
        if (row->elastic) {
            snprintf(el, 100, "%+.3f", e->mean);
        } else {
            snprintf(el, 100, "%s", a->par[p].step.base == 0 ? "n/a (p = 0)" : "n/a");
        }
    }
    fprintf(out,
            "\nchange of %s across each parameter's step (K(p+) - K(p-) for p x (1 -/+ %g); "
            "mean [95%% CI] over ",
            a->fig[k], a->o->delta);
    if (n_min == n_max) {
        fprintf(out, "%d", n_min);
    } else {
        fprintf(out, "%d-%d", np ? n_min : 0, n_max);
    }
    fprintf(out, " paired replicates; * CI excludes 0; elasticity only where |%s| >= %g)\n",
            a->fig[k], CX_EXP_SENS_FAR * a->scale[k]);
    fprintf(out, "%4s  %-*s %12s  %-*s %11s\n", "rank", w, "parameter", "base value", cw,
            "change [95% CI]", "elasticity");
    for (int want = 1; want <= np; want++) {
        for (int p = 0; p < np; p++) {
            const s_row_t *row = &a->rows[p * nk + k];
            if (row->kpi_rank != want) {
                continue;
            }
            char bar[2 * S_BAR + 2];
            cx_exp_sens_bar(bar, sizeof bar, row->st.change.mean, vmax, S_BAR);
            size_t bl = strlen(bar); /* no trailing blanks: the bar ends at its last '#' */
            while (bl && bar[bl - 1] == ' ') {
                bar[--bl] = '\0';
            }
            fprintf(out, "%4d  %-*s %12s  %-*s %11s %s %s\n", want, w,
                    a->tab[a->par[p].info].name, a->par[p].step.base_text, cw, ci[p],
                    ci[p] + 100, s_sig(&row->st.change) ? "*" : " ", bar);
        }
    }
    free(ci);
    return 0;
}

static int s_analyse(const s_opts_t *o, cx_exp_plan_t *pl, const s_param_t *par, int np,
                     char **fig, int nk, FILE *out, char *err, size_t errlen)
{
    int tab_n;
    s_an_t a = {.o = o, .pl = pl, .par = par, .np = np, .fig = fig, .nk = nk,
                .tab = cx_params_table(&tab_n)};
    a.rows = calloc((size_t)(np * nk > 0 ? np * nk : 1), sizeof *a.rows);
    a.scale = calloc((size_t)(nk > 0 ? nk : 1), sizeof *a.scale);
    int rc = -1;
    if (!a.rows || !a.scale || s_stats(&a) != 0 || s_ranks(&a) != 0) {
        snprintf(err, errlen, "out of memory");
    } else if (s_store(&a, err, errlen) == 0) {
        rc = 0;
        int w = 9;
        for (int p = 0; p < np; p++) {
            int l = (int)strlen(a.tab[par[p].info].name);
            w = l > w ? l : w;
        }
        for (int k = 0; out && k < nk && rc == 0; k++) {
            if (s_print_kpi(&a, k, w, out) != 0) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            }
        }
    }
    free(a.rows);
    free(a.scale);
    return rc;
}

static void s_meta(cx_exp_plan_t *pl, int argc, char **argv, const s_opts_t *o)
{
    cx_exp_cmd_meta(pl, argc, argv, "sensitivity");
    char err[512], num[64];
    cx_exp_db_meta_set(pl->db, "scenario", pl->point[0].scenario, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "seeding", "common", err, sizeof err);
    snprintf(num, sizeof num, "%llu", (unsigned long long)pl->point[0].base_seed);
    cx_exp_db_meta_set(pl->db, "base_seed", num, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "ticks", o->com.ticks ? o->com.ticks : "scenario", err, sizeof err);
    snprintf(num, sizeof num, "%.12g", o->delta);
    cx_exp_db_meta_set(pl->db, "delta", num, err, sizeof err);
}

/* The default directory depends on what the runs are (scenario, --set,
 * --seed, --ticks), not on the parameters, delta or window: analyses of
 * other parameters of the same setting share its base runs. */
static const char *s_out_dir(const s_opts_t *o, char *buf, size_t cap)
{
    if (o->com.out) {
        return o->com.out;
    }
    char real[PATH_MAX];
    cx_buf_t def;
    cx_buf_init(&def);
    cx_buf_printf(&def, "sensitivity\n%s\n", realpath(o->scenario, real) ? real : o->scenario);
    for (int i = 0; i < o->n_sets; i++) {
        cx_buf_printf(&def, "set %s\n", o->sets[i]);
    }
    cx_buf_printf(&def, "seed %s\nticks %s\n", o->com.seed ? o->com.seed : "-",
                  o->com.ticks ? o->com.ticks : "-");
    cx_exp_default_dir_for(buf, cap, "sensitivity", o->scenario, cx_buf_str(&def));
    cx_buf_fini(&def);
    return buf;
}

/* PLAN: the base point first; its loaded scenario gives each parameter's
 * base value (the scenario's model: section and --set included); then p-
 * and p+ of each. Returns 0, or the exit status (1, or 2 for invalid
 * input) after a message. */
static int s_plan(const s_opts_t *o, cx_exp_plan_t *pl, const int *idx, s_param_t *par, int np)
{
    int tab_n;
    const cx_param_info_t *tab = cx_params_table(&tab_n);
    char err[2048] = "";
    int r = s_point(pl, o, "base", NULL, NULL, err, sizeof err);
    if (r < 0) {
        fprintf(stderr, "cxsim sensitivity: base point: %s%s\n", err,
                r == -2 ? "; nothing was run" : "");
        return r == -2 ? 2 : 1;
    }
    for (int p = 0; p < np; p++) {
        const cx_param_info_t *info = &tab[idx[p]];
        double *field = cx_params_field(&pl->cache->params, info->name);
        par[p].info = idx[p];
        if (!field || cx_exp_sens_step(*field, info->lo, info->hi, o->delta, &par[p].step, err,
                                       sizeof err) != 0) {
            fprintf(stderr, "cxsim sensitivity: %s: %s\n", info->name, field ? err : "not found");
            return 2;
        }
    }
    for (int p = 0; p < np; p++) {
        const char *name = tab[par[p].info].name;
        const cx_exp_sens_step_t *st = &par[p].step;
        const char *labels[2] = {"low", "high"};
        const char *texts[2] = {st->low_text, st->high_text};
        double vals[2] = {st->low, st->high};
        int *pis[2] = {&par[p].pi_lo, &par[p].pi_hi};
        for (int s = 0; s < 2; s++) {
            if (vals[s] == st->base) {
                *pis[s] = 0; /* clamped onto the base value: the base point's runs */
                continue;
            }
            r = s_point(pl, o, labels[s], name, texts[s], err, sizeof err);
            if (r < 0) {
                fprintf(stderr, "cxsim sensitivity: %s=%s: %s%s\n", name, texts[s], err,
                        r == -2 ? "; nothing was run" : "");
                return r == -2 ? 2 : 1;
            }
            *pis[s] = r;
        }
    }
    /* Common random numbers: every point starts from the base point's seed. */
    for (int i = 1; i < pl->n_point; i++) {
        pl->point[i].base_seed = pl->point[0].base_seed;
    }
    return 0;
}

/* Queues the missing runs, replicate by replicate. Returns how many, or
 * -1 / -2 (exit 1 / 2) after a message. */
static int s_queue(const s_opts_t *o, cx_exp_plan_t *pl, cx_exp_exec_t *ex)
{
    char err[2048] = "";
    int todo = 0;
    for (int rep = 0; rep < o->com.replicates; rep++) {
        for (int pi = 0; pi < pl->n_point; pi++) {
            int q = 0;
            int qr = cx_exp_plan_queue(pl, pi, rep, rep + 1, ex, &q, err, sizeof err);
            if (qr != 0) {
                fprintf(stderr, "cxsim sensitivity: %s\n", err);
                return qr == 2 ? -2 : -1;
            }
            todo += q;
        }
    }
    for (int pi = 0; pi < pl->n_point; pi++) {
        if (o->com.replicates > cx_exp_db_planned(pl->db, pl->point[pi].id)) {
            cx_exp_db_set_planned(pl->db, pl->point[pi].id, o->com.replicates, err, sizeof err);
        }
    }
    return todo;
}

/* RUN and ANALYSE. Returns the exit status. */
static int s_execute(const s_opts_t *o, cx_exp_plan_t *pl, const s_param_t *par, int np,
                     char **fig, int nk)
{
    char err[2048] = "";
    bool tty = isatty(2) != 0;
    cx_exp_exec_t *ex = cx_exp_exec_new(pl->exe, pl->root, o->com.engine, o->com.jobs, tty);
    if (!ex) {
        fprintf(stderr, "cxsim sensitivity: out of memory\n");
        return 1;
    }
    int todo = s_queue(o, pl, ex);
    if (todo < 0) {
        cx_exp_exec_destroy(&ex);
        return todo == -2 ? 2 : 1;
    }
    printf("sensitivity %s: %d parameter%s, delta %g: %d points x %d replicates = %d runs: %d "
           "to do, %lld already done; %d at a time, engine %s\n",
           pl->root, np, np == 1 ? "" : "s", o->delta, pl->n_point, o->com.replicates,
           pl->n_point * o->com.replicates, todo, pl->skipped, o->com.jobs, o->com.engine);
    fflush(stdout);
    s_ctx_t c = {pl, tty, 0};
    long long t0 = cx_now_ms();
    int lr = cx_exp_cmd_loop(&o->com, ex, pl, s_done, &c, &s_stop, err, sizeof err);
    if (lr < 0) {
        fprintf(stderr, "cxsim sensitivity: %s\n", err);
    } else if (lr == 1) {
        fprintf(stderr, "cxsim sensitivity: interrupted; recorded runs are kept: run the same "
                        "command again to resume\n");
    }
    int completed, failed;
    cx_exp_exec_counts(ex, &completed, &failed);
    if (lr != 1) {
        printf("ran %d runs in %.1f s (%d completed, %d failed)\n", completed + failed,
               (double)(cx_now_ms() - t0) / 1000.0, completed, failed);
        if (cx_exp_summary(pl->db, pl->root, NULL, err, sizeof err) != 0 ||
            s_analyse(o, pl, par, np, fig, nk, o->com.quiet ? NULL : stdout, err, sizeof err) !=
                0) {
            fprintf(stderr, "cxsim sensitivity: %s\n", err);
            lr = -1;
        }
        if (!o->com.quiet) {
            printf("results: %s/sensitivity.db, %s/sensitivity.csv\n", pl->root, pl->root);
        }
    }
    cx_exp_exec_destroy(&ex);
    return lr == 0 && c.failed == 0 ? 0 : 1;
}

/* The figure each KPI is read as: window_<kpi> (the mean over the window),
 * total_<column> as given. Heap strings into fig. Returns 0 or -1. */
static int s_figures(char **kpis, int nk, char **fig)
{
    for (int k = 0; k < nk; k++) {
        size_t l = strlen(kpis[k]) + 8;
        fig[k] = malloc(l);
        if (!fig[k]) {
            return -1;
        }
        snprintf(fig[k], l, "%s%s", strncmp(kpis[k], "total_", 6) == 0 ? "" : "window_",
                 kpis[k]);
    }
    return 0;
}

int cx_cmd_sensitivity(int argc, char **argv)
{
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim sensitivity --help'\n");
        return 2;
    }
    int tab_n;
    cx_params_table(&tab_n);
    int *idx = malloc((size_t)tab_n * sizeof *idx);
    s_param_t *par = calloc((size_t)tab_n, sizeof *par);
    char *kpis[S_MAX_KPIS], *fig[S_MAX_KPIS] = {NULL};
    int nk = 0, rc = 1, np = idx && par ? s_params(&o, idx) : -2;
    cx_exp_plan_t pl;
    memset(&pl, 0, sizeof pl);
    pl.lock_fd = -1;
    char err[2048] = "", outbuf[PATH_MAX];
    if (np < 0) {
        if (np == -2) {
            fprintf(stderr, "cxsim sensitivity: out of memory\n");
        }
        rc = np == -2 ? 1 : 2;
        goto done;
    }
    cx_signals_on_stop(s_on_signal);
    if (cx_exp_plan_init(&pl, s_out_dir(&o, outbuf, sizeof outbuf), "sensitivity.db", err,
                         sizeof err) != 0) {
        fprintf(stderr, "cxsim sensitivity: %s\n", err);
        goto done;
    }
    nk = s_kpis(&o, pl.db, kpis);
    if (nk < 0) {
        nk = 0;
        rc = 2;
        goto done;
    }
    if (s_figures(kpis, nk, fig) != 0 || cx_exp_plan_lock(&pl, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim sensitivity: %s\n", err[0] ? err : "out of memory");
        goto done;
    }
    pl.ticks = o.com.ticks;
    pl.seed = o.com.seed;
    pl.crn = true;
    rc = s_plan(&o, &pl, idx, par, np);
    if (rc != 0) {
        goto done;
    }
    s_meta(&pl, argc, argv, &o);
    if (cx_exp_cmd_window(s_cmd, &pl, o.window_days) != 0) {
        rc = 1;
        goto done;
    }
    rc = s_execute(&o, &pl, par, np, fig, nk);
done:
    cx_exp_plan_fini(&pl);
    for (int k = 0; k < nk; k++) {
        free(kpis[k]);
        free(fig[k]);
    }
    free(idx);
    free(par);
    return rc;
}
