/*  cx_dx_cmd — what `cxsim gap` and `cxsim attribute` share: their common
 *  options (one cx_opts table fragment and one handler), and their paired
 *  runs, recorded in an SQLite database so that an interrupted command
 *  resumes where it stopped (cx_exp_plan, as `cxsim compare`).
 *
 *  The runs: one "arm" per scenario variant (gap: today and the target;
 *  attribute: the scenario as is and one arm per touchpoint changed), each
 *  run for replicates 0..R-1 with the seeds of compare, arm-independent
 *  (common random numbers). A run already completed with the same resolved
 *  scenario is not run again; one with another is refused (a directory of
 *  another experiment).
 *
 *  Messages go to stderr prefixed with the command; functions returning -1
 *  have printed why. Ownership: cx_dx_runs_t is caller storage, freed by
 *  cx_dx_runs_fini.
 */
#ifndef CX_DX_CMD_H
#define CX_DX_CMD_H

#include <signal.h>
#include <stdbool.h>

#include "cx_exp_plan.h"
#include "cx_gap.h"
#include "cx_opts.h"

#define CX_DX_MAX_SETS 16 /* --set options at most */

/* Options common to gap and attribute. */
typedef struct {
    const char *sets[CX_DX_MAX_SETS]; /* --set KEY=VALUE, in order */
    int n_sets;                       /* entries used */
    long reps;                        /* --replicates (default 5) */
    long ticks;                       /* --ticks (0: the scenario's) */
    long jobs;                        /* --jobs (default 2) */
    const char *out;                  /* --out (NULL: the command's default) */
    bool help;                        /* --help given: usage printed, exit 0 */
} cx_dx_opts_t;

enum {
    CX_DX_O_HELP = 200,
    CX_DX_O_REPLICATES,
    CX_DX_O_TICKS,
    CX_DX_O_SET,
    CX_DX_O_JOBS,
    CX_DX_O_OUT
};
#define CX_DX_COMMON_OPTS                                                                          \
    {"--help", "-h", false, CX_DX_O_HELP}, {"--replicates", NULL, true, CX_DX_O_REPLICATES},       \
        {"--ticks", NULL, true, CX_DX_O_TICKS}, {"--set", NULL, true, CX_DX_O_SET},                \
        {"--jobs", NULL, true, CX_DX_O_JOBS},                                                      \
    {                                                                                              \
        "--out", NULL, true, CX_DX_O_OUT                                                           \
    }

/* The defaults. */
void cx_dx_opts_init(cx_dx_opts_t *o);

/* Takes a common option read by cx_opts_next (id, its value v): 1 when id
 * is one, 0 when it is not, -1 when v is invalid (printed). */
int cx_dx_opt(const char *cmd, int id, const char *v, cx_dx_opts_t *o);

/* The paired runs of a command. */
typedef struct {
    cx_exp_plan_t pl; /* the experiment: directory, database, points = arms */
    const char *cmd;  /* message prefix */
    int reps;         /* replicates per arm */
    int failed;       /* runs that failed */
} cx_dx_runs_t;

/* Opens (or reopens, to resume) the experiment in root with database
 * db_name, locked. 0, or -1 (printed). cx_dx_runs_fini either way. */
int cx_dx_runs_open(cx_dx_runs_t *x, const char *cmd, const char *root, const char *db_name,
                    int reps);
void cx_dx_runs_fini(cx_dx_runs_t *x);

/* Adds an arm: the scenario file (resolved, its seed the one every arm
 * shares) with an optional override. Returns its index, or -1 (printed;
 * *invalid set when the override or the file is refused). */
int cx_dx_runs_arm(cx_dx_runs_t *x, const char *scenario, const char *label, const char *set,
                   bool *invalid);

/* Runs what is not done yet, jobs at a time; prints a line of what is to
 * do. Returns 0 all done, 1 interrupted (SIGINT/SIGTERM: what finished is
 * kept), -1 (printed), 2 the directory holds another experiment. */
int cx_dx_runs_go(cx_dx_runs_t *x, int jobs);

/* The directory (relative to the root, "runs/p000001-r0000") and seed of
 * arm a's replicate r. 0, or -1 (printed). */
int cx_dx_runs_dir(cx_dx_runs_t *x, int a, int r, char *dir, size_t cap, uint64_t *seed);

/* Reads root/DIR/NAME of arm a's replicate r, whole, NUL-terminated
 * (the caller frees); NULL (printed) when it cannot. */
char *cx_dx_runs_read(cx_dx_runs_t *x, int a, int r, const char *name, size_t *len);

/* The run's KPIs (cx_gap_run_kpis of its kpis.csv). 0, or -1 (printed). */
int cx_dx_runs_kpis(cx_dx_runs_t *x, int a, int r, double out[CX_GAP_KPIS]);

/* Writes root/name from a text buffer, atomically. 0, or -1 (printed). */
int cx_dx_write(const char *cmd, const char *root, const char *name, const cx_buf_t *b);

#endif
