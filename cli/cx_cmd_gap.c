/*  cx_cmd_gap — `cxsim gap CURRENT.yaml TARGET.yaml` or `cxsim gap
 *  ANSWERS.yaml --target-level L`: the gap between the company today and a
 *  target, what it costs in KPIs from paired runs, and the gap as the search
 *  space of `cxsim optimise` (docs/EXPERIMENTS.md, "Gap analysis").
 *
 *      PARSE --> BUILD today (a scenario file, or an assessment scored by
 *            diagnose/cx_assess) and the target (a file, or today with every
 *            department at L at least), --set on both, --ticks
 *        --> DIR/current.yaml, DIR/target.yaml (resolved)
 *        --> RUN R replicates of each as `cxsim run --quiet --in-process`
 *            subprocesses (cx_exp_exec), replicate r with the same seed on
 *            both sides (common random numbers, the seeds of compare)
 *        --> READ each run's kpis.csv; paired differences (diagnose/cx_gap)
 *        --> DIR/gap.csv, DIR/runs.csv (the runs cited), DIR/space.yaml,
 *            DIR/gap.txt (what is printed)
 *
 *  The work is in diagnose/cx_gap; this file reads options and starts runs.
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
#include <unistd.h>

#include "cx_assess.h"
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

static const char s_cmd[] = "cxsim gap";
static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim gap CURRENT.yaml TARGET.yaml [options]\n"
            "       cxsim gap ANSWERS.yaml --target-level L [options]\n"
            "\n"
            "The gap between the company today and a target: per department (and axis, from a\n"
            "self-assessment), CX owner and governance; what it costs in KPIs from paired runs\n"
            "(common random numbers); and the gap as cxsim optimise's search space.\n"
            "\n"
            "  --target-level L  the target: every department at level L (1..5) at least;\n"
            "                    the first file is then a self-assessment (cxsim assess)\n"
            "  --replicates R    paired replicates (default 5, 2..100)\n"
            "  --ticks N         run N ticks (default: the scenario's)\n"
            "  --set KEY=VALUE   override on both sides (repeatable)\n"
            "  --jobs J          runs at once (default 2)\n"
            "  --out DIR         results (default gaps/NAME)\n"
            "  -h, --help        show this help\n"
            "\n"
            "Writes DIR/gap.csv, DIR/runs.csv (every run cited: side, replicate, seed,\n"
            "directory, KPIs), DIR/space.yaml (cxsim optimise CURRENT --space FILE) and\n"
            "DIR/gap.txt. Exit status: 0 done, 1 a run failed, 2 invalid input.\n");
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

static int s_int(const char *opt, const char *v, long lo, long hi, long *out)
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

/* Emits sc, loads it back with the --set overrides (checked like a file),
 * and sets its length. 0, or -1 after messages. */
static int s_resolve(const char *name, const cx_scenario_t *sc, const char *const *sets, int n_sets,
                     long ticks, cx_scenario_t *out)
{
    char *text = NULL;
    size_t len = 0;
    if (cx_scenario_emit(sc, &text, &len) != 0) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        return -1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_string(name, text, len, sets, n_sets, out, &d);
    if (rc != 0) {
        cx_diags_print(stderr, &d);
    } else if (ticks > 0 && cx_scenario_set_ticks(out, (int)ticks) < 0) {
        fprintf(stderr, "%s: --ticks out of range\n", s_cmd);
        rc = -1;
    }
    cx_diags_fini(&d);
    free(text);
    return rc;
}

static int s_write_scenario(const char *path, const cx_scenario_t *sc)
{
    char *text = NULL;
    size_t len = 0;
    if (cx_scenario_emit(sc, &text, &len) != 0) {
        errno = ENOMEM;
        return -1;
    }
    int rc = cx_write_atomic(path, text, len);
    free(text);
    return rc;
}

static int s_write_buf(const char *dir, const char *name, const cx_buf_t *b)
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

/* Builds today's and the target's scenarios; fills gap. 0 or -1. */
static int s_build(const char *file1, const char *file2, double level, const char *const *sets,
                   int n_sets, long ticks, cx_scenario_t *cur, cx_scenario_t *tgt, cx_gap_t *gap)
{
    cx_scenario_t *raw = malloc(sizeof *raw);
    cx_questionnaire_t *q = NULL;
    cx_assessment_t *as = NULL;
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = -1;
    char err[512];
    if (!raw) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        goto done;
    }
    if (level > 0) {
        q = malloc(sizeof *q);
        as = malloc(sizeof *as);
        if (!q || !as) {
            fprintf(stderr, "%s: out of memory\n", s_cmd);
            goto done;
        }
        if (cx_questionnaire_load_file(file1, q, &d) != 0 ||
            cx_scenario_load_file(q->scenario, NULL, 0, raw, &d) != 0 ||
            cx_assess_score(q, as, &d) != 0 || cx_assess_apply(q, as, raw, &d) != 0) {
            cx_diags_print(stderr, &d);
            goto done;
        }
        if (as->n_assessed == 0) {
            fprintf(stderr, "%s: %s: no department answered on all three axes\n", s_cmd, file1);
            goto done;
        }
        if (s_resolve("current", raw, sets, n_sets, ticks, cur) != 0) {
            goto done;
        }
        cx_gap_target_level(cur, level, tgt);
        snprintf(tgt->name, sizeof tgt->name, "%.40s-level-%g", cur->name, level);
    } else {
        if (cx_scenario_load_file(file1, sets, n_sets, cur, &d) != 0 ||
            cx_scenario_load_file(file2, sets, n_sets, tgt, &d) != 0) {
            cx_diags_print(stderr, &d);
            goto done;
        }
        if (ticks > 0 && (cx_scenario_set_ticks(cur, (int)ticks) < 0 ||
                          cx_scenario_set_ticks(tgt, (int)ticks) < 0)) {
            fprintf(stderr, "%s: --ticks out of range\n", s_cmd);
            goto done;
        }
    }
    if (cur->ticks != tgt->ticks || cur->tick_unit != tgt->tick_unit) {
        fprintf(stderr,
                "%s: today runs %d ticks of a %s, the target %d of a %s: give both the "
                "same (--ticks N)\n",
                s_cmd, cur->ticks, cx_tick_unit_name(cur->tick_unit), tgt->ticks,
                cx_tick_unit_name(tgt->tick_unit));
        goto done;
    }
    if (cx_gap_between(cur, tgt, gap, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", s_cmd, err);
        goto done;
    }
    if (as) {
        cx_gap_add_axes(gap, as);
    }
    rc = 0;
done:
    cx_diags_fini(&d);
    free(raw);
    free(q);
    free(as);
    return rc;
}

/* Queues replicate r of one side. 0 or -1. */
static int s_queue(cx_exp_exec_t *ex, const char *scenario, const char *side, int r, uint64_t seed)
{
    cx_exp_run_t run;
    memset(&run, 0, sizeof run);
    run.point = 0;
    run.replicate = r;
    run.seed = seed;
    snprintf(run.dir, sizeof run.dir, "runs/%s-r%d", side, r);
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)seed);
    run.scenario = strdup(scenario);
    run.label = strdup(side);
    run.arg[0] = strdup(scenario);
    run.arg[1] = strdup("--seed");
    run.arg[2] = strdup(seedtxt);
    run.n_arg = 3;
    int rc = (run.scenario && run.label && run.arg[0] && run.arg[1] && run.arg[2])
                 ? cx_exp_exec_add(ex, &run)
                 : -1;
    cx_exp_run_fini(&run);
    return rc;
}

static int s_read_kpis(const char *root, const char *side, int r, double out[CX_GAP_KPIS])
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/runs/%s-r%d/kpis.csv", root, side, r);
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

int cx_cmd_gap(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL};
    int n_files = 0;
    const char *sets[S_MAX_SETS];
    int n_sets = 0;
    double level = 0;
    long reps = 5;
    long ticks = 0;
    long jobs = 2;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            s_usage(stdout);
            return S_EXIT_OK;
        } else if (a[0] == '-' && a[1] == '-' && strcmp(a, "--target-level") &&
                   strcmp(a, "--replicates") && strcmp(a, "--ticks") && strcmp(a, "--set") &&
                   strcmp(a, "--jobs") && strcmp(a, "--out")) {
            fprintf(stderr, "%s: unknown option '%s' (see cxsim gap --help)\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            fprintf(stderr, "%s: %s needs a value\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else if (strcmp(a, "--target-level") == 0) {
            char *end;
            level = strtod(v, &end);
            if (*end || !(level >= 1 && level <= 5)) {
                fprintf(stderr, "%s: --target-level expects a level from 1 to 5, found '%s'\n",
                        s_cmd, v);
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--replicates") == 0) {
            if (s_int(a, v, 2, CX_GAP_MAX_REPS, &reps) != 0) {
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--ticks") == 0) {
            if (s_int(a, v, 1, CX_MAX_TICKS, &ticks) != 0) {
                return S_EXIT_INVALID;
            }
            i++;
        } else if (strcmp(a, "--jobs") == 0) {
            if (s_int(a, v, 1, 64, &jobs) != 0) {
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
            fprintf(stderr, "%s: unknown option '%s' (see cxsim gap --help)\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else if (n_files >= 2) {
            fprintf(stderr, "%s: at most two files, found '%s' too\n", s_cmd, a);
            return S_EXIT_INVALID;
        } else {
            files[n_files++] = a;
        }
    }
    if (!((n_files == 2 && level == 0) || (n_files == 1 && level > 0))) {
        fprintf(stderr,
                "%s: expected CURRENT.yaml TARGET.yaml, or ANSWERS.yaml --target-level L "
                "(see cxsim gap --help)\n",
                s_cmd);
        return S_EXIT_INVALID;
    }
    int rc = S_EXIT_INVALID;
    cx_scenario_t *cur = malloc(sizeof *cur);
    cx_scenario_t *tgt = malloc(sizeof *tgt);
    cx_gap_t *gap = malloc(sizeof *gap);
    double(*kc)[CX_GAP_KPIS] = calloc((size_t)reps, sizeof *kc);
    double(*kt)[CX_GAP_KPIS] = calloc((size_t)reps, sizeof *kt);
    cx_exp_exec_t *ex = NULL;
    cx_buf_t rep, csv, runs, space;
    cx_buf_init(&rep);
    cx_buf_init(&csv);
    cx_buf_init(&runs);
    cx_buf_init(&space);
    if (!cur || !tgt || !gap || !kc || !kt) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        rc = S_EXIT_FAILED;
        goto done;
    }
    if (s_build(files[0], files[1], level, sets, n_sets, ticks, cur, tgt, gap) != 0) {
        goto done;
    }
    char dir[PATH_MAX];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        snprintf(dir, sizeof dir, "gaps/%s", cur->name);
    }
    char root[PATH_MAX];
    char runs_dir[PATH_MAX + 8];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", dir);
    if (cx_mkdirs(runs_dir) != 0 || !realpath(dir, root)) {
        fprintf(stderr, "%s: cannot create %s: %s\n", s_cmd, runs_dir, strerror(errno));
        rc = S_EXIT_FAILED;
        goto done;
    }
    char cur_path[PATH_MAX + 32];
    char tgt_path[PATH_MAX + 32];
    snprintf(cur_path, sizeof cur_path, "%s/current.yaml", root);
    snprintf(tgt_path, sizeof tgt_path, "%s/target.yaml", root);
    if (s_write_scenario(cur_path, cur) != 0 || s_write_scenario(tgt_path, tgt) != 0) {
        fprintf(stderr, "%s: cannot write the scenarios in %s: %s\n", s_cmd, root, strerror(errno));
        rc = S_EXIT_FAILED;
        goto done;
    }
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
        seeds[r] = cx_exp_seed(cur->seed, NULL, r);
        if (s_queue(ex, cur_path, "current", r, seeds[r]) != 0 ||
            s_queue(ex, tgt_path, "target", r, seeds[r]) != 0) {
            cx_exp_exec_destroy(&ex);
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
                lr < 0 ? err : (lr > 0 ? "interrupted" : "runs failed: no gap computed"));
        rc = S_EXIT_FAILED;
        goto done;
    }
    cx_buf_reset(&runs);
    cx_buf_printf(&runs, "side,replicate,seed,dir");
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        cx_buf_printf(&runs, ",%s", cx_gap_kpi_name((cx_gap_kpi_t)k));
    }
    cx_buf_printf(&runs, "\n");
    for (int r = 0; r < reps; r++) {
        if (s_read_kpis(root, "current", (int)r, kc[r]) != 0 ||
            s_read_kpis(root, "target", (int)r, kt[r]) != 0) {
            rc = S_EXIT_FAILED;
            goto done;
        }
        for (int side = 0; side < 2; side++) {
            cx_buf_printf(&runs, "%s,%d,%llu,runs/%s-r%d", side ? "target" : "current", r,
                             (unsigned long long)seeds[r], side ? "target" : "current", r);
            for (int k = 0; k < CX_GAP_KPIS; k++) {
                cx_buf_printf(&runs, ",%.17g", side ? kt[r][k] : kc[r][k]);
            }
            cx_buf_printf(&runs, "\n");
        }
    }
    /* The report. */
    cx_buf_printf(&rep, "gap: %s -> %s (%d ticks of a %s)\n\n", cur->name, tgt->name, cur->ticks,
                     cx_tick_unit_name(cur->tick_unit));
    cx_gap_report_orgs(&rep, gap);
    cx_buf_printf(&rep,
                     "\nwhat the gap costs today: %ld paired replicates (common random "
                     "numbers), target - today, 95%% CI\n",
                     reps);
    cx_buf_printf(&rep, "%-24s %16s %16s %16s  %s\n", "kpi", "today", "target", "gap", "95% CI");
    cx_buf_printf(&csv, "kpi,today,target,gap,lo,hi,n\n");
    double t975 = cx_exp_t_quantile(0.975, (double)(reps - 1));
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        double c[CX_GAP_MAX_REPS];
        double t[CX_GAP_MAX_REPS];
        for (int r = 0; r < reps; r++) {
            c[r] = kc[r][k];
            t[r] = kt[r][k];
        }
        cx_gap_stat_t st;
        cx_gap_paired(c, t, (int)reps, t975, &st);
        const char *name = cx_gap_kpi_name((cx_gap_kpi_t)k);
        cx_buf_printf(&rep, "%-24s %16.2f %16.2f %+16.2f  [%.2f, %.2f]\n", name, st.cur, st.tgt,
                         st.delta, st.lo, st.hi);
        cx_buf_printf(&csv, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n", name, st.cur, st.tgt,
                         st.delta, st.lo, st.hi, st.n);
    }
    cx_buf_printf(&rep,
                     "\nruns: %s/runs/{current,target}-r0..%ld, seeds in runs.csv; "
                     "gap.csv; the search space: %s/space.yaml\n"
                     "next: cxsim optimise %s/current.yaml --space %s/space.yaml "
                     "--budget AMOUNT\n",
                     dir, reps - 1, dir, dir, dir);
    cx_gap_space_text(&space, gap, "current.yaml");
    if (s_write_buf(root, "gap.csv", &csv) != 0 || s_write_buf(root, "runs.csv", &runs) != 0 ||
        s_write_buf(root, "space.yaml", &space) != 0 || s_write_buf(root, "gap.txt", &rep) != 0) {
        rc = S_EXIT_FAILED;
        goto done;
    }
    fputs(cx_buf_str(&rep), stdout);
    rc = S_EXIT_OK;
done:
    cx_exp_exec_destroy(&ex);
    cx_buf_fini(&rep);
    cx_buf_fini(&csv);
    cx_buf_fini(&runs);
    cx_buf_fini(&space);
    free(cur);
    free(tgt);
    free(gap);
    free(kc);
    free(kt);
    fflush(stdout);
    return rc;
}
