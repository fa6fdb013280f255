/*  cx_tally — what a tick adds up to: a persona shard's integer tally,
 *  a department's figures, and the KPI row the coordinator writes.
 *
 *  Tallies hold integers only (counts, cents, fixed-point sums in
 *  millionths), so adding the tallies of any split of the customers gives
 *  the same bits: outputs do not depend on the shard count.
 *
 *  Ownership: plain caller-storage values.
 */
#ifndef CX_TALLY_H
#define CX_TALLY_H

#include <stdint.h>

#include "cx_scenario.h"

#define CX_MICRO 1000000 /* fixed-point scale of *_micro sums */

/* An experience at least this far above the customer's expectation (0..10
 * scale) counts as a delight (docs/MODEL.md, "Pain points and delights"). */
#define CX_DELIGHT_MARGIN 1.0

/* Per touchpoint of a journey, over one tick. The last five are the pain
 * and delight counts of seed 003's journey analysis. */
typedef struct {
    int64_t interactions;         /* interactions that happened there */
    int64_t pillar_sum[CX_PILLARS]; /* sum of wire pillar scores (score x 20) */
    int64_t experience_micro;     /* sum of experience scores (0..10) x 1e6 */
    int64_t pain;                 /* experiences below the customer's expectation */
    int64_t delight;              /* experiences CX_DELIGHT_MARGIN or more above it */
    int64_t failed_handoffs;      /* hand-offs from here that lost their context */
    int64_t waited;               /* outcomes served after a tick or more in a backlog */
    int64_t abandoned;            /* outcomes of customers who gave up waiting */
} cx_tp_tally_t;

/* Words of one touchpoint on the wire: interactions, pillars, experience,
 * then the five counts. */
#define CX_TP_WORDS (2 + CX_PILLARS + 5)

/* One persona shard's tick, or the sum of several. */
typedef struct {
    int64_t customers_start;      /* active customers at the tick's start */
    int64_t customers_end;        /* active customers at the tick's end */
    int64_t acquired;             /* new customers this tick */
    int64_t churned;              /* customers lost this tick (of those at the start) */
    int64_t respondents;          /* customers surveyed */
    int64_t promoters;            /* answers 9-10 */
    int64_t passives;             /* answers 7-8 */
    int64_t detractors;           /* answers 0-6 */
    int64_t satisfied;            /* CSAT answers at or above the threshold */
    int64_t effort_sum;           /* sum of CES answers, 1..10 */
    int64_t loyalty_points;       /* sum of loyalty answers minus 1 (0..9 each): points x 9 / 100 */
    int64_t purchases;            /* purchases */
    int64_t referral_purchases;   /* purchases by referred customers' first purchase */
    int64_t revenue_cents;        /* revenue, in cents */
    int64_t referrals;            /* prospects referred by promoters */
    int64_t deterred;             /* prospects deterred by detractors */
    int64_t interactions;         /* department interactions served */
    int64_t resolved;             /* of which resolved */
    int64_t resolution_days_micro;/* days from first contact to resolution, x 1e6 */
    int64_t handoffs;             /* hand-offs received by customers */
    int64_t failed_handoffs;      /* of which lost context */
    int64_t satisfaction_micro;   /* sum over active customers of satisfaction (0..10) x 1e6 */
    int64_t expectation_micro;    /* sum over active customers of expectation (0..10) x 1e6 */
    int64_t effort_micro;         /* sum over active customers of recent effort (0..10) x 1e6 */
    int64_t demand;               /* cases ended at a purchase touchpoint: purchase opportunities */
    int32_t journey;              /* journey the touchpoints below belong to (-1 none) */
    int32_t n_tp;                 /* touchpoints used below */
    cx_tp_tally_t tp[CX_MAX_TOUCHPOINTS]; /* per touchpoint */
} cx_tally_t;

/* Number of int64 words cx_tally_pack writes at most. */
#define CX_TALLY_HEAD_WORDS 27 /* scalars, journey and n_tp */
#define CX_TALLY_WORDS (CX_TALLY_HEAD_WORDS + CX_MAX_TOUCHPOINTS * CX_TP_WORDS)

void cx_tally_zero(cx_tally_t *t);
/* Adds one touchpoint's tally into another, field by field. */
void cx_tp_tally_add(cx_tp_tally_t *dst, const cx_tp_tally_t *src);
/* Adds src into dst, field by field (touchpoints only when journeys match
 * or dst has none). */
void cx_tally_add(cx_tally_t *dst, const cx_tally_t *src);
/* Flattens to int64 words; returns the number written (<= CX_TALLY_WORDS). */
int cx_tally_pack(const cx_tally_t *t, int64_t *out);
/* Inverse; returns 0, or -1 when n or a value is inconsistent. */
int cx_tally_unpack(cx_tally_t *t, const int64_t *in, int n);

/* One department's tick. */
typedef struct {
    double demand;          /* new requests this tick */
    double handled;         /* requests served this tick */
    double backlog;         /* requests waiting at the tick's end */
    double capacity;        /* requests it could serve this tick */
    double avg_wait_days;   /* mean wait of those served, days */
    double resolution_rate; /* resolved / handled x 100 */
    double handoffs;        /* cases handed to another department */
    double failed_handoffs; /* of which lost context */
    double cost;            /* staff and interaction cost this tick, currency */
    double engagement;      /* employee engagement, 0..100 */
    double maturity;        /* effective maturity this tick */
    double survey_points;   /* employee survey: points of every answer (seed 001 scale) */
    double survey_answers;  /* employee survey: answers (employees x questions) */
} cx_dept_stats_t;
#define CX_DEPT_STATS_WORDS 13
void cx_dept_stats_pack(const cx_dept_stats_t *s, double *out);
void cx_dept_stats_unpack(cx_dept_stats_t *s, const double *in);

/* The KPI row of one tick (kpis.csv). Names match the columns. */
typedef struct {
    int32_t tick;
    int64_t customers;          /* active at the tick's start */
    int64_t promoters, passives, detractors;
    double nps;
    int64_t respondents, satisfied;
    double csat, ces;
    int64_t churned;
    double churn_rate, retention_rate;
    int64_t acquired, purchases, referral_purchases;
    double referral_rate;
    double revenue;             /* currency */
    double clv;                 /* currency */
    double cac;                 /* currency per acquired customer */
    double employee_engagement; /* staff-weighted mean, 0..100 */
    double avg_resolution_time; /* days */
    /* extra columns */
    double loyalty_index;       /* 0..100 */
    double satisfaction;        /* mean satisfaction of active customers, 0..10 */
    double expectation;         /* mean expectation, 0..10 */
    int64_t interactions;       /* department interactions served */
    int64_t handoffs, failed_handoffs;
    double cost;                /* departments' operating cost this tick */
    double investment;          /* transformation costs booked this tick */
    int64_t customers_end;      /* active at the tick's end */
    /* economics */
    double retention_direct;    /* retained of those at the start / customers at the start x 100 */
    int64_t demand;             /* purchase opportunities: cases ended at a purchase touchpoint */
    int64_t lost_sales;         /* of which did not buy (unserved, unresolved, abandoned, price) */
    double price;               /* price multiplier (1 = list) */
    double basket;              /* revenue per purchase, currency */
    double gross_profit;        /* revenue x gross margin */
    double marketing_cost;      /* sales and marketing spend this tick, campaigns included */
    double operating_profit;    /* gross profit - departments - marketing - investment */
} cx_kpi_row_t;

/* Computes the row from the summed tally of every shard and the figures of
 * every department. `hist` carries the running sums CLV needs (zero it
 * before tick 0, keep it across ticks). */
typedef struct {
    double revenue;        /* revenue so far */
    double customer_ticks; /* sum of customers at tick start so far */
    double churned;        /* customers lost so far */
} cx_kpi_history_t;
/* The company's side of the row: what it booked this tick. */
typedef struct {
    double investment;    /* transformation costs booked this tick */
    double campaign_cost; /* campaign costs booked this tick */
    double price;         /* price multiplier */
} cx_kpi_books_t;
void cx_kpi_row_compute(const cx_scenario_t *sc, int tick, double days, const cx_tally_t *total,
                        const cx_dept_stats_t *dept, int n_dept, const cx_kpi_books_t *books,
                        cx_kpi_history_t *hist, cx_kpi_row_t *row);

#endif
