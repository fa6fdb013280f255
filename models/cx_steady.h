/*  cx_steady — the company's steady state before the run starts: what a
 *  firm of this scenario looks like after years at its maturity, with
 *  nothing changing.
 *
 *  A run must not begin with a start-up transient (every customer at its
 *  expectation, engagement at a default, reputation unset): a firm at
 *  constant maturity keeps its share of its market. The steady state is
 *  found by simulation, not assumed: a warm-up runs a scaled copy of the
 *  scenario (at most CX_STEADY_CUSTOMERS customers, staff scaled alike, no
 *  timeline) for CX_STEADY_DAYS days in which every customer lost is
 *  replaced by a new one, and measures over its second half:
 *    - per persona, a sample of customer states (satisfaction, expectation,
 *      effort, loyalty) that initial customers are drawn from;
 *    - per persona, churn, referrals and deterred prospects per
 *      customer-day, from which the market's inflow at equilibrium follows;
 *    - the reputation the market sees and each department's engagement.
 *  It is not reported: the run's tick 0 starts where it ends.
 *
 *  Determinism: a pure function of the scenario (its seed included; the
 *  timeline is ignored), so every process of a run computes the same
 *  steady state on its own and results do not depend on the shard count.
 *
 *  Ownership: cx_steady_new returns a heap object the caller destroys with
 *  cx_steady_destroy; it holds no pointers into the scenario.
 */
#ifndef CX_STEADY_H
#define CX_STEADY_H

#include <stdint.h>

#include "cx_scenario.h"

#define CX_STEADY_SAMPLE 4096    /* customer states kept per persona, at most */
#define CX_STEADY_CUSTOMERS 2000 /* customers simulated in the warm-up, at most */
#define CX_STEADY_DAYS 548       /* length of the warm-up, days */

/* One customer's state as the steady state holds it. */
typedef struct {
    float sat;       /* satisfaction, 0..10 */
    float expect;    /* expectation, 0..10 */
    float effort;    /* recent effort, 0..10 */
    float loyal;     /* loyalty, 0..1 */
    float days_left; /* days to its next touchpoint (<= 0: due at once, behind by that much) */
    uint8_t pos;     /* touchpoint reached next, or of the open case */
    uint8_t handoff; /* 1: a hand-off is pending, 2: pending and its context lost */
    uint8_t hto;     /* department of the pending hand-off */
    uint8_t hfrom;   /* department that handed it over */
} cx_steady_customer_t;

typedef struct {
    double scale;                              /* warm-up customers / scenario customers */
    double churn_day[CX_MAX_PERSONAS];         /* customers lost per customer-day */
    double referrals_day[CX_MAX_PERSONAS];     /* prospects referred per customer-day */
    double deterred_day[CX_MAX_PERSONAS];      /* prospects deterred per customer-day */
    double reputation;                         /* smoothed NPS the market sees, -100..100 */
    double nps;                                /* mean NPS over the measured half */
    double engagement[CX_MAX_DEPTS];           /* each department's engagement, 0..100 */
    int n_sample[CX_MAX_PERSONAS];             /* states kept per persona */
    cx_steady_customer_t sample[CX_MAX_PERSONAS][CX_STEADY_SAMPLE]; /* the states */
} cx_steady_t;

/* Computes the steady state of sc. NULL on out of memory or when the
 * scenario cannot be simulated. */
cx_steady_t *cx_steady_new(const cx_scenario_t *sc);
void cx_steady_destroy(cx_steady_t **self_p);

/* The steady state as bytes, so that one process computes it and hands it
 * to the others (WELCOME): a header (magic "CXST", version, personas,
 * departments), the market figures, each persona's sampled customers (24
 * bytes each) and each department's engagement, in host byte order (the
 * run's machines are alike, as for checkpoints). *buf is malloc'ed and the
 * caller's to free. Returns 0, or -1 on out of memory. */
int cx_steady_pack(const cx_steady_t *st, const cx_scenario_t *sc, uint8_t **buf, size_t *len);

/* The inverse for scenario sc: a heap steady state, or NULL when the bytes
 * are not a whole, valid steady state of sc (wrong counts or length, a value
 * out of range, a position the journey does not have). */
cx_steady_t *cx_steady_unpack(const uint8_t *buf, size_t len, const cx_scenario_t *sc);

#endif
