/*  cx_exp_exec — runs the planned runs of an experiment as real
 *  `cxsim run ... --quiet` subprocesses, up to J at a time, and records how
 *  each one ended in its run directory's run.json.
 *
 *  Life of one run:
 *
 *      QUEUED --spawn--> RUNNING --exit--> run.json written (temp file,
 *                                          fsync, rename), then on_done()
 *        ^                  |
 *        |                  +-- stop requested: SIGTERM, reaped, no
 *        |                      run.json (the run is simply not done)
 *        +-- on_done() may queue more runs (adaptive replicates)
 *
 *  Before a run starts, a run.json left in its directory by an earlier
 *  attempt is removed, so a run.json always belongs to the last attempt and
 *  is written only after its process has exited. Its "status" is
 *  "completed" only when the process exited 0 and summary.json says
 *  "completed"; the importer (cx_exp_db_import) checks the files again.
 *
 *  The subprocess's stdout and stderr go to DIR/log.txt; a failed run's
 *  reason is the last line of that log (or summary.json's reason).
 *  Children get PR_SET_PDEATHSIG(SIGTERM): nothing outlives the sweep, even
 *  when it is killed with SIGKILL.
 *
 *  Ownership: cx_exp_exec_new returns a heap object for cx_exp_exec_destroy
 *  (NULL-safe, sets the pointer to NULL); queued runs are copied.
 *  Errors: -1 with a message in err.
 */
#ifndef CX_EXP_EXEC_H
#define CX_EXP_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_exp_sha256.h"

#define CX_EXP_MAX_ARGS 80 /* arguments of one cxsim run command */

/* One planned run. */
typedef struct {
    long long point;            /* point id in the database */
    int replicate;              /* 0-based replicate */
    uint64_t seed;              /* scenario seed of this run */
    char sha[CX_SHA256_HEX];    /* planned SHA-256 of the resolved scenario */
    char dir[512];              /* run directory, relative to the experiment directory */
    char *point_key;            /* heap: the point's key */
    char *label;                /* heap: the point's label ("" in a sweep) */
    char *params_json;          /* heap: the point's overrides as JSON */
    char *scenario;             /* heap: the scenario file (absolute path) */
    char *arg[CX_EXP_MAX_ARGS]; /* heap: cxsim run's arguments after "run" */
    int n_arg;                  /* entries used */
    char *sets_json;            /* heap: the --set values as a JSON array */
} cx_exp_run_t;

/* Frees a run's heap strings. */
void cx_exp_run_fini(cx_exp_run_t *r);
/* Deep copy; returns 0 or -1 on out of memory. */
int cx_exp_run_copy(cx_exp_run_t *dst, const cx_exp_run_t *src);

typedef struct cx_exp_exec cx_exp_exec_t;

/* Called after a run's run.json is written: ok when it completed. May call
 * cx_exp_exec_add. A non-zero return stops the executor (fatal error). */
typedef int(cx_exp_done_fn)(void *ud, cx_exp_exec_t *ex, const cx_exp_run_t *run, bool ok,
                            const char *reason);

/* exe: the cxsim executable; root: the experiment directory (run dirs are
 * relative to it); engine: "in-process" or "processes". */
cx_exp_exec_t *cx_exp_exec_new(const char *exe, const char *root, const char *engine, int jobs,
                               bool progress);
void cx_exp_exec_destroy(cx_exp_exec_t **ex_p);

/* Queues a copy of run. Returns 0 or -1 (out of memory). */
int cx_exp_exec_add(cx_exp_exec_t *ex, const cx_exp_run_t *run);

/* Runs everything queued (and what on_done queues) until nothing is left,
 * *stop becomes non-zero, or on_done fails. Returns 0 when everything ran
 * (some runs may have failed: see cx_exp_exec_counts), 1 when stopped,
 * -1 on a fatal error (message in err). */
int cx_exp_exec_loop(cx_exp_exec_t *ex, cx_exp_done_fn *on_done, void *ud,
                     volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Moves every queued run out of the queue into a heap array (*runs, the
 * caller's: cx_exp_run_fini each, then free). Returns how many, -1 on out
 * of memory. For a backend that runs them elsewhere (cx_exp_slurm). */
int cx_exp_exec_take(cx_exp_exec_t *ex, cx_exp_run_t **runs);
/* Counts a run finished elsewhere as completed (ok) or failed. */
void cx_exp_exec_note(cx_exp_exec_t *ex, bool ok);
/* The experiment directory, the cxsim executable and the engine given to
 * cx_exp_exec_new. */
const char *cx_exp_exec_root(const cx_exp_exec_t *ex);
const char *cx_exp_exec_exe(const cx_exp_exec_t *ex);
const char *cx_exp_exec_engine(const cx_exp_exec_t *ex);

/* Runs finished as completed and as failed so far. */
void cx_exp_exec_counts(const cx_exp_exec_t *ex, int *completed, int *failed);

/* Writes the run.json of a run that ended: exit_status is the waitpid
 * status (or -1 when the run could not start), started/finished ISO times.
 * Exposed for the tests. Returns 0 or -1 (errno). */
int cx_exp_write_run_json(const char *root, const cx_exp_run_t *run, const char *exe,
                          const char *engine, int exit_status, const char *started,
                          const char *finished, double wall, bool *ok, char *reason,
                          size_t reasonlen);

#endif
