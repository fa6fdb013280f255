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

void cx_company_init(cx_company_t *c, const cx_scenario_t *sc, const cx_steady_t *st)
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
    double customers = 0.0;
    for (int p = 0; p < sc->n_persona; p++) {
        c->next_local[p] = sc->persona[p].customers;
        customers += (double)sc->persona[p].customers;
    }
    c->customers0 = customers;
    c->customers_now = customers;
    double share = sc->market_share > 0.0 ? sc->market_share : 1.0;
    c->market0 = customers / share;
    if (!st) {
        return;
    }
    /* The market at equilibrium: the company's own pull, net of the
     * prospects detractors deter, plus what referrals bring, replaces the
     * customers it loses (docs/MODEL.md, "Market"). */
    const cx_params_t *p = &sc->params;
    c->steady = 1;
    c->reputation = st->reputation;
    c->reputation_set = 1;
    c->rep0 = st->reputation;
    for (int q = 0; q < sc->n_persona; q++) {
        double n = (double)sc->persona[q].customers;
        double churn = st->churn_day[q];
        double pull = churn - p->referral_conversion * (st->referrals_day[q] - st->deterred_day[q]);
        /* Referrals alone cannot hold a share: the company's own pull is
         * at least a tenth of what it loses. */
        c->pull0[q] = n * (pull > 0.1 * churn ? pull : 0.1 * churn);
        c->referrals[q] = n * st->referrals_day[q] * cx_tick_days(sc->tick_unit);
        c->deterred[q] = n * st->deterred_day[q] * cx_tick_days(sc->tick_unit);
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
    /* One-off costs of every kind but maturity (spread over its ramp); a
     * campaign's is sales and marketing spend (it lands in CAC). */
    if (ev->cost > 0.0 && ev->kind == CX_EV_CAMPAIGN) {
        c->campaign_cost_tick += ev->cost;
        c->campaign_cost_total += ev->cost;
    } else if (ev->cost > 0.0) {
        c->investment_tick += ev->cost;
        c->investment_total += ev->cost;
    }
    return 0;
}

cx_kpi_books_t cx_company_books(const cx_company_t *c)
{
    cx_kpi_books_t b = {c->investment_tick, c->campaign_cost_tick, c->price};
    return b;
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

/* The company's own pull on persona q's prospects this tick, before
 * deterrence: the legacy rate (cold start) or the equilibrium rate moved by
 * reputation relative to the market, campaigns, price and the prospects
 * left in the market (docs/MODEL.md, "Market"). */
static double s_pull(const cx_company_t *c, const cx_scenario_t *sc, const cx_tickctx_t *ctx,
                     int q, double room)
{
    const cx_persona_spec_t *ps = &sc->persona[q];
    const cx_params_t *p = &sc->params;
    double lambda;
    if (c->steady) {
        double years = (double)ctx->tick * ctx->days / 365.0;
        double rel = ctx->reputation - c->rep0 - sc->competitor_improvement * years;
        lambda = c->pull0[q] * ctx->days * exp(p->reputation_acquisition * rel / 100.0) * room;
    } else {
        lambda = (double)ps->customers * ps->acquisition * ctx->days / 365.0;
        lambda *= exp(p->reputation_acquisition * ctx->reputation / 100.0);
    }
    lambda *= c->campaign;
    lambda *= pow(ctx->price, -p->price_elasticity * ps->price_sensitivity);
    return lambda > 0.0 ? lambda : 0.0;
}

/* Draw ids keep the acquisition draws of a persona apart. */
#define S_ACQ_BASE 0
#define S_ACQ_REFERRED 256

int64_t cx_company_referred(const cx_tickctx_t *ctx, int persona)
{
    int64_t count = ctx->acquire_count[persona];
    int64_t r = ctx->acquire_referred[persona];
    return r < 0 ? 0 : (r > count ? count : r);
}

/* Prospects left in the market relative to tick 0: the market grows by
 * market.growth a year, the company's customers take their share of it. */
static double s_room(const cx_company_t *c, const cx_scenario_t *sc, const cx_tickctx_t *ctx)
{
    if (!c->steady) {
        return 1.0;
    }
    double years = (double)ctx->tick * ctx->days / 365.0;
    double market = c->market0 * pow(1.0 + sc->market_growth, years);
    double room0 = c->market0 - c->customers0;
    if (room0 <= 0.0) {
        return 1.0;
    }
    double room = (market - c->customers_now) / room0;
    return room > 0.0 ? room : 0.0;
}

void cx_company_begin_tick(cx_company_t *c, const cx_scenario_t *sc, int tick, cx_tickctx_t *ctx)
{
    c->investment_tick = 0.0;
    c->campaign_cost_tick = 0.0;
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
    if (c->replace) {
        /* Warm-up: every customer lost last tick is replaced. */
        ctx->campaign = 1.0;
        for (int q = 0; q < sc->n_persona; q++) {
            ctx->acquire_first[q] = c->next_local[q];
            ctx->acquire_count[q] = c->replace_count[q];
            c->next_local[q] += c->replace_count[q];
        }
        return;
    }
    /* Detractors deter prospects the company's own pull would have brought:
     * the expected loss (deterred x conversion) thins that pull. Promoters'
     * referrals convert on top, as a draw of their own; both draw on the
     * prospects left in the market (word of mouth saturates with it). One
     * multiplier serves all personas: deterrence is shared out in
     * proportion to each persona's pull (cx_company_end_tick). */
    double room = s_room(c, sc, ctx);
    double pull[CX_MAX_PERSONAS];
    double pull_all = 0.0;
    double lost_all = 0.0;
    for (int q = 0; q < sc->n_persona; q++) {
        pull[q] = s_pull(c, sc, ctx, q, room);
        pull_all += pull[q];
        lost_all += c->deterred[q] * p->referral_conversion * room;
    }
    double keep = pull_all > 0.0 ? 1.0 - lost_all / pull_all : 1.0;
    keep = keep > 0.0 ? keep : 0.0;
    ctx->campaign = c->campaign * keep;
    for (int q = 0; q < sc->n_persona; q++) {
        int64_t base = cx_poisson(pull[q] * keep, sc->seed, CX_STREAM_ACQUIRE,
                                  (uint64_t)(S_ACQ_BASE + q), (uint32_t)tick);
        int64_t ref = cx_poisson(c->referrals[q] * p->referral_conversion * room, sc->seed,
                                 CX_STREAM_ACQUIRE, (uint64_t)(S_ACQ_REFERRED + q), (uint32_t)tick);
        ctx->acquire_first[q] = c->next_local[q];
        ctx->acquire_count[q] = base + ref;
        ctx->acquire_referred[q] = ref;
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
    c->customers_now = (double)total->customers_end;
    /* The summed tally does not say which persona referred whom: word of
     * mouth is shared out in proportion to each persona's baseline
     * acquisition (at equilibrium: its pull at tick 0). */
    double wq[CX_MAX_PERSONAS];
    double wsum = 0.0;
    for (int q = 0; q < sc->n_persona; q++) {
        wq[q] = c->steady ? c->pull0[q]
                          : (double)sc->persona[q].customers * sc->persona[q].acquisition;
        wsum += wq[q];
    }
    for (int q = 0; q < sc->n_persona; q++) {
        double w = wsum > 0.0 ? wq[q] / wsum : 1.0 / sc->n_persona;
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
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        out[k++] = (double)ctx->acquire_referred[q];
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
    for (int q = 0; q < CX_MAX_PERSONAS; q++) {
        double r = in[k++];
        if (!s_whole(r, 0, (double)ctx->acquire_count[q])) {
            return -1;
        }
        ctx->acquire_referred[q] = (int64_t)r;
    }
    return 0;
}
