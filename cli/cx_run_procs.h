/*  cx_run_procs — `cxsim run` as local processes: the run directory of
 *  sockets, the coordinator, departments and persona shards started, the
 *  progress line fed from the coordinator's PUB socket, the children
 *  watched and reaped (the launcher state machine is drawn in
 *  cx_run_procs.c), and everything stopped and removed at the end.
 *
 *  Ownership: every structure here is caller storage; the processes and
 *  the run directory live only during cx_run_procs.
 *  Errors: cx_run_procs returns the exit status of `cxsim run` (0 the run
 *  completed, 1 it failed or was interrupted) after printing why on stderr
 *  (and recording it in OUT/summary.json when the coordinator could not).
 */
#ifndef CX_RUN_PROCS_H
#define CX_RUN_PROCS_H

#include <signal.h>
#include <stddef.h>

#include "cx_curve.h"
#include "cx_scenario.h"

/* The progress line on stderr (a terminal only). */
typedef struct {
    int tty;            /* stderr is a terminal */
    int quiet;          /* no output */
    int ticks;          /* ticks in the run */
    long long start_ms; /* when the run started */
    long long shown_ms; /* last progress line */
    int last_tick;      /* last tick seen */
} cx_run_progress_t;

/* Shows tick (at most every 100 ms, and the last one). */
void cx_run_progress_show(cx_run_progress_t *p, int tick, double nps, double customers);

/* Clears the progress line, when one was shown. */
void cx_run_progress_end(cx_run_progress_t *p);

/* What the processes need from `cxsim run`'s options. */
typedef struct {
    const char *key;            /* --key: the run key file, NULL = none */
    const cx_curve_t *curve;    /* that key loaded (the progress subscriber uses it) */
    long long tick_ms;          /* --tick-ms */
    int paused;                 /* --paused */
    long long tick_timeout_ms;  /* --tick-timeout-ms */
    long long heartbeat_ms;     /* --heartbeat-ms */
    long long checkpoint_every; /* --checkpoint-every, 0 = none */
    long long keep_checkpoints; /* --keep-checkpoints */
    const char *resume;         /* checkpoint to resume from, or NULL */
    int lock_fd;                /* the output directory's lock, handed to the coordinator */
} cx_run_procs_opts_t;

/* Runs scenario sc (yaml: its resolved text) as processes writing into
 * out, until the coordinator ends, an agent fails, or *interrupted is set.
 * *nproc: the processes started. Returns 0 or 1 (see the header). */
int cx_run_procs(const cx_run_procs_opts_t *o, const cx_scenario_t *sc, const char *yaml,
                 size_t yaml_len, const char *out, cx_run_progress_t *prog,
                 volatile sig_atomic_t *interrupted, int *nproc);

#endif
