/*  cx_scenario — defaults, lookups and enum names of the scenario data. */
#include "cx_scenario.h"

#include <stdio.h>
#include <string.h>

static const char *s_owner[] = {"none", "marketing", "customer_service", "product", "cx_team"};
static const char *s_gov[] = {"centralised", "hybrid", "decentralised"};
static const char *s_unit[] = {"day", "week", "month"};
static const char *s_kind[] = {"other",   "marketing", "sales",     "customer_service", "product",
                               "it",      "cx_team",   "logistics", "finance"};
static const char *s_channel[] = {"web",  "app",  "phone",  "email", "chat",
                                  "store", "mail", "social", "field", "third_party"};
static const char *s_event[] = {"maturity", "cx_owner", "governance", "campaign",
                                "outage",   "price",    "policy",     "staff"};
static const char *s_pillar[] = {"integrity",       "resolution",      "expectations",
                                 "time_effort",     "personalisation", "empathy"};

#define S_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int s_find(const char *const *names, int n, const char *s)
{
    if (!s) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *s_name(const char *const *names, int n, int v)
{
    return (v >= 0 && v < n) ? names[v] : "?";
}

const char *cx_owner_name(cx_owner_t v) { return s_name(s_owner, S_COUNT(s_owner), (int)v); }
int cx_owner_from_name(const char *s) { return s_find(s_owner, S_COUNT(s_owner), s); }
const char *cx_governance_name(cx_governance_t v) { return s_name(s_gov, S_COUNT(s_gov), (int)v); }
int cx_governance_from_name(const char *s) { return s_find(s_gov, S_COUNT(s_gov), s); }
const char *cx_tick_unit_name(cx_tick_unit_t v) { return s_name(s_unit, S_COUNT(s_unit), (int)v); }
int cx_tick_unit_from_name(const char *s) { return s_find(s_unit, S_COUNT(s_unit), s); }
const char *cx_dept_kind_name(cx_dept_kind_t v) { return s_name(s_kind, S_COUNT(s_kind), (int)v); }
int cx_dept_kind_from_name(const char *s) { return s_find(s_kind, S_COUNT(s_kind), s); }
const char *cx_channel_name(cx_channel_t v) { return s_name(s_channel, S_COUNT(s_channel), (int)v); }
int cx_channel_from_name(const char *s) { return s_find(s_channel, S_COUNT(s_channel), s); }
const char *cx_event_kind_name(cx_event_kind_t v) { return s_name(s_event, S_COUNT(s_event), (int)v); }
int cx_event_kind_from_name(const char *s) { return s_find(s_event, S_COUNT(s_event), s); }
const char *cx_pillar_name(cx_pillar_t v) { return s_name(s_pillar, S_COUNT(s_pillar), (int)v); }

double cx_tick_days(cx_tick_unit_t unit)
{
    switch (unit) {
    case CX_TICK_WEEK:
        return 7.0;
    case CX_TICK_MONTH:
        return 30.4375;
    default:
        return 1.0;
    }
}

void cx_dept_spec_defaults(cx_dept_spec_t *d)
{
    /* Interactions one member of staff handles per day at maturity 3, by
     * kind: contact-centre work is short, sales and field work is long. */
    static const double rate[CX_DEPT_KIND_COUNT] = {
        [CX_DEPT_OTHER] = 20,   [CX_DEPT_MARKETING] = 60, [CX_DEPT_SALES] = 12,
        [CX_DEPT_CUSTOMER_SERVICE] = 30, [CX_DEPT_PRODUCT] = 40, [CX_DEPT_IT] = 200,
        [CX_DEPT_CX_TEAM] = 10, [CX_DEPT_LOGISTICS] = 50, [CX_DEPT_FINANCE] = 40};
    if (d->service_rate <= 0) {
        d->service_rate = rate[d->kind < CX_DEPT_KIND_COUNT ? d->kind : 0];
    }
    if (d->cost_per_staff <= 0) {
        d->cost_per_staff = 55000.0;
    }
    if (d->engagement <= 0) {
        d->engagement = 50.0;
    }
    if (d->staff <= 0) {
        d->staff = 10.0;
    }
    if (d->maturity < 1.0) {
        d->maturity = 2.0;
    }
}

void cx_scenario_defaults(cx_scenario_t *sc)
{
    memset(sc, 0, sizeof *sc);
    strcpy(sc->name, "unnamed");
    sc->seed = 1;
    sc->ticks = 365;
    sc->tick_unit = CX_TICK_DAY;
    sc->cx_owner = CX_OWNER_NONE;
    sc->governance = CX_GOV_CENTRALISED;
    sc->gross_margin = 0.30;
    sc->discount_rate = 0.10;
    sc->market_share = 0.20;
    cx_params_defaults(&sc->params);
}

int cx_scenario_dept_index(const cx_scenario_t *sc, const char *id)
{
    for (int i = 0; i < sc->n_dept; i++) {
        if (strcmp(sc->dept[i].id, id) == 0) {
            return i;
        }
    }
    return -1;
}

int cx_scenario_persona_index(const cx_scenario_t *sc, const char *id)
{
    for (int i = 0; i < sc->n_persona; i++) {
        if (strcmp(sc->persona[i].id, id) == 0) {
            return i;
        }
    }
    return -1;
}

int cx_scenario_journey_index(const cx_scenario_t *sc, const char *id)
{
    for (int i = 0; i < sc->n_journey; i++) {
        if (strcmp(sc->journey[i].id, id) == 0) {
            return i;
        }
    }
    return -1;
}

int cx_scenario_dept_of_kind(const cx_scenario_t *sc, cx_dept_kind_t kind)
{
    for (int i = 0; i < sc->n_dept; i++) {
        if (sc->dept[i].kind == kind) {
            return i;
        }
    }
    return -1;
}

int cx_scenario_add_event(cx_scenario_t *sc, const cx_event_spec_t *ev, int first_tick)
{
    if (sc->n_event >= CX_MAX_EVENTS || ev->tick < first_tick || ev->tick < 0 ||
        ev->tick >= sc->ticks) {
        return -1;
    }
    int at = sc->n_event;
    while (at > 0 && sc->event[at - 1].tick > ev->tick) {
        at--;
    }
    memmove(&sc->event[at + 1], &sc->event[at], (size_t)(sc->n_event - at) * sizeof sc->event[0]);
    sc->event[at] = *ev;
    sc->n_event++;
    return at;
}

int cx_event_describe(const cx_scenario_t *sc, const cx_event_spec_t *ev, char *buf, size_t cap)
{
    const char *dept = ev->dept >= 0 && ev->dept < sc->n_dept ? sc->dept[ev->dept].id : "";
    const char *s = ev->duration == 1 ? "" : "s";
    switch (ev->kind) {
    case CX_EV_MATURITY:
        return snprintf(buf, cap, "%s moves to maturity %g over %d tick%s", dept, ev->value,
                        ev->duration, s);
    case CX_EV_CX_OWNER:
        return snprintf(buf, cap, "%s owns CX", cx_owner_name((cx_owner_t)ev->owner));
    case CX_EV_GOVERNANCE:
        return snprintf(buf, cap, "governance becomes %s",
                        cx_governance_name((cx_governance_t)ev->governance));
    case CX_EV_CAMPAIGN:
        return snprintf(buf, cap, "a campaign multiplies acquisition by %g for %d tick%s",
                        ev->value, ev->duration, s);
    case CX_EV_OUTAGE:
        return snprintf(buf, cap, "%s loses %g%% of its capacity for %d tick%s", dept,
                        ev->value * 100.0, ev->duration, s);
    case CX_EV_PRICE:
        return snprintf(buf, cap, "prices become %g times list price", ev->value);
    case CX_EV_POLICY:
        return snprintf(buf, cap, "a policy change of severity %g", ev->value);
    case CX_EV_STAFF:
        return snprintf(buf, cap, "%s staff becomes %g", dept, ev->value);
    default:
        return snprintf(buf, cap, "%s", cx_event_kind_name(ev->kind));
    }
}
