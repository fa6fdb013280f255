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

#define S_PATH 200 /* room for a key path */
#define S_SHOW 48  /* longest found-value shown in a message */

/* Limits of numeric fields not set by the model's table. */
#define S_MAX_CUSTOMERS 100000000 /* customers of one persona */
#define S_MAX_MONEY 1e12          /* any amount of money */
#define S_MAX_STAFF 1e6           /* staff of one department */
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

typedef struct {
    cx_diags_t *diags;       /* where diagnostics go */
    const char *file;        /* file name for diagnostics */
    const char *const *sets; /* the overrides, to quote them in messages */
    int n_sets;              /* entries in sets */
    int errors;              /* errors reported by this load */
    double maturity;         /* company.maturity, for departments without their own; 0 = none */
} s_ctx_t;

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
static const char *const s_event_keys[] = {S_EVENT_KEYS(S_KEY)};

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
        S_DEPT_KEYS(S_DEPT_PATH)
        S_PERSONA_KEYS(S_PERSONA_PATH) S_JOURNEY_KEYS(S_JOURNEY_PATH) S_TP_KEYS(S_TP_PATH)
            S_EVENT_KEYS(S_EVENT_PATH) "model.<parameter>"};

#define S_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------- diagnostics */

static void s_err(s_ctx_t *c, const cx_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_err(s_ctx_t *c, const cx_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    if (at && at->origin > 0 && at->origin <= c->n_sets) {
        cx_diags_add(c->diags, "--set", 0, 0, path, "%s (from --set %s)", msg,
                     c->sets[at->origin - 1]);
    } else {
        cx_diags_add(c->diags, c->file, at ? at->line : 0, at ? at->column : 0, path, "%s", msg);
    }
}

/* True once enough errors were reported that more would be dropped. */
static bool s_flooded(const s_ctx_t *c)
{
    return c->diags->n >= CX_DIAGS_MAX;
}

/* Writes printable text (escaping other bytes), cut to `max` bytes. */
static void s_printable(char *dst, size_t size, const char *src, size_t len, size_t max)
{
    size_t o = 0;
    bool cut = len > max;
    if (cut) {
        len = max;
        /* Do not split a UTF-8 sequence. */
        while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch >= 0x20 && ch != 0x7f) {
            dst[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(dst + o, size - o, "\\x%02x", ch);
        }
    }
    if (cut && o + 4 < size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* What was found at a node, for "found ..." in messages. */
static const char *s_show(const cx_node_t *n, char *buf, size_t size)
{
    if (!n || cx_node_is_null(n)) {
        return "nothing";
    }
    if (n->type == CX_NODE_MAP) {
        return "a mapping";
    }
    if (n->type == CX_NODE_SEQ) {
        return "a list";
    }
    char text[S_SHOW * 4 + 8];
    s_printable(text, sizeof text, n->text, n->len, S_SHOW);
    snprintf(buf, size, "'%s'", text);
    return buf;
}

/* "; did you mean 'x'?" or "". */
static const char *s_mean(const char *word, const char *const *cands, int n, char *buf, size_t size)
{
    const char *hint = cx_suggest(word, cands, n);
    if (!hint) {
        return "";
    }
    snprintf(buf, size, "; did you mean '%s'?", hint);
    return buf;
}

/* "a, b, c" from names, cut to fit. */
static const char *s_join(const char *const *names, int n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (o + len + 8 >= size) {
            snprintf(buf + o, size - o, "%s...", i ? ", " : "");
            break;
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);
    }
    return buf;
}

/* ------------------------------------------------------------ paths */

/* Paths only ever appear in messages: one cut short (by an absurdly long
 * key) is still useful, so truncation is accepted. */
static const char *s_key_path(char *buf, const char *parent, const char *key)
{
    int n =
        parent[0] ? snprintf(buf, S_PATH, "%s.%s", parent, key) : snprintf(buf, S_PATH, "%s", key);
    if (n >= S_PATH) {
        memcpy(buf + S_PATH - 4, "...", 4);
    }
    return buf;
}

static const char *s_index_path(char *buf, const char *parent, int i)
{
    if (snprintf(buf, S_PATH, "%s[%d]", parent, i) >= S_PATH) {
        memcpy(buf + S_PATH - 4, "...", 4);
    }
    return buf;
}

/* ------------------------------------------------------- structure */

/* Checks that node is a mapping (reporting "expected <what>" otherwise)
 * whose keys are among keys[0..n), reporting unknown and repeated keys.
 * Returns true when node is a mapping, even if some keys were wrong. */
static bool s_map(s_ctx_t *c, const cx_node_t *node, const char *path, const char *const *keys,
                  int n, const char *what)
{
    char found[S_SHOW * 4 + 16];
    if (!node || node->type != CX_NODE_MAP) {
        s_err(c, node, path, "expected %s (a mapping of keys), found %s", what,
              s_show(node, found, sizeof found));
        return false;
    }
    int *seen = calloc((size_t)(n > 0 ? n : 1), sizeof *seen);
    for (int i = 0; i + 1 < node->n && !s_flooded(c); i += 2) {
        cx_node_t *k = node->kids[i];
        char ktext[S_SHOW * 4 + 8];
        s_printable(ktext, sizeof ktext, k->text, k->len, S_SHOW);
        char kp[S_PATH];
        s_key_path(kp, path, ktext);
        int idx = -1;
        for (int j = 0; j < n; j++) {
            if (cx_node_is(k, keys[j])) {
                idx = j;
                break;
            }
        }
        if (idx < 0) {
            char mean[80];
            char list[300];
            const char *hint = s_mean(ktext, keys, n, mean, sizeof mean);
            if (hint[0]) {
                s_err(c, k, kp, "unknown key '%s'%s", ktext, hint);
                /* Error recovery: read the misspelt key as the one it most
                 * likely means (when that one is not given too), so that a
                 * typo does not also cause "missing key" or broken
                 * references further on. The load fails all the same. */
                const char *meant = cx_suggest(ktext, keys, n);
                if (meant && !cx_node_get(node, meant)) {
                    k->text = (char *)meant; /* static storage; never written */
                    k->len = strlen(meant);
                }
            } else {
                s_err(c, k, kp, "unknown key '%s': expected one of %s", ktext,
                      s_join(keys, n, list, sizeof list));
            }
        } else if (seen && seen[idx]) {
            s_err(c, k, kp, "duplicate key '%s' (first at line %d): give each key once", ktext,
                  seen[idx]);
        } else if (seen) {
            seen[idx] = k->line > 0 ? k->line : 1;
        }
    }
    free(seen);
    return true;
}

/* The list under `key` in map, or NULL when absent, null or not a list
 * (the last reported). */
static const cx_node_t *s_list(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                               const char *what)
{
    const cx_node_t *v = cx_node_get(map, key);
    if (cx_node_is_null(v)) {
        return NULL;
    }
    if (v->type != CX_NODE_SEQ) {
        char kp[S_PATH];
        char found[S_SHOW * 4 + 16];
        s_err(c, v, s_key_path(kp, path, key), "expected a list of %s, found %s", what,
              s_show(v, found, sizeof found));
        return NULL;
    }
    return v;
}

/* Reports a missing required key. */
static void s_missing(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                      const char *what)
{
    char kp[S_PATH];
    s_err(c, map, s_key_path(kp, path, key), "missing required key '%s' (%s)", key, what);
}

/* ------------------------------------------------------------ scalars */

/* Copies a plain scalar's text without the '_' digit separators YAML
 * allows ("30_000"). Returns false when it is not plain, too long, or an
 * underscore is not between two digits. */
static bool s_digits_text(const cx_node_t *v, char *buf, size_t size)
{
    if (!v || v->type != CX_NODE_SCALAR || !v->plain || v->len == 0 || v->len >= size) {
        return false;
    }
    size_t o = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->text[i];
        if (ch == '_') {
            if (i == 0 || i + 1 == v->len || !isdigit((unsigned char)v->text[i - 1]) ||
                !isdigit((unsigned char)v->text[i + 1])) {
                return false;
            }
            continue;
        }
        if (ch == '\0') {
            return false;
        }
        buf[o++] = ch;
    }
    buf[o] = '\0';
    return true;
}

/* A decimal number: [+-]digits[.digits][e[+-]digits] (either side of the
 * point may be empty, not both). Infinity and NaN are not numbers here. */
static bool s_parse_double(const cx_node_t *v, double *out)
{
    char buf[64];
    if (!s_digits_text(v, buf, sizeof buf)) {
        return false;
    }
    const char *p = buf;
    if (*p == '+' || *p == '-') {
        p++;
    }
    int d = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        d++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            d++;
        }
    }
    if (d == 0) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        int e = 0;
        while (isdigit((unsigned char)*p)) {
            p++;
            e++;
        }
        if (e == 0) {
            return false;
        }
    }
    if (*p != '\0') {
        return false;
    }
    errno = 0;
    double x = strtod(buf, NULL);
    if (!isfinite(x)) {
        return false;
    }
    *out = x;
    return true;
}

/* An integer: [+-]digits, or a number with no fraction ("1e6"). */
static bool s_parse_int(const cx_node_t *v, int64_t *out)
{
    char buf[64];
    if (!s_digits_text(v, buf, sizeof buf)) {
        return false;
    }
    const char *p = buf + (buf[0] == '+' || buf[0] == '-');
    bool digits = *p != '\0';
    for (const char *q = p; *q && digits; q++) {
        digits = isdigit((unsigned char)*q) != 0;
    }
    if (digits) {
        errno = 0;
        long long x = strtoll(buf, NULL, 10);
        if (errno == ERANGE) {
            return false;
        }
        *out = x;
        return true;
    }
    double x;
    if (s_parse_double(v, &x) && x == floor(x) && fabs(x) <= 9007199254740992.0) {
        *out = (int64_t)x;
        return true;
    }
    return false;
}

static void s_num_text(char *buf, size_t size, double x)
{
    snprintf(buf, size, "%.15g", x);
}

/* "a number from 1 to 5", "a number above 0 and at most 1000" */
static const char *s_range_text(char *buf, size_t size, const char *noun, double lo, double hi,
                                bool lo_open)
{
    char a[32];
    char b[32];
    s_num_text(a, sizeof a, lo);
    s_num_text(b, sizeof b, hi);
    if (lo_open) {
        snprintf(buf, size, "%s above %s and at most %s", noun, a, b);
    } else {
        snprintf(buf, size, "%s from %s to %s", noun, a, b);
    }
    return buf;
}

/* Reads v as a number in [lo, hi] (or (lo, hi] when lo_open). Returns 1
 * when read into *out, 0 when v is absent or null, -1 after an error. */
static int s_read_num(s_ctx_t *c, const cx_node_t *v, const char *path, double lo, double hi,
                      bool lo_open, double *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char want[120];
    char found[S_SHOW * 4 + 16];
    double x;
    s_range_text(want, sizeof want, "a number", lo, hi, lo_open);
    if (!s_parse_double(v, &x)) {
        const char *quoted = v->type == CX_NODE_SCALAR && !v->plain ? " (quoted, so a string)" : "";
        s_err(c, v, path, "expected %s, found %s%s", want, s_show(v, found, sizeof found), quoted);
        return -1;
    }
    if (x > hi || x < lo || (lo_open && x <= lo)) {
        s_err(c, v, path, "expected %s, found %s", want, s_show(v, found, sizeof found));
        return -1;
    }
    *out = x;
    return 1;
}

static int s_num(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key, double lo,
                 double hi, bool lo_open, double *out)
{
    char kp[S_PATH];
    return s_read_num(c, cx_node_get(map, key), s_key_path(kp, path, key), lo, hi, lo_open, out);
}

/* Reads an integer in [lo, hi]; returns as s_read_num. */
static int s_read_int(s_ctx_t *c, const cx_node_t *v, const char *path, int64_t lo, int64_t hi,
                      const char *noun, int64_t *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char want[120];
    char found[S_SHOW * 4 + 16];
    int64_t x;
    snprintf(want, sizeof want, "%s from %lld to %lld", noun, (long long)lo, (long long)hi);
    if (!s_parse_int(v, &x)) {
        const char *quoted = v->type == CX_NODE_SCALAR && !v->plain ? " (quoted, so a string)" : "";
        s_err(c, v, path, "expected %s, found %s%s", want, s_show(v, found, sizeof found), quoted);
        return -1;
    }
    if (x < lo || x > hi) {
        s_err(c, v, path, "expected %s, found %s", want, s_show(v, found, sizeof found));
        return -1;
    }
    *out = x;
    return 1;
}

static int s_int(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key, int lo,
                 int hi, int *out)
{
    char kp[S_PATH];
    int64_t x = 0;
    int rc =
        s_read_int(c, cx_node_get(map, key), s_key_path(kp, path, key), lo, hi, "an integer", &x);
    if (rc == 1) {
        *out = (int)x;
    }
    return rc;
}

static int s_bool(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key, bool *out)
{
    const cx_node_t *v = cx_node_get(map, key);
    if (cx_node_is_null(v)) {
        return 0;
    }
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    if (v->type == CX_NODE_SCALAR && v->plain) {
        for (int i = 0; i < 3; i++) {
            if (v->len == strlen(yes[i]) && strncasecmp(v->text, yes[i], v->len) == 0) {
                *out = true;
                return 1;
            }
            if (v->len == strlen(no[i]) && strncasecmp(v->text, no[i], v->len) == 0) {
                *out = false;
                return 1;
            }
        }
    }
    char kp[S_PATH];
    char found[S_SHOW * 4 + 16];
    s_err(c, v, s_key_path(kp, path, key), "expected true or false, found %s",
          s_show(v, found, sizeof found));
    return -1;
}

/* The scalar's text as a C string when it is a scalar without NUL bytes,
 * shorter than size; else NULL. */
static const char *s_text(const cx_node_t *v, char *buf, size_t size)
{
    if (!v || v->type != CX_NODE_SCALAR || v->len >= size || memchr(v->text, '\0', v->len)) {
        return NULL;
    }
    memcpy(buf, v->text, v->len + 1);
    return buf;
}

typedef const char *(*s_name_fn)(int v);

static const char *s_owner_nm(int v)
{
    return cx_owner_name((cx_owner_t)v);
}
static const char *s_gov_nm(int v)
{
    return cx_governance_name((cx_governance_t)v);
}
static const char *s_unit_nm(int v)
{
    return cx_tick_unit_name((cx_tick_unit_t)v);
}
static const char *s_kind_nm(int v)
{
    return cx_dept_kind_name((cx_dept_kind_t)v);
}
static const char *s_channel_nm(int v)
{
    return cx_channel_name((cx_channel_t)v);
}
static const char *s_event_nm(int v)
{
    return cx_event_kind_name((cx_event_kind_t)v);
}

/* Reads v as one of the names name(0..count); returns as s_read_num. */
static int s_read_enum(s_ctx_t *c, const cx_node_t *v, const char *path, s_name_fn name, int count,
                       int *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    const char *names[32];
    if (count > 32) {
        count = 32; /* every enum of the format is far smaller */
    }
    for (int i = 0; i < count; i++) {
        names[i] = name(i);
    }
    char buf[64];
    const char *s = s_text(v, buf, sizeof buf);
    if (s) {
        for (int i = 0; i < count; i++) {
            if (strcmp(s, names[i]) == 0) {
                *out = i;
                return 1;
            }
        }
    }
    char list[300];
    char found[S_SHOW * 4 + 16];
    char mean[80];
    s_err(c, v, path, "expected one of %s, found %s%s", s_join(names, count, list, sizeof list),
          s_show(v, found, sizeof found), s ? s_mean(s, names, count, mean, sizeof mean) : "");
    return -1;
}

static int s_enum(s_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                  s_name_fn name, int count, int *out)
{
    char kp[S_PATH];
    return s_read_enum(c, cx_node_get(map, key), s_key_path(kp, path, key), name, count, out);
}

/* True when s is an id: a letter, then letters, digits, '_' or '-'. */
static bool s_is_id(const char *s)
{
    if (!isalpha((unsigned char)s[0])) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            return false;
        }
    }
    return true;
}

/* Reads v as an id into out[CX_ID_MAX]; returns as s_read_num. */
static int s_read_id(s_ctx_t *c, const cx_node_t *v, const char *path, const char *what, char *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char found[S_SHOW * 4 + 16];
    if (v->type != CX_NODE_SCALAR) {
        s_err(c, v, path, "expected %s, found %s", what, s_show(v, found, sizeof found));
        return -1;
    }
    if (v->len >= CX_ID_MAX) {
        s_err(c, v, path, "expected %s of at most %d characters, found %s (%zu characters)", what,
              CX_ID_MAX - 1, s_show(v, found, sizeof found), v->len);
        return -1;
    }
    char buf[CX_ID_MAX];
    const char *s = s_text(v, buf, sizeof buf);
    if (!s || !s_is_id(s)) {
        s_err(c, v, path, "expected %s (a letter, then letters, digits, '_' or '-'), found %s",
              what, s_show(v, found, sizeof found));
        return -1;
    }
    memset(out, 0, CX_ID_MAX);
    memcpy(out, s, strlen(s));
    return 1;
}

/* Reads v as a reference to one of ids[0..n); *out gets its index.
 * `what` says what was expected ("a department id"). Returns as
 * s_read_num. */
static int s_read_ref(s_ctx_t *c, const cx_node_t *v, const char *path, const char *what,
                      const char *const *ids, int n, int *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char buf[CX_ID_MAX];
    const char *s = s_text(v, buf, sizeof buf);
    if (s && s[0]) {
        for (int i = 0; i < n; i++) {
            if (strcmp(ids[i], s) == 0) {
                *out = i;
                return 1;
            }
        }
    }
    /* Show each usable id once (a broken file may hold empty or repeated
     * ids, already reported where they are defined). */
    const char *uniq[64];
    int n_uniq = 0;
    for (int i = 0; i < n && n_uniq < 64; i++) {
        bool seen = ids[i][0] == '\0';
        for (int k = 0; k < n_uniq && !seen; k++) {
            seen = strcmp(uniq[k], ids[i]) == 0;
        }
        if (!seen) {
            uniq[n_uniq++] = ids[i];
        }
    }
    ids = uniq;
    n = n_uniq;
    char found[S_SHOW * 4 + 16];
    char mean[80];
    char list[300];
    if (n == 0) {
        s_err(c, v, path, "expected %s, found %s, and there is none to refer to", what,
              s_show(v, found, sizeof found));
    } else {
        s_err(c, v, path, "expected %s (one of %s), found %s%s", what,
              s_join(ids, n, list, sizeof list), s_show(v, found, sizeof found),
              s ? s_mean(s, ids, n, mean, sizeof mean) : "");
    }
    return -1;
}

/* ------------------------------------------------------------ sections */

static void s_top(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    char found[S_SHOW * 4 + 16];
    const cx_node_t *v = cx_node_get(root, "name");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->name];
        const char *s = s_text(v, buf, sizeof buf);
        bool ok = s && s[0] && s[0] != '.' && s[0] != '-';
        for (const char *p = s; ok && *p; p++) {
            ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
        }
        if (!ok) {
            s_err(c, v, "name",
                  "expected a short name (letters, digits, '_', '-' or '.', at most %d "
                  "characters, not starting with '.' or '-'), found %s",
                  (int)sizeof sc->name - 1, s_show(v, found, sizeof found));
        } else {
            memset(sc->name, 0, sizeof sc->name);
            memcpy(sc->name, s, strlen(s));
        }
    }
    v = cx_node_get(root, "description");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->description];
        const char *s = s_text(v, buf, sizeof buf);
        if (!s) {
            s_err(c, v, "description", "expected a text of at most %d bytes, found %s%s",
                  (int)sizeof sc->description - 1, s_show(v, found, sizeof found),
                  v->type == CX_NODE_SCALAR && v->len >= sizeof buf ? " (too long)" : "");
        } else {
            memset(sc->description, 0, sizeof sc->description);
            memcpy(sc->description, s, strlen(s));
        }
    }
    v = cx_node_get(root, "industry");
    if (!cx_node_is_null(v)) {
        char buf[sizeof sc->industry];
        const char *s = s_text(v, buf, sizeof buf);
        if (!s) {
            s_err(c, v, "industry", "expected a text of at most %d bytes, found %s",
                  (int)sizeof sc->industry - 1, s_show(v, found, sizeof found));
        } else {
            memset(sc->industry, 0, sizeof sc->industry);
            memcpy(sc->industry, s, strlen(s));
        }
    }
    v = cx_node_get(root, "seed");
    if (!cx_node_is_null(v)) {
        char buf[32];
        bool ok = s_digits_text(v, buf, sizeof buf);
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
            s_err(c, v, "seed", "expected an integer from 0 to 18446744073709551615, found %s",
                  s_show(v, found, sizeof found));
        } else {
            sc->seed = (uint64_t)x;
        }
    }
    s_int(c, root, "", "ticks", 1, CX_MAX_TICKS, &sc->ticks);
    int unit;
    if (s_enum(c, root, "", "tick", s_unit_nm, CX_TICK_UNIT_COUNT, &unit) == 1) {
        sc->tick_unit = (cx_tick_unit_t)unit;
    }
}

static void s_company(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "company");
    if (cx_node_is_null(m)) {
        return;
    }
    if (!s_map(c, m, "company", s_company_keys, S_N(s_company_keys), "the company section")) {
        return;
    }
    int x;
    if (s_enum(c, m, "company", "cx_owner", s_owner_nm, CX_OWNER_COUNT, &x) == 1) {
        sc->cx_owner = (cx_owner_t)x;
    }
    if (s_enum(c, m, "company", "governance", s_gov_nm, CX_GOV_COUNT, &x) == 1) {
        sc->governance = (cx_governance_t)x;
    }
    s_num(c, m, "company", "maturity", 1, 5, false, &c->maturity);
    s_num(c, m, "company", "budget", 0, S_MAX_MONEY, false, &sc->budget);
    s_num(c, m, "company", "marketing_spend", 0, S_MAX_MONEY, false, &sc->marketing_spend);
    s_num(c, m, "company", "gross_margin", 0, 1, false, &sc->gross_margin);
    s_num(c, m, "company", "discount_rate", 0, 1, false, &sc->discount_rate);
}

static void s_market(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "market");
    if (cx_node_is_null(m)) {
        return;
    }
    if (!s_map(c, m, "market", s_market_keys, S_N(s_market_keys), "the market section")) {
        return;
    }
    s_num(c, m, "market", "share", 0.001, 0.9, false, &sc->market_share);
    s_num(c, m, "market", "growth", -0.5, 1.0, false, &sc->market_growth);
    s_num(c, m, "market", "competitor_improvement", -20, 20, false,
          &sc->competitor_improvement);
}

/* Reads a required id; reports a duplicate among the first `n_prev` ids
 * (each CX_ID_MAX apart from `prev`, lines in `lines`). */
static void s_item_id(s_ctx_t *c, const cx_node_t *item, const char *path, const char *what,
                      char *out, const char *prev, size_t stride, const int *lines, size_t lstride,
                      int n_prev, const char *noun)
{
    char kp[S_PATH];
    const cx_node_t *v = cx_node_get(item, "id");
    if (cx_node_is_null(v)) {
        s_missing(c, item, path, "id", what);
        return;
    }
    if (s_read_id(c, v, s_key_path(kp, path, "id"), what, out) != 1) {
        return;
    }
    for (int j = 0; j < n_prev; j++) {
        const char *other = prev + (size_t)j * stride;
        if (strcmp(other, out) == 0) {
            int line = *(const int *)((const char *)lines + (size_t)j * lstride);
            if (line > 0) {
                s_err(c, v, kp, "expected a unique %s id, found '%s' again (first at line %d)",
                      noun, out, line);
            } else {
                s_err(c, v, kp, "expected a unique %s id, found '%s' again", noun, out);
            }
            return;
        }
    }
}

static void s_departments(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = s_list(c, root, "", "departments", "departments");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !s_flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[S_PATH];
        s_index_path(ip, "departments", i);
        if (i == CX_MAX_DEPTS) {
            s_err(c, item, ip, "expected at most %d departments, found %d", CX_MAX_DEPTS, list->n);
            break;
        }
        cx_dept_spec_t *d = &sc->dept[sc->n_dept++];
        d->line = item->origin ? 0 : item->line;
        if (!s_map(c, item, ip, s_dept_keys, S_N(s_dept_keys), "a department")) {
            continue;
        }
        s_item_id(c, item, ip, "a department id", d->id, sc->dept[0].id, sizeof sc->dept[0],
                  &sc->dept[0].line, sizeof sc->dept[0], sc->n_dept - 1, "department");
        if (strcmp(d->id, "external") == 0) {
            char kp[S_PATH];
            s_err(c, cx_node_get(item, "id"), s_key_path(kp, ip, "id"),
                  "expected a department id other than 'external', which names touchpoints "
                  "the company does not run");
        }
        int kind;
        if (s_enum(c, item, ip, "kind", s_kind_nm, CX_DEPT_KIND_COUNT, &kind) == 1) {
            d->kind = (cx_dept_kind_t)kind;
        } else {
            int k = cx_dept_kind_from_name(d->id);
            d->kind = k >= 0 ? (cx_dept_kind_t)k : CX_DEPT_OTHER;
        }
        /* Zero means "not given": cx_dept_spec_defaults fills those, and
         * the ranges below exclude 0 so a given value is never replaced. */
        if (s_num(c, item, ip, "maturity", 1, 5, false, &d->maturity) == 0) {
            d->maturity = c->maturity; /* company.maturity, or 0 for the kind default */
        }
        s_num(c, item, ip, "staff", 0, S_MAX_STAFF, true, &d->staff);
        s_num(c, item, ip, "cost_per_staff", 0, S_MAX_MONEY, true, &d->cost_per_staff);
        s_num(c, item, ip, "service_rate", 0, S_MAX_RATE, true, &d->service_rate);
        s_num(c, item, ip, "engagement", 0, 100, true, &d->engagement);
        cx_dept_spec_defaults(d);
    }
}

/* Department ids (for references); *n gets the count. */
static void s_dept_ids(const cx_scenario_t *sc, const char **ids, int *n)
{
    for (int i = 0; i < sc->n_dept; i++) {
        ids[i] = sc->dept[i].id;
    }
    *n = sc->n_dept;
}

static void s_touchpoint(s_ctx_t *c, const cx_node_t *item, const char *ip, cx_journey_spec_t *j,
                         cx_touchpoint_spec_t *t, const cx_scenario_t *sc)
{
    char kp[S_PATH];
    const char *depts[CX_MAX_DEPTS + 1];
    int n_depts;
    s_dept_ids(sc, depts, &n_depts);

    t->owner = -1;
    snprintf(t->stage, sizeof t->stage, "%s", S_DEF_STAGE);
    t->channel = S_DEF_CHANNEL;
    t->it_dependence = S_DEF_IT_DEPENDENCE;
    t->gap_days = S_DEF_GAP_DAYS;
    t->probability = S_DEF_PROBABILITY;
    if (!s_map(c, item, ip, s_tp_keys, S_N(s_tp_keys), "a touchpoint")) {
        return;
    }
    s_item_id(c, item, ip, "a touchpoint id", t->id, j->tp[0].id, sizeof j->tp[0], &j->tp[0].line,
              sizeof j->tp[0], (int)(t - j->tp), "touchpoint");
    s_read_id(c, cx_node_get(item, "stage"), s_key_path(kp, ip, "stage"), "a stage name", t->stage);

    const cx_node_t *v = cx_node_get(item, "owner");
    bool external = false;
    if (cx_node_is_null(v)) {
        s_missing(c, item, ip, "owner", "a department id, or 'external'");
    } else if (cx_node_is(v, "external")) {
        external = true;
    } else {
        depts[n_depts] = "external";
        s_read_ref(c, v, s_key_path(kp, ip, "owner"), "a department id or 'external'", depts,
                   n_depts + 1, &t->owner);
        if (t->owner == n_depts) {
            t->owner = -1; /* unreachable: "external" matched above */
        }
    }
    int ch;
    if (s_enum(c, item, ip, "channel", s_channel_nm, CX_CHANNEL_COUNT, &ch) == 1) {
        t->channel = (cx_channel_t)ch;
    }
    s_bool(c, item, ip, "moment_of_truth", &t->moment_of_truth);
    s_bool(c, item, ip, "purchase", &t->purchase);
    s_bool(c, item, ip, "avoidable", &t->avoidable);
    s_bool(c, item, ip, "no_pain", &t->no_pain);
    if (external) {
        t->it_dependence = 0.0; /* IT does not shape a third party's touchpoint */
    }
    s_num(c, item, ip, "it_dependence", 0, 1, false, &t->it_dependence);
    s_num(c, item, ip, "gap_days", 0, S_MAX_GAP_DAYS, true, &t->gap_days);
    s_num(c, item, ip, "probability", 0, 1, false, &t->probability);
    s_num(c, item, ip, "quality", -10, 10, false, &t->quality);

    const cx_node_t *h = s_list(c, item, ip, "handoff", "department ids");
    if (h) {
        char hp[S_PATH];
        s_key_path(hp, ip, "handoff");
        for (int k = 0; k < h->n; k++) {
            char ep[S_PATH];
            s_index_path(ep, hp, k);
            if (k == CX_MAX_HANDOFF) {
                s_err(c, h->kids[k], ep, "expected at most %d hand-off targets, found %d",
                      CX_MAX_HANDOFF, h->n);
                break;
            }
            int d = -1;
            if (cx_node_is_null(h->kids[k])) {
                s_err(c, h->kids[k], ep, "expected a department id, found nothing");
                continue;
            }
            if (s_read_ref(c, h->kids[k], ep, "a department id", depts, n_depts, &d) != 1) {
                continue;
            }
            bool dup = false;
            for (int m = 0; m < t->n_handoff; m++) {
                dup = dup || t->handoff[m] == d;
            }
            if (dup) {
                s_err(c, h->kids[k], ep, "expected each hand-off target once, found '%s' again",
                      sc->dept[d].id);
            } else if (d == t->owner) {
                s_err(c, h->kids[k], ep,
                      "expected a department other than the touchpoint's owner, found '%s' "
                      "(a hand-off passes the case to someone else)",
                      sc->dept[d].id);
            } else {
                t->handoff[t->n_handoff++] = d;
            }
        }
    }
}

static void s_journeys(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = s_list(c, root, "", "journeys", "journeys");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !s_flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[S_PATH];
        char kp[S_PATH];
        s_index_path(ip, "journeys", i);
        if (i == CX_MAX_JOURNEYS) {
            s_err(c, item, ip, "expected at most %d journeys, found %d", CX_MAX_JOURNEYS, list->n);
            break;
        }
        cx_journey_spec_t *j = &sc->journey[sc->n_journey++];
        j->line = item->origin ? 0 : item->line;
        if (!s_map(c, item, ip, s_journey_keys, S_N(s_journey_keys), "a journey")) {
            continue;
        }
        s_item_id(c, item, ip, "a journey id", j->id, sc->journey[0].id, sizeof sc->journey[0],
                  &sc->journey[0].line, sizeof sc->journey[0], sc->n_journey - 1, "journey");

        const cx_node_t *tps = s_list(c, item, ip, "touchpoints", "touchpoints");
        if (!tps) {
            if (cx_node_is_null(cx_node_get(item, "touchpoints"))) {
                s_missing(c, item, ip, "touchpoints", "a list of at least one touchpoint");
            }
            continue;
        }
        char tp_path[S_PATH];
        s_key_path(tp_path, ip, "touchpoints");
        if (tps->n == 0) {
            s_err(c, tps, tp_path, "expected at least one touchpoint, found an empty list");
        }
        for (int k = 0; k < tps->n && !s_flooded(c); k++) {
            char tpp[S_PATH];
            s_index_path(tpp, tp_path, k);
            if (k == CX_MAX_TOUCHPOINTS) {
                s_err(c, tps->kids[k], tpp,
                      "expected at most %d touchpoints in a journey, found %d", CX_MAX_TOUCHPOINTS,
                      tps->n);
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
            s_read_ref(c, lt, s_key_path(kp, ip, "loop_to"), "a touchpoint id of this journey", ids,
                       j->n_tp, &j->loop_to);
        }
    }
}

static void s_weights(s_ctx_t *c, const cx_node_t *p, const char *ip, cx_persona_spec_t *ps)
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
    char wp[S_PATH];
    s_key_path(wp, ip, "weights");
    if (m && !s_map(c, m, wp, names, CX_PILLARS, "pillar weights")) {
        m = NULL;
    }
    bool bad = false;
    for (int k = 0; k < CX_PILLARS && m; k++) {
        bad = s_num(c, m, wp, names[k], 0, S_MAX_WEIGHT, false, &ps->weights[k]) < 0 || bad;
    }
    double sum = 0;
    for (int k = 0; k < CX_PILLARS; k++) {
        sum += ps->weights[k];
    }
    if (bad) {
        return;
    }
    if (sum <= 0) {
        s_err(c, m, wp,
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

static void s_channels(s_ctx_t *c, const cx_node_t *p, const char *ip, cx_persona_spec_t *ps)
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
    char cp[S_PATH];
    s_key_path(cp, ip, "channels");
    if (!s_map(c, m, cp, names, CX_CHANNEL_COUNT, "channel preferences")) {
        return;
    }
    for (int k = 0; k < CX_CHANNEL_COUNT; k++) {
        s_num(c, m, cp, names[k], 0, 1, false, &ps->channel_pref[k]);
    }
}

static void s_personas(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = s_list(c, root, "", "personas", "personas");
    if (!list) {
        return;
    }
    const char *journeys[CX_MAX_JOURNEYS];
    for (int k = 0; k < sc->n_journey; k++) {
        journeys[k] = sc->journey[k].id;
    }
    for (int i = 0; i < list->n && !s_flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[S_PATH];
        char kp[S_PATH];
        s_index_path(ip, "personas", i);
        if (i == CX_MAX_PERSONAS) {
            s_err(c, item, ip, "expected at most %d personas, found %d", CX_MAX_PERSONAS, list->n);
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
        if (!s_map(c, item, ip, s_persona_keys, S_N(s_persona_keys), "a persona")) {
            continue;
        }
        s_item_id(c, item, ip, "a persona id", p->id, sc->persona[0].id, sizeof sc->persona[0],
                  &sc->persona[0].line, sizeof sc->persona[0], sc->n_persona - 1, "persona");

        const cx_node_t *v = cx_node_get(item, "customers");
        int64_t customers = 0;
        if (cx_node_is_null(v)) {
            s_missing(c, item, ip, "customers", "how many customers the persona has at tick 0");
        } else if (s_read_int(c, v, s_key_path(kp, ip, "customers"), 1, S_MAX_CUSTOMERS,
                              "an integer", &customers) == 1) {
            p->customers = customers;
        }
        if (s_int(c, item, ip, "shards", 1, CX_MAX_SHARDS, &p->shards) == 1 && p->customers > 0 &&
            p->shards > p->customers) {
            s_err(c, cx_node_get(item, "shards"), s_key_path(kp, ip, "shards"),
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
                         s_join(journeys, sc->n_journey, list_, sizeof list_));
                s_missing(c, item, ip, "journey", what);
            }
            p->journey = 0;
        } else {
            s_read_ref(c, v, s_key_path(kp, ip, "journey"), "a journey id", journeys, sc->n_journey,
                       &p->journey);
        }
        s_weights(c, item, ip, p);
        s_channels(c, item, ip, p);
        s_num(c, item, ip, "spend", 0, S_MAX_MONEY, false, &p->spend);
        s_num(c, item, ip, "base_churn", 0, 1, false, &p->base_churn);
        s_num(c, item, ip, "expectation", 0, 10, false, &p->expectation);
        s_num(c, item, ip, "acquisition", 0, 10, false, &p->acquisition);
        s_num(c, item, ip, "price_sensitivity", 0, 5, false, &p->price_sensitivity);
    }
}

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
                     .hi = S_MAX_STAFF,
                     .lo_open = true},
};

static void s_event(s_ctx_t *c, const cx_node_t *item, const char *ip, cx_event_spec_t *e,
                    const cx_scenario_t *sc)
{
    char kp[S_PATH];
    char found[S_SHOW * 4 + 16];
    e->dept = -1;
    e->duration = 1;
    if (!s_map(c, item, ip, s_event_keys, S_N(s_event_keys), "a timeline event")) {
        return;
    }
    const cx_node_t *v = cx_node_get(item, "at");
    if (cx_node_is_null(v)) {
        s_missing(c, item, ip, "at", "the tick at which the event starts");
    } else {
        int64_t at = 0;
        char want[100];
        snprintf(want, sizeof want, "a tick from 0 to %d (ticks: %d)", sc->ticks - 1, sc->ticks);
        if (!s_parse_int(v, &at) || at < 0 || at >= sc->ticks) {
            s_err(c, v, s_key_path(kp, ip, "at"), "expected %s, found %s", want,
                  s_show(v, found, sizeof found));
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
        s_missing(c, item, ip, "event", s_join(names, CX_EV_KIND_COUNT, list, sizeof list));
        return;
    }
    if (s_read_enum(c, v, s_key_path(kp, ip, "event"), s_event_nm, CX_EV_KIND_COUNT, &kind) != 1) {
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
    for (int k = 0; k < S_N(optional); k++) {
        if (takes[k]) {
            strcat(keys, ", ");
            strcat(keys, optional[k]);
        }
    }
    strcat(keys, ", cost");
    for (int k = 0; k < S_N(optional); k++) {
        const cx_node_t *kv = cx_node_get(item, optional[k]);
        if (!takes[k] && kv) {
            /* Point at the key, not the value. */
            const cx_node_t *key = NULL;
            for (int m = 0; m + 1 < item->n; m += 2) {
                if (item->kids[m + 1] == kv) {
                    key = item->kids[m];
                }
            }
            s_err(c, key ? key : kv, s_key_path(kp, ip, optional[k]),
                  "a %s event does not take '%s': expected only %s", kname, optional[k], keys);
        }
    }

    if (r->department) {
        v = cx_node_get(item, "department");
        if (cx_node_is_null(v)) {
            if (r->department_req) {
                s_missing(c, item, ip, "department", "the department it changes");
            }
        } else {
            const char *depts[CX_MAX_DEPTS];
            int n_depts;
            s_dept_ids(sc, depts, &n_depts);
            s_read_ref(c, v, s_key_path(kp, ip, "department"), "a department id", depts, n_depts,
                       &e->dept);
        }
    }
    if (r->to) {
        v = cx_node_get(item, "to");
        if (cx_node_is_null(v)) {
            s_missing(c, item, ip, "to", "the maturity reached, 1 to 5");
        } else {
            s_read_num(c, v, s_key_path(kp, ip, "to"), 1, 5, false, &e->value);
        }
    }
    if (r->value) {
        v = cx_node_get(item, "value");
        if (cx_node_is_null(v)) {
            char want[120];
            s_missing(c, item, ip, "value",
                      s_range_text(want, sizeof want, "a number", r->lo, r->hi, r->lo_open));
        } else {
            s_read_num(c, v, s_key_path(kp, ip, "value"), r->lo, r->hi, r->lo_open, &e->value);
        }
    }
    if (r->over) {
        s_int(c, item, ip, "over", 1, CX_MAX_TICKS, &e->duration);
    }
    if (r->owner) {
        v = cx_node_get(item, "owner");
        if (cx_node_is_null(v)) {
            s_missing(c, item, ip, "owner", "the new CX owner");
        } else {
            s_read_enum(c, v, s_key_path(kp, ip, "owner"), s_owner_nm, CX_OWNER_COUNT, &e->owner);
        }
    }
    if (r->governance) {
        v = cx_node_get(item, "governance");
        if (cx_node_is_null(v)) {
            s_missing(c, item, ip, "governance", "the new governance model");
        } else {
            s_read_enum(c, v, s_key_path(kp, ip, "governance"), s_gov_nm, CX_GOV_COUNT,
                        &e->governance);
        }
    }
    s_num(c, item, ip, "cost", 0, S_MAX_MONEY, false, &e->cost);
}

static void s_timeline(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *list = s_list(c, root, "", "timeline", "events");
    if (!list) {
        return;
    }
    for (int i = 0; i < list->n && !s_flooded(c); i++) {
        const cx_node_t *item = list->kids[i];
        char ip[S_PATH];
        s_index_path(ip, "timeline", i);
        if (i == CX_MAX_EVENTS) {
            s_err(c, item, ip, "expected at most %d timeline events, found %d", CX_MAX_EVENTS,
                  list->n);
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

static void s_model(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    const cx_node_t *m = cx_node_get(root, "model");
    if (cx_node_is_null(m)) {
        return;
    }
    int n = 0;
    const cx_param_info_t *table = cx_params_table(&n);
    const char **names = malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
    if (!names) {
        s_err(c, m, "model", "out of memory");
        return;
    }
    for (int k = 0; k < n; k++) {
        names[k] = table[k].name;
    }
    if (s_map(c, m, "model", names, n, "model parameters")) {
        for (int k = 0; k < n; k++) {
            double *field = cx_params_field(&sc->params, table[k].name);
            if (field) {
                s_num(c, m, "model", table[k].name, table[k].lo, table[k].hi, false, field);
            }
        }
    }
    free(names);
}

/* The whole document. */
static void s_scenario(s_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc)
{
    if (cx_node_is_null(root)) {
        cx_diags_add(c->diags, c->file, 1, 1, "",
                     "expected a scenario (a mapping with departments, journeys and personas), "
                     "found an empty document");
        c->errors++;
        return;
    }
    if (!s_map(c, root, "", s_top_keys, S_N(s_top_keys), "a scenario")) {
        return;
    }
    s_top(c, root, sc);
    s_company(c, root, sc);
    s_market(c, root, sc);
    s_departments(c, root, sc);
    s_journeys(c, root, sc);
    s_personas(c, root, sc);
    s_timeline(c, root, sc);
    s_model(c, root, sc);

    static const char *const sections[] = {"departments", "journeys", "personas"};
    int counts[] = {sc->n_dept, sc->n_journey, sc->n_persona};
    for (int k = 0; k < 3; k++) {
        if (counts[k] == 0) {
            const cx_node_t *v = cx_node_get(root, sections[k]);
            if (v && v->type == CX_NODE_SEQ) {
                s_err(c, v, sections[k], "expected at least one item, found an empty list");
            } else if (cx_node_is_null(v)) {
                s_err(c, root, sections[k], "missing required key '%s' (a list of at least one)",
                      sections[k]);
            }
        }
    }
}

/* Orders the diagnostics from `start` by line and column (stable); those
 * without a line (overrides) come first, in the order they were given. */
static void s_sort_diags(cx_diags_t *d, int start)
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
    s_ctx_t c = {diags, name ? name : "<string>", sets, n_sets, 0, 0};
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
        char found[S_SHOW * 4 + 16];
        s_err(&c, root, "", "expected a scenario (a mapping of keys), found %s",
              s_show(root, found, sizeof found));
    } else {
        s_scenario(&c, root, sc);
    }
    cx_doc_fini(&doc);
    s_sort_diags(diags, start);
    return c.errors || diags->n > start ? -1 : 0;
}

#define S_EVENT_MAX_BYTES 4096 /* one live event, as text */

int cx_event_load_string(const char *name, const char *text, size_t len, const cx_scenario_t *sc,
                         int first_tick, cx_event_spec_t *ev, cx_diags_t *diags)
{
    s_ctx_t c = {diags, name ? name : "<event>", NULL, 0, 0, 0};
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
        char found[S_SHOW * 4 + 16];
        s_err(&c, root, "",
              "expected a timeline event, a mapping such as {event: maturity, department: it, "
              "to: 4, over: 6}, found %s",
              root ? s_show(root, found, sizeof found) : "nothing");
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
            s_err(&c, cx_node_get(root, "at"), "event.at",
                  "expected a tick from %d (the next one) to %d, found %d: the past cannot change",
                  first_tick, sc->ticks - 1, ev->tick);
        }
        ev->line = 0;
    }
    cx_doc_fini(&doc);
    s_sort_diags(diags, start);
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
        *count = S_N(s_all_keys);
    }
    return s_all_keys;
}
