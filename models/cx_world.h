/*  cx_world — a whole company in one process: the coordinator's company,
 *  every persona shard and every department, running the phases of a tick
 *  (cx_tick.h) in their order, without messages.
 *
 *  The in-process engine (`--in-process`, runtime/cx_sim.c), the warm-up
 *  (cx_steady) and the model's tests all run it. Results do not depend on
 *  the number of shards per persona.
 *
 *  Ownership: cx_world_new returns a heap object the caller destroys with
 *  cx_world_destroy; the scenario must outlive it.
 */
#ifndef CX_WORLD_H
#define CX_WORLD_H

#include "cx_company.h"
#include "cx_department.h"
#include "cx_scenario.h"
#include "cx_shard.h"
#include "cx_steady.h"
#include "cx_tally.h"

typedef struct cx_world cx_world_t;

/* A world for sc with `nshards` shards per persona (0: each persona's own
 * `shards`, at least 1), starting from the scenario's steady state as the
 * engine does (cx_steady). NULL on bad arguments or out of memory. */
cx_world_t *cx_world_new(const cx_scenario_t *sc, int nshards);
/* The same from a cold start (initial customers at their expectation, no
 * market equilibrium); with `replace`, every customer lost in a tick is
 * replaced by a new one in the next (the warm-up of cx_steady). */
cx_world_t *cx_world_new_cold(const cx_scenario_t *sc, int nshards, int replace);
/* The steady state the world started from, or NULL (cold start). */
const cx_steady_t *cx_world_steady(const cx_world_t *self);
/* Persona p's summed tally of the last step. */
const cx_tally_t *cx_world_persona_tally(const cx_world_t *self, int persona);
void cx_world_destroy(cx_world_t **self_p);

/* Runs the next tick: every phase of cx_tick.h in its order. Fills total
 * (the summed tally) and row (the KPI row) when not NULL. Returns 0, or -1
 * on out of memory or a rejected record. */
int cx_world_step(cx_world_t *self, cx_tally_t *total, cx_kpi_row_t *row);

/* The same, handing each shard's tally to on_tally (persona, then shard
 * order) before they are summed: the result files need them. */
typedef void (*cx_world_tally_fn)(void *ud, const cx_tally_t *shard);
int cx_world_step_each(cx_world_t *self, cx_world_tally_fn on_tally, void *ud, cx_tally_t *total,
                       cx_kpi_row_t *row);

/* The tick the next step will run. */
int cx_world_tick(const cx_world_t *self);

/* The parts, for inspection, snapshots and restores. */
cx_company_t *cx_world_company(cx_world_t *self);
cx_dept_t *cx_world_dept(cx_world_t *self, int d);
cx_shard_t *cx_world_shard(cx_world_t *self, int persona, int shard);
int cx_world_nshards(const cx_world_t *self, int persona);
/* Figures of department d at the last step. */
const cx_dept_stats_t *cx_world_dept_stats(const cx_world_t *self, int d);
/* Sets the tick the next step runs (after restoring parts). */
void cx_world_set_tick(cx_world_t *self, int tick);

/* Fills sc with a reference scenario: a retailer of `customers` customers
 * in two personas, six departments all at `maturity`, the retail journey,
 * daily ticks, `ticks` ticks. Used by the calibration tests. */
void cx_world_example_scenario(cx_scenario_t *sc, int64_t customers, double maturity, int ticks);

#endif
