/*  cx_cmd_attribute — `cxsim attribute RUN_DIR|SCENARIO.yaml`: which
 *  touchpoints drive NPS, CES, churn and revenue (docs/MODEL.md, "Journey
 *  attribution").
 *
 *      PARSE --> LOAD the scenario (a run directory's scenario.resolved.yaml,
 *            or a file), --set, --ticks --> DIR/scenario.yaml
 *        --> RUN per replicate r (seed of compare, common random numbers):
 *            runs/base-rK as it is, runs/tpI-rK with touchpoint I's quality
 *            raised by --delta (N + 1 runs per replicate; cx_exp_exec)
 *        --> READ each kpis.csv (cx_gap_run_kpis); paired differences per
 *            touchpoint and KPI (cx_gap_paired); ranked by NPS
 *            (cx_attr_rank)
 *        --> DIR/attribution.csv, DIR/runs.csv, DIR/attribution.txt
 *
 *  Exit status: 0 done, 1 a run failed or a file could not be written, 2
 *  invalid input.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_attribute.h"
#include "cx_cmd.h"
#include "cx_exp_exec.h"
#include "cx_exp_grid.h"
#include "cx_exp_stats.h"
#include "cx_gap.h"
#include "cx_load.h"
#include "cx_output.h"
#include "cx_signals.h"

#define S_EXIT_OK 0
#define S_EXIT_FAILED 1
#define S_EXIT_INVALID 2
#define S_MAX_SETS 16

static const char s_cmd[] = "cxsim attribute";
static volatile sig_atomic_t s_stop = 0;

/* The KPIs shown, in the order of the table (indices into cx_gap_kpi_t). */
static const cx_gap_kpi_t s_shown[] = {CX_GAP_NPS, CX_GAP_CES, CX_GAP_CHURN_RATE, CX_GAP_REVENUE};

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim attribute RUN_DIR|SCENARIO.yaml [options]\n"
            "\n"
            "Journey attribution: each touchpoint's contribution to NPS, CES, churn and revenue,\n"
            "as the paired effect (common random numbers) of changing that touchpoint alone,\n"
            "ranked by NPS, with 95%% CIs over replicates.\n"
            "\n"
            "  --method M        pain (default): its pain removed (an experience below the\n"
            "                    customer's expectation there counts as meeting it);\n"
            "                    raise: its quality raised by --delta\n"
            "  --delta D         quality points for --method raise (default 1)\n"
            "  --replicates R    paired replicates (default 5, 2..100)\n"
            "  --ticks N         run N ticks (default: the scenario's)\n"
            "  --set KEY=VALUE   override (repeatable)\n"
            "  --jobs J          runs at once (default 2)\n"
            "  --out DIR         results (default attribution/NAME)\n"
            "  -h, --help        show this help\n"
            "\n"
            "Writes DIR/attribution.csv, DIR/runs.csv (every run cited) and DIR/attribution.txt.\n"
            "Exit status: 0 done, 1 a run failed, 2 invalid input.\n");
}

typedef struct {
    int failed; /* runs that did not complete */
} s_done_t;

static int s_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok, const char *reason)
{
    (void)ex;
    s_done_t *d = ud;
    if (!ok) {
        fprintf(stderr, "%s: run %s failed: %s\n", s_cmd, run->dir, reason);
        d->failed++;
    }
    return 0;
}

static int s_queue(cx_exp_exec_t *ex, const char *scenario, const char *name, const char *set,
                   int r, uint64_t seed)
{
    cx_exp_run_t run;
    memset(&run, 0, sizeof run);
    run.replicate = r;
    run.seed = seed;
    snprintf(run.dir, sizeof run.dir, "runs/%s-r%d", name, r);
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)seed);
    run.scenario = strdup(scenario);
    run.label = strdup(name);
    run.arg[0] = strdup(scenario);
    run.arg[1] = strdup("--seed");
    run.arg[2] = strdup(seedtxt);
    run.n_arg = 3;
    bool ok = run.scenario && run.label && run.arg[0] && run.arg[1] && run.arg[2];
    if (set) {
        run.arg[3] = strdup("--set");
        run.arg[4] = strdup(set);
        run.n_arg = 5;
        ok = ok && run.arg[3] && run.arg[4];
    }
    int rc = ok ? cx_exp_exec_add(ex, &run) : -1;
    cx_exp_run_fini(&run);
    return rc;
}

static int s_read(const char *root, const char *name, int r, double out[CX_GAP_KPIS])
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/runs/%s-r%d/kpis.csv", root, name, r);
    size_t len = 0;
    char *text = NULL;
    if (cx_read_file(path, (size_t)1 << 30, &text, &len) != 0) {
        fprintf(stderr, "%s: cannot read %s: %s\n", s_cmd, path, strerror(errno));
        return -1;
    }
    char err[256];
    int rc = cx_gap_run_kpis(text, len, out, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: %s\n", s_cmd, path, err);
    }
    free(text);
    return rc;
}

static int s_write(const char *dir, const char *name, const cx_buf_t *b)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cx_buf_write_file(b, path) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", s_cmd, path,
                b->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

static int s_long(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!v[0] || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "%s: %s expects an integer from %ld to %ld, found '%s'\n", s_cmd, opt, lo,
                hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

int cx_cmd_attribute(int argc, char **argv)
{
    const char *input = NULL;
    const char *sets[S_MAX_SETS];
    int n_sets = 0;
    double delta = 1.0;
    cx_attr_method_t method = CX_ATTR_PAIN;
    long reps = 5;
    long ticks = 0;
    long jobs = 2;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool known = !strcmp(a, "--delta") || !strcmp(a, "--method") ||
                     !strcmp(a, "--replicates") || !strcmp(a, "--ticks") || !strcmp(a, "--set") ||
                     !strcmp(a, "--jobs") || !strcmp(a, "--out");
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            s_usage(stdout);
            return S_EXIT_OK;
        } else if (known && !v) {
            fprintf(stderr, "%s: %s needs a value\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else if (strcmp(a, "--method") == 0) {
            if (strcmp(v, "pain") == 0) {
                method = CX_ATTR_PAIN;
            } else if (strcmp(v, "raise") == 0) {
                method = CX_ATTR_RAISE;
            } else {
                fprintf(stderr, "%s: --method expects pain or raise, found '%s'\n", s_cmd, v);
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--delta") == 0) {
            char *end;
            delta = strtod(v, &end);
            if (*end || !(delta >= -10 && delta <= 10) || delta == 0) {
                fprintf(stderr,
                        "%s: --delta expects quality points from -10 to 10, not 0, "
                        "found '%s'\n",
                        s_cmd, v);
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--replicates") == 0) {
            if (s_long(a, v, 2, CX_GAP_MAX_REPS, &reps) != 0) {
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--ticks") == 0) {
            if (s_long(a, v, 1, CX_MAX_TICKS, &ticks) != 0) {
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--jobs") == 0) {
            if (s_long(a, v, 1, 64, &jobs) != 0) {
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (n_sets >= S_MAX_SETS) {
                fprintf(stderr, "%s: at most %d --set\n", s_cmd, S_MAX_SETS);
                return S_EXIT_INVALID;
            }
            sets[n_sets++] = argv[++i];
        } else if (strcmp(a, "--out") == 0) {
            out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option '%s' (see cxsim attribute --help)\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else if (input) {
            fprintf(stderr, "%s: one RUN_DIR or SCENARIO.yaml, found '%s' too\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else {
            input = a;
        }
    }
    if (!input) {
        fprintf(stderr, "%s: expected a RUN_DIR or SCENARIO.yaml (see cxsim attribute --help)\n",
                s_cmd);
        return S_EXIT_INVALID;
    }
    char file[PATH_MAX + 32];
    struct stat st;
    if (stat(input, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(file, sizeof file, "%s/scenario.resolved.yaml", input);
    } else {
        snprintf(file, sizeof file, "%s", input);
    }
    int rc = S_EXIT_INVALID;
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_attr_tp_t *tps = calloc(CX_ATTR_MAX_TP, sizeof *tps);
    double(*kb)[CX_GAP_KPIS] = calloc((size_t)reps, sizeof *kb);
    double(*kt)[CX_GAP_KPIS] = calloc((size_t)reps * CX_ATTR_MAX_TP, sizeof *kt);
    cx_gap_stat_t(*stat_)[CX_GAP_KPIS] = calloc(CX_ATTR_MAX_TP, sizeof *stat_);
    cx_exp_exec_t *ex = NULL;
    cx_buf_t rep, csv, runs;
    cx_buf_init(&rep);
    cx_buf_init(&csv);
    cx_buf_init(&runs);
    cx_diags_t d;
    cx_diags_init(&d);
    if (!sc || !tps || !kb || !kt || !stat_) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        rc = S_EXIT_FAILED;
        goto done;
    }
    if (cx_scenario_load_file(file, sets, n_sets, sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        goto done;
    }
    if (ticks > 0 && cx_scenario_set_ticks(sc, (int)ticks) < 0) {
        fprintf(stderr, "%s: --ticks out of range\n", s_cmd);
        goto done;
    }
    int n_tp = cx_attr_touchpoints(sc, method, delta, tps, CX_ATTR_MAX_TP);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s", out ? "" : "attribution/", out ? out : sc->name);
    char root[PATH_MAX];
    char runs_dir[PATH_MAX + 8];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", dir);
    if (cx_mkdirs(runs_dir) != 0 || !realpath(dir, root)) {
        fprintf(stderr, "%s: cannot create %s: %s\n", s_cmd, runs_dir, strerror(errno));
        rc = S_EXIT_FAILED;
        goto done;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/scenario.yaml", root);
    char *text = NULL;
    size_t len = 0;
    if (cx_scenario_emit(sc, &text, &len) != 0 || cx_write_atomic(path, text, len) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", s_cmd, path);
        free(text);
        rc = S_EXIT_FAILED;
        goto done;
    }
    free(text);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "%s: cannot find the cxsim executable\n", s_cmd);
        rc = S_EXIT_FAILED;
        goto done;
    }
    exe[n] = '\0';
    ex = cx_exp_exec_new(exe, root, "in-process", (int)jobs, isatty(STDERR_FILENO));
    uint64_t seeds[CX_GAP_MAX_REPS];
    for (int r = 0; ex && r < reps; r++) {
        seeds[r] = cx_exp_seed(sc->seed, NULL, r);
        if (s_queue(ex, path, "base", NULL, r, seeds[r]) != 0) {
            cx_exp_exec_destroy(&ex);
            break;
        }
        for (int t = 0; t < n_tp; t++) {
            char name[32];
            snprintf(name, sizeof name, "tp%d", t);
            if (s_queue(ex, path, name, tps[t].set, r, seeds[r]) != 0) {
                cx_exp_exec_destroy(&ex);
                break;
            }
        }
    }
    if (!ex) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        rc = S_EXIT_FAILED;
        goto done;
    }
    cx_signals_on_stop(s_on_signal);
    s_done_t dn = {0};
    char err[512] = "";
    int lr = cx_exp_exec_loop(ex, s_done, &dn, &s_stop, err, sizeof err);
    cx_signals_default();
    if (lr != 0 || dn.failed) {
        fprintf(stderr, "%s: %s\n", s_cmd,
                lr < 0 ? err : (lr > 0 ? "interrupted" : "runs failed: nothing attributed"));
        rc = S_EXIT_FAILED;
        goto done;
    }
    cx_buf_printf(&runs, "run,touchpoint,replicate,seed,dir");
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        cx_buf_printf(&runs, ",%s", cx_gap_kpi_name((cx_gap_kpi_t)k));
    }
    cx_buf_printf(&runs, "\n");
    for (int r = 0; r < reps; r++) {
        if (s_read(root, "base", r, kb[r]) != 0) {
            rc = S_EXIT_FAILED;
            goto done;
        }
        cx_buf_printf(&runs, "base,,%d,%llu,runs/base-r%d", r, (unsigned long long)seeds[r], r);
        for (int k = 0; k < CX_GAP_KPIS; k++) {
            cx_buf_printf(&runs, ",%.17g", kb[r][k]);
        }
        cx_buf_printf(&runs, "\n");
        for (int t = 0; t < n_tp; t++) {
            char name[32];
            snprintf(name, sizeof name, "tp%d", t);
            double *v = kt[(size_t)t * (size_t)reps + (size_t)r];
            if (s_read(root, name, r, v) != 0) {
                rc = S_EXIT_FAILED;
                goto done;
            }
            cx_buf_printf(&runs, "%s,%s,%d,%llu,runs/%s-r%d", name, tps[t].name, r,
                             (unsigned long long)seeds[r], name, r);
            for (int k = 0; k < CX_GAP_KPIS; k++) {
                cx_buf_printf(&runs, ",%.17g", v[k]);
            }
            cx_buf_printf(&runs, "\n");
        }
    }
    double t975 = cx_exp_t_quantile(0.975, (double)(reps - 1));
    double score[CX_ATTR_MAX_TP];
    for (int t = 0; t < n_tp; t++) {
        for (int k = 0; k < CX_GAP_KPIS; k++) {
            double b[CX_GAP_MAX_REPS];
            double x[CX_GAP_MAX_REPS];
            for (int r = 0; r < reps; r++) {
                b[r] = kb[r][k];
                x[r] = kt[(size_t)t * (size_t)reps + (size_t)r][k];
            }
            cx_gap_paired(b, x, (int)reps, t975, &stat_[t][k]);
        }
        score[t] = stat_[t][CX_GAP_NPS].delta;
    }
    int order[CX_ATTR_MAX_TP];
    cx_attr_rank(score, n_tp, order);
    char how[64];
    if (method == CX_ATTR_PAIN) {
        snprintf(how, sizeof how, "its pain removed");
    } else {
        snprintf(how, sizeof how, "its quality %+g", delta);
    }
    cx_buf_printf(&rep,
                     "attribution: %s, %d touchpoints, each with %s, one at a time; %ld "
                     "paired replicates (common random numbers), %d ticks\n"
                     "contribution = KPI with the touchpoint changed - KPI as is, mean "
                     "[95%% CI]; ranked by NPS\n\n",
                     sc->name, n_tp, how, reps, sc->ticks);
    cx_buf_printf(&rep, "%4s  %-24s %-16s %-22s %-20s %-22s %s\n", "rank", "touchpoint", "owner",
                     "NPS", "CES", "churn rate %", "revenue");
    cx_buf_printf(&csv, "rank,journey,touchpoint,owner,kpi,contribution,lo,hi,n\n");
    for (int i = 0; i < n_tp; i++) {
        int t = order[i];
        const cx_attr_tp_t *a = &tps[t];
        cx_buf_printf(&rep, "%4d  %-24s %-16s", i + 1, a->name, a->owner);
        for (size_t s = 0; s < sizeof s_shown / sizeof *s_shown; s++) {
            const cx_gap_stat_t *g = &stat_[t][s_shown[s]];
            char cell[64];
            if (s_shown[s] == CX_GAP_REVENUE) {
                snprintf(cell, sizeof cell, "%+.0f [%+.0f, %+.0f]", g->delta, g->lo, g->hi);
            } else if (s_shown[s] == CX_GAP_NPS) {
                snprintf(cell, sizeof cell, "%+.2f [%+.2f, %+.2f]", g->delta, g->lo, g->hi);
            } else {
                snprintf(cell, sizeof cell, "%+.4f [%+.4f, %+.4f]", g->delta, g->lo, g->hi);
            }
            cx_buf_printf(&rep, " %-*s", s + 1 < sizeof s_shown / sizeof *s_shown ? 22 : 0,
                             cell);
        }
        cx_buf_printf(&rep, "\n");
        const char *slash = strchr(a->name, '/');
        for (int k = 0; k < CX_GAP_KPIS; k++) {
            const cx_gap_stat_t *g = &stat_[t][k];
            cx_buf_printf(&csv, "%d,%.*s,%s,%s,%s,%.17g,%.17g,%.17g,%d\n", i + 1,
                             (int)(slash - a->name), a->name, slash + 1, a->owner,
                             cx_gap_kpi_name((cx_gap_kpi_t)k), g->delta, g->lo, g->hi, g->n);
        }
    }
    cx_buf_printf(&rep,
                     "\nruns: %s/runs (base-rK and tpI-rK; runs.csv cites each with its "
                     "seed); attribution.csv\n",
                     dir);
    if (s_write(root, "attribution.csv", &csv) != 0 || s_write(root, "runs.csv", &runs) != 0 ||
        s_write(root, "attribution.txt", &rep) != 0) {
        rc = S_EXIT_FAILED;
        goto done;
    }
    fputs(cx_buf_str(&rep), stdout);
    rc = S_EXIT_OK;
done:
    cx_exp_exec_destroy(&ex);
    cx_diags_fini(&d);
    cx_buf_fini(&rep);
    cx_buf_fini(&csv);
    cx_buf_fini(&runs);
    free(sc);
    free(tps);
    free(kb);
    free(kt);
    free(stat_);
    fflush(stdout);
    return rc;
}
