/*  cx_load_event — timeline events of a scenario and live events (see
 *  cx_load.h: cx_event_load_string): which keys each kind takes, their
 *  ranges, and the timeline's order.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_load_int.h"

/* Which keys each event kind takes, besides `at`, `event` and `cost`. */
typedef struct {
    bool department;     /* names a department */
    bool department_req; /* ... and must */
    bool to;             /* takes `to` (maturity target), required */
    bool value;          /* takes `value`, required */
    double lo;           /* range of value */
    double hi;           /* range of value */
    bool lo_open;        /* value must exceed lo */
    bool over;           /* takes `over` */
    bool owner;          /* takes `owner`, required */
    bool governance;     /* takes `governance`, required */
} s_event_rule_t;

static const s_event_rule_t s_rules[CX_EV_KIND_COUNT] = {
    [CX_EV_MATURITY] = {.department = true, .department_req = true, .to = true, .over = true},
    [CX_EV_CX_OWNER] = {.owner = true},
    [CX_EV_GOVERNANCE] = {.governance = true},
    [CX_EV_CAMPAIGN] =
        {.department = true, .value = true, .lo = 0, .hi = 100, .lo_open = true, .over = true},
    [CX_EV_OUTAGE] =
        {.department = true, .department_req = true, .value = true, .lo = 0, .hi = 1, .over = true},
    [CX_EV_PRICE] = {.value = true, .lo = 0, .hi = 10, .lo_open = true},
    [CX_EV_POLICY] = {.value = true, .lo = 0, .hi = 1},
    [CX_EV_STAFF] = {.department = true,
                     .department_req = true,
                     .value = true,
                     .lo = 0,
                     .hi = CX_LOAD_MAX_STAFF,
                     .lo_open = true},
};

static void s_event(cx_load_ctx_t *c, const cx_node_t *item, const char *ip, cx_event_spec_t *e,
                    const cx_scenario_t *sc)
{
    char kp[CX_LOAD_PATH];
    char found[CX_LOAD_SHOW * 4 + 16];
    e->dept = -1;
    e->duration = 1;
    if (!cx_load__map(c, item, ip, cx_load__event_keys, cx_load__n_event_keys,
                      "a timeline event")) {
        return;
    }
    const cx_node_t *v = cx_node_get(item, "at");
    if (cx_node_is_null(v)) {
        cx_load__missing(c, item, ip, "at", "the tick at which the event starts");
    } else {
        int64_t at = 0;
        char want[100];
        snprintf(want, sizeof want, "a tick from 0 to %d (ticks: %d)", sc->ticks - 1, sc->ticks);
        if (!cx_load__parse_int(v, &at) || at < 0 || at >= sc->ticks) {
            cx_load__err(c, v, cx_load__key_path(kp, ip, "at"), "expected %s, found %s", want,
                         cx_load__show(v, found, sizeof found));
        } else {
            e->tick = (int)at;
        }
    }
    v = cx_node_get(item, "event");
    int kind = -1;
    if (cx_node_is_null(v)) {
        char list[300];
        const char *names[CX_EV_KIND_COUNT];
        for (int k = 0; k < CX_EV_KIND_COUNT; k++) {
            names[k] = cx_event_kind_name((cx_event_kind_t)k);
        }
        cx_load__missing(c, item, ip, "event",
                         cx_load__join(names, CX_EV_KIND_COUNT, list, sizeof list));
        return;
    }
    if (cx_load__read_enum(c, v, cx_load__key_path(kp, ip, "event"), cx_load__event_nm,
                           CX_EV_KIND_COUNT, &kind) != 1) {
        return;
    }
    e->kind = (cx_event_kind_t)kind;
    const s_event_rule_t *r = &s_rules[kind];
    const char *kname = cx_event_kind_name(e->kind);

    /* Keys this kind does not take. */
    static const char *const optional[] = {"department", "to",    "value",
                                           "over",       "owner", "governance"};
    bool takes[] = {r->department, r->to, r->value, r->over, r->owner, r->governance};
    char keys[200] = "at, event";
    for (int k = 0; k < CX_LOAD_N(optional); k++) {
        if (takes[k]) {
            strcat(keys, ", ");
            strcat(keys, optional[k]);
        }
    }
    strcat(keys, ", cost");
    for (int k = 0; k < CX_LOAD_N(optional); k++) {
        const cx_node_t *kv = cx_node_get(item, optional[k]);
        if (!takes[k] && kv) {
            /* Point at the key, not the value. */
            const cx_node_t *key = NULL;
            for (int m = 0; m + 1 < item->n; m += 2) {
                if (item->kids[m + 1] == kv) {
                    key = item->kids[m];
                }
            }
            cx_load__err(c, key ? key : kv, cx_load__key_path(kp, ip, optional[k]),
                         "a %s event does not take '%s': expected only %s", kname, optional[k],
                         keys);
        }
    }

    if (r->department) {
        v = cx_node_get(item, "department");
        if (cx_node_is_null(v)) {
            if (r->department_req) {
                cx_load__missing(c, item, ip, "department", "the department it changes");
            }
        } else {
            const char *depts[CX_MAX_DEPTS];
            int n_depts;
            cx_load__dept_ids(sc, depts, &n_depts);
            cx_load__read_ref(c, v, cx_load__key_path(kp, ip, "department"), "a department id",
                              depts, n_depts, &e->dept);
        }
    }
    if (r->to) {
        v = cx_node_get(item, "to");
        if (cx_node_is_null(v)) {
            cx_load__missing(c, item, ip, "to", "the maturity reached, 1 to 5");
        } else {
            cx_load__read_num(c, v, cx_load__key_path(kp, ip, "to"), 1, 5, false, &e->value);
        }
    }
    if (r->value) {
        v = cx_node_get(item, "value");
        if (cx_node_is_null(v)) {
            char want[120];
            cx_load__missing(
                c, item, ip, "value",
                cx_load__range_text(want, sizeof want, "a number", r->lo, r->hi, r->lo_open));
        } else {
            cx_load__read_num(c, v, cx_load__key_path(kp, ip, "value"), r->lo, r->hi, r->lo_open,
                              &e->value);
        }
    }
    if (r->over) {
        cx_load__int(c, item, ip, "over", 1, CX_MAX_TICKS, &e->duration);
    }
    if (r->owner) {
        v = cx_node_get(item, "owner");
        if (cx_node_is_null(v)) {
            cx_load__missing(c, item, ip, "owner", "the new CX owner");
        } else {
            cx_load__read_enum(c, v, cx_load__key_path(kp, ip, "owner"), cx_load__owner_nm,
                               CX_OWNER_COUNT, &e->owner);
        }
    }
    if (r->governance) {
        v = cx_node_get(item, "governance");
        if (cx_node_is_null(v)) {
            cx_load__missing(c, item, ip, "governance", "the new governance model");
        } else {
            cx_load__read_enum(c, v, cx_load__key_path(kp, ip, "governance"), cx_load__gov_nm,
                               CX_GOV_COUNT, &e->governance);
        }
    }
    cx_load__num(c, item, ip, "cost", 0, CX_LOAD_MAX_MONEY, false, &e->cost);
}

void cx_load__timeline(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = cx_load__list(c, root, "", "timeline", "events");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !cx_load__flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[CX_LOAD_PATH];
        cx_load__index_path(ip, "timeline", i);
        if (i == CX_MAX_EVENTS) {
            cx_load__err(c, item, ip, "expected at most %d timeline events, found %d",
                         CX_MAX_EVENTS, list->n);
            break;
        }
        cx_event_spec_t *e = &sc->event[sc->n_event++];
        e->line = item->origin ? 0 : item->line;
        s_event(c, item, ip, e, sc);
    }
    /* Stable insertion sort by tick: events of one tick keep file order. */
    /* memcpy, not assignment: padding bytes must stay zero for memcmp. */
    for (int i = 1; i < sc->n_event; i++) {
        cx_event_spec_t e;
        memcpy(&e, &sc->event[i], sizeof e);
        int j = i - 1;
        while (j >= 0 && sc->event[j].tick > e.tick) {
            memcpy(&sc->event[j + 1], &sc->event[j], sizeof e);
            j--;
        }
        memcpy(&sc->event[j + 1], &e, sizeof e);
    }
}

#define S_EVENT_MAX_BYTES 4096 /* one live event, as text */

int cx_event_load_string(const char *name, const char *text, size_t len, const cx_scenario_t *sc,
                         int first_tick, cx_event_spec_t *ev, cx_diags_t *diags)
{
    cx_load_ctx_t c = {diags, name ? name : "<event>", NULL, 0, 0, 0};
    int start = diags->n;
    memset(ev, 0, sizeof *ev);
    if (len > S_EVENT_MAX_BYTES) {
        cx_diags_add(diags, c.file, 0, 0, "", "expected an event of at most %d bytes, found %zu",
                     S_EVENT_MAX_BYTES, len);
        return -1;
    }
    if (first_tick < 0 || first_tick >= sc->ticks) {
        cx_diags_add(diags, c.file, 0, 0, "", "the run has no tick left to change (ticks: %d)",
                     sc->ticks);
        return -1;
    }
    cx_doc_t doc;
    cx_doc_init(&doc);
    cx_node_t *root = NULL;
    if (cx_doc_parse(&doc, c.file, text ? text : "", text ? len : 0, 0, NULL, &root, diags) < 0) {
        cx_doc_fini(&doc);
        return -1;
    }
    if (!root || root->type != CX_NODE_MAP) {
        char found[CX_LOAD_SHOW * 4 + 16];
        cx_load__err(
            &c, root, "",
            "expected a timeline event, a mapping such as {event: maturity, department: it, "
            "to: 4, over: 6}, found %s",
            root ? cx_load__show(root, found, sizeof found) : "nothing");
    } else {
        if (!cx_node_get(root, "at")) {
            char at[24];
            int n = snprintf(at, sizeof at, "%d", first_tick);
            cx_node_t *k = cx_doc_scalar(&doc, "at", 2, true, root->line, root->column, 0);
            cx_node_t *v = cx_doc_scalar(&doc, at, (size_t)n, true, root->line, root->column, 0);
            if (!k || !v || cx_doc_append(&doc, root, k) < 0 || cx_doc_append(&doc, root, v) < 0) {
                cx_diags_add(diags, c.file, 0, 0, "", "out of memory");
                cx_doc_fini(&doc);
                return -1;
            }
        }
        s_event(&c, root, "event", ev, sc);
        if (!c.errors && diags->n == start && ev->tick < first_tick) {
            cx_load__err(
                &c, cx_node_get(root, "at"), "event.at",
                "expected a tick from %d (the next one) to %d, found %d: the past cannot change",
                first_tick, sc->ticks - 1, ev->tick);
        }
        ev->line = 0;
    }
    cx_doc_fini(&doc);
    cx_load__sort_diags(diags, start);
    return c.errors || diags->n > start ? -1 : 0;
}
