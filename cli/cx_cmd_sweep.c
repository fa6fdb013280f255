/*  cxsim sweep — run a scenario over a grid of parameter values, with
 *  replicates, and summarise the final KPIs with 95% confidence intervals.
 *
 *      PARSE options (exit 2 on a bad option, value list or range)
 *        --> PLAN: every grid point's scenario loaded and validated with its
 *            overrides (exit 2 on an invalid one, before anything runs);
 *            every replicate's seed and resolved-scenario hash derived;
 *            completed runs in DIR/sweep.db skipped, finished-but-unrecorded
 *            ones imported
 *        --> backend local: RUN up to J `cxsim run --quiet` subprocesses;
 *                each one that exits is recorded in one transaction
 *                (--target-ci: a point that has no run in flight is
 *                evaluated, and given more replicates until its CI is narrow
 *                enough or the cap is reached)
 *            backend slurm: WRITE DIR/slurm/plan-STAMP.jsonl and an sbatch
 *                array script, SUBMIT it; workers (`cxsim sweep --worker`)
 *                run their share into DIR/runs/; `cxsim collect DIR` (or
 *                --wait) records them
 *        --> SUMMARY: DIR/summary.csv, the summary table, printed
 *
 *  Exit status: 0 every planned run completed; 1 some run failed, the sweep
 *  was interrupted, or a write failed; 2 invalid input.
 *  SIGINT/SIGTERM stop the runs in flight (they are not recorded) and keep
 *  every recorded one: running the same command again resumes.
 */
#include "cx_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cx_exp_cmd.h"
#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_grid.h"
#include "cx_exp_plan.h"
#include "cx_exp_slurm.h"
#include "cx_exp_stats.h"
#include "cx_exp_summary.h"
#include "cx_exp_util.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_signals.h"
#include "cx_sweep_worker.h"
#include "cx_version.h"

#define S_MAX_SLURM_OPTS 32 /* --slurm-opt options */

static const char s_cmd[] = "cxsim sweep";

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim sweep SCENARIO.yaml --set KEY=VALUES [--set KEY=VALUES]... [options]\n"
            "\n"
            "Runs the scenario at every point of the grid of --set values, R replicates each,\n"
            "records every run in DIR/sweep.db (SQLite) and prints, per point, the mean and\n"
            "95%% confidence interval (Student t) of the final KPIs (also in DIR/summary.csv).\n"
            "Running the same command again resumes: completed runs are not run again.\n"
            "\n"
            "VALUES: a comma-separated list of values and ranges: 2,3,5  1..5  1..5:0.5\n"
            "        (A..B:STEP = A, A+STEP, ... up to B); a single value is a fixed override.\n"
            "\n"
            "options:\n"
            "  --replicates R        replicates per point (default 5; 3 with --target-ci)\n"
            "  --jobs J              runs at once (default: the number of cores)\n"
            "  --out DIR             experiment directory (default sweeps/NAME-HASH, from\n"
            "                        the scenario and the options, so a re-run resumes)\n"
            "  --seed N              base seed (default: the scenario's)\n"
            "  --ticks N             ticks per run (default: the scenario's)\n"
            "  --engine E            in-process (default) or processes: how each run is\n"
            "                        executed; results are byte-identical\n"
            "  --window DAYS         final KPIs as their mean over each run's last DAYS days\n"
            "                        (default 30; in ticks of the scenario's tick length),\n"
            "                        shown as window_KPI; the last tick's value stays KPI\n"
            "  --crn                 common random numbers: replicate r uses the same seed at\n"
            "                        every point (sharper differences between points)\n"
            "  --target-ci KPI=HALF  add replicates to each point until the 95%% CI half-width\n"
            "                        of the KPI's final value is <= HALF (e.g. nps=1.0)\n"
            "  --max-replicates M    cap for --target-ci (default 50)\n"
            "  --backend B           local (default) or slurm: submit an sbatch array job\n"
            "  --slurm-opt OPT       an sbatch option for the job script, repeatable\n"
            "                        (e.g. --slurm-opt=--partition=short)\n"
            "  --slurm-tasks N       array tasks (default: as many as make each task last\n"
            "                        about 60 s, from the runs' size or measured runs; <= 100)\n"
            "  --cxsim PATH          cxsim on the compute nodes (default: this executable)\n"
            "  --no-submit           write the job script and plan, do not call sbatch\n"
            "  --wait                wait for the Slurm job, then collect its results\n"
            "  --quiet               no summary table\n"
            "\n"
            "exit status: 0 every run completed, 1 a run failed or the sweep was\n"
            "interrupted, 2 invalid input\n");
}

typedef struct {
    const char *scenario;                    /* scenario file */
    const char *sets[CX_EXP_MAX_AXES + 1];   /* --set specs */
    int n_sets;                              /* entries used */
    cx_exp_common_t com; /* --replicates, --jobs, --seed, --ticks, --engine, --out, --quiet */
    bool crn;                                /* --crn */
    double window_days;                      /* --window: days of the final KPIs' mean */
    const char *target_kpi;                  /* --target-ci KPI */
    char target_buf[64];                     /* storage for the KPI name */
    double target_half;                      /* --target-ci HALF */
    int max_replicates;                      /* --max-replicates */
    bool slurm;                              /* --backend slurm */
    const char *slurm_opt[S_MAX_SLURM_OPTS]; /* --slurm-opt */
    int n_slurm_opt;                         /* entries used */
    int slurm_tasks;                         /* --slurm-tasks, 0 = default */
    const char *cxsim;                       /* --cxsim */
    bool no_submit;                          /* --no-submit */
    bool wait;                               /* --wait */
    const char *worker;                      /* --worker PLAN */
    int task, of;                            /* --task K --of N */
} s_opts_t;

/* Option ids of sweep's own options (cx_opts), below the common ones'. */
enum {
    S_O_HELP,
    S_O_SET,
    S_O_CRN,
    S_O_WINDOW,
    S_O_TARGET,
    S_O_MAX_REP,
    S_O_BACKEND,
    S_O_SLURM_OPT,
    S_O_SLURM_TASKS,
    S_O_CXSIM,
    S_O_NO_SUBMIT,
    S_O_WAIT,
    S_O_WORKER,
    S_O_TASK,
    S_O_OF
};

/* Sweep's own --backend, --slurm-opt and --slurm-tasks come before the
 * common ones of the same name: the first entry of a name is the one read. */
static const cx_opt_t s_options[] = {
    {"--help", "-h", false, S_O_HELP},
    {"--set", NULL, true, S_O_SET},
    {"--crn", NULL, false, S_O_CRN},
    {"--window", NULL, true, S_O_WINDOW},
    {"--target-ci", NULL, true, S_O_TARGET},
    {"--max-replicates", NULL, true, S_O_MAX_REP},
    {"--backend", NULL, true, S_O_BACKEND},
    {"--slurm-opt", NULL, true, S_O_SLURM_OPT},
    {"--slurm-tasks", NULL, true, S_O_SLURM_TASKS},
    {"--cxsim", NULL, true, S_O_CXSIM},
    {"--no-submit", NULL, false, S_O_NO_SUBMIT},
    {"--wait", NULL, false, S_O_WAIT},
    {"--worker", NULL, true, S_O_WORKER},
    {"--task", NULL, true, S_O_TASK},
    {"--of", NULL, true, S_O_OF},
    CX_EXP_COMMON_OPTS,
};

/* --target-ci KPI=HALF into o. 0, or -1 after a message. */
static int s_target_opt(s_opts_t *o, const char *v)
{
    const char *eq = strchr(v, '=');
    char *end;
    double h = eq ? strtod(eq + 1, &end) : 0;
    if (!eq || eq == v || (size_t)(eq - v) >= sizeof o->target_buf || !eq[1] || *end || !(h > 0) ||
        !isfinite(h)) {
        fprintf(stderr,
                "cxsim sweep: --target-ci expects KPI=HALF_WIDTH with HALF_WIDTH > 0, "
                "e.g. nps=1.0; got '%s'\n",
                v);
        return -1;
    }
    snprintf(o->target_buf, sizeof o->target_buf, "%.*s", (int)(eq - v), v);
    o->target_kpi = o->target_buf;
    o->target_half = h;
    return 0;
}

/* One of sweep's integer options into its field. 0, or -1 (printed). */
static int s_int_opt(s_opts_t *o, int id, const char *v)
{
    long long n;
    const char *name = id == S_O_MAX_REP       ? "--max-replicates"
                       : id == S_O_SLURM_TASKS ? "--slurm-tasks"
                       : id == S_O_TASK        ? "--task"
                                               : "--of";
    long long lo = id == S_O_MAX_REP ? 3 : id == S_O_TASK ? 0 : 1;
    long long hi = id == S_O_MAX_REP || id == S_O_SLURM_TASKS ? 100000 : 1000000;
    if (cx_exp_cmd_int(s_cmd, name, v, lo, hi, &n) != 0) {
        return -1;
    }
    *(id == S_O_MAX_REP       ? &o->max_replicates
      : id == S_O_SLURM_TASKS ? &o->slurm_tasks
      : id == S_O_TASK        ? &o->task
                              : &o->of) = (int)n;
    return 0;
}

/* One option (id, its value v) or the scenario into o. 0, or -1 after a
 * message. */
static int s_option(s_opts_t *o, int id, const char *v)
{
    switch (id) {
    case S_O_SET:
        if (o->n_sets == CX_EXP_MAX_AXES) {
            fprintf(stderr, "cxsim sweep: at most %d --set options\n", CX_EXP_MAX_AXES);
            return -1;
        }
        o->sets[o->n_sets++] = v;
        return 0;
    case S_O_CRN:
        o->crn = true;
        return 0;
    case S_O_WINDOW:
        return cx_exp_cmd_window_days(s_cmd, v, &o->window_days);
    case S_O_TARGET:
        return s_target_opt(o, v);
    case S_O_MAX_REP:
    case S_O_SLURM_TASKS:
    case S_O_TASK:
    case S_O_OF:
        return s_int_opt(o, id, v);
    case S_O_BACKEND:
        if (strcmp(v, "local") != 0 && strcmp(v, "slurm") != 0) {
            fprintf(stderr, "cxsim sweep: --backend expects local or slurm, got '%s'\n", v);
            return -1;
        }
        o->slurm = strcmp(v, "slurm") == 0;
        return 0;
    case S_O_SLURM_OPT:
        if (o->n_slurm_opt == S_MAX_SLURM_OPTS || strchr(v, '\n')) {
            fprintf(stderr, "cxsim sweep: too many --slurm-opt, or a line break in one\n");
            return -1;
        }
        o->slurm_opt[o->n_slurm_opt++] = v;
        return 0;
    case S_O_CXSIM:
        o->cxsim = v;
        return 0;
    case S_O_NO_SUBMIT:
        o->no_submit = true;
        return 0;
    case S_O_WAIT:
        o->wait = true;
        return 0;
    case S_O_WORKER:
        o->worker = v;
        return 0;
    case CX_OPTS_POSITIONAL:
        return cx_exp_cmd_positional(s_cmd, v, false, &o->scenario);
    default:
        return cx_exp_cmd_common_opt(s_cmd, id, v, &o->com, 1, 100000) < 0 ? -1 : 0;
    }
}

/* The options taken together, and the defaults that depend on them. 0, or
 * -1 after a message. */
static int s_settle(s_opts_t *o)
{
    if (o->worker) {
        if (o->task < 0 || o->of < 1 || o->task >= o->of) {
            fprintf(stderr, "cxsim sweep: --worker needs --task K --of N with 0 <= K < N\n");
            return -1;
        }
        return 0;
    }
    if (!o->scenario) {
        fprintf(stderr, "cxsim sweep: no scenario file given\n");
        return -1;
    }
    if (o->target_kpi && o->no_submit) {
        fprintf(stderr, "cxsim sweep: --target-ci decides on more replicates as results come "
                        "in: it cannot go with --no-submit\n");
        return -1;
    }
    if (!o->slurm && (o->n_slurm_opt || o->slurm_tasks || o->no_submit || o->wait || o->cxsim)) {
        fprintf(stderr, "cxsim sweep: --slurm-opt, --slurm-tasks, --no-submit, --wait and "
                        "--cxsim need --backend slurm\n");
        return -1;
    }
    if (!o->com.replicates) {
        o->com.replicates = o->target_kpi ? 3 : 5;
    }
    if (o->target_kpi && o->com.replicates < 3) {
        o->com.replicates = 3;
    }
    if (o->target_kpi && o->max_replicates < o->com.replicates) {
        o->max_replicates = o->com.replicates;
    }
    if (!o->com.jobs) {
        o->com.jobs = o->slurm ? 1 : cx_exp_cores();
    }
    return 0;
}

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->com.engine = "in-process";
    o->max_replicates = 50;
    o->window_days = CX_EXP_WINDOW_DAYS;
    o->task = -1;
    cx_opts_t p;
    cx_opts_init(&p, s_cmd, s_options, (int)(sizeof s_options / sizeof s_options[0]), argc, argv);
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == S_O_HELP) {
            s_usage(stdout);
            exit(0);
        }
        if (id == CX_OPTS_ERROR || s_option(o, id, p.value) != 0) {
            return -1;
        }
    }
    return s_settle(o);
}

/* ---- the local backend --------------------------------------------------- */

typedef struct {
    cx_exp_plan_t *pl;   /* the experiment */
    const s_opts_t *o;   /* options */
    bool tty;            /* progress on stderr */
    int failed;          /* runs failed this session */
    int reached, capped; /* --target-ci outcome per point */
} s_local_t;

/* --target-ci: decides whether point pi needs more replicates, and queues
 * them. Called when the point has no run in flight. Decisions depend only on
 * the point's completed replicates 0..planned-1, so a resumed sweep makes the
 * same ones. */
static int s_target_step(s_local_t *L, int pi, cx_exp_exec_t *ex, char *err, size_t errlen)
{
    cx_exp_plan_t *pl = L->pl;
    cx_exp_ppoint_t *p = &pl->point[pi];
    const s_opts_t *o = L->o;
    while (p->outstanding == 0 && !p->settled) {
        int cap = p->planned + 1;
        double *v = malloc((size_t)cap * sizeof *v);
        if (!v) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int n = cx_exp_db_finals(pl->db, p->id, o->target_kpi, NULL, v, cap);
        if (n < 0) {
            free(v);
            snprintf(err, errlen, "cannot read %s of point %lld", o->target_kpi, p->id);
            return -1;
        }
        int m = 0;
        for (int j = 0; j < n && j < cap; j++) {
            if (!isnan(v[j])) {
                v[m++] = v[j];
            }
        }
        cx_exp_ci_t ci;
        cx_exp_ci(v, m, 0.95, &ci);
        free(v);
        if (m >= 3 && ci.half <= o->target_half) {
            p->settled = true;
            L->reached++;
            break;
        }
        if (p->planned >= o->max_replicates) {
            p->settled = true;
            L->capped++;
            break;
        }
        int add;
        if (m < 3) {
            add = 3 - m;
        } else {
            /* n needed ~ (t x sd / target)^2; at most double the replicates
             * in one step, since sd and t are estimates. */
            double t = cx_exp_t_quantile(0.975, m - 1);
            double need = ceil(pow(t * ci.sd / o->target_half, 2.0));
            add = need - m > m ? m : need - m < 1 ? 1 : (int)(need - m);
        }
        if (add > o->max_replicates - p->planned) {
            add = o->max_replicates - p->planned;
        }
        int from = p->planned;
        int rc = cx_exp_plan_queue(pl, pi, from, from + add, ex, NULL, err, errlen);
        if (rc != 0) {
            return -1;
        }
        if (cx_exp_db_set_planned(pl->db, p->id, p->planned, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

static int s_local_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok,
                        const char *reason)
{
    s_local_t *L = ud;
    cx_exp_plan_t *pl = L->pl;
    char err[2048] = "";
    int rc = cx_exp_cmd_import(s_cmd, pl, run, L->tty, err, sizeof err);
    if (rc < 0) {
        return -1;
    }
    if (!ok || rc == 0) {
        L->failed++;
        fprintf(stderr, "%scxsim sweep: run %s (point %lld, replicate %d) failed: %s\n",
                L->tty ? "\r\033[K" : "", run->dir, run->point, run->replicate,
                rc == 0 ? err : reason);
    }
    int pi = cx_exp_plan_find(pl, run->point);
    if (pi >= 0) {
        pl->point[pi].outstanding--;
        if (L->o->target_kpi && s_target_step(L, pi, ex, err, sizeof err) != 0) {
            fprintf(stderr, "%scxsim sweep: %s\n", L->tty ? "\r\033[K" : "", err);
            return -1;
        }
    }
    return 0;
}

/* ---- the Slurm backend --------------------------------------------------- */

/* Counts the runs of a plan file that have a run.json. */
static int s_count_finished(const char *root, const char *plan, int *total)
{
    char *text = cx_exp_read_file(plan, 1u << 30, NULL);
    int done = 0;
    *total = 0;
    if (!text) {
        return 0;
    }
    char err[256];
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cx_exp_run_t run;
        if (cx_exp_run_from_json(line, &run, err, sizeof err) != 0) {
            continue;
        }
        (*total)++;
        char path[4800];
        snprintf(path, sizeof path, "%s/%s/run.json", root, run.dir);
        done += access(path, F_OK) == 0;
        cx_exp_run_fini(&run);
    }
    free(text);
    return done;
}

/* Writes the plan and job script of the runs queued in `runs` and submits
 * it. Returns 0, 1 (failed), with what to do next printed. */
static int s_slurm(const s_opts_t *o, cx_exp_plan_t *pl, cx_exp_run_t *runs, int n_runs,
                   const char *engine)
{
    char stamp[64], plan[4400], script[4400], err[1024];
    double task_s = 0;
    char how[128] = "";
    int tasks = o->slurm_tasks ? o->slurm_tasks
                               : cx_exp_slurm_tasks(pl, runs, n_runs, 60.0, &task_s, how, sizeof how);
    if (tasks > n_runs) {
        tasks = n_runs;
    }
    if (!o->slurm_tasks) {
        printf("%d array task%s of about %.0f s each (%s; --slurm-tasks N overrides)\n", tasks,
               tasks == 1 ? "" : "s", task_s, how);
    }
    cx_exp_slurm_job_t job = {o->slurm_opt, o->n_slurm_opt, tasks, o->com.jobs,
                              o->cxsim ? o->cxsim : pl->exe, "sweep"};
    if (cx_exp_slurm_write(pl->root, engine, runs, n_runs, tasks, &job, stamp, plan, script,
                           sizeof plan, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim sweep: %s\n", err);
        return 1;
    }
    if (o->no_submit) {
        printf("wrote %s (%d runs in %d array tasks) and %s\nsubmit it with: sbatch %s\n"
               "then, when it is done: cxsim collect %s\n",
               script, n_runs, tasks, plan, script, pl->root);
        return 0;
    }
    char out[64];
    if (cx_exp_slurm_sbatch(pl->db, script, stamp, out, sizeof out, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim sweep: %s\n", err);
        return 1;
    }
    printf("submitted Slurm job %s: %d runs in %d array tasks (%s)\n", out, n_runs, tasks, script);
    if (!o->wait) {
        printf("when it is done: cxsim collect %s\n", pl->root);
        return 0;
    }
    /* --wait: poll the run.json files; every 5 s ask Slurm whether any
     * task is still queued or running. */
    bool tty = isatty(2);
    int total = 0, finished = 0;
    char who[300];
    snprintf(who, sizeof who, "slurm job %s", out);
    for (int round = 0; !s_stop; round++) {
        finished = s_count_finished(pl->root, plan, &total);
        if (tty) {
            fprintf(stderr, "\r\033[Kslurm job %s: %d/%d runs finished", out, finished, total);
        }
        if (finished >= total) {
            break;
        }
        if (round % 5 == 4) {
            cx_exp_slurm_report_t rep;
            int active = 1;
            if (cx_exp_slurm_report(pl->db, pl->root, plan, &rep, err, sizeof err) == 0) {
                active = rep.count[CX_SLURM_QUEUED] + rep.count[CX_SLURM_RUNNING] +
                         rep.count[CX_SLURM_UNKNOWN];
            }
            cx_exp_slurm_report_fini(&rep);
            if (!active) {
                break; /* every task ended */
            }
        }
        sleep(1);
    }
    if (tty) {
        fprintf(stderr, "\r\033[K");
    }
    if (s_stop) {
        fprintf(stderr, "cxsim sweep: stopped waiting; the job goes on. Later: cxsim collect %s\n",
                pl->root);
        return 1;
    }
    int added, failed, already;
    if (cx_exp_plan_collect_dir(pl->db, pl->root, &added, &failed, &already, err, sizeof err) !=
        0) {
        fprintf(stderr, "cxsim sweep: %s\n", err);
        return 1;
    }
    cx_exp_slurm_report_t rep;
    int bad = 0;
    if (cx_exp_slurm_report(pl->db, pl->root, plan, &rep, err, sizeof err) == 0) {
        finished = s_count_finished(pl->root, plan, &total);
        bad = rep.count[CX_SLURM_FAILED] + rep.count[CX_SLURM_LOST];
    }
    printf("slurm job %s ended: %d of %d runs finished; recorded %d completed, %d failed\n", out,
           finished, total, added, failed);
    cx_exp_slurm_report_print(&rep, stdout, who);
    if (bad) {
        printf("%s: running the same sweep command again resubmits the %d lost or failed run%s\n",
               who, bad, bad == 1 ? "" : "s");
    }
    cx_exp_slurm_report_fini(&rep);
    return finished < total || failed || bad ? 1 : 0;
}

/* True (with a message) when a Slurm job submitted from this directory is
 * still queued or running: planning again would run its runs twice, into
 * the same directories. Without squeue (no Slurm here), nothing is known to
 * run. */
static bool s_slurm_busy(cx_exp_plan_t *pl)
{
    char jobs[4096];
    if (cx_exp_db_meta_prefixed(pl->db, "slurm_job_", jobs, sizeof jobs) <= 0) {
        return false;
    }
    char *save = NULL;
    for (char *id = strtok_r(jobs, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
        char out[4096];
        char *argv[] = {"squeue", "-h", "-j", id, "-o", "%i", NULL};
        if (cx_exp_slurm_capture(argv, out, sizeof out, 0) == 0 && out[strspn(out, " \n")] != '\0') {
            fprintf(stderr,
                    "cxsim sweep: Slurm job %s of %s is still queued or running; wait for it "
                    "and run 'cxsim collect %s', or cancel it (scancel %s) before sweeping "
                    "here again\n",
                    id, pl->root, pl->root, id);
            return true;
        }
    }
    return false;
}

/* ---- the command --------------------------------------------------------- */

static void s_meta(cx_exp_plan_t *pl, int argc, char **argv, const s_opts_t *o)
{
    cx_exp_cmd_meta(pl, argc, argv, "sweep");
    char err[512];
    cx_exp_db_meta_set(pl->db, "scenario", pl->point[0].scenario, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "seeding", o->crn ? "common" : "independent", err, sizeof err);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)pl->point[0].base_seed);
    cx_exp_db_meta_set(pl->db, "base_seed", seed, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "ticks", o->com.ticks ? o->com.ticks : "scenario", err, sizeof err);
}

/* One sweep, from its options to its summary. */
typedef struct {
    s_opts_t o;               /* the options */
    cx_exp_grid_t grid;       /* the --set grid */
    long long npoints;        /* its points */
    cx_exp_plan_t pl;         /* the experiment */
    cx_exp_exec_t *ex;        /* the local executor (NULL for one array job) */
    bool tty;                 /* progress on stderr */
    bool array_job;           /* through Slurm, one array job collected later */
    cx_exp_run_t *slurm_runs; /* that job's runs */
    int n_slurm;              /* entries used */
    int todo;                 /* runs queued */
    char err[2048];           /* the last error */
} s_sweep_t;

/* The grid of the --set values. 0, or 2 after a message. */
static int s_grid(s_sweep_t *w)
{
    cx_exp_grid_init(&w->grid);
    for (int i = 0; i < w->o.n_sets; i++) {
        if (cx_exp_grid_add(&w->grid, w->o.sets[i], w->err, sizeof w->err) != 0) {
            fprintf(stderr, "cxsim sweep: %s\n", w->err);
            return 2;
        }
    }
    w->npoints = cx_exp_grid_points(&w->grid);
    return 0;
}

/* The default directory is named after what defines the experiment, so
 * that running the same command again resumes it. */
static const char *s_out_dir(const s_opts_t *o, char *outbuf, size_t cap)
{
    if (o->com.out) {
        return o->com.out;
    }
    char real[PATH_MAX];
    cx_buf_t def;
    cx_buf_init(&def);
    cx_buf_printf(&def, "%s\n", realpath(o->scenario, real) ? real : o->scenario);
    for (int i = 0; i < o->n_sets; i++) {
        cx_buf_printf(&def, "set %s\n", o->sets[i]);
    }
    cx_buf_printf(&def, "seed %s\nticks %s\ncrn %d\n", o->com.seed ? o->com.seed : "-",
                  o->com.ticks ? o->com.ticks : "-", o->crn);
    cx_exp_default_dir_for(outbuf, cap, "sweeps", o->scenario, cx_buf_str(&def));
    cx_buf_fini(&def);
    return outbuf;
}

/* Opens and locks the experiment directory. 0, or 1 after a message. */
static int s_open(s_sweep_t *w)
{
    char outbuf[PATH_MAX];
    const char *out = s_out_dir(&w->o, outbuf, sizeof outbuf);
    if (cx_exp_plan_init(&w->pl, out, "sweep.db", w->err, sizeof w->err) != 0 ||
        cx_exp_plan_lock(&w->pl, w->err, sizeof w->err) != 0) {
        fprintf(stderr, "cxsim sweep: %s\n", w->err);
        return 1;
    }
    w->pl.ticks = w->o.com.ticks;
    w->pl.seed = w->o.com.seed;
    w->pl.crn = w->o.crn;
    return 0;
}

/* PLAN: every point validated before anything runs; the metadata, the
 * window; no Slurm job of this directory still going. 0, or the exit
 * status after a message. */
static int s_plan(s_sweep_t *w, int argc, char **argv)
{
    const s_opts_t *o = &w->o;
    if (o->target_kpi) {
        const char *col =
            strncmp(o->target_kpi, "total_", 6) == 0 ? o->target_kpi + 6 : o->target_kpi;
        if (!cx_exp_db_has_column(w->pl.db, col)) {
            fprintf(stderr,
                    "cxsim sweep: --target-ci: '%s' is not a KPI (a kpis.csv column such as "
                    "nps, csat, churn_rate, revenue, or total_<column>)\n",
                    o->target_kpi);
            return 2;
        }
    }
    for (long long i = 0; i < w->npoints; i++) {
        cx_exp_point_t pt;
        if (cx_exp_point_sets(&w->grid, i, &pt) != 0) {
            fprintf(stderr, "cxsim sweep: out of memory\n");
            return 1;
        }
        int r = cx_exp_plan_point_add(&w->pl, o->scenario, "", pt.key, pt.set, pt.n, pt.params_json,
                                      w->err, sizeof w->err);
        cx_exp_point_fini(&pt);
        if (r < 0) {
            fprintf(stderr, "cxsim sweep: %s%s\n", w->err, r == -2 ? "; nothing was run" : "");
            return r == -2 ? 2 : 1;
        }
    }
    s_meta(&w->pl, argc, argv, o);
    if (cx_exp_cmd_window(s_cmd, &w->pl, o->window_days) != 0 || s_slurm_busy(&w->pl)) {
        return 1;
    }
    return 0;
}

/* Through one array job: point pi's runs 0..want-1 not done yet, built for
 * the plan file. 0, or the exit status after a message. */
static int s_queue_array(s_sweep_t *w, int pi, int want)
{
    cx_exp_plan_t *pl = &w->pl;
    for (int r = 0; r < want; r++) {
        int before = (int)pl->skipped, q = 0;
        int qr = cx_exp_plan_queue(pl, pi, r, r + 1, NULL, &q, w->err, sizeof w->err);
        if (qr != 0) {
            fprintf(stderr, "cxsim sweep: %s\n", w->err);
            return qr == 2 ? 2 : 1;
        }
        if ((int)pl->skipped != before) {
            continue;
        }
        cx_exp_run_t *grow = realloc(w->slurm_runs, (size_t)(w->n_slurm + 1) * sizeof *grow);
        if (!grow ||
            cx_exp_plan_build_run(pl, pi, r, &grow[w->n_slurm], w->err, sizeof w->err) != 0) {
            w->slurm_runs = grow ? grow : w->slurm_runs;
            fprintf(stderr, "cxsim sweep: %s\n", grow ? w->err : "out of memory");
            return 1;
        }
        w->slurm_runs = grow;
        w->n_slurm++;
        w->todo++;
    }
    return 0;
}

/* Queues every point's replicates not done yet (to the executor, or for
 * the array job). 0, or the exit status after a message. */
static int s_queue(s_sweep_t *w)
{
    const s_opts_t *o = &w->o;
    cx_exp_plan_t *pl = &w->pl;
    /* Through Slurm, a plain sweep is one array job collected later; with
     * --target-ci each round of replicates is one array job, waited for. */
    w->array_job = o->slurm && !o->target_kpi;
    if (!w->array_job) {
        w->ex = cx_exp_exec_new(pl->exe, pl->root, o->com.engine, o->com.jobs, w->tty);
        if (!w->ex) {
            fprintf(stderr, "cxsim sweep: out of memory\n");
            return 1;
        }
    }
    for (int pi = 0; pi < pl->n_point; pi++) {
        int want = o->com.replicates;
        if (o->target_kpi) {
            int planned = cx_exp_db_planned(pl->db, pl->point[pi].id);
            want = planned > want ? planned : want;
        }
        int q = 0, qr;
        if (w->array_job) {
            qr = s_queue_array(w, pi, want);
        } else {
            qr = cx_exp_plan_queue(pl, pi, 0, want, w->ex, &q, w->err, sizeof w->err);
            if (qr != 0) {
                fprintf(stderr, "cxsim sweep: %s\n", w->err);
                qr = qr == 2 ? 2 : 1;
            }
            w->todo += q;
        }
        if (qr != 0) {
            return qr;
        }
        if (pl->point[pi].planned > cx_exp_db_planned(pl->db, pl->point[pi].id)) {
            cx_exp_db_set_planned(pl->db, pl->point[pi].id, pl->point[pi].planned, w->err,
                                  sizeof w->err);
        }
    }
    return 0;
}

/* The plan's line: points, replicates, runs to do and done, how. */
static void s_announce(const s_sweep_t *w)
{
    const s_opts_t *o = &w->o;
    const cx_exp_plan_t *pl = &w->pl;
    long long planned_runs = w->todo + pl->skipped;
    printf("sweep %s: %lld point%s x %d replicate%s%s = %lld runs: %d to do, %lld already "
           "done%s; ",
           pl->root, w->npoints, w->npoints == 1 ? "" : "s", o->com.replicates,
           o->com.replicates == 1 ? "" : "s", o->target_kpi ? " (at first)" : "", planned_runs,
           w->todo, pl->skipped,
           pl->recovered ? " (some recovered from their run directories)" : "");
    if (o->slurm) {
        printf("backend slurm, engine %s\n", o->com.engine);
    } else {
        printf("%d at a time, engine %s\n", o->com.jobs, o->com.engine);
    }
    fflush(stdout);
}

/* One array job: submitted (or its script written), with --wait collected
 * and summarised. The exit status. */
static int s_run_array(s_sweep_t *w)
{
    const s_opts_t *o = &w->o;
    int rc = w->todo == 0 ? 0 : s_slurm(o, &w->pl, w->slurm_runs, w->n_slurm, o->com.engine);
    if (rc == 0 && (w->todo == 0 || o->wait)) {
        if (cx_exp_summary(w->pl.db, w->pl.root, o->com.quiet ? NULL : stdout, w->err,
                           sizeof w->err) != 0) {
            fprintf(stderr, "cxsim sweep: %s\n", w->err);
            rc = 1;
        }
    }
    return rc;
}

/* The outcome of the local runs, and the summary. The exit status. */
static int s_report(s_sweep_t *w, const s_local_t *L, int lr, double secs)
{
    const s_opts_t *o = &w->o;
    cx_exp_plan_t *pl = &w->pl;
    int completed, failed;
    cx_exp_exec_counts(w->ex, &completed, &failed);
    if (lr < 0) {
        fprintf(stderr, "cxsim sweep: %s\n", w->err);
    }
    if (lr == 1) {
        fprintf(stderr,
                "cxsim sweep: interrupted; %d runs recorded this time, every recorded run is "
                "kept: run the same command again to resume\n",
                completed);
    }
    long long total_done = cx_exp_db_count_completed(pl->db, -1);
    printf("ran %d runs in %.1f s (%d completed, %d failed); %s/sweep.db holds %lld completed "
           "runs\n",
           completed + failed, secs, completed, failed, pl->root, total_done);
    if (o->target_kpi) {
        printf("target: 95%% CI half-width of %s <= %g reached at %d of %d points", o->target_kpi,
               o->target_half, L->reached, pl->n_point);
        if (L->capped) {
            printf("; %d stopped at --max-replicates %d", L->capped, o->max_replicates);
        }
        printf("\n");
    }
    if (cx_exp_summary(pl->db, pl->root, o->com.quiet || lr == 1 ? NULL : stdout, w->err,
                       sizeof w->err) != 0) {
        fprintf(stderr, "cxsim sweep: %s\n", w->err);
        lr = -1;
    }
    if (!o->com.quiet && lr != 1) {
        printf("results: %s/sweep.db, %s/summary.csv\n", pl->root, pl->root);
    }
    return lr == 0 && failed == 0 && L->failed == 0 ? 0 : 1;
}

/* RUN locally (or, with --target-ci through Slurm, one array job a round),
 * then the summary. The exit status. */
static int s_run_local(s_sweep_t *w)
{
    const s_opts_t *o = &w->o;
    cx_exp_plan_t *pl = &w->pl;
    s_local_t L = {pl, o, w->tty, 0, 0, 0};
    if (o->target_kpi) {
        for (int pi = 0; pi < pl->n_point; pi++) {
            if (s_target_step(&L, pi, w->ex, w->err, sizeof w->err) != 0) {
                fprintf(stderr, "cxsim sweep: %s\n", w->err);
                return 1;
            }
        }
    }
    long long t0 = cx_now_ms();
    int lr;
    if (o->slurm) {
        cx_exp_slurm_job_t job = {o->slurm_opt,
                                  o->n_slurm_opt,
                                  o->slurm_tasks,
                                  o->com.jobs,
                                  o->cxsim ? o->cxsim : pl->exe,
                                  "sweep"};
        lr = cx_exp_slurm_loop(w->ex, pl, &job, s_local_done, &L, &s_stop, w->err, sizeof w->err);
    } else {
        lr = cx_exp_exec_loop(w->ex, s_local_done, &L, &s_stop, w->err, sizeof w->err);
    }
    return s_report(w, &L, lr, (double)(cx_now_ms() - t0) / 1000.0);
}

int cx_cmd_sweep(int argc, char **argv)
{
    static s_sweep_t w;
    memset(&w, 0, sizeof w);
    if (s_parse(argc, argv, &w.o) != 0) {
        fprintf(stderr, "try 'cxsim sweep --help'\n");
        return 2;
    }
    cx_signals_on_stop(s_on_signal);
    if (w.o.worker) {
        return cx_sweep_worker(w.o.worker, w.o.task, w.o.of, w.o.com.jobs, &s_stop);
    }
    int rc = s_grid(&w);
    if (rc == 0) {
        w.tty = isatty(2) != 0;
        if ((rc = s_open(&w)) == 0 && (rc = s_plan(&w, argc, argv)) == 0 &&
            (rc = s_queue(&w)) == 0) {
            s_announce(&w);
            rc = w.array_job ? s_run_array(&w) : s_run_local(&w);
        }
        for (int i = 0; i < w.n_slurm; i++) {
            cx_exp_run_fini(&w.slurm_runs[i]);
        }
        free(w.slurm_runs);
        cx_exp_exec_destroy(&w.ex);
        cx_exp_plan_fini(&w.pl);
    }
    cx_exp_grid_fini(&w.grid);
    return rc;
}
