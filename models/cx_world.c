/*  cx_world — company, shards and departments in one process. */
#include "cx_world.h"

#include <stdlib.h>
#include <string.h>

#include "cx_kpi.h"
#include "cx_steady.h"
#include "cx_tick.h"

struct cx_world {
    const cx_scenario_t *sc;             /* scenario (not owned) */
    int tick;                            /* next tick to run */
    cx_company_t company;                /* coordinator state */
    cx_kpi_history_t hist;               /* CLV running sums */
    cx_dept_t *dept[CX_MAX_DEPTS];       /* departments */
    cx_dept_stats_t stats[CX_MAX_DEPTS]; /* their last figures */
    int nshards[CX_MAX_PERSONAS];        /* shards per persona */
    cx_shard_t **shard[CX_MAX_PERSONAS]; /* shards per persona */
    cx_request_t *req;                   /* one department's requests */
    size_t req_cap;                      /* allocated entries in req */
    cx_outcome_t **route;                /* per-shard outcome lists */
    size_t *route_n;                     /* entries used per list */
    size_t *route_cap;                   /* entries allocated per list */
    int n_routes;                        /* lists (shards in all) */
    cx_steady_t *steady;                 /* steady state the run starts from (owned), or NULL */
    int replace;                         /* 1: every customer lost is replaced (warm-up) */
    cx_tally_t ptally[CX_MAX_PERSONAS];  /* each persona's tally of the last step */
};

/* A world over sc starting from steady state st (taken over; NULL: a cold
 * start), replacing lost customers when `replace`. */
static cx_world_t *s_world_new(const cx_scenario_t *sc, int nshards, cx_steady_t *st, int replace)
{
    if (!sc || nshards < 0 || nshards > CX_MAX_SHARDS) {
        cx_steady_destroy(&st);
        return NULL;
    }
    cx_world_t *self = calloc(1, sizeof *self);
    if (!self) {
        cx_steady_destroy(&st);
        return NULL;
    }
    self->sc = sc;
    self->steady = st;
    self->replace = replace;
    cx_company_init(&self->company, sc, st);
    self->company.replace = replace;
    for (int d = 0; d < sc->n_dept; d++) {
        self->dept[d] = cx_dept_new(sc, st, d);
        if (!self->dept[d]) {
            cx_world_destroy(&self);
            return NULL;
        }
    }
    for (int p = 0; p < sc->n_persona; p++) {
        int n = nshards > 0 ? nshards : (sc->persona[p].shards > 0 ? sc->persona[p].shards : 1);
        self->nshards[p] = n;
        self->n_routes += n;
        self->shard[p] = calloc((size_t)n, sizeof(cx_shard_t *));
        if (!self->shard[p]) {
            cx_world_destroy(&self);
            return NULL;
        }
        for (int s = 0; s < n; s++) {
            self->shard[p][s] = cx_shard_new(sc, st, p, s, n);
            if (!self->shard[p][s]) {
                cx_world_destroy(&self);
                return NULL;
            }
        }
    }
    self->route = calloc((size_t)self->n_routes + 1, sizeof *self->route);
    self->route_n = calloc((size_t)self->n_routes + 1, sizeof *self->route_n);
    self->route_cap = calloc((size_t)self->n_routes + 1, sizeof *self->route_cap);
    if (!self->route || !self->route_n || !self->route_cap) {
        cx_world_destroy(&self);
        return NULL;
    }
    return self;
}

cx_world_t *cx_world_new(const cx_scenario_t *sc, int nshards)
{
    if (!sc) {
        return NULL;
    }
    cx_steady_t *st = cx_steady_new(sc);
    if (!st) {
        return NULL;
    }
    return s_world_new(sc, nshards, st, 0);
}

cx_world_t *cx_world_new_cold(const cx_scenario_t *sc, int nshards, int replace)
{
    return s_world_new(sc, nshards, NULL, replace);
}

const cx_steady_t *cx_world_steady(const cx_world_t *self)
{
    return self->steady;
}

const cx_tally_t *cx_world_persona_tally(const cx_world_t *self, int persona)
{
    return &self->ptally[persona];
}

void cx_world_destroy(cx_world_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    cx_world_t *self = *self_p;
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        cx_dept_destroy(&self->dept[d]);
    }
    for (int p = 0; p < CX_MAX_PERSONAS; p++) {
        if (self->shard[p]) {
            for (int s = 0; s < self->nshards[p]; s++) {
                cx_shard_destroy(&self->shard[p][s]);
            }
            free(self->shard[p]);
        }
    }
    if (self->route) {
        for (int r = 0; r < self->n_routes; r++) {
            free(self->route[r]);
        }
    }
    free(self->route);
    free(self->route_n);
    free(self->route_cap);
    free(self->req);
    cx_steady_destroy(&self->steady);
    free(self);
    *self_p = NULL;
}

/* Index of the outcome list of shard s of persona p. */
static int s_route_index(const cx_world_t *self, int p, int s)
{
    int r = 0;
    for (int q = 0; q < p; q++) {
        r += self->nshards[q];
    }
    return r + s;
}

/* Appends outcome o to the list of route r. Returns 0, or -1 on out of memory. */
static int s_route_push(cx_world_t *self, int r, const cx_outcome_t *o)
{
    if (self->route_n[r] == self->route_cap[r]) {
        size_t c = self->route_cap[r] ? self->route_cap[r] * 2 : 1024;
        cx_outcome_t *b = realloc(self->route[r], c * sizeof *b);
        if (!b) {
            return -1;
        }
        self->route[r] = b;
        self->route_cap[r] = c;
    }
    self->route[r][self->route_n[r]++] = *o;
    return 0;
}

int cx_world_step(cx_world_t *self, cx_tally_t *total_out, cx_kpi_row_t *row_out)
{
    return cx_world_step_each(self, NULL, NULL, total_out, row_out);
}

/* The phases of cx_tick.h, in their order, all in this process. */
int cx_world_step_each(cx_world_t *self, cx_world_tally_fn on_tally, void *ud,
                       cx_tally_t *total_out, cx_kpi_row_t *row_out)
{
    const cx_scenario_t *sc = self->sc;
    int rc = 0;
    cx_tickctx_t ctx;
    cx_tick_open(&self->company, sc, self->tick, &ctx);
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < self->nshards[p]; s++) {
            if (cx_shard_begin_tick(self->shard[p][s], &ctx) != 0) {
                rc = -1;
            }
        }
    }
    for (int d = 0; d < sc->n_dept; d++) {
        /* Gather every shard's batch; departments sort them themselves,
         * so the last shard goes first to prove the order does not matter. */
        size_t n = 0;
        for (int p = sc->n_persona - 1; p >= 0; p--) {
            for (int s = self->nshards[p] - 1; s >= 0; s--) {
                size_t k;
                const cx_request_t *r = cx_shard_requests(self->shard[p][s], d, &k);
                if (n + k > self->req_cap) {
                    size_t c = self->req_cap ? self->req_cap : 1024;
                    while (c < n + k) {
                        c *= 2;
                    }
                    cx_request_t *b = realloc(self->req, c * sizeof *b);
                    if (!b) {
                        return -1;
                    }
                    self->req = b;
                    self->req_cap = c;
                }
                if (k) {
                    memcpy(self->req + n, r, k * sizeof *r);
                }
                n += k;
            }
        }
        const cx_outcome_t *out;
        size_t n_out;
        size_t rejected;
        if (cx_dept_serve(self->dept[d], &ctx, self->req, n, &out, &n_out, &self->stats[d],
                          &rejected) != 0 ||
            rejected > 0) {
            rc = -1;
        }
        for (int r = 0; r < self->n_routes; r++) {
            self->route_n[r] = 0;
        }
        for (size_t i = 0; i < n_out; i++) {
            int p = CX_CID_PERSONA(out[i].cid);
            if (p < 0 || p >= sc->n_persona) {
                rc = -1;
                continue;
            }
            int s = (int)(CX_CID_LOCAL(out[i].cid) % self->nshards[p]);
            if (s_route_push(self, s_route_index(self, p, s), &out[i]) != 0) {
                return -1;
            }
        }
        for (int p = 0; p < sc->n_persona; p++) {
            for (int s = 0; s < self->nshards[p]; s++) {
                int r = s_route_index(self, p, s);
                if (cx_shard_apply_outcomes(self->shard[p][s], &ctx, self->route[r],
                                            self->route_n[r]) != 0) {
                    rc = -1;
                }
            }
        }
    }
    cx_tally_t total;
    cx_tally_zero(&total);
    for (int p = 0; p < sc->n_persona; p++) {
        cx_tally_zero(&self->ptally[p]);
        for (int s = 0; s < self->nshards[p]; s++) {
            cx_tally_t t;
            cx_shard_end_tick(self->shard[p][s], &ctx, &t);
            if (on_tally) {
                on_tally(ud, &t);
            }
            cx_tally_add(&total, &t);
            cx_tally_add(&self->ptally[p], &t);
        }
        if (self->replace) {
            self->company.replace_count[p] = self->ptally[p].churned;
        }
    }
    cx_kpi_row_t row;
    cx_tick_close(&self->company, sc, &ctx, &total, self->stats, &self->hist, &row);
    if (total_out) {
        *total_out = total;
    }
    if (row_out) {
        *row_out = row;
    }
    self->tick++;
    return rc;
}

int cx_world_tick(const cx_world_t *self)
{
    return self->tick;
}

void cx_world_set_tick(cx_world_t *self, int tick)
{
    self->tick = tick;
}

cx_company_t *cx_world_company(cx_world_t *self)
{
    return &self->company;
}

cx_dept_t *cx_world_dept(cx_world_t *self, int d)
{
    return d >= 0 && d < self->sc->n_dept ? self->dept[d] : NULL;
}

cx_shard_t *cx_world_shard(cx_world_t *self, int persona, int shard)
{
    if (persona < 0 || persona >= self->sc->n_persona || shard < 0 ||
        shard >= self->nshards[persona]) {
        return NULL;
    }
    return self->shard[persona][shard];
}

int cx_world_nshards(const cx_world_t *self, int persona)
{
    return persona >= 0 && persona < self->sc->n_persona ? self->nshards[persona] : 0;
}

const cx_dept_stats_t *cx_world_dept_stats(const cx_world_t *self, int d)
{
    return &self->stats[d];
}

/* --- the reference scenario ------------------------------------------ */

/* Appends a department to sc with the kind defaults filled in. */
static void s_dept(cx_scenario_t *sc, const char *id, cx_dept_kind_t kind, double staff,
                   double cost, double maturity)
{
    cx_dept_spec_t *d = &sc->dept[sc->n_dept++];
    memset(d, 0, sizeof *d);
    strncpy(d->id, id, CX_ID_MAX - 1);
    d->kind = kind;
    d->staff = staff;
    d->cost_per_staff = cost;
    d->maturity = maturity;
    cx_dept_spec_defaults(d);
}

/* Appends a touchpoint to journey j and returns it for the caller to finish. */
static cx_touchpoint_spec_t *s_tp(cx_journey_spec_t *j, const char *id, const char *stage,
                                  int owner, cx_channel_t ch, double gap, double prob, double itd)
{
    cx_touchpoint_spec_t *t = &j->tp[j->n_tp++];
    memset(t, 0, sizeof *t);
    strncpy(t->id, id, CX_ID_MAX - 1);
    strncpy(t->stage, stage, CX_ID_MAX - 1);
    t->owner = owner;
    t->channel = ch;
    t->gap_days = gap;
    t->probability = prob;
    t->it_dependence = itd;
    return t;
}

/* Appends a persona travelling journey 0, its weights normalised to sum 1. */
static void s_persona(cx_scenario_t *sc, const char *id, int64_t customers, const double w[6],
                      double spend, double churn, double expectation, double acquisition,
                      double price_sensitivity)
{
    cx_persona_spec_t *p = &sc->persona[sc->n_persona++];
    memset(p, 0, sizeof *p);
    strncpy(p->id, id, CX_ID_MAX - 1);
    p->customers = customers;
    p->shards = 1;
    p->journey = 0;
    double sum = 0.0;
    for (int k = 0; k < CX_PILLARS; k++) {
        sum += w[k];
    }
    for (int k = 0; k < CX_PILLARS; k++) {
        p->weights[k] = w[k] / sum;
    }
    for (int c = 0; c < CX_CHANNEL_COUNT; c++) {
        p->channel_pref[c] = 0.5;
    }
    p->spend = spend;
    p->base_churn = churn;
    p->expectation = expectation;
    p->acquisition = acquisition;
    p->price_sensitivity = price_sensitivity;
}

void cx_world_example_scenario(cx_scenario_t *sc, int64_t customers, double maturity, int ticks)
{
    cx_scenario_defaults(sc);
    strcpy(sc->name, "example");
    sc->seed = 42;
    sc->ticks = ticks;
    sc->tick_unit = CX_TICK_DAY;
    sc->budget = 1500000;
    sc->marketing_spend = 2400000;
    /* Staff scale with the customer base: the figures are for 50,000. */
    double k = (double)customers / 50000.0;
    s_dept(sc, "marketing", CX_DEPT_MARKETING, 12 * k, 62000, maturity);
    s_dept(sc, "sales", CX_DEPT_SALES, 45 * k, 52000, maturity);
    s_dept(sc, "logistics", CX_DEPT_LOGISTICS, 30 * k, 41000, maturity);
    s_dept(sc, "customer_service", CX_DEPT_CUSTOMER_SERVICE, 25 * k, 38000, maturity);
    s_dept(sc, "product", CX_DEPT_PRODUCT, 15 * k, 70000, maturity);
    s_dept(sc, "it", CX_DEPT_IT, 10 * k, 75000, maturity);

    cx_journey_spec_t *j = &sc->journey[sc->n_journey++];
    memset(j, 0, sizeof *j);
    strcpy(j->id, "retail");
    s_tp(j, "ad", "awareness", 0, CX_CHANNEL_SOCIAL, 10, 0.5, 0.4);
    s_tp(j, "reviews", "consideration", -1, CX_CHANNEL_THIRD_PARTY, 2, 0.4, 0.0);
    s_tp(j, "browse", "consideration", 5, CX_CHANNEL_WEB, 12, 0.9, 1.0);
    cx_touchpoint_spec_t *t = s_tp(j, "checkout", "purchase", 1, CX_CHANNEL_WEB, 1, 0.8, 0.8);
    t->moment_of_truth = true;
    t->purchase = true;
    t->handoff[t->n_handoff++] = 3;
    t = s_tp(j, "delivery", "delivery", 2, CX_CHANNEL_FIELD, 3, 1.0, 0.3);
    t->handoff[t->n_handoff++] = 3;
    t = s_tp(j, "support", "support", 3, CX_CHANNEL_PHONE, 5, 0.35, 0.5);
    t->avoidable = true;
    t->handoff[t->n_handoff++] = 4;
    t->handoff[t->n_handoff++] = 5;
    t = s_tp(j, "renewal", "renewal", 0, CX_CHANNEL_EMAIL, 20, 0.7, 0.6);
    t->moment_of_truth = true;
    j->loop_to = 2;

    const double bargain[6] = {1, 1, 1, 2, 0.5, 0.5};
    const double family[6] = {1.5, 1.5, 1, 1, 1, 1.5};
    s_persona(sc, "bargain_hunter", customers * 3 / 5, bargain, 38, 0.30, 6.0, 0.25, 0.8);
    s_persona(sc, "loyal_family", customers - customers * 3 / 5, family, 72, 0.15, 6.5, 0.15, 0.3);
}
