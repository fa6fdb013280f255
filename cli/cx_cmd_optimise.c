/*  cxsim optimise — a roadmap optimiser: which departments to raise by one
 *  maturity level, in which order, within an investment budget
 *  (docs/EXPERIMENTS.md, "Roadmap optimiser").
 *
 *      PARSE --> LOAD the scenario with --set/--seed (and --ticks, which
 *            drops its events from that tick on): departments, levels,
 *            its own timeline; check --moves and --cost against its
 *            departments ("did you mean") and that the budget buys a move
 *        --> SEARCH: greedy with a beam of W roadmaps (cx_exp_roadmap).
 *            Step k appends every feasible move to every kept roadmap;
 *            each roadmap is a point of the experiment whose override
 *            `timeline=[...]` holds the scenario's own events then the
 *            moves, run R times under common random numbers through
 *            cx_exp_plan / cx_exp_exec like a sweep (a re-run re-uses
 *            every recorded run). The objective's paired gain over doing
 *            nothing (the empty roadmap, evaluated with step 1) ranks
 *            them; the W best are kept. The search stops after --steps
 *            moves, when no move fits the budget, or when no roadmap of a
 *            step beats the best so far
 *        --> DIR/optimise.db (runs, kpis, ... and the roadmaps table),
 *            optimise.csv, best.yaml (cx_scenario_emit of the scenario
 *            with the best roadmap), the printed summary with the payback
 *            tick of the best roadmap (as `cxsim compare` defines it)
 *
 *  Ownership: everything is freed before returning. Exit status: 0 the
 *  search ran with every run completed; 1 a run failed, the command was
 *  interrupted or a file could not be written; 2 invalid input (option,
 *  department, a budget that buys nothing, an override that does not
 *  validate).
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
#include "cx_exp_roadmap.h"
#include "cx_exp_stats.h"
#include "cx_exp_util.h"
#include "cx_gap.h"
#include "cx_load.h"
#include "cx_optimise_opts.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_signals.h"
#include "cx_version.h"


static const char s_cmd[] = "cxsim optimise";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* The objective as recorded (meta `objective`): nps is the window mean,
 * window_nps, so that a database recorded before windows ("nps": the last
 * tick) reads as it did. */
static const char *const s_obj_figures[] = {"net", "window_nps", "churn"};

/* The department with this id (length len), or -1 after a message with a
 * suggestion. */
static int s_dept(const cx_scenario_t *sc, const char *opt, const char *id, size_t len)
{
    char name[CX_ID_MAX + 64];
    snprintf(name, sizeof name, "%.*s", (int)len, id);
    int d = cx_scenario_dept_index(sc, name);
    if (d >= 0) {
        return d;
    }
    const char *cand[CX_MAX_DEPTS];
    for (int i = 0; i < sc->n_dept && i < CX_MAX_DEPTS; i++) {
        cand[i] = sc->dept[i].id;
    }
    const char *s = cx_suggest(name, cand, sc->n_dept);
    fprintf(stderr, "cxsim optimise: %s: unknown department '%s'", opt, name);
    if (s) {
        fprintf(stderr, "; did you mean '%s'?", s);
    }
    fprintf(stderr, " (the scenario's departments:");
    for (int i = 0; i < sc->n_dept; i++) {
        fprintf(stderr, " %s", sc->dept[i].id);
    }
    fprintf(stderr, ")\n");
    return -1;
}

/* Narrows the search space to a gap's (--space): the departments it names
 * (and --moves allows) up to their targets, jumps allowed, owner and
 * governance moves. Returns 0, or -1 after a message. */
static int s_space_file(const cx_optimise_opts_t *o, const cx_scenario_t *sc, cx_rm_space_t *sp)
{
    cx_gap_space_t gs;
    cx_diags_t dg;
    cx_diags_init(&dg);
    if (cx_gap_space_load_file(o->space, &gs, &dg) != 0) {
        cx_diags_print(stderr, &dg);
        cx_diags_fini(&dg);
        return -1;
    }
    cx_diags_fini(&dg);
    bool named[CX_MAX_DEPTS] = {false};
    for (int i = 0; i < gs.n; i++) {
        int d = s_dept(sc, "--space", gs.id[i], strlen(gs.id[i]));
        if (d < 0) {
            return -1;
        }
        named[d] = true;
        sp->target[d] = gs.to[i];
    }
    for (int d = 0; d < sc->n_dept; d++) {
        sp->allowed[d] = sp->allowed[d] && named[d];
    }
    sp->jump = true;
    sp->owner_move = gs.owner_move;
    sp->owner_to = gs.owner_to;
    sp->owner_cost = gs.owner_cost;
    sp->gov_move = gs.gov_move;
    sp->gov_to = gs.gov_to;
    sp->gov_cost = gs.gov_cost;
    return 0;
}

/* Fills the search space from the options. Returns 0, or -1 after a
 * message. */
static int s_space(const cx_optimise_opts_t *o, const cx_scenario_t *sc, cx_rm_space_t *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->steps = o->steps;
    sp->ticks = sc->ticks;
    sp->over = o->over ? o->over : cx_rm_default_over(o->steps, sc->ticks);
    sp->budget = o->budget;
    for (int d = 0; d < sc->n_dept; d++) {
        sp->cost[d] = o->cost_per_level;
        sp->allowed[d] = o->moves == NULL;
    }
    for (int i = 0; i < o->n_costs; i++) {
        const char *eq = strchr(o->costs[i], '=');
        int d = s_dept(sc, "--cost", o->costs[i], (size_t)(eq - o->costs[i]));
        if (d < 0) {
            return -1;
        }
        sp->cost[d] = strtod(eq + 1, NULL);
    }
    char *ids[CX_MAX_DEPTS];
    int n = o->moves ? cx_exp_cmd_split(o->moves, ids, CX_MAX_DEPTS, s_cmd, "--moves") : 0;
    int bad = n < 0;
    for (int i = 0; i < n; i++) {
        int d = bad ? -1 : s_dept(sc, "--moves", ids[i], strlen(ids[i]));
        bad |= d < 0;
        sp->allowed[d < 0 ? 0 : d] |= d >= 0;
        free(ids[i]);
    }
    return bad ? -1 : o->space ? s_space_file(o, sc, sp) : 0;
}

/* Loads the scenario with the --set options (and extra ones after them)
 * and --seed into *sc, then applies --ticks as `cxsim run --ticks` does.
 * Returns 0, or 2 after printing the diagnostics. */
static int s_load(const cx_optimise_opts_t *o, const char *const *extra, int n_extra, cx_scenario_t *sc)
{
    const char *sets[CX_OPTIMISE_MAX_SETS + 4];
    int n = 0;
    for (int i = 0; i < o->n_sets; i++) {
        sets[n++] = o->sets[i];
    }
    char sbuf[64];
    if (o->com.seed) {
        snprintf(sbuf, sizeof sbuf, "seed=%s", o->com.seed);
        sets[n++] = sbuf;
    }
    for (int i = 0; i < n_extra && n < CX_OPTIMISE_MAX_SETS + 4; i++) {
        sets[n++] = extra[i];
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
        fprintf(stderr, "cxsim optimise: --ticks %s is out of range\n", o->com.ticks);
        return 2;
    }
    return 0;
}

typedef struct {
    const cx_optimise_opts_t *o;
    const cx_scenario_t *sc; /* loaded with --set, --seed, --ticks */
    cx_exp_plan_t *pl;
    cx_exp_exec_t *ex;
    bool tty;
    char ticks_set[64];     /* "ticks=N" with --ticks, else "" */
    long long base_seed;    /* the first point's seed (common random numbers) */
    bool have_seed;
    bool window_set;        /* meta window_days/window_ticks recorded */
    double *none_obj;       /* objective of doing nothing, per replicate */
    double *obj;            /* scratch: one roadmap's objective per replicate */
    double *vals;           /* scratch */
    int *reps;              /* scratch */
    int failed;             /* runs failed */
    int ran;                /* runs started */
    long long reused;       /* runs found already recorded */
    int rc;                 /* exit status when the search aborted */
    char err[2048];         /* why it aborted */
} o_ctx_t;

static int s_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok, const char *reason)
{
    (void)ex;
    o_ctx_t *c = ud;
    return cx_exp_cmd_run_done(s_cmd, c->pl, run, ok, reason, c->tty, &c->failed);
}

/* The overrides of a roadmap: --set options, ticks=N with --ticks, then
 * timeline=[...]. tl receives the text of the latter. Returns how many. */
static int s_sets(const o_ctx_t *c, const cx_roadmap_t *rm, cx_buf_t *tl, const char **sets)
{
    int n = 0;
    for (int i = 0; i < c->o->n_sets; i++) {
        sets[n++] = c->o->sets[i];
    }
    if (c->ticks_set[0]) {
        sets[n++] = c->ticks_set;
    }
    cx_buf_reset(tl);
    cx_rm_timeline_set(tl, c->sc, rm);
    sets[n++] = cx_buf_str(tl);
    return n;
}

/* One value of the objective per replicate of a point into c->obj[0..R-1].
 * Returns 0, or -1 (c->err) when a replicate has no value. */
static int s_objective(o_ctx_t *c, long long point)
{
    int R = c->o->com.replicates;
    static const char *const net_cols[3] = {"total_gross_profit", "total_cost", "total_investment"};
    const char *const *cols = net_cols;
    int nc = 3;
    const char *one[1];
    if (c->o->objective == CX_OBJ_NPS) {
        one[0] = "window_nps";
        cols = one;
        nc = 1;
    } else if (c->o->objective == CX_OBJ_CHURN) {
        one[0] = "total_churned";
        cols = one;
        nc = 1;
    }
    for (int r = 0; r < R; r++) {
        c->obj[r] = NAN;
    }
    for (int k = 0; k < nc; k++) {
        int got = cx_exp_db_finals(c->pl->db, point, cols[k], c->reps, c->vals, R);
        if (got < R || got > R) {
            snprintf(c->err, sizeof c->err, "point %lld: %d of %d replicates of %s recorded", point,
                     got < 0 ? 0 : got, R, cols[k]);
            return -1;
        }
        for (int i = 0; i < got; i++) {
            int r = c->reps[i];
            if (r < 0 || r >= R) {
                continue;
            }
            double v = c->vals[i];
            if (c->o->objective == CX_OBJ_NET) {
                if (k == 2 && isnan(v)) {
                    v = 0; /* no investment recorded */
                }
                c->obj[r] = k == 0 ? v : c->obj[r] - v;
            } else if (c->o->objective == CX_OBJ_NPS) {
                c->obj[r] = v;
            } else {
                c->obj[r] = -v;
            }
        }
    }
    for (int r = 0; r < R; r++) {
        if (isnan(c->obj[r])) {
            snprintf(c->err, sizeof c->err, "point %lld replicate %d: no value of the objective",
                     point, r);
            return -1;
        }
    }
    return 0;
}

/* Evaluates rm[0..n-1]: plans each as a point, runs what is missing, then
 * fills mean and CI of the gain over doing nothing. When with_none, rm[0]
 * is the empty roadmap and its values become the reference. Returns 0, or
 * -1 (c->err, c->rc). cx_rm_search's evaluation (ud: the o_ctx_t). */
static int s_evaluate(void *ud, cx_roadmap_t *rm, int n, bool with_none)
{
    o_ctx_t *c = ud;
    const cx_optimise_opts_t *o = c->o;
    cx_exp_plan_t *pl = c->pl;
    int *pis = malloc((size_t)(n > 0 ? n : 1) * sizeof *pis);
    if (!pis) {
        snprintf(c->err, sizeof c->err, "out of memory");
        c->rc = 1;
        return -1;
    }
    char real[PATH_MAX];
    const char *sc_path = realpath(o->scenario, real) ? real : o->scenario;
    cx_buf_t tl, key, json, mk;
    cx_buf_init(&tl);
    cx_buf_init(&key);
    cx_buf_init(&json);
    cx_buf_init(&mk);
    int rc = 0;
    int todo_all = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *sets[CX_OPTIMISE_MAX_SETS + 2];
        int ns = s_sets(c, &rm[i], &tl, sets);
        cx_buf_reset(&key);
        cx_buf_reset(&json);
        cx_buf_reset(&mk);
        cx_rm_key(&mk, c->sc, &rm[i]);
        cx_buf_printf(&key, "optimise\n%s", sc_path);
        cx_buf_printf(&json, "{\"roadmap\": ");
        cx_json_text(&json, cx_buf_str(&mk));
        for (int s = 0; s < ns; s++) {
            const char *eq = strchr(sets[s], '=');
            char k[256];
            snprintf(k, sizeof k, "%.*s", (int)(eq - sets[s]), sets[s]);
            cx_buf_printf(&key, "\n%s", sets[s]);
            cx_buf_printf(&json, ", ");
            cx_json_text(&json, k);
            cx_buf_printf(&json, ": ");
            cx_exp_buf_json_value(&json, eq + 1);
        }
        cx_buf_printf(&json, "}");
        if (tl.oom || key.oom || json.oom || mk.oom) {
            snprintf(c->err, sizeof c->err, "out of memory");
            c->rc = 1;
            rc = -1;
            break;
        }
        int pi = cx_exp_plan_point_add(pl, o->scenario, "roadmap", cx_buf_str(&key),
                                       (char *const *)sets, ns, cx_buf_str(&json), c->err,
                                       sizeof c->err);
        if (pi < 0) {
            c->rc = pi == -2 ? 2 : 1;
            rc = -1;
            break;
        }
        if (!c->have_seed) {
            c->base_seed = (long long)pl->point[pi].base_seed;
            c->have_seed = true;
        }
        pl->point[pi].base_seed = (uint64_t)c->base_seed; /* common random numbers */
        int todo = 0;
        long long skipped0 = pl->skipped;
        int qr =
            cx_exp_plan_queue(pl, pi, 0, o->com.replicates, c->ex, &todo, c->err, sizeof c->err);
        if (qr != 0) {
            c->rc = qr == 2 ? 2 : 1;
            rc = -1;
            break;
        }
        c->reused += pl->skipped - skipped0;
        todo_all += todo;
        if (o->com.replicates > cx_exp_db_planned(pl->db, pl->point[pi].id)) {
            cx_exp_db_set_planned(pl->db, pl->point[pi].id, o->com.replicates, c->err,
                                  sizeof c->err);
        }
        pis[i] = pi;
        rm[i].point = pl->point[pi].id;
    }
    cx_buf_fini(&tl);
    cx_buf_fini(&key);
    cx_buf_fini(&json);
    cx_buf_fini(&mk);
    if (rc == 0 && n > 0 && !c->window_set) { /* the first point's tick length gives the window */
        if (cx_exp_cmd_window(s_cmd, pl, o->window_days) != 0) {
            snprintf(c->err, sizeof c->err, "cannot record the window");
            c->rc = 1;
            rc = -1;
        }
        c->window_set = true;
    }
    if (rc == 0) {
        int failed0 = c->failed;
        int lr = cx_exp_cmd_loop(&c->o->com, c->ex, c->pl, s_done, c, &s_stop, c->err, sizeof c->err);
        c->ran += todo_all;
        if (lr != 0) {
            if (lr == 1) {
                snprintf(c->err, sizeof c->err,
                         "interrupted; recorded runs are kept: run the same command again to "
                         "resume");
            }
            c->rc = 1;
            rc = -1;
        } else if (c->failed > failed0) {
            snprintf(c->err, sizeof c->err, "%d run%s failed (see the runs' log.txt)",
                     c->failed - failed0, c->failed - failed0 == 1 ? "" : "s");
            c->rc = 1;
            rc = -1;
        }
    }
    int R = o->com.replicates;
    double *gain = rc == 0 ? malloc((size_t)R * sizeof *gain) : NULL;
    if (rc == 0 && !gain) {
        snprintf(c->err, sizeof c->err, "out of memory");
        c->rc = 1;
        rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        if (s_objective(c, rm[i].point) != 0) {
            c->rc = 1;
            rc = -1;
            break;
        }
        if (with_none && i == 0) {
            memcpy(c->none_obj, c->obj, (size_t)R * sizeof *c->obj);
        }
        for (int r = 0; r < R; r++) {
            gain[r] = c->obj[r] - c->none_obj[r];
        }
        cx_exp_ci_t ci;
        cx_exp_ci(gain, R, 0.95, &ci);
        rm[i].n_rep = R;
        rm[i].mean = ci.mean;
        rm[i].lo = ci.lo;
        rm[i].hi = ci.hi;
        rm[i].half = ci.half;
    }
    free(gain);
    free(pis);
    return rc;
}

/* The mean over replicates of the cumulative net gain (gross profit - cost -
 * investment) of point s over point b, per tick, and its payback tick.
 * Returns the tick, -1 for none, -2 when the series cannot be read. */
static int s_payback(o_ctx_t *c, long long b, long long s)
{
    int R = c->o->com.replicates;
    int cap = c->sc->ticks + 1;
    static const char *const cols[3] = {"gross_profit", "cost", "investment"};
    double *v = malloc((size_t)cap * 6 * sizeof *v);
    double *net = calloc((size_t)cap, sizeof *net);
    int *ticks = malloc((size_t)cap * sizeof *ticks);
    int nt = -1;
    bool ok = v && net && ticks;
    for (int r = 0; r < R && ok; r++) {
        int n[6];
        for (int k = 0; k < 6; k++) {
            n[k] = cx_exp_db_series(c->pl->db, k < 3 ? b : s, r, cols[k % 3], k == 0 ? ticks : NULL,
                                    v + (size_t)k * (size_t)cap, cap);
            ok &= n[k] == n[0] && n[k] > 0 && n[k] <= cap && (nt < 0 || n[k] == nt);
        }
        if (!ok) {
            break;
        }
        nt = n[0];
        double acc = 0;
        for (int t = 0; t < nt; t++) {
            double x[6];
            for (int k = 0; k < 6; k++) {
                x[k] = v[(size_t)k * (size_t)cap + (size_t)t];
                if (k % 3 == 2 && isnan(x[k])) {
                    x[k] = 0;
                }
            }
            acc += (x[3] - x[0]) - ((x[4] + x[5]) - (x[1] + x[2]));
            net[t] += acc / R;
        }
    }
    int p = ok && nt > 0 ? cx_rm_payback(net, nt) : -2;
    int tick = p >= 0 ? ticks[p] : p;
    free(v);
    free(net);
    free(ticks);
    return tick;
}

static const char *const s_schema =
    "CREATE TABLE IF NOT EXISTS roadmaps(id INTEGER PRIMARY KEY, step INTEGER, moves TEXT, "
    "cost REAL, point INTEGER, n INTEGER, mean REAL, sd_half REAL, ci_low REAL, ci_high REAL, "
    "kept INTEGER, best INTEGER);"
    "DELETE FROM roadmaps;";

static void s_meta(cx_exp_plan_t *pl, int argc, char **argv, const cx_optimise_opts_t *o)
{
    cx_exp_cmd_meta(pl, argc, argv, "optimise");
    char err[512], num[64];
    cx_exp_db_meta_set(pl->db, "seeding", "common", err, sizeof err);
    cx_exp_db_meta_set(pl->db, "ticks", o->com.ticks ? o->com.ticks : "scenario", err, sizeof err);
    cx_exp_db_meta_set(pl->db, "objective", s_obj_figures[o->objective], err, sizeof err);
    snprintf(num, sizeof num, "%.17g", o->budget);
    cx_exp_db_meta_set(pl->db, "budget", num, err, sizeof err);
    snprintf(num, sizeof num, "%d", o->com.replicates);
    cx_exp_db_meta_set(pl->db, "replicates", num, err, sizeof err);
    snprintf(num, sizeof num, "%d", o->beam);
    cx_exp_db_meta_set(pl->db, "beam", num, err, sizeof err);
    snprintf(num, sizeof num, "%d", o->steps);
    cx_exp_db_meta_set(pl->db, "steps", num, err, sizeof err);
}

/* Appends one roadmap's row to the CSV and to the roadmaps table. */
static int s_record(o_ctx_t *c, cx_buf_t *csv, int id, const cx_rm_rec_t *r, bool best)
{
    cx_buf_t mk;
    cx_buf_init(&mk);
    cx_rm_key(&mk, c->sc, &r->rm);
    double v[10] = {id,        r->step,    r->rm.cost, (double)r->rm.point, r->rm.n_rep,
                    r->rm.mean, r->rm.half, r->rm.lo,   r->rm.hi,            r->rm.kept};
    int rc = mk.oom ? -1
                    : cx_exp_db_exec_bind(c->pl->db,
                                          best ? "INSERT INTO roadmaps(id, step, cost, point, n, "
                                                 "mean, sd_half, ci_low, ci_high, kept, best, "
                                                 "moves) VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                                 "?10, ?11, 1, ?1)"
                                               : "INSERT INTO roadmaps(id, step, cost, point, n, "
                                                 "mean, sd_half, ci_low, ci_high, kept, best, "
                                                 "moves) VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                                 "?10, ?11, 0, ?1)",
                                          cx_buf_str(&mk), v, 10, c->err, sizeof c->err);
    cx_buf_printf(csv, "%d,%d,\"%s\",%.17g,%lld,%d,%.17g,%.17g,%.17g,%.17g,%d,%d\n", id,
                      r->step, cx_buf_str(&mk), r->rm.cost, r->rm.point, r->rm.n_rep,
                      r->rm.mean, r->rm.half, r->rm.lo, r->rm.hi, r->rm.kept ? 1 : 0, best ? 1 : 0);
    cx_buf_fini(&mk);
    return rc;
}

static void s_print_gain(const char *what, const cx_roadmap_t *rm)
{
    printf("%s%+.2f (95%% CI %+.2f .. %+.2f, %d paired replicate%s)\n", what, rm->mean, rm->lo,
           rm->hi, rm->n_rep, rm->n_rep == 1 ? "" : "s");
}

/* The default directory is named after what the search is. */
static const char *s_out_dir(const cx_optimise_opts_t *o, int argc, char **argv, char *buf, size_t cap)
{
    if (o->com.out) {
        return o->com.out;
    }
    char real[PATH_MAX];
    cx_buf_t def;
    cx_buf_init(&def);
    cx_buf_printf(&def, "optimise\n%s\n", realpath(o->scenario, real) ? real : o->scenario);
    for (int i = 1; i < argc; i++) {
        cx_buf_printf(&def, "%s\n", argv[i]);
    }
    cx_exp_default_dir_for(buf, cap, "optimise", o->scenario, cx_buf_str(&def));
    cx_buf_fini(&def);
    return buf;
}

/* cx_rm_search's step report: a line per step unless --quiet. */
static void s_step_cb(void *ud, int step, int n, const cx_roadmap_t *top)
{
    const o_ctx_t *c = ud;
    if (c->o->com.quiet || !top) {
        return;
    }
    cx_buf_t mk;
    cx_buf_init(&mk);
    cx_rm_key(&mk, c->sc, top);
    printf("step %d: %d roadmap%s evaluated; best %s, cost %.17g, gain ", step, n,
           n == 1 ? "" : "s", cx_buf_str(&mk), top->cost);
    s_print_gain("", top);
    fflush(stdout);
    cx_buf_fini(&mk);
}

/* optimise.csv, the roadmaps table and best.yaml (the scenario loaded with
 * the best roadmap, emitted into *yaml, the caller's to free). Returns 0,
 * or -1 after a message. */
static int s_write(o_ctx_t *c, const cx_rm_rec_t *all, int n_all, const cx_roadmap_t *best,
                   cx_scenario_t *out_sc, char **yaml)
{
    char err[4400], path[4300];
    cx_buf_t csv, tl;
    cx_buf_init(&csv);
    cx_buf_init(&tl);
    cx_buf_printf(&csv, "id,step,moves,cost,point,n,mean,half_width,ci_low,ci_high,kept,best\n");
    int rc = cx_exp_db_exec(c->pl->db, "BEGIN IMMEDIATE", err, sizeof err);
    for (int i = 0; i < n_all && rc == 0; i++) {
        bool is_best = cx_rm_compare(&all[i].rm, best) == 0 && all[i].rm.point == best->point;
        if ((rc = s_record(c, &csv, i + 1, &all[i], is_best)) != 0) {
            snprintf(err, sizeof err, "cannot record the roadmaps: %.2000s", c->err);
            cx_exp_db_exec(c->pl->db, "ROLLBACK", NULL, 0);
        }
    }
    rc = rc == 0 ? cx_exp_db_exec(c->pl->db, "COMMIT", err, sizeof err) : rc;
    snprintf(path, sizeof path, "%.4000s/optimise.csv", c->pl->root);
    if (rc == 0 && (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0)) {
        snprintf(err, sizeof err, "cannot write %s", path);
        rc = -1;
    }
    const char *sets[CX_OPTIMISE_MAX_SETS + 2];
    int ns = rc == 0 ? s_sets(c, best, &tl, sets) : 0;
    size_t len = 0;
    if (rc == 0 && (tl.oom || s_load(c->o, sets + c->o->n_sets, ns - c->o->n_sets, out_sc) != 0 ||
                    cx_scenario_emit(out_sc, yaml, &len) != 0)) {
        snprintf(err, sizeof err, "cannot build the best scenario");
        rc = -1;
    }
    snprintf(path, sizeof path, "%.4000s/best.yaml", c->pl->root);
    if (rc == 0 && cx_write_atomic(path, *yaml, len) != 0) {
        snprintf(err, sizeof err, "cannot write %s", path);
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "cxsim optimise: %s\n", err);
    }
    cx_buf_fini(&csv);
    cx_buf_fini(&tl);
    return rc;
}

/* The printed summary (and meta payback_tick). */
static void s_summary(o_ctx_t *c, const cx_rm_rec_t *all, int n_all, const cx_roadmap_t *best,
                      const char *stop, double secs)
{
    char err[512], what[96];
    printf("stopped (%s) after %d roadmap%s evaluated in %.1f s: %d run%s, %lld re-used\n", stop,
           n_all, n_all == 1 ? "" : "s", secs, c->ran, c->ran == 1 ? "" : "s", c->reused);
    if (best->n == 0) {
        printf("best roadmap: doing nothing (no roadmap improved the objective)\n");
    } else {
        printf("best roadmap (cost %.17g of a budget of %.17g):\n", best->cost, c->o->budget);
    }
    for (int i = 0; i < best->n; i++) {
        cx_buf_t d;
        cx_buf_init(&d);
        cx_rm_move_describe(&d, c->sc, &best->move[i]);
        printf("  %d. %s\n", i + 1, cx_buf_str(&d));
        cx_buf_fini(&d);
    }
    snprintf(what, sizeof what, "gain over doing nothing (%s): ", cx_optimise_objectives[c->o->objective]);
    s_print_gain(what, best);
    if (best->n > 0 && all[0].rm.point >= 0) {
        int p = s_payback(c, all[0].rm.point, best->point);
        if (p >= 0) {
            printf("payback: tick %d (from then on the cumulative extra revenue covers the "
                   "cumulative extra cost and investment)\n",
                   p);
        } else if (p == -1) {
            printf("payback: none within the horizon\n");
        }
        char num[32];
        snprintf(num, sizeof num, "%d", p);
        cx_exp_db_meta_set(c->pl->db, "payback_tick", p >= 0 ? num : "none", err, sizeof err);
    }
    printf("evaluations: %d roadmap%s\n", n_all, n_all == 1 ? "" : "s");
    printf("results: %s/optimise.db, %s/optimise.csv, %s/best.yaml\n", c->pl->root, c->pl->root,
           c->pl->root);
}

int cx_cmd_optimise(int argc, char **argv)
{
    cx_optimise_opts_t o;
    if (cx_optimise_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim optimise --help'\n");
        return 2;
    }
    int rc = 2;
    char err[2048] = "";
    cx_exp_exec_t *ex = NULL;
    cx_exp_plan_t pl;
    memset(&pl, 0, sizeof pl);
    pl.lock_fd = -1;
    bool plan_open = false;
    o_ctx_t c;
    memset(&c, 0, sizeof c);
    char *yaml = NULL;
    cx_rm_rec_t *all = NULL;
    int n_all = 0;

    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_scenario_t *out_sc = malloc(sizeof *out_sc);
    if (!sc || !out_sc) {
        fprintf(stderr, "cxsim optimise: out of memory\n");
        free(sc);
        free(out_sc);
        return 1;
    }
    if (s_load(&o, NULL, 0, sc) != 0) {
        fprintf(stderr, "cxsim optimise: %s does not load; nothing was run\n", o.scenario);
        goto done;
    }
    cx_rm_space_t sp;
    if (s_space(&o, sc, &sp) != 0) {
        goto done;
    }
    /* Does the budget buy anything? */
    cx_roadmap_t none = cx_rm_none();
    if (cx_rm_candidates(sc, &sp, &none, NULL, 0) <= 0) {
        double cheapest;
        if (cx_rm_below5(sc, &sp, &cheapest) == 0) {
            fprintf(stderr, "cxsim optimise: no department that may move is below level 5: "
                            "nothing to raise\n");
        } else {
            fprintf(stderr,
                    "cxsim optimise: the budget %.17g buys nothing: the cheapest move costs "
                    "%.17g (set --budget, --cost-per-level or --cost ID=AMOUNT)\n",
                    o.budget, cheapest);
        }
        goto done;
    }

    char outbuf[PATH_MAX];
    const char *out = s_out_dir(&o, argc, argv, outbuf, sizeof outbuf);
    rc = 1;
    plan_open = true;
    if (cx_exp_plan_init(&pl, out, "optimise.db", err, sizeof err) != 0 ||
        cx_exp_plan_lock(&pl, err, sizeof err) != 0 ||
        cx_exp_db_exec(pl.db, s_schema, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim optimise: %s\n", err);
        goto done;
    }
    pl.seed = o.com.seed;
    pl.crn = true;
    s_meta(&pl, argc, argv, &o);

    cx_signals_on_stop(s_on_signal);

    int R = o.com.replicates;
    int W = o.beam;
    int cap_all = 1 + o.steps * W * cx_rm_max_candidates(sc, &sp);
    c.tty = isatty(2) != 0;
    ex = cx_exp_exec_new(pl.exe, pl.root, o.com.engine, o.com.jobs, c.tty);
    c.none_obj = malloc((size_t)R * sizeof *c.none_obj);
    c.obj = malloc((size_t)R * sizeof *c.obj);
    c.vals = malloc((size_t)R * sizeof *c.vals);
    c.reps = malloc((size_t)R * sizeof *c.reps);
    all = calloc((size_t)cap_all, sizeof *all);
    if (!ex || !c.none_obj || !c.obj || !c.vals || !c.reps || !all) {
        fprintf(stderr, "cxsim optimise: out of memory\n");
        goto done;
    }
    c.o = &o;
    c.sc = sc;
    c.pl = &pl;
    c.ex = ex;
    if (o.com.ticks) {
        snprintf(c.ticks_set, sizeof c.ticks_set, "ticks=%d", sc->ticks);
    }

    int n_allowed = 0;
    for (int d = 0; d < sc->n_dept; d++) {
        n_allowed += sp.allowed[d];
    }
    printf("optimise %s: objective %s, budget %.17g, at most %d step%s, beam %d, %d department%s "
           "may move, ramp %d tick%s; %d replicate%s per roadmap; %d at a time, engine %s\n",
           pl.root, cx_optimise_objectives[o.objective], o.budget, o.steps, o.steps == 1 ? "" : "s", W,
           n_allowed, n_allowed == 1 ? "" : "s", sp.over, sp.over == 1 ? "" : "s", R,
           R == 1 ? "" : "s", o.com.jobs, o.com.engine);
    fflush(stdout);

    long long t0 = cx_now_ms();
    cx_roadmap_t best;
    const char *stop;
    int sr = cx_rm_search(sc, &sp, W, s_evaluate, s_step_cb, &c, all, cap_all, &n_all, &best,
                          &stop);
    bool aborted = sr != 0;
    if (sr != 0) {
        fprintf(stderr, "cxsim optimise: %s\n", sr < 0 ? "out of memory" : c.err);
        rc = sr < 0 ? 1 : c.rc ? c.rc : 1;
        if (n_all == 0) {
            goto done;
        }
    }

    if (s_write(&c, all, n_all, &best, out_sc, &yaml) != 0) {
        rc = 1;
        goto done;
    }
    s_summary(&c, all, n_all, &best, stop, (double)(cx_now_ms() - t0) / 1000.0);
    if (!aborted) {
        rc = c.failed ? 1 : 0;
    }
done:
    cx_exp_exec_destroy(&ex);
    if (plan_open) {
        cx_exp_plan_fini(&pl);
    }
    free(c.none_obj);
    free(c.obj);
    free(c.vals);
    free(c.reps);
    free(all);
    free(yaml);
    free(sc);
    free(out_sc);
    return rc;
}
