/*  cx_sim — the in-process reference engine: the same model calls as the
 *  multi-process engine, in the same order per customer, in one process
 *  without ZeroMQ. Its files are byte-identical to a multi-process run's
 *  (tested), which makes it the yardstick for what processes cost.
 *
 *  Errors: returns 0, or -1 with a message in err (out of memory, a write
 *  error). Interrupted runs (a flag set by a signal handler) return 1.
 */
#ifndef CX_SIM_H
#define CX_SIM_H

#include <signal.h>
#include <stddef.h>

#include "cx_scenario.h"
#include "cx_tally.h"

typedef void (*cx_progress_fn)(void *ud, const cx_kpi_row_t *row);

int cx_sim_run(const cx_scenario_t *sc, const char *resolved, size_t resolved_len,
               const char *out_dir, cx_progress_fn progress, void *ud,
               volatile sig_atomic_t *interrupted, char *err, size_t errlen);

#endif
