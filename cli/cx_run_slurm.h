/*  cx_run_slurm — `cxsim run SCENARIO --backend slurm`: one run as one
 *  Slurm job, its coordinator, departments and persona shards spread over
 *  the job's nodes by `srun --multi-prog`.
 *
 *  cx_run_slurm_take strips the Slurm options from run's command line (so
 *  that run's own parser never sees them); once run has resolved the
 *  scenario and taken the output directory, cx_run_slurm_submit writes
 *  OUT/slurm-run/ (the resolved scenario, the run key, the task table, the
 *  role script, the job script), submits it and, unless --no-wait, follows
 *  the job to its end (see the state machine in cx_run_slurm.c).
 *
 *  Ownership: cx_run_slurm_t is caller storage pointing into argv (no heap).
 *  Errors: take returns 2 on bad options (message printed); submit returns
 *  the exit status of `cxsim run`: 0 the run completed, 1 it failed, was
 *  lost or could not be submitted, 2 invalid input.
 */
#ifndef CX_RUN_SLURM_H
#define CX_RUN_SLURM_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_scenario.h"

#define CX_RUN_SLURM_MAX_OPTS 32 /* --slurm-opt options */

typedef struct {
    bool on;                                     /* --backend slurm */
    int nodes;                                   /* --nodes N (default 1) */
    const char *opt[CX_RUN_SLURM_MAX_OPTS];      /* --slurm-opt values, in argv */
    int n_opt;                                   /* entries used */
    bool no_wait;                                /* --no-wait */
} cx_run_slurm_t;

/* What the job's processes need from `cxsim run`'s options. */
typedef struct {
    const char *key;            /* --key FILE, or NULL: a run key is created */
    const char *resume;         /* the checkpoint to resume from, or NULL */
    long long heartbeat_ms;     /* --heartbeat-ms */
    long long checkpoint_every; /* --checkpoint-every, 0 = none */
    long long tick_timeout_ms;  /* --tick-timeout-ms */
    bool quiet;                 /* --quiet */
    long long tick_ms;          /* --tick-ms: at least this much wall time per tick */
    long long keep_checkpoints; /* --keep-checkpoints: numbered checkpoints the coordinator keeps */
} cx_run_slurm_run_t;

/* Removes --backend B, --nodes N, --slurm-opt OPT and --no-wait (both
 * "--opt V" and "--opt=V") from argv, compacting it and updating *argc,
 * into *sl. Returns 0, or 2 (message printed) on a bad value, the
 * Slurm-only options without --backend slurm, or --backend slurm with an
 * option only a local run honours (--in-process, --cpus, --paused,
 * --restart-lost). */
int cx_run_slurm_take(int *argc, char **argv, cx_run_slurm_t *sl);

/* Writes the job for scenario sc (its resolved text yaml) into out and
 * submits it. Returns the exit status of `cxsim run` (see above). */
int cx_run_slurm_submit(const cx_run_slurm_t *sl, const cx_run_slurm_run_t *run,
                        const cx_scenario_t *sc, const char *yaml, size_t yaml_len,
                        const char *out);

/* True when run directory dir was run through Slurm (`cxsim resume` then
 * resubmits it the same way): its recorded options, one argument a line
 * ("--backend=slurm", "--nodes=2", ...), into store (cap bytes). */
bool cx_run_slurm_recorded(const char *dir, char *store, size_t cap);

#endif
