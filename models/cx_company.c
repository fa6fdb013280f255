/*  cx_company — timeline, maturity ramps with their J-curve, organisation,
 *  reputation and acquisitions, on the coordinator's side.
 *
 *  A ramp from maturity a to b over L ticks (L stretched by the speed of
 *  change) gives, at progress x = (tick - start + 1) / L,
 *      m(x) = a + (b - a) x - jcurve_depth |b - a| sin(pi x)
 *  so the organisation first loses ground while it changes, then climbs
 *  past a and ends at b (docs/MODEL.md, "Transitions"). */
#include "cx_company.h"

#include <math.h>
#include <string.h>

#include "cx_capability.h"
#include "cx_records.h"
#include "cx_rng.h"

#define S_PI 3.14159265358979323846

/* x limited to lo..hi. */
static double s_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Nominal maturity of department d at `tick` (without the dip). */
static double s_nominal(const cx_company_t *c, int d, int tick, double *progress)
{
    *progress = 0.0;
    if (c->ramp_start[d] < 0) {
        return c->maturity_to[d];
    }
    double x = (double)(tick - c->ramp_start[d] + 1) / (double)c->ramp_len[d];
    x = s_clamp(x, 0.0, 1.0);
    *progress = x;
    return c->maturity_from[d] + (c->maturity_to[d] - c->maturity_from[d]) * x;
}

void cx_company_init(cx_company_t *c, const cx_scenario_t *sc)
{
    memset(c, 0, sizeof *c);
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        c->ramp_start[d] = -1;
        c->ramp_len[d] = 1;
        if (d < sc->n_dept) {
            c->maturity_from[d] = s_clamp(sc->dept[d].maturity, 1.0, 5.0);
            c->maturity_to[d] = c->maturity_from[d];
            c->staff[d] = sc->dept[d].staff;
        }
    }
    c->cx_owner = (int32_t)sc->cx_owner;
    c->governance = (int32_t)sc->governance;
    c->price = 1.0;
    c->campaign = 1.0;
    c->campaign_until = -1;
    for (int p = 0; p < sc->n_persona; p++) {
        c->next_local[p] = sc->persona[p].customers;
    }
}

/* Mean nominal maturity now, for governance fit. */
static double s_mean_maturity(const cx_company_t *c, const cx_scenario_t *sc, int tick)
{
    if (sc->n_dept <= 0) {
        return 1.0;
    }
    double sum = 0.0;
    for (int d = 0; d < sc->n_dept; d++) {
        double x;
        sum += s_nominal(c, d, tick, &x);
    }
    return sum / sc->n_dept;
}

int cx_company_apply(cx_company_t *c, const cx_scenario_t *sc, const cx_event_spec_t *ev, int tick)
{
    int d = ev->dept;
    int dept_ok = d >= 0 && d < sc->n_dept;
    switch (ev->kind) {
    case CX_EV_MATURITY: {
        if (!dept_ok || !(ev->value >= 1.0 && ev->value <= 5.0) || ev->duration < 1) {
            return -1;
        }
        double x;
        double now = s_nominal(c, d, tick, &x);
        /* The ramp's length stretches with the slowness of change at the
         * current level, under the current owner and governance. */
        double speed = cx_change_speed(&sc->params, now, c->cx_owner, c->governance,
                                       s_mean_maturity(c, sc, tick));
        int len = (int)ceil((double)ev->duration / speed);
        if (len < 1) {
            len = 1;
        }
        c->maturity_from[d] = now;
        c->maturity_to[d] = ev->value;
        c->ramp_start[d] = tick;
        c->ramp_len[d] = len;
        c->ramp_cost[d] = ev->cost > 0.0 ? ev->cost / len : 0.0;
        return 0;
    }
    case CX_EV_CX_OWNER:
        if (ev->owner < 0 || ev->owner >= CX_OWNER_COUNT) {
            return -1;
        }
        c->cx_owner = ev->owner;
        break;
    case CX_EV_GOVERNANCE:
        if (ev->governance < 0 || ev->governance >= CX_GOV_COUNT) {
            return -1;
        }
        c->governance = ev->governance;
        break;
    case CX_EV_CAMPAIGN:
        if (!(ev->value >= 0.0) || ev->duration < 1) {
            return -1;
        }
        c->campaign = ev->value;
        c->campaign_until = tick + ev->duration;
        break;
    case CX_EV_OUTAGE:
        if (!dept_ok || !(ev->value >= 0.0 && ev->value <= 1.0) || ev->duration < 1) {
            return -1;
        }
        c->outage[d] = ev->value;
        c->outage_until[d] = tick + ev->duration;
        break;
    case CX_EV_PRICE:
        if (!(ev->value > 0.0 && ev->value < 100.0)) {
            return -1;
        }
        c->price = ev->value;
        break;
    case CX_EV_POLICY:
        if (!(ev->value >= 0.0 && ev->value <= 1.0)) {
            return -1;
        }
        c->policy_shock = ev->value > c->policy_shock ? ev->value : c->policy_shock;
        break;
    case CX_EV_STAFF:
        if (!dept_ok || !(ev->value > 0.0)) {
            return -1;
        }
        c->staff[d] = ev->value;
        break;
    default:
        return -1;
    }
    /* One-off costs of every kind but maturity (spread over its ramp). */
    if (ev->cost > 0.0) {
        c->investment_tick += ev->cost;
        c->investment_total += ev->cost;
    }
    return 0;
}

double cx_tickctx_mean_maturity(const cx_tickctx_t *ctx, int n_dept)
{
    if (n_dept <= 0) {
        return 1.0;
    }
    double sum = 0.0;
    for (int d = 0; d < n_dept; d++) {
        sum += ctx->maturity[d];
    }
    return sum / n_dept;
}

double cx_company_base_acquisition(const cx_scenario_t *sc, const cx_tickctx_t *ctx, int persona)
{
    const cx_persona_spec_t *ps = &sc->persona[persona];
    const cx_params_t *p = &sc->params;
    double lambda = (double)ps->customers * ps->acquisition * ctx->days / 365.0;
    lambda *= ctx->campaign;
    lambda *= exp(p->reputation_acquisition * ctx->reputation / 100.0);
    lambda *= pow(ctx->price, -p->price_elasticity * ps->price_sensitivity);
    return lambda > 0.0 ? lambda : 0.0;
}

/* Draw ids keep the three acquisition draws of a persona apart. */
#define S_ACQ_BASE 0
#define S_ACQ_REFERRED 256

/* The baseline (company pull) draw of new customers of `persona`, which
 * shards recompute to tell referred customers apart. */
static int64_t s_base_draw(const cx_scenario_t *sc, const cx_tickctx_t *ctx, int persona)
{
    return cx_poisson(cx_company_base_acquisition(sc, ctx, persona), sc->seed, CX_STREAM_ACQUIRE,
                      (uint64_t)(S_ACQ_BASE + persona), (uint32_t)ctx->tick);
}

int64_t cx_company_referred(const cx_scenario_t *sc, const cx_tickctx_t *ctx, int persona)
{
    int64_t count = ctx->acquire_count[persona];
    int64_t r = count - s_base_draw(sc, ctx, persona);
    return r < 0 ? 0 : (r > count ? count : r);
}

void cx_company_begin_tick(cx_company_t *c, const cx_scenario_t *sc, int tick, cx_tickctx_t *ctx)
{
    c->investment_tick = 0.0;
    c->policy_shock = 0.0;
    while (c->next_event < sc->n_event && sc->event[c->next_event].tick <= tick) {
        /* A timeline event that does not fit was rejected by the loader;
         * here it is simply skipped. */
        (void)cx_company_apply(c, sc, &sc->event[c->next_event], tick);
        c->next_event++;
    }
    memset(ctx, 0, sizeof *ctx);
    ctx->tick = tick;
    ctx->days = cx_tick_days(sc->tick_unit);
    const cx_params_t *p = &sc->params;
    for (int d = 0; d < sc->n_dept; d++) {
        double x;
        double m = s_nominal(c, d, tick, &x);
        double dip = 0.0;
        if (c->ramp_start[d] >= 0) {
            dip = sin(S_PI * x);
            m -= p->jcurve_depth * fabs(c->maturity_to[d] - c->maturity_from[d]) * dip;
            c->investment_tick += c->ramp_cost[d];
            c->investment_total += c->ramp_cost[d];
            if (x >= 1.0) {
                c->ramp_start[d] = -1;
                c->maturity_from[d] = c->maturity_to[d];
                dip = 0.0;
            }
        }
        if (c->outage_until[d] <= tick) {
            c->outage[d] = 0.0;
        }
        ctx->maturity[d] = s_clamp(m, 1.0, 5.0);
        ctx->staff[d] = c->staff[d];
        ctx->capacity_loss[d] = c->outage[d];
        ctx->change[d] = dip;
    }
    if (c->campaign_until >= 0 && c->campaign_until <= tick) {
        c->campaign = 1.0;
        c->campaign_until = -1;
    }
    ctx->cx_owner = c->cx_owner;
    ctx->governance = c->governance;
    ctx->price = c->price;
    ctx->policy_shock = c->policy_shock;
    ctx->reputation = c->reputation;
    /* Detractors deter prospects the company's own pull would have brought:
     * the expected loss (deterred x conversion) thins that pull through the
     * multiplier shards see in ctx->campaign. Promoters' referrals convert
     * on top, as a draw of their own, so every new customer above the
     * baseline draw came by referral (cx_company_referred). */
    /* One multiplier serves all personas: deterrence is shared out in
     * proportion to each persona's pull (cx_company_end_tick), so the
     * share lost is the same for all. */
    double pull_all = 0.0;
    double lost_all = 0.0;
    for (int q = 0; q < sc->n_persona; q++) {
        pull_all += cx_company_base_acquisition(sc, ctx, q);
        lost_all += c->deterred[q] * p->referral_conversion;
    }
    double keep = pull_all > 0.0 ? 1.0 - lost_all / pull_all : 1.0;
    ctx->campaign = c->campaign * (keep > 0.0 ? keep : 0.0);
    for (int q = 0; q < sc->n_persona; q++) {
        int64_t base = s_base_draw(sc, ctx, q);
        int64_t ref = cx_poisson(c->referrals[q] * p->referral_conversion, sc->seed,
                                 CX_STREAM_ACQUIRE, (uint64_t)(S_ACQ_REFERRED + q), (uint32_t)tick);
        ctx->acquire_first[q] = c->next_local[q];
        ctx->acquire_count[q] = base + ref;
        c->next_local[q] += base + ref;
    }
}

void cx_company_end_tick(cx_company_t *c, const cx_scenario_t *sc, const cx_kpi_row_t *row,
                         const cx_tally_t *total)
{
    double days = cx_tick_days(sc->tick_unit);
    if (row->respondents > 0) {
        if (!c->reputation_set) {
            c->reputation = row->nps;
            c->reputation_set = 1;
        } else {
            double a = 1.0 - exp(-days / sc->params.reputation_days);
            c->reputation += a * (row->nps - c->reputation);
        }
    }
    /* The summed tally does not say which persona referred whom: word of
     * mouth is shared out in proportion to each persona's baseline
     * acquisition. */
    double wsum = 0.0;
    for (int q = 0; q < sc->n_persona; q++) {
        wsum += (double)sc->persona[q].customers * sc->persona[q].acquisition;
    }
    for (int q = 0; q < sc->n_persona; q++) {
        double w = wsum > 0.0 ? (double)sc->persona[q].customers * sc->persona[q].acquisition / wsum
                              : 1.0 / sc->n_persona;
        c->referrals[q] = (double)total->referrals * w;
        c->deterred[q] = (double)total->deterred * w;
    }
}

/* --- tick context on the wire --------------------------------------- */

void cx_tickctx_pack(const cx_tickctx_t *ctx, double *out)
{
    int k = 0;
    out[k++] = ctx->tick;
    out[k++] = ctx->days;
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        out[k++] = ctx->maturity[d];
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        out[k++] = ctx->staff[d];
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        out[k++] = ctx->capacity_loss[d];
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        out[k++] = ctx->change[d];
    }
    out[k++] = ctx->cx_owner;
    out[k++] = ctx->governance;
    out[k++] = ctx->price;
    out[k++] = ctx->policy_shock;
    out[k++] = ctx->campaign;
    out[k++] = ctx->reputation;
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        out[k++] = (double)ctx->acquire_first[q];
    }
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        out[k++] = (double)ctx->acquire_count[q];
    }
}

/* True when x is a whole number in lo..hi. */
static int s_whole(double x, double lo, double hi)
{
    return x >= lo && x <= hi && x == floor(x);
}

int cx_tickctx_unpack(cx_tickctx_t *ctx, const double *in, const cx_scenario_t *sc)
{
    memset(ctx, 0, sizeof *ctx);
    int k = 0;
    if (!s_whole(in[0], 0, CX_MAX_TICKS) || !(in[1] > 0.0 && in[1] <= 31.0)) {
        return -1;
    }
    ctx->tick = (int32_t)in[k++];
    ctx->days = in[k++];
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        double m = in[k++];
        if (d < sc->n_dept && !(m >= 1.0 && m <= 5.0)) {
            return -1;
        }
        ctx->maturity[d] = d < sc->n_dept ? m : 0.0;
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        double s = in[k++];
        if (d < sc->n_dept && !(s > 0.0 && s < 1e9)) {
            return -1;
        }
        ctx->staff[d] = d < sc->n_dept ? s : 0.0;
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        double l = in[k++];
        if (d < sc->n_dept && !(l >= 0.0 && l <= 1.0)) {
            return -1;
        }
        ctx->capacity_loss[d] = d < sc->n_dept ? l : 0.0;
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        double ch = in[k++];
        if (d < sc->n_dept && !(ch >= 0.0 && ch <= 1.0)) {
            return -1;
        }
        ctx->change[d] = d < sc->n_dept ? ch : 0.0;
    }
    if (!s_whole(in[k], 0, CX_OWNER_COUNT - 1) || !s_whole(in[k + 1], 0, CX_GOV_COUNT - 1)) {
        return -1;
    }
    ctx->cx_owner = (int32_t)in[k++];
    ctx->governance = (int32_t)in[k++];
    ctx->price = in[k++];
    ctx->policy_shock = in[k++];
    ctx->campaign = in[k++];
    ctx->reputation = in[k++];
    if (!(ctx->price > 0.0 && ctx->price < 100.0) ||
        !(ctx->policy_shock >= 0.0 && ctx->policy_shock <= 1.0) ||
        !(ctx->campaign >= 0.0 && ctx->campaign < 1e6) ||
        !(ctx->reputation >= -100.0 && ctx->reputation <= 100.0)) {
        return -1;
    }
    const double local_max = (double)((UINT64_C(1) << CX_CID_LOCAL_BITS) - 1);
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        double f = in[k++];
        if (!s_whole(f, 0, local_max)) {
            return -1;
        }
        ctx->acquire_first[q] = (int64_t)f;
    }
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        double n = in[k++];
        if (!s_whole(n, 0, local_max) || (double)ctx->acquire_first[q] + n > local_max + 1.0) {
            return -1;
        }
        ctx->acquire_count[q] = (int64_t)n;
    }
    return 0;
}
