/*  cx_exp_cmd — pieces shared by the experiment commands (cx_exp_cmd.h). */
#include "cx_exp_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_db.h"
#include "cx_exp_slurm.h"
#include "cx_exp_util.h"
#include "cx_load.h"
#include "cx_params.h"
#include "cx_version.h"

int cx_exp_cmd_int(const char *cmd, const char *opt, const char *v, long long lo, long long hi,
                   long long *out)
{
    char *end;
    errno = 0;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || errno || *end || n < lo || n > hi) {
        fprintf(stderr, "%s: %s expects an integer from %lld to %lld, got '%s'\n", cmd, opt, lo, hi,
                v ? v : "");
        return -1;
    }
    *out = n;
    return 0;
}

static const cx_opt_t s_common[] = {CX_EXP_COMMON_OPTS};

int cx_exp_cmd_window_days(const char *cmd, const char *v, double *days)
{
    char *end;
    double d = v ? strtod(v, &end) : NAN;
    if (!v || !*v || *end || !(d > 0 && d <= 36525)) {
        fprintf(stderr, "%s: --window expects days, 0 < DAYS <= 36525, got '%s'\n", cmd,
                v ? v : "");
        return -1;
    }
    *days = d;
    return 0;
}

int cx_exp_cmd_window(const char *cmd, cx_exp_plan_t *pl, double days)
{
    char err[512];
    const cx_scenario_t *sc = cx_exp_plan_scenario(pl, 0, err, sizeof err);
    if (!sc) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return -1;
    }
    long long ticks = llround(days / cx_tick_days(sc->tick_unit));
    char d[32], t[32];
    snprintf(d, sizeof d, "%g", days);
    snprintf(t, sizeof t, "%lld", ticks < 1 ? 1 : ticks);
    if (cx_exp_db_meta_set(pl->db, "window_days", d, err, sizeof err) != 0 ||
        cx_exp_db_meta_set(pl->db, "window_ticks", t, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return -1;
    }
    return 0;
}

int cx_exp_cmd_common_opt(const char *cmd, int id, const char *v, cx_exp_common_t *c,
                          long long rep_lo, long long rep_hi)
{
    long long n;
    switch (id) {
    case CX_EXP_O_REPLICATES:
        if (cx_exp_cmd_int(cmd, "--replicates", v, rep_lo, rep_hi, &n) != 0) {
            return -1;
        }
        c->replicates = (int)n;
        return 1;
    case CX_EXP_O_JOBS:
        if (cx_exp_cmd_int(cmd, "--jobs", v, 1, 1024, &n) != 0) {
            return -1;
        }
        c->jobs = (int)n;
        return 1;
    case CX_EXP_O_SEED:
        if (cx_exp_cmd_int(cmd, "--seed", v, 0, INT64_MAX, &n) != 0) {
            return -1;
        }
        c->seed = v;
        return 1;
    case CX_EXP_O_TICKS:
        if (cx_exp_cmd_int(cmd, "--ticks", v, 1, 1000000, &n) != 0) {
            return -1;
        }
        c->ticks = v;
        return 1;
    case CX_EXP_O_ENGINE:
        if (strcmp(v, "in-process") != 0 && strcmp(v, "processes") != 0) {
            fprintf(stderr, "%s: --engine expects in-process or processes, got '%s'\n", cmd, v);
            return -1;
        }
        c->engine = v;
        return 1;
    case CX_EXP_O_OUT:
        c->out = v;
        return 1;
    case CX_EXP_O_QUIET:
        c->quiet = true;
        return 1;
    case CX_EXP_O_BACKEND:
        if (strcmp(v, "local") != 0 && strcmp(v, "slurm") != 0) {
            fprintf(stderr, "%s: --backend expects local or slurm, got '%s'\n", cmd, v);
            return -1;
        }
        c->slurm = strcmp(v, "slurm") == 0;
        return 1;
    case CX_EXP_O_SLURM_OPT:
        if (c->n_slurm_opt == (int)(sizeof c->slurm_opt / sizeof c->slurm_opt[0]) ||
            strchr(v, '\n')) {
            fprintf(stderr, "%s: too many --slurm-opt, or a line break in one\n", cmd);
            return -1;
        }
        c->slurm_opt[c->n_slurm_opt++] = v;
        return 1;
    case CX_EXP_O_SLURM_TASKS:
        if (cx_exp_cmd_int(cmd, "--slurm-tasks", v, 1, 100000, &n) != 0) {
            return -1;
        }
        c->slurm_tasks = (int)n;
        return 1;
    default:
        return 0;
    }
}

int cx_exp_cmd_common(const char *cmd, int argc, char **argv, int *i, bool *missing,
                      cx_exp_common_t *c, long long rep_lo, long long rep_hi)
{
    const char *a = argv[*i];
    for (size_t k = 0; k < sizeof s_common / sizeof s_common[0]; k++) {
        const cx_opt_t *o = &s_common[k];
        if (!o->value) {
            if (strcmp(a, o->name) == 0 || (o->alias && strcmp(a, o->alias) == 0)) {
                return cx_exp_cmd_common_opt(cmd, o->id, NULL, c, rep_lo, rep_hi);
            }
            continue;
        }
        const char *v = cx_exp_opt(o->name, argc, argv, i, missing);
        if (v) {
            return cx_exp_cmd_common_opt(cmd, o->id, v, c, rep_lo, rep_hi);
        }
    }
    return 0;
}

int cx_exp_cmd_loop(const cx_exp_common_t *c, cx_exp_exec_t *ex, cx_exp_plan_t *pl,
                    cx_exp_done_fn *on_done, void *ud, volatile sig_atomic_t *stop, char *err,
                    size_t errlen)
{
    if (!c->slurm) {
        return cx_exp_exec_loop(ex, on_done, ud, stop, err, errlen);
    }
    cx_exp_slurm_job_t job = {c->slurm_opt, c->n_slurm_opt, c->slurm_tasks, c->jobs,
                              cx_exp_exec_exe(ex), "experiment"};
    return cx_exp_slurm_loop(ex, pl, &job, on_done, ud, stop, err, errlen);
}

int cx_exp_cmd_add_set(const char *cmd, const char **sets, int *n, int max, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || strpbrk(v, "\t\n")) {
        fprintf(stderr, "%s: --set expects KEY=VALUE, got '%s'\n", cmd, v);
        return -1;
    }
    if (*n == max) {
        fprintf(stderr, "%s: at most %d --set options\n", cmd, max);
        return -1;
    }
    sets[(*n)++] = v;
    return 0;
}

int cx_exp_cmd_split(const char *list, char **out, int cap, const char *cmd, const char *what)
{
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ') {
            len--;
        }
        if (len == 0 || n == cap) {
            fprintf(stderr, "%s: %s: %s in '%s'\n", cmd, what,
                    len == 0 ? "empty item" : "too many items", list);
            goto fail;
        }
        out[n] = strndup(p, len);
        if (!out[n]) {
            fprintf(stderr, "%s: out of memory\n", cmd);
            goto fail;
        }
        n++;
        if (!c) {
            return n;
        }
        p = c + 1;
    }
fail:
    for (int i = 0; i < n; i++) {
        free(out[i]);
    }
    return -1;
}

int cx_exp_cmd_params(const char *cmd, char *const *names, int n, int *idx)
{
    int count;
    const cx_param_info_t *tab = cx_params_table(&count);
    const char **cand = malloc((size_t)count * sizeof *cand);
    int rc = n;
    for (int i = 0; i < n && rc >= 0; i++) {
        const char *name = names[i];
        if (!name || !cand) {
            fprintf(stderr, "%s: out of memory\n", cmd);
            rc = -1;
            break;
        }
        if (strncmp(name, "model.", 6) == 0) {
            name += 6;
        }
        idx[i] = -1;
        for (int k = 0; k < count; k++) {
            cand[k] = tab[k].name;
            if (strcmp(tab[k].name, name) == 0) {
                idx[i] = k;
            }
        }
        if (idx[i] < 0) {
            const char *s = cx_suggest(name, cand, count);
            fprintf(stderr, "%s: unknown model parameter '%s'", cmd, name);
            if (s) {
                fprintf(stderr, " (did you mean '%s'?)", s);
            }
            fprintf(stderr, "; the parameters are listed in docs/MODEL.md\n");
            rc = -1;
        }
        for (int j = 0; j < i && rc >= 0; j++) {
            if (idx[j] == idx[i]) {
                fprintf(stderr, "%s: parameter '%s' given twice\n", cmd, name);
                rc = -1;
            }
        }
    }
    free(cand);
    return rc;
}

int cx_exp_cmd_import(const char *cmd, cx_exp_plan_t *pl, const cx_exp_run_t *run, bool tty,
                      char *err, size_t errsz)
{
    char dir[4700];
    snprintf(dir, sizeof dir, "%s/%s", pl->root, run->dir);
    int rc = cx_exp_db_import(pl->db, dir, run->dir, err, errsz);
    if (rc < 0) {
        fprintf(stderr, "%s%s: cannot record %s: %s\n", tty ? "\r\033[K" : "", cmd, run->dir, err);
    }
    return rc;
}

int cx_exp_cmd_run_done(const char *cmd, cx_exp_plan_t *pl, const cx_exp_run_t *run, bool ok,
                        const char *reason, bool tty, int *failed)
{
    char err[2048] = "";
    int rc = cx_exp_cmd_import(cmd, pl, run, tty, err, sizeof err);
    if (rc < 0) {
        return -1;
    }
    if (!ok || rc == 0) {
        (*failed)++;
        fprintf(stderr, "%s%s: run %s failed: %s\n", tty ? "\r\033[K" : "", cmd, run->dir,
                rc == 0 ? err : reason);
    }
    return 0;
}

void cx_exp_cmd_meta(cx_exp_plan_t *pl, int argc, char **argv, const char *kind)
{
    cx_buf_t b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "[\"cxsim\"");
    for (int i = 0; i < argc; i++) {
        cx_buf_printf(&b, ", ");
        cx_json_text(&b, argv[i]);
    }
    cx_buf_printf(&b, "]");
    char err[512], now[32], have[8];
    cx_exp_now_iso(now);
    if (!b.oom) {
        cx_exp_db_meta_set(pl->db, "last_command", b.p, err, sizeof err);
    }
    if (cx_exp_db_meta_get(pl->db, "created", have, sizeof have) == 0) {
        cx_exp_db_meta_set(pl->db, "created", now, err, sizeof err);
        cx_exp_db_meta_set(pl->db, "kind", kind, err, sizeof err);
    }
    cx_exp_db_meta_set(pl->db, "updated", now, err, sizeof err);
    cx_exp_db_meta_set(pl->db, "cxsim_version", CX_VERSION, err, sizeof err);
    cx_buf_fini(&b);
}

int cx_exp_cmd_positional(const char *cmd, const char *a, bool missing, const char **scenario)
{
    if (missing) {
        fprintf(stderr, "%s: %s needs a value\n", cmd, a);
        return -1;
    }
    if (a[0] == '-' || *scenario) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, a);
        return -1;
    }
    *scenario = a;
    return 0;
}

int cx_exp_cmd_finish(const char *cmd, const char *scenario, cx_exp_common_t *c)
{
    if (!scenario) {
        fprintf(stderr, "%s: no scenario given\n", cmd);
        return -1;
    }
    if (!c->slurm && (c->n_slurm_opt || c->slurm_tasks)) {
        fprintf(stderr, "%s: --slurm-opt and --slurm-tasks need --backend slurm\n", cmd);
        return -1;
    }
    if (!c->jobs) {
        /* Through Slurm, runs at once within one array task (one CPU each). */
        c->jobs = c->slurm ? 1 : cx_exp_cores();
    }
    return 0;
}
