/*  cx_shard — one shard of a persona: its customers (a scanned array of
 *  event ticks and one compact record each, no allocation per customer)
 *  travelling their journey, asking departments for service, updating
 *  satisfaction, expectations, effort, loyalty, spend, referrals and churn.
 *
 *  A tick in three calls:
 *    begin_tick     adds new customers, moves due customers to their next
 *                   touchpoint, serves external touchpoints locally and
 *                   builds one request list per department (sorted by id);
 *    apply_outcomes once per department, with the outcomes for this shard
 *                   (any order of departments: a customer has at most one
 *                   request in flight);
 *    end_tick       surveys, churn, referrals; fills the tick's tally.
 *
 *  Determinism: a customer's evolution depends only on its own state, the
 *  tick context and draws keyed by its global id, so any split of a persona
 *  over shards gives the same customers and the same tallies.
 *
 *  Ownership: cx_shard_new returns a heap object the caller destroys with
 *  cx_shard_destroy. Request lists belong to the shard and stay valid until
 *  the next begin_tick.
 */
#ifndef CX_SHARD_H
#define CX_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "cx_company.h"
#include "cx_records.h"
#include "cx_scenario.h"
#include "cx_steady.h"
#include "cx_tally.h"

typedef struct cx_shard cx_shard_t;

/* Shard `shard` of `nshards` of persona `persona` (sc must outlive it),
 * its initial customers drawn from steady state st (NULL: a cold start, at
 * their expectation); NULL on bad arguments or out of memory. */
cx_shard_t *cx_shard_new(const cx_scenario_t *sc, const cx_steady_t *st, int persona, int shard,
                         int nshards);
void cx_shard_destroy(cx_shard_t **self_p);

/* Returns 0, or -1 on out of memory. */
int cx_shard_begin_tick(cx_shard_t *self, const cx_tickctx_t *ctx);

/* This tick's requests to department `dept`, sorted by customer id. */
const cx_request_t *cx_shard_requests(const cx_shard_t *self, int dept, size_t *n);

/* Applies outcomes. An outcome for a customer this shard does not hold,
 * or that does not fit the scenario, is skipped and counted in the return
 * value (0 = all applied). */
size_t cx_shard_apply_outcomes(cx_shard_t *self, const cx_tickctx_t *ctx, const cx_outcome_t *o,
                               size_t n);

/* Ends the tick and fills `tally` (zeroed by the callee). */
void cx_shard_end_tick(cx_shard_t *self, const cx_tickctx_t *ctx, cx_tally_t *tally);

/* Sum of the churn hazards per day of the active customers not waiting
 * for service: the customers the shard expects to lose per day. */
double cx_shard_hazard_sum(const cx_shard_t *self);

/* Copies the states of up to cap active customers, evenly spread over the
 * shard, into out, as they stand before tick t (ticks of `days` days);
 * returns how many. A customer waiting for a department is copied as one
 * about to ask for service. */
int cx_shard_sample(const cx_shard_t *self, uint32_t t, double days, cx_steady_customer_t *out,
                    int cap);

/* Customers held (active or not) and bytes of state per customer. */
size_t cx_shard_size(const cx_shard_t *self);
size_t cx_shard_bytes_per_customer(void);

/* What customers did, by their NPS class at the time (0 detractor,
 * 1 passive, 2 promoter: the class of their noise-free likelihood to
 * recommend). Integer sums, so any split of a persona adds up to the same.
 * For analysis and tests; the engine does not need it. */
typedef struct {
    int64_t exposure_ticks[3]; /* customer-ticks spent in each class */
    int64_t referrals[3];      /* prospects referred */
    int64_t purchases[3];      /* purchases made */
    int64_t revenue_cents[3];  /* revenue, cents */
    int64_t churned[3];        /* customers lost */
    int64_t pulled;            /* of which to a competitor at a moment of truth */
} cx_shard_stats_t;

/* Copies the running totals since the shard was created (or restored). */
void cx_shard_stats(const cx_shard_t *self, cx_shard_stats_t *stats);

/* Snapshot / restore, as for departments. */
int cx_shard_snapshot(const cx_shard_t *self, uint8_t **buf, size_t *len);
int cx_shard_restore(cx_shard_t *self, const uint8_t *buf, size_t len);

#endif
