/*  cx_emit — a cx_scenario_t back out as YAML, every default explicit.
 *
 *  The engine sends this text to remote agents, which load it with
 *  cx_scenario_load_string; the result must be the same scenario bit for bit
 *  (cx_scenario_equal). Hence:
 *    - a double is written in the shortest form that strtod reads back to the
 *      same bits (at most 17 significant digits, so never lossy);
 *    - a string is written plain only when it cannot be read as anything
 *      else, otherwise double-quoted with every character that YAML would
 *      fold, refuse or reinterpret escaped;
 *    - each item lists every field, including those that had defaults, so
 *      that loading applies no default a second time; pillar weights are
 *      already normalised and the loader keeps normalised weights as given.
 */
#include "cx_load.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_buf.h"

/* The shortest "%.Ng" form of x that reads back to exactly x. */
static const char *s_num(char *buf, size_t size, double x)
{
    if (isnan(x)) {
        snprintf(buf, size, ".nan");
        return buf;
    }
    if (isinf(x)) {
        snprintf(buf, size, x > 0 ? ".inf" : "-.inf");
        return buf;
    }
    /* Plain decimals read best ("1500000", "0.35"); fall back to the
     * exponent form for very large or very small magnitudes. */
    double ax = fabs(x);
    if (ax == 0 || (ax >= 1e-5 && ax < 1e16)) {
        for (int decimals = 0; decimals <= 24; decimals++) {
            snprintf(buf, size, "%.*f", decimals, x);
            if (strtod(buf, NULL) == x) {
                return buf;
            }
        }
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            break;
        }
    }
    return buf;
}

/* Words other YAML readers take for booleans or null: always quoted. */
static bool s_reserved(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on",
                                        "off",  "null",  "y",   "n"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(s, words[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Decodes one UTF-8 character at s (n bytes left); returns its length, or
 * 0 when the bytes are not valid UTF-8. */
static size_t s_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = (s[0] & 0xe0) == 0xc0   ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n) {
        return 0;
    }
    uint32_t v = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    *cp = v;
    return len;
}

/* A string value: plain when it reads back unchanged in any YAML reader,
 * else double-quoted. */
static void s_str(cx_buf_t *b, const char *s)
{
    bool plain = isalpha((unsigned char)s[0]) && !s_reserved(s);
    for (const char *p = s; plain && *p; p++) {
        plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    }
    if (plain) {
        cx_buf_printf(b, "%s", s);
        return;
    }
    cx_buf_printf(b, "\"");
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n > 0) {
        uint32_t cp = 0;
        size_t len = s_utf8(p, n, &cp);
        if (len == 0) {
            cx_buf_printf(b, "\\x%02x", p[0]); /* not UTF-8: cannot come from the loader */
            p++;
            n--;
            continue;
        }
        /* Printable as YAML reads it, and not a line break it would fold. */
        bool printable = (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
                         (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
                         (cp >= 0x10000 && cp <= 0x10ffff);
        if (cp == '"' || cp == '\\') {
            cx_buf_printf(b, "\\%c", (char)cp);
        } else if (cp == '\n') {
            cx_buf_printf(b, "\\n");
        } else if (cp == '\t') {
            cx_buf_printf(b, "\\t");
        } else if (printable && cp != 0x2028 && cp != 0x2029) {
            cx_buf_printf(b, "%.*s", (int)len, (const char *)p);
        } else if (cp <= 0xff) {
            cx_buf_printf(b, "\\x%02x", (unsigned)cp);
        } else if (cp <= 0xffff) {
            cx_buf_printf(b, "\\u%04x", (unsigned)cp);
        } else {
            cx_buf_printf(b, "\\U%08x", (unsigned)cp);
        }
        p += len;
        n -= len;
    }
    cx_buf_printf(b, "\"");
}

static void s_key_num(cx_buf_t *b, const char *indent, const char *key, double x)
{
    char num[40];
    cx_buf_printf(b, "%s%s: %s\n", indent, key, s_num(num, sizeof num, x));
}

static void s_key_str(cx_buf_t *b, const char *indent, const char *key, const char *s)
{
    cx_buf_printf(b, "%s%s: ", indent, key);
    s_str(b, s);
    cx_buf_printf(b, "\n");
}

static void s_key_bool(cx_buf_t *b, const char *indent, const char *key, bool v)
{
    cx_buf_printf(b, "%s%s: %s\n", indent, key, v ? "true" : "false");
}

static void s_departments(cx_buf_t *b, const cx_scenario_t *sc)
{
    cx_buf_printf(b, "\ndepartments:%s\n", sc->n_dept ? "" : " []");
    for (int i = 0; i < sc->n_dept && i < CX_MAX_DEPTS; i++) {
        const cx_dept_spec_t *d = &sc->dept[i];
        s_key_str(b, "  - ", "id", d->id);
        s_key_str(b, "    ", "kind", cx_dept_kind_name(d->kind));
        s_key_num(b, "    ", "maturity", d->maturity);
        s_key_num(b, "    ", "staff", d->staff);
        s_key_num(b, "    ", "cost_per_staff", d->cost_per_staff);
        s_key_num(b, "    ", "service_rate", d->service_rate);
        s_key_num(b, "    ", "engagement", d->engagement);
    }
}

static const char *s_dept_id(const cx_scenario_t *sc, int d)
{
    return d >= 0 && d < sc->n_dept && d < CX_MAX_DEPTS ? sc->dept[d].id : "external";
}

static void s_personas(cx_buf_t *b, const cx_scenario_t *sc)
{
    char num[40];
    cx_buf_printf(b, "\npersonas:%s\n", sc->n_persona ? "" : " []");
    for (int i = 0; i < sc->n_persona && i < CX_MAX_PERSONAS; i++) {
        const cx_persona_spec_t *p = &sc->persona[i];
        s_key_str(b, "  - ", "id", p->id);
        cx_buf_printf(b, "    customers: %" PRId64 "\n", p->customers);
        cx_buf_printf(b, "    shards: %d\n", p->shards);
        s_key_str(b, "    ", "journey",
                  p->journey >= 0 && p->journey < sc->n_journey ? sc->journey[p->journey].id : "");
        cx_buf_printf(b, "    weights: {");
        for (int k = 0; k < CX_PILLARS; k++) {
            cx_buf_printf(b, "%s%s: %s", k ? ", " : "", cx_pillar_name((cx_pillar_t)k),
                  s_num(num, sizeof num, p->weights[k]));
        }
        cx_buf_printf(b, "}\n    channels: {");
        for (int k = 0; k < CX_CHANNEL_COUNT; k++) {
            cx_buf_printf(b, "%s%s: %s", k ? ", " : "", cx_channel_name((cx_channel_t)k),
                  s_num(num, sizeof num, p->channel_pref[k]));
        }
        cx_buf_printf(b, "}\n");
        s_key_num(b, "    ", "spend", p->spend);
        s_key_num(b, "    ", "base_churn", p->base_churn);
        s_key_num(b, "    ", "expectation", p->expectation);
        s_key_num(b, "    ", "acquisition", p->acquisition);
        s_key_num(b, "    ", "price_sensitivity", p->price_sensitivity);
    }
}

static void s_journeys(cx_buf_t *b, const cx_scenario_t *sc)
{
    cx_buf_printf(b, "\njourneys:%s\n", sc->n_journey ? "" : " []");
    for (int i = 0; i < sc->n_journey && i < CX_MAX_JOURNEYS; i++) {
        const cx_journey_spec_t *j = &sc->journey[i];
        s_key_str(b, "  - ", "id", j->id);
        s_key_str(b, "    ", "loop_to",
                  j->loop_to >= 0 && j->loop_to < j->n_tp ? j->tp[j->loop_to].id : "");
        cx_buf_printf(b, "    touchpoints:%s\n", j->n_tp ? "" : " []");
        for (int k = 0; k < j->n_tp && k < CX_MAX_TOUCHPOINTS; k++) {
            const cx_touchpoint_spec_t *t = &j->tp[k];
            s_key_str(b, "      - ", "id", t->id);
            s_key_str(b, "        ", "stage", t->stage);
            s_key_str(b, "        ", "owner", s_dept_id(sc, t->owner));
            s_key_str(b, "        ", "channel", cx_channel_name(t->channel));
            s_key_bool(b, "        ", "moment_of_truth", t->moment_of_truth);
            s_key_bool(b, "        ", "purchase", t->purchase);
            s_key_bool(b, "        ", "avoidable", t->avoidable);
            s_key_num(b, "        ", "it_dependence", t->it_dependence);
            s_key_num(b, "        ", "gap_days", t->gap_days);
            s_key_num(b, "        ", "probability", t->probability);
            s_key_num(b, "        ", "quality", t->quality);
            s_key_bool(b, "        ", "no_pain", t->no_pain);
            cx_buf_printf(b, "        handoff: [");
            for (int h = 0; h < t->n_handoff && h < CX_MAX_HANDOFF; h++) {
                cx_buf_printf(b, "%s", h ? ", " : "");
                s_str(b, s_dept_id(sc, t->handoff[h]));
            }
            cx_buf_printf(b, "]\n");
        }
    }
}

static void s_timeline(cx_buf_t *b, const cx_scenario_t *sc)
{
    cx_buf_printf(b, "\ntimeline:%s\n", sc->n_event ? "" : " []");
    for (int i = 0; i < sc->n_event && i < CX_MAX_EVENTS; i++) {
        const cx_event_spec_t *e = &sc->event[i];
        cx_buf_printf(b, "  - at: %d\n", e->tick);
        s_key_str(b, "    ", "event", cx_event_kind_name(e->kind));
        if (e->dept >= 0) {
            s_key_str(b, "    ", "department", s_dept_id(sc, e->dept));
        }
        switch (e->kind) {
        case CX_EV_MATURITY:
            s_key_num(b, "    ", "to", e->value);
            break;
        case CX_EV_CX_OWNER:
            s_key_str(b, "    ", "owner", cx_owner_name((cx_owner_t)e->owner));
            break;
        case CX_EV_GOVERNANCE:
            s_key_str(b, "    ", "governance", cx_governance_name((cx_governance_t)e->governance));
            break;
        default:
            s_key_num(b, "    ", "value", e->value);
            break;
        }
        if (e->kind == CX_EV_MATURITY || e->kind == CX_EV_CAMPAIGN || e->kind == CX_EV_OUTAGE) {
            cx_buf_printf(b, "    over: %d\n", e->duration);
        }
        s_key_num(b, "    ", "cost", e->cost);
    }
}

static void s_model(cx_buf_t *b, const cx_scenario_t *sc)
{
    int n = 0;
    const cx_param_info_t *table = cx_params_table(&n);
    cx_buf_printf(b, "\nmodel:%s\n", n ? "" : " {}");
    for (int k = 0; k < n; k++) {
        const double *field = (const double *)((const char *)&sc->params + table[k].offset);
        s_key_num(b, "  ", table[k].name, *field);
    }
}

int cx_scenario_emit(const cx_scenario_t *sc, char **text, size_t *len)
{
    cx_buf_t b = {0};
    cx_buf_printf(&b, "# Resolved scenario: every default made explicit.\n");
    s_key_str(&b, "", "name", sc->name);
    s_key_str(&b, "", "description", sc->description);
    if (sc->industry[0]) {
        s_key_str(&b, "", "industry", sc->industry);
    }
    cx_buf_printf(&b, "seed: %" PRIu64 "\n", sc->seed);
    cx_buf_printf(&b, "ticks: %d\n", sc->ticks);
    s_key_str(&b, "", "tick", cx_tick_unit_name(sc->tick_unit));
    cx_buf_printf(&b, "\ncompany:\n");
    s_key_str(&b, "  ", "cx_owner", cx_owner_name(sc->cx_owner));
    s_key_str(&b, "  ", "governance", cx_governance_name(sc->governance));
    s_key_num(&b, "  ", "budget", sc->budget);
    s_key_num(&b, "  ", "marketing_spend", sc->marketing_spend);
    s_key_num(&b, "  ", "gross_margin", sc->gross_margin);
    s_key_num(&b, "  ", "discount_rate", sc->discount_rate);
    cx_buf_printf(&b, "\nmarket:\n");
    s_key_num(&b, "  ", "share", sc->market_share);
    s_key_num(&b, "  ", "growth", sc->market_growth);
    s_key_num(&b, "  ", "competitor_improvement", sc->competitor_improvement);
    s_departments(&b, sc);
    s_personas(&b, sc);
    s_journeys(&b, sc);
    s_timeline(&b, sc);
    s_model(&b, sc);
    if (b.oom) {
        cx_buf_fini(&b);
        *text = NULL;
        if (len) {
            *len = 0;
        }
        return -1;
    }
    *text = b.p;
    if (len) {
        *len = b.n;
    }
    return 0;
}
