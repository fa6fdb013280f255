/*  cx_load — a YAML scenario to a validated cx_scenario_t.
 *
 *  Three steps:
 *    1. cx_doc_parse: text -> tree, under size, depth, node and alias limits;
 *    2. cx_doc_set: each `--set key.path=value` grafted into the tree;
 *    3. the validator below walks the tree section by section, filling the
 *       scenario and reporting every problem it meets (it never stops at the
 *       first), then resolves cross-references once all ids are known.
 *
 *  Every default lives here or in cx_scenario.c/cx_params.c, and each is
 *  documented in docs/SCENARIOS.md; the emitter (cx_emit.c) writes them all
 *  out so the resolved file needs none of them.
 *
 *  Paths in messages index lists from 0: `departments[2].maturity`.
 */
#include "cx_load.h"
#include "cx_doc.h"
#include "cx_load_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits of numeric fields not set by the model's table. */
#define S_MAX_CUSTOMERS 100000000 /* customers of one persona */
#define S_MAX_RATE 1e6            /* interactions per staff per day */
#define S_MAX_WEIGHT 1e6          /* one pillar weight, before normalising */
#define S_MAX_GAP_DAYS 3650.0     /* days between two touchpoints */
#define S_WEIGHT_EPS 1e-12        /* weights summing to 1 within this are kept */

/* Defaults of optional fields (documented in docs/SCENARIOS.md). */
#define S_DEF_STAGE "use"
#define S_DEF_CHANNEL CX_CHANNEL_WEB
#define S_DEF_IT_DEPENDENCE 0.5
#define S_DEF_GAP_DAYS 7.0
#define S_DEF_PROBABILITY 1.0
#define S_DEF_WEIGHT 1.0
#define S_DEF_CHANNEL_PREF 0.5
#define S_DEF_SPEND 50.0
#define S_DEF_BASE_CHURN 0.2
#define S_DEF_EXPECTATION 6.0
#define S_DEF_ACQUISITION 0.1
#define S_DEF_PRICE_SENSITIVITY 0.5

/* ---------------------------------------------------------------- keys */

/* The keys of each mapping, in the order the resolved file writes them.
 * One list per mapping feeds both the validator and cx_scenario_keys. */
/* clang-format off */
#define S_TOP_KEYS(X)                                                                              \
    X(name) X(description) X(seed) X(ticks) X(tick) X(industry) X(company) X(market)             \
        X(departments) X(personas) X(journeys) X(timeline) X(model)
#define S_COMPANY_KEYS(X)                                                                          \
    X(cx_owner) X(governance) X(maturity) X(budget) X(marketing_spend) X(gross_margin)             \
        X(discount_rate)
#define S_MARKET_KEYS(X) X(share) X(growth) X(competitor_improvement)
#define S_DEPT_KEYS(X)                                                                             \
    X(id) X(kind) X(maturity) X(staff) X(cost_per_staff) X(service_rate) X(engagement)
#define S_PERSONA_KEYS(X)                                                                          \
    X(id) X(customers) X(shards) X(journey) X(weights) X(channels) X(spend) X(base_churn)          \
        X(expectation) X(acquisition) X(price_sensitivity)
#define S_JOURNEY_KEYS(X) X(id) X(loop_to) X(touchpoints)
#define S_TP_KEYS(X)                                                                               \
    X(id) X(stage) X(owner) X(channel) X(moment_of_truth) X(purchase) X(avoidable)                 \
        X(it_dependence) X(gap_days) X(probability) X(handoff) X(quality) X(no_pain)
#define S_EVENT_KEYS(X)                                                                            \
    X(at) X(event) X(department) X(to) X(value) X(over) X(cost) X(owner) X(governance)

/* clang-format on */

#define S_KEY(k) #k,
static const char *const s_top_keys[] = {S_TOP_KEYS(S_KEY)};
static const char *const s_company_keys[] = {S_COMPANY_KEYS(S_KEY)};
static const char *const s_market_keys[] = {S_MARKET_KEYS(S_KEY)};
static const char *const s_dept_keys[] = {S_DEPT_KEYS(S_KEY)};
static const char *const s_persona_keys[] = {S_PERSONA_KEYS(S_KEY)};
static const char *const s_journey_keys[] = {S_JOURNEY_KEYS(S_KEY)};
static const char *const s_tp_keys[] = {S_TP_KEYS(S_KEY)};
const char *const cx_load__event_keys[] = {S_EVENT_KEYS(S_KEY)};
const int cx_load__n_event_keys = CX_LOAD_N(cx_load__event_keys);

/* The same as documented paths, for cx_scenario_keys. */
#define S_COMPANY_PATH(k) "company." #k,
#define S_MARKET_PATH(k) "market." #k,
#define S_DEPT_PATH(k) "departments[]." #k,
#define S_PERSONA_PATH(k) "personas[]." #k,
#define S_JOURNEY_PATH(k) "journeys[]." #k,
#define S_TP_PATH(k) "journeys[].touchpoints[]." #k,
#define S_EVENT_PATH(k) "timeline[]." #k,
static const char *const s_all_keys[] = {
    S_TOP_KEYS(S_KEY) S_COMPANY_KEYS(S_COMPANY_PATH) S_MARKET_KEYS(S_MARKET_PATH)
        S_DEPT_KEYS(S_DEPT_PATH) S_PERSONA_KEYS(S_PERSONA_PATH) S_JOURNEY_KEYS(S_JOURNEY_PATH)
            S_TP_KEYS(S_TP_PATH) S_EVENT_KEYS(S_EVENT_PATH) "model.<parameter>"};

/* ------------------------------------------------------------ sections */

static void s_top(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    char found[CX_LOAD_SHOW * 4 + 16];
    const cx_node_t *v = cx_node_get(root, "name");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->name];
        const char *s = cx_load__text(v, buf, sizeof buf);
        bool ok = s && s[0] && s[0] != '.' && s[0] != '-';
        for (const char *p = s; ok && *p; p++) {
            ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
        }
        if (!ok) {
            cx_load__err(c, v, "name",
                         "expected a short name (letters, digits, '_', '-' or '.', at most %d "
                         "characters, not starting with '.' or '-'), found %s",
                         (int)sizeof sc->name - 1, cx_load__show(v, found, sizeof found));
        } else {
            memset(sc->name, 0, sizeof sc->name);
            memcpy(sc->name, s, strlen(s));
        }
    }
    v = cx_node_get(root, "description");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->description];
        const char *s = cx_load__text(v, buf, sizeof buf);
        if (!s) {
            cx_load__err(c, v, "description", "expected a text of at most %d bytes, found %s%s",
                         (int)sizeof sc->description - 1, cx_load__show(v, found, sizeof found),
                         v->type == CX_NODE_SCALAR && v->len >= sizeof buf ? " (too long)" : "");
        } else {
            memset(sc->description, 0, sizeof sc->description);
            memcpy(sc->description, s, strlen(s));
        }
    }
    v = cx_node_get(root, "industry");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->industry];
        const char *s = cx_load__text(v, buf, sizeof buf);
        if (!s) {
            cx_load__err(c, v, "industry", "expected a text of at most %d bytes, found %s",
                         (int)sizeof sc->industry - 1, cx_load__show(v, found, sizeof found));
        } else {
            memset(sc->industry, 0, sizeof sc->industry);
            memcpy(sc->industry, s, strlen(s));
        }
    }
    v = cx_node_get(root, "seed");
    if (!cx_node_is_null(v)) {
        char buf[32];
        bool ok = cx_load__digits_text(v, buf, sizeof buf);
        for (const char *p = buf; ok && *p; p++) {
            ok = isdigit((unsigned char)*p) != 0;
        }
        unsigned long long x = 0;
        if (ok) {
            errno = 0;
            x = strtoull(buf, NULL, 10);
            ok = errno != ERANGE;
        }
        if (!ok) {
            cx_load__err(c, v, "seed",
                         "expected an integer from 0 to 18446744073709551615, found %s",
                         cx_load__show(v, found, sizeof found));
        } else {
            sc->seed = (uint64_t)x;
        }
    }
    cx_load__int(c, root, "", "ticks", 1, CX_MAX_TICKS, &sc->ticks);
    int unit;
    if (cx_load__enum(c, root, "", "tick", cx_load__unit_nm, CX_TICK_UNIT_COUNT, &unit) == 1) {
        sc->tick_unit = (cx_tick_unit_t)unit;
    }
}

static void s_company(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "company");
    if (cx_node_is_null(m)) {
        return;
    }
    if (!cx_load__map(c, m, "company", s_company_keys, CX_LOAD_N(s_company_keys),
                      "the company section")) {
        return;
    }
    int x;
    if (cx_load__enum(c, m, "company", "cx_owner", cx_load__owner_nm, CX_OWNER_COUNT, &x) == 1) {
        sc->cx_owner = (cx_owner_t)x;
    }
    if (cx_load__enum(c, m, "company", "governance", cx_load__gov_nm, CX_GOV_COUNT, &x) == 1) {
        sc->governance = (cx_governance_t)x;
    }
    cx_load__num(c, m, "company", "maturity", 1, 5, false, &c->maturity);
    cx_load__num(c, m, "company", "budget", 0, CX_LOAD_MAX_MONEY, false, &sc->budget);
    cx_load__num(c, m, "company", "marketing_spend", 0, CX_LOAD_MAX_MONEY, false,
                 &sc->marketing_spend);
    cx_load__num(c, m, "company", "gross_margin", 0, 1, false, &sc->gross_margin);
    cx_load__num(c, m, "company", "discount_rate", 0, 1, false, &sc->discount_rate);
}

static void s_market(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "market");
    if (cx_node_is_null(m)) {
        return;
    }
    if (!cx_load__map(c, m, "market", s_market_keys, CX_LOAD_N(s_market_keys),
                      "the market section")) {
        return;
    }
    cx_load__num(c, m, "market", "share", 0.001, 0.9, false, &sc->market_share);
    cx_load__num(c, m, "market", "growth", -0.5, 1.0, false, &sc->market_growth);
    cx_load__num(c, m, "market", "competitor_improvement", -20, 20, false,
                 &sc->competitor_improvement);
}

/* Reads a required id; reports a duplicate among the first `n_prev` ids
 * (each CX_ID_MAX apart from `prev`, lines in `lines`). */
static void s_item_id(cx_load_ctx_t *c, const cx_node_t *item, const char *path, const char *what,
                      char *out, const char *prev, size_t stride, const int *lines, size_t lstride,
                      int n_prev, const char *noun)
{
    char kp[CX_LOAD_PATH];
    const cx_node_t *v = cx_node_get(item, "id");
    if (cx_node_is_null(v)) {
        cx_load__missing(c, item, path, "id", what);
        return;
    }
    if (cx_load__read_id(c, v, cx_load__key_path(kp, path, "id"), what, out) != 1) {
        return;
    }
    for (int j = 0; j < n_prev; j++) {
        const char *other = prev + (size_t)j * stride;
        if (strcmp(other, out) == 0) {
            int line = *(const int *)((const char *)lines + (size_t)j * lstride);
            if (line > 0) {
                cx_load__err(c, v, kp,
                             "expected a unique %s id, found '%s' again (first at line %d)", noun,
                             out, line);
            } else {
                cx_load__err(c, v, kp, "expected a unique %s id, found '%s' again", noun, out);
            }
            return;
        }
    }
}

static void s_departments(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = cx_load__list(c, root, "", "departments", "departments");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !cx_load__flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[CX_LOAD_PATH];
        cx_load__index_path(ip, "departments", i);
        if (i == CX_MAX_DEPTS) {
            cx_load__err(c, item, ip, "expected at most %d departments, found %d", CX_MAX_DEPTS,
                         list->n);
            break;
        }
        cx_dept_spec_t *d = &sc->dept[sc->n_dept++];
        d->line = item->origin ? 0 : item->line;
        if (!cx_load__map(c, item, ip, s_dept_keys, CX_LOAD_N(s_dept_keys), "a department")) {
            continue;
        }
        s_item_id(c, item, ip, "a department id", d->id, sc->dept[0].id, sizeof sc->dept[0],
                  &sc->dept[0].line, sizeof sc->dept[0], sc->n_dept - 1, "department");
        if (strcmp(d->id, "external") == 0) {
            char kp[CX_LOAD_PATH];
            cx_load__err(c, cx_node_get(item, "id"), cx_load__key_path(kp, ip, "id"),
                         "expected a department id other than 'external', which names touchpoints "
                         "the company does not run");
        }
        int kind;
        if (cx_load__enum(c, item, ip, "kind", cx_load__kind_nm, CX_DEPT_KIND_COUNT, &kind) == 1) {
            d->kind = (cx_dept_kind_t)kind;
        } else {
            int k = cx_dept_kind_from_name(d->id);
            d->kind = k >= 0 ? (cx_dept_kind_t)k : CX_DEPT_OTHER;
        }
        /* Zero means "not given": cx_dept_spec_defaults fills those, and
         * the ranges below exclude 0 so a given value is never replaced. */
        if (cx_load__num(c, item, ip, "maturity", 1, 5, false, &d->maturity) == 0) {
            d->maturity = c->maturity; /* company.maturity, or 0 for the kind default */
        }
        cx_load__num(c, item, ip, "staff", 0, CX_LOAD_MAX_STAFF, true, &d->staff);
        cx_load__num(c, item, ip, "cost_per_staff", 0, CX_LOAD_MAX_MONEY, true, &d->cost_per_staff);
        cx_load__num(c, item, ip, "service_rate", 0, S_MAX_RATE, true, &d->service_rate);
        cx_load__num(c, item, ip, "engagement", 0, 100, true, &d->engagement);
        cx_dept_spec_defaults(d);
    }
}

/* Department ids (for references); *n gets the count. */
void cx_load__dept_ids(const cx_scenario_t *sc, const char **ids, int *n)
{
    for (int i = 0; i < sc->n_dept; i++) {
        ids[i] = sc->dept[i].id;
    }
    *n = sc->n_dept;
}

static void s_touchpoint(cx_load_ctx_t *c, const cx_node_t *item, const char *ip,
                         cx_journey_spec_t *j, cx_touchpoint_spec_t *t, const cx_scenario_t *sc)
{
    char kp[CX_LOAD_PATH];
    const char *depts[CX_MAX_DEPTS + 1];
    int n_depts;
    cx_load__dept_ids(sc, depts, &n_depts);

    t->owner = -1;
    snprintf(t->stage, sizeof t->stage, "%s", S_DEF_STAGE);
    t->channel = S_DEF_CHANNEL;
    t->it_dependence = S_DEF_IT_DEPENDENCE;
    t->gap_days = S_DEF_GAP_DAYS;
    t->probability = S_DEF_PROBABILITY;
    if (!cx_load__map(c, item, ip, s_tp_keys, CX_LOAD_N(s_tp_keys), "a touchpoint")) {
        return;
    }
    s_item_id(c, item, ip, "a touchpoint id", t->id, j->tp[0].id, sizeof j->tp[0], &j->tp[0].line,
              sizeof j->tp[0], (int)(t - j->tp), "touchpoint");
    cx_load__read_id(c, cx_node_get(item, "stage"), cx_load__key_path(kp, ip, "stage"),
                     "a stage name", t->stage);

    const cx_node_t *v = cx_node_get(item, "owner");
    bool external = false;
    if (cx_node_is_null(v)) {
        cx_load__missing(c, item, ip, "owner", "a department id, or 'external'");
    } else if (cx_node_is(v, "external")) {
        external = true;
    } else {
        depts[n_depts] = "external";
        cx_load__read_ref(c, v, cx_load__key_path(kp, ip, "owner"), "a department id or 'external'",
                          depts, n_depts + 1, &t->owner);
        if (t->owner == n_depts) {
            t->owner = -1; /* unreachable: "external" matched above */
        }
    }
    int ch;
    if (cx_load__enum(c, item, ip, "channel", cx_load__channel_nm, CX_CHANNEL_COUNT, &ch) == 1) {
        t->channel = (cx_channel_t)ch;
    }
    cx_load__bool(c, item, ip, "moment_of_truth", &t->moment_of_truth);
    cx_load__bool(c, item, ip, "purchase", &t->purchase);
    cx_load__bool(c, item, ip, "avoidable", &t->avoidable);
    cx_load__bool(c, item, ip, "no_pain", &t->no_pain);
    if (external) {
        t->it_dependence = 0.0; /* IT does not shape a third party's touchpoint */
    }
    cx_load__num(c, item, ip, "it_dependence", 0, 1, false, &t->it_dependence);
    cx_load__num(c, item, ip, "gap_days", 0, S_MAX_GAP_DAYS, true, &t->gap_days);
    cx_load__num(c, item, ip, "probability", 0, 1, false, &t->probability);
    cx_load__num(c, item, ip, "quality", -10, 10, false, &t->quality);

    const cx_node_t *h = cx_load__list(c, item, ip, "handoff", "department ids");
    if (h) {
        char hp[CX_LOAD_PATH];
        cx_load__key_path(hp, ip, "handoff");
        for (int k = 0; k < h->n; k++) {
            char ep[CX_LOAD_PATH];
            cx_load__index_path(ep, hp, k);
            if (k == CX_MAX_HANDOFF) {
                cx_load__err(c, h->kids[k], ep, "expected at most %d hand-off targets, found %d",
                             CX_MAX_HANDOFF, h->n);
                break;
            }
            int d = -1;
            if (cx_node_is_null(h->kids[k])) {
                cx_load__err(c, h->kids[k], ep, "expected a department id, found nothing");
                continue;
            }
            if (cx_load__read_ref(c, h->kids[k], ep, "a department id", depts, n_depts, &d) != 1) {
                continue;
            }
            bool dup = false;
            for (int m = 0; m < t->n_handoff; m++) {
                dup = dup || t->handoff[m] == d;
            }
            if (dup) {
                cx_load__err(c, h->kids[k], ep,
                             "expected each hand-off target once, found '%s' again",
                             sc->dept[d].id);
            } else if (d == t->owner) {
                cx_load__err(c, h->kids[k], ep,
                             "expected a department other than the touchpoint's owner, found '%s' "
                             "(a hand-off passes the case to someone else)",
                             sc->dept[d].id);
            } else {
                t->handoff[t->n_handoff++] = d;
            }
        }
    }
}

static void s_journeys(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = cx_load__list(c, root, "", "journeys", "journeys");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !cx_load__flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[CX_LOAD_PATH];
        char kp[CX_LOAD_PATH];
        cx_load__index_path(ip, "journeys", i);
        if (i == CX_MAX_JOURNEYS) {
            cx_load__err(c, item, ip, "expected at most %d journeys, found %d", CX_MAX_JOURNEYS,
                         list->n);
            break;
        }
        cx_journey_spec_t *j = &sc->journey[sc->n_journey++];
        j->line = item->origin ? 0 : item->line;
        if (!cx_load__map(c, item, ip, s_journey_keys, CX_LOAD_N(s_journey_keys), "a journey")) {
            continue;
        }
        s_item_id(c, item, ip, "a journey id", j->id, sc->journey[0].id, sizeof sc->journey[0],
                  &sc->journey[0].line, sizeof sc->journey[0], sc->n_journey - 1, "journey");

        const cx_node_t *tps = cx_load__list(c, item, ip, "touchpoints", "touchpoints");
        if (!tps) {
            if (cx_node_is_null(cx_node_get(item, "touchpoints"))) {
                cx_load__missing(c, item, ip, "touchpoints", "a list of at least one touchpoint");
            }
            continue;
        }
        char tp_path[CX_LOAD_PATH];
        cx_load__key_path(tp_path, ip, "touchpoints");
        if (tps->n == 0) {
            cx_load__err(c, tps, tp_path, "expected at least one touchpoint, found an empty list");
        }
        for (int k = 0; k < tps->n && !cx_load__flooded(c); k++) {
            char tpp[CX_LOAD_PATH];
            cx_load__index_path(tpp, tp_path, k);
            if (k == CX_MAX_TOUCHPOINTS) {
                cx_load__err(c, tps->kids[k], tpp,
                             "expected at most %d touchpoints in a journey, found %d",
                             CX_MAX_TOUCHPOINTS, tps->n);
                break;
            }
            cx_touchpoint_spec_t *t = &j->tp[j->n_tp++];
            t->line = tps->kids[k]->origin ? 0 : tps->kids[k]->line;
            s_touchpoint(c, tps->kids[k], tpp, j, t, sc);
        }
        const cx_node_t *lt = cx_node_get(item, "loop_to");
        if (!cx_node_is_null(lt) && j->n_tp > 0) {
            const char *ids[CX_MAX_TOUCHPOINTS];
            for (int k = 0; k < j->n_tp; k++) {
                ids[k] = j->tp[k].id;
            }
            cx_load__read_ref(c, lt, cx_load__key_path(kp, ip, "loop_to"),
                              "a touchpoint id of this journey", ids, j->n_tp, &j->loop_to);
        }
    }
}

static void s_weights(cx_load_ctx_t *c, const cx_node_t *p, const char *ip, cx_persona_spec_t *ps)
{
    const char *names[CX_PILLARS];
    for (int k = 0; k < CX_PILLARS; k++) {
        names[k] = cx_pillar_name((cx_pillar_t)k);
        ps->weights[k] = S_DEF_WEIGHT;
    }
    const cx_node_t *m = cx_node_get(p, "weights");
    if (cx_node_is_null(m)) {
        m = NULL;
    }
    char wp[CX_LOAD_PATH];
    cx_load__key_path(wp, ip, "weights");
    if (m && !cx_load__map(c, m, wp, names, CX_PILLARS, "pillar weights")) {
        m = NULL;
    }
    bool bad = false;
    for (int k = 0; k < CX_PILLARS && m; k++) {
        bad = cx_load__num(c, m, wp, names[k], 0, S_MAX_WEIGHT, false, &ps->weights[k]) < 0 || bad;
    }
    double sum = 0;
    for (int k = 0; k < CX_PILLARS; k++) {
        sum += ps->weights[k];
    }
    if (bad) {
        return;
    }
    if (sum <= 0) {
        cx_load__err(
            c, m, wp,
            "expected at least one positive pillar weight, found all six at 0 (a pillar left "
            "out counts as 1)");
        return;
    }
    /* Normalise, unless already normalised: that keeps a resolved file's
     * weights bit-for-bit when it is loaded again. */
    if (fabs(sum - 1.0) > S_WEIGHT_EPS) {
        for (int k = 0; k < CX_PILLARS; k++) {
            ps->weights[k] /= sum;
        }
    }
}

static void s_channels(cx_load_ctx_t *c, const cx_node_t *p, const char *ip, cx_persona_spec_t *ps)
{
    const char *names[CX_CHANNEL_COUNT];
    for (int k = 0; k < CX_CHANNEL_COUNT; k++) {
        names[k] = cx_channel_name((cx_channel_t)k);
        ps->channel_pref[k] = S_DEF_CHANNEL_PREF;
    }
    const cx_node_t *m = cx_node_get(p, "channels");
    if (cx_node_is_null(m)) {
        return;
    }
    char cp[CX_LOAD_PATH];
    cx_load__key_path(cp, ip, "channels");
    if (!cx_load__map(c, m, cp, names, CX_CHANNEL_COUNT, "channel preferences")) {
        return;
    }
    for (int k = 0; k < CX_CHANNEL_COUNT; k++) {
        cx_load__num(c, m, cp, names[k], 0, 1, false, &ps->channel_pref[k]);
    }
}

static void s_personas(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = cx_load__list(c, root, "", "personas", "personas");
    if (!list) {
        return;
    }
    const char *journeys[CX_MAX_JOURNEYS];
    for (int k = 0; k < sc->n_journey; k++) {
        journeys[k] = sc->journey[k].id;
    }
    for (int i = 0; i < list->n && !cx_load__flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[CX_LOAD_PATH];
        char kp[CX_LOAD_PATH];
        cx_load__index_path(ip, "personas", i);
        if (i == CX_MAX_PERSONAS) {
            cx_load__err(c, item, ip, "expected at most %d personas, found %d", CX_MAX_PERSONAS,
                         list->n);
            break;
        }
        cx_persona_spec_t *p = &sc->persona[sc->n_persona++];
        p->line = item->origin ? 0 : item->line;
        p->shards = 1;
        p->spend = S_DEF_SPEND;
        p->base_churn = S_DEF_BASE_CHURN;
        p->expectation = S_DEF_EXPECTATION;
        p->acquisition = S_DEF_ACQUISITION;
        p->price_sensitivity = S_DEF_PRICE_SENSITIVITY;
        for (int k = 0; k < CX_PILLARS; k++) {
            p->weights[k] = 1.0 / CX_PILLARS;
        }
        for (int k = 0; k < CX_CHANNEL_COUNT; k++) {
            p->channel_pref[k] = S_DEF_CHANNEL_PREF;
        }
        if (!cx_load__map(c, item, ip, s_persona_keys, CX_LOAD_N(s_persona_keys), "a persona")) {
            continue;
        }
        s_item_id(c, item, ip, "a persona id", p->id, sc->persona[0].id, sizeof sc->persona[0],
                  &sc->persona[0].line, sizeof sc->persona[0], sc->n_persona - 1, "persona");

        const cx_node_t *v = cx_node_get(item, "customers");
        int64_t customers = 0;
        if (cx_node_is_null(v)) {
            cx_load__missing(c, item, ip, "customers",
                             "how many customers the persona has at tick 0");
        } else if (cx_load__read_int(c, v, cx_load__key_path(kp, ip, "customers"), 1,
                                     S_MAX_CUSTOMERS, "an integer", &customers) == 1) {
            p->customers = customers;
        }
        if (cx_load__int(c, item, ip, "shards", 1, CX_MAX_SHARDS, &p->shards) == 1 &&
            p->customers > 0 && p->shards > p->customers) {
            cx_load__err(c, cx_node_get(item, "shards"), cx_load__key_path(kp, ip, "shards"),
                         "expected at most one shard per customer (%lld), found %d",
                         (long long)p->customers, p->shards);
        }
        v = cx_node_get(item, "journey");
        if (cx_node_is_null(v)) {
            if (sc->n_journey > 1) {
                char list_[300];
                char what[340];
                snprintf(what, sizeof what,
                         "one of %s: with more than one journey, each persona "
                         "names its own",
                         cx_load__join(journeys, sc->n_journey, list_, sizeof list_));
                cx_load__missing(c, item, ip, "journey", what);
            }
            p->journey = 0;
        } else {
            cx_load__read_ref(c, v, cx_load__key_path(kp, ip, "journey"), "a journey id", journeys,
                              sc->n_journey, &p->journey);
        }
        s_weights(c, item, ip, p);
        s_channels(c, item, ip, p);
        cx_load__num(c, item, ip, "spend", 0, CX_LOAD_MAX_MONEY, false, &p->spend);
        cx_load__num(c, item, ip, "base_churn", 0, 1, false, &p->base_churn);
        cx_load__num(c, item, ip, "expectation", 0, 10, false, &p->expectation);
        cx_load__num(c, item, ip, "acquisition", 0, 10, false, &p->acquisition);
        cx_load__num(c, item, ip, "price_sensitivity", 0, 5, false, &p->price_sensitivity);
    }
}

static void s_model(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "model");
    if (cx_node_is_null(m)) {
        return;
    }
    int n = 0;
    const cx_param_info_t *table = cx_params_table(&n);
    const char **names = malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
    if (!names) {
        cx_load__err(c, m, "model", "out of memory");
        return;
    }
    for (int k = 0; k < n; k++) {
        names[k] = table[k].name;
    }
    if (cx_load__map(c, m, "model", names, n, "model parameters")) {
        for (int k = 0; k < n; k++) {
            double *field = cx_params_field(&sc->params, table[k].name);
            if (field) {
                cx_load__num(c, m, "model", table[k].name, table[k].lo, table[k].hi, false, field);
            }
        }
    }
    free(names);
}

/* The whole document. */
static void s_scenario(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    if (cx_node_is_null(root)) {
        cx_diags_add(c->diags, c->file, 1, 1, "",
                     "expected a scenario (a mapping with departments, journeys and personas), "
                     "found an empty document");
        c->errors++;
        return;
    }
    if (!cx_load__map(c, root, "", s_top_keys, CX_LOAD_N(s_top_keys), "a scenario")) {
        return;
    }
    s_top(c, root, sc);
    s_company(c, root, sc);
    s_market(c, root, sc);
    s_departments(c, root, sc);
    s_journeys(c, root, sc);
    s_personas(c, root, sc);
    cx_load__timeline(c, root, sc);
    s_model(c, root, sc);

    static const char *const sections[] = {"departments", "journeys", "personas"};
    int counts[] = {sc->n_dept, sc->n_journey, sc->n_persona};
    for (int k = 0; k < 3; k++) {
        if (counts[k] == 0) {
            const cx_node_t *v = cx_node_get(root, sections[k]);
            if (v && v->type == CX_NODE_SEQ) {
                cx_load__err(c, v, sections[k], "expected at least one item, found an empty list");
            } else if (cx_node_is_null(v)) {
                cx_load__err(c, root, sections[k],
                             "missing required key '%s' (a list of at least one)", sections[k]);
            }
        }
    }
}

/* Orders the diagnostics from `start` by line and column (stable); those
 * without a line (overrides) come first, in the order they were given. */
void cx_load__sort_diags(cx_diags_t *d, int start)
{
    /* The "too many errors" note, when present, stays last. */
    int end = d->n == CX_DIAGS_MAX ? d->n - 1 : d->n;
    for (int i = start + 1; i < end; i++) {
        cx_diag_t g = d->items[i];
        int j = i - 1;
        while (j >= start && (d->items[j].line > g.line ||
                              (d->items[j].line == g.line && d->items[j].column > g.column))) {
            d->items[j + 1] = d->items[j];
            j--;
        }
        d->items[j + 1] = g;
    }
}

int cx_scenario_load_string(const char *name, const char *text, size_t len, const char *const *sets,
                            int n_sets, cx_scenario_t *sc, cx_diags_t *diags)
{
    cx_load_ctx_t c = {diags, name ? name : "<string>", sets, n_sets, 0, 0};
    int start = diags->n;
    cx_scenario_defaults(sc);
    if (len > CX_SCENARIO_MAX_BYTES) {
        cx_diags_add(diags, c.file, 0, 0, "",
                     "expected a scenario of at most %d bytes, found %zu bytes",
                     CX_SCENARIO_MAX_BYTES, len);
        return -1;
    }
    if (!text) {
        text = "";
        len = 0;
    }
    cx_doc_t doc;
    cx_doc_init(&doc);
    cx_node_t *root = NULL;
    if (cx_doc_parse(&doc, c.file, text, len, 0, NULL, &root, diags) < 0) {
        cx_doc_fini(&doc);
        return -1;
    }
    for (int k = 0; k < n_sets; k++) {
        if (!sets[k] || cx_doc_set(&doc, &root, sets[k], k + 1, diags) < 0) {
            c.errors++;
        }
    }
    if (root && root->type != CX_NODE_MAP && !cx_node_is_null(root)) {
        char found[CX_LOAD_SHOW * 4 + 16];
        cx_load__err(&c, root, "", "expected a scenario (a mapping of keys), found %s",
                     cx_load__show(root, found, sizeof found));
    } else {
        s_scenario(&c, root, sc);
    }
    cx_doc_fini(&doc);
    cx_load__sort_diags(diags, start);
    return c.errors || diags->n > start ? -1 : 0;
}

int cx_scenario_load_file(const char *path, const char *const *sets, int n_sets, cx_scenario_t *sc,
                          cx_diags_t *diags)
{
    cx_scenario_defaults(sc);
    /* O_NONBLOCK, then a regular file only: a FIFO (or a device, a socket)
     * could keep the reader waiting forever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        cx_diags_add(diags, path, 0, 0, "", "cannot open: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        cx_diags_add(diags, path, 0, 0, "", "cannot read: %s, not a regular scenario file",
                     S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                                            : "a device or a socket");
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        cx_diags_add(diags, path, 0, 0, "", "cannot open: %s", strerror(errno));
        close(fd);
        return -1;
    }
    /* Read at most one byte past the limit, so a huge file costs no more
     * than that. */
    size_t cap = CX_SCENARIO_MAX_BYTES + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        cx_diags_add(diags, path, 0, 0, "", "out of memory");
        return -1;
    }
    size_t len = fread(buf, 1, cap, fp);
    int err = ferror(fp) ? errno : 0;
    fclose(fp);
    if (err) {
        free(buf);
        cx_diags_add(diags, path, 0, 0, "", "cannot read: %s", strerror(err ? err : EIO));
        return -1;
    }
    if (len == cap) {
        free(buf);
        cx_diags_add(diags, path, 0, 0, "",
                     "expected a scenario of at most %d bytes, found a "
                     "larger file",
                     CX_SCENARIO_MAX_BYTES);
        return -1;
    }
    int rc = cx_scenario_load_string(path, buf, len, sets, n_sets, sc, diags);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------- utilities */

void cx_scenario_clear_lines(cx_scenario_t *sc)
{
    for (int i = 0; i < CX_MAX_DEPTS; i++) {
        sc->dept[i].line = 0;
    }
    for (int i = 0; i < CX_MAX_PERSONAS; i++) {
        sc->persona[i].line = 0;
    }
    for (int i = 0; i < CX_MAX_JOURNEYS; i++) {
        sc->journey[i].line = 0;
        for (int k = 0; k < CX_MAX_TOUCHPOINTS; k++) {
            sc->journey[i].tp[k].line = 0;
        }
    }
    for (int i = 0; i < CX_MAX_EVENTS; i++) {
        sc->event[i].line = 0;
    }
}

bool cx_scenario_equal(const cx_scenario_t *a, const cx_scenario_t *b)
{
    cx_scenario_t *x = malloc(sizeof *x);
    cx_scenario_t *y = malloc(sizeof *y);
    bool same = false;
    if (x && y) {
        memcpy(x, a, sizeof *x);
        memcpy(y, b, sizeof *y);
        cx_scenario_clear_lines(x);
        cx_scenario_clear_lines(y);
        same = memcmp(x, y, sizeof *x) == 0;
    }
    free(x);
    free(y);
    return same;
}

int cx_scenario_set_ticks(cx_scenario_t *sc, int ticks)
{
    if (ticks < 1 || ticks > CX_MAX_TICKS) {
        return -1;
    }
    sc->ticks = ticks;
    int kept = 0;
    for (int i = 0; i < sc->n_event; i++) {
        if (sc->event[i].tick < ticks) {
            memmove(&sc->event[kept++], &sc->event[i], sizeof sc->event[0]);
        }
    }
    int dropped = sc->n_event - kept;
    memset(&sc->event[kept], 0, (size_t)dropped * sizeof sc->event[0]);
    sc->n_event = kept;
    return dropped;
}

const char *const *cx_scenario_keys(int *count)
{
    if (count) {
        *count = CX_LOAD_N(s_all_keys);
    }
    return s_all_keys;
}
