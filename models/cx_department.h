/*  cx_department — one department serving its touchpoints at its maturity:
 *  capacity from staff and maturity, a FIFO backlog, outcomes on the six
 *  pillars, resolution, hand-offs, cost and employee engagement.
 *
 *  Determinism: each tick the new requests are ordered by customer id and
 *  appended to the backlog; service is in backlog order (arrival tick, then
 *  customer id); every draw is keyed by (seed, customer id, tick). The
 *  result is therefore independent of how requests were split or ordered.
 *
 *  Ownership: cx_dept_new returns a heap object the caller destroys with
 *  cx_dept_destroy. Output buffers belong to the department and stay valid
 *  until the next cx_dept_serve call.
 */
#ifndef CX_DEPARTMENT_H
#define CX_DEPARTMENT_H

#include <stddef.h>
#include <stdint.h>

#include "cx_company.h"
#include "cx_records.h"
#include "cx_scenario.h"
#include "cx_steady.h"
#include "cx_tally.h"

typedef struct cx_dept cx_dept_t;

/* A department for scenario `sc` (which must outlive it), its employee
 * engagement starting at steady state st's (NULL: the scenario's); NULL on
 * a bad index or out of memory. */
cx_dept_t *cx_dept_new(const cx_scenario_t *sc, const cx_steady_t *st, int dept_index);
void cx_dept_destroy(cx_dept_t **self_p);

/* Serves tick ctx->tick. `req` holds this tick's requests from every shard
 * in any order (n may be 0). On return *out points to the outcomes served
 * this tick, in service order, and stats holds the department's figures.
 * A request that does not fit the scenario (unknown persona, journey or
 * touchpoint, not this department's) is dropped and counted in *rejected.
 * Returns 0, or -1 on out of memory. */
int cx_dept_serve(cx_dept_t *self, const cx_tickctx_t *ctx, const cx_request_t *req, size_t n,
                  const cx_outcome_t **out, size_t *n_out, cx_dept_stats_t *stats,
                  size_t *rejected);

/* Snapshot: bytes that cx_dept_restore turns back into the same state.
 * The buffer is malloc'ed and the caller's to free. */
int cx_dept_snapshot(const cx_dept_t *self, uint8_t **buf, size_t *len);
int cx_dept_restore(cx_dept_t *self, const uint8_t *buf, size_t len);

#endif
