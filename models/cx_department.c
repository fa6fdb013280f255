/*  cx_department — a department serving its touchpoints.
 *
 *  One tick (cx_dept_serve):
 *    1. check the new requests against the scenario, sort them by customer
 *       id (LSD radix sort: deterministic whatever the arrival order);
 *    2. append them to the FIFO backlog, each with a patience deadline;
 *    3. spend the tick's capacity (staff x service rate x days x maturity
 *       multiplier x (1 - outage)) on the backlog in order; a request not
 *       served by its deadline is abandoned;
 *    4. score each served request on the six pillars at the touchpoint's
 *       maturity, decide resolution and hand-off;
 *    5. move employee engagement toward its target (maturity, overload,
 *       change fatigue).
 *  Every draw is keyed by (seed, customer id, tick, department). */
#include "cx_department.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cx_capability.h"
#include "cx_kpi.h"
#include "cx_rng.h"
#include "cx_util.h"

#define S_TAG 0xCD1E0001u
#define S_SNAP_MAGIC 0x43584450u /* "CXDP" */
#define S_SNAP_VERSION 1u
#define S_UNSET UINT32_MAX /* deadline not drawn yet */

/* One request waiting in the backlog. */
typedef struct {
    cx_request_t req;  /* the request as received */
    uint32_t deadline; /* last tick the customer waits; abandoned after it */
    float work;        /* staff work units it needs (1 = fully manual) */
} s_entry_t;

struct cx_dept {
    uint32_t tag;            /* S_TAG while alive */
    const cx_scenario_t *sc; /* scenario (not owned) */
    int index;               /* this department's index */
    int it;                  /* IT department index, or -1 */
    int product;             /* product department index, or -1 */
    double engagement;       /* employee engagement now, 0..100 */
    double debt;             /* work units overrun last tick (<= 0), carried */
    s_entry_t *q;            /* backlog, in (arrival, cid) order */
    size_t q_n;              /* entries in q */
    size_t q_cap;            /* allocated entries in q */
    s_entry_t *q2;           /* second backlog buffer, swapped each tick */
    size_t q2_cap;           /* allocated entries in q2 */
    cx_request_t *sorted;    /* this tick's valid requests, sorted */
    cx_request_t *tmp;       /* radix sort scratch */
    size_t sort_cap;         /* allocated entries in sorted */
    size_t tmp_cap;          /* allocated entries in tmp */
    cx_outcome_t *out;       /* this tick's outcomes */
    size_t out_cap;          /* allocated entries in out */
    cx_rng_key_t key;        /* Philox key of the service stream */
    cx_rng_key_t survey_key; /* Philox key of the employee survey (department stream) */
    uint64_t serial;         /* cx_dept_serve calls so far, stamps the cache */
    uint64_t stamp[CX_MAX_JOURNEYS][CX_MAX_TOUCHPOINTS]; /* serial of each entry */
    cx_capability_t cap[CX_MAX_JOURNEYS]
                       [CX_MAX_TOUCHPOINTS];          /* this tick's profile per touchpoint */
    double work[CX_MAX_JOURNEYS][CX_MAX_TOUCHPOINTS]; /* this tick's work per request */
};

#define s_clamp cx_clampd

/* Grows *buf to hold at least n elements of size sz. Returns 0 or -1. */
static int s_reserve(void **buf, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap) {
        return 0;
    }
    size_t c = *cap ? *cap : 1024;
    while (c < n) {
        c *= 2;
    }
    void *p = realloc(*buf, c * sz);
    if (!p) {
        return -1;
    }
    *buf = p;
    *cap = c;
    return 0;
}

cx_dept_t *cx_dept_new(const cx_scenario_t *sc, const cx_steady_t *st, int dept_index)
{
    if (!sc || dept_index < 0 || dept_index >= sc->n_dept) {
        return NULL;
    }
    cx_dept_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    self->tag = S_TAG;
    self->sc = sc;
    self->index = dept_index;
    self->it = cx_scenario_dept_of_kind(sc, CX_DEPT_IT);
    self->product = cx_scenario_dept_of_kind(sc, CX_DEPT_PRODUCT);
    self->engagement = st ? st->engagement[dept_index] : sc->dept[dept_index].engagement;
    self->key = cx_rng_key(sc->seed, CX_STREAM_SERVICE);
    self->survey_key = cx_rng_key(sc->seed, CX_STREAM_DEPT);
    return self;
}

void cx_dept_destroy(cx_dept_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    cx_dept_t *self = *self_p;
    free(self->q);
    free(self->q2);
    free(self->sorted);
    free(self->tmp);
    free(self->out);
    self->tag = 0xDEADBEEFu;
    free(self);
    *self_p = NULL;
}

/* Stable LSD radix sort by customer id, one byte per pass, skipping bytes
 * that are the same in every key (most of them: ids are dense). */
static void s_sort(cx_request_t *a, cx_request_t *tmp, size_t n)
{
    if (n < 2) {
        return;
    }
    uint64_t any = 0;
    uint64_t all = ~UINT64_C(0);
    for (size_t i = 0; i < n; i++) {
        any |= a[i].cid;
        all &= a[i].cid;
    }
    uint64_t varying = any ^ all;
    cx_request_t *src = a;
    cx_request_t *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        if (((varying >> shift) & 0xFF) == 0) {
            continue;
        }
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++) {
            count[(src[i].cid >> shift) & 0xFF]++;
        }
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            dst[count[(src[i].cid >> shift) & 0xFF]++] = src[i];
        }
        cx_request_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) {
        memcpy(a, src, n * sizeof *a);
    }
}

/* Whether request r fits the scenario and this department. A request is
 * always made in the tick it is sent: another arrival tick is refused. */
static int s_valid(const cx_dept_t *self, const cx_request_t *r, int32_t tick)
{
    const cx_scenario_t *sc = self->sc;
    if ((int64_t)r->arrival != (int64_t)tick) {
        return 0;
    }
    int persona = CX_CID_PERSONA(r->cid);
    if (persona < 0 || persona >= sc->n_persona || r->journey != sc->persona[persona].journey ||
        r->journey >= sc->n_journey) {
        return 0;
    }
    const cx_journey_spec_t *j = &sc->journey[r->journey];
    if (r->tp >= j->n_tp) {
        return 0;
    }
    const cx_touchpoint_spec_t *tp = &j->tp[r->tp];
    if (!(r->flags & CX_REQ_HANDOFF)) {
        return tp->owner == self->index;
    }
    if (r->from >= sc->n_dept) {
        return 0;
    }
    for (int h = 0; h < tp->n_handoff; h++) {
        if (tp->handoff[h] == self->index) {
            return 1;
        }
    }
    return 0;
}

/* Maturity of touchpoint tp as served by this department now. */
static double s_tp_maturity(const cx_dept_t *self, const cx_tickctx_t *ctx,
                            const cx_touchpoint_spec_t *tp)
{
    double m_d = ctx->maturity[self->index];
    double m_it = self->it >= 0 ? cx_capability_it_maturity(ctx->maturity[self->it],
                                                            ctx->capacity_loss[self->it])
                                : m_d;
    return cx_capability_touchpoint_maturity(&self->sc->params, m_d, m_it, tp->it_dependence);
}

/* Chance an interaction at tp fails outright because IT is down (the
 * site, the tools): outage x IT dependence x outage_failure. */
static double s_outage_failure(const cx_dept_t *self, const cx_tickctx_t *ctx,
                               const cx_touchpoint_spec_t *tp)
{
    if (self->it < 0) {
        return 0.0;
    }
    double o = s_clamp(ctx->capacity_loss[self->it], 0.0, 1.0);
    return o * s_clamp(tp->it_dependence, 0.0, 1.0) * self->sc->params.outage_failure;
}

/* Staff work a request at tp needs: IT automates part of the
 * technology-dependent share (self-service, tooling). */
static double s_work(const cx_dept_t *self, const cx_tickctx_t *ctx, const cx_touchpoint_spec_t *tp)
{
    double m_it = self->it >= 0 ? cx_capability_it_maturity(ctx->maturity[self->it],
                                                            ctx->capacity_loss[self->it])
                                : ctx->maturity[self->index];
    double autom =
        cx_capability_lerp(self->sc->params.automation_low, self->sc->params.automation_high, m_it);
    return 1.0 - autom * s_clamp(tp->it_dependence, 0.0, 1.0);
}

/* A score 0..10 as it travels: round(score x 20), clamped to 0..200. */
static uint8_t s_wire(double score)
{
    return (uint8_t)cx_round(s_clamp(score, 0.0, 10.0) * CX_SCORE_SCALE);
}

/* Next department an unresolved case at tp goes to, or -1: the first
 * target for a fresh case, the one after this department for a case that
 * was already handed over. */
static int s_next_target(const cx_dept_t *self, const cx_touchpoint_spec_t *tp,
                         const cx_request_t *r)
{
    int start = 0;
    if (r->flags & CX_REQ_HANDOFF) {
        start = tp->n_handoff;
        for (int h = 0; h < tp->n_handoff; h++) {
            if (tp->handoff[h] == self->index) {
                start = h + 1;
                break;
            }
        }
    }
    for (int h = start; h < tp->n_handoff; h++) {
        int t = tp->handoff[h];
        if (t != self->index && t >= 0 && t < self->sc->n_dept) {
            return t;
        }
    }
    return -1;
}

/* Last tick customer r waits before giving up: an exponential patience of
 * mean patience_days, drawn once, keyed by its arrival. */
static uint32_t s_deadline(const cx_dept_t *self, const cx_request_t *r, double days)
{
    uint32_t w[4];
    cx_rng4k(self->key, r->cid, r->arrival, (uint32_t)self->index * 4u, w);
    double patience = -log(cx_u01(w[0])) * self->sc->params.patience_days / days;
    double extra = (double)cx_floor_pos(s_clamp(patience, 0.0, 1e6));
    return r->arrival + (uint32_t)extra;
}

/* The capability profile of touchpoint (journey, tp) this tick, and the
 * work one request there needs: computed once per touchpoint and tick. */
static const cx_capability_t *s_tp_cap(cx_dept_t *self, const cx_tickctx_t *ctx, int journey,
                                       int tpi, double *work)
{
    if (self->stamp[journey][tpi] != self->serial) {
        const cx_touchpoint_spec_t *tp = &self->sc->journey[journey].tp[tpi];
        cx_capability_of(&self->sc->params, s_tp_maturity(self, ctx, tp), &self->cap[journey][tpi]);
        self->work[journey][tpi] = s_work(self, ctx, tp);
        self->stamp[journey][tpi] = self->serial;
    }
    if (work) {
        *work = self->work[journey][tpi];
    }
    return &self->cap[journey][tpi];
}

/* Scores one served request (docs/MODEL.md, "Service encounter"). */
static void s_serve_one(cx_dept_t *self, const cx_tickctx_t *ctx, const s_entry_t *e, double misfit,
                        cx_outcome_t *o)
{
    const cx_scenario_t *sc = self->sc;
    const cx_params_t *p = &sc->params;
    const cx_request_t *r = &e->req;
    const cx_touchpoint_spec_t *tp = &sc->journey[r->journey].tp[r->tp];
    const cx_capability_t cap = *s_tp_cap(self, ctx, r->journey, r->tp, NULL);

    double e_dev = (self->engagement - 50.0) / 50.0;
    int lost = (r->flags & CX_REQ_HANDOFF) && (r->flags & CX_REQ_CONTEXT_LOST);
    int owner = ctx->cx_owner;
    double p_res = cap.fcr + p->engagement_resolution * e_dev;
    if (owner == CX_OWNER_CUSTOMER_SERVICE) {
        p_res += p->owner_cs_resolution;
    }
    if (lost) {
        p_res -= p->context_lost_resolution;
    }
    p_res *= 1.0 - s_outage_failure(self, ctx, tp);
    p_res = s_clamp(p_res, 0.0, 1.0);

    /* One draw serves the whole encounter: the common and six pillar
     * deviates at 16 bits each and the resolution uniform. */
    uint32_t w[4];
    uint32_t draw = (uint32_t)self->index * 4u;
    cx_rng4k(self->key, r->cid, (uint32_t)ctx->tick, draw + 1, w);
    int resolved = cx_u16(w[3]) < p_res;

    double wait_days = (double)(uint32_t)(ctx->tick - (int32_t)r->arrival) * ctx->days;
    /* A governance that does not fit the organisation's maturity serves
     * less well: direction missing at low maturity, slowness at high. */
    double q = cap.quality - p->gov_quality * misfit;
    double mean[CX_PILLARS];
    mean[CX_PILLAR_INTEGRITY] = q;
    mean[CX_PILLAR_RESOLUTION] = resolved ? q + p->resolution_bonus : q - p->resolution_penalty;
    /* Whether the product meets its promise is the product department's
     * work wherever the customer meets the company (seed 004: product fixes
     * problems at their source): product_reach of the Expectations pillar
     * comes from the product's quality. */
    mean[CX_PILLAR_EXPECTATIONS] = q;
    if (self->product >= 0) {
        double qp = cx_capability_lerp(p->quality_low, p->quality_high,
                                       ctx->maturity[self->product]) -
                    p->gov_quality * misfit;
        mean[CX_PILLAR_EXPECTATIONS] = q + p->product_reach * (qp - q);
    }
    mean[CX_PILLAR_TIME_EFFORT] = q - p->wait_effort * wait_days;
    mean[CX_PILLAR_PERSONALISATION] = cap.personalisation;
    mean[CX_PILLAR_EMPATHY] = q + p->engagement_empathy * e_dev;
    if (lost) {
        mean[CX_PILLAR_TIME_EFFORT] -= p->handoff_effort;
        mean[CX_PILLAR_EMPATHY] -= p->handoff_empathy;
    }
    if (tp->avoidable) {
        /* A contact caused by a defect: having to call at all is effort,
         * and the defect fell short of what was promised. */
        mean[CX_PILLAR_TIME_EFFORT] -= p->avoidable_effort;
        mean[CX_PILLAR_EXPECTATIONS] -= p->avoidable_expectation;
    }
    if (owner == CX_OWNER_CUSTOMER_SERVICE) {
        mean[CX_PILLAR_TIME_EFFORT] += p->owner_cs_effort;
    }
    if (owner == CX_OWNER_MARKETING) {
        mean[CX_PILLAR_PERSONALISATION] += p->owner_marketing_personalisation;
    }
    double a = sqrt(p->pillar_correlation);
    double b = sqrt(1.0 - p->pillar_correlation);
    double z0 = cx_tri16(w[0]);
    const uint32_t zw[CX_PILLARS] = {w[0] >> 16, w[1], w[1] >> 16, w[2], w[2] >> 16, w[3]};

    memset(o, 0, sizeof *o);
    o->cid = r->cid;
    o->wait = (uint32_t)(ctx->tick - (int32_t)r->arrival);
    o->journey = r->journey;
    o->tp = r->tp;
    o->dept = (uint8_t)self->index;
    o->handoff_to = CX_NO_DEPT;
    /* The touchpoint's own offset (touchpoints[].quality): a planted pain
     * point or a counterfactual improvement of one touchpoint. */
    for (int k = 0; k < CX_PILLARS; k++) {
        o->pillar[k] = s_wire(mean[k] + tp->quality + cap.spread * (a * z0 + b * cx_tri16(zw[k])));
    }
    if (resolved) {
        o->flags = CX_OUT_RESOLVED;
        return;
    }
    int target = s_next_target(self, tp, r);
    if (target < 0) {
        return;
    }
    /* Silos: the weaker side of the hand-off sets its quality; a poorly
     * fitting governance loses more; a CX team recovers part of it. */
    double m_low = ctx->maturity[self->index] < ctx->maturity[target] ? ctx->maturity[self->index]
                                                                      : ctx->maturity[target];
    double ok = cx_capability_lerp(p->handoff_low, p->handoff_high, m_low);
    ok *= 1.0 - p->gov_handoff * misfit;
    double fail = 1.0 - ok;
    if (owner != CX_OWNER_NONE) {
        fail *= 1.0 - p->owner_any_silo;
    }
    if (owner == CX_OWNER_CX_TEAM) {
        fail *= 1.0 - p->owner_cxteam_silo;
    }
    uint32_t w3[4];
    cx_rng4k(self->key, r->cid, (uint32_t)ctx->tick, draw + 3, w3);
    o->flags = CX_OUT_HANDOFF;
    o->handoff_to = (uint8_t)target;
    if (cx_u01(w3[0]) < fail) {
        o->flags |= CX_OUT_HANDOFF_FAILED;
    }
}

/* The outcome of a customer who gave up waiting: no service, four pillars
 * below quality, no resolution, effort from the wait. */
static void s_abandon_one(cx_dept_t *self, const cx_tickctx_t *ctx, const s_entry_t *e,
                          cx_outcome_t *o)
{
    const cx_params_t *p = &self->sc->params;
    const cx_request_t *r = &e->req;
    const cx_capability_t cap = *s_tp_cap(self, ctx, r->journey, r->tp, NULL);
    double wait_days = (double)(uint32_t)(ctx->tick - (int32_t)r->arrival) * ctx->days;
    double low = cap.quality - p->abandon_penalty;
    memset(o, 0, sizeof *o);
    o->cid = r->cid;
    o->wait = (uint32_t)(ctx->tick - (int32_t)r->arrival);
    o->journey = r->journey;
    o->tp = r->tp;
    o->flags = CX_OUT_ABANDONED;
    o->handoff_to = CX_NO_DEPT;
    o->dept = (uint8_t)self->index;
    /* Giving up is effort too (the customer must try again), on top of
     * the wait; a contact caused by a defect carries its penalty as when
     * served. */
    const cx_touchpoint_spec_t *tp = &self->sc->journey[r->journey].tp[r->tp];
    double avoid_eff = tp->avoidable ? p->avoidable_effort : 0.0;
    double avoid_exp = tp->avoidable ? p->avoidable_expectation : 0.0;
    o->pillar[CX_PILLAR_INTEGRITY] = s_wire(low);
    o->pillar[CX_PILLAR_RESOLUTION] = 0;
    o->pillar[CX_PILLAR_EXPECTATIONS] = s_wire(low - avoid_exp);
    o->pillar[CX_PILLAR_TIME_EFFORT] =
        s_wire(cap.quality - p->abandon_penalty - p->wait_effort * wait_days - avoid_eff);
    o->pillar[CX_PILLAR_PERSONALISATION] = s_wire(cap.personalisation - p->abandon_penalty);
    o->pillar[CX_PILLAR_EMPATHY] = s_wire(low);
}

/* The employee engagement survey of the tick (seed 001), a pulse survey:
 * up to S_PULSE employees answer employee_questions questions on 1..10
 * around 1 + 9 E / 100; answers score by cx_kpi_engagement_points. */
#define S_PULSE 50
static void s_survey(const cx_dept_t *self, const cx_tickctx_t *ctx, cx_dept_stats_t *stats)
{
    const cx_params_t *p = &self->sc->params;
    int employees = (int)cx_round(s_clamp(ctx->staff[self->index], 1.0, S_PULSE));
    int questions = (int)cx_round(s_clamp(p->employee_questions, 1.0, 20.0));
    double mean = 1.0 + 9.0 * self->engagement / 100.0;
    int64_t points = 0;
    int64_t answers = 0;
    for (int e = 0; e < employees; e++) {
        uint64_t id = ((uint64_t)self->index << 32) | (uint64_t)e;
        for (int q = 0; q < questions; q += 8) {
            uint32_t w[4];
            cx_rng4k(self->survey_key, id, (uint32_t)ctx->tick, (uint32_t)q, w);
            for (int k = 0; k < 8 && q + k < questions; k++) {
                uint32_t half = (k & 1) ? w[k / 2] >> 16 : w[k / 2];
                int a = cx_round_in(mean + p->employee_noise * cx_tri16(half), 1.0, 10.0);
                points += cx_kpi_engagement_points(a);
                answers++;
            }
        }
    }
    stats->survey_points = (double)points;
    stats->survey_answers = (double)answers;
}

int cx_dept_serve(cx_dept_t *self, const cx_tickctx_t *ctx, const cx_request_t *req, size_t n,
                  const cx_outcome_t **out, size_t *n_out, cx_dept_stats_t *stats, size_t *rejected)
{
    const cx_scenario_t *sc = self->sc;
    const cx_params_t *p = &sc->params;
    size_t rej = 0;
    self->serial++;
    *n_out = 0;
    *out = self->out;
    memset(stats, 0, sizeof *stats);
    if (rejected) {
        *rejected = 0;
    }
    if (s_reserve((void **)&self->sorted, &self->sort_cap, n, sizeof(cx_request_t)) != 0 ||
        s_reserve((void **)&self->tmp, &self->tmp_cap, n, sizeof(cx_request_t)) != 0) {
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s_valid(self, &req[i], ctx->tick)) {
            self->sorted[m++] = req[i];
        } else {
            rej++;
        }
    }
    s_sort(self->sorted, self->tmp, m);

    /* Append to the backlog with each customer's patience. */
    if (s_reserve((void **)&self->q, &self->q_cap, self->q_n + m, sizeof(s_entry_t)) != 0 ||
        s_reserve((void **)&self->q2, &self->q2_cap, self->q_n + m, sizeof(s_entry_t)) != 0 ||
        s_reserve((void **)&self->out, &self->out_cap, self->q_n + m, sizeof(cx_outcome_t)) != 0) {
        return -1;
    }
    *out = self->out;
    double days = ctx->days;
    for (size_t i = 0; i < m; i++) {
        const cx_request_t *r = &self->sorted[i];
        s_entry_t *e = &self->q[self->q_n++];
        e->req = *r;
        /* Patience is drawn only for a request that has to wait. */
        e->deadline = S_UNSET;
        double work;
        (void)s_tp_cap(self, ctx, r->journey, r->tp, &work);
        e->work = (float)work;
    }

    /* Capacity of the tick, in work units. */
    int d = self->index;
    cx_capability_t dcap;
    cx_capability_of(p, ctx->maturity[d], &dcap);
    double capacity = ctx->staff[d] * sc->dept[d].service_rate * days * dcap.service_mult *
                      (1.0 - s_clamp(ctx->capacity_loss[d], 0.0, 1.0));
    double left = capacity + self->debt;
    double queued_work = 0.0;
    for (size_t i = 0; i < self->q_n; i++) {
        queued_work += self->q[i].work;
    }
    double misfit =
        1.0 - cx_governance_fit(p, ctx->governance, cx_tickctx_mean_maturity(ctx, sc->n_dept));

    size_t kept = 0;
    double wait_sum = 0.0;
    int64_t served = 0;
    int64_t resolved = 0;
    int64_t handoffs = 0;
    int64_t failed = 0;
    for (size_t i = 0; i < self->q_n; i++) {
        s_entry_t *e = &self->q[i];
        if (left > 0.0) {
            cx_outcome_t *o = &self->out[(*n_out)++];
            s_serve_one(self, ctx, e, misfit, o);
            left -= e->work;
            served++;
            wait_sum += (double)o->wait * days;
            resolved += (o->flags & CX_OUT_RESOLVED) ? 1 : 0;
            handoffs += (o->flags & CX_OUT_HANDOFF) ? 1 : 0;
            failed += (o->flags & CX_OUT_HANDOFF_FAILED) ? 1 : 0;
            continue;
        }
        if (e->deadline == S_UNSET) {
            e->deadline = s_deadline(self, &e->req, days);
        }
        if ((int64_t)e->deadline <= (int64_t)ctx->tick) {
            s_abandon_one(self, ctx, e, &self->out[(*n_out)++]);
        } else {
            self->q2[kept++] = *e;
        }
    }
    /* Overrun of the last request served is owed to the next tick; idle
     * capacity is lost. */
    self->debt = left < 0.0 ? left : 0.0;
    s_entry_t *t = self->q;
    size_t tc = self->q_cap;
    self->q = self->q2;
    self->q_cap = self->q2_cap;
    self->q2 = t;
    self->q2_cap = tc;
    self->q_n = kept;

    /* Engagement: toward the maturity's target, less overload and change
     * fatigue, at engagement_speed per day (service-profit chain). */
    double overload = capacity > 0.0 ? queued_work / capacity - 1.0 : 3.0;
    overload = s_clamp(overload, 0.0, 3.0);
    double target = dcap.engagement - p->overload_engagement * overload -
                    p->change_engagement * s_clamp(ctx->change[d], 0.0, 1.0);
    target = s_clamp(target, 0.0, 100.0);
    self->engagement += (1.0 - exp(-p->engagement_speed * days)) * (target - self->engagement);

    stats->demand = (double)m;
    stats->handled = (double)served;
    stats->backlog = (double)kept;
    stats->capacity = capacity;
    stats->avg_wait_days = served > 0 ? wait_sum / (double)served : 0.0;
    stats->resolution_rate = served > 0 ? 100.0 * (double)resolved / (double)served : 0.0;
    stats->handoffs = (double)handoffs;
    stats->failed_handoffs = (double)failed;
    stats->cost = ctx->staff[d] * sc->dept[d].cost_per_staff * days / 365.0 +
                  (double)served * dcap.cost_per_interaction;
    stats->engagement = self->engagement;
    stats->maturity = ctx->maturity[d];
    s_survey(self, ctx, stats);
    if (rejected) {
        *rejected = rej;
    }
    return 0;
}

/* Snapshot layout: header, then the backlog entries. */
typedef struct {
    uint32_t magic;    /* S_SNAP_MAGIC */
    uint32_t version;  /* S_SNAP_VERSION */
    int32_t index;     /* department index */
    int32_t reserved;  /* 0 */
    uint64_t q_n;      /* backlog entries that follow */
    double engagement; /* engagement */
    double debt;       /* capacity debt */
} s_snap_t;

int cx_dept_snapshot(const cx_dept_t *self, uint8_t **buf, size_t *len)
{
    size_t sz = sizeof(s_snap_t) + self->q_n * sizeof(s_entry_t);
    uint8_t *b = malloc(sz);
    if (!b) {
        return -1;
    }
    s_snap_t h = {S_SNAP_MAGIC, S_SNAP_VERSION,   self->index, 0,
                  self->q_n,    self->engagement, self->debt};
    memcpy(b, &h, sizeof h);
    if (self->q_n) {
        memcpy(b + sizeof h, self->q, self->q_n * sizeof(s_entry_t));
    }
    *buf = b;
    *len = sz;
    return 0;
}

int cx_dept_restore(cx_dept_t *self, const uint8_t *buf, size_t len)
{
    s_snap_t h;
    if (!buf || len < sizeof h) {
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    if (h.magic != S_SNAP_MAGIC || h.version != S_SNAP_VERSION || h.index != self->index ||
        h.q_n > (len - sizeof h) / sizeof(s_entry_t) ||
        len != sizeof h + h.q_n * sizeof(s_entry_t)) {
        return -1;
    }
    if (s_reserve((void **)&self->q, &self->q_cap, (size_t)h.q_n, sizeof(s_entry_t)) != 0) {
        return -1;
    }
    if (h.q_n) {
        memcpy(self->q, buf + sizeof h, (size_t)h.q_n * sizeof(s_entry_t));
    }
    self->q_n = (size_t)h.q_n;
    self->engagement = h.engagement;
    self->debt = h.debt;
    return 0;
}
