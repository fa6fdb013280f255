/*  cx_tick — the order of one tick, written once.
 *
 *  Every engine runs a tick in these phases, in this order. The in-process
 *  world (cx_world, used by `--in-process`, the warm-up and the tests)
 *  runs them all itself; the processes split them by role, through the
 *  same model calls in the same order:
 *
 *    phase  who                         model call               processes
 *    OPEN   the company                 cx_tick_open             coordinator (then TICK)
 *    BEGIN  every persona shard         cx_shard_begin_tick      persona agents (REQUESTS out)
 *    SERVE  every department            cx_dept_serve            department agents
 *           (the requests of every shard; the department sorts them by customer id)
 *    APPLY  every shard: each           cx_shard_apply_outcomes  persona agents (OUTCOMES in,
 *           department's outcomes, in service order                      as they arrive)
 *    END    every shard                 cx_shard_end_tick        persona agents (TICK_DONE)
 *    CLOSE  the company                 cx_tick_close            coordinator (row written)
 *
 *  A customer has at most one request in flight, so the order in which a
 *  shard applies the departments' outcomes does not matter (cx_world
 *  applies them department by department). CLOSE sums nothing itself: the
 *  caller adds the shards' tallies and the departments' figures first
 *  (tallies are integers, so any grouping gives the same bits).
 *
 *  Ownership: no allocation; every argument is the caller's.
 */
#ifndef CX_TICK_H
#define CX_TICK_H

#include "cx_company.h"
#include "cx_department.h"
#include "cx_scenario.h"
#include "cx_tally.h"

/* OPEN: the company begins tick `tick` and fills ctx, which every other
 * phase of the tick reads. */
void cx_tick_open(cx_company_t *co, const cx_scenario_t *sc, int tick, cx_tickctx_t *ctx);

/* CLOSE: the KPI row of the tick from the summed tally and the departments'
 * figures (row), then the company takes the row back (reputation,
 * referrals, deterrence). hist carries the running sums between ticks. */
void cx_tick_close(cx_company_t *co, const cx_scenario_t *sc, const cx_tickctx_t *ctx,
                   const cx_tally_t *total, const cx_dept_stats_t *stats,
                   cx_kpi_history_t *hist, cx_kpi_row_t *row);

#endif
