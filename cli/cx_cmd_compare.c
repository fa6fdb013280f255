/*  cxsim compare — a scenario against a baseline, replicate by replicate
 *  with common random numbers, with paired confidence intervals of the
 *  KPI deltas and the tick at which the scenario's extra spending pays
 *  back.
 *
 *      PARSE --> PLAN two points (baseline, scenario), both validated; the
 *            seed of replicate r is the same on both sides:
 *            cx_exp_seed(baseline seed, NULL, r)
 *        --> RUN the 2 x R runs (skipping those already in
 *            DIR/compare.db: a re-run resumes), each recorded in one
 *            transaction as in `cxsim sweep`
 *        --> DELTAS: per KPI, d_r = final_scenario_r - final_baseline_r over
 *            the replicates completed on both sides; mean and Student-t
 *            95% CI of d (n - 1 degrees of freedom)
 *        --> PAYBACK on the mean curves (see s_payback), and per replicate
 *        --> DIR/compare.csv, DIR/payback.csv, the comparison table in
 *            compare.db, and the printed table
 *
 *  Exit status: 0 every run completed; 1 a run failed or interrupted;
 *  2 invalid input.
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
#include "cx_exp_stats.h"
#include "cx_exp_summary.h"
#include "cx_exp_util.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_signals.h"

#define S_MAX_SETS 16 /* --set, --set-baseline, --set-scenario options each */

static const char s_cmd[] = "cxsim compare";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim compare BASELINE.yaml [SCENARIO.yaml] [options]\n"
                "\n"
                "Runs the baseline and the scenario R times each with common random numbers\n"
                "(replicate r uses the same seed on both sides), and prints the deltas of the\n"
                "final KPIs (scenario - baseline) with 95%% confidence intervals from the paired\n"
                "differences, and the payback tick of the scenario's extra cost and investment.\n"
                "SCENARIO defaults to BASELINE (then use --set-scenario to make them differ).\n"
                "\n"
                "options:\n"
                "  --replicates R        paired replicates (default 10)\n"
                "  --set KEY=VALUE       override on both sides (repeatable)\n"
                "  --set-baseline K=V    override on the baseline only (repeatable)\n"
                "  --set-scenario K=V    override on the scenario only (repeatable)\n"
                "  --seed N              base seed (default: the baseline's)\n"
                "  --ticks N             ticks per run (default: the scenario files')\n"
                "  --margin M            share of revenue counted as return for the payback,\n"
                "                        0 < M <= 1 (default: the baseline's company.gross_margin)\n"
                "  --window DAYS         final KPIs as their mean over each run's last DAYS days\n"
                "                        (default 30; in ticks of the baseline's tick length),\n"
                "                        shown as window_KPI; the last tick's value stays KPI\n"
                "  --jobs J              runs at once (default: the number of cores)\n"
                "  --engine E            in-process (default) or processes\n"
            "  --backend slurm       each batch of runs as one sbatch array job, waited for\n"
            "  --slurm-opt OPT       an sbatch option for those jobs, repeatable\n"
            "  --slurm-tasks N       array tasks per job (default: about 60 s a task)\n"
                "  --out DIR             directory (default compares/NAME-HASH; a re-run resumes)\n"
                "  --quiet               no table\n"
                "\n"
                "exit status: 0 every run completed, 1 a run failed, 2 invalid input\n");
}

typedef struct {
    const char *baseline;         /* baseline file */
    const char *scenario;         /* scenario file (default: baseline) */
    const char *both[S_MAX_SETS]; /* --set */
    int n_both;                   /* entries used */
    const char *bset[S_MAX_SETS]; /* --set-baseline */
    int n_bset;                   /* entries used */
    const char *sset[S_MAX_SETS]; /* --set-scenario */
    int n_sset;                   /* entries used */
    cx_exp_common_t com; /* --replicates, --jobs, --seed, --ticks, --engine, --out, --quiet */
    double margin;                /* --margin */
    double window_days;           /* --window: days of the final KPIs' mean */
    double tick_days;             /* days in one tick of the baseline */
} s_opts_t;

static int s_add_set(const char **list, int *n, const char *opt, const char *v)
{
    if (*n == S_MAX_SETS) {
        fprintf(stderr, "cxsim compare: at most %d %s options\n", S_MAX_SETS, opt);
        return -1;
    }
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || strpbrk(v, "\t\n")) {
        fprintf(stderr, "cxsim compare: %s expects KEY=VALUE, got '%s'\n", opt, v);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->com.replicates = 10;
    o->margin = NAN; /* the baseline scenario's gross margin */
    o->window_days = CX_EXP_WINDOW_DAYS;
    o->com.engine = "in-process";
    enum { O_HELP, O_SET_BASELINE, O_SET_SCENARIO, O_SET, O_MARGIN, O_WINDOW };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP},
        {"--set-baseline", NULL, true, O_SET_BASELINE},
        {"--set-scenario", NULL, true, O_SET_SCENARIO},
        {"--set", NULL, true, O_SET},
        {"--margin", NULL, true, O_MARGIN},
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
        case O_SET_BASELINE:
            if (s_add_set(o->bset, &o->n_bset, "--set-baseline", v) != 0) {
                return -1;
            }
            break;
        case O_SET_SCENARIO:
            if (s_add_set(o->sset, &o->n_sset, "--set-scenario", v) != 0) {
                return -1;
            }
            break;
        case O_SET:
            if (s_add_set(o->both, &o->n_both, "--set", v) != 0) {
                return -1;
            }
            break;
        case O_MARGIN:
            o->margin = strtod(v, &end);
            if (!*v || *end || !(o->margin > 0 && o->margin <= 1)) {
                fprintf(stderr, "cxsim compare: --margin expects 0 < M <= 1, got '%s'\n", v);
                return -1;
            }
            break;
        case O_WINDOW:
            if (cx_exp_cmd_window_days(s_cmd, v, &o->window_days) != 0) {
                return -1;
            }
            break;
        case CX_OPTS_ERROR:
            return -1;
        case CX_OPTS_POSITIONAL:
            if (o->baseline && o->scenario) {
                fprintf(stderr, "cxsim compare: unexpected argument '%s'\n", v);
                return -1;
            }
            *(o->baseline ? &o->scenario : &o->baseline) = v;
            break;
        default:
            if (cx_exp_cmd_common_opt(s_cmd, id, v, &o->com, 2, 100000) < 0) {
                return -1;
            }
            break;
        }
    }
    if (!o->baseline) {
        fprintf(stderr, "cxsim compare: no baseline scenario given\n");
        return -1;
    }
    if (!o->scenario) {
        o->scenario = o->baseline;
    }
    if (!o->com.slurm && (o->com.n_slurm_opt || o->com.slurm_tasks)) {
        fprintf(stderr, "cxsim compare: --slurm-opt and --slurm-tasks need --backend slurm\n");
        return -1;
    }
    if (!o->com.jobs) {
        o->com.jobs = o->com.slurm ? 1 : cx_exp_cores();
    }
    return 0;
}

/* Builds a side's key, its overrides (both + own) and params JSON. */
static int s_side(const char *label, const char *file, const char *const *both, int nb,
                  const char *const *own, int no, cx_buf_t *key, cx_buf_t *json,
                  const char **sets, int *n)
{
    char real[PATH_MAX];
    cx_buf_printf(key, "%s\n%s", label, realpath(file, real) ? real : file);
    cx_buf_printf(json, "{");
    *n = 0;
    for (int i = 0; i < nb + no; i++) {
        const char *s = i < nb ? both[i] : own[i - nb];
        sets[(*n)++] = s;
        cx_buf_printf(key, "\n%s", s);
        const char *eq = strchr(s, '=');
        char k[256];
        snprintf(k, sizeof k, "%.*s", (int)(eq - s), s);
        cx_buf_printf(json, "%s", i ? ", " : "");
        cx_json_text(json, k);
        cx_buf_printf(json, ": ");
        cx_exp_buf_json_value(json, eq + 1);
    }
    cx_buf_printf(json, "}");
    return key->oom || json->oom ? -1 : 0;
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
    char err[2048] = "";
    int rc = cx_exp_cmd_import(s_cmd, c->pl, run, c->tty, err, sizeof err);
    if (rc < 0) {
        return -1;
    }
    if (!ok || rc == 0) {
        c->failed++;
        fprintf(stderr, "%scxsim compare: %s run %d failed: %s\n", c->tty ? "\r\033[K" : "",
                run->label, run->replicate, rc == 0 ? err : reason);
    }
    return 0;
}

/* Final values of kpi on both sides, paired by replicate: fills d with
 * scenario - baseline, mb/ms with each side's values. Returns the pairs. */
static int s_pairs(cx_exp_db_t *db, long long b, long long s, const char *kpi, int cap, double *d,
                   double *mb, double *ms, int *reps)
{
    int *rb = malloc((size_t)cap * sizeof *rb), *rs = malloc((size_t)cap * sizeof *rs);
    double *vb = malloc((size_t)cap * sizeof *vb), *vs = malloc((size_t)cap * sizeof *vs);
    int n = 0;
    if (rb && rs && vb && vs) {
        int nb = cx_exp_db_finals(db, b, kpi, rb, vb, cap);
        int ns = cx_exp_db_finals(db, s, kpi, rs, vs, cap);
        nb = nb > cap ? cap : nb;
        ns = ns > cap ? cap : ns;
        for (int i = 0, j = 0; i < nb && j < ns;) {
            if (rb[i] < rs[j]) {
                i++;
            } else if (rb[i] > rs[j]) {
                j++;
            } else {
                if (!isnan(vb[i]) && !isnan(vs[j])) {
                    d[n] = vs[j] - vb[i];
                    mb[n] = vb[i];
                    ms[n] = vs[j];
                    if (reps) {
                        reps[n] = rb[i];
                    }
                    n++;
                }
                i++;
                j++;
            }
        }
    }
    free(rb);
    free(rs);
    free(vb);
    free(vs);
    return n;
}

static double s_mean(const double *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        s += x[i];
    }
    return n ? s / n : NAN;
}

/*  Payback tick. With, per tick t and replicate r,
 *      dR_r(t) = revenue_s(t) - revenue_b(t)
 *      dC_r(t) = (cost_s(t) + investment_s(t) + marketing_cost_s(t)) - (same for b)
 *  and net(t) = sum over u <= t of (margin x dR(u) - dC(u)), the payback tick
 *  is the first tick T such that net(t) >= 0 for every t from T to the last
 *  tick: the scenario's cumulative extra return covers its cumulative extra
 *  spending from T on and stays so. None when net(last tick) < 0.
 *  Returns the index into the tick array, or -1.
 */
static int s_payback(const double *net, int nt)
{
    if (nt == 0 || net[nt - 1] < 0) {
        return -1;
    }
    int t = nt - 1;
    while (t > 0 && net[t - 1] >= 0) {
        t--;
    }
    return t;
}

/* One replicate's per-tick net series; returns ticks, or -1. */
static int s_net_series(cx_exp_db_t *db, long long b, long long s, int r, double margin, int *ticks,
                        double *net, int cap)
{
    /* Campaigns are sales and marketing spend (marketing_cost); results of
     * an engine without that column count none. */
    static const char *cols[4] = {"revenue", "cost", "investment", "marketing_cost"};
    double *v[2][4];
    int n = -1;
    bool oom = false;
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < 4; c++) {
            v[k][c] = malloc((size_t)cap * sizeof(double));
            oom |= !v[k][c];
        }
    }
    if (!oom) {
        int nn[2][3];
        bool same = true;
        for (int c = 0; c < 3; c++) {
            nn[0][c] = cx_exp_db_series(db, b, r, cols[c], c == 0 ? ticks : NULL, v[0][c], cap);
            nn[1][c] = cx_exp_db_series(db, s, r, cols[c], NULL, v[1][c], cap);
            same &=
                nn[0][c] == nn[0][0] && nn[1][c] == nn[0][0] && nn[0][c] >= 0 && nn[0][c] <= cap;
        }
        int mk[2];
        mk[0] = cx_exp_db_series(db, b, r, cols[3], NULL, v[0][3], cap);
        mk[1] = cx_exp_db_series(db, s, r, cols[3], NULL, v[1][3], cap);
        for (int k = 0; k < 2; k++) {
            for (int t = 0; same && t < nn[0][0]; t++) {
                if (mk[k] != nn[0][0] || isnan(v[k][3][t])) {
                    v[k][3][t] = 0.0;
                }
            }
        }
        if (same) {
            n = nn[0][0];
            double acc = 0;
            for (int t = 0; t < n; t++) {
                double dr = v[1][0][t] - v[0][0][t];
                double dc = (v[1][1][t] + (isnan(v[1][2][t]) ? 0 : v[1][2][t]) + v[1][3][t]) -
                            (v[0][1][t] + (isnan(v[0][2][t]) ? 0 : v[0][2][t]) + v[0][3][t]);
                acc += margin * dr - dc;
                net[t] = acc;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < 4; c++) {
            free(v[k][c]);
        }
    }
    return n;
}

/* The KPIs compared; window_X (the mean over the window, meta window_ticks)
 * follows X, and the table shows it instead of X (the last tick's value). */
static const char *const s_kpis[] = {
    "nps",
    "window_nps",
    "csat",
    "window_csat",
    "ces",
    "window_ces",
    "churn_rate",
    "window_churn_rate",
    "retention_rate",
    "window_retention_rate",
    "customers",
    "window_customers",
    "customers_end",
    "revenue",
    "window_revenue",
    "clv",
    "window_clv",
    "employee_engagement",
    "window_employee_engagement",
    "loyalty_index",
    "window_loyalty_index",
    "total_revenue",
    "total_cost",
    "total_investment",
    "total_churned",
    "total_acquired",
    "operating_profit",
    "window_operating_profit",
    "total_gross_profit",
    "total_marketing_cost",
    "total_operating_profit",
};
#define S_NKPI ((int)(sizeof s_kpis / sizeof s_kpis[0]))

static void s_fmt_signed(char *buf, size_t cap, double v, int dec)
{
    if (isnan(v)) {
        snprintf(buf, cap, "-");
    } else {
        snprintf(buf, cap, "%+.*f", dec, v);
    }
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

/* The maturity transitions of one side, planned against effective duration
 * and the investment booked, from the summary.json of its paired runs
 * (cx_exp_transitions_text): printed to out (when not NULL) and recorded as
 * meta transitions_<side> for the report ("" when the side has none). */
static void s_transitions(cx_exp_plan_t *pl, long long point, const char *side, const int *reps,
                          int n, FILE *out)
{
    char first[4096] = "", text[4096], path[4400], key[64];
    int ntr = 0, alike = 0, shown = -1;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/runs/p%06lld-r%04d/summary.json", pl->root, point,
                 reps[i]);
        char *json = cx_exp_read_file(path, 16u << 20, NULL);
        if (!json) {
            continue;
        }
        text[0] = '\0';
        int k = cx_exp_transitions_text(json, "  ", text, sizeof text);
        free(json);
        if (shown < 0) {
            snprintf(first, sizeof first, "%s", text);
            ntr = k;
            shown = reps[i];
        }
        alike += strcmp(text, first) == 0;
    }
    char note[160] = "";
    if (ntr > 0 && alike == n) {
        snprintf(note, sizeof note, "the same in all %d replicates", n);
    } else if (ntr > 0) {
        snprintf(note, sizeof note, "replicate %d; %d of %d replicates alike", shown, alike, n);
    }
    char err[256];
    snprintf(key, sizeof key, "transitions_%s", side);
    cx_buf_t m;
    cx_buf_init(&m);
    if (ntr > 0) {
        cx_buf_printf(&m, "(%s)\n%s", note, first);
    }
    cx_exp_db_meta_set(pl->db, key, m.oom || !m.p ? "" : m.p, err, sizeof err);
    cx_buf_fini(&m);
    if (out && ntr > 0) {
        fprintf(out, "ramps of the %s (planned against effective duration, from its runs' "
                     "summary.json; %s):\n%s",
                side, note, first);
    }
}

/* Scratch of the report: per replicate pair. */
typedef struct {
    int cap;    /* entries of each array: replicates + 1 */
    double *d;  /* scenario - baseline */
    double *mb; /* baseline values */
    double *ms; /* scenario values */
    int *reps;  /* the replicates paired on nps */
} s_pairs_t;

/* DELTAS: per KPI, the paired interval into compare.csv (csv), the
 * comparison table and, when out, the printed table. */
static void s_deltas(const s_opts_t *o, cx_exp_plan_t *pl, long long b, long long s,
                     s_pairs_t *pr, int npairs, cx_buf_t *csv, FILE *out)
{
    long long wticks = llround(o->window_days / o->tick_days);
    wticks = wticks < 1 ? 1 : wticks;
    if (out) {
        fprintf(out,
                "%d paired replicates (common random numbers); final KPIs as the mean over the "
                "last %g days (%lld tick%s) of each run (all of a shorter one), total_* summed over "
                "every tick\n",
                npairs, o->window_days, wticks, wticks == 1 ? "" : "s");
        fprintf(out, "  %-26s %14s %14s %14s  %s\n", "KPI", "baseline", "scenario", "delta",
                "95% CI of delta");
    }
    for (int k = 0; k < S_NKPI; k++) {
        bool window = strncmp(s_kpis[k], "window_", 7) == 0;
        const char *col = strncmp(s_kpis[k], "total_", 6) == 0 ? s_kpis[k] + 6
                          : window                            ? s_kpis[k] + 7
                                                              : s_kpis[k];
        if (!cx_exp_db_has_column(pl->db, col)) {
            continue;
        }
        /* The table shows a KPI's window mean in place of its last tick. */
        bool shown = true;
        for (int j = 0; !window && j < S_NKPI; j++) {
            shown &= !(strncmp(s_kpis[j], "window_", 7) == 0 && strcmp(s_kpis[j] + 7, s_kpis[k]) == 0);
        }
        int n = s_pairs(pl->db, b, s, s_kpis[k], pr->cap, pr->d, pr->mb, pr->ms, NULL);
        cx_exp_ci_t ci;
        cx_exp_ci(pr->d, n, 0.95, &ci);
        double avb = s_mean(pr->mb, n), avs = s_mean(pr->ms, n);
        cx_buf_printf(csv, "%s,%d,%.10g,%.10g,%.10g,%.10g,%.10g\n", s_kpis[k], n, avb, avs,
                          ci.mean, ci.lo, ci.hi);
        double row[8] = {n, avb, avs, ci.mean, ci.sd, ci.half, ci.lo, ci.hi};
        cx_exp_db_exec_bind(pl->db,
                            "INSERT INTO comparison VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            s_kpis[k], row, 8, NULL, 0);
        if (out && shown) {
            int dec = s_decimals(ci.half, fabs(avb) > fabs(avs) ? avb : avs);
            char a[32], bb[32], dd[32], lo[32], hi[32];
            snprintf(a, sizeof a, "%.*f", dec, avb);
            snprintf(bb, sizeof bb, "%.*f", dec, avs);
            s_fmt_signed(dd, sizeof dd, ci.mean, dec);
            s_fmt_signed(lo, sizeof lo, ci.lo, dec);
            s_fmt_signed(hi, sizeof hi, ci.hi, dec);
            bool sig = !isnan(ci.lo) && (ci.lo > 0 || ci.hi < 0);
            fprintf(out, "  %-26s %14s %14s %14s  [%s, %s]%s\n", s_kpis[k], a, bb, dd, lo, hi,
                    sig ? " *" : "");
        }
    }
}

/* The net curves of the paired replicates, summed. */
typedef struct {
    int tcap;          /* ticks of a run (0 before the first) */
    int *ticks;        /* their numbers */
    double *net;       /* scratch: one replicate's curve */
    double *mean_net;  /* the sum, then the mean, of the curves */
    int nt;            /* ticks of the curves summed, -1 when none */
    double *last;      /* per replicate summed: its net at the last tick */
    int n_last;        /* replicates summed */
    int paid;          /* replicates that pay back */
    int first_pay[2];  /* the earliest and the latest of their payback ticks */
} s_net_t;

static void s_net_fini(s_net_t *nt)
{
    free(nt->ticks);
    free(nt->net);
    free(nt->mean_net);
    free(nt->last);
}

/* PAYBACK per replicate: the net curves summed into nt. Returns 0 or -1
 * (out of memory). */
static int s_net_sum(const s_opts_t *o, cx_exp_plan_t *pl, long long b, long long s,
                     s_pairs_t *pr, int npairs, s_net_t *nt)
{
    nt->nt = -1;
    nt->first_pay[0] = INT_MAX;
    nt->first_pay[1] = INT_MIN;
    nt->last = malloc((size_t)pr->cap * sizeof *nt->last);
    for (int i = 0; i < npairs && nt->last; i++) {
        if (nt->tcap == 0) {
            nt->tcap = cx_exp_db_series(pl->db, b, pr->reps[i], "revenue", NULL, pr->d, 0);
            if (nt->tcap <= 0) {
                break;
            }
            nt->ticks = malloc((size_t)nt->tcap * sizeof *nt->ticks);
            nt->net = malloc((size_t)nt->tcap * sizeof *nt->net);
            nt->mean_net = calloc((size_t)nt->tcap, sizeof *nt->mean_net);
            if (!nt->ticks || !nt->net || !nt->mean_net) {
                return -1;
            }
        }
        int n = s_net_series(pl->db, b, s, pr->reps[i], o->margin, nt->ticks, nt->net, nt->tcap);
        if (n != nt->tcap) {
            continue;
        }
        nt->nt = n;
        for (int t = 0; t < n; t++) {
            nt->mean_net[t] += nt->net[t];
        }
        nt->last[nt->n_last++] = nt->net[n - 1];
        int p = s_payback(nt->net, n);
        if (p >= 0) {
            int tk = nt->ticks[p];
            nt->paid++;
            nt->first_pay[0] = tk < nt->first_pay[0] ? tk : nt->first_pay[0];
            nt->first_pay[1] = tk > nt->first_pay[1] ? tk : nt->first_pay[1];
        }
    }
    return 0;
}

/* PAYBACK on the mean curve: payback.csv (pay), the payback table, meta
 * payback_tick and, when out, the printed lines. */
static void s_payback_report(const s_opts_t *o, cx_exp_plan_t *pl, s_net_t *nt, cx_buf_t *pay,
                             FILE *out, char *err, size_t errlen)
{
    const int *ticks = nt->ticks;
    cx_buf_printf(pay, "tick,net_mean\n");
    for (int t = 0; t < nt->nt; t++) {
        nt->mean_net[t] /= nt->n_last;
        cx_buf_printf(pay, "%d,%.10g\n", ticks[t], nt->mean_net[t]);
        double row[2] = {ticks[t], nt->mean_net[t]};
        cx_exp_db_exec_bind(pl->db, "INSERT INTO payback(tick, net_mean) VALUES(?1, ?2)", NULL,
                            row, 2, NULL, 0);
    }
    cx_exp_ci_t ci;
    cx_exp_ci(nt->last, nt->n_last, 0.95, &ci);
    int p = s_payback(nt->mean_net, nt->nt);
    if (out) {
        char v[96];
        cx_exp_fmt_ci(v, sizeof v, ci.mean, ci.half);
        fprintf(out,
                "net return at the last tick (%s x extra revenue - extra cost - extra "
                "investment, cumulative): %s\n",
                "margin", v);
        if (p >= 0) {
            /* In months too: the tick's end, in the scenario's days. */
            fprintf(out,
                    "payback: tick %d, month %.1f (from then on the cumulative extra revenue "
                    "x margin covers the cumulative extra cost and investment)",
                    ticks[p], (ticks[p] + 1) * o->tick_days / 30.4375);
        } else {
            fprintf(out, "payback: no payback within the horizon (ticks %d..%d)", ticks[0],
                    ticks[nt->nt - 1]);
        }
        fprintf(out, "; %d of %d replicates pay back", nt->paid, nt->n_last);
        if (nt->paid) {
            fprintf(out, nt->first_pay[0] == nt->first_pay[1] ? " (at tick %d)" : " (ticks %d..%d)",
                    nt->first_pay[0], nt->first_pay[1]);
        }
        fprintf(out, "\n");
    }
    char sql[128];
    snprintf(sql, sizeof sql, "%d", p >= 0 ? ticks[p] : -1);
    cx_exp_db_meta_set(pl->db, "payback_tick", p >= 0 ? sql : "none", err, errlen);
}

/* Writes ROOT/NAME from b. Returns 0 or -1 (err set). */
static int s_write(const cx_exp_plan_t *pl, const char *name, const cx_buf_t *b, char *err,
                   size_t errlen)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", pl->root, name);
    if (b->oom || cx_write_atomic(path, b->p, b->n) != 0) {
        snprintf(err, errlen, "cannot write %.1000s", path);
        return -1;
    }
    return 0;
}

/* DELTAS, PAYBACK and the files, in one transaction. Returns 0 or -1 (err
 * set). */
static int s_report(const s_opts_t *o, cx_exp_plan_t *pl, long long b, long long s, FILE *out,
                    char *err, size_t errlen)
{
    s_pairs_t pr;
    pr.cap = o->com.replicates + 1;
    pr.d = malloc((size_t)pr.cap * sizeof *pr.d);
    pr.mb = malloc((size_t)pr.cap * sizeof *pr.mb);
    pr.ms = malloc((size_t)pr.cap * sizeof *pr.ms);
    pr.reps = malloc((size_t)pr.cap * sizeof *pr.reps);
    s_net_t nt;
    memset(&nt, 0, sizeof nt);
    cx_buf_t csv, pay;
    cx_buf_init(&csv);
    cx_buf_init(&pay);
    int rc = -1;
    if (!pr.d || !pr.mb || !pr.ms || !pr.reps) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    cx_exp_db_exec(pl->db,
                   "CREATE TABLE IF NOT EXISTS comparison(kpi TEXT PRIMARY KEY, n INTEGER, "
                   "baseline_mean REAL, scenario_mean REAL, delta_mean REAL, delta_sd REAL, "
                   "delta_half_width REAL, delta_ci_low REAL, delta_ci_high REAL);"
                   "CREATE TABLE IF NOT EXISTS payback(tick INTEGER PRIMARY KEY, "
                   "net_mean REAL);"
                   "DELETE FROM comparison; DELETE FROM payback; BEGIN IMMEDIATE;",
                   NULL, 0);
    cx_buf_printf(&csv, "kpi,n,baseline_mean,scenario_mean,delta_mean,delta_ci_low,"
                            "delta_ci_high\n");
    int npairs = s_pairs(pl->db, b, s, "nps", pr.cap, pr.d, pr.mb, pr.ms, pr.reps);
    s_deltas(o, pl, b, s, &pr, npairs, &csv, out);

    /* Payback: the mean net curve over the paired replicates. */
    if (s_net_sum(o, pl, b, s, &pr, npairs, &nt) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (nt.nt > 0 && nt.n_last > 0) {
        s_payback_report(o, pl, &nt, &pay, out, err, errlen);
    }
    s_transitions(pl, b, "baseline", pr.reps, npairs, out);
    s_transitions(pl, s, "scenario", pr.reps, npairs, out);
    if (cx_exp_db_exec(pl->db, "COMMIT", err, errlen) != 0) {
        goto done;
    }
    if (s_write(pl, "compare.csv", &csv, err, errlen) != 0 ||
        (pay.n && s_write(pl, "payback.csv", &pay, err, errlen) != 0)) {
        goto done;
    }
    rc = 0;
done:
    if (rc != 0) {
        cx_exp_db_exec(pl->db, "ROLLBACK", NULL, 0); /* no-op when nothing is open */
    }
    cx_buf_fini(&csv);
    cx_buf_fini(&pay);
    free(pr.d);
    free(pr.mb);
    free(pr.ms);
    free(pr.reps);
    s_net_fini(&nt);
    return rc;
}

/* The default directory: compares/SCENARIO-vs-BASELINE-HASH of what is
 * compared (into outbuf). */
static void s_default_dir(const s_opts_t *o, const cx_buf_t *key, char *outbuf, size_t cap)
{
    cx_buf_t def;
    cx_buf_init(&def);
    cx_buf_printf(&def, "%s\n%s\nseed %s\nticks %s\n", cx_buf_str(&key[0]), cx_buf_str(&key[1]),
                  o->com.seed ? o->com.seed : "-", o->com.ticks ? o->com.ticks : "-");
    char name[256], nb[100], ns[100];
    const char *files[2] = {o->baseline, o->scenario};
    char *names[2] = {nb, ns};
    for (int k = 0; k < 2; k++) {
        const char *base = strrchr(files[k], '/');
        snprintf(names[k], 100, "%s", base ? base + 1 : files[k]);
        char *dot = strrchr(names[k], '.');
        if (dot && dot != names[k]) {
            *dot = '\0';
        }
    }
    snprintf(name, sizeof name, "%s-vs-%s", ns, nb);
    cx_exp_default_dir(outbuf, cap, "compares", name, cx_buf_str(&def));
    cx_buf_fini(&def);
}

/* The two sides of a comparison, as built by s_side. */
typedef struct {
    const char *sets[2][2 * S_MAX_SETS]; /* per side: its overrides */
    int nsets[2];                        /* entries used */
    cx_buf_t key[2], json[2];            /* per side: its key and params JSON */
} s_sides_t;

/* PLAN: the two points (baseline, scenario) with common random numbers,
 * the margin and the tick's days settled. Returns 0, or the exit status
 * (printed). */
static int s_plan(s_opts_t *o, cx_exp_plan_t *pl, s_sides_t *sd, char *err, size_t errlen)
{
    pl->ticks = o->com.ticks;
    pl->seed = o->com.seed;
    pl->crn = true;
    const char *files[2] = {o->baseline, o->scenario};
    const char *labels[2] = {"baseline", "scenario"};
    for (int k = 0; k < 2; k++) {
        int r = cx_exp_plan_point_add(pl, files[k], labels[k], cx_buf_str(&sd->key[k]),
                                      (char *const *)sd->sets[k], sd->nsets[k],
                                      cx_buf_str(&sd->json[k]), err, errlen);
        if (r < 0) {
            fprintf(stderr, "cxsim compare: %s: %s%s\n", labels[k], err,
                    r == -2 ? "; nothing was run" : "");
            return r == -2 ? 2 : 1;
        }
    }
    /* Common random numbers: both sides start from the baseline's seed. */
    pl->point[1].base_seed = pl->point[0].base_seed;
    if (isnan(o->margin)) {
        /* What a sale returns is its gross profit: the baseline's margin. */
        const cx_scenario_t *bsc = cx_exp_plan_scenario(pl, 0, err, errlen);
        o->margin = bsc && bsc->gross_margin > 0 ? bsc->gross_margin : 1.0;
    }
    const cx_scenario_t *bsc = cx_exp_plan_scenario(pl, 0, err, errlen);
    o->tick_days = bsc ? cx_tick_days(bsc->tick_unit) : 1.0;
    return 0;
}

/* The experiment's meta: margin, window, creation, seeding. Returns 0 or 1
 * (printed). */
static int s_meta(const s_opts_t *o, cx_exp_plan_t *pl, char *err, size_t errlen)
{
    char m[32];
    snprintf(m, sizeof m, "%.17g", o->margin);
    cx_exp_db_meta_set(pl->db, "margin", m, err, errlen);
    if (cx_exp_cmd_window(s_cmd, pl, o->window_days) != 0) {
        return 1;
    }
    char now[32], have[8];
    cx_exp_now_iso(now);
    if (cx_exp_db_meta_get(pl->db, "created", have, sizeof have) == 0) {
        cx_exp_db_meta_set(pl->db, "created", now, err, errlen);
        cx_exp_db_meta_set(pl->db, "kind", "compare", err, errlen);
    }
    cx_exp_db_meta_set(pl->db, "seeding", "common", err, errlen);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)pl->point[0].base_seed);
    cx_exp_db_meta_set(pl->db, "base_seed", seed, err, errlen);
    return 0;
}

/* Queues the pairs not yet recorded and says what is to run. Returns 0, or
 * the exit status (printed). */
static int s_queue(const s_opts_t *o, cx_exp_plan_t *pl, cx_exp_exec_t *ex, const s_sides_t *sd,
                   char *err, size_t errlen)
{
    int todo = 0;
    for (int r = 0; r < o->com.replicates; r++) {
        for (int k = 0; k < 2; k++) {
            int q = 0;
            int qr = cx_exp_plan_queue(pl, k, r, r + 1, ex, &q, err, errlen);
            if (qr != 0) {
                fprintf(stderr, "cxsim compare: %s\n", err);
                return qr == 2 ? 2 : 1;
            }
            todo += q;
        }
    }
    printf("compare %s: %d paired replicates = %d runs: %d to do, %lld already done; %d at a "
           "time, engine %s\n",
           pl->root, o->com.replicates, 2 * o->com.replicates, todo, pl->skipped, o->com.jobs,
           o->com.engine);
    printf("  baseline: %s", pl->point[0].scenario);
    for (int i = 0; i < sd->nsets[0]; i++) {
        printf(" --set %s", sd->sets[0][i]);
    }
    printf("\n  scenario: %s", pl->point[1].scenario);
    for (int i = 0; i < sd->nsets[1]; i++) {
        printf(" --set %s", sd->sets[1][i]);
    }
    printf("\n");
    fflush(stdout);
    return 0;
}

/* RUN, then DELTAS and PAYBACK (unless interrupted). Returns the exit
 * status. */
static int s_compare(s_opts_t *o, cx_exp_plan_t *pl, const s_sides_t *sd, cx_exp_exec_t **ex,
                     char *err, size_t errlen)
{
    bool tty = isatty(2) != 0;
    *ex = cx_exp_exec_new(pl->exe, pl->root, o->com.engine, o->com.jobs, tty);
    if (!*ex) {
        fprintf(stderr, "cxsim compare: out of memory\n");
        return 1;
    }
    int rc = s_queue(o, pl, *ex, sd, err, errlen);
    if (rc != 0) {
        return rc;
    }
    s_ctx_t c = {pl, tty, 0};
    int lr = cx_exp_cmd_loop(&o->com, *ex, pl, s_done, &c, &s_stop, err, errlen);
    if (lr < 0) {
        fprintf(stderr, "cxsim compare: %s\n", err);
    } else if (lr == 1) {
        fprintf(stderr, "cxsim compare: interrupted; recorded runs are kept: run the same "
                        "command again to resume\n");
    }
    if (lr != 1) {
        if (cx_exp_summary(pl->db, pl->root, NULL, err, errlen) != 0 ||
            s_report(o, pl, pl->point[0].id, pl->point[1].id, o->com.quiet ? NULL : stdout, err,
                     errlen) != 0) {
            fprintf(stderr, "cxsim compare: %s\n", err);
            lr = -1;
        }
        if (!o->com.quiet) {
            printf("results: %s/compare.db, %s/compare.csv, %s/payback.csv\n", pl->root, pl->root,
                   pl->root);
        }
    }
    return lr == 0 && c.failed == 0 ? 0 : 1;
}

int cx_cmd_compare(int argc, char **argv)
{
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim compare --help'\n");
        return 2;
    }
    cx_signals_on_stop(s_on_signal);

    s_sides_t sd;
    for (int k = 0; k < 2; k++) {
        cx_buf_init(&sd.key[k]);
        cx_buf_init(&sd.json[k]);
    }
    s_side("baseline", o.baseline, o.both, o.n_both, o.bset, o.n_bset, &sd.key[0], &sd.json[0],
           sd.sets[0], &sd.nsets[0]);
    s_side("scenario", o.scenario, o.both, o.n_both, o.sset, o.n_sset, &sd.key[1], &sd.json[1],
           sd.sets[1], &sd.nsets[1]);
    char outbuf[PATH_MAX];
    const char *out = o.com.out;
    if (!out) {
        s_default_dir(&o, sd.key, outbuf, sizeof outbuf);
        out = outbuf;
    }
    char err[2048] = "";
    cx_exp_plan_t pl;
    memset(&pl, 0, sizeof pl);
    pl.lock_fd = -1;
    int rc = 1;
    cx_exp_exec_t *ex = NULL;
    if (cx_exp_plan_init(&pl, out, "compare.db", err, sizeof err) != 0 ||
        cx_exp_plan_lock(&pl, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim compare: %s\n", err);
    } else if ((rc = s_plan(&o, &pl, &sd, err, sizeof err)) != 0 ||
               (rc = s_meta(&o, &pl, err, sizeof err)) != 0) {
        /* said */
    } else {
        rc = s_compare(&o, &pl, &sd, &ex, err, sizeof err);
    }
    cx_exp_exec_destroy(&ex);
    cx_exp_plan_fini(&pl);
    for (int k = 0; k < 2; k++) {
        cx_buf_fini(&sd.key[k]);
        cx_buf_fini(&sd.json[k]);
    }
    return rc;
}
