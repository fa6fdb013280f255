/*  cx_company — the company as the coordinator sees it: the timeline,
 *  maturity ramps with their J-curve, CX owner and governance, price,
 *  campaigns, outages, reputation and the number of new customers per
 *  persona. Each tick it produces a cx_tickctx_t, the complete company
 *  state every agent needs for that tick (sent whole in TICK, so agents
 *  hold no timeline state and live changes need no special path).
 *
 *  Ownership: cx_company_t is a caller-storage value (_init); it holds no
 *  pointers and can be snapshotted with memcpy.
 */
#ifndef CX_COMPANY_H
#define CX_COMPANY_H

#include <stdint.h>

#include "cx_scenario.h"
#include "cx_steady.h"
#include "cx_tally.h"

/* The company at one tick, as broadcast to every agent. */
typedef struct {
    int32_t tick;                            /* this tick */
    double days;                             /* days in one tick */
    double maturity[CX_MAX_DEPTS];           /* effective maturity incl. transition dip, 1..5 */
    double staff[CX_MAX_DEPTS];              /* staff now */
    double capacity_loss[CX_MAX_DEPTS];      /* share of capacity lost to an outage, 0..1 */
    double change[CX_MAX_DEPTS];             /* transition in progress, 0 (none) .. 1 (deepest) */
    int32_t cx_owner;                        /* cx_owner_t */
    int32_t governance;                      /* cx_governance_t */
    double price;                            /* price multiplier (1 = list) */
    double policy_shock;                     /* severity of a policy change hitting this tick, 0..1 */
    double campaign;                         /* acquisition multiplier: campaigns x share of the pull detractors leave (1 = neither) */
    double reputation;                       /* smoothed NPS the market sees, -100..100 */
    int64_t acquire_first[CX_MAX_PERSONAS];  /* persona-local index of the first new customer */
    int64_t acquire_count[CX_MAX_PERSONAS];  /* new customers of each persona this tick */
    int64_t acquire_referred[CX_MAX_PERSONAS]; /* of which came by referral: the first ones */
} cx_tickctx_t;

/* Number of doubles cx_tickctx_pack writes. */
#define CX_TICKCTX_WORDS (2 + 4 * CX_MAX_DEPTS + 6 + 3 * CX_MAX_PERSONAS)

/* Flattens ctx to CX_TICKCTX_WORDS doubles (integers are exact below 2^53). */
void cx_tickctx_pack(const cx_tickctx_t *ctx, double *out);
/* Inverse of cx_tickctx_pack. Returns 0, or -1 when a value is out of range
 * for `sc` (a hostile or corrupt message): ctx is then unspecified. */
int cx_tickctx_unpack(cx_tickctx_t *ctx, const double *in, const cx_scenario_t *sc);

/* Coordinator-side state that persists across ticks. */
typedef struct {
    double maturity_from[CX_MAX_DEPTS];  /* maturity when the current ramp began */
    double maturity_to[CX_MAX_DEPTS];    /* maturity at the end of the ramp */
    int32_t ramp_start[CX_MAX_DEPTS];    /* tick the ramp began (-1 none) */
    int32_t ramp_len[CX_MAX_DEPTS];      /* ramp duration in ticks */
    double staff[CX_MAX_DEPTS];          /* staff now */
    double outage[CX_MAX_DEPTS];         /* capacity lost now */
    int32_t outage_until[CX_MAX_DEPTS];  /* first tick without the outage */
    int32_t cx_owner;                    /* cx_owner_t now */
    int32_t governance;                  /* cx_governance_t now */
    double price;                        /* price multiplier now */
    double campaign;                     /* campaign multiplier now */
    int32_t campaign_until;              /* first tick without the campaign */
    double policy_shock;                 /* shock starting this tick */
    double reputation;                   /* smoothed NPS */
    double referrals[CX_MAX_PERSONAS];   /* referrals made last tick */
    double deterred[CX_MAX_PERSONAS];    /* prospects deterred last tick */
    int64_t next_local[CX_MAX_PERSONAS]; /* next persona-local customer index */
    double investment_total;             /* transition and campaign costs so far */
    double investment_tick;              /* costs booked this tick */
    int next_event;                      /* index of the next timeline event to apply */
    double ramp_cost[CX_MAX_DEPTS];      /* transition cost booked per tick of the ramp */
    int32_t reputation_set;              /* 1 once a survey has set the reputation */
    double campaign_cost_tick;           /* campaign costs booked this tick (sales and marketing) */
    double campaign_cost_total;          /* campaign costs so far */
    int32_t replace;                     /* 1: new customers replace those lost (warm-up) */
    int64_t replace_count[CX_MAX_PERSONAS]; /* customers of each persona lost last tick (warm-up) */
    int32_t steady;                      /* 1: acquisitions from the market equilibrium */
    double pull0[CX_MAX_PERSONAS];       /* steady: the company's own pull at tick 0, customers/day */
    double rep0;                         /* steady: reputation at tick 0 */
    double market0;                      /* customers in the market at tick 0 (company's and competitors') */
    double customers0;                   /* company's customers at tick 0 */
    double customers_now;                /* company's active customers at the last tick's end */
} cx_company_t;

/* Starting state from the scenario and, when st is not NULL, its steady
 * state: reputation, and the market inflow that holds the firm's share. */
void cx_company_init(cx_company_t *c, const cx_scenario_t *sc, const cx_steady_t *st);

/* Applies one event now (timeline events and live changes alike).
 * Returns 0, or -1 when the event does not fit the scenario. */
int cx_company_apply(cx_company_t *c, const cx_scenario_t *sc, const cx_event_spec_t *ev, int tick);

/* Applies the timeline events due at `tick`, advances ramps, draws the new
 * customers of each persona, and fills ctx for the tick. */
void cx_company_begin_tick(cx_company_t *c, const cx_scenario_t *sc, int tick, cx_tickctx_t *ctx);

/* Feeds the finished tick back (reputation, referrals, deterrence). */
void cx_company_end_tick(cx_company_t *c, const cx_scenario_t *sc, const cx_kpi_row_t *row,
                         const cx_tally_t *total);

/* How many of this tick's new customers of `persona` came by referral
 * (ctx->acquire_referred clamped to 0..count). They are the first ones
 * (lowest local indexes); their first purchase is a referral purchase. */
int64_t cx_company_referred(const cx_tickctx_t *ctx, int persona);

/* What the company booked this tick, for the KPI row. */
cx_kpi_books_t cx_company_books(const cx_company_t *c);

/* Mean effective maturity of the departments in ctx (1 when none). */
double cx_tickctx_mean_maturity(const cx_tickctx_t *ctx, int n_dept);

#endif
