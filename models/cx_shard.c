/*  cx_shard — the customers of one persona shard: a scanned array of event
 *  ticks and an array of 64-byte customer records.
 *
 *  Event-driven on a per-tick scan: each customer holds the tick of its
 *  next event (next[]), the minimum of its next touchpoint, its next survey
 *  and its churn time. A tick scans next[] (a branch-free compare over a
 *  uint32 array) and works only for the customers due.
 *
 *  Churn is a hazard that is constant between a customer's own events:
 *  each customer draws an Exp(1) threshold once, and the remaining
 *  cumulative hazard `rem` falls by hz x elapsed days at each event, so the
 *  churn tick is known in closed form (docs/MODEL.md, "Churn"). Nothing
 *  is drawn for customers who do nothing in a tick.
 *
 *  Running fixed-point sums (satisfaction, expectation, effort) are kept
 *  up to date at each change, so the tally never needs a pass over all
 *  customers.
 *
 *  Customers whose next touchpoint falls inside the tick pass it on their
 *  own clock in days (tp_day), so a weekly tick runs journeys at the pace
 *  of a daily one; at most one department request is in flight.
 *
 *  Layout: the arrays are split by access pattern. next[] (4 bytes) is
 *  read for every customer every tick; everything else a customer's event
 *  touches sits in one cache-line record (cx_shard__cust_t, 64 bytes): 68 bytes
 *  per customer. Outcomes reach customers sparsely, so the cost of an
 *  event is memory latency; with one line per customer it can be
 *  prefetched a few customers ahead (S_AHEAD), which a spread of fifteen
 *  arrays could not. Measured with 1,000,000 customers in 8 shards: 58 ns
 *  per customer-tick as fifteen arrays or as records, 33 ns as records with
 *  prefetching.
 */
#include "cx_shard.h"
#include "cx_shard_impl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cx_capability.h"
#include "cx_kpi.h"
#include "cx_rng.h"
#include "cx_util.h"

#define S_TAG 0xC5A4D001u
#define S_NEVER UINT32_MAX

/* Customer flags */
#define S_ACTIVE 0x01   /* a customer (not churned) */
#define S_INFLIGHT 0x02 /* a request is with a department */
#define S_PENDING 0x04  /* a hand-off request goes out at tp_tick */
#define S_LOST 0x08     /* the pending hand-off lost its context */
#define S_REFERRED 0x10 /* came by word of mouth, no purchase yet */

/* Draw indexes within a stream, per customer and tick. */
#define S_DRAW_STEP 0      /* JOURNEY: k-th touchpoint reached in a tick, k < 64 */
#define S_DRAW_FINISH 64   /* JOURNEY: a case ended at the k-th step (64 + k) */
#define S_DRAW_OUTCOME 128 /* JOURNEY: a case ended with a department's outcome */
#define S_MAX_STEPS 64     /* touchpoints one customer passes in one tick, at most */

/* Customers are reached sparsely (a department serves a few in a hundred a
 * tick): fetching the record of the customer S_AHEAD places ahead hides
 * the memory latency that otherwise dominates a large shard. */
#define S_AHEAD 16
#if defined(__GNUC__)
#define CX_PREFETCH(p) __builtin_prefetch((p), 1, 1)
#else
#define CX_PREFETCH(p) ((void)(p))
#endif

/* The customer record and struct cx_shard: cx_shard_impl.h. */

#define s_clamp cx_clampd

/* A state value in millionths, for the running integer sums. */
static int64_t s_micro(float x)
{
    return cx_round((double)x * CX_MICRO);
}

/* Global id of the customer at position j of this shard. */
static uint64_t s_cid(const cx_shard_t *self, size_t j)
{
    return CX_CID(self->persona, (uint64_t)j * (uint64_t)self->nshards + (uint64_t)self->shard);
}

/* Likelihood to recommend, 0..10, at satisfaction sat with noise z. */
static int s_ltr(const cx_params_t *p, double sat, double z)
{
    double x = p->ltr_offset + p->ltr_slope * sat + p->ltr_noise * z;
    return cx_round_in(x, 0.0, 10.0);
}

/* NPS class index 0 detractor, 1 passive, 2 promoter of an answer. */
static int s_class_of(int ltr)
{
    return cx_kpi_nps_class(ltr) + 1;
}

/* Grows an array to hold cap elements of size sz. */
static int s_grow(void **a, size_t cap, size_t sz)
{
    void *p = realloc(*a, cap * sz);
    if (!p) {
        return -1;
    }
    *a = p;
    return 0;
}

/* Grows the record array to cap records, aligned on a cache line. */
static int s_grow_aligned(cx_shard_t *self, size_t cap)
{
    void *p = aligned_alloc(64, cap * sizeof(cx_shard__cust_t));
    if (!p) {
        return -1;
    }
    if (self->c && self->n) {
        memcpy(p, self->c, self->n * sizeof(cx_shard__cust_t));
    }
    free(self->c);
    self->c = p;
    return 0;
}

/* Makes room for n customers (geometric growth). Returns 0, or -1. */
int cx_shard__reserve(cx_shard_t *self, size_t n)
{
    if (n <= self->cap) {
        return 0;
    }
    size_t c = self->cap ? self->cap : 1024;
    while (c < n) {
        c += c / 2;
    }
    if (s_grow((void **)&self->next, c, sizeof *self->next) || s_grow_aligned(self, c) ||
        s_grow((void **)&self->due, c, sizeof *self->due)) {
        return -1;
    }
    self->cap = c;
    self->due_cap = c;
    return 0;
}

size_t cx_shard_bytes_per_customer(void)
{
    return sizeof(uint32_t) + sizeof(cx_shard__cust_t);
}

size_t cx_shard_size(const cx_shard_t *self)
{
    return self ? self->n : 0;
}

void cx_shard_stats(const cx_shard_t *self, cx_shard_stats_t *stats)
{
    *stats = self->stats;
}

/* Days to the touchpoint at index tp: exponential of mean gap_days. */
static double s_gap(const cx_shard_t *self, int tp, uint32_t w)
{
    return -log(cx_u01(w)) * self->js->tp[tp].gap_days;
}

/* Sets the day of customer j's next touchpoint and the tick it falls in,
 * never before tick t + 1: a customer behind its own clock (a case that
 * ended late in a long tick) catches up over the next ticks, so journeys
 * run at the same pace in days whatever the tick length. */
static void s_set_day(cx_shard_t *self, size_t j, double day, uint32_t t, double days)
{
    double tick = day / days;
    self->c[j].tp_day = (float)day;
    self->c[j].tp_tick =
        tick < (double)t + 1.0 ? t + 1 : (uint32_t)cx_floor_pos(s_clamp(tick, 0.0, 4e9));
}

/* Churn hazard per day of customer j in its current state. */
static double s_hazard(const cx_shard_t *self, size_t j)
{
    const cx_params_t *p = &self->sc->params;
    double x = p->churn_satisfaction * (p->churn_neutral_satisfaction - self->c[j].sat) +
               p->churn_effort * (self->c[j].effort - p->churn_neutral_effort);
    return self->h0 * exp(s_clamp(x, -20.0, 20.0)) * self->price_factor;
}

/* Cumulative hazard left to customer j at tick t (>= last): the churn
 * test, in the same arithmetic as s_advance. */
static double s_left(const cx_shard_t *self, size_t j, uint32_t t, double days)
{
    return (double)self->c[j].rem - (double)self->c[j].hz * ((double)(t - self->c[j].last) * days);
}

/* Recomputes next[j], at tick t, from tp_tick, survey and the churn time
 * (the tick the hazard left since `last` runs out; never before t + 1). */
static void s_schedule(cx_shard_t *self, size_t j, uint32_t t, double days)
{
    uint32_t nx = self->c[j].tp_tick < self->c[j].survey ? self->c[j].tp_tick : self->c[j].survey;
    if (!(self->c[j].flags & S_INFLIGHT)) {
        double h = (double)self->c[j].hz * days;
        double ct = h > 0.0 ? (double)self->c[j].last + ceil((double)self->c[j].rem / h) : 4e9;
        if (ct < (double)t + 1.0) {
            ct = (double)t + 1.0;
        }
        if (ct < (double)nx) {
            nx = (uint32_t)ct;
        }
    }
    self->next[j] = nx;
}

/* Brings customer j's lazy state up to tick t: hazard spent, time in its
 * class, and the word of mouth of the elapsed days. */
static void s_advance(cx_shard_t *self, size_t j, uint32_t t, double days)
{
    uint32_t l = self->c[j].last;
    if (t <= l) {
        return;
    }
    const cx_params_t *p = &self->sc->params;
    double dd = (double)(t - l) * days;
    double sat = self->c[j].sat;
    int cls = s_class_of(s_ltr(p, sat, 0.0));
    self->stats.exposure_ticks[cls] += (int64_t)(t - l);
    self->c[j].rem = (float)s_left(self, j, t, days);
    uint32_t w[4];
    cx_rng4k(self->key[CX_STREAM_REFERRAL], s_cid(self, j), t, 0, w);
    int said = s_class_of(s_ltr(p, sat, cx_tri(w[0])));
    if (said == 2) {
        int64_t k = cx_poisson_u(p->referral_rate * dd / 365.0, cx_u01(w[1]));
        self->tally.referrals += k;
        self->stats.referrals[cls] += k;
    } else if (said == 0) {
        self->tally.deterred += cx_poisson_u(p->detractor_deterrence * dd / 365.0, cx_u01(w[1]));
    }
    self->c[j].last = t;
}

/* Removes customer j from the active base. */
static void s_churn(cx_shard_t *self, size_t j)
{
    const cx_params_t *p = &self->sc->params;
    self->stats.churned[s_class_of(s_ltr(p, self->c[j].sat, 0.0))]++;
    self->tally.churned++;
    self->sat_sum -= s_micro(self->c[j].sat);
    self->exp_sum -= s_micro(self->c[j].expect);
    self->eff_sum -= s_micro(self->c[j].effort);
    self->active--;
    self->c[j].flags = 0;
    self->next[j] = S_NEVER;
    self->c[j].tp_tick = S_NEVER;
    self->c[j].survey = S_NEVER;
}

/* Ticks until the next survey: geometric with the survey rate. */
static uint32_t s_survey_gap(const cx_params_t *p, uint32_t w)
{
    double r = p->survey_rate;
    if (r <= 0.0) {
        return S_NEVER;
    }
    if (r >= 1.0) {
        return 1;
    }
    double k = 1.0 + (double)cx_floor_pos(s_clamp(log(cx_u01(w)) / log1p(-r), 0.0, 2e9));
    return k > 1e9 ? 1000000000u : (uint32_t)k;
}

/* Sets customer j up at tick t: an initial customer (initial != 0) starts
 * spread over the journey's loop, a new one at its first touchpoint;
 * `referred` marks a customer who came by referral. */
static void s_init_customer(cx_shard_t *self, size_t j, uint32_t t, int initial, int referred,
                            int owner, double days, const cx_steady_t *st)
{
    memset(&self->c[j], 0, sizeof self->c[j]);
    const cx_params_t *p = &self->sc->params;
    uint64_t cid = s_cid(self, j);
    uint32_t w[4];
    uint32_t v[4];
    cx_rng4k(self->key[CX_STREAM_INIT], cid, 0, 0, w);
    cx_rng4k(self->key[CX_STREAM_INIT], cid, 0, 1, v);
    double e = self->ps->expectation;
    if (owner == CX_OWNER_MARKETING) {
        e += p->owner_marketing_expectation;
    }
    e = s_clamp(e, 0.0, 10.0);
    double sat = s_clamp(e + p->initial_spread * cx_tri(w[0]), 0.0, 10.0);
    self->c[j].sat = (float)sat;
    self->c[j].expect = (float)e;
    self->c[j].effort = (float)p->churn_neutral_effort;
    double target = s_clamp((sat - p->loyalty_floor) / (10.0 - p->loyalty_floor), 0.0, 1.0);
    self->c[j].loyal = initial ? (float)target : 0.0f;
    self->c[j].rem = (float)-log(cx_u01(w[1]));
    self->c[j].flags = (uint8_t)(S_ACTIVE | (referred ? S_REFERRED : 0));
    self->c[j].hto = CX_NO_DEPT;
    self->c[j].hfrom = CX_NO_DEPT;
    self->c[j].last = t;
    self->c[j].case_start = t;
    self->c[j].joined = t;
    int n_tp = self->js->n_tp;
    if (initial) {
        /* Spread initial customers over the loop as in a steady state: a
         * customer waits before touchpoint k in proportion to its gap, and
         * the wait left is again exponential (memoryless). */
        int lo = self->js->loop_to;
        double total = 0.0;
        for (int k = lo; k < n_tp; k++) {
            total += self->js->tp[k].gap_days;
        }
        int k = lo;
        double x = cx_u01(w[2]) * total;
        while (k < n_tp - 1 && x >= self->js->tp[k].gap_days) {
            x -= self->js->tp[k].gap_days;
            k++;
        }
        self->c[j].pos = (uint8_t)k;
        double g = -log(cx_u01(w[3])) * self->js->tp[k].gap_days;
        self->c[j].tp_day = (float)g;
        self->c[j].tp_tick = (uint32_t)cx_floor_pos(s_clamp(g / days, 0.0, 4e9));
        uint32_t sg = s_survey_gap(p, v[0]);
        self->c[j].survey = sg == S_NEVER ? S_NEVER : t + sg - 1;
    } else {
        self->c[j].pos = 0;
        s_set_day(self, j, (double)t * days + s_gap(self, 0, w[3]), t, days);
        uint32_t sg = s_survey_gap(p, v[0]);
        self->c[j].survey = sg == S_NEVER ? S_NEVER : t + sg;
    }
    if (initial && st && st->n_sample[self->persona] > 0) {
        /* An initial customer is drawn from the steady state: the states
         * of a firm that has run at this maturity for years. */
        int n = st->n_sample[self->persona];
        int k = (int)(cx_u01(v[1]) * n);
        const cx_steady_customer_t *sc0 = &st->sample[self->persona][k < n ? k : n - 1];
        self->c[j].sat = sc0->sat;
        self->c[j].expect = sc0->expect;
        self->c[j].effort = sc0->effort;
        self->c[j].loyal = sc0->loyal;
        /* Where it is on its journey, as at the end of the warm-up. */
        if (sc0->pos < self->js->n_tp) {
            self->c[j].pos = sc0->pos;
            self->c[j].tp_day = sc0->days_left;
            self->c[j].tp_tick = (uint32_t)cx_floor_pos(s_clamp(sc0->days_left / days, 0.0, 4e9));
            if (sc0->handoff && sc0->hto < self->sc->n_dept) {
                self->c[j].flags |= (uint8_t)(S_PENDING | (sc0->handoff == 2 ? S_LOST : 0));
                self->c[j].hto = sc0->hto;
                self->c[j].hfrom = sc0->hfrom;
                self->c[j].tp_tick = 0;
            }
        }
    }
    self->c[j].hz = (float)s_hazard(self, j);
    self->sat_sum += s_micro(self->c[j].sat);
    self->exp_sum += s_micro(self->c[j].expect);
    self->eff_sum += s_micro(self->c[j].effort);
    self->active++;
    if (initial && st) {
        /* The steady base has lived through the tick before: a customer
         * whose hazard ran out during it leaves in tick 0, as one would in
         * any later tick. */
        self->c[j].rem -= (float)((double)self->c[j].hz * days);
    }
    s_schedule(self, j, t, days);
    if (initial && st && self->c[j].rem <= 0.0f) {
        self->next[j] = t;
    }
}

cx_shard_t *cx_shard_new(const cx_scenario_t *sc, const cx_steady_t *st, int persona, int shard,
                         int nshards)
{
    if (!sc || persona < 0 || persona >= sc->n_persona || nshards < 1 || nshards > CX_MAX_SHARDS ||
        shard < 0 || shard >= nshards) {
        return NULL;
    }
    const cx_persona_spec_t *ps = &sc->persona[persona];
    if (ps->journey < 0 || ps->journey >= sc->n_journey || sc->journey[ps->journey].n_tp < 1 ||
        ps->customers < 0) {
        return NULL;
    }
    cx_shard_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    const cx_params_t *p = &sc->params;
    self->tag = S_TAG;
    self->sc = sc;
    self->ps = ps;
    self->persona = persona;
    self->shard = shard;
    self->nshards = nshards;
    self->journey = ps->journey;
    self->js = &sc->journey[ps->journey];
    self->it = cx_scenario_dept_of_kind(sc, CX_DEPT_IT);
    self->product = cx_scenario_dept_of_kind(sc, CX_DEPT_PRODUCT);
    self->price_seen = 1.0;
    self->price_factor = 1.0;
    for (uint32_t k = 0; k <= CX_STREAM_DEPT; k++) {
        self->key[k] = cx_rng_key(sc->seed, k);
    }
    /* Yearly churn probability to a constant hazard per day. */
    self->h0 = -log1p(-s_clamp(ps->base_churn, 0.0, 0.999999)) / 365.0;
    const double wmot[2] = {1.0, p->moment_of_truth_weight};
    for (int k = 0; k < 2; k++) {
        /* A moment of truth counts as w ordinary interactions. */
        self->alpha_sat[k] = 1.0 - pow(1.0 - p->satisfaction_memory, wmot[k]);
        self->alpha_eff[k] = 1.0 - pow(1.0 - p->effort_memory, wmot[k]);
        self->alpha_up[k] = 1.0 - pow(1.0 - p->expectation_drift, wmot[k]);
        self->alpha_down[k] = 1.0 - pow(1.0 - p->expectation_fall, wmot[k]);
    }
    size_t n0 = (size_t)((ps->customers + nshards - 1 - shard) / nshards);
    if (cx_shard__reserve(self, n0 + n0 / 2 + 16) != 0) {
        cx_shard_destroy(&self);
        return NULL;
    }
    double days = cx_tick_days(sc->tick_unit);
    for (size_t j = 0; j < n0; j++) {
        s_init_customer(self, j, 0, 1, 0, sc->cx_owner, days, st);
    }
    self->n = n0;
    cx_tally_zero(&self->tally);
    return self;
}

void cx_shard_destroy(cx_shard_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    cx_shard_t *self = *self_p;
    free(self->next);
    free(self->c);
    free(self->due);
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        free(self->req[d]);
    }
    self->tag = 0xDEADBEEFu;
    free(self);
    *self_p = NULL;
}

/* Appends r to this tick's requests to department d. Returns 0, or -1. */
static int s_push(cx_shard_t *self, int d, const cx_request_t *r)
{
    if (self->req_n[d] == self->req_cap[d]) {
        size_t c = self->req_cap[d] ? self->req_cap[d] * 2 : 1024;
        if (s_grow((void **)&self->req[d], c, sizeof(cx_request_t)) != 0) {
            return -1;
        }
        self->req_cap[d] = c;
    }
    self->req[d][self->req_n[d]++] = *r;
    return 0;
}

/* Maturity of the touchpoint as the customer meets it. */
static double s_tp_maturity(const cx_shard_t *self, const cx_tickctx_t *ctx,
                            const cx_touchpoint_spec_t *tp)
{
    if (tp->owner < 0 || tp->owner >= self->sc->n_dept) {
        return 1.0;
    }
    double m_d = ctx->maturity[tp->owner];
    double m_it = self->it >= 0 ? cx_capability_it_maturity(ctx->maturity[self->it],
                                                            ctx->capacity_loss[self->it])
                                : m_d;
    return cx_capability_touchpoint_maturity(&self->sc->params, m_d, m_it, tp->it_dependence);
}

/* Updates customer j with an experience on six pillars (0..10) at
 * touchpoint tp (docs/MODEL.md, "Customers"). */
static void s_experience(cx_shard_t *self, size_t j, const cx_tickctx_t *ctx, int tpi,
                         double s[CX_PILLARS])
{
    const cx_params_t *p = &self->sc->params;
    const cx_touchpoint_spec_t *tp = &self->js->tp[tpi];
    double x = 0.0;
    for (int k = 0; k < CX_PILLARS; k++) {
        x += self->ps->weights[k] * s[k];
    }
    if (tp->purchase && ctx->price != 1.0) {
        /* Perceived value weighs quality against price (Zeithaml 1988): a
         * price above list lowers the experience of buying. */
        x -= p->price_value * self->ps->price_sensitivity * log(ctx->price);
        x = s_clamp(x, 0.0, 10.0);
    }
    int mot = tp->moment_of_truth ? 1 : 0;
    double e = self->c[j].expect;
    if (tp->no_pain && x < e) {
        x = e; /* the counterfactual of journey attribution: this touchpoint never disappoints */
    }
    double sat = self->c[j].sat;
    double dis = x - e;
    double tx = x + (dis > 0.0 ? p->ede_gain_positive * dis : p->ede_gain_negative * dis);
    tx = s_clamp(tx, 0.0, 10.0);
    double sat2 = sat + self->alpha_sat[mot] * (tx - sat);
    double te = x;
    if (ctx->cx_owner == CX_OWNER_MARKETING) {
        te += p->owner_marketing_expectation;
    }
    double e2 = e + (te > e ? self->alpha_up[mot] : self->alpha_down[mot]) * (te - e);
    double eff_tx = 10.0 - s[CX_PILLAR_TIME_EFFORT];
    double eff2 = self->c[j].effort + self->alpha_eff[mot] * (eff_tx - self->c[j].effort);
    double lt = s_clamp((sat2 - p->loyalty_floor) / (10.0 - p->loyalty_floor), 0.0, 1.0);
    double l2 = self->c[j].loyal + p->loyalty_speed * (lt - self->c[j].loyal);

    float fs = (float)s_clamp(sat2, 0.0, 10.0);
    float fe = (float)s_clamp(e2, 0.0, 10.0);
    float ff = (float)s_clamp(eff2, 0.0, 10.0);
    self->sat_sum += s_micro(fs) - s_micro(self->c[j].sat);
    self->exp_sum += s_micro(fe) - s_micro(self->c[j].expect);
    self->eff_sum += s_micro(ff) - s_micro(self->c[j].effort);
    self->c[j].sat = fs;
    self->c[j].expect = fe;
    self->c[j].effort = ff;
    self->c[j].loyal = (float)s_clamp(l2, 0.0, 1.0);

    cx_tp_tally_t *tt = &self->tally.tp[tpi];
    tt->interactions++;
    for (int k = 0; k < CX_PILLARS; k++) {
        tt->pillar_sum[k] += cx_round(s_clamp(s[k], 0.0, 10.0) * CX_SCORE_SCALE);
    }
    tt->experience_micro += cx_round(x * CX_MICRO);
    tt->pain += x < e;
    tt->delight += x >= e + CX_DELIGHT_MARGIN;
}

/* Ends the case at the current touchpoint of j: purchase, competitor pull
 * at a moment of truth, then on to the next touchpoint. Returns 1 when the
 * customer defected. */
static int s_finish(cx_shard_t *self, size_t j, const cx_tickctx_t *ctx, int resolved,
                    double end_day, uint32_t draw)
{
    const cx_params_t *p = &self->sc->params;
    uint32_t t = (uint32_t)ctx->tick;
    int tpi = self->c[j].pos;
    const cx_touchpoint_spec_t *tp = &self->js->tp[tpi];
    uint32_t w[4];
    cx_rng4k(self->key[CX_STREAM_JOURNEY], s_cid(self, j), t, draw, w);
    int cls = s_class_of(s_ltr(p, self->c[j].sat, 0.0));
    if (tp->purchase) {
        self->tally.demand++;
    }
    if (tp->purchase && resolved) {
        double accept = ctx->price > 1.0
                            ? pow(ctx->price, -p->price_elasticity * self->ps->price_sensitivity)
                            : 1.0;
        if (cx_u01(w[2]) < accept) {
            double v = self->ps->spend * ctx->price * (1.0 + p->spend_loyalty * self->c[j].loyal);
            int64_t cents = cx_round(v * 100.0);
            self->tally.purchases++;
            self->tally.revenue_cents += cents;
            self->stats.purchases[cls]++;
            self->stats.revenue_cents[cls] += cents;
            if (self->c[j].flags & S_REFERRED) {
                self->tally.referral_purchases++;
                self->c[j].flags &= (uint8_t)~S_REFERRED;
            }
        }
    }
    if (tp->moment_of_truth) {
        double pull =
            p->competitor_pull * s_clamp(p->churn_neutral_satisfaction - self->c[j].sat, 0.0, 1.0);
        if (cx_u01(w[3]) < pull) {
            self->stats.pulled++;
            s_churn(self, j);
            return 1;
        }
    }
    int nx = tpi + 1 < self->js->n_tp ? tpi + 1 : self->js->loop_to;
    self->c[j].pos = (uint8_t)nx;
    s_set_day(self, j, end_day + s_gap(self, nx, w[0]), t, ctx->days);
    return 0;
}

/* An external touchpoint (a friend, a comparison site): scored from the
 * company's reputation, served locally, always "resolved". */
static void s_external(cx_shard_t *self, size_t j, const cx_tickctx_t *ctx, uint32_t draw)
{
    const cx_params_t *p = &self->sc->params;
    uint32_t w[4];
    cx_rng4k(self->key[CX_STREAM_EXTERNAL], s_cid(self, j), (uint32_t)ctx->tick, draw, w);
    double mean = p->external_quality + p->reputation_external * ctx->reputation / 100.0 +
                  self->js->tp[self->c[j].pos].quality;
    double a = sqrt(p->pillar_correlation);
    double b = sqrt(1.0 - p->pillar_correlation);
    double z0 = cx_tri16(w[0]);
    const uint32_t zw[CX_PILLARS] = {w[0] >> 16, w[1], w[1] >> 16, w[2], w[2] >> 16, w[3]};
    double s[CX_PILLARS];
    for (int k = 0; k < CX_PILLARS; k++) {
        s[k] = s_clamp(mean + p->external_spread * (a * z0 + b * cx_tri16(zw[k])), 0.0, 10.0);
        /* Scores are perceived at wire precision everywhere. */
        s[k] = (double)cx_round(s[k] * CX_SCORE_SCALE) / CX_SCORE_SCALE;
    }
    s_experience(self, j, ctx, self->c[j].pos, s);
}

/* Customer j passes the touchpoints due before the end of tick t, in
 * order, until it asks a department for service (one request at a time) or
 * its next touchpoint lies beyond the tick. A pending hand-off goes out
 * first. Returns 0, or -1 on out of memory. */
static int s_step(cx_shard_t *self, size_t j, const cx_tickctx_t *ctx, double avoid)
{
    uint32_t t = (uint32_t)ctx->tick;
    double days = ctx->days;
    uint64_t cid = s_cid(self, j);
    if (self->c[j].flags & S_PENDING) {
        uint8_t fl =
            (uint8_t)(CX_REQ_HANDOFF | ((self->c[j].flags & S_LOST) ? CX_REQ_CONTEXT_LOST : 0));
        cx_request_t r = {cid, t, (uint8_t)self->journey, self->c[j].pos, fl, self->c[j].hfrom};
        self->c[j].flags = (uint8_t)((self->c[j].flags & ~(S_PENDING | S_LOST)) | S_INFLIGHT);
        self->c[j].tp_tick = S_NEVER;
        return s_push(self, self->c[j].hto, &r);
    }
    double tick_end = (double)(t + 1) * days;
    for (uint32_t k = 0; k < S_MAX_STEPS; k++) {
        double day = self->c[j].tp_day;
        if (day >= tick_end) {
            break;
        }
        int tpi = self->c[j].pos;
        const cx_touchpoint_spec_t *tp = &self->js->tp[tpi];
        uint32_t w[4];
        cx_rng4k(self->key[CX_STREAM_JOURNEY], cid, t, S_DRAW_STEP + k, w);
        double prob = tp->probability * (tp->avoidable ? avoid : 1.0);
        if (cx_u01(w[0]) >= prob) {
            int nx = tpi + 1 < self->js->n_tp ? tpi + 1 : self->js->loop_to;
            self->c[j].pos = (uint8_t)nx;
            self->c[j].tp_day = (float)(day + s_gap(self, nx, w[1]));
            continue;
        }
        if (tp->owner < 0 || tp->owner >= self->sc->n_dept) {
            s_advance(self, j, t, days);
            self->c[j].case_start = t;
            s_external(self, j, ctx, k);
            if (s_finish(self, j, ctx, 1, day, S_DRAW_FINISH + k)) {
                return 0;
            }
            continue;
        }
        cx_request_t r = {cid, t, (uint8_t)self->journey, (uint8_t)tpi, 0, CX_NO_DEPT};
        self->c[j].case_start = t;
        self->c[j].flags |= S_INFLIGHT;
        self->c[j].tp_tick = S_NEVER;
        return s_push(self, tp->owner, &r);
    }
    s_set_day(self, j, self->c[j].tp_day, t, days);
    return 0;
}

/* Customer j answers a survey at tick t. */
static void s_survey(cx_shard_t *self, size_t j, uint32_t t)
{
    const cx_params_t *p = &self->sc->params;
    uint64_t cid = s_cid(self, j);
    uint32_t w[4];
    cx_rng4k(self->key[CX_STREAM_SURVEY], cid, t, 0, w);
    double sat = self->c[j].sat;
    int ltr = s_ltr(p, sat, cx_tri(w[0]));
    int cls = cx_kpi_nps_class(ltr);
    self->tally.respondents++;
    self->tally.promoters += cls > 0;
    self->tally.passives += cls == 0;
    self->tally.detractors += cls < 0;
    int csat = cx_round_in(1.0 + p->csat_slope * sat + p->csat_noise * cx_tri16(w[1]), 1.0, 5.0);
    self->tally.satisfied += csat >= p->satisfied_threshold;
    /* CES: effort 0..10 read on the 10 (excellent) .. 1 (bad) scale. */
    int ces = cx_round_in(10.0 - 0.9 * self->c[j].effort + p->ces_noise * cx_tri16(w[1] >> 16), 1.0,
                          10.0);
    self->tally.effort_sum += ces;
    int loyalty =
        cx_round_in(1.0 + 9.0 * self->c[j].loyal + p->loyalty_noise * cx_tri(w[2]), 1.0, 10.0);
    self->tally.loyalty_points += loyalty - 1; /* scored (a - 1) x 100 / 9 in the row */
    uint32_t g = s_survey_gap(p, w[3]);
    self->c[j].survey = g == S_NEVER ? S_NEVER : t + g;
}

/* Factor on avoidable contacts: product quality removes them at source. */
static double s_avoid_factor(const cx_shard_t *self, const cx_tickctx_t *ctx)
{
    const cx_params_t *p = &self->sc->params;
    double f = 1.0;
    if (self->product >= 0) {
        f *= 1.0 - p->product_avoid_maturity * (ctx->maturity[self->product] - 1.0) / 4.0;
    }
    if (ctx->cx_owner == CX_OWNER_PRODUCT) {
        f *= 1.0 - p->owner_product_avoid;
    }
    return s_clamp(f, 0.0, 1.0);
}

/* Company-wide shocks reach every customer at once: a price change
 * re-rates every hazard; a policy change hits satisfaction and makes some
 * dissatisfied customers leave at once. */
static void s_global(cx_shard_t *self, const cx_tickctx_t *ctx)
{
    const cx_params_t *p = &self->sc->params;
    uint32_t t = (uint32_t)ctx->tick;
    int price_changed = ctx->price != self->price_seen;
    double shock = s_clamp(ctx->policy_shock, 0.0, 1.0);
    if (!price_changed && shock <= 0.0) {
        return;
    }
    self->price_seen = ctx->price;
    self->price_factor = pow(ctx->price, p->price_churn * self->ps->price_sensitivity);
    for (size_t j = 0; j < self->n; j++) {
        if (!(self->c[j].flags & S_ACTIVE)) {
            continue;
        }
        s_advance(self, j, t, ctx->days);
        if (shock > 0.0) {
            float s2 = (float)s_clamp(self->c[j].sat - p->policy_satisfaction * shock, 0.0, 10.0);
            self->sat_sum += s_micro(s2) - s_micro(self->c[j].sat);
            self->c[j].sat = s2;
            uint32_t w[4];
            cx_rng4k(self->key[CX_STREAM_CHURN], s_cid(self, j), t, 0, w);
            double pr =
                p->policy_churn * shock * s_clamp(p->churn_neutral_satisfaction - s2, 0.0, 1.0);
            if (!(self->c[j].flags & S_INFLIGHT) && cx_u01(w[0]) < pr) {
                s_churn(self, j);
                continue;
            }
        }
        self->c[j].hz = (float)s_hazard(self, j);
        s_schedule(self, j, t, ctx->days);
    }
}

int cx_shard_begin_tick(cx_shard_t *self, const cx_tickctx_t *ctx)
{
    uint32_t t = (uint32_t)ctx->tick;
    double days = ctx->days;
    cx_tally_zero(&self->tally);
    self->tally.journey = self->journey;
    self->tally.n_tp = self->js->n_tp;
    self->tally.customers_start = self->active;
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        self->req_n[d] = 0;
    }
    s_global(self, ctx);

    /* Who is due: branch-free scan of next[]. */
    size_t nd = 0;
    const uint32_t *next = self->next;
    uint32_t *due = self->due;
    for (size_t j = 0; j < self->n; j++) {
        due[nd] = (uint32_t)j;
        nd += next[j] <= t;
    }
    double avoid = s_avoid_factor(self, ctx);
    int rc = 0;
    for (size_t k = 0; k < nd; k++) {
        size_t j = due[k];
        if (k + S_AHEAD < nd) {
            CX_PREFETCH(&self->c[due[k + S_AHEAD]]);
        }
        /* The lazy state is brought up to date only where it changes: a
         * survey or a skipped touchpoint reads it and leaves it alone. */
        if (!(self->c[j].flags & S_INFLIGHT) && s_left(self, j, t, days) <= 0.0) {
            s_advance(self, j, t, days);
            s_churn(self, j);
            continue;
        }
        if (self->c[j].survey <= t) {
            s_survey(self, j, t);
        }
        if (self->c[j].tp_tick <= t && !(self->c[j].flags & S_INFLIGHT)) {
            if (s_step(self, j, ctx, avoid) != 0) {
                rc = -1;
            }
        }
        if (self->c[j].flags & S_ACTIVE) {
            if (self->c[j].last == t) {
                self->c[j].hz = (float)s_hazard(self, j);
            }
            s_schedule(self, j, t, days);
        }
    }

    /* New customers of this shard: local index l lives at l / nshards. */
    int64_t count = ctx->acquire_count[self->persona];
    /* More new customers in one tick than 2^20 or four times the persona's
     * starting base only comes from a corrupt tick context: ignored, since
     * honouring it could exhaust memory. */
    int64_t cap = 4 * self->sc->persona[self->persona].customers;
    if (count > (cap > (INT64_C(1) << 20) ? cap : (INT64_C(1) << 20))) {
        count = 0;
    }
    if (count > 0) {
        int64_t first = ctx->acquire_first[self->persona];
        int64_t referred = cx_company_referred(ctx, self->persona);
        int64_t lo =
            first + ((self->shard - first % self->nshards) + self->nshards) % self->nshards;
        for (int64_t l = lo; l < first + count; l += self->nshards) {
            size_t j = (size_t)(l / self->nshards);
            if (j < self->n) {
                continue; /* already held: a repeated tick context */
            }
            if (j > self->n) {
                /* A gap in the indexes: only a corrupt tick context can ask for
                 * one, and honouring it could mean allocating for billions of
                 * customers. New customers always follow the last one held. */
                break;
            }
            if (cx_shard__reserve(self, j + 1) != 0) {
                return -1;
            }
            s_init_customer(self, j, t, 0, l - first < referred, ctx->cx_owner, days, NULL);
            self->n = j + 1;
            self->tally.acquired++;
        }
    }
    return rc;
}

double cx_shard_hazard_sum(const cx_shard_t *self)
{
    double sum = 0.0;
    for (size_t j = 0; j < self->n; j++) {
        if ((self->c[j].flags & S_ACTIVE) && !(self->c[j].flags & S_INFLIGHT)) {
            sum += (double)self->c[j].hz;
        }
    }
    return sum;
}

int cx_shard_sample(const cx_shard_t *self, uint32_t t, double days, cx_steady_customer_t *out,
                    int cap)
{
    if (self->active <= 0 || cap <= 0) {
        return 0;
    }
    /* Every k-th active customer, evenly over the whole base. */
    size_t step = (size_t)((self->active + cap - 1) / cap);
    int n = 0;
    size_t seen = 0;
    for (size_t j = 0; j < self->n && n < cap; j++) {
        if (!(self->c[j].flags & S_ACTIVE)) {
            continue;
        }
        if (seen++ % step == 0) {
            out[n].sat = self->c[j].sat;
            out[n].expect = self->c[j].expect;
            out[n].effort = self->c[j].effort;
            out[n].loyal = self->c[j].loyal;
            out[n].pos = self->c[j].pos;
            out[n].handoff = 0;
            out[n].hto = CX_NO_DEPT;
            out[n].hfrom = CX_NO_DEPT;
            out[n].days_left = 0.0f;
            uint8_t fl = self->c[j].flags;
            if (fl & S_PENDING) {
                out[n].handoff = (fl & S_LOST) ? 2 : 1;
                out[n].hto = self->c[j].hto;
                out[n].hfrom = self->c[j].hfrom;
            } else if (!(fl & S_INFLIGHT)) {
                /* Negative for a customer behind its own clock (one
                 * department request a tick): it keeps catching up. */
                out[n].days_left = (float)((double)self->c[j].tp_day - (double)t * days);
            }
            n++;
        }
    }
    return n;
}

const cx_request_t *cx_shard_requests(const cx_shard_t *self, int dept, size_t *n)
{
    if (dept < 0 || dept >= CX_MAX_DEPTS) {
        *n = 0;
        return NULL;
    }
    *n = self->req_n[dept];
    return self->req[dept];
}

size_t cx_shard_apply_outcomes(cx_shard_t *self, const cx_tickctx_t *ctx, const cx_outcome_t *o,
                               size_t n)
{
    const cx_params_t *p = &self->sc->params;
    uint32_t t = (uint32_t)ctx->tick;
    double days = ctx->days;
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        const cx_outcome_t *oc = &o[i];
        if (i + S_AHEAD < n) {
            size_t ja = (size_t)(CX_CID_LOCAL(o[i + S_AHEAD].cid) / self->nshards);
            if (ja < self->n) {
                CX_PREFETCH(&self->c[ja]);
                CX_PREFETCH(&self->next[ja]);
            }
        }
        int64_t local = CX_CID_LOCAL(oc->cid);
        size_t j = (size_t)(local / self->nshards);
        if (CX_CID_PERSONA(oc->cid) != self->persona || local % self->nshards != self->shard ||
            j >= self->n || !(self->c[j].flags & S_INFLIGHT) || oc->journey != self->journey ||
            oc->tp != self->c[j].pos || oc->dept >= self->sc->n_dept) {
            skipped++;
            continue;
        }
        s_advance(self, j, t, days);
        const cx_touchpoint_spec_t *tp = &self->js->tp[oc->tp];
        double s[CX_PILLARS];
        for (int k = 0; k < CX_PILLARS; k++) {
            s[k] = s_clamp((double)oc->pillar[k] / CX_SCORE_SCALE, 0.0, 10.0);
        }
        if (!(oc->flags & CX_OUT_ABANDONED)) {
            /* Channel fit: a preferred channel is easier, a disliked one
             * harder, less so as maturity lets customers choose. */
            double c = self->ps->channel_pref[tp->channel < CX_CHANNEL_COUNT ? tp->channel : 0];
            double omni = (s_tp_maturity(self, ctx, tp) - 1.0) / 4.0;
            double adj = p->channel_effort * (c - 0.5) * (1.0 - omni);
            s[CX_PILLAR_TIME_EFFORT] = s_clamp(s[CX_PILLAR_TIME_EFFORT] + adj, 0.0, 10.0);
            s[CX_PILLAR_TIME_EFFORT] =
                (double)cx_round(s[CX_PILLAR_TIME_EFFORT] * CX_SCORE_SCALE) / CX_SCORE_SCALE;
            self->tally.interactions++;
        }
        s_experience(self, j, ctx, oc->tp, s);
        cx_tp_tally_t *tt = &self->tally.tp[oc->tp];
        int abandoned = (oc->flags & CX_OUT_ABANDONED) != 0;
        tt->abandoned += abandoned;
        tt->waited += (oc->wait > 0) & !abandoned;
        self->c[j].flags &= (uint8_t)~S_INFLIGHT;
        int resolved = (oc->flags & CX_OUT_RESOLVED) != 0;
        if (resolved) {
            self->tally.resolved++;
            double dd = (double)(t - self->c[j].case_start) * days + p->handling_days;
            self->tally.resolution_days_micro += cx_round(dd * CX_MICRO);
        }
        /* The case ends after the wait at this department, on the
         * customer's own clock (tp_day holds the day it began). */
        double end_day = (double)self->c[j].tp_day + (double)oc->wait * days;
        if ((oc->flags & CX_OUT_HANDOFF) && !resolved && oc->handoff_to < self->sc->n_dept) {
            self->tally.handoffs++;
            self->c[j].hto = oc->handoff_to;
            self->c[j].hfrom = oc->dept;
            self->c[j].flags |= S_PENDING;
            if (oc->flags & CX_OUT_HANDOFF_FAILED) {
                self->tally.failed_handoffs++;
                tt->failed_handoffs++;
                self->c[j].flags |= S_LOST;
            }
            self->c[j].tp_tick = t + 1;
        } else if (s_finish(self, j, ctx, resolved, end_day, S_DRAW_OUTCOME)) {
            continue;
        }
        self->c[j].hz = (float)s_hazard(self, j);
        s_schedule(self, j, t, days);
    }
    return skipped;
}

void cx_shard_end_tick(cx_shard_t *self, const cx_tickctx_t *ctx, cx_tally_t *tally)
{
    (void)ctx;
    self->tally.customers_end = self->active;
    self->tally.satisfaction_micro = self->sat_sum;
    self->tally.expectation_micro = self->exp_sum;
    self->tally.effort_micro = self->eff_sum;
    *tally = self->tally;
}
