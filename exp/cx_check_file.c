/*  cx_check_file — reality-check files (see cx_check_file.h).
 *
 *  The file is parsed with the scenario loader's tree (cx_doc: libyaml
 *  under size, depth, node and alias limits), so a check file gets the same
 *  FILE:LINE:COLUMN diagnostics and "did you mean" as a scenario file.
 *  Every problem of a file is reported in one pass.
 */
#include "cx_check_file.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_doc.h"
#include "cx_exp_util.h"
#include "cx_kpi_cols.h"

#define S_MAX_WINDOW 1000000 /* CX_MAX_TICKS: a window never reaches past a run */

static const char *const s_keys[] = {
    "name",   "source",           "scenario",   "set",   "change", "kpi",      "how",
    "window", "reference_window", "replicates", "quick", "expect", "tolerance"};
#define S_NKEYS ((int)(sizeof s_keys / sizeof s_keys[0]))

static const char *const s_expects[] = {"increase",    "decrease", "no_decrease",
                                        "no_increase", "between",  "ratio_between"};
static const char *const s_hows[] = {"mean", "sum", "last", "growth"};

/* The KPI row's contract columns (models/cx_kpi_cols.c, tick excluded); a
 * newer engine may add more, read from the header of the runs' kpis.csv.
 * Built once (check files are loaded by one thread). */
const char *const *cx_check_kpi_columns(int *n)
{
    static const char *names[64];
    static int count = -1;
    if (count < 0) {
        int k = 0;
        for (int i = 0; i < cx_kpi_ncols && k < 64; i++) {
            if (cx_kpi_cols[i].contract && strcmp(cx_kpi_cols[i].name, "tick") != 0) {
                names[k++] = cx_kpi_cols[i].name;
            }
        }
        count = k;
    }
    *n = count;
    return names;
}

const char *cx_expect_name(cx_expect_t e)
{
    return (int)e >= 0 && (int)e < 6 ? s_expects[e] : "?";
}

const char *cx_how_name(cx_how_t h)
{
    return (int)h >= 0 && (int)h < 4 ? s_hows[h] : "?";
}

void cx_check_statement(const cx_check_t *c, char *buf, size_t cap)
{
    switch (c->expect) {
    case CX_EXPECT_INCREASE:
        snprintf(buf, cap, "increase");
        break;
    case CX_EXPECT_DECREASE:
        snprintf(buf, cap, "decrease");
        break;
    case CX_EXPECT_NO_DECREASE:
        snprintf(buf, cap, "no decrease beyond %g", c->tolerance);
        break;
    case CX_EXPECT_NO_INCREASE:
        snprintf(buf, cap, "no increase beyond %g", c->tolerance);
        break;
    case CX_EXPECT_BETWEEN:
        snprintf(buf, cap, "%s between %g and %g", c->has_change || c->has_ref ? "delta" : "value",
                 c->lo, c->hi);
        break;
    case CX_EXPECT_RATIO_BETWEEN:
        snprintf(buf, cap, "ratio between %g and %g", c->lo, c->hi);
        break;
    }
}

void cx_checks_init(cx_checks_t *c)
{
    memset(c, 0, sizeof *c);
}

static void s_check_fini(cx_check_t *c)
{
    for (int i = 0; i < c->n_set; i++) {
        free(c->set[i]);
    }
    for (int i = 0; i < c->n_change; i++) {
        free(c->change[i]);
    }
    free(c->timeline_items);
    memset(c, 0, sizeof *c);
}

void cx_checks_fini(cx_checks_t *c)
{
    for (int i = 0; i < c->n; i++) {
        s_check_fini(&c->items[i]);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

static int s_load(const char *name, const char *dir, const char *text, size_t len, cx_checks_t *out,
                  cx_diags_t *diags);

/* ---- one file ------------------------------------------------------------ */

typedef struct {
    const char *file; /* name in diagnostics */
    cx_diags_t *d;    /* where problems go */
    int errors;       /* problems added */
} s_ctx_t;

static void s_err(s_ctx_t *x, const cx_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_err(s_ctx_t *x, const cx_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_diags_add(x->d, x->file, at ? at->line : 0, at ? at->column : 0, path, "%s", msg);
    x->errors++;
}

/* A scalar's text, cut for messages. */
static const char *s_show(const cx_node_t *n, char *buf, size_t cap)
{
    if (!n) {
        snprintf(buf, cap, "nothing");
    } else if (n->type == CX_NODE_MAP) {
        snprintf(buf, cap, "a mapping");
    } else if (n->type == CX_NODE_SEQ) {
        snprintf(buf, cap, "a list");
    } else {
        snprintf(buf, cap, "'%.*s'", (int)(n->len > 80 ? 80 : n->len), n->text);
    }
    return buf;
}

static bool s_scalar(const cx_node_t *n)
{
    return n && n->type == CX_NODE_SCALAR && !cx_node_is_null(n);
}

/* A number (finite, the whole text) from a plain scalar. */
static bool s_number(const cx_node_t *n, double *v)
{
    if (!s_scalar(n) || !n->plain || strlen(n->text) != n->len) {
        return false;
    }
    char buf[64];
    size_t j = 0;
    for (size_t i = 0; i < n->len && j + 1 < sizeof buf; i++) {
        if (n->text[i] != '_') {
            buf[j++] = n->text[i];
        }
    }
    buf[j] = '\0';
    if (j == 0 || strpbrk(buf, "xXnNiI")) { /* no hex, nan, inf */
        return false;
    }
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || errno || !isfinite(d)) {
        return false;
    }
    *v = d;
    return true;
}

/* An integer from lo to hi. */
static bool s_int(const cx_node_t *n, long lo, long hi, long *v)
{
    double d;
    if (!s_number(n, &d) || d != floor(d) || d < (double)lo || d > (double)hi) {
        return false;
    }
    *v = (long)d;
    return true;
}

/* Index of the name n among names, or -1 after a message with a
 * suggestion. */
static int s_name(s_ctx_t *x, const cx_node_t *n, const char *path, const char *const *names,
                  int count, const char *what)
{
    char shown[100];
    if (s_scalar(n)) {
        for (int i = 0; i < count; i++) {
            if (cx_node_is(n, names[i])) {
                return i;
            }
        }
    }
    char list[300] = "";
    size_t used = 0;
    for (int i = 0; i < count && used + 40 < sizeof list; i++) {
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    }
    const char *hint = s_scalar(n) ? cx_suggest(n->text, names, count) : NULL;
    char mean[80] = "";
    if (hint) {
        snprintf(mean, sizeof mean, "; did you mean '%s'?", hint);
    }
    s_err(x, n, path, "expected %s (one of %s), found %s%s", what, list,
          s_show(n, shown, sizeof shown), mean);
    return -1;
}

/* A pair [from, to) of ticks. */
static bool s_window(s_ctx_t *x, const cx_node_t *n, const char *path, int w[2])
{
    long a, b;
    char shown[100];
    if (!n || n->type != CX_NODE_SEQ || n->n != 2 || !s_int(n->kids[0], 0, S_MAX_WINDOW - 1, &a) ||
        !s_int(n->kids[1], 1, S_MAX_WINDOW, &b)) {
        s_err(x, n, path, "expected [FROM, TO]: ticks from FROM up to TO (excluded), found %s",
              s_show(n, shown, sizeof shown));
        return false;
    }
    if (b <= a) {
        s_err(x, n, path, "expected FROM < TO (ticks [FROM, TO)), found [%ld, %ld]", a, b);
        return false;
    }
    w[0] = (int)a;
    w[1] = (int)b;
    return true;
}

/* A pair of numbers [a, b] with a <= b. */
static bool s_range(s_ctx_t *x, const cx_node_t *n, const char *path, double *lo, double *hi)
{
    char shown[100];
    if (!n || n->type != CX_NODE_SEQ || n->n != 2 || !s_number(n->kids[0], lo) ||
        !s_number(n->kids[1], hi)) {
        s_err(x, n, path, "expected [LOW, HIGH], two numbers, found %s",
              s_show(n, shown, sizeof shown));
        return false;
    }
    if (*hi < *lo) {
        s_err(x, n, path, "expected LOW <= HIGH, found [%g, %g]", *lo, *hi);
        return false;
    }
    return true;
}

/* A list of "KEY=VALUE" overrides into out[] (heap copies). */
static int s_sets(s_ctx_t *x, const cx_node_t *n, const char *path, char **out, int *count)
{
    char shown[100];
    if (cx_node_is_null(n)) {
        return 0;
    }
    if (n->type != CX_NODE_SEQ) {
        s_err(x, n, path, "expected a list of KEY=VALUE overrides, found %s",
              s_show(n, shown, sizeof shown));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n->n; i++) {
        const cx_node_t *s = n->kids[i];
        char p[200];
        snprintf(p, sizeof p, "%s[%d]", path, i);
        const char *eq = s_scalar(s) ? strchr(s->text, '=') : NULL;
        if (!eq || eq == s->text || strlen(s->text) != s->len || strpbrk(s->text, "\t\n")) {
            s_err(x, s, p, "expected KEY=VALUE, such as departments.it.maturity=4, found %s%s",
                  s_show(s, shown, sizeof shown),
                  s && s->type == CX_NODE_MAP ? " (quote an override holding ': ')" : "");
            rc = -1;
            continue;
        }
        if (*count == CX_CHECK_MAX_SETS) {
            s_err(x, s, p, "expected at most %d overrides", CX_CHECK_MAX_SETS);
            return -1;
        }
        if (!(out[*count] = strdup(s->text))) {
            s_err(x, s, p, "out of memory");
            return -1;
        }
        (*count)++;
    }
    return rc;
}

/* Appends node n as flow YAML: the form `--set KEY=[...]` reads back. */
static void s_flow(cx_buf_t *b, const cx_node_t *n)
{
    if (n->type == CX_NODE_MAP) {
        cx_buf_printf(b, "{");
        for (int i = 0; i + 1 < n->n; i += 2) {
            cx_buf_printf(b, "%s", i ? ", " : "");
            s_flow(b, n->kids[i]);
            cx_buf_printf(b, ": ");
            s_flow(b, n->kids[i + 1]);
        }
        cx_buf_printf(b, "}");
        return;
    }
    if (n->type == CX_NODE_SEQ) {
        cx_buf_printf(b, "[");
        for (int i = 0; i < n->n; i++) {
            cx_buf_printf(b, "%s", i ? ", " : "");
            s_flow(b, n->kids[i]);
        }
        cx_buf_printf(b, "]");
        return;
    }
    bool bare = n->plain && n->len > 0 && strlen(n->text) == n->len;
    for (size_t i = 0; bare && i < n->len; i++) {
        char c = n->text[i];
        bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-' || c == '+';
    }
    if (bare) {
        cx_buf_printf(b, "%s", n->text);
        return;
    }
    cx_buf_printf(b, "\"");
    for (size_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->text[i];
        if (c == '"' || c == '\\') {
            cx_buf_printf(b, "\\%c", c);
        } else if (c < 0x20) {
            cx_buf_printf(b, "\\x%02x", c);
        } else {
            cx_buf_printf(b, "%c", c);
        }
    }
    cx_buf_printf(b, "\"");
}

static int s_change(s_ctx_t *x, const cx_node_t *n, const char *path, cx_check_t *c)
{
    char shown[100];
    if (!n || n->type != CX_NODE_MAP) {
        s_err(x, n, path, "expected a mapping with set and/or timeline, found %s",
              s_show(n, shown, sizeof shown));
        return -1;
    }
    static const char *const keys[] = {"set", "timeline"};
    int rc = 0;
    for (int i = 0; i + 1 < n->n; i += 2) {
        const cx_node_t *k = n->kids[i], *v = n->kids[i + 1];
        char p[200];
        snprintf(p, sizeof p, "%s.%.40s", path, k->text ? k->text : "");
        if (cx_node_is(k, "set")) {
            rc |= s_sets(x, v, p, c->change, &c->n_change);
        } else if (cx_node_is(k, "timeline")) {
            if (!v || v->type != CX_NODE_SEQ || v->n == 0) {
                s_err(x, v ? v : k, p,
                      "expected a list of timeline events such as {at: 365, event: outage, "
                      "department: it, value: 0.8, over: 30}, found %s",
                      s_show(v, shown, sizeof shown));
                rc = -1;
                continue;
            }
            cx_buf_t b;
            cx_buf_init(&b);
            for (int e = 0; e < v->n; e++) {
                cx_buf_printf(&b, "%s", e ? ", " : "");
                s_flow(&b, v->kids[e]);
            }
            if (b.oom || !(c->timeline_items = strdup(cx_buf_str(&b)))) {
                s_err(x, v, p, "out of memory");
                rc = -1;
            }
            cx_buf_fini(&b);
        } else {
            const char *hint = s_scalar(k) ? cx_suggest(k->text, keys, 2) : NULL;
            char mean[64] = "";
            if (hint) {
                snprintf(mean, sizeof mean, "; did you mean '%s'?", hint);
            }
            s_err(x, k, p, "unknown key %s (a change has set and timeline)%s",
                  s_show(k, shown, sizeof shown), mean);
            rc = -1;
        }
    }
    if (rc == 0 && c->n_change == 0 && !c->timeline_items) {
        s_err(x, n, path, "expected set and/or timeline: a change that changes nothing");
        rc = -1;
    }
    return rc;
}

/* Copies a text scalar into buf (cap bytes), or reports it. */
static bool s_text(s_ctx_t *x, const cx_node_t *n, const char *path, char *buf, size_t cap,
                   const char *what)
{
    char shown[100];
    if (!s_scalar(n) || strlen(n->text) != n->len) {
        s_err(x, n, path, "expected %s, found %s", what, s_show(n, shown, sizeof shown));
        return false;
    }
    if (n->len >= cap) {
        s_err(x, n, path, "expected %s of at most %zu bytes, found %zu", what, cap - 1, n->len);
        return false;
    }
    memcpy(buf, n->text, n->len + 1);
    return true;
}

/* name: unique among every check loaded so far. */
static void s_key_name(s_ctx_t *x, const cx_node_t *v, const char *p, cx_check_t *c,
                       const cx_checks_t *prev, const cx_checks_t *mine)
{
    if (!s_text(x, v, p, c->name, sizeof c->name, "a name")) {
        return;
    }
    for (int j = 0; j < prev->n + mine->n; j++) {
        const cx_check_t *o = j < prev->n ? &prev->items[j] : &mine->items[j - prev->n];
        if (o != c && o->name[0] && strcmp(o->name, c->name) == 0) {
            s_err(x, v, p, "the name '%s' is taken by %s:%d", c->name, o->file, o->at.line);
        }
    }
}

/* scenario: a readable file, relative to the check file's directory. */
static void s_key_scenario(s_ctx_t *x, const cx_node_t *v, const char *p, const char *dir,
                           cx_check_t *c)
{
    char file[4096];
    if (!s_text(x, v, p, file, sizeof file, "a scenario file")) {
        return;
    }
    if (file[0] == '/' || !dir[0]) {
        snprintf(c->scenario, sizeof c->scenario, "%s", file);
    } else {
        snprintf(c->scenario, sizeof c->scenario, "%.2000s/%.2000s", dir, file);
    }
    FILE *f = fopen(c->scenario, "r");
    if (!f) {
        s_err(x, v, p, "cannot read the scenario %s: %s", c->scenario, strerror(errno));
    } else {
        fclose(f);
    }
}

/* kpi: a column of kpis.csv (known today, or a word the runs may bring). */
static void s_key_kpi(s_ctx_t *x, const cx_node_t *v, const char *p, cx_check_t *c)
{
    c->kpi_at = (cx_check_pos_t){v->line, v->column};
    if (!s_text(x, v, p, c->kpi, sizeof c->kpi, "a column of kpis.csv")) {
        return;
    }
    int nk;
    const char *const *cols = cx_check_kpi_columns(&nk);
    bool word = strspn(c->kpi, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(c->kpi) &&
                c->kpi[0] >= 'a' && c->kpi[0] <= 'z';
    for (int j = 0; j < nk; j++) {
        c->kpi_known |= strcmp(cols[j], c->kpi) == 0;
    }
    const char *hint = c->kpi_known ? NULL : cx_suggest(c->kpi, cols, nk);
    if (!word || hint) {
        char mean[80] = "";
        if (hint) {
            snprintf(mean, sizeof mean, "; did you mean '%s'?", hint);
        }
        s_err(x, v, p,
              "expected a column of kpis.csv (such as nps, csat, ces, "
              "churn_rate, customers, revenue), found '%s'%s",
              c->kpi, mean);
    }
}

/* expect: a name, or a mapping of one ranged kind. Returns true when
 * valid. */
static bool s_key_expect(s_ctx_t *x, const cx_node_t *v, const char *p, cx_check_t *c)
{
    if (v && v->type == CX_NODE_MAP) {
        if (v->n != 2) {
            s_err(x, v, p,
                  "expected one of {between: [LOW, HIGH]} or "
                  "{ratio_between: [LOW, HIGH]}, found a mapping of %d keys",
                  v->n / 2);
            return false;
        }
        static const char *const ranged[] = {"between", "ratio_between"};
        int e = s_name(x, v->kids[0], p, ranged, 2, "a kind of expectation with a range");
        if (e < 0) {
            return false;
        }
        char pp[160];
        snprintf(pp, sizeof pp, "%s.%s", p, ranged[e]);
        c->expect = e == 0 ? CX_EXPECT_BETWEEN : CX_EXPECT_RATIO_BETWEEN;
        return s_range(x, v->kids[1], pp, &c->lo, &c->hi);
    }
    int e = -1;
    if (cx_node_is(v, "between") || cx_node_is(v, "ratio_between")) {
        s_err(x, v, p, "%s needs a range: write expect: {%s: [LOW, HIGH]}", v->text, v->text);
    } else {
        e = s_name(x, v, p, s_expects, 4, "what must hold");
    }
    if (e >= 0) {
        c->expect = (cx_expect_t)e;
        return true;
    }
    return false;
}

/* What the keys of one check left for the checks across keys. */
typedef struct {
    bool seen[S_NKEYS];     /* per key: given */
    const cx_node_t *expect; /* the expect value, or NULL */
    const cx_node_t *tol;   /* the tolerance value, or NULL */
    bool ok_expect;         /* expect is valid */
} s_keys_t;

/* The index of key k in s_keys, or -1 (reported, with a suggestion). */
static int s_key_index(s_ctx_t *x, const cx_node_t *k, const char *p)
{
    for (int j = 0; j < S_NKEYS && s_scalar(k); j++) {
        if (cx_node_is(k, s_keys[j])) {
            return j;
        }
    }
    char shown[100];
    const char *hint = s_scalar(k) ? cx_suggest(k->text, s_keys, S_NKEYS) : NULL;
    char mean[64] = "";
    if (hint) {
        snprintf(mean, sizeof mean, "; did you mean '%s'?", hint);
    }
    s_err(x, k, p, "unknown key %s%s", s_show(k, shown, sizeof shown), mean);
    return -1;
}

/* One key of a check: its value read into c. */
static void s_key(s_ctx_t *x, int key, const cx_node_t *v, const char *p, const char *dir,
                  cx_check_t *c, s_keys_t *ks)
{
    char shown[100];
    switch (key) {
    case 1: /* source */
        s_text(x, v, p, c->source, sizeof c->source,
               "the source of the statement (seed file and passage, or paper)");
        break;
    case 2: /* scenario */
        s_key_scenario(x, v, p, dir, c);
        break;
    case 3: /* set */
        c->set_at = (cx_check_pos_t){v->line, v->column};
        s_sets(x, v, p, c->set, &c->n_set);
        break;
    case 4: /* change */
        c->chg_at = (cx_check_pos_t){v->line, v->column};
        c->has_change = true;
        s_change(x, v, p, c);
        break;
    case 5: /* kpi */
        s_key_kpi(x, v, p, c);
        break;
    case 6: { /* how */
        int h = s_name(x, v, p, s_hows, 4, "an aggregate over the window");
        c->how = h >= 0 ? (cx_how_t)h : CX_HOW_MEAN;
        break;
    }
    case 7: /* window */
        s_window(x, v, p, c->window);
        break;
    case 8: /* reference_window */
        c->has_ref = s_window(x, v, p, c->ref);
        break;
    case 9: { /* replicates */
        long r;
        if (!s_int(v, 2, 10000, &r)) {
            s_err(x, v, p, "expected a number of replicates from 2 to 10000, found %s",
                  s_show(v, shown, sizeof shown));
        } else {
            c->replicates = (int)r;
        }
        break;
    }
    case 10: /* quick */
        if (cx_node_is(v, "true")) {
            c->quick = true;
        } else if (!cx_node_is(v, "false")) {
            s_err(x, v, p, "expected true or false, found %s", s_show(v, shown, sizeof shown));
        }
        break;
    case 11: /* expect */
        ks->expect = v;
        ks->ok_expect = s_key_expect(x, v, p, c);
        break;
    case 12: /* tolerance */
        ks->tol = v;
        if (!s_number(v, &c->tolerance) || c->tolerance < 0) {
            s_err(x, v, p, "expected a tolerance >= 0 in the KPI's units, found %s",
                  s_show(v, shown, sizeof shown));
        }
        break;
    }
}

/* The checks across keys: required keys, and keys that do not go
 * together. */
static void s_across(s_ctx_t *x, const cx_node_t *item, const char *path, cx_check_t *c,
                     const s_keys_t *ks)
{
    char p[128];
    static const int required[] = {0, 1, 2, 5, 7, 11};
    for (size_t j = 0; j < sizeof required / sizeof required[0]; j++) {
        if (!ks->seen[required[j]]) {
            s_err(x, item, path, "missing key '%s'", s_keys[required[j]]);
        }
    }
    if (ks->tol && ks->ok_expect && c->expect != CX_EXPECT_NO_DECREASE &&
        c->expect != CX_EXPECT_NO_INCREASE) {
        snprintf(p, sizeof p, "%s.tolerance", path);
        s_err(x, ks->tol, p, "tolerance goes with expect: no_decrease or no_increase, not %s",
              cx_expect_name(c->expect));
    }
    if (c->has_ref && c->has_change) {
        snprintf(p, sizeof p, "%s.reference_window", path);
        s_err(x, cx_node_get(item, "reference_window"), p,
              "a check compares either two scenarios (change) or two windows of one "
              "(reference_window), not both");
    }
    if (ks->ok_expect && !c->has_change && !c->has_ref && c->expect != CX_EXPECT_BETWEEN) {
        snprintf(p, sizeof p, "%s.expect", path);
        s_err(x, ks->expect, p,
              "expect: %s compares two sides: give a change (or a reference_window), or use "
              "{between: [LOW, HIGH]} for an absolute check",
              cx_expect_name(c->expect));
    }
}

static void s_one(s_ctx_t *x, const cx_node_t *item, int idx, const char *dir, cx_check_t *c,
                  const cx_checks_t *prev, const cx_checks_t *mine)
{
    char path[64], p[128], shown[100];
    snprintf(path, sizeof path, "checks[%d]", idx);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->at = (cx_check_pos_t){item->line, item->column};
    c->set_at = c->chg_at = c->at;
    c->replicates = 10;
    c->how = CX_HOW_MEAN;
    if (item->type != CX_NODE_MAP) {
        s_err(x, item, path,
              "expected a check (a mapping with name, source, scenario, kpi, "
              "window and expect), found %s",
              s_show(item, shown, sizeof shown));
        return;
    }
    s_keys_t ks;
    memset(&ks, 0, sizeof ks);
    for (int i = 0; i + 1 < item->n; i += 2) {
        const cx_node_t *k = item->kids[i], *v = item->kids[i + 1];
        snprintf(p, sizeof p, "%s.%.40s", path, s_scalar(k) ? k->text : "?");
        int key = s_key_index(x, k, p);
        if (key < 0) {
            continue;
        }
        if (ks.seen[key]) {
            s_err(x, k, p, "key '%s' given twice", s_keys[key]);
            continue;
        }
        ks.seen[key] = true;
        if (key == 0) {
            s_key_name(x, v, p, c, prev, mine);
        } else {
            s_key(x, key, v, p, dir, c, &ks);
        }
    }
    s_across(x, item, path, c, &ks);
}

/* Sorts diagnostics [from, n) by position, keeping the order of equals
 * (insertion sort: a file's problems are few). */
static void s_sort(cx_diags_t *d, int from)
{
    for (int i = from + 1; i < d->n; i++) {
        cx_diag_t t = d->items[i];
        int j = i;
        while (j > from && (d->items[j - 1].line > t.line || (d->items[j - 1].line == t.line &&
                                                              d->items[j - 1].column > t.column))) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = t;
    }
}

int cx_checks_load_string(const char *name, const char *dir, const char *text, size_t len,
                          cx_checks_t *out, cx_diags_t *diags)
{
    int first = diags->n;
    int rc = s_load(name, dir, text, len, out, diags);
    s_sort(diags, first);
    return rc;
}

static int s_load(const char *name, const char *dir, const char *text, size_t len, cx_checks_t *out,
                  cx_diags_t *diags)
{
    s_ctx_t x = {name, diags, 0};
    cx_doc_t doc;
    cx_doc_init(&doc);
    cx_node_t *root = NULL;
    cx_checks_t mine;
    cx_checks_init(&mine);
    if (cx_doc_parse(&doc, name, text, len, 0, "", &root, diags) != 0) {
        cx_doc_fini(&doc);
        return -1;
    }
    char shown[100];
    const cx_node_t *list = NULL;
    if (!root || root->type != CX_NODE_MAP) {
        s_err(&x, root, "", "expected a mapping with one key, checks, found %s",
              s_show(root, shown, sizeof shown));
    } else {
        for (int i = 0; i + 1 < root->n; i += 2) {
            const cx_node_t *k = root->kids[i];
            if (cx_node_is(k, "checks")) {
                list = root->kids[i + 1];
            } else {
                static const char *const top[] = {"checks"};
                const char *hint = s_scalar(k) ? cx_suggest(k->text, top, 1) : NULL;
                s_err(&x, k, s_scalar(k) ? k->text : "",
                      "unknown key %s (a check file has one "
                      "key, checks)%s",
                      s_show(k, shown, sizeof shown), hint ? "; did you mean 'checks'?" : "");
            }
        }
        if (!list || list->type != CX_NODE_SEQ || list->n == 0) {
            s_err(&x, list ? list : root, "checks", "expected a list of checks, found %s",
                  s_show(list, shown, sizeof shown));
            list = NULL;
        }
    }
    if (list && out->n + list->n > CX_CHECK_MAX_CHECKS) {
        s_err(&x, list, "checks", "expected at most %d checks over every file",
              CX_CHECK_MAX_CHECKS);
        list = NULL;
    }
    if (list) {
        mine.items = calloc((size_t)list->n, sizeof *mine.items);
        if (!mine.items) {
            s_err(&x, list, "checks", "out of memory");
            list = NULL;
        }
    }
    for (int i = 0; list && i < list->n; i++) {
        cx_check_t *c = &mine.items[mine.n++];
        snprintf(c->file, sizeof c->file, "%s", name);
        s_one(&x, list->kids[i], i, dir, c, out, &mine);
    }
    cx_doc_fini(&doc);
    if (x.errors) {
        cx_checks_fini(&mine);
        return -1;
    }
    if (mine.n) {
        cx_check_t *items = realloc(out->items, (size_t)(out->n + mine.n) * sizeof *items);
        if (!items) {
            cx_diags_add(diags, name, 0, 0, "", "out of memory");
            cx_checks_fini(&mine);
            return -1;
        }
        memcpy(items + out->n, mine.items, (size_t)mine.n * sizeof *items);
        out->items = items;
        out->n += mine.n;
        out->cap = out->n;
        free(mine.items); /* the checks' heap strings now belong to out */
    }
    return 0;
}

int cx_checks_load_file(const char *path, cx_checks_t *out, cx_diags_t *diags)
{
    size_t len = 0;
    char *text = cx_exp_read_file(path, CX_SCENARIO_MAX_BYTES, &len);
    if (!text) {
        cx_diags_add(diags, path, 0, 0, "", "cannot read: %s",
                     errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (!dir[0]) {
            snprintf(dir, sizeof dir, "/");
        }
    } else {
        dir[0] = '\0';
    }
    int rc = cx_checks_load_string(path, dir, text, len, out, diags);
    free(text);
    return rc;
}

char *cx_check_timeline_set(const cx_check_t *c)
{
    if (!c->timeline_items) {
        return NULL;
    }
    cx_buf_t b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "timeline=[");
    /* The scenario's own events, after the overrides both sides get: the
     * change adds to the timeline, it does not replace it. A file that does
     * not parse here is reported when the side is loaded. */
    size_t len = 0;
    char *text = cx_exp_read_file(c->scenario, CX_SCENARIO_MAX_BYTES, &len);
    int first = 1;
    if (text) {
        cx_doc_t doc;
        cx_doc_init(&doc);
        cx_diags_t d;
        cx_diags_init(&d);
        cx_node_t *root = NULL;
        if (cx_doc_parse(&doc, c->scenario, text, len, 0, "", &root, &d) == 0) {
            for (int i = 0; i < c->n_set; i++) {
                cx_doc_set(&doc, &root, c->set[i], i + 1, &d);
            }
            const cx_node_t *tl =
                root && root->type == CX_NODE_MAP ? cx_node_get(root, "timeline") : NULL;
            for (int i = 0; tl && tl->type == CX_NODE_SEQ && i < tl->n; i++) {
                cx_buf_printf(&b, "%s", first ? "" : ", ");
                s_flow(&b, tl->kids[i]);
                first = 0;
            }
        }
        cx_diags_fini(&d);
        cx_doc_fini(&doc);
        free(text);
    }
    cx_buf_printf(&b, "%s%s]", first ? "" : ", ", c->timeline_items);
    char *out = b.oom ? NULL : strdup(cx_buf_str(&b));
    cx_buf_fini(&b);
    return out;
}
