/*  cxsim run — load a scenario, start the processes, watch them, report.
 *
 *  Launcher state machine:
 *
 *      LOAD (exit 2 on a bad scenario or command line)
 *        --> SPAWN coordinator, departments, persona shards (ipc:// in a
 *            private run directory)
 *        --> WATCH: progress from the coordinator's PUB socket; children
 *            reaped as they exit
 *              coordinator exits 0                --> REPORT, exit 0
 *              coordinator exits non-zero         --> exit 1 with its reason
 *              an agent dies first                --> name it; give the
 *                  coordinator 2 heartbeats + 5 s to record the failure,
 *                  then stop everything, exit 1
 *              SIGINT/SIGTERM                      --> stop everything, exit 1
 *        --> CLEANUP: no child left running, run directory removed.
 */
#include "cx_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_checkpoint.h"
#include "cx_control.h"
#include "cx_csv.h"
#include "cx_curve.h"
#include "cx_dirlock.h"
#include "cx_exp_db.h"
#include "cx_load.h"
#include "cx_net.h"
#include "cx_opts.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"
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
        long long n;
        switch (id) {
        case CX_OPTS_ERROR:
            return -1;
        case S_O_HELP:
            s_usage(stdout);
            exit(0);
        case S_O_OUT:
            o->out = v;
            break;
        case S_O_SEED:
            if (s_parse_ll(v, 0, INT64_MAX, &n) != 0) {
                fprintf(stderr, "cxsim run: --seed expects a non-negative integer, got '%s'\n",
                        v);
                return -1;
            }
            snprintf(o->setbuf[0], sizeof o->setbuf[0], "seed=%s", v);
            o->sets[o->n_sets++] = o->setbuf[0];
            break;
        case S_O_TICKS:
            if (s_parse_ll(v, 1, CX_MAX_TICKS, &n) != 0) {
                fprintf(stderr, "cxsim run: --ticks expects an integer from 1 to %d, got '%s'\n",
                        CX_MAX_TICKS, v);
                return -1;
            }
            o->ticks = n;
            break;
        case S_O_SET:
            if (o->n_sets >= 250) {
                fprintf(stderr, "cxsim run: too many --set options\n");
                return -1;
            }
            o->sets[o->n_sets++] = v;
            break;
        case S_O_SHARDS:
            if (s_parse_ll(v, 1, CX_MAX_SHARDS, &o->shards) != 0) {
                fprintf(stderr, "cxsim run: --shards expects an integer from 1 to %d, got '%s'\n",
                        CX_MAX_SHARDS, v);
                return -1;
            }
            break;
        case S_O_HEARTBEAT:
            if (s_parse_ll(v, 10, 600000, &o->heartbeat_ms) != 0) {
                fprintf(stderr, "cxsim run: --heartbeat-ms expects 10..600000, got '%s'\n", v);
                return -1;
            }
            break;
        case S_O_CHECKPOINT:
            if (s_parse_ll(v, 1, CX_MAX_TICKS, &o->checkpoint_every) != 0) {
                fprintf(stderr, "cxsim run: --checkpoint-every expects 1..%d, got '%s'\n",
                        CX_MAX_TICKS, v);
                return -1;
            }
            break;
        case S_O_RESTART:
            o->restart_lost = 1;
            break;
        case S_O_TICK_MS:
            if (s_parse_ll(v, 0, 600000, &o->tick_ms) != 0) {
                fprintf(stderr, "cxsim run: --tick-ms expects milliseconds from 0 to 600000, "
                                "got '%s'\n", v);
                return -1;
            }
            break;
        case S_O_TICK_TIMEOUT:
            if (s_parse_ll(v, 0, 86400000, &o->tick_timeout_ms) != 0) {
                fprintf(stderr, "cxsim run: --tick-timeout-ms expects milliseconds from 0 (none) "
                                "to 86400000, got '%s'\n", v);
                return -1;
            }
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
        case S_O_KEEP_CP:
            if (s_parse_ll(v, 1, CX_CHECKPOINT_KEEP_MAX, &o->keep_checkpoints) != 0) {
                fprintf(stderr, "cxsim run: --keep-checkpoints expects 1..%d, got '%s'\n",
                        CX_CHECKPOINT_KEEP_MAX, v);
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

typedef struct {
    int tty;             /* stderr is a terminal */
    int quiet;           /* no output */
    int ticks;           /* ticks in the run */
    long long start_ms;  /* when the run started */
    long long shown_ms;  /* last progress line */
    int last_tick;       /* last tick seen */
} s_progress_t;

static void s_progress_show(s_progress_t *p, int tick, double nps, double customers)
{
    p->last_tick = tick;
    if (!p->tty || p->quiet) {
        return;
    }
    long long now = cx_now_ms();
    if (now - p->shown_ms < 100 && tick + 1 < p->ticks) {
        return;
    }
    p->shown_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (tick + 1) / secs : 0;
    fprintf(stderr, "\r\033[Ktick %d/%d  %.0f ticks/s  NPS %.1f  customers %.0f", tick + 1,
            p->ticks, rate, nps, customers);
    fflush(stderr);
}

static void s_progress_row(void *ud, const cx_kpi_row_t *row)
{
    s_progress_show(ud, row->tick, row->nps, (double)row->customers);
}

static void s_progress_end(s_progress_t *p)
{
    if (p->tty && !p->quiet && p->shown_ms) {
        fprintf(stderr, "\r\033[K");
    }
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

/* ---- the multi-process run ---------------------------------------------- */

/* CXSIM_AGENT_WRAPPER, when set, is a command (words split at spaces, the
 * first looked up in PATH) that every process of the run is started under,
 * e.g. "valgrind --error-exitcode=9 --leak-check=full" (scripts/memcheck). */
#define S_WRAP_WORDS 32

static int s_spawn(cx_procs_t *ps, const char *name, char **argv)
{
    const char *wrapper = getenv("CXSIM_AGENT_WRAPPER");
    char wbuf[1024];
    char *wrapped[1 + S_WRAP_WORDS + 32];
    if (wrapper && *wrapper) {
        int n = 0;
        snprintf(wbuf, sizeof wbuf, "%s", wrapper);
        wrapped[n++] = "/usr/bin/env";
        for (char *save = NULL, *w = strtok_r(wbuf, " ", &save); w && n <= S_WRAP_WORDS;
             w = strtok_r(NULL, " ", &save)) {
            wrapped[n++] = w;
        }
        for (int i = 0; argv[i] && n < (int)(sizeof wrapped / sizeof wrapped[0]) - 1; i++) {
            wrapped[n++] = argv[i];
        }
        wrapped[n] = NULL;
        argv = wrapped;
    }
    if (cx_proc_spawn(ps, name, argv) < 0) {
        fprintf(stderr, "cxsim run: cannot start %s: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* Says why a run failed, and where to read more: summary.json when the
 * coordinator wrote one (amended with why when force is set), else one
 * written here with what the launcher knows. */
static void s_say_summary(const char *out, const char *scenario, const char *why, int force)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    int have = access(path, F_OK) == 0;
    if ((force || !have) && cx_output_summary_amend(out, scenario, "failed", why) != 0) {
        fprintf(stderr, "cxsim run: %s; no summary.json (cannot write it: %s)\n", why,
                strerror(errno));
        return;
    }
    fprintf(stderr, "cxsim run: %s; see %s%s\n", why, path,
            have ? "" : " (written by cxsim run: the coordinator could not)");
}

static int s_run_processes(const s_opts_t *o, const cx_scenario_t *sc, const char *yaml,
                           size_t yaml_len, const char *out, s_progress_t *prog, int *nproc)
{
    char bindir[4096];
    if (cx_proc_self_dir(bindir, sizeof bindir) != 0) {
        fprintf(stderr, "cxsim run: cannot find my own directory\n");
        return 1;
    }
    /* The private socket directory goes under $TMPDIR when it is set, as
     * other temporary files do, unless its path would make a socket path
     * too long for AF_UNIX (108 bytes): then /tmp. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/' || strlen(tmp) > 60) {
        tmp = "/tmp";
    }
    char rundir[96];
    snprintf(rundir, sizeof rundir, "%s/cxsim-XXXXXX", tmp);
    if (!mkdtemp(rundir)) {
        fprintf(stderr, "cxsim run: cannot create a run directory in %s: %s\n", tmp,
                strerror(errno));
        return 1;
    }
    char scen[256], coord_ep[256], pub_ep[256], hb[32], every[32], exe[3][4200];
    snprintf(scen, sizeof scen, "%s/scenario.yaml", rundir);
    snprintf(coord_ep, sizeof coord_ep, "ipc://%s/coord.sock", rundir);
    snprintf(pub_ep, sizeof pub_ep, "ipc://%s/pub.sock", rundir);
    char ctl_ep[300], tick_ms[32];
    snprintf(ctl_ep, sizeof ctl_ep, "ipc://%s/control.sock", rundir);
    snprintf(tick_ms, sizeof tick_ms, "%lld", o->tick_ms);
    snprintf(hb, sizeof hb, "%lld", o->heartbeat_ms);
    snprintf(every, sizeof every, "%lld", o->checkpoint_every);
    char keep[32];
    snprintf(keep, sizeof keep, "%lld", o->keep_checkpoints);
    snprintf(exe[0], sizeof exe[0], "%s/cxsim-coordinator", bindir);
    snprintf(exe[1], sizeof exe[1], "%s/cxsim-department", bindir);
    snprintf(exe[2], sizeof exe[2], "%s/cxsim-persona", bindir);
    int rc = 1;
    static cx_procs_t ps;
    memset(&ps, 0, sizeof ps);
    void *zctx = zmq_ctx_new();
    void *sub = NULL;
    int coord = -1;
    char agent_failure[512] = "";
    long long agent_failed_at = 0;
    char coord_lost_by[256] = ""; /* the first agent that lost the coordinator */
    long long coord_lost_at = 0;

    if (cx_write_atomic(scen, yaml, yaml_len) != 0) {
        fprintf(stderr, "cxsim run: cannot write %s: %s\n", scen, strerror(errno));
        goto cleanup;
    }
    /* Subscribe before the coordinator binds: ZeroMQ reconnects, and rows
     * from the first one on arrive. Only the latest row matters here (the
     * progress line, and the tick named when an agent dies): the loop below
     * looks every 50 ms, drains what arrived and decodes the newest row only,
     * instead of waking for each row, which on runs of small ticks cost about
     * 13 % of the CPU of a tick (docs/PERFORMANCE.md). ZMQ_CONFLATE would do
     * the same inside libzmq, but its double buffer leaks a message when the
     * socket is contended (zeromq/libzmq#4925), which LeakSanitizer sees. */
    sub = zmq_socket(zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    cx_net_limit(sub, CX_NET_MAX_SMALL);
    cx_curve_client(&o->curve, sub);
    zmq_connect(sub, pub_ep);

    char *cargv[32] = {exe[0], "--scenario", scen, "--out", (char *)out, "--bind", coord_ep,
                       "--pub", pub_ep, "--control", ctl_ep, "--tick-ms", tick_ms,
                       "--heartbeat-ms", hb, "--checkpoint-every", every,
                       "--keep-checkpoints", keep, NULL};
    int nc = 19;
    if (o->key) {
        cargv[nc++] = "--key";
        cargv[nc++] = (char *)o->key;
    }
    if (o->paused) {
        cargv[nc++] = "--paused";
    }
    char tto[32];
    snprintf(tto, sizeof tto, "%lld", o->tick_timeout_ms);
    cargv[nc++] = "--tick-timeout-ms";
    cargv[nc++] = tto;
    if (o->resume) {
        cargv[nc++] = "--resume";
        cargv[nc++] = (char *)o->resume;
    }
    /* The coordinator inherits the directory's lock: it holds it for as
     * long as it writes there, even if this launcher dies first. */
    char lock_fd[32];
    snprintf(lock_fd, sizeof lock_fd, "%d", o->lock_fd);
    cargv[nc++] = "--lock-fd";
    cargv[nc++] = lock_fd;
    cargv[nc++] = "--socket-dir"; /* removed by the coordinator if this launcher dies */
    cargv[nc++] = rundir;
    cargv[nc] = NULL;
    fcntl(o->lock_fd, F_SETFD, 0);
    int spawned = s_spawn(&ps, "coordinator", cargv);
    fcntl(o->lock_fd, F_SETFD, FD_CLOEXEC);
    if (spawned != 0) {
        goto cleanup;
    }
    coord = 0;
    for (int d = 0; d < sc->n_dept; d++) {
        char name[128], ep[256];
        snprintf(name, sizeof name, "department %s", sc->dept[d].id);
        snprintf(ep, sizeof ep, "ipc://%s/dept-%d.sock", rundir, d);
        char *argv[] = {exe[1], "--connect", coord_ep, "--department", (char *)sc->dept[d].id,
                        "--bind", ep, o->key ? "--key" : NULL, (char *)o->key, NULL};
        if (s_spawn(&ps, name, argv) != 0) {
            goto cleanup;
        }
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            char name[128], ks[16], ns[16];
            snprintf(name, sizeof name, "persona %s shard %d/%d", sc->persona[p].id, s,
                     sc->persona[p].shards);
            snprintf(ks, sizeof ks, "%d", s);
            snprintf(ns, sizeof ns, "%d", sc->persona[p].shards);
            char *argv[] = {exe[2], "--connect", coord_ep, "--persona",
                            (char *)sc->persona[p].id, "--shard", ks, "--of", ns,
                            o->key ? "--key" : NULL, (char *)o->key, NULL};
            if (s_spawn(&ps, name, argv) != 0) {
                goto cleanup;
            }
        }
    }
    *nproc = ps.n;
    if (o->paused && !o->resume) {
        fprintf(stderr, "cxsim run: paused before the first tick; start the clock with: "
                        "cxsim ctl %s resume\n", out);
    }

    cx_msg_t *m = malloc(sizeof *m);
    if (!m) {
        goto cleanup;
    }
    cx_msg_init(m);
    for (;;) {
        if (s_interrupted) {
            fprintf(stderr, "\ncxsim run: interrupted; stopping every process\n");
            /* The coordinator records the interruption in summary.json. */
            kill(ps.child[coord].pid, SIGTERM);
            cx_proc_stop_all(&ps, 3000);
            rc = 1;
            break;
        }
        zmq_poll(NULL, 0, 50); /* a 50 ms nap; then the latest row, and reaping */
        cx_frame_t f, newest;
        zmq_msg_init(&newest.body);
        newest.open = true;
        bool any = false;
        while (cx_net_recv(sub, false, &f, ZMQ_DONTWAIT) >= 0) {
            if (f.open) {
                zmq_msg_move(&newest.body, &f.body); /* releases the older row */
                cx_frame_close(&f);
                any = true;
            }
        }
        if (!any) {
            cx_frame_close(&newest);
        }
        if (newest.open && cx_msg_decode(m, cx_frame_data(&newest), cx_frame_size(&newest)) ==
                               CX_MSG_ROW) {
            double nps = 0, cust = 0;
            for (int i = 0; i < m->n_words; i++) {
                if (cx_str_eq(m->names[i], "nps")) {
                    nps = m->words[i];
                } else if (cx_str_eq(m->names[i], "customers")) {
                    cust = m->words[i];
                }
            }
            s_progress_show(prog, (int)m->tick, nps, cust);
        }
        cx_frame_close(&newest);
        int i;
        int coord_done = 0;
        while ((i = cx_proc_reap(&ps)) >= 0) {
            cx_child_t *c = &ps.child[i];
            if (i == coord) {
                coord_done = 1;
                continue;
            }
            if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == CX_EXIT_COORD_LOST) {
                /* Not this agent's fault: its coordinator stopped answering. */
                if (!coord_lost_by[0]) {
                    snprintf(coord_lost_by, sizeof coord_lost_by, "%s (pid %d)", c->name,
                             (int)c->pid);
                    coord_lost_at = cx_now_ms();
                }
                continue;
            }
            if (!agent_failure[0] && !(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)) {
                char how[128];
                cx_proc_describe(c->status, how, sizeof how);
                snprintf(agent_failure, sizeof agent_failure, "%s (pid %d) %s, near tick %d",
                         c->name, (int)c->pid, how, prog->last_tick + 1);
                agent_failed_at = cx_now_ms();
                s_progress_end(prog);
                fprintf(stderr, "cxsim run: %s\n", agent_failure);
            }
        }
        if (coord_done) {
            cx_child_t *c = &ps.child[coord];
            cx_proc_stop_all(&ps, 3000);
            s_progress_end(prog);
            if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && !agent_failure[0]) {
                rc = 0;
            } else {
                char how[128], why[1024];
                cx_proc_describe(c->status, how, sizeof how);
                snprintf(why, sizeof why, "the run failed (coordinator %s)%s%s", how,
                         agent_failure[0] ? ": " : "", agent_failure);
                cx_live_endpoints_remove(out); /* a killed coordinator's */
                s_say_summary(out, sc->name, why, 0);
                rc = 1;
            }
            break;
        }
        /* Agents that lost the coordinator while it still runs: it is hung
         * (stopped, looping, swapped out). It gets the agents' grace once
         * more to end on its own, then is killed; the launcher says so in
         * summary.json, which the coordinator can no longer write. */
        if (coord_lost_by[0]) {
            cx_child_t *c = &ps.child[coord];
            char st = cx_proc_state(c->pid);
            int stopped = st == 'T' || st == 't';
            if (stopped || cx_now_ms() - coord_lost_at > 2 * o->heartbeat_ms + 1000) {
                char why[1024];
                snprintf(why, sizeof why,
                         "the coordinator (pid %d) stopped answering%s: %s and the other agents "
                         "heard nothing from it for %lld ms and stopped; it was killed",
                         (int)c->pid, stopped ? " (it is stopped: SIGSTOP, or a debugger)" : "",
                         coord_lost_by, 2 * o->heartbeat_ms);
                s_progress_end(prog);
                kill(c->pid, SIGKILL);
                cx_proc_stop_all(&ps, 3000);
                cx_live_endpoints_remove(out); /* the coordinator's, which cannot now */
                s_say_summary(out, sc->name, why, 1);
                rc = 1;
                break;
            }
        }
        if (agent_failure[0] && cx_now_ms() - agent_failed_at > 2 * o->heartbeat_ms + 5000) {
            fprintf(stderr, "cxsim run: the coordinator did not stop after %s; stopping it\n",
                    agent_failure);
            cx_proc_signal_all(&ps, SIGTERM);
            cx_proc_stop_all(&ps, 3000);
            /* The coordinator, stopped by a signal, says "interrupted": the
             * cause was the agent's failure. */
            char why[1024];
            snprintf(why, sizeof why, "%s; the coordinator did not end the run and was stopped",
                     agent_failure);
            if (cx_output_summary_amend(out, sc->name, "failed", why) != 0) {
                fprintf(stderr, "cxsim run: cannot write %s/summary.json: %s\n", out,
                        strerror(errno));
            }
            rc = 1;
            break;
        }
    }
    cx_msg_fini(m);
    free(m);

cleanup:
    cx_proc_signal_all(&ps, SIGTERM);
    cx_proc_stop_all(&ps, 3000);
    if (sub) {
        zmq_close(sub);
    }
    zmq_ctx_term(zctx);
    unlink(scen);
    char path[300];
    snprintf(path, sizeof path, "%s/coord.sock", rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/pub.sock", rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/control.sock", rundir);
    unlink(path);
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        snprintf(path, sizeof path, "%s/dept-%d.sock", rundir, d);
        unlink(path);
    }
    rmdir(rundir);
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
    if ((o.tick_ms > 0 || o.paused) && o.in_process) {
        fprintf(stderr, "cxsim run: --tick-ms and --paused are for a live multi-process run; drop "
                        "--in-process\n");
        return 2;
    }
    if (o.resume && o.in_process) {
        fprintf(stderr, "cxsim resume: --in-process runs have no checkpoints\n");
        return 2;
    }
    if (o.key) {
        char err[512];
        if (cx_curve_load(&o.curve, o.key, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim run: --key: %s\n", err);
            return 2;
        }
    }
    if (o.cpus) {
        char err[256];
        if (cx_proc_pin_cpus(o.cpus, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim run: --cpus: %s\n", err);
            return 2;
        }
    }
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        fprintf(stderr, "cxsim run: out of memory\n");
        return 1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(o.scenario, o.sets, o.n_sets, sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        fprintf(stderr, "cxsim run: %d error%s in %s; nothing was run\n", d.n, d.n == 1 ? "" : "s",
                o.scenario);
        cx_diags_fini(&d);
        free(sc);
        return 2;
    }
    cx_diags_fini(&d);
    /* --ticks shortens or lengthens the run; events from that tick on are
     * dropped (docs/SCENARIOS.md), so any scenario can be tried for a few ticks. */
    if (o.ticks > 0) {
        cx_scenario_set_ticks(sc, (int)o.ticks);
    }
    /* A shard holds at least one customer. */
    if (o.shards > 0) {
        for (int p = 0; p < sc->n_persona; p++) {
            int64_t n = sc->persona[p].customers;
            sc->persona[p].shards = (int)(o.shards < n ? o.shards : (n > 0 ? n : 1));
        }
    }
    /* A damaged or foreign checkpoint is bad input: say so before any
     * process starts (the coordinator would refuse it too, later). */
    if (o.resume) {
        int n_agents = sc->n_dept;
        for (int p = 0; p < sc->n_persona; p++) {
            n_agents += sc->persona[p].shards;
        }
        cx_checkpoint_t cp;
        char err[512], run_id[CX_RUN_ID_LEN + 1];
        if (cx_checkpoint_read(o.resume, n_agents, &cp, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim resume: cannot resume from %s: %s\n", o.resume, err);
            free(sc);
            return 2;
        }
        /* Only this run's checkpoint, of this seed and scenario, whose every
         * agent state the model takes back. */
        if (cx_run_id_read(o.out, run_id, err, sizeof err) != 0 ||
            cx_checkpoint_verify(&cp, sc, run_id, err, sizeof err) != 0 ||
            cx_checkpoint_check_agents(&cp, sc, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim resume: cannot resume from %s: %s\n", o.resume, err);
            cx_checkpoint_fini(&cp);
            free(sc);
            return 2;
        }
        cx_checkpoint_fini(&cp);
    }
    char *yaml = NULL;
    size_t yaml_len = 0;
    if (cx_scenario_emit(sc, &yaml, &yaml_len) != 0) {
        fprintf(stderr, "cxsim run: out of memory\n");
        free(sc);
        return 1;
    }
    char outbuf[512];
    const char *out = o.out;
    if (!out) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(outbuf, sizeof outbuf, "runs/%s-%s", sc->name, stamp);
        out = outbuf;
    }
    if (cx_mkdirs(out) != 0) {
        fprintf(stderr, "cxsim run: cannot create output directory %s: %s\n", out,
                strerror(errno));
        free(yaml);
        free(sc);
        return 1;
    }
    /* One run writes in a directory at a time (cx_dirlock.h). */
    {
        char err[512];
        o.lock_fd = cx_dirlock_take(out, err, sizeof err);
        if (o.lock_fd < 0) {
            fprintf(stderr, "cxsim %s: %s\n", o.resume ? "resume" : "run", err);
            free(yaml);
            free(sc);
            return o.lock_fd == -1 ? 2 : 1;
        }
    }
    /* Another run's results are not overwritten unasked (a stale report.html
     * would outlive them); --force empties the directory, now that it is
     * ours. A resume continues the run of its own directory. */
    const char *found = o.resume ? NULL : cx_output_run_file(out);
    if (found && !o.force) {
        fprintf(stderr,
                "cxsim run: %s holds another run's results (%s); choose another --out, or pass "
                "--force to delete them first\n",
                out, found);
        free(yaml); /* the lock goes with the process (cx_dirlock.h) */
        free(sc);
        return 2;
    }
    if (found && cx_output_clear_dir(out) != 0) {
        fprintf(stderr, "cxsim run: --force: cannot empty %s: %s\n", out, strerror(errno));
        free(yaml);
        free(sc);
        return 1;
    }

    if (slurm.on) { /* the run as one Slurm job; its coordinator takes the lock */
        close(o.lock_fd);
        cx_run_slurm_run_t r = {o.key, o.resume, o.heartbeat_ms, o.checkpoint_every,
                                o.tick_timeout_ms, o.quiet, o.tick_ms, o.keep_checkpoints};
        int src = cx_run_slurm_submit(&slurm, &r, sc, yaml, yaml_len, out);
        free(yaml);
        free(sc);
        return src;
    }
    cx_signals_on_stop(s_on_signal);

    s_progress_t prog = {isatty(2), o.quiet, sc->ticks, cx_now_ms(), 0, -1};
    int rc, nproc = 1;
    if (o.in_process) {
        char err[1024];
        int r = cx_sim_run(sc, yaml, yaml_len, out, s_progress_row, &prog, &s_interrupted, err,
                           sizeof err);
        s_progress_end(&prog);
        if (r != 0) {
            fprintf(stderr, "cxsim run: %s\n", err);
        }
        rc = r == 0 ? 0 : 1;
    } else {
        rc = s_run_processes(&o, sc, yaml, yaml_len, out, &prog, &nproc);
        char cp[4200];
        snprintf(cp, sizeof cp, "%s/checkpoint.msgpack", out);
        for (int attempt = 1; rc == 1 && o.restart_lost && !s_interrupted && attempt <= 3;
             attempt++) {
            if (access(cp, R_OK) != 0) {
                fprintf(stderr, "cxsim run: no checkpoint yet in %s; cannot restart\n", out);
                break;
            }
            fprintf(stderr, "cxsim run: restarting from the last checkpoint (attempt %d of 3)\n",
                    attempt);
            o.resume = cp;
            /* The run's scenario file holds the live changes taken so far
             * (cxsim ctl): restart from it, as `cxsim resume` does. */
            char rp[4200];
            snprintf(rp, sizeof rp, "%s/scenario.resolved.yaml", out);
            char *now = NULL;
            size_t now_len = 0;
            if (cx_read_file(rp, CX_SCENARIO_MAX_BYTES, &now, &now_len) == 0) {
                free(yaml);
                yaml = now;
                yaml_len = now_len;
            }
            rc = s_run_processes(&o, sc, yaml, yaml_len, out, &prog, &nproc);
        }
    }
    if (rc == 0 && !o.quiet) {
        s_summary(out, sc, (double)(cx_now_ms() - prog.start_ms) / 1000.0,
                  o.in_process ? 1 : nproc);
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
