/*  cx_sweep_worker — one Slurm array task of a sweep (`cxsim sweep --worker
 *  PLAN --task K --of N`): it runs its share of the plan's runs (every N-th
 *  line from the K-th) into the experiment directory, DIR/runs/; `cxsim
 *  collect DIR` records them later. A run already completed by an earlier
 *  attempt of the task is not run again.
 *
 *  Ownership: none kept. Errors: messages on stderr, prefixed "cxsim
 *  sweep"; the return value is the exit status.
 */
#ifndef CX_SWEEP_WORKER_H
#define CX_SWEEP_WORKER_H

#include <signal.h>

/* Runs task `task` of `of` of the plan file at plan_path (DIR/slurm/plan-
 * STAMP.jsonl), `jobs` runs at once, until done or *stop. Returns 0 every
 * run completed, 1 a run failed or it was stopped, 2 the plan is
 * unreadable. */
int cx_sweep_worker(const char *plan_path, int task, int of, int jobs,
                    volatile sig_atomic_t *stop);

#endif
