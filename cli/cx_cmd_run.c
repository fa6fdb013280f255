/*  cxsim run — load a scenario, start the processes, watch them, report.
 *
 *      PARSE, CHECK the options (exit 2 on a bad command line)
 *        --> LOAD the scenario (exit 2 on a bad one), CHECK the checkpoint
 *            of a resume
 *        --> TAKE the output directory (created, locked; --force empties it)
 *        --> RUN: in-process (cx_sim.h), as one Slurm job (cx_run_slurm.h)
 *            or as local processes (cx_run_procs.h, whose launcher state
 *            machine is drawn in cx_run_procs.c), restarted from the last
 *            checkpoint under --restart-lost
 *        --> REPORT the headline (exit 0), or exit 1
 */
#include "cx_cmd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx_checkpoint.h"
#include "cx_csv.h"
#include "cx_curve.h"
#include "cx_dirlock.h"
#include "cx_exp_db.h"
#include "cx_load.h"
#include "cx_opts.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_run_procs.h"
#include "cx_run_slurm.h"
#include "cx_signals.h"
#include "cx_sim.h"
#include "cx_version.h"

static volatile sig_atomic_t s_interrupted = 0;
static const char *s_resume_path = NULL; /* set by `cxsim resume` */

static void s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim run SCENARIO.yaml [options]\n"
            "\n"
            "Runs a scenario: a coordinator, one process per department and one per\n"
            "persona shard, exchanging msgpack messages over ZeroMQ.\n"
            "\n"
            "options:\n"
            "  --out DIR           results directory (default runs/NAME-YYYYmmdd-HHMMSS); one\n"
            "                      holding another run's results (kpis.csv, summary.json) is\n"
            "                      refused unless --force\n"
            "  --force             empty --out DIR first when it holds another run's results\n"
            "  --seed N            random seed (overrides the scenario's)\n"
            "  --ticks N           ticks to simulate (overrides the scenario's)\n"
            "  --set KEY=VALUE     override a scenario value, e.g. departments.it.maturity=4\n"
            "                      (repeatable; checked like the file)\n"
            "  --shards N          split every persona over N processes\n"
            "  --in-process        run the same model in this process, without ZeroMQ\n"
            "  --tick-ms MS        at least MS of wall time per tick, to watch a run live\n"
            "  --paused            start paused: tick 0 waits for `cxsim ctl DIR resume`\n"
            "  --tick-timeout-ms MS  fail the run when a tick takes longer (default 600000;\n"
            "                      0: never), even if every process is alive\n"
            "                      (change it, or pause, with `cxsim ctl`)\n"
            "  --key FILE          encrypt and authenticate every connection with this run\n"
            "                      key (`cxsim keygen`; agents on other hosts need it too)\n"
            "  --cpus LIST         run every process on these CPUs (e.g. 0, 0-1, 0,2); one\n"
            "                      CPU suits runs of few customers and many ticks\n"
            "  --heartbeat-ms MS   heartbeat interval; an agent silent for two is lost\n"
            "                      (default 1000)\n"
            "  --checkpoint-every N  snapshot every process's state every N ticks into\n"
            "                      DIR/checkpoint.msgpack (see `cxsim resume`)\n"
            "  --keep-checkpoints N  keep the last N checkpoints as DIR/checkpoint-T.msgpack\n"
            "                      (T: the tick a branch from it starts at; default 3),\n"
            "                      for `cxsim fork --at T`\n"
            "  --restart-lost      when an agent is lost, restart the run from the last\n"
            "                      checkpoint (up to 3 times); needs --checkpoint-every\n"
            "  --quiet             no progress line and no summary table\n"
            "  --backend slurm     run as one Slurm job (sbatch): every process on the\n"
            "                      job's nodes over tcp with a run key; DIR on a file\n"
            "                      system the nodes share\n"
            "  --nodes N           nodes of that job (default 1)\n"
            "  --slurm-opt OPT     an sbatch option for the job, repeatable\n"
            "  --no-wait           submit and return; DIR/live.endpoints and the key then\n"
            "                      serve `cxsim watch`/`ctl` from here\n"
            "\n"
            "exit status: 0 success, 1 the run failed, 2 invalid input\n");
}

typedef struct {
    const char *scenario;      /* scenario file */
    const char *out;           /* results directory, or NULL for the default */
    const char *sets[256];     /* --set values, and --seed/--ticks as sets */
    int n_sets;                /* entries used */
    char setbuf[2][64];        /* storage for the --seed and --ticks sets */
    long long shards;          /* --shards, 0 = the scenario's */
    long long ticks;           /* --ticks, 0 = the scenario's */
    int in_process;            /* --in-process */
    const char *cpus;          /* --cpus, NULL = wherever the kernel places them */
    const char *key;           /* --key: the run key file, NULL = none */
    cx_curve_t curve;          /* the key loaded (the progress subscriber uses it) */
    long long tick_ms;         /* --tick-ms: least wall time per tick, 0 = as fast as possible */
    int paused;                /* --paused: wait for `cxsim ctl DIR resume` before tick 0 */
    long long tick_timeout_ms; /* --tick-timeout-ms: a tick this slow fails the run */
    long long heartbeat_ms;    /* --heartbeat-ms */
    long long checkpoint_every;/* --checkpoint-every, 0 = none */
    int restart_lost;          /* --restart-lost */
    const char *resume;        /* checkpoint to resume from (cxsim resume) */
    int quiet;                 /* --quiet */
    int force;                 /* --force: empty an --out holding another run's results */
    long long keep_checkpoints;/* --keep-checkpoints: numbered checkpoints kept */
    int lock_fd;               /* the output directory's lock (cx_dirlock.h) */
} s_opts_t;

static int s_parse_ll(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s) {
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

enum {
    S_O_HELP,
    S_O_OUT,
    S_O_SEED,
    S_O_TICKS,
    S_O_SET,
    S_O_SHARDS,
    S_O_HEARTBEAT,
    S_O_CHECKPOINT,
    S_O_RESTART,
    S_O_TICK_MS,
    S_O_TICK_TIMEOUT,
    S_O_PAUSED,
    S_O_KEY,
    S_O_CPUS,
    S_O_IN_PROCESS,
    S_O_QUIET,
    S_O_FORCE,
    S_O_KEEP_CP
};

/* The options of cxsim run (cx_opts.h). */
static const cx_opt_t s_options[] = {
    {"--help", "-h", false, S_O_HELP},
    {"--out", NULL, true, S_O_OUT},
    {"--seed", NULL, true, S_O_SEED},
    {"--ticks", NULL, true, S_O_TICKS},
    {"--set", NULL, true, S_O_SET},
    {"--shards", NULL, true, S_O_SHARDS},
    {"--heartbeat-ms", NULL, true, S_O_HEARTBEAT},
    {"--checkpoint-every", NULL, true, S_O_CHECKPOINT},
    {"--restart-lost", NULL, false, S_O_RESTART},
    {"--tick-ms", NULL, true, S_O_TICK_MS},
    {"--tick-timeout-ms", NULL, true, S_O_TICK_TIMEOUT},
    {"--paused", NULL, false, S_O_PAUSED},
    {"--key", NULL, true, S_O_KEY},
    {"--cpus", NULL, true, S_O_CPUS},
    {"--in-process", NULL, false, S_O_IN_PROCESS},
    {"--quiet", "-q", false, S_O_QUIET},
    {"--force", NULL, false, S_O_FORCE},
    {"--keep-checkpoints", NULL, true, S_O_KEEP_CP},
};

/* An option with a number (and --seed, taken as a set): 0, or -1 (said). */
static int s_number_opt(int id, const char *v, s_opts_t *o)
{
    long long n;
    switch (id) {
    case S_O_SEED:
        if (s_parse_ll(v, 0, INT64_MAX, &n) != 0) {
            fprintf(stderr, "cxsim run: --seed expects a non-negative integer, got '%s'\n",
                    v);
            return -1;
        }
        snprintf(o->setbuf[0], sizeof o->setbuf[0], "seed=%s", v);
        o->sets[o->n_sets++] = o->setbuf[0];
        return 0;
    case S_O_TICKS:
        if (s_parse_ll(v, 1, CX_MAX_TICKS, &n) != 0) {
            fprintf(stderr, "cxsim run: --ticks expects an integer from 1 to %d, got '%s'\n",
                    CX_MAX_TICKS, v);
            return -1;
        }
        o->ticks = n;
        return 0;
    case S_O_SHARDS:
        if (s_parse_ll(v, 1, CX_MAX_SHARDS, &o->shards) != 0) {
            fprintf(stderr, "cxsim run: --shards expects an integer from 1 to %d, got '%s'\n",
                    CX_MAX_SHARDS, v);
            return -1;
        }
        return 0;
    case S_O_HEARTBEAT:
        if (s_parse_ll(v, 10, 600000, &o->heartbeat_ms) != 0) {
            fprintf(stderr, "cxsim run: --heartbeat-ms expects 10..600000, got '%s'\n", v);
            return -1;
        }
        return 0;
    case S_O_CHECKPOINT:
        if (s_parse_ll(v, 1, CX_MAX_TICKS, &o->checkpoint_every) != 0) {
            fprintf(stderr, "cxsim run: --checkpoint-every expects 1..%d, got '%s'\n",
                    CX_MAX_TICKS, v);
            return -1;
        }
        return 0;
    case S_O_TICK_MS:
        if (s_parse_ll(v, 0, 600000, &o->tick_ms) != 0) {
            fprintf(stderr, "cxsim run: --tick-ms expects milliseconds from 0 to 600000, "
                            "got '%s'\n", v);
            return -1;
        }
        return 0;
    case S_O_TICK_TIMEOUT:
        if (s_parse_ll(v, 0, 86400000, &o->tick_timeout_ms) != 0) {
            fprintf(stderr, "cxsim run: --tick-timeout-ms expects milliseconds from 0 (none) "
                            "to 86400000, got '%s'\n", v);
            return -1;
        }
        return 0;
    case S_O_KEEP_CP:
        if (s_parse_ll(v, 1, CX_CHECKPOINT_KEEP_MAX, &o->keep_checkpoints) != 0) {
            fprintf(stderr, "cxsim run: --keep-checkpoints expects 1..%d, got '%s'\n",
                    CX_CHECKPOINT_KEEP_MAX, v);
            return -1;
        }
        return 0;
    }
    return 0;
}

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->heartbeat_ms = 1000;
    o->tick_timeout_ms = 600000;
    o->keep_checkpoints = CX_CHECKPOINT_KEEP_DEFAULT;
    cx_opts_t p;
    cx_opts_init(&p, "cxsim run", s_options, (int)(sizeof s_options / sizeof s_options[0]), argc,
                 argv);
    int id;
    while ((id = cx_opts_next(&p)) != CX_OPTS_END) {
        const char *v = p.value;
        switch (id) {
        case CX_OPTS_ERROR:
            return -1;
        case S_O_HELP:
            s_usage(stdout);
            exit(0);
        case S_O_OUT:
            o->out = v;
            break;
        case S_O_SET:
            if (o->n_sets >= 250) {
                fprintf(stderr, "cxsim run: too many --set options\n");
                return -1;
            }
            o->sets[o->n_sets++] = v;
            break;
        case S_O_RESTART:
            o->restart_lost = 1;
            break;
        case S_O_PAUSED:
            o->paused = 1;
            break;
        case S_O_KEY:
            o->key = v;
            break;
        case S_O_CPUS:
            o->cpus = v;
            break;
        case S_O_IN_PROCESS:
            o->in_process = 1;
            break;
        case S_O_QUIET:
            o->quiet = 1;
            break;
        case S_O_FORCE:
            o->force = 1;
            break;
        case S_O_SEED:
        case S_O_TICKS:
        case S_O_SHARDS:
        case S_O_HEARTBEAT:
        case S_O_CHECKPOINT:
        case S_O_TICK_MS:
        case S_O_TICK_TIMEOUT:
        case S_O_KEEP_CP:
            if (s_number_opt(id, v, o) != 0) {
                return -1;
            }
            break;
        default: /* CX_OPTS_POSITIONAL */
            if (o->scenario) {
                fprintf(stderr, "cxsim run: unexpected argument '%s'\n", v);
                return -1;
            }
            o->scenario = v;
            break;
        }
    }
    if (!o->scenario) {
        fprintf(stderr, "cxsim run: no scenario file given\n");
        return -1;
    }
    if (o->restart_lost && !o->checkpoint_every) {
        fprintf(stderr, "cxsim run: --restart-lost needs --checkpoint-every N\n");
        return -1;
    }
    if (o->in_process && (o->checkpoint_every || o->restart_lost)) {
        fprintf(stderr, "cxsim run: checkpoints are for multi-process runs, not --in-process\n");
        return -1;
    }
    return 0;
}

/* ---- progress and summary ---------------------------------------------- */

static void s_progress_row(void *ud, const cx_kpi_row_t *row)
{
    cx_run_progress_show(ud, row->tick, row->nps, (double)row->customers);
}

/* Prints the run's headline: the first and the last 30 days of kpis.csv
 * as means (single ticks are noisy), the yearly money of summary.json,
 * and each maturity transition as planned and as carried out. */
/* The KPIs of the headline: kpis.csv column, label. */
static const char *const s_want[][2] = {{"nps", "NPS"},
                                        {"csat", "CSAT (%)"},
                                        {"ces", "CES (1-10)"},
                                        {"churn_rate", "churn (% per tick)"},
                                        {"customers", "customers"},
                                        {"revenue", "revenue per tick"},
                                        {"operating_profit", "operating profit per tick"},
                                        {"employee_engagement", "employee engagement"}};
enum { S_W = sizeof s_want / sizeof s_want[0] };

/* The first and the last `win` rows of the headline's KPIs. */
typedef struct {
    int win;              /* ticks per window, 1..64 */
    int rows;             /* rows read */
    double first[S_W];    /* sums over the first window */
    double ring[S_W][64]; /* the last window's values, a ring */
} s_windows_t;

static int s_window_row(void *ud, char **f)
{
    s_windows_t *w = ud;
    for (int k = 0; k < S_W; k++) {
        double v = atof(f[k]);
        if (w->rows < w->win) {
            w->first[k] += v;
        }
        w->ring[k][w->rows % w->win] = v;
    }
    w->rows++;
    return 0;
}

static void s_summary(const char *dir, const cx_scenario_t *sc, double secs, int processes)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/kpis.csv", dir);
    const char *cols[S_W];
    for (int k = 0; k < S_W; k++) {
        cols[k] = s_want[k][0];
    }
    /* Window: 30 days in whole ticks (at least one). */
    double days = cx_tick_days(sc->tick_unit);
    int win = (int)(30.0 / days + 0.5);
    win = win < 1 ? 1 : win;
    s_windows_t wd = {0};
    wd.win = win > 64 ? 64 : win;
    char err[256];
    if (cx_csv_read(path, cols, S_W, s_window_row, &wd, err, sizeof err) != 0) {
        return;
    }
    win = wd.win;
    int rows = wd.rows;
    if (rows == 0) {
        return;
    }
    int nw = rows < win ? rows : win;
    int64_t customers = 0;
    for (int p = 0; p < sc->n_persona; p++) {
        customers += sc->persona[p].customers;
    }
    printf("\n%s: %d ticks of one %s, %lld customers at start, %d processes, %.2f s\n",
           sc->name, rows, cx_tick_unit_name(sc->tick_unit), (long long)customers, processes,
           secs);
    char a[32], b[32];
    if (nw == 1) {
        snprintf(a, sizeof a, "first tick");
        snprintf(b, sizeof b, "last tick");
    } else {
        snprintf(a, sizeof a, "first %d ticks", nw);
        snprintf(b, sizeof b, "last %d ticks", nw);
    }
    printf("  %-26s %14s %14s %12s\n", "KPI (mean)", a, b, "change");
    for (int w = 0; w < S_W; w++) {
        double x = wd.first[w] / nw, y = 0.0;
        for (int k = 0; k < nw; k++) {
            y += wd.ring[w][k];
        }
        y /= nw;
        printf("  %-26s %14.2f %14.2f %+12.2f\n", s_want[w][1], x, y, y - x);
    }
    /* The yearly money and the transitions, from summary.json. */
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *json = NULL;
    size_t len = 0;
    if (cx_read_file(path, 1u << 20, &json, &len) == 0 && json) {
        char v[6][64];
        static const char *ypath[6] = {"$.yearly.revenue",         "$.yearly.operating_profit",
                                       "$.yearly.operating_margin", "$.yearly.churn_rate",
                                       "$.yearly.investment",       "$.yearly.gross_profit"};
        int ok = 1;
        for (int k = 0; k < 6; k++) {
            ok &= cx_exp_json_text(json, ypath[k], v[k], sizeof v[k]) == 1;
        }
        if (ok) {
            printf("  a year: revenue %.0f, gross profit %.0f, operating profit %.0f (%.1f %% of "
                   "revenue, after %.0f of investment); customers lost %.1f %%\n",
                   atof(v[0]), atof(v[5]), atof(v[1]), atof(v[2]), atof(v[4]), atof(v[3]));
        }
        for (int i = 0; i < CX_MAX_TRANSITIONS; i++) {
            char p2[96], dep[64], f[7][64];
            static const char *key[7] = {"from",           "to",   "planned_days", "effective_days",
                                         "effective_ticks", "cost", "cost_booked"};
            snprintf(p2, sizeof p2, "$.transitions[%d].department", i);
            if (cx_exp_json_text(json, p2, dep, sizeof dep) != 1) {
                break;
            }
            for (int k = 0; k < 7; k++) {
                snprintf(p2, sizeof p2, "$.transitions[%d].%s", i, key[k]);
                if (cx_exp_json_text(json, p2, f[k], sizeof f[k]) != 1) {
                    snprintf(f[k], sizeof f[k], "0");
                }
            }
            printf("  %s %.2g -> %.2g: planned %.0f days, takes %.0f days at its speed of change"
                   "%s; cost %.0f, %.0f booked in this run\n",
                   dep, atof(f[0]), atof(f[1]), atof(f[2]), atof(f[3]),
                   atof(f[3]) > atof(f[2]) ? " (slower than planned)" : "", atof(f[5]), atof(f[6]));
        }
        free(json);
    }
    printf("results: %s/\n", dir);
}

/* The options that do not go together, and those that need a check before
 * anything loads (--key, --cpus). Returns 0 or 2 (printed). */
static int s_check_options(s_opts_t *o)
{
    if ((o->tick_ms > 0 || o->paused) && o->in_process) {
        fprintf(stderr, "cxsim run: --tick-ms and --paused are for a live multi-process run; drop "
                        "--in-process\n");
        return 2;
    }
    if (o->resume && o->in_process) {
        fprintf(stderr, "cxsim resume: --in-process runs have no checkpoints\n");
        return 2;
    }
    if (o->key) {
        char err[512];
        if (cx_curve_load(&o->curve, o->key, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim run: --key: %s\n", err);
            return 2;
        }
    }
    if (o->cpus) {
        char err[256];
        if (cx_proc_pin_cpus(o->cpus, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim run: --cpus: %s\n", err);
            return 2;
        }
    }
    return 0;
}

/* LOAD: the scenario with the overrides, --ticks and --shards applied.
 * Returns 0 (*scp: heap, the caller's), or the exit status (printed). */
static int s_load(const s_opts_t *o, cx_scenario_t **scp)
{
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        fprintf(stderr, "cxsim run: out of memory\n");
        return 1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(o->scenario, o->sets, o->n_sets, sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        fprintf(stderr, "cxsim run: %d error%s in %s; nothing was run\n", d.n, d.n == 1 ? "" : "s",
                o->scenario);
        cx_diags_fini(&d);
        free(sc);
        return 2;
    }
    cx_diags_fini(&d);
    /* --ticks shortens or lengthens the run; events from that tick on are
     * dropped (docs/SCENARIOS.md), so any scenario can be tried for a few ticks. */
    if (o->ticks > 0) {
        cx_scenario_set_ticks(sc, (int)o->ticks);
    }
    /* A shard holds at least one customer. */
    if (o->shards > 0) {
        for (int p = 0; p < sc->n_persona; p++) {
            int64_t n = sc->persona[p].customers;
            sc->persona[p].shards = (int)(o->shards < n ? o->shards : (n > 0 ? n : 1));
        }
    }
    *scp = sc;
    return 0;
}

/* A damaged or foreign checkpoint is bad input: said before any process
 * starts (the coordinator would refuse it too, later). Returns 0 or 2. */
static int s_check_resume(const s_opts_t *o, const cx_scenario_t *sc)
{
    int n_agents = sc->n_dept;
    for (int p = 0; p < sc->n_persona; p++) {
        n_agents += sc->persona[p].shards;
    }
    cx_checkpoint_t cp;
    char err[512], run_id[CX_RUN_ID_LEN + 1];
    if (cx_checkpoint_read(o->resume, n_agents, &cp, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim resume: cannot resume from %s: %s\n", o->resume, err);
        return 2;
    }
    /* Only this run's checkpoint, of this seed and scenario, whose every
     * agent state the model takes back. */
    int rc = 0;
    if (cx_run_id_read(o->out, run_id, err, sizeof err) != 0 ||
        cx_checkpoint_verify(&cp, sc, run_id, err, sizeof err) != 0 ||
        cx_checkpoint_check_agents(&cp, sc, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim resume: cannot resume from %s: %s\n", o->resume, err);
        rc = 2;
    }
    cx_checkpoint_fini(&cp);
    return rc;
}

/* The output directory (outbuf holds a default name), created and locked
 * (o->lock_fd), emptied under --force. Returns 0, or the exit status
 * (printed). */
static int s_take_out(s_opts_t *o, const cx_scenario_t *sc, char *outbuf, size_t cap,
                      const char **outp)
{
    const char *out = o->out;
    if (!out) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(outbuf, cap, "runs/%s-%s", sc->name, stamp);
        out = outbuf;
    }
    *outp = out;
    if (cx_mkdirs(out) != 0) {
        fprintf(stderr, "cxsim run: cannot create output directory %s: %s\n", out,
                strerror(errno));
        return 1;
    }
    /* One run writes in a directory at a time (cx_dirlock.h). */
    char err[512];
    o->lock_fd = cx_dirlock_take(out, err, sizeof err);
    if (o->lock_fd < 0) {
        fprintf(stderr, "cxsim %s: %s\n", o->resume ? "resume" : "run", err);
        return o->lock_fd == -1 ? 2 : 1;
    }
    /* Another run's results are not overwritten unasked (a stale report.html
     * would outlive them); --force empties the directory, now that it is
     * ours. A resume continues the run of its own directory. */
    const char *found = o->resume ? NULL : cx_output_run_file(out);
    if (found && !o->force) {
        fprintf(stderr,
                "cxsim run: %s holds another run's results (%s); choose another --out, or pass "
                "--force to delete them first\n",
                out, found);
        return 2; /* the lock goes with the process (cx_dirlock.h) */
    }
    if (found && cx_output_clear_dir(out) != 0) {
        fprintf(stderr, "cxsim run: --force: cannot empty %s: %s\n", out, strerror(errno));
        return 1;
    }
    return 0;
}

/* The run as processes (cx_run_procs.h), restarted from the last
 * checkpoint under --restart-lost. *yaml may be replaced by the run's
 * scenario file of a restart. Returns the exit status. */
static int s_run_processes(s_opts_t *o, const cx_scenario_t *sc, char **yaml, size_t *yaml_len,
                           const char *out, cx_run_progress_t *prog, int *nproc)
{
    cx_run_procs_opts_t po = {o->key,          &o->curve,          o->tick_ms,
                              o->paused,       o->tick_timeout_ms, o->heartbeat_ms,
                              o->checkpoint_every, o->keep_checkpoints, o->resume,
                              o->lock_fd};
    int rc = cx_run_procs(&po, sc, *yaml, *yaml_len, out, prog, &s_interrupted, nproc);
    char cp[4200];
    snprintf(cp, sizeof cp, "%s/checkpoint.msgpack", out);
    for (int attempt = 1; rc == 1 && o->restart_lost && !s_interrupted && attempt <= 3;
         attempt++) {
        if (access(cp, R_OK) != 0) {
            fprintf(stderr, "cxsim run: no checkpoint yet in %s; cannot restart\n", out);
            break;
        }
        fprintf(stderr, "cxsim run: restarting from the last checkpoint (attempt %d of 3)\n",
                attempt);
        o->resume = cp;
        po.resume = cp;
        /* The run's scenario file holds the live changes taken so far
         * (cxsim ctl): restart from it, as `cxsim resume` does. */
        char rp[4200];
        snprintf(rp, sizeof rp, "%s/scenario.resolved.yaml", out);
        char *now = NULL;
        size_t now_len = 0;
        if (cx_read_file(rp, CX_SCENARIO_MAX_BYTES, &now, &now_len) == 0) {
            free(*yaml);
            *yaml = now;
            *yaml_len = now_len;
        }
        rc = cx_run_procs(&po, sc, *yaml, *yaml_len, out, prog, &s_interrupted, nproc);
    }
    return rc;
}

/* RUN here: in-process or as processes, then the headline. */
static int s_run_here(s_opts_t *o, const cx_scenario_t *sc, char **yaml, size_t *yaml_len,
                      const char *out)
{
    cx_signals_on_stop(s_on_signal);
    cx_run_progress_t prog = {isatty(2), o->quiet, sc->ticks, cx_now_ms(), 0, -1};
    int rc, nproc = 1;
    if (o->in_process) {
        char err[1024];
        int r = cx_sim_run(sc, *yaml, *yaml_len, out, s_progress_row, &prog, &s_interrupted, err,
                           sizeof err);
        cx_run_progress_end(&prog);
        if (r != 0) {
            fprintf(stderr, "cxsim run: %s\n", err);
        }
        rc = r == 0 ? 0 : 1;
    } else {
        rc = s_run_processes(o, sc, yaml, yaml_len, out, &prog, &nproc);
    }
    if (rc == 0 && !o->quiet) {
        s_summary(out, sc, (double)(cx_now_ms() - prog.start_ms) / 1000.0,
                  o->in_process ? 1 : nproc);
    }
    return rc;
}

int cx_cmd_run(int argc, char **argv)
{
    cx_run_slurm_t slurm; /* --backend slurm and its options (cx_run_slurm.h) */
    if (cx_run_slurm_take(&argc, argv, &slurm) != 0) {
        return 2;
    }
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr, "try 'cxsim run --help'\n");
        return 2;
    }
    o.resume = s_resume_path;
    cx_scenario_t *sc = NULL;
    int rc = s_check_options(&o);
    if (rc != 0 || (rc = s_load(&o, &sc)) != 0) {
        return rc;
    }
    char *yaml = NULL;
    size_t yaml_len = 0;
    char outbuf[512];
    const char *out = NULL;
    if (o.resume && (rc = s_check_resume(&o, sc)) != 0) {
        /* said */
    } else if (cx_scenario_emit(sc, &yaml, &yaml_len) != 0) {
        fprintf(stderr, "cxsim run: out of memory\n");
        rc = 1;
    } else if ((rc = s_take_out(&o, sc, outbuf, sizeof outbuf, &out)) != 0) {
        /* said */
    } else if (slurm.on) { /* the run as one Slurm job; its coordinator takes the lock */
        close(o.lock_fd);
        cx_run_slurm_run_t r = {o.key, o.resume, o.heartbeat_ms, o.checkpoint_every,
                                o.tick_timeout_ms, o.quiet, o.tick_ms, o.keep_checkpoints};
        rc = cx_run_slurm_submit(&slurm, &r, sc, yaml, yaml_len, out);
    } else {
        rc = s_run_here(&o, sc, &yaml, &yaml_len, out);
    }
    free(yaml);
    free(sc);
    return rc;
}

int cx_cmd_resume(int argc, char **argv)
{
    /* run's options, checked here (before the checkpoint is looked for),
     * then passed on to it. */
    cx_opts_t p;
    cx_opts_init(&p, "cxsim resume", s_options, (int)(sizeof s_options / sizeof s_options[0]), argc,
                 argv);
    const char *dir = NULL;
    int dir_at = 0;
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == S_O_HELP) {
            printf("usage: cxsim resume RUN_DIR [--heartbeat-ms MS] [--checkpoint-every N] "
                   "[--quiet]\n"
                   "\n"
                   "Continues a multi-process run from RUN_DIR/checkpoint.msgpack (written by\n"
                   "`cxsim run --checkpoint-every N`) after its processes were killed. The result\n"
                   "files are cut back to the checkpoint and completed; they end byte-identical\n"
                   "to an uninterrupted run's.\n");
            return 0;
        }
        if (id == CX_OPTS_ERROR || (id == CX_OPTS_POSITIONAL && dir)) {
            fprintf(stderr, "usage: cxsim resume RUN_DIR [options]\n");
            return 2;
        }
        if (id == CX_OPTS_POSITIONAL) {
            dir = p.value;
            dir_at = p.i - 1;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: cxsim resume RUN_DIR [options]\n");
        return 2;
    }
    char scen[4200], cp[4200];
    snprintf(scen, sizeof scen, "%s/scenario.resolved.yaml", dir);
    snprintf(cp, sizeof cp, "%s/checkpoint.msgpack", dir);
    if (access(cp, R_OK) != 0) {
        fprintf(stderr, "cxsim resume: %s has no checkpoint (%s): was it run with "
                        "--checkpoint-every?\n", dir, strerror(errno));
        return 2;
    }
    /* Reuse run's option parsing: RUN_DIR's resolved scenario, its own directory. */
    char *args[64];
    int n = 0;
    args[n++] = "run";
    args[n++] = scen;
    args[n++] = "--out";
    args[n++] = (char *)dir;
    for (int i = 1; i < argc && n < 60; i++) {
        if (i != dir_at) {
            args[n++] = argv[i];
        }
    }
    char slurm[4096]; /* run through Slurm: resubmitted the same way */
    char *save = NULL;
    if (cx_run_slurm_recorded(dir, slurm, sizeof slurm)) {
        for (char *t = strtok_r(slurm, "\n", &save); t && n < 63; t = strtok_r(NULL, "\n", &save)) {
            args[n++] = t;
        }
    }
    args[n] = NULL;
    s_resume_path = cp;
    return cx_cmd_run(n, args);
}
