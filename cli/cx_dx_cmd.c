/*  cx_dx_cmd — see cx_dx_cmd.h. */
#include "cx_dx_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_buf.h"
#include "cx_exp_cmd.h"
#include "cx_scenario.h"
#include "cx_signals.h"

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

void cx_dx_opts_init(cx_dx_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->reps = 5;
    o->jobs = 2;
}

int cx_dx_opt(const char *cmd, int id, const char *v, cx_dx_opts_t *o)
{
    long long x = 0;
    switch (id) {
    case CX_DX_O_HELP:
        o->help = true;
        return 1;
    case CX_DX_O_REPLICATES:
        if (cx_exp_cmd_int(cmd, "--replicates", v, 2, CX_GAP_MAX_REPS, &x) != 0) {
            return -1;
        }
        o->reps = (long)x;
        return 1;
    case CX_DX_O_TICKS:
        if (cx_exp_cmd_int(cmd, "--ticks", v, 1, CX_MAX_TICKS, &x) != 0) {
            return -1;
        }
        o->ticks = (long)x;
        return 1;
    case CX_DX_O_JOBS:
        if (cx_exp_cmd_int(cmd, "--jobs", v, 1, 64, &x) != 0) {
            return -1;
        }
        o->jobs = (long)x;
        return 1;
    case CX_DX_O_SET:
        return cx_exp_cmd_add_set(cmd, o->sets, &o->n_sets, CX_DX_MAX_SETS, v) == 0 ? 1 : -1;
    case CX_DX_O_OUT:
        o->out = v;
        return 1;
    default:
        return 0;
    }
}

int cx_dx_runs_open(cx_dx_runs_t *x, const char *cmd, const char *root, const char *db_name,
                    int reps)
{
    memset(x, 0, sizeof *x);
    x->pl.lock_fd = -1;
    x->cmd = cmd;
    x->reps = reps;
    char err[2048] = "";
    if (cx_exp_plan_init(&x->pl, root, db_name, err, sizeof err) != 0 ||
        cx_exp_plan_lock(&x->pl, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return -1;
    }
    x->pl.crn = true;
    return 0;
}

void cx_dx_runs_fini(cx_dx_runs_t *x)
{
    cx_exp_plan_fini(&x->pl);
}

int cx_dx_runs_arm(cx_dx_runs_t *x, const char *scenario, const char *label, const char *set,
                   bool *invalid)
{
    char key[1024];
    char json[512] = "{}";
    snprintf(key, sizeof key, "%s\n%s", label, set ? set : "");
    const char *eq = set ? strchr(set, '=') : NULL;
    if (eq) {
        snprintf(json, sizeof json, "{\"%.*s\": \"%s\"}", (int)(eq - set), set, eq + 1);
    }
    char *sets[1] = {(char *)set};
    char err[2048] = "";
    int a = cx_exp_plan_point_add(&x->pl, scenario, label, key, sets, set ? 1 : 0, json, err,
                                  sizeof err);
    *invalid = a == -2;
    if (a < 0) {
        fprintf(stderr, "%s: %s: %s\n", x->cmd, label, err);
        return -1;
    }
    /* Common random numbers: every arm runs replicate r with the first arm's seed. */
    x->pl.point[a].base_seed = x->pl.point[0].base_seed;
    return a;
}

static int s_done(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok, const char *reason)
{
    (void)ex;
    cx_dx_runs_t *x = ud;
    return cx_exp_cmd_run_done(x->cmd, &x->pl, run, ok, reason, false, &x->failed);
}

int cx_dx_runs_go(cx_dx_runs_t *x, int jobs)
{
    char err[2048] = "";
    cx_exp_exec_t *ex =
        cx_exp_exec_new(x->pl.exe, x->pl.root, "in-process", jobs, isatty(STDERR_FILENO) != 0);
    if (!ex) {
        fprintf(stderr, "%s: out of memory\n", x->cmd);
        return -1;
    }
    int todo = 0;
    for (int a = 0; a < x->pl.n_point; a++) {
        int q = 0;
        int qr = cx_exp_plan_queue(&x->pl, a, 0, x->reps, ex, &q, err, sizeof err);
        if (qr != 0) {
            fprintf(stderr, "%s: %s\n", x->cmd, err);
            cx_exp_exec_destroy(&ex);
            return qr == 2 ? 2 : -1;
        }
        todo += q;
    }
    fprintf(stderr, "%s: %d runs: %d to do, %lld already done (%s/%s)\n", x->cmd,
            x->pl.n_point * x->reps, todo, x->pl.skipped, x->pl.root, "runs");
    cx_signals_on_stop(s_on_signal);
    int lr = cx_exp_exec_loop(ex, s_done, x, &s_stop, err, sizeof err);
    cx_signals_default();
    cx_exp_exec_destroy(&ex);
    if (lr < 0) {
        fprintf(stderr, "%s: %s\n", x->cmd, err);
        return -1;
    }
    if (lr > 0) {
        fprintf(stderr,
                "%s: interrupted; the runs that finished are kept: run the same "
                "command again to resume\n",
                x->cmd);
        return 1;
    }
    if (x->failed) {
        fprintf(stderr, "%s: %d runs failed: run the same command again to retry them\n", x->cmd,
                x->failed);
        return -1;
    }
    return 0;
}

int cx_dx_runs_dir(cx_dx_runs_t *x, int a, int r, char *dir, size_t cap, uint64_t *seed)
{
    cx_exp_run_t run;
    char err[2048] = "";
    if (cx_exp_plan_build_run(&x->pl, a, r, &run, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", x->cmd, err);
        cx_exp_run_fini(&run);
        return -1;
    }
    snprintf(dir, cap, "%s", run.dir);
    *seed = run.seed;
    cx_exp_run_fini(&run);
    return 0;
}

char *cx_dx_runs_read(cx_dx_runs_t *x, int a, int r, const char *name, size_t *len)
{
    char dir[512];
    uint64_t seed;
    if (cx_dx_runs_dir(x, a, r, dir, sizeof dir, &seed) != 0) {
        return NULL;
    }
    char path[4096 + 600];
    snprintf(path, sizeof path, "%s/%s/%s", x->pl.root, dir, name);
    char *text = NULL;
    if (cx_read_file(path, (size_t)1 << 30, &text, len) != 0) {
        fprintf(stderr, "%s: cannot read %s: %s\n", x->cmd, path, strerror(errno));
    }
    return text;
}

int cx_dx_runs_kpis(cx_dx_runs_t *x, int a, int r, double out[CX_GAP_KPIS])
{
    size_t len = 0;
    char *text = cx_dx_runs_read(x, a, r, "kpis.csv", &len);
    if (!text) {
        return -1;
    }
    char err[256];
    int rc = cx_gap_run_kpis(text, len, out, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: arm %d replicate %d kpis.csv: %s\n", x->cmd, a, r, err);
    }
    free(text);
    return rc;
}

int cx_dx_write(const char *cmd, const char *root, const char *name, const cx_buf_t *b)
{
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/%s", root, name);
    if (cx_buf_write_file(b, path) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", cmd, path,
                b->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}
