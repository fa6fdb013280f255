/*  cx_exp_slurm — what became of the runs an experiment handed to Slurm.
 *
 *  A Slurm submission leaves DIR/slurm/plan-STAMP.jsonl (the runs, one a
 *  line; run i belongs to array task i % tasks) and, in the experiment's
 *  database, meta key slurm_job_STAMP = the job id. cx_exp_slurm_report
 *  reads them and asks Slurm about each task (sacct when accounting is
 *  enabled, else `scontrol show job`, which knows jobs until MinJobAge after
 *  they end), then classifies every run:
 *
 *      run.json completed ............................. done
 *      run.json failed, or the task FAILED/TIMEOUT/... . failed (exit code)
 *      task PENDING ................................... queued
 *      task RUNNING/CONFIGURING/COMPLETING ............ running
 *      task CANCELLED, or ended with no run.json, or
 *      the job unknown to Slurm and no run.json ....... lost
 *      Slurm cannot be asked (no squeue/scontrol, no
 *      controller) and no run.json .................... unknown
 *
 *  A run listed in several plans (resubmitted after it was lost) is judged
 *  by its latest plan. Runs never handed to Slurm are not counted.
 *
 *  Ownership: cx_exp_slurm_report_t is caller storage whose `run` array is
 *  heap memory freed by cx_exp_slurm_report_fini. Errors: -1 with a message
 *  in err (out of memory, unreadable directory); Slurm not answering is not
 *  an error, it yields `unknown` runs.
 */
#ifndef CX_EXP_SLURM_H
#define CX_EXP_SLURM_H

#include <stddef.h>
#include <signal.h>
#include <stdio.h>

#include "cx_exp_db.h"
#include "cx_exp_plan.h"

/* Seconds per customer-tick of an in-process run, and seconds to start
 * one, before anything was measured (docs/EXPERIMENTS.md: how they were
 * measured). */
#define CX_EXP_SLURM_RATE 1.6e-7
#define CX_EXP_SLURM_START 0.15

typedef enum {
    CX_SLURM_QUEUED,
    CX_SLURM_RUNNING,
    CX_SLURM_DONE,
    CX_SLURM_FAILED,
    CX_SLURM_LOST,
    CX_SLURM_UNKNOWN,
    CX_SLURM_NSTATES
} cx_exp_slurm_state_t;

typedef struct {
    char dir[512];              /* run directory, relative to the experiment directory */
    char job[64];               /* Slurm job and task, "123_4" */
    cx_exp_slurm_state_t state; /* what became of it */
    char why[160];              /* failed/lost: the Slurm state and exit code, or the reason */
    int plan;                   /* index of its plan file in submission order (internal) */
} cx_exp_slurm_run_t;

typedef struct {
    cx_exp_slurm_run_t *run;     /* heap: one per run handed to Slurm, sorted by dir */
    int n;                       /* entries used */
    int count[CX_SLURM_NSTATES]; /* runs per state */
    int plans;                   /* plan files read */
} cx_exp_slurm_report_t;

/* The state's name: "queued", "running", "done", "failed", "lost", "unknown". */
const char *cx_exp_slurm_state_name(cx_exp_slurm_state_t s);

/* Fills *rep for the experiment in root with database db (its meta keys
 * slurm_job_*). only_plan: NULL for every plan in root/slurm, or the path
 * of one plan file (e.g. the one just submitted). Returns 0 (rep filled,
 * possibly empty), or -1 (err). cx_exp_slurm_report_fini must be called
 * either way. */
int cx_exp_slurm_report(cx_exp_db_t *db, const char *root, const char *only_plan,
                        cx_exp_slurm_report_t *rep, char *err, size_t errlen);
void cx_exp_slurm_report_fini(cx_exp_slurm_report_t *rep);

/* Prints the per-state counts on one line, then one line naming the lost
 * runs and one naming the failed runs (at most 20 names each), prefixed by
 * `who` ("collect", "slurm job 12"). Nothing when rep is empty. */
void cx_exp_slurm_report_print(const cx_exp_slurm_report_t *rep, FILE *fp, const char *who);

/* Array tasks for a submission of runs[0..n-1] (planned in pl) so that each
 * task lasts at least about target_s seconds: a run's cost is measured
 * from the completed runs of its point in the database (seconds per tick),
 * else from every measured point (seconds per customer-tick), else
 * estimated as customers x ticks x CX_EXP_SLURM_RATE plus
 * CX_EXP_SLURM_START per run. Returns 1..min(n, 100); *task_s gets the
 * estimated seconds per task, `how` says what the estimate rests on. */
int cx_exp_slurm_tasks(cx_exp_plan_t *pl, const cx_exp_run_t *runs, int n, double target_s,
                       double *task_s, char *how, size_t howlen);

/* How a batch of runs becomes an sbatch array job. */
typedef struct {
    const char *const *opt; /* --slurm-opt values: one #SBATCH line each */
    int n_opt;              /* entries used */
    int tasks;              /* --slurm-tasks, 0 = sized by cx_exp_slurm_tasks */
    int jobs;               /* runs at once in a task (its --cpus-per-task) */
    const char *exe;        /* the cxsim the nodes run */
    const char *kind;       /* "sweep", "compare", ...: the job's name */
} cx_exp_slurm_job_t;

/* Writes root/slurm/plan-STAMP.jsonl (the runs, one a line, after a header
 * naming the engine and the task count) and root/slurm/job-STAMP.sh (an
 * array job of `tasks` tasks, each running its share with `cxsim sweep
 * --worker`). stamp (64 bytes), plan and script (cap bytes each) get the
 * names. Returns 0, or -1 (err). */
int cx_exp_slurm_write(const char *root, const char *engine, const cx_exp_run_t *runs, int n,
                       int tasks, const cx_exp_slurm_job_t *job, char *stamp, char *plan,
                       char *script, size_t cap, char *err, size_t errlen);

/* sbatch --parsable script; the job id into job (cap bytes), recorded in
 * db as meta slurm_job_STAMP. Returns 0, or -1 (err). */
int cx_exp_slurm_sbatch(cx_exp_db_t *db, const char *script, const char *stamp, char *job,
                        size_t cap, char *err, size_t errlen);

/* The Slurm backend of compare, sensitivity, calibrate and optimise: runs
 * what ex has queued as one array job per batch (what is queued when the
 * previous batch ended, on_done's additions included), waits for it,
 * and calls on_done for every run as cx_exp_exec_loop does. A run that
 * Slurm lost or failed without a run.json gets one, failed, naming why.
 * *stop: the job is cancelled. Returns 0, 1 (stopped), -1 (err). */
int cx_exp_slurm_loop(cx_exp_exec_t *ex, cx_exp_plan_t *pl, const cx_exp_slurm_job_t *job,
                      cx_exp_done_fn *on_done, void *ud, volatile sig_atomic_t *stop, char *err,
                      size_t errlen);

/* Runs argv (searched in PATH), capturing up to cap-1 bytes of its stdout
 * (and its stderr too when with_stderr). Returns the exit status (0..255),
 * 128 when killed by a signal, or -1 when it could not run (errno; ENOENT
 * when the program does not exist). */
int cx_exp_slurm_capture(char *const argv[], char *out, size_t cap, int with_stderr);

#endif
