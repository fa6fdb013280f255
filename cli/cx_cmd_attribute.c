/*  cx_cmd_attribute — `cxsim attribute RUN_DIR|SCENARIO.yaml`: which
 *  touchpoints drive NPS, CES, churn and revenue, and where the pain points
 *  and delights are (docs/MODEL.md, "Journey attribution").
 *
 *      PARSE (cx_opts, the options shared with gap: cx_dx_cmd)
 *        --> LOAD the scenario (a run directory's scenario.resolved.yaml,
 *            or a file), --set, --ticks --> DIR/scenario.yaml
 *        --> RUN per replicate r (seed of compare, common random numbers)
 *            the scenario as is and once per touchpoint changed alone
 *            (N + 1 arms), recorded in DIR/attribution.db: a re-run
 *            resumes (cx_dx_runs)
 *        --> READ each kpis.csv (cx_gap_run_kpis) and the as-is runs'
 *            touchpoints.csv (cx_tp_counts); paired differences per
 *            touchpoint and KPI, ranked by NPS (cx_attr_rank)
 *        --> DIR/attribution.csv, DIR/shares.csv, DIR/runs.csv,
 *            DIR/attribution.txt (cx_attr_report)
 *
 *  Exit status: 0 done, 1 a run failed, was interrupted or a file could not
 *  be written, 2 invalid input.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_attr_report.h"
#include "cx_cmd.h"
#include "cx_dx_cmd.h"
#include "cx_exp_stats.h"
#include "cx_load.h"
#include "cx_output.h"

static const char s_cmd[] = "cxsim attribute";

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim attribute RUN_DIR|SCENARIO.yaml [options]\n"
            "\n"
            "Journey attribution: each touchpoint's contribution to NPS, CES, churn and revenue,\n"
            "as the paired effect (common random numbers) of changing that touchpoint alone,\n"
            "ranked by NPS, with 95%% CIs over replicates; and its pain and delight shares.\n"
            "\n"
            "  --method M        pain (default): its pain removed (an experience below the\n"
            "                    customer's expectation there counts as meeting it);\n"
            "                    raise: its quality raised by --delta\n"
            "  --delta D         quality points for --method raise (default 1)\n"
            "  --replicates R    paired replicates (default 5, 2..100)\n"
            "  --ticks N         run N ticks (default: the scenario's)\n"
            "  --set KEY=VALUE   override (repeatable)\n"
            "  --jobs J          runs at once (default 2)\n"
            "  --out DIR         results (default attribution/NAME; a re-run resumes)\n"
            "  -h, --help        show this help\n"
            "\n"
            "Writes DIR/attribution.csv, DIR/shares.csv, DIR/runs.csv (every run cited),\n"
            "DIR/attribution.txt and DIR/attribution.db (the runs, for resuming).\n"
            "Exit status: 0 done, 1 a run failed or was interrupted, 2 invalid input.\n");
}

typedef struct {
    cx_dx_opts_t com;        /* the options shared with gap */
    const char *input;       /* RUN_DIR or SCENARIO.yaml */
    cx_attr_method_t method; /* --method */
    double delta;            /* --delta */
} s_opts_t;

/* Reads the command line into o. 0, 1 (help printed), or -1 (printed). */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    cx_dx_opts_init(&o->com);
    o->delta = 1.0;
    enum { O_METHOD, O_DELTA };
    static const cx_opt_t opts[] = {
        {"--method", NULL, true, O_METHOD}, {"--delta", NULL, true, O_DELTA}, CX_DX_COMMON_OPTS};
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        char *end;
        if (id == CX_OPTS_ERROR) {
            return -1;
        } else if (id == O_METHOD && (!strcmp(v, "pain") || !strcmp(v, "raise"))) {
            o->method = strcmp(v, "pain") == 0 ? CX_ATTR_PAIN : CX_ATTR_RAISE;
        } else if (id == O_METHOD) {
            fprintf(stderr, "%s: --method expects pain or raise, found '%s'\n", s_cmd, v);
            return -1;
        } else if (id == O_DELTA) {
            o->delta = strtod(v, &end);
            if (!*v || *end || !(o->delta >= -10 && o->delta <= 10) || o->delta == 0) {
                fprintf(stderr,
                        "%s: --delta expects quality points from -10 to 10, not 0, "
                        "found '%s'\n",
                        s_cmd, v);
                return -1;
            }
        } else if (id == CX_OPTS_POSITIONAL && o->input) {
            fprintf(stderr, "%s: one RUN_DIR or SCENARIO.yaml, found '%s' too\n", s_cmd, v);
            return -1;
        } else if (id == CX_OPTS_POSITIONAL) {
            o->input = v;
        } else if (cx_dx_opt(s_cmd, id, v, &o->com) < 0) {
            return -1;
        }
    }
    if (o->com.help) {
        s_usage(stdout);
        return 1;
    }
    if (!o->input) {
        fprintf(stderr, "%s: expected a RUN_DIR or SCENARIO.yaml (see cxsim attribute --help)\n",
                s_cmd);
        return -1;
    }
    return 0;
}

/* Loads the scenario, writes DIR/scenario.yaml, opens the runs and adds
 * the arms: 0, or an exit status. */
static int s_setup(const s_opts_t *o, cx_scenario_t *sc, cx_attr_tp_t *tps, int *n_tp,
                   cx_dx_runs_t *x)
{
    char file[PATH_MAX + 32];
    struct stat st;
    bool is_dir = stat(o->input, &st) == 0 && S_ISDIR(st.st_mode);
    snprintf(file, sizeof file, "%s%s", o->input, is_dir ? "/scenario.resolved.yaml" : "");
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_file(file, o->com.sets, o->com.n_sets, sc, &d);
    cx_diags_print(stderr, &d);
    cx_diags_fini(&d);
    if (rc != 0) {
        return 2;
    }
    if (o->com.ticks > 0 && cx_scenario_set_ticks(sc, (int)o->com.ticks) < 0) {
        fprintf(stderr, "%s: --ticks out of range\n", s_cmd);
        return 2;
    }
    *n_tp = cx_attr_touchpoints(sc, o->method, o->delta, tps, CX_ATTR_MAX_TP);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s", o->com.out ? "" : "attribution/",
             o->com.out ? o->com.out : sc->name);
    if (cx_dx_runs_open(x, s_cmd, dir, "attribution.db", (int)o->com.reps) != 0) {
        return 1;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/scenario.yaml", x->pl.root);
    char *text = NULL;
    size_t len = 0;
    if (cx_scenario_emit(sc, &text, &len) != 0 || cx_write_atomic(path, text, len) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", s_cmd, path);
        free(text);
        return 1;
    }
    free(text);
    bool invalid = false;
    if (cx_dx_runs_arm(x, path, "base", NULL, &invalid) < 0) {
        return invalid ? 2 : 1;
    }
    for (int t = 0; t < *n_tp; t++) {
        char label[32];
        snprintf(label, sizeof label, "tp%d", t);
        if (cx_dx_runs_arm(x, path, label, tps[t].set, &invalid) < 0) {
            return invalid ? 2 : 1;
        }
    }
    return 0;
}

int cx_cmd_attribute(int argc, char **argv)
{
    s_opts_t o;
    int pr = s_parse(argc, argv, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_attr_tp_t *tps = calloc(CX_ATTR_MAX_TP, sizeof *tps);
    cx_attr_result_t *res = calloc(1, sizeof *res);
    cx_dx_runs_t x;
    memset(&x, 0, sizeof x);
    x.pl.lock_fd = -1;
    int n_tp = 0;
    int rc = 1;
    if (!sc || !tps || !res) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
    } else if ((rc = s_setup(&o, sc, tps, &n_tp, &x)) == 0) {
        int gr = cx_dx_runs_go(&x, (int)o.com.jobs);
        rc = gr == 0 ? 0 : (gr == 2 ? 2 : 1);
        if (rc == 0) {
            rc = cx_attr_collect(&x, tps, n_tp, res) == 0 &&
                         cx_attr_report(&x, sc, tps, n_tp, o.method, o.delta, res) == 0
                     ? 0
                     : 1;
        }
    }
    cx_dx_runs_fini(&x);
    free(sc);
    free(tps);
    free(res);
    fflush(stdout);
    return rc;
}
