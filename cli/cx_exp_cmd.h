/*  cx_exp_cmd — pieces shared by the experiment commands (sweep, compare,
 *  sensitivity, calibrate, optimise): the options they have in common,
 *  integer and list arguments, model parameter names, recording a finished
 *  run and the common database metadata.
 *
 *  Messages go to stderr, prefixed with `cmd` ("cxsim sweep"). Functions
 *  returning -1 have printed why.
 */
#ifndef CX_EXP_CMD_H
#define CX_EXP_CMD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_opts.h"

/* Options common to the experiment commands. */
typedef struct {
    int replicates;     /* --replicates (0: not given) */
    int jobs;           /* --jobs (0: not given) */
    const char *seed;   /* --seed (NULL: the scenario's) */
    const char *ticks;  /* --ticks (NULL: the scenario file's) */
    const char *engine; /* --engine: "in-process" or "processes" */
    const char *out;    /* --out (NULL: the default directory) */
    bool quiet;         /* --quiet, -q */
    bool slurm;         /* --backend slurm: each batch of runs is an array job */
    const char *slurm_opt[32]; /* --slurm-opt values */
    int n_slurm_opt;    /* entries used */
    int slurm_tasks;    /* --slurm-tasks, 0 = sized to about 60 s a task */
} cx_exp_common_t;

/* The default window of the final KPIs, in days (--window). */
#define CX_EXP_WINDOW_DAYS 30.0

/* --window DAYS: v as days, 0 < DAYS <= 36525, into *days; -1 (after a
 * message) when it is not. */
int cx_exp_cmd_window_days(const char *cmd, const char *v, double *days);

/* Records the window of the final KPIs in pl's database: meta window_days
 * (days) and window_ticks (days in ticks of point 0's scenario, rounded, at
 * least 1), which cx_exp_db_finals' window_<column> figures read. 0, or -1
 * (printed). */
int cx_exp_cmd_window(const char *cmd, cx_exp_plan_t *pl, double days);

/* v as an integer from lo to hi into *out; -1 (after a message naming opt)
 * when it is not one or v is NULL. */
int cx_exp_cmd_int(const char *cmd, const char *opt, const char *v, long long lo, long long hi,
                   long long *out);

/* argv[*i] as one of the common options (--replicates from rep_lo to
 * rep_hi, --jobs, --seed, --ticks, --engine, --out, --quiet, --backend,
 * --slurm-opt, --slurm-tasks): 1 when it was
 * one (advancing *i past its value), 0 when it is not (*missing set when it
 * is one without its value), -1 when its value is invalid. */
int cx_exp_cmd_common(const char *cmd, int argc, char **argv, int *i, bool *missing,
                      cx_exp_common_t *c, long long rep_lo, long long rep_hi);

/* Runs what ex has queued (and what on_done queues) locally
 * (cx_exp_exec_loop) or, with --backend slurm, as one array job per batch
 * (cx_exp_slurm_loop). Same returns as cx_exp_exec_loop. */
int cx_exp_cmd_loop(const cx_exp_common_t *c, cx_exp_exec_t *ex, cx_exp_plan_t *pl,
                    cx_exp_done_fn *on_done, void *ud, volatile sig_atomic_t *stop, char *err,
                    size_t errlen);

/* The common options as cx_opts entries (ids CX_EXP_O_*, above any command's
 * own): a command's table lists its own options, then CX_EXP_COMMON_OPTS. */
enum {
    CX_EXP_O_REPLICATES = 100,
    CX_EXP_O_JOBS,
    CX_EXP_O_SEED,
    CX_EXP_O_TICKS,
    CX_EXP_O_ENGINE,
    CX_EXP_O_OUT,
    CX_EXP_O_QUIET,
    CX_EXP_O_BACKEND,
    CX_EXP_O_SLURM_OPT,
    CX_EXP_O_SLURM_TASKS
};
#define CX_EXP_COMMON_OPTS                                                                         \
    {"--replicates", NULL, true, CX_EXP_O_REPLICATES}, {"--jobs", NULL, true, CX_EXP_O_JOBS},      \
        {"--seed", NULL, true, CX_EXP_O_SEED}, {"--ticks", NULL, true, CX_EXP_O_TICKS},            \
        {"--engine", NULL, true, CX_EXP_O_ENGINE}, {"--out", NULL, true, CX_EXP_O_OUT},            \
        {"--quiet", "-q", false, CX_EXP_O_QUIET}, {"--backend", NULL, true, CX_EXP_O_BACKEND},   \
        {"--slurm-opt", NULL, true, CX_EXP_O_SLURM_OPT},                                          \
        {"--slurm-tasks", NULL, true, CX_EXP_O_SLURM_TASKS}

/* Takes a common option read by cx_opts_next (id, its value v): 1 when id
 * is one, 0 when it is not, -1 when v is invalid (printed). */
int cx_exp_cmd_common_opt(const char *cmd, int id, const char *v, cx_exp_common_t *c,
                          long long rep_lo, long long rep_hi);

/* Appends a --set KEY=VALUE to sets (*n entries of max). */
int cx_exp_cmd_add_set(const char *cmd, const char **sets, int *n, int max, const char *v);

/* Splits a comma-separated list into heap copies (trimmed of spaces), the
 * caller's to free. Returns how many, or -1 (empty item, too many, out of
 * memory; `what` names the option in the message). */
int cx_exp_cmd_split(const char *list, char **out, int cap, const char *cmd, const char *what);

/* Model parameter names (optionally "model."-prefixed; NULL entries are
 * treated as out of memory) as indices into cx_params_table, each known
 * (else a "did you mean" message) and given once. Returns n or -1. */
int cx_exp_cmd_params(const char *cmd, char *const *names, int n, int *idx);

/* Records a finished run in the plan's database: -1 when it cannot be
 * recorded, else 0; a failed run (ok false or not importable) increments
 * *failed with a message. tty: progress is shown on stderr. */
int cx_exp_cmd_run_done(const char *cmd, cx_exp_plan_t *pl, const cx_exp_run_t *run, bool ok,
                        const char *reason, bool tty, int *failed);

/* Imports a finished run's directory into the plan's database: as
 * cx_exp_db_import (err set when it returns 0 or -1), with a message when it
 * cannot be recorded (-1). */
int cx_exp_cmd_import(const char *cmd, cx_exp_plan_t *pl, const cx_exp_run_t *run, bool tty,
                      char *err, size_t errsz);

/* Sets the metadata every experiment database has: last_command (argv as
 * JSON), created and kind (first time only), updated, cxsim_version. */
void cx_exp_cmd_meta(cx_exp_plan_t *pl, int argc, char **argv, const char *kind);

/* The last branches of an option loop: argv's `a` is a known option
 * without its value (missing), another option or a second positional
 * argument (both refused), or the scenario. Returns 0, or -1 after a
 * message. */
int cx_exp_cmd_positional(const char *cmd, const char *a, bool missing, const char **scenario);

/* After the option loop: a scenario was given (-1 after a message
 * otherwise), and --jobs defaults to the cores. */
int cx_exp_cmd_finish(const char *cmd, const char *scenario, cx_exp_common_t *c);

#endif
