/*  cx_steady — the warm-up that finds a scenario's steady state
 *  (docs/MODEL.md, "Initialisation"). */
#include "cx_steady.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cx_rng.h"
#include "cx_shard.h"
#include "cx_world.h"

/* Keeps the warm-up's random streams apart from the run's. */
#define S_SEED_SALT UINT64_C(0x5354454144590001) /* "STEADY" */

cx_steady_t *cx_steady_new(const cx_scenario_t *sc)
{
    if (!sc || sc->n_persona < 1) {
        return NULL;
    }
    cx_steady_t *st = calloc(1, sizeof *st);
    cx_scenario_t *w = malloc(sizeof *w);
    if (!st || !w) {
        free(st);
        free(w);
        return NULL;
    }
    /* A scaled copy of the company: fewer customers, staff scaled alike so
     * every department carries the same load per person; no timeline. */
    *w = *sc;
    w->n_event = 0;
    w->seed = sc->seed ^ S_SEED_SALT;
    int64_t total = 0;
    for (int p = 0; p < sc->n_persona; p++) {
        total += sc->persona[p].customers;
    }
    double scale = total > CX_STEADY_CUSTOMERS ? (double)CX_STEADY_CUSTOMERS / (double)total : 1.0;
    st->scale = scale;
    for (int p = 0; p < w->n_persona; p++) {
        w->persona[p].customers = (int64_t)((double)sc->persona[p].customers * scale + 0.5);
        w->persona[p].shards = 1;
    }
    for (int d = 0; d < w->n_dept; d++) {
        w->dept[d].staff = sc->dept[d].staff * scale;
    }
    double days = cx_tick_days(sc->tick_unit);
    int ticks = (int)((double)CX_STEADY_DAYS / days + 0.5);
    if (ticks < 2) {
        ticks = 2;
    }
    w->ticks = ticks;
    cx_world_t *world = cx_world_new_cold(w, 1, 1);
    if (!world) {
        free(st);
        free(w);
        return NULL;
    }
    double exposure[CX_MAX_PERSONAS] = {0};
    double churned[CX_MAX_PERSONAS] = {0};
    int64_t pulled0[CX_MAX_PERSONAS] = {0};
    double referrals[CX_MAX_PERSONAS] = {0};
    double deterred[CX_MAX_PERSONAS] = {0};
    double nps_sum = 0.0;
    int nps_n = 0;
    int rc = 0;
    for (int t = 0; t < ticks && rc == 0; t++) {
        cx_kpi_row_t row;
        if (t == ticks / 2) {
            for (int p = 0; p < w->n_persona; p++) {
                cx_shard_stats_t ss;
                cx_shard_stats(cx_world_shard(world, p, 0), &ss);
                pulled0[p] = ss.pulled;
            }
        }
        rc = cx_world_step(world, NULL, &row);
        if (t < ticks / 2) {
            continue;
        }
        for (int p = 0; p < w->n_persona; p++) {
            const cx_tally_t *pt = cx_world_persona_tally(world, p);
            exposure[p] += (double)pt->customers_start * days;
            /* Churn as expected from the hazards (no counting noise), the
             * competitors' pull as it happened (below). */
            churned[p] += cx_shard_hazard_sum(cx_world_shard(world, p, 0)) * days;
            referrals[p] += (double)pt->referrals;
            deterred[p] += (double)pt->deterred;
        }
        if (row.respondents > 0) {
            nps_sum += row.nps;
            nps_n++;
        }
    }
    if (rc != 0) {
        cx_world_destroy(&world);
        free(st);
        free(w);
        return NULL;
    }
    for (int p = 0; p < w->n_persona; p++) {
        cx_shard_stats_t ss;
        cx_shard_stats(cx_world_shard(world, p, 0), &ss);
        churned[p] += (double)(ss.pulled - pulled0[p]);
        if (exposure[p] > 0.0) {
            st->churn_day[p] = churned[p] / exposure[p];
            st->referrals_day[p] = referrals[p] / exposure[p];
            st->deterred_day[p] = deterred[p] / exposure[p];
        }
        st->n_sample[p] =
            cx_shard_sample(cx_world_shard(world, p, 0), (uint32_t)ticks, days, st->sample[p],
                            CX_STEADY_SAMPLE);
    }
    for (int d = 0; d < w->n_dept; d++) {
        st->engagement[d] = cx_world_dept_stats(world, d)->engagement;
    }
    st->reputation = cx_world_company(world)->reputation;
    st->nps = nps_n > 0 ? nps_sum / nps_n : 0.0;
    cx_world_destroy(&world);
    free(w);
    return st;
}

void cx_steady_destroy(cx_steady_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}

/* --- bytes ------------------------------------------------------------ */

#define S_MAGIC 0x54535843u /* "CXST" */
#define S_VERSION 1u
#define S_REC 24 /* bytes of one sampled customer */

/* Bytes of a packed steady state with these counts. */
static size_t s_size(int n_persona, int n_dept, const int *n_sample)
{
    size_t n = 4 * 4 + 3 * 8;
    for (int p = 0; p < n_persona; p++) {
        n += 3 * 8 + 4 + (size_t)n_sample[p] * S_REC;
    }
    return n + (size_t)n_dept * 8;
}

static void s_put(uint8_t **w, const void *v, size_t n)
{
    memcpy(*w, v, n);
    *w += n;
}

static void s_get(const uint8_t **r, void *v, size_t n)
{
    memcpy(v, *r, n);
    *r += n;
}

int cx_steady_pack(const cx_steady_t *st, const cx_scenario_t *sc, uint8_t **buf, size_t *len)
{
    size_t n = s_size(sc->n_persona, sc->n_dept, st->n_sample);
    uint8_t *b = malloc(n);
    if (!b) {
        return -1;
    }
    uint8_t *w = b;
    uint32_t h[4] = {S_MAGIC, S_VERSION, (uint32_t)sc->n_persona, (uint32_t)sc->n_dept};
    s_put(&w, h, sizeof h);
    s_put(&w, &st->scale, 8);
    s_put(&w, &st->reputation, 8);
    s_put(&w, &st->nps, 8);
    for (int p = 0; p < sc->n_persona; p++) {
        s_put(&w, &st->churn_day[p], 8);
        s_put(&w, &st->referrals_day[p], 8);
        s_put(&w, &st->deterred_day[p], 8);
        uint32_t k = (uint32_t)st->n_sample[p];
        s_put(&w, &k, 4);
        for (int i = 0; i < st->n_sample[p]; i++) {
            const cx_steady_customer_t *c = &st->sample[p][i];
            s_put(&w, &c->sat, 4);
            s_put(&w, &c->expect, 4);
            s_put(&w, &c->effort, 4);
            s_put(&w, &c->loyal, 4);
            s_put(&w, &c->days_left, 4);
            uint8_t tail[4] = {c->pos, c->handoff, c->hto, c->hfrom};
            s_put(&w, tail, 4);
        }
    }
    for (int d = 0; d < sc->n_dept; d++) {
        s_put(&w, &st->engagement[d], 8);
    }
    *buf = b;
    *len = n;
    return 0;
}

/* True when x is a finite number in lo..hi. */
static int s_in(double x, double lo, double hi)
{
    return isfinite(x) && x >= lo && x <= hi;
}

cx_steady_t *cx_steady_unpack(const uint8_t *buf, size_t len, const cx_scenario_t *sc)
{
    if (!buf || len < 4 * 4 + 3 * 8) {
        return NULL;
    }
    const uint8_t *r = buf;
    const uint8_t *end = buf + len;
    uint32_t h[4];
    s_get(&r, h, sizeof h);
    if (h[0] != S_MAGIC || h[1] != S_VERSION || h[2] != (uint32_t)sc->n_persona ||
        h[3] != (uint32_t)sc->n_dept) {
        return NULL;
    }
    cx_steady_t *st = calloc(1, sizeof *st);
    if (!st) {
        return NULL;
    }
    s_get(&r, &st->scale, 8);
    s_get(&r, &st->reputation, 8);
    s_get(&r, &st->nps, 8);
    int ok = s_in(st->scale, 0.0, 1.0) && s_in(st->reputation, -100.0, 100.0) &&
             s_in(st->nps, -100.0, 100.0);
    for (int p = 0; ok && p < sc->n_persona; p++) {
        if ((size_t)(end - r) < 3 * 8 + 4) {
            ok = 0;
            break;
        }
        s_get(&r, &st->churn_day[p], 8);
        s_get(&r, &st->referrals_day[p], 8);
        s_get(&r, &st->deterred_day[p], 8);
        uint32_t k;
        s_get(&r, &k, 4);
        const cx_journey_spec_t *js = &sc->journey[sc->persona[p].journey];
        ok = s_in(st->churn_day[p], 0.0, 1.0) && s_in(st->referrals_day[p], 0.0, 1.0) &&
             s_in(st->deterred_day[p], 0.0, 1.0) && k <= CX_STEADY_SAMPLE &&
             (size_t)(end - r) >= (size_t)k * S_REC;
        for (uint32_t i = 0; ok && i < k; i++) {
            cx_steady_customer_t *c = &st->sample[p][i];
            s_get(&r, &c->sat, 4);
            s_get(&r, &c->expect, 4);
            s_get(&r, &c->effort, 4);
            s_get(&r, &c->loyal, 4);
            s_get(&r, &c->days_left, 4);
            uint8_t tail[4];
            s_get(&r, tail, 4);
            c->pos = tail[0];
            c->handoff = tail[1];
            c->hto = tail[2];
            c->hfrom = tail[3];
            ok = s_in(c->sat, 0.0, 10.0) && s_in(c->expect, 0.0, 10.0) &&
                 s_in(c->effort, 0.0, 10.0) && s_in(c->loyal, 0.0, 1.0) &&
                 s_in(c->days_left, -1e6, 1e6) && c->pos < js->n_tp && c->handoff <= 2 &&
                 (c->handoff == 0 || c->hto < sc->n_dept);
        }
        st->n_sample[p] = (int)k;
    }
    for (int d = 0; ok && d < sc->n_dept; d++) {
        if ((size_t)(end - r) < 8) {
            ok = 0;
            break;
        }
        s_get(&r, &st->engagement[d], 8);
        ok = s_in(st->engagement[d], 0.0, 100.0);
    }
    if (!ok || r != end) {
        free(st);
        return NULL;
    }
    return st;
}
