/*  cx_exp_roadmap — roadmaps for `cxsim optimise` (see cx_exp_roadmap.h). */
#include "cx_exp_roadmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx_rm_start_tick(int k, int steps, int ticks)
{
    if (steps < 1 || ticks < 1 || k < 1) {
        return 0;
    }
    return (int)((long long)k * ticks / (steps + 1));
}

int cx_rm_default_over(int steps, int ticks)
{
    int gap = steps >= 0 && ticks > 0 ? ticks / (steps + 1) : 1;
    int over = gap < 60 ? gap : 60;
    return over < 1 ? 1 : over;
}

double cx_rm_level(const cx_scenario_t *sc, const cx_roadmap_t *rm, int d, int tick)
{
    if (d < 0 || d >= sc->n_dept) {
        return NAN;
    }
    double level = sc->dept[d].maturity;
    int at = -1;
    for (int i = 0; i < sc->n_event && i < CX_MAX_EVENTS; i++) {
        const cx_event_spec_t *e = &sc->event[i];
        if (e->kind == CX_EV_MATURITY && e->dept == d && e->tick <= tick && e->tick >= at) {
            level = e->value;
            at = e->tick;
        }
    }
    for (int i = 0; rm && i < rm->n; i++) {
        const cx_rm_move_t *m = &rm->move[i];
        if (m->kind == CX_EV_MATURITY && m->dept == d && m->tick <= tick && m->tick >= at) {
            level = m->to;
            at = m->tick;
        }
    }
    return level;
}

double cx_rm_next_level(double level)
{
    double next = floor(level + 1e-9) + 1;
    return next > 5 + 1e-9 ? -1 : next;
}

bool cx_rm_fits(double cost, double budget)
{
    return cost <= budget + 1e-9 * fabs(budget);
}

/* Appends move m to base as out[*n] when it fits (counting it either way). */
static void s_child(const cx_rm_space_t *sp, const cx_roadmap_t *base, const cx_rm_move_t *m,
                    cx_roadmap_t *out, int cap, int *n)
{
    double cost = base->cost + m->cost;
    if (!(m->cost >= 0) || !cx_rm_fits(cost, sp->budget)) {
        return;
    }
    if (*n < cap) {
        cx_roadmap_t *c = &out[*n];
        *c = *base;
        c->move[c->n] = *m;
        c->n++;
        c->cost = cost;
        c->point = -1;
        c->n_rep = 0;
        c->mean = c->lo = c->hi = c->half = NAN;
        c->kept = false;
    }
    (*n)++;
}

/* True when base already has a move of this kind. */
static bool s_has_kind(const cx_roadmap_t *base, cx_event_kind_t kind)
{
    for (int i = 0; i < base->n; i++) {
        if (base->move[i].kind == kind) {
            return true;
        }
    }
    return false;
}

/* The owner (or governance) at `tick` from the scenario's own timeline. */
static int s_org_at(const cx_scenario_t *sc, cx_event_kind_t kind, int tick)
{
    int v = kind == CX_EV_CX_OWNER ? (int)sc->cx_owner : (int)sc->governance;
    for (int i = 0; i < sc->n_event && i < CX_MAX_EVENTS; i++) {
        const cx_event_spec_t *e = &sc->event[i];
        if (e->kind == kind && e->tick <= tick) {
            v = kind == CX_EV_CX_OWNER ? e->owner : e->governance;
        }
    }
    return v;
}

int cx_rm_max_candidates(const cx_scenario_t *sc, const cx_rm_space_t *sp)
{
    int n = sc->n_dept * (sp->jump ? 2 : 1) + (sp->owner_move ? 1 : 0) + (sp->gov_move ? 1 : 0);
    return n > 0 ? n : 1;
}

int cx_rm_candidates(const cx_scenario_t *sc, const cx_rm_space_t *sp, const cx_roadmap_t *base,
                     cx_roadmap_t *out, int cap)
{
    if (!sc || !sp || !base || sp->steps < 1 || sp->steps > CX_RM_MAX_STEPS || sp->over < 1 ||
        base->n < 0 || base->n > CX_RM_MAX_STEPS) {
        return -1;
    }
    if (base->n >= sp->steps) {
        return 0;
    }
    int tick = cx_rm_start_tick(base->n + 1, sp->steps, sp->ticks);
    int n = 0;
    for (int pass = 0; pass < (sp->jump ? 2 : 1); pass++) {
        for (int d = 0; d < sc->n_dept && d < CX_MAX_DEPTS; d++) {
            if (!sp->allowed[d]) {
                continue;
            }
            double target = sp->target[d] > 0 ? sp->target[d] : 5.0;
            double from = cx_rm_level(sc, base, d, tick);
            double to = cx_rm_next_level(from);
            if (to < 0 || !(from < target)) {
                continue;
            }
            cx_rm_move_t m = {d, tick, from, to, sp->over, sp->cost[d], CX_EV_MATURITY};
            if (pass == 0) {
                m.to = to < target ? to : target;
            } else {
                if (!(target > to)) {
                    continue; /* the step above is the target: no jump */
                }
                m.to = target;
                m.cost = sp->cost[d] * (ceil(target) - floor(from));
            }
            s_child(sp, base, &m, out, cap, &n);
        }
    }
    if (sp->owner_move && !s_has_kind(base, CX_EV_CX_OWNER)) {
        int now = s_org_at(sc, CX_EV_CX_OWNER, tick);
        if (now != sp->owner_to) {
            cx_rm_move_t m = {-1, tick, now, sp->owner_to, 1, sp->owner_cost, CX_EV_CX_OWNER};
            s_child(sp, base, &m, out, cap, &n);
        }
    }
    if (sp->gov_move && !s_has_kind(base, CX_EV_GOVERNANCE)) {
        int now = s_org_at(sc, CX_EV_GOVERNANCE, tick);
        if (now != sp->gov_to) {
            cx_rm_move_t m = {-1, tick, now, sp->gov_to, 1, sp->gov_cost, CX_EV_GOVERNANCE};
            s_child(sp, base, &m, out, cap, &n);
        }
    }
    return n;
}

int cx_rm_compare(const cx_roadmap_t *a, const cx_roadmap_t *b)
{
    bool na = isnan(a->mean), nb = isnan(b->mean);
    if (na != nb) {
        return na ? 1 : -1;
    }
    if (!na && a->mean != b->mean) {
        return a->mean > b->mean ? -1 : 1;
    }
    if (a->cost != b->cost) {
        return a->cost < b->cost ? -1 : 1;
    }
    if (a->n != b->n) {
        return a->n < b->n ? -1 : 1;
    }
    for (int i = 0; i < a->n; i++) {
        if (a->move[i].kind != b->move[i].kind) {
            return a->move[i].kind < b->move[i].kind ? -1 : 1;
        }
        if (a->move[i].dept != b->move[i].dept) {
            return a->move[i].dept < b->move[i].dept ? -1 : 1;
        }
        if (a->move[i].tick != b->move[i].tick) {
            return a->move[i].tick < b->move[i].tick ? -1 : 1;
        }
        if (a->move[i].to != b->move[i].to) {
            return a->move[i].to < b->move[i].to ? -1 : 1;
        }
    }
    return 0;
}

int cx_rm_select(cx_roadmap_t *rm, int n, int w, int *keep)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        rm[i].kept = false;
    }
    /* Selection by repeated minimum: n and w are small, and the order is
     * total, so the result does not depend on the input order. */
    while (k < w) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            if (rm[i].kept || isnan(rm[i].mean)) {
                continue;
            }
            if (best < 0 || cx_rm_compare(&rm[i], &rm[best]) < 0) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        rm[best].kept = true;
        keep[k++] = best;
    }
    return k;
}

/* A whole number as digits, else the shortest %g form that reads back to
 * x. */
static void s_num(cx_buf_t *b, double x)
{
    char s[40];
    if (x == floor(x) && fabs(x) < 1e15) {
        cx_buf_printf(b, "%.0f", x);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*g", p, x);
        if (strtod(s, NULL) == x) {
            break;
        }
    }
    cx_buf_printf(b, "%s", s);
}

void cx_rm_event_text(cx_buf_t *b, const cx_scenario_t *sc, const cx_event_spec_t *e)
{
    cx_buf_printf(b, "{at: %d, event: %s", e->tick, cx_event_kind_name(e->kind));
    if (e->dept >= 0 && e->dept < sc->n_dept) {
        cx_buf_printf(b, ", department: %s", sc->dept[e->dept].id);
    }
    switch (e->kind) {
    case CX_EV_MATURITY:
        cx_buf_printf(b, ", to: ");
        s_num(b, e->value);
        break;
    case CX_EV_CX_OWNER:
        cx_buf_printf(b, ", owner: %s", cx_owner_name((cx_owner_t)e->owner));
        break;
    case CX_EV_GOVERNANCE:
        cx_buf_printf(b, ", governance: %s",
                          cx_governance_name((cx_governance_t)e->governance));
        break;
    default:
        cx_buf_printf(b, ", value: ");
        s_num(b, e->value);
        break;
    }
    if (e->kind == CX_EV_MATURITY || e->kind == CX_EV_CAMPAIGN || e->kind == CX_EV_OUTAGE) {
        cx_buf_printf(b, ", over: %d", e->duration);
    }
    cx_buf_printf(b, ", cost: ");
    s_num(b, e->cost);
    cx_buf_printf(b, "}");
}

void cx_rm_timeline_set(cx_buf_t *b, const cx_scenario_t *sc, const cx_roadmap_t *rm)
{
    cx_buf_printf(b, "timeline=[");
    int n = 0;
    for (int i = 0; i < sc->n_event && i < CX_MAX_EVENTS; i++) {
        cx_buf_printf(b, "%s", n++ ? ", " : "");
        cx_rm_event_text(b, sc, &sc->event[i]);
    }
    for (int i = 0; rm && i < rm->n; i++) {
        const cx_rm_move_t *m = &rm->move[i];
        cx_event_spec_t e;
        memset(&e, 0, sizeof e);
        e.tick = m->tick;
        e.kind = m->kind;
        e.dept = m->dept;
        e.value = m->kind == CX_EV_MATURITY ? m->to : 0;
        e.owner = m->kind == CX_EV_CX_OWNER ? (int)m->to : 0;
        e.governance = m->kind == CX_EV_GOVERNANCE ? (int)m->to : 0;
        e.duration = m->over;
        e.cost = m->cost;
        cx_buf_printf(b, "%s", n++ ? ", " : "");
        cx_rm_event_text(b, sc, &e);
    }
    cx_buf_printf(b, "]");
}

void cx_rm_key(cx_buf_t *b, const cx_scenario_t *sc, const cx_roadmap_t *rm)
{
    if (rm->n == 0) {
        cx_buf_printf(b, "none");
    }
    for (int i = 0; i < rm->n; i++) {
        const cx_rm_move_t *m = &rm->move[i];
        if (m->kind == CX_EV_CX_OWNER) {
            cx_buf_printf(b, "%scx_owner@%d:%s>%s", i ? "; " : "", m->tick,
                              cx_owner_name((cx_owner_t)m->from), cx_owner_name((cx_owner_t)m->to));
            continue;
        }
        if (m->kind == CX_EV_GOVERNANCE) {
            cx_buf_printf(b, "%sgovernance@%d:%s>%s", i ? "; " : "", m->tick,
                              cx_governance_name((cx_governance_t)m->from),
                              cx_governance_name((cx_governance_t)m->to));
            continue;
        }
        cx_buf_printf(b, "%s%s@%d:", i ? "; " : "", sc->dept[m->dept].id, m->tick);
        s_num(b, m->from);
        cx_buf_printf(b, ">");
        s_num(b, m->to);
    }
}

/* Whole currency units with thousands separators: 250,000. */
static void s_money(cx_buf_t *b, double x)
{
    char s[64], o[96];
    snprintf(s, sizeof s, "%.0f", fabs(x));
    size_t len = strlen(s), k = 0;
    if (x < 0 && strcmp(s, "0") != 0) {
        o[k++] = '-';
    }
    for (size_t i = 0; i < len && k + 2 < sizeof o; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            o[k++] = ',';
        }
        o[k++] = s[i];
    }
    o[k] = '\0';
    cx_buf_printf(b, "%s", o);
}

void cx_rm_move_describe(cx_buf_t *b, const cx_scenario_t *sc, const cx_rm_move_t *m)
{
    if (m->kind == CX_EV_CX_OWNER || m->kind == CX_EV_GOVERNANCE) {
        bool own = m->kind == CX_EV_CX_OWNER;
        cx_buf_printf(b, "tick %d: %s %s\xe2\x86\x92%s, cost ", m->tick,
                          own ? "CX owner" : "governance",
                          own ? cx_owner_name((cx_owner_t)m->from)
                              : cx_governance_name((cx_governance_t)m->from),
                          own ? cx_owner_name((cx_owner_t)m->to)
                              : cx_governance_name((cx_governance_t)m->to));
        s_money(b, m->cost);
        return;
    }
    cx_buf_printf(b, "tick %d: %s ", m->tick, sc->dept[m->dept].id);
    s_num(b, m->from);
    cx_buf_printf(b, "\xe2\x86\x92");
    s_num(b, m->to);
    cx_buf_printf(b, " over %d tick%s, cost ", m->over, m->over == 1 ? "" : "s");
    s_money(b, m->cost);
}

int cx_rm_payback(const double *net, int n)
{
    if (n <= 0 || net[n - 1] < 0) {
        return -1;
    }
    int t = n - 1;
    while (t > 0 && net[t - 1] >= 0) {
        t--;
    }
    return t;
}

cx_roadmap_t cx_rm_none(void)
{
    cx_roadmap_t none;
    memset(&none, 0, sizeof none);
    none.point = -1;
    none.mean = none.lo = none.hi = none.half = NAN;
    return none;
}

int cx_rm_below5(const cx_scenario_t *sc, const cx_rm_space_t *sp, double *cheapest)
{
    int below5 = 0;
    int t1 = cx_rm_start_tick(1, sp->steps, sp->ticks);
    *cheapest = -1;
    for (int d = 0; d < sc->n_dept; d++) {
        if (sp->allowed[d] && cx_rm_next_level(cx_rm_level(sc, NULL, d, t1)) > 0) {
            below5++;
            *cheapest = *cheapest < 0 || sp->cost[d] < *cheapest ? sp->cost[d] : *cheapest;
        }
    }
    return below5;
}

/* Appends rm (at step) to all when there is room. */
static void s_keep_rec(cx_rm_rec_t *all, int cap_all, int *n_all, const cx_roadmap_t *rm,
                       int step)
{
    if (*n_all < cap_all) {
        all[*n_all].rm = *rm;
        all[(*n_all)++].step = step;
    }
}

int cx_rm_search(const cx_scenario_t *sc, const cx_rm_space_t *sp, int w, cx_rm_eval_fn *eval,
                 cx_rm_step_fn *on_step, void *ud, cx_rm_rec_t *all, int cap_all, int *n_all,
                 cx_roadmap_t *best, const char **stop)
{
    int per_step = w * cx_rm_max_candidates(sc, sp);
    cx_roadmap_t *beam = calloc((size_t)w, sizeof *beam);
    cx_roadmap_t *kids = calloc((size_t)per_step + 1, sizeof *kids);
    int *keep = calloc((size_t)w, sizeof *keep);
    int rc = -1, n_beam = 1;
    *n_all = 0;
    *best = cx_rm_none();
    *stop = "steps";
    if (!beam || !kids || !keep) {
        goto done;
    }
    rc = 0;
    beam[0] = *best;
    for (int step = 1; step <= sp->steps; step++) {
        int nk = 0;
        if (step == 1) { /* the reference, doing nothing, as kids[0] */
            kids[nk++] = *best;
        }
        for (int b = 0; b < n_beam; b++) {
            int got = cx_rm_candidates(sc, sp, &beam[b], kids + nk, per_step + 1 - nk);
            nk += got > 0 ? got : 0;
        }
        if (nk == (step == 1 ? 1 : 0)) {
            *stop = "budget";
            break;
        }
        if (eval(ud, kids, nk, step == 1) != 0) {
            *stop = "aborted";
            rc = 1;
            break;
        }
        cx_roadmap_t *cand = kids + (step == 1);
        int nc = nk - (step == 1);
        if (step == 1) {
            *best = kids[0];
            kids[0].kept = false;
            s_keep_rec(all, cap_all, n_all, &kids[0], 0);
        }
        int nkeep = cx_rm_select(cand, nc, w, keep);
        for (int i = 0; i < nc; i++) {
            s_keep_rec(all, cap_all, n_all, &cand[i], step);
        }
        const cx_roadmap_t *top = nkeep ? &cand[keep[0]] : NULL;
        if (on_step) {
            on_step(ud, step, nc, top);
        }
        if (!top || !(top->mean > best->mean)) {
            *stop = "no improvement";
            break;
        }
        *best = *top;
        for (int i = 0; i < nkeep; i++) {
            beam[i] = cand[keep[i]];
        }
        n_beam = nkeep;
    }
done:
    free(beam);
    free(kids);
    free(keep);
    return rc;
}
