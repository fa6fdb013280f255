/*  cx_shard_impl — what the modules of a persona shard share and nobody
 *  else sees: the customer record and the shard's structure. cx_shard.c
 *  runs the customers; cx_shard_snap.c saves and restores them.
 *
 *  Ownership: as cx_shard.h. Names with `cx_shard__` are internal to the
 *  shard's modules.
 */
#ifndef CX_SHARD_IMPL_H
#define CX_SHARD_IMPL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_rng.h"
#include "cx_shard.h"

/* A customer's state but for next[]. Outcomes reach customers sparsely
 * (a department serves a few in a hundred per tick), and every event reads
 * and writes most of these fields: one aligned cache line per customer
 * costs one miss where fifteen arrays cost fifteen. next[] stays apart
 * because every tick scans it. */
typedef struct {
    uint32_t tp_tick;    /* tick of the next touchpoint or hand-off, S_NEVER in flight */
    float tp_day;        /* day of the next touchpoint, or of the open case */
    uint32_t survey;     /* tick of the next survey */
    uint32_t last;       /* tick the lazy state was last brought up to */
    uint32_t case_start; /* tick the current case began */
    float sat;           /* satisfaction, 0..10 */
    float expect;        /* expectation, 0..10 */
    float effort;        /* recent effort, 0 (none) .. 10 */
    float loyal;         /* loyalty, 0..1 */
    float rem;           /* cumulative hazard left before churn */
    float hz;            /* churn hazard per day since `last` */
    uint8_t pos;         /* touchpoint reached next, or of the open case */
    uint8_t flags;       /* S_* */
    uint8_t hto;         /* department of the pending hand-off */
    uint8_t hfrom;       /* department that handed it over */
    uint32_t joined;     /* tick the customer joined (0: the initial base) */
    uint8_t spare[12];   /* to 64 bytes: one cache line */
} cx_shard__cust_t;
static_assert(sizeof(cx_shard__cust_t) == 64, "a customer record is one cache line");

struct cx_shard {
    uint32_t tag;                    /* S_TAG while alive */
    const cx_scenario_t *sc;         /* scenario (not owned) */
    const cx_persona_spec_t *ps;     /* this persona */
    const cx_journey_spec_t *js;     /* its journey */
    int persona;                     /* persona index */
    int shard;                       /* this shard */
    int nshards;                     /* shards of the persona */
    int journey;                     /* journey index */
    int it;                          /* IT department, or -1 */
    int product;                     /* product department, or -1 */
    size_t n;                        /* customers held */
    size_t cap;                      /* customers allocated */
    uint32_t *next;                  /* tick of the next event per customer, S_NEVER when none */
    cx_shard__cust_t *c;             /* the rest of each customer's state */
    uint32_t *due;                   /* scratch: positions due this tick */
    size_t due_cap;                  /* allocated entries in due */
    cx_request_t *req[CX_MAX_DEPTS]; /* this tick's requests per department */
    size_t req_n[CX_MAX_DEPTS];      /* entries used */
    size_t req_cap[CX_MAX_DEPTS];    /* entries allocated */
    cx_tally_t tally;                /* this tick's tally, being filled */
    int64_t sat_sum;                 /* sum of sat over active customers, micro */
    int64_t exp_sum;                 /* sum of expect over active customers, micro */
    int64_t eff_sum;                 /* sum of effort over active customers, micro */
    int64_t active;                  /* active customers */
    double price_seen;               /* price the hazards were computed with */
    double price_factor;             /* hazard multiplier of that price */
    double h0;                       /* base churn hazard per day */
    double alpha_sat[2];             /* satisfaction step: ordinary, moment of truth */
    double alpha_eff[2];             /* effort step: ordinary, moment of truth */
    double alpha_up[2];              /* expectation rise step */
    double alpha_down[2];            /* expectation fall step */
    cx_shard_stats_t stats;          /* running totals by NPS class */
    cx_rng_key_t key[CX_STREAM_DEPT + 1]; /* Philox key of each stream */
};

/* Makes room for n customers (geometric growth). Returns 0, or -1. */
int cx_shard__reserve(cx_shard_t *self, size_t n);

#endif
