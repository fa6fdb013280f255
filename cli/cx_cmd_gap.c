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
 *            subprocesses, replicate r with the same seed on both sides
 *            (common random numbers, the seeds of compare), recorded in
 *            DIR/gap.db: a re-run resumes (cli/cx_dx_cmd)
 *        --> READ each run's kpis.csv; paired differences (diagnose/cx_gap)
 *        --> DIR/gap.csv, DIR/runs.csv (the runs cited), DIR/space.yaml,
 *            DIR/gap.txt (what is printed)
 *
 *  The work is in diagnose/cx_gap; this file reads options (cx_opts, the
 *  options shared with attribute: cx_dx_cmd) and starts runs.
 *  Exit status: 0 done, 1 a run failed or a file could not be written, 2
 *  invalid input.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_assess.h"
#include "cx_cmd.h"
#include "cx_dx_cmd.h"
#include "cx_exp_stats.h"
#include "cx_gap.h"
#include "cx_load.h"
#include "cx_output.h"

static const char s_cmd[] = "cxsim gap";

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
            "  --out DIR         results (default gaps/NAME; a re-run resumes)\n"
            "  -h, --help        show this help\n"
            "\n"
            "Writes DIR/gap.csv, DIR/runs.csv (every run cited: side, replicate, seed,\n"
            "directory, KPIs), DIR/space.yaml (cxsim optimise CURRENT --space FILE) and\n"
            "DIR/gap.txt and DIR/gap.db (the runs, for resuming). Exit status: 0 done, 1 a run\n"
            "failed or was interrupted, 2 invalid input.\n");
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

typedef struct {
    cx_dx_opts_t com;     /* the options shared with attribute */
    const char *files[2]; /* CURRENT TARGET, or ANSWERS */
    int n_files;          /* entries used */
    double level;         /* --target-level (0: none) */
} s_opts_t;

/* Reads the command line into o. 0, 1 (help printed), or -1 (printed). */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    cx_dx_opts_init(&o->com);
    enum { O_LEVEL };
    static const cx_opt_t opts[] = {{"--target-level", NULL, true, O_LEVEL}, CX_DX_COMMON_OPTS};
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        char *end;
        if (id == CX_OPTS_ERROR) {
            return -1;
        } else if (id == O_LEVEL) {
            o->level = strtod(v, &end);
            if (!*v || *end || !(o->level >= 1 && o->level <= 5)) {
                fprintf(stderr, "%s: --target-level expects a level from 1 to 5, found '%s'\n",
                        s_cmd, v);
                return -1;
            }
        } else if (id == CX_OPTS_POSITIONAL && o->n_files >= 2) {
            fprintf(stderr, "%s: at most two files, found '%s' too\n", s_cmd, v);
            return -1;
        } else if (id == CX_OPTS_POSITIONAL) {
            o->files[o->n_files++] = v;
        } else if (cx_dx_opt(s_cmd, id, v, &o->com) < 0) {
            return -1;
        }
    }
    if (o->com.help) {
        s_usage(stdout);
        return 1;
    }
    if (!((o->n_files == 2 && o->level == 0) || (o->n_files == 1 && o->level > 0))) {
        fprintf(stderr,
                "%s: expected CURRENT.yaml TARGET.yaml, or ANSWERS.yaml --target-level L "
                "(see cxsim gap --help)\n",
                s_cmd);
        return -1;
    }
    return 0;
}

/* Writes the scenarios and adds the two arms, today and the target. 0, or
 * an exit status. */
static int s_arms(cx_dx_runs_t *x, const cx_scenario_t *cur, const cx_scenario_t *tgt)
{
    char path[2][PATH_MAX + 32];
    const char *names[2] = {"current", "target"};
    const cx_scenario_t *sides[2] = {cur, tgt};
    for (int k = 0; k < 2; k++) {
        snprintf(path[k], sizeof path[k], "%s/%s.yaml", x->pl.root, names[k]);
        if (s_write_scenario(path[k], sides[k]) != 0) {
            fprintf(stderr, "%s: cannot write %s: %s\n", s_cmd, path[k], strerror(errno));
            return 1;
        }
        bool invalid = false;
        if (cx_dx_runs_arm(x, path[k], names[k], NULL, &invalid) < 0) {
            return invalid ? 2 : 1;
        }
    }
    return 0;
}

/* Reads the runs, writes gap.csv, runs.csv, space.yaml, gap.txt and prints
 * the report. 0, or -1 (printed). */
static int s_report(cx_dx_runs_t *x, const cx_scenario_t *cur, const cx_scenario_t *tgt,
                    const cx_gap_t *gap, const char *dir)
{
    int reps = x->reps;
    double k[2][CX_GAP_MAX_REPS][CX_GAP_KPIS];
    cx_buf_t rep, csv, runs, space;
    cx_buf_init(&rep);
    cx_buf_init(&csv);
    cx_buf_init(&runs);
    cx_buf_init(&space);
    int rc = 0;
    cx_buf_printf(&runs, "side,replicate,seed,dir");
    for (int q = 0; q < CX_GAP_KPIS; q++) {
        cx_buf_printf(&runs, ",%s", cx_gap_kpi_name((cx_gap_kpi_t)q));
    }
    cx_buf_printf(&runs, "\n");
    for (int r = 0; r < reps && rc == 0; r++) {
        for (int side = 0; side < 2 && rc == 0; side++) {
            char rdir[512];
            uint64_t seed = 0;
            rc = cx_dx_runs_dir(x, side, r, rdir, sizeof rdir, &seed) ||
                 cx_dx_runs_kpis(x, side, r, k[side][r]);
            cx_buf_printf(&runs, "%s,%d,%llu,%s", side ? "target" : "current", r,
                             (unsigned long long)seed, rdir);
            for (int q = 0; q < CX_GAP_KPIS; q++) {
                cx_buf_printf(&runs, ",%.17g", k[side][r][q]);
            }
            cx_buf_printf(&runs, "\n");
        }
    }
    cx_buf_printf(&rep, "gap: %s -> %s (%d ticks of a %s)\n\n", cur->name, tgt->name, cur->ticks,
                     cx_tick_unit_name(cur->tick_unit));
    cx_gap_report_orgs(&rep, gap);
    cx_buf_printf(&rep,
                     "\nwhat the gap costs today: %d paired replicates (common random "
                     "numbers), target - today, 95%% CI\n",
                     reps);
    cx_buf_printf(&rep, "%-24s %16s %16s %16s  %s\n", "kpi", "today", "target", "gap", "95% CI");
    cx_buf_printf(&csv, "kpi,today,target,gap,lo,hi,n\n");
    double t975 = cx_exp_t_quantile(0.975, (double)(reps - 1));
    for (int q = 0; q < CX_GAP_KPIS && rc == 0; q++) {
        double c[CX_GAP_MAX_REPS];
        double t[CX_GAP_MAX_REPS];
        for (int r = 0; r < reps; r++) {
            c[r] = k[0][r][q];
            t[r] = k[1][r][q];
        }
        cx_gap_stat_t st;
        cx_gap_paired(c, t, reps, t975, &st);
        const char *name = cx_gap_kpi_name((cx_gap_kpi_t)q);
        cx_buf_printf(&rep, "%-24s %16.2f %16.2f %+16.2f  [%.2f, %.2f]\n", name, st.cur, st.tgt,
                         st.delta, st.lo, st.hi);
        cx_buf_printf(&csv, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n", name, st.cur, st.tgt,
                         st.delta, st.lo, st.hi, st.n);
    }
    cx_buf_printf(&rep,
                     "\nruns: %s/runs, cited in runs.csv with their seeds; gap.csv; the search "
                     "space: %s/space.yaml\n"
                     "next: cxsim optimise %s/current.yaml --space %s/space.yaml "
                     "--budget AMOUNT\n",
                     dir, dir, dir, dir);
    cx_gap_space_text(&space, gap, "current.yaml");
    const char *root = x->pl.root;
    if (rc == 0 && (cx_dx_write(s_cmd, root, "gap.csv", &csv) != 0 ||
                    cx_dx_write(s_cmd, root, "runs.csv", &runs) != 0 ||
                    cx_dx_write(s_cmd, root, "space.yaml", &space) != 0 ||
                    cx_dx_write(s_cmd, root, "gap.txt", &rep) != 0)) {
        rc = -1;
    }
    if (rc == 0) {
        fputs(cx_buf_str(&rep), stdout);
    }
    cx_buf_fini(&rep);
    cx_buf_fini(&csv);
    cx_buf_fini(&runs);
    cx_buf_fini(&space);
    return rc;
}

int cx_cmd_gap(int argc, char **argv)
{
    s_opts_t o;
    int pr = s_parse(argc, argv, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    cx_scenario_t *cur = malloc(sizeof *cur);
    cx_scenario_t *tgt = malloc(sizeof *tgt);
    cx_gap_t *gap = malloc(sizeof *gap);
    cx_dx_runs_t x;
    memset(&x, 0, sizeof x);
    x.pl.lock_fd = -1;
    int rc = 1;
    char dir[PATH_MAX];
    if (!cur || !tgt || !gap) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
    } else if (s_build(o.files[0], o.files[1], o.level, o.com.sets, o.com.n_sets, o.com.ticks, cur,
                       tgt, gap) != 0) {
        rc = 2;
    } else {
        snprintf(dir, sizeof dir, "%s%s", o.com.out ? "" : "gaps/",
                 o.com.out ? o.com.out : cur->name);
        rc = cx_dx_runs_open(&x, s_cmd, dir, "gap.db", (int)o.com.reps) != 0 ? 1
                                                                             : s_arms(&x, cur, tgt);
        int gr = rc == 0 ? cx_dx_runs_go(&x, (int)o.com.jobs) : 0;
        rc = rc != 0 ? rc : (gr == 2 ? 2 : (gr != 0 ? 1 : 0));
        if (rc == 0 && s_report(&x, cur, tgt, gap, dir) != 0) {
            rc = 1;
        }
    }
    cx_dx_runs_fini(&x);
    free(cur);
    free(tgt);
    free(gap);
    fflush(stdout);
    return rc;
}
