/*  cx_report — the HTML report of a run or compare directory (see
 *  cx_report.h).
 *
 *  Layout of this file:
 *      helpers     growable vectors, paths, CSV reading, HTML pieces
 *      markers     timeline events as labelled vertical lines
 *      run         kpis.csv, departments.csv, summary.json -> page
 *      compare     compare.db (read-only), compare.csv, payback.csv -> page
 *  (sweep directories: cx_report_sweep.c; sensitivity, optimise and
 *  calibration directories: cx_report_sens.c, cx_report_opt.c,
 *  cx_report_calib.c; all through cx_report_page.h)
 *
 *  Every reader returns 0, or CX_REPORT_UNREADABLE with a message in err;
 *  memory shortage is reported the same way. Text from files (names,
 *  descriptions, ids) is escaped by cx_svg_escape wherever it is written.
 */
#include "cx_report.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_exp_db.h"
#include "cx_exp_stats.h"
#include "cx_load.h"
#include "cx_report_page.h"
#include "cx_svg.h"
#include "cx_version.h"

/* UTF-8 punctuation, each its own literal so that no hex escape runs on. */
#define S_ARROW "\xe2\x86\x92"
#define S_MINUS "\xe2\x88\x92"
#define S_NDASH "\xe2\x80\x93"
#define S_TIMES "\xc3\x97"
#define S_PM "\xc2\xb1"

#define S_SMOOTH 30          /* ticks of the trailing mean drawn over noisy KPIs */
#define S_PATH_MAX 4096      /* longest path built here */
#define S_JSON_MAX (1 << 20) /* largest summary.json read */
#define S_LABEL_MAX 160      /* longest marker label */

#define S_C_BASE "#777777"  /* baseline */
#define S_C_SCEN "#0072b2"  /* scenario, single series */
#define S_C_LIGHT "#9dbfdc" /* raw series under its trailing mean */
#define S_C_GOOD "#009e73"  /* revenue, return */
#define S_C_BAD "#d55e00"   /* cost */

/* ------------------------------------------------------------------ helpers */

typedef struct {
    double *v; /* values */
    int n;     /* used */
    int cap;   /* allocated */
    bool oom;  /* an append failed */
} s_vec_t;

static void s_push(s_vec_t *a, double x)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 256;
        double *p = realloc(a->v, (size_t)cap * sizeof *p);
        if (!p) {
            a->oom = true;
            return;
        }
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static void s_vec_free(s_vec_t *a)
{
    free(a->v);
    memset(a, 0, sizeof *a);
}

static double s_num(const char *s)
{
    if (!s || !*s) {
        return NAN;
    }
    char *end;
    double v = strtod(s, &end);
    return *end ? NAN : v;
}

/* dir/name into buf; -1 when it does not fit. */
static int s_join(char *buf, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    int w = snprintf(buf, cap, "%.*s/%s", (int)n, dir, name);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

static bool s_is_file(const char *dir, const char *name)
{
    char p[S_PATH_MAX];
    struct stat st;
    return s_join(p, sizeof p, dir, name) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *s_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b && b[1] ? b + 1 : path;
}

/* Calls fn(ud, fields) for every whole row of a CSV file (no quoting: the
 * result files hold numbers and ids), fields in the order of `cols`. A
 * last line without its newline (a row being written) is left out. */
typedef int (*s_row_fn)(void *ud, char **fields);

static int s_csv(const char *dir, const char *name, const char *const *cols, int ncols, s_row_fn fn,
                 void *ud, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    if (s_join(path, sizeof path, dir, name) != 0) {
        snprintf(err, errlen, "path too long: %.200s/%s", dir, name);
        return CX_REPORT_UNREADABLE;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
        return CX_REPORT_UNREADABLE;
    }
    int rc = CX_REPORT_UNREADABLE;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int nhead = 0, *map = NULL;
    char **fields = NULL, **want = NULL;
    long lineno = 1;
    if ((len = getline(&line, &lcap, fp)) <= 0) {
        snprintf(err, errlen, "%.3000s: empty file, no header", path);
        goto done;
    }
    line[strcspn(line, "\r\n")] = '\0';
    nhead = 1;
    for (const char *p = line; *p; p++) {
        nhead += *p == ',';
    }
    map = malloc((size_t)ncols * sizeof *map);
    fields = malloc((size_t)nhead * sizeof *fields);
    want = malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof *want);
    if (!map || !fields || !want) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int c = 0; c < ncols; c++) {
        map[c] = -1;
        int i = 0;
        for (char *p = line, *e; p; p = e ? e + 1 : NULL, i++) {
            e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (strlen(cols[c]) == l && strncmp(p, cols[c], l) == 0) {
                map[c] = i;
                break;
            }
        }
        if (map[c] < 0) {
            snprintf(err, errlen, "%.3000s: no column '%s'", path, cols[c]);
            goto done;
        }
    }
    while ((len = getline(&line, &lcap, fp)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            break; /* a row still being written */
        }
        line[strcspn(line, "\r\n")] = '\0';
        int nf = 0;
        for (char *p = line; p && nf < nhead;) {
            fields[nf++] = p;
            p = strchr(p, ',');
            if (p) {
                *p++ = '\0';
            }
        }
        if (nf != nhead) {
            snprintf(err, errlen, "%.3000s:%ld: %d fields, the header has %d", path, lineno, nf,
                     nhead);
            goto done;
        }
        for (int c = 0; c < ncols; c++) {
            want[c] = fields[map[c]];
        }
        if (fn(ud, want) != 0) {
            snprintf(err, errlen, "out of memory reading %.3000s", path);
            goto done;
        }
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(line);
    free(map);
    free(fields);
    free(want);
    fclose(fp);
    return rc;
}

/* Trailing mean of the last `w` finite values up to each index. */
static void s_trailing_mean(const double *v, int n, int w, double *out)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        int k = 0;
        for (int j = i - w + 1 < 0 ? 0 : i - w + 1; j <= i; j++) {
            if (isfinite(v[j])) {
                s += v[j];
                k++;
            }
        }
        out[i] = k ? s / k : NAN;
    }
}

static void s_esc(cx_exp_buf_t *b, const char *s)
{
    cx_svg_escape(b, s);
}

static const char s_css[] =
    "body{margin:0 auto;max-width:760px;padding:16px 20px 40px;color:#222;background:#fff;"
    "font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif}\n"
    "h1{font-size:22px;margin:8px 0 4px}\n"
    "h2{font-size:17px;margin:28px 0 8px;padding-bottom:3px;border-bottom:1px solid #ddd}\n"
    "p.lead{margin:4px 0 14px;color:#444}\n"
    "table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}\n"
    "th{font-weight:600;color:#444;border-bottom:1px solid #ccc}\n"
    "td.num,th.num{text-align:right;white-space:nowrap}\n"
    "table.facts th{border:0;color:#555;font-weight:normal;padding-left:0}\n"
    "table.facts td{border:0}\n"
    "tr.sig td{font-weight:600}\n"
    "figure{margin:18px 0 8px}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figcaption{font-size:12.5px;color:#555;margin-top:2px}\n"
    "p.note,footer{font-size:12px;color:#666}\n"
    "footer{margin-top:32px;border-top:1px solid #ddd;padding-top:6px}\n";

static void s_page_head(cx_exp_buf_t *b, const char *title)
{
    cx_exp_buf_printf(b,
                      "<!DOCTYPE html>\n"
                      "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
                      "<head>\n<meta charset=\"utf-8\"/>\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                      "<meta name=\"generator\" content=\"cxsim %s\"/>\n<title>",
                      CX_VERSION);
    s_esc(b, title);
    cx_exp_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", s_css);
}

static void s_page_foot(cx_exp_buf_t *b, const char *sources)
{
    cx_exp_buf_printf(b, "<footer>cxsim %s report, made from ", CX_VERSION);
    s_esc(b, sources);
    cx_exp_buf_printf(b, ". Self-contained: inline SVG charts and CSS, no script, no network."
                         "</footer>\n</body>\n</html>\n");
}

static void s_fact(cx_exp_buf_t *b, const char *name, const char *value)
{
    cx_exp_buf_printf(b, "<tr><th>");
    s_esc(b, name);
    cx_exp_buf_printf(b, "</th><td>");
    s_esc(b, value);
    cx_exp_buf_printf(b, "</td></tr>\n");
}

/* A figure: the chart and its caption. */
static void s_figure(cx_exp_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                     const cx_svg_marker_t *m, int nm, const char *caption)
{
    cx_exp_buf_printf(b, "<figure id=\"fig-");
    s_esc(b, c->id);
    cx_exp_buf_printf(b, "\">\n");
    cx_svg_chart(b, c, s, ns, m, nm);
    cx_exp_buf_printf(b, "<figcaption>");
    s_esc(b, caption);
    cx_exp_buf_printf(b, "</figcaption>\n</figure>\n");
}

/* Shared with the other report modules (cx_report_page.h). */
void cx_report_page_head(cx_exp_buf_t *b, const char *title)
{
    s_page_head(b, title);
}

void cx_report_page_foot(cx_exp_buf_t *b, const char *sources)
{
    s_page_foot(b, sources);
}

void cx_report_fact(cx_exp_buf_t *b, const char *name, const char *value)
{
    s_fact(b, name, value);
}

void cx_report_figure(cx_exp_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                      const cx_svg_marker_t *m, int nm, const char *caption)
{
    s_figure(b, c, s, ns, m, nm, caption);
}

int cx_report_join(char *buf, size_t cap, const char *dir, const char *name)
{
    return s_join(buf, cap, dir, name);
}

/* ------------------------------------------------------------------ markers */

typedef struct {
    cx_svg_marker_t m[CX_MAX_EVENTS];       /* one per tick with events */
    char label[CX_MAX_EVENTS][S_LABEL_MAX]; /* their labels */
    int n;                                  /* used */
} s_marks_t;

/* What an event does, in a few characters: "it→4", "campaign ×1.5". */
static void s_event_desc(const cx_scenario_t *sc, const cx_event_spec_t *e, char *buf, size_t cap)
{
    const char *dept = e->dept >= 0 && e->dept < sc->n_dept ? sc->dept[e->dept].id : "?";
    char v[40];
    snprintf(v, sizeof v, "%.6g", e->value);
    switch (e->kind) {
    case CX_EV_MATURITY:
        snprintf(buf, cap, "%s" S_ARROW "%s", dept, v);
        break;
    case CX_EV_CX_OWNER:
        snprintf(buf, cap, "CX owner" S_ARROW "%s", cx_owner_name((cx_owner_t)e->owner));
        break;
    case CX_EV_GOVERNANCE:
        snprintf(buf, cap, "governance" S_ARROW "%s",
                 cx_governance_name((cx_governance_t)e->governance));
        break;
    case CX_EV_CAMPAIGN:
        snprintf(buf, cap, "campaign " S_TIMES "%s", v);
        break;
    case CX_EV_OUTAGE:
        snprintf(buf, cap, "%s outage %.6g%%", dept, e->value * 100);
        break;
    case CX_EV_PRICE:
        snprintf(buf, cap, "price " S_TIMES "%s", v);
        break;
    case CX_EV_POLICY:
        snprintf(buf, cap, "policy %s", v);
        break;
    case CX_EV_STAFF:
        snprintf(buf, cap, "%s staff" S_ARROW "%s", dept, v);
        break;
    default:
        snprintf(buf, cap, "%s", cx_event_kind_name(e->kind));
        break;
    }
}

/* One marker per tick that has events (keep[i] false leaves event i out;
 * keep may be NULL), labelled "t=8 it→4, marketing→4". */
static void s_marks(const cx_scenario_t *sc, const bool *keep, s_marks_t *mk)
{
    mk->n = 0;
    for (int i = 0; i < sc->n_event; i++) {
        if (keep && !keep[i]) {
            continue;
        }
        const cx_event_spec_t *e = &sc->event[i];
        char d[96];
        s_event_desc(sc, e, d, sizeof d);
        if (mk->n > 0 && mk->m[mk->n - 1].x == e->tick) {
            char *l = mk->label[mk->n - 1];
            size_t used = strlen(l);
            if (used + 2 + strlen(d) < S_LABEL_MAX) {
                snprintf(l + used, S_LABEL_MAX - used, ", %s", d);
            }
            continue;
        }
        snprintf(mk->label[mk->n], S_LABEL_MAX, "t=%d %s", e->tick, d);
        mk->m[mk->n].x = e->tick;
        mk->m[mk->n].label = mk->label[mk->n];
        mk->m[mk->n].color = NULL;
        mk->n++;
    }
}

static const char *s_unit_name(cx_tick_unit_t u)
{
    return cx_tick_unit_name(u);
}

/* ---------------------------------------------------------------------- run */

enum {
    K_TICK,
    K_CUSTOMERS,
    K_NPS,
    K_CSAT,
    K_CES,
    K_CHURN,
    K_REVENUE,
    K_ENGAGEMENT,
    K_COST,
    K_INVESTMENT,
    K_CUSTOMERS_END,
    K_PROFIT,
    K_N
};
static const char *const s_kpi_cols[K_N] = {
    "tick",    "customers",           "nps",  "csat",       "ces",          "churn_rate",
    "revenue", "employee_engagement", "cost", "investment", "customers_end", "operating_profit"};

typedef struct {
    s_vec_t c[K_N]; /* columns, one value per tick */
} s_kpis_t;

static int s_kpi_row(void *ud, char **f)
{
    s_kpis_t *k = ud;
    bool oom = false;
    for (int i = 0; i < K_N; i++) {
        s_push(&k->c[i], s_num(f[i]));
        oom |= k->c[i].oom;
    }
    return oom ? -1 : 0;
}

typedef struct {
    char id[CX_ID_MAX]; /* department id */
    s_vec_t tick;       /* ticks */
    s_vec_t maturity;   /* effective maturity */
    s_vec_t wait;       /* avg_wait, days */
} s_dept_t;

typedef struct {
    s_dept_t d[CX_MAX_DEPTS]; /* scenario's departments first, in its order */
    int n;                    /* used */
} s_depts_t;

static int s_dept_row(void *ud, char **f)
{
    s_depts_t *ds = ud;
    int i = 0;
    while (i < ds->n && strcmp(ds->d[i].id, f[1]) != 0) {
        i++;
    }
    if (i == ds->n) {
        if (ds->n == CX_MAX_DEPTS) {
            return 0; /* more departments than a scenario can hold: ignored */
        }
        snprintf(ds->d[ds->n++].id, CX_ID_MAX, "%s", f[1]);
    }
    s_dept_t *d = &ds->d[i];
    s_push(&d->tick, s_num(f[0]));
    s_push(&d->maturity, s_num(f[2]));
    s_push(&d->wait, s_num(f[3]));
    return d->tick.oom || d->maturity.oom || d->wait.oom ? -1 : 0;
}

/* Headline row: first and last value and the change. */
static void s_headline(cx_exp_buf_t *b, const char *key, const char *name, const char *unit,
                       double first, double last, int dec, bool grouped)
{
    char f[64], l[64], c[64], raw[40];
    if (grouped) {
        cx_svg_fmt_grouped(f, sizeof f, first, dec);
        cx_svg_fmt_grouped(l, sizeof l, last, dec);
        cx_svg_fmt_grouped(c + 1, sizeof c - 1, last - first, dec);
    } else {
        cx_svg_fmt(f, sizeof f, first, dec);
        cx_svg_fmt(l, sizeof l, last, dec);
        cx_svg_fmt(c + 1, sizeof c - 1, last - first, dec);
    }
    /* The change with its sign ("+" unless negative or unknown). */
    if (c[1] == '-' || !isfinite(last - first) || strspn(c + 1, "0.,") == strlen(c + 1)) {
        memmove(c, c + 1, strlen(c + 1) + 1);
    } else {
        c[0] = '+';
    }
    cx_exp_buf_printf(b, "<tr id=\"row-%s\"><td>", key);
    s_esc(b, name);
    cx_exp_buf_printf(b, "</td><td>");
    s_esc(b, unit);
    snprintf(raw, sizeof raw, "%.10g", first);
    cx_exp_buf_printf(b, "</td><td class=\"num first\" data-value=\"%s\">%s</td>", raw, f);
    snprintf(raw, sizeof raw, "%.10g", last);
    cx_exp_buf_printf(b, "<td class=\"num last\" data-value=\"%s\">%s</td>", raw, l);
    cx_exp_buf_printf(b, "<td class=\"num change\">%s</td></tr>\n", c);
}

/* The summary's status line: "completed", "failed: agent lost", or what
 * its absence means. */
static void s_run_status(const char *dir, char *out, size_t cap, char *mode, size_t mcap)
{
    char path[S_PATH_MAX];
    mode[0] = '\0';
    char *json = NULL;
    if (s_join(path, sizeof path, dir, "summary.json") == 0) {
        json = cx_exp_read_file(path, S_JSON_MAX, NULL);
    }
    if (!json) {
        snprintf(out, cap, "unknown: no summary.json (the run is still going, or was killed)");
        return;
    }
    char status[64] = "", reason[512] = "";
    if (cx_exp_json_text(json, "$.status", status, sizeof status) != 1) {
        snprintf(out, cap, "unknown: summary.json has no status");
    } else if (cx_exp_json_text(json, "$.reason", reason, sizeof reason) == 1 && reason[0]) {
        snprintf(out, cap, "%s: %s", status, reason);
    } else {
        snprintf(out, cap, "%s", status);
    }
    cx_exp_json_text(json, "$.mode", mode, mcap);
    free(json);
}

/* A run directory's data. */
typedef struct {
    cx_scenario_t *sc; /* scenario.resolved.yaml */
    s_marks_t *mk;     /* its timeline events */
    s_depts_t *ds;     /* departments.csv */
    s_kpis_t k;        /* kpis.csv */
    int n;             /* ticks (rows of kpis.csv) */
    double *work;      /* 4 x n: cumulative revenue, cumulative cost + investment, smoothing */
    char xl[64];       /* x axis label */
    char ev[160];      /* caption sentence about the markers */
} s_run_t;

static void s_run_free(s_run_t *r)
{
    for (int i = 0; i < K_N; i++) {
        s_vec_free(&r->k.c[i]);
    }
    if (r->ds) {
        for (int i = 0; i < CX_MAX_DEPTS; i++) {
            s_vec_free(&r->ds->d[i].tick);
            s_vec_free(&r->ds->d[i].maturity);
            s_vec_free(&r->ds->d[i].wait);
        }
    }
    free(r->work);
    free(r->sc);
    free(r->mk);
    free(r->ds);
}

static int s_run_load(const char *dir, s_run_t *r, char *err, size_t errlen)
{
    r->sc = malloc(sizeof *r->sc);
    r->mk = malloc(sizeof *r->mk);
    r->ds = calloc(1, sizeof *r->ds);
    if (!r->sc || !r->mk || !r->ds) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    char path[S_PATH_MAX];
    if (s_join(path, sizeof path, dir, "scenario.resolved.yaml") != 0) {
        snprintf(err, errlen, "path too long: %.200s", dir);
        return CX_REPORT_UNREADABLE;
    }
    cx_diags_t diags;
    cx_diags_init(&diags);
    if (cx_scenario_load_file(path, NULL, 0, r->sc, &diags) != 0) {
        char d[700] = "no diagnostic";
        if (diags.n > 0) {
            cx_diag_format(&diags.items[0], d, sizeof d);
        }
        snprintf(err, errlen, "cannot read the run's scenario: %s", d);
        cx_diags_fini(&diags);
        return CX_REPORT_UNREADABLE;
    }
    cx_diags_fini(&diags);
    int rc = s_csv(dir, "kpis.csv", s_kpi_cols, K_N, s_kpi_row, &r->k, err, errlen);
    if (rc != 0) {
        return rc;
    }
    int n = r->n = r->k.c[K_TICK].n;
    if (n == 0) {
        snprintf(err, errlen, "%.3000s/kpis.csv has no rows yet", dir);
        return CX_REPORT_UNREADABLE;
    }
    for (int i = 0; i < r->sc->n_dept; i++) {
        snprintf(r->ds->d[i].id, CX_ID_MAX, "%s", r->sc->dept[i].id);
    }
    r->ds->n = r->sc->n_dept;
    static const char *const dcols[] = {"tick", "department", "maturity", "avg_wait"};
    if ((rc = s_csv(dir, "departments.csv", dcols, 4, s_dept_row, r->ds, err, errlen)) != 0) {
        return rc;
    }
    if (!(r->work = malloc((size_t)n * 4 * sizeof *r->work))) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    double *cumrev = r->work, *cumcost = r->work + n, ar = 0, ac = 0;
    for (int i = 0; i < n; i++) {
        double rv = r->k.c[K_REVENUE].v[i], c = r->k.c[K_COST].v[i], iv = r->k.c[K_INVESTMENT].v[i];
        ar += isfinite(rv) ? rv : 0;
        ac += (isfinite(c) ? c : 0) + (isfinite(iv) ? iv : 0);
        cumrev[i] = ar;
        cumcost[i] = ac;
    }
    s_marks(r->sc, NULL, r->mk);
    snprintf(r->xl, sizeof r->xl, "tick (%s)", s_unit_name(r->sc->tick_unit));
    snprintf(r->ev, sizeof r->ev,
             " Dashed vertical lines: the scenario's timeline events (t=TICK what)%s.",
             r->mk->n ? "" : "; this run has none");
    return 0;
}

/* Title, description, facts and the headline table. */
static void s_run_head(cx_exp_buf_t *b, const char *dir, const s_run_t *r)
{
    const cx_scenario_t *sc = r->sc;
    int n = r->n, t0 = (int)r->k.c[K_TICK].v[0], t1 = (int)r->k.c[K_TICK].v[n - 1];
    char title[160];
    snprintf(title, sizeof title, "%s " S_NDASH " cxsim run report", sc->name);
    s_page_head(b, title);
    cx_exp_buf_printf(b, "<h1>");
    s_esc(b, sc->name);
    cx_exp_buf_printf(b, "</h1>\n<p class=\"lead\">");
    s_esc(b, sc->description);
    cx_exp_buf_printf(b, "</p>\n<table class=\"facts\">\n");
    char v[640], status[600], mode[32];
    s_run_status(dir, status, sizeof status, mode, sizeof mode);
    snprintf(v, sizeof v, "%llu", (unsigned long long)sc->seed);
    s_fact(b, "Seed", v);
    snprintf(v, sizeof v, "%d of %d (t=%d" S_NDASH "%d), one tick = one %s", n, sc->ticks, t0, t1,
             s_unit_name(sc->tick_unit));
    s_fact(b, "Ticks", v);
    char c0[48], c1[48];
    cx_svg_fmt_grouped(c0, sizeof c0, r->k.c[K_CUSTOMERS].v[0], 0);
    cx_svg_fmt_grouped(c1, sizeof c1, r->k.c[K_CUSTOMERS_END].v[n - 1], 0);
    snprintf(v, sizeof v, "%s at the start, %s at the end", c0, c1);
    s_fact(b, "Customers", v);
    snprintf(v, sizeof v, "%d departments, %d personas, %d timeline events", sc->n_dept,
             sc->n_persona, sc->n_event);
    s_fact(b, "Company", v);
    s_fact(b, "Status", status);
    if (mode[0]) {
        s_fact(b, "Engine", mode);
    }
    cx_exp_buf_printf(b, "</table>\n");

    cx_exp_buf_printf(b,
                      "<h2>Headline KPIs</h2>\n<table class=\"kpis\" id=\"headline\">\n"
                      "<tr><th>KPI</th><th>unit</th><th class=\"num\">t=%d</th>"
                      "<th class=\"num\">t=%d</th><th class=\"num\">change</th></tr>\n",
                      t0, t1);
    static const struct {
        int col;
        const char *key, *name, *unit;
        int dec;
        bool grouped;
    } rows[] = {
        {K_NPS, "nps", "NPS", "points, -100 to 100", 1, false},
        {K_CSAT, "csat", "CSAT", "% satisfied", 1, false},
        {K_CES, "ces", "CES", "1 to 10 (10: effortless)", 2, false},
        {K_CHURN, "churn_rate", "Churn rate", "% of customers per tick", 3, false},
        {K_CUSTOMERS, "customers", "Customers", "at the tick's start", 0, true},
        {K_REVENUE, "revenue", "Revenue", "currency per tick", 0, true},
        {-1, "total_revenue", "Total revenue", "currency, cumulative", 0, true},
        {K_ENGAGEMENT, "employee_engagement", "Employee engagement", "0 to 100", 1, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const double *v = rows[i].col >= 0 ? r->k.c[rows[i].col].v : r->work; /* cumulative */
        s_headline(b, rows[i].key, rows[i].name, rows[i].unit, v[0], v[n - 1], rows[i].dec,
                   rows[i].grouped);
    }
    cx_exp_buf_printf(b, "</table>\n");
}

/* A noisy KPI: each tick (light) and its trailing mean (dark). */
static void s_run_noisy(cx_exp_buf_t *b, const s_run_t *r, int col, const char *key, const char *id,
                        const char *title, const char *unit, bool zero, const char *what)
{
    double *smooth = r->work + 2 * r->n;
    char sm[96], mkey[64], cap[900];
    snprintf(sm, sizeof sm, "trailing mean of the last %d ticks", S_SMOOTH);
    snprintf(mkey, sizeof mkey, "%s_mean", key);
    s_trailing_mean(r->k.c[col].v, r->n, S_SMOOTH, smooth);
    cx_svg_series_t s[2] = {{.key = key,
                             .label = "each tick",
                             .x = r->k.c[K_TICK].v,
                             .y = r->k.c[col].v,
                             .n = r->n,
                             .color = S_C_LIGHT,
                             .width = 1.2},
                            {.key = mkey,
                             .label = sm,
                             .x = r->k.c[K_TICK].v,
                             .y = smooth,
                             .n = r->n,
                             .color = S_C_SCEN,
                             .width = 2}};
    cx_svg_chart_t ch = {.id = id,
                         .title = title,
                         .x_label = r->xl,
                         .y_label = unit,
                         .zero_line = zero,
                         .y_include_zero = zero};
    snprintf(cap, sizeof cap, "%s; light: each tick, dark: %s.%s", what, sm, r->ev);
    s_figure(b, &ch, s, 2, r->mk->m, r->mk->n, cap);
}

/* A KPI drawn as it is. */
static void s_run_plain(cx_exp_buf_t *b, const s_run_t *r, const cx_svg_series_t *s, int ns,
                        const char *id, const char *title, const char *unit, bool zero,
                        const char *what)
{
    char cap[900];
    cx_svg_chart_t ch = {.id = id,
                         .title = title,
                         .x_label = r->xl,
                         .y_label = unit,
                         .zero_line = zero,
                         .y_include_zero = zero};
    snprintf(cap, sizeof cap, "%s.%s", what, r->ev);
    s_figure(b, &ch, s, ns, r->mk->m, r->mk->n, cap);
}

static void s_run_charts(cx_exp_buf_t *b, const s_run_t *r)
{
    const double *x = r->k.c[K_TICK].v;
    int n = r->n;
    cx_exp_buf_printf(b, "<h2>Customers' view</h2>\n");
    s_run_noisy(b, r, K_NPS, "nps", "chart-nps", "NPS", "points", true,
                "Net Promoter Score of each tick's survey, 100 " S_TIMES " (promoters " S_MINUS
                " detractors) / respondents, in points (" S_MINUS "100 to 100)");
    s_run_noisy(b, r, K_CSAT, "csat", "chart-csat", "CSAT", "%", false,
                "Customer satisfaction: share of each tick's respondents answering 4 or 5 (of "
                "5), in %");
    s_run_noisy(b, r, K_CHURN, "churn_rate", "chart-churn", "Churn rate", "% per tick", true,
                "Customers lost during each tick (churn, competitors, policy) as % of the "
                "customers at its start; the raw value is noisy");
    cx_svg_series_t s = {.key = "customers",
                         .x = x,
                         .y = r->k.c[K_CUSTOMERS].v,
                         .n = n,
                         .color = S_C_SCEN,
                         .width = 2};
    s_run_plain(b, r, &s, 1, "chart-customers", "Customers", "customers", false,
                "Active customers at the start of each tick");

    cx_exp_buf_printf(b, "<h2>Money</h2>\n");
    s = (cx_svg_series_t){.key = "revenue",
                          .x = x,
                          .y = r->k.c[K_REVENUE].v,
                          .n = n,
                          .color = S_C_GOOD,
                          .width = 1.6};
    s_run_plain(b, r, &s, 1, "chart-revenue", "Revenue per tick", "currency", true,
                "Revenue of each tick's purchases, in the scenario's currency");
    cx_svg_series_t s2[2] = {{.key = "cumulative_revenue",
                              .label = "cumulative revenue",
                              .x = x,
                              .y = r->work,
                              .n = n,
                              .color = S_C_GOOD,
                              .width = 2},
                             {.key = "cumulative_cost",
                              .label = "cumulative cost + investment",
                              .x = x,
                              .y = r->work + n,
                              .n = n,
                              .color = S_C_BAD,
                              .width = 2}};
    s_run_plain(b, r, s2, 2, "chart-cumulative", "Cumulative revenue and spending", "currency",
                true,
                "Revenue summed from the first tick, against the departments' operating cost "
                "plus the one-off investments of timeline events, summed likewise; currency");

    s = (cx_svg_series_t){.key = "operating_profit",
                          .x = x,
                          .y = r->k.c[K_PROFIT].v,
                          .n = n,
                          .color = S_C_SCEN,
                          .width = 1.6};
    s_run_plain(b, r, &s, 1, "chart-profit", "Operating profit per tick", "currency", false,
                "Gross profit (revenue x the company's gross margin) less the departments' cost, "
                "sales and marketing spend and investment, in the scenario's currency");

    cx_exp_buf_printf(b, "<h2>Organisation</h2>\n");
    s = (cx_svg_series_t){.key = "employee_engagement",
                          .x = x,
                          .y = r->k.c[K_ENGAGEMENT].v,
                          .n = n,
                          .color = S_C_SCEN,
                          .width = 2};
    s_run_plain(b, r, &s, 1, "chart-engagement", "Employee engagement", "0 to 100", false,
                "Employee engagement by seed 001's survey formula: every employee's answers "
                "scored 9-10: 100, 7-8: 80, ... and averaged, 0 to 100");
    cx_svg_series_t sd[CX_MAX_DEPTS];
    int nd = 0, di[CX_MAX_DEPTS];
    for (int i = 0; i < r->ds->n; i++) {
        const s_dept_t *d = &r->ds->d[i];
        if (d->tick.n > 0) {
            di[nd] = i;
            sd[nd++] = (cx_svg_series_t){.key = "maturity",
                                         .label = d->id,
                                         .x = d->tick.v,
                                         .y = d->maturity.v,
                                         .n = d->tick.n,
                                         .color = cx_svg_palette(i),
                                         .width = 1.8,
                                         .dash = i >= 8 ? "5 3" : NULL};
        }
    }
    s_run_plain(b, r, sd, nd, "chart-maturity", "Maturity per department", "level 1 to 5", false,
                "Each department's effective maturity level (1 to 5), including the ramps of "
                "maturity events");
    for (int i = 0; i < nd; i++) {
        sd[i].key = "avg_wait";
        sd[i].y = r->ds->d[di[i]].wait.v;
    }
    s_run_plain(b, r, sd, nd, "chart-wait", "Average wait per department", "days", true,
                "Mean days the requests each department served in a tick had waited in its "
                "backlog; 0 while capacity keeps up with demand");
}

static int s_run_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen)
{
    s_run_t r;
    memset(&r, 0, sizeof r);
    int rc = s_run_load(dir, &r, err, errlen);
    if (rc == 0) {
        s_run_head(b, dir, &r);
        s_run_charts(b, &r);
        s_page_foot(b, "kpis.csv, departments.csv, summary.json and scenario.resolved.yaml");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    s_run_free(&r);
    return rc;
}

/* ------------------------------------------------------------------ compare */

/* Per-tick mean and spread over replicates (Welford), NaN values skipped. */
typedef struct {
    double *mean; /* running mean per tick */
    double *m2;   /* sum of squared deviations per tick */
    int *n;       /* values per tick */
} s_acc_t;

static int s_acc_init(s_acc_t *a, int nt)
{
    a->mean = calloc((size_t)nt, sizeof *a->mean);
    a->m2 = calloc((size_t)nt, sizeof *a->m2);
    a->n = calloc((size_t)nt, sizeof *a->n);
    return a->mean && a->m2 && a->n ? 0 : -1;
}

static void s_acc_fini(s_acc_t *a)
{
    free(a->mean);
    free(a->m2);
    free(a->n);
}

static void s_acc_add(s_acc_t *a, int t, double v)
{
    if (!isfinite(v)) {
        return;
    }
    a->n[t]++;
    double d = v - a->mean[t];
    a->mean[t] += d / a->n[t];
    a->m2[t] += d * (v - a->mean[t]);
}

/* Mean (NaN without values) and 95% band (NaN below 2 values). */
static void s_acc_band(const s_acc_t *a, int nt, const double *tq, double *mean, double *lo,
                       double *hi)
{
    for (int t = 0; t < nt; t++) {
        int n = a->n[t];
        mean[t] = n ? a->mean[t] : NAN;
        if (n >= 2) {
            double half = tq[n] * sqrt(a->m2[t] / (n - 1)) / sqrt((double)n);
            lo[t] = mean[t] - half;
            hi[t] = mean[t] + half;
        } else {
            lo[t] = hi[t] = NAN;
        }
    }
}

enum { C_NPS, C_CHURN, C_REVENUE, C_CUSTOMERS, C_COST, C_INVESTMENT, C_N };
enum {
    A_NPS, /* side x 4 KPIs: A_NPS + side * A_KPIS */
    A_CHURN,
    A_REVENUE,
    A_CUSTOMERS,
    A_KPIS,
    A_D_NPS = 2 * A_KPIS, /* paired deltas */
    A_D_CUMREV,
    A_CUM_DR, /* cumulative extra revenue */
    A_CUM_DC, /* cumulative extra cost + investment */
    A_N
};

typedef struct {
    sqlite3 *db;
    long long point[2];   /* baseline, scenario */
    char file[2][256];    /* their scenario files' base names */
    cx_scenario_t *sc[2]; /* their resolved scenarios */
    int npairs;           /* pairs used */
    int nskipped;         /* pairs left out (different lengths) */
    int nt;               /* ticks */
    double *x;            /* tick numbers */
    s_acc_t acc[A_N];     /* accumulators */
} s_cmp_t;

static void s_db_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "compare.db: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static const char *s_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int s_meta(sqlite3 *db, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, cap, "%s", s_col_text(st, 0));
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

/* One run's series of the C_* columns; returns ticks loaded, or -1. The
 * investment column carries every one-off spending of the scenario: the
 * transformations and, where the engine records it (marketing_cost), the
 * campaigns above the yearly marketing spend, which is the same on both
 * sides and cancels in the differences. */
static int s_run_series(sqlite3 *db, long long run_id, int cap, double *tick, double *v[C_N])
{
    sqlite3_stmt *st;
    bool mkt = sqlite3_table_column_metadata(db, NULL, "kpis", "marketing_cost", NULL, NULL, NULL,
                                             NULL, NULL) == SQLITE_OK;
    if (sqlite3_prepare_v2(db,
                           mkt ? "SELECT tick, nps, churn_rate, revenue, customers, cost, "
                                 "COALESCE(investment, 0) + COALESCE(marketing_cost, 0) "
                                 "FROM kpis WHERE run_id = ?1 ORDER BY tick"
                               : "SELECT tick, nps, churn_rate, revenue, customers, cost, investment "
                                 "FROM kpis WHERE run_id = ?1 ORDER BY tick",
                           -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int n = 0, r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) {
            tick[n] = sqlite3_column_double(st, 0);
            for (int c = 0; c < C_N; c++) {
                v[c][n] = sqlite3_column_type(st, c + 1) == SQLITE_NULL
                              ? NAN
                              : sqlite3_column_double(st, c + 1);
            }
        }
        n++;
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? n : -1;
}

/* The resolved scenario of a point's first completed run. */
static int s_point_scenario(sqlite3 *db, long long point, const char *label, cx_scenario_t *sc,
                            char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.yaml FROM runs r JOIN scenarios s ON s.sha256 = "
                           "r.scenario_sha256 WHERE r.point = ?1 AND r.status = 'completed' "
                           "ORDER BY r.replicate LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "scenarios", db);
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *yaml = s_col_text(st, 0);
        cx_diags_t diags;
        cx_diags_init(&diags);
        if (cx_scenario_load_string("compare.db", yaml, strlen(yaml), NULL, 0, sc, &diags) == 0) {
            rc = 0;
        } else {
            char d[700] = "no diagnostic";
            if (diags.n > 0) {
                cx_diag_format(&diags.items[0], d, sizeof d);
            }
            snprintf(err, errlen, "compare.db: a resolved scenario does not load: %s", d);
        }
        cx_diags_fini(&diags);
    } else {
        snprintf(err, errlen, "compare.db: no completed run of the %s yet", label);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads the paired runs into the accumulators. */
static int s_cmp_load(s_cmp_t *cp, char *err, size_t errlen)
{
    sqlite3 *db = cp->db;
    sqlite3_stmt *st = NULL;
    long long *pairs = NULL;
    int np = 0, pcap = 0;
    double *buf = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT b.run_id, s.run_id FROM runs b JOIN runs s "
                           "ON s.replicate = b.replicate WHERE b.point = ?1 AND s.point = ?2 "
                           "AND b.status = 'completed' AND s.status = 'completed' "
                           "ORDER BY b.replicate",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "runs", db);
        goto done;
    }
    sqlite3_bind_int64(st, 1, cp->point[0]);
    sqlite3_bind_int64(st, 2, cp->point[1]);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (np == pcap) {
            pcap = pcap ? 2 * pcap : 64;
            long long *p = realloc(pairs, (size_t)pcap * 2 * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            pairs = p;
        }
        pairs[2 * np] = sqlite3_column_int64(st, 0);
        pairs[2 * np + 1] = sqlite3_column_int64(st, 1);
        np++;
    }
    if (r != SQLITE_DONE) {
        s_db_err(err, errlen, "runs", db);
        goto done;
    }
    if (np == 0) {
        snprintf(err, errlen, "compare.db: no replicate completed on both sides yet");
        goto done;
    }
    /* Ticks from the first pair's baseline run. */
    double dummy_t;
    double dummy[C_N];
    double *dv[C_N];
    for (int c = 0; c < C_N; c++) {
        dv[c] = &dummy[c];
    }
    int nt = s_run_series(db, pairs[0], 0, &dummy_t, dv);
    if (nt <= 0) {
        s_db_err(err, errlen, "kpis", db);
        goto done;
    }
    cp->nt = nt;
    buf = malloc((size_t)nt * (2 * (C_N + 1) + 1) * sizeof *buf);
    cp->x = malloc((size_t)nt * sizeof *cp->x);
    if (!buf || !cp->x) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int a = 0; a < A_N; a++) {
        if (s_acc_init(&cp->acc[a], nt) != 0) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    double *tk[2], *v[2][C_N];
    for (int k = 0; k < 2; k++) {
        tk[k] = buf + (size_t)k * (C_N + 1) * nt;
        for (int c = 0; c < C_N; c++) {
            v[k][c] = tk[k] + (size_t)(c + 1) * nt;
        }
    }
    for (int p = 0; p < np; p++) {
        int n0 = s_run_series(db, pairs[2 * p], nt, tk[0], v[0]);
        int n1 = s_run_series(db, pairs[2 * p + 1], nt, tk[1], v[1]);
        if (n0 < 0 || n1 < 0) {
            s_db_err(err, errlen, "kpis", db);
            goto done;
        }
        bool same = n0 == nt && n1 == nt;
        for (int t = 0; same && t < nt; t++) {
            same = tk[0][t] == tk[1][t] && (p == 0 || tk[0][t] == cp->x[t]);
        }
        if (!same) {
            cp->nskipped++;
            continue;
        }
        if (cp->npairs == 0) {
            memcpy(cp->x, tk[0], (size_t)nt * sizeof *cp->x);
        }
        cp->npairs++;
        double cum_dr = 0, cum_dc = 0;
        for (int t = 0; t < nt; t++) {
            for (int k = 0; k < 2; k++) {
                s_acc_add(&cp->acc[A_NPS + k * A_KPIS], t, v[k][C_NPS][t]);
                s_acc_add(&cp->acc[A_CHURN + k * A_KPIS], t, v[k][C_CHURN][t]);
                s_acc_add(&cp->acc[A_REVENUE + k * A_KPIS], t, v[k][C_REVENUE][t]);
                s_acc_add(&cp->acc[A_CUSTOMERS + k * A_KPIS], t, v[k][C_CUSTOMERS][t]);
            }
            s_acc_add(&cp->acc[A_D_NPS], t, v[1][C_NPS][t] - v[0][C_NPS][t]);
            double dr = v[1][C_REVENUE][t] - v[0][C_REVENUE][t];
            double inv0 = isnan(v[0][C_INVESTMENT][t]) ? 0 : v[0][C_INVESTMENT][t];
            double inv1 = isnan(v[1][C_INVESTMENT][t]) ? 0 : v[1][C_INVESTMENT][t];
            double dc = (v[1][C_COST][t] + inv1) - (v[0][C_COST][t] + inv0);
            cum_dr += dr;
            cum_dc += dc;
            s_acc_add(&cp->acc[A_D_CUMREV], t, cum_dr);
            s_acc_add(&cp->acc[A_CUM_DR], t, cum_dr);
            s_acc_add(&cp->acc[A_CUM_DC], t, cum_dc);
        }
    }
    if (cp->npairs == 0) {
        snprintf(err, errlen, "compare.db: the paired runs have different lengths");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(st);
    free(pairs);
    free(buf);
    return rc;
}

/* compare.csv, kept as text (the table shows the values as formatted,
 * data-value the text as written). */
#define S_CMP_COLS 7
typedef struct {
    char *f[64][S_CMP_COLS]; /* rows x fields, heap strings */
    int n;                   /* rows */
} s_cmp_csv_t;

static int s_cmp_csv_row(void *ud, char **f)
{
    s_cmp_csv_t *t = ud;
    if (t->n == 64) {
        return 0;
    }
    for (int i = 0; i < S_CMP_COLS; i++) {
        if (!(t->f[t->n][i] = strdup(f[i]))) {
            return -1;
        }
    }
    t->n++;
    return 0;
}

static void s_cmp_csv_free(s_cmp_csv_t *t)
{
    for (int r = 0; r < 64; r++) {
        for (int i = 0; i < S_CMP_COLS; i++) {
            free(t->f[r][i]);
        }
    }
}

typedef struct {
    s_vec_t tick, net; /* payback.csv */
} s_payback_t;

static int s_payback_row(void *ud, char **f)
{
    s_payback_t *p = ud;
    s_push(&p->tick, s_num(f[0]));
    s_push(&p->net, s_num(f[1]));
    return p->tick.oom || p->net.oom ? -1 : 0;
}

/* Decimals for a value shown with an interval of this half-width (the
 * rule `cxsim compare` prints with). */
static int s_ci_decimals(double half, double v)
{
    double ref = isnan(half) || half <= 1e-9 * fabs(v) ? fabs(v) / 1000 : half;
    if (!(ref > 0)) {
        return 2;
    }
    int d = 1 - (int)floor(log10(ref));
    return d < 0 ? 0 : d > 4 ? 4 : d;
}

static void s_signed(char *buf, size_t cap, double v, int dec)
{
    cx_svg_fmt(buf + 1, cap - 1, v, dec);
    if (!isfinite(v) || buf[1] == '-' || strspn(buf + 1, "0.") == strlen(buf + 1)) {
        memmove(buf, buf + 1, strlen(buf + 1) + 1);
    } else {
        buf[0] = '+';
    }
}

static void s_cmp_table(cx_exp_buf_t *b, const s_cmp_csv_t *t)
{
    cx_exp_buf_printf(b, "<table class=\"kpis\" id=\"deltas\">\n<tr><th>KPI</th>"
                         "<th class=\"num\">n</th><th class=\"num\">baseline</th>"
                         "<th class=\"num\">scenario</th><th class=\"num\">delta</th>"
                         "<th class=\"num\">95%% CI of delta</th></tr>\n");
    for (int r = 0; r < t->n; r++) {
        char *const *f = t->f[r];
        double vb = s_num(f[2]), vs = s_num(f[3]), d = s_num(f[4]), lo = s_num(f[5]),
               hi = s_num(f[6]);
        int dec = s_ci_decimals((hi - lo) / 2, fabs(vb) > fabs(vs) ? vb : vs);
        char a[64], bb[64], dd[64], l[64], h[64];
        cx_svg_fmt(a, sizeof a, vb, dec);
        cx_svg_fmt(bb, sizeof bb, vs, dec);
        s_signed(dd, sizeof dd, d, dec);
        s_signed(l, sizeof l, lo, dec);
        s_signed(h, sizeof h, hi, dec);
        bool sig = isfinite(lo) && isfinite(hi) && (lo > 0 || hi < 0);
        cx_exp_buf_printf(b, "<tr id=\"kpi-");
        s_esc(b, f[0]);
        cx_exp_buf_printf(b, "\"%s><td>", sig ? " class=\"sig\"" : "");
        s_esc(b, f[0]);
        cx_exp_buf_printf(b, "</td><td class=\"num\">");
        s_esc(b, f[1]);
        cx_exp_buf_printf(b, "</td><td class=\"num baseline\" data-value=\"");
        s_esc(b, f[2]);
        cx_exp_buf_printf(b, "\">%s</td><td class=\"num scenario\" data-value=\"", a);
        s_esc(b, f[3]);
        cx_exp_buf_printf(b, "\">%s</td><td class=\"num delta\" data-value=\"", bb);
        s_esc(b, f[4]);
        cx_exp_buf_printf(b, "\">%s</td><td class=\"num ci\" data-low=\"", dd);
        s_esc(b, f[5]);
        cx_exp_buf_printf(b, "\" data-high=\"");
        s_esc(b, f[6]);
        cx_exp_buf_printf(b, "\">[%s, %s]%s</td></tr>\n", l, h, sig ? " *" : "");
    }
    cx_exp_buf_printf(b, "</table>\n<p class=\"note\">Final KPIs: the value at the last tick, "
                         "total_* summed over every tick; delta = scenario " S_MINUS
                         " baseline, paired by replicate (common random numbers), with the "
                         "Student t 95%% confidence interval of the mean delta. Bold and * : "
                         "the interval excludes 0.</p>\n");
}

/* "key=value, key=value" of a point's overrides, or "none". */
static void s_overrides(sqlite3 *db, long long point, char *out, size_t cap)
{
    sqlite3_stmt *st;
    snprintf(out, cap, "none");
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM params WHERE point = ?1 ORDER BY rowid", -1,
                           &st, NULL) != SQLITE_OK) {
        return;
    }
    sqlite3_bind_int64(st, 1, point);
    size_t used = 0;
    while (sqlite3_step(st) == SQLITE_ROW && used < cap) {
        int w = snprintf(out + used, cap - used, "%s%s=%s", used ? ", " : "", s_col_text(st, 0),
                         s_col_text(st, 1));
        used += w > 0 ? (size_t)w : 0;
    }
    sqlite3_finalize(st);
}

/* The margin of the comparison's payback (1 when nothing says). */
static double s_margin(sqlite3 *db)
{
    char cmd[8192], item[256], path[32];
    double m = 1;
    /* Recorded by compare (its --margin, else the baseline's gross margin);
     * older comparisons: the --margin of their command line, else 1. */
    if (s_meta(db, "margin", item, sizeof item) == 1 && s_num(item) > 0 && s_num(item) <= 1) {
        return s_num(item);
    }
    if (s_meta(db, "last_command", cmd, sizeof cmd) != 1) {
        return m;
    }
    for (int i = 0; i < 512; i++) {
        snprintf(path, sizeof path, "$[%d]", i);
        if (cx_exp_json_text(cmd, path, item, sizeof item) != 1) {
            break;
        }
        if (strncmp(item, "--margin=", 9) == 0) {
            m = s_num(item + 9);
        } else if (strcmp(item, "--margin") == 0) {
            snprintf(path, sizeof path, "$[%d]", i + 1);
            if (cx_exp_json_text(cmd, path, item, sizeof item) == 1) {
                m = s_num(item);
            }
        }
    }
    return isfinite(m) && m > 0 ? m : 1;
}

/* The rule of docs/EXPERIMENTS.md: the first index from which net stays
 * >= 0 to the end; -1 when net ends below 0. */
static int s_payback_index(const double *net, int n)
{
    if (n == 0 || !(net[n - 1] >= 0)) {
        return -1;
    }
    int t = n - 1;
    while (t > 0 && net[t - 1] >= 0) {
        t--;
    }
    return t;
}

static bool s_same_event(const cx_event_spec_t *a, const cx_event_spec_t *b)
{
    return a->tick == b->tick && a->kind == b->kind && a->dept == b->dept && a->value == b->value &&
           a->duration == b->duration && a->cost == b->cost && a->owner == b->owner &&
           a->governance == b->governance;
}

static int s_cmp_open(s_cmp_t *cp, const char *dir, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    if (s_join(path, sizeof path, dir, "compare.db") != 0) {
        snprintf(err, errlen, "path too long: %.200s", dir);
        return -1;
    }
    if (sqlite3_open_v2(path, &cp->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %.3000s: %s", path,
                 cp->db ? sqlite3_errmsg(cp->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(cp->db, 5000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cp->db,
                           "SELECT label, point, scenario FROM points "
                           "WHERE label IN ('baseline', 'scenario') ORDER BY point",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "points", cp->db);
        return -1;
    }
    cp->point[0] = cp->point[1] = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int k = strcmp(s_col_text(st, 0), "scenario") == 0;
        if (cp->point[k] < 0) {
            cp->point[k] = sqlite3_column_int64(st, 1);
            snprintf(cp->file[k], sizeof cp->file[k], "%s", s_basename(s_col_text(st, 2)));
        }
    }
    sqlite3_finalize(st);
    if (cp->point[0] < 0 || cp->point[1] < 0) {
        snprintf(err, errlen, "%.3000s: no baseline and scenario points: not a comparison", path);
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        if (!(cp->sc[k] = malloc(sizeof *cp->sc[k]))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (s_point_scenario(cp->db, cp->point[k], k ? "scenario" : "baseline", cp->sc[k], err,
                             errlen) != 0) {
            return -1;
        }
    }
    return s_cmp_load(cp, err, errlen);
}

/* Everything a compare page shows. */
typedef struct {
    s_cmp_t cp;       /* compare.db */
    s_cmp_csv_t *csv; /* compare.csv (rows 0 when absent) */
    bool have_csv;    /* compare.csv exists */
    s_payback_t pb;   /* payback.csv */
    bool have_pb;     /* payback.csv exists */
    int pay;          /* index of the payback tick in pb, or -1 */
    double margin;    /* --margin of the comparison */
    s_marks_t *mk;    /* the scenario's own events */
    double *tq;       /* t(0.975, n - 1) for n = 0 .. pairs */
    double *work;     /* 10 x ticks */
    char xl[64];      /* x axis label */
    char ev[200];     /* caption sentence about the markers */
} s_cpage_t;

static void s_cpage_free(s_cpage_t *p)
{
    if (p->cp.db) {
        sqlite3_close(p->cp.db);
    }
    for (int a = 0; a < A_N; a++) {
        s_acc_fini(&p->cp.acc[a]);
    }
    free(p->cp.x);
    free(p->cp.sc[0]);
    free(p->cp.sc[1]);
    if (p->csv) {
        s_cmp_csv_free(p->csv);
    }
    free(p->csv);
    s_vec_free(&p->pb.tick);
    s_vec_free(&p->pb.net);
    free(p->mk);
    free(p->tq);
    free(p->work);
}

static int s_cpage_load(const char *dir, s_cpage_t *p, char *err, size_t errlen)
{
    p->csv = calloc(1, sizeof *p->csv);
    p->mk = malloc(sizeof *p->mk);
    if (!p->csv || !p->mk) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (s_cmp_open(&p->cp, dir, err, errlen) != 0) {
        return -1;
    }
    static const char *const ccols[S_CMP_COLS] = {"kpi",           "n",          "baseline_mean",
                                                  "scenario_mean", "delta_mean", "delta_ci_low",
                                                  "delta_ci_high"};
    static const char *const pcols[2] = {"tick", "net_mean"};
    p->have_csv = s_is_file(dir, "compare.csv");
    p->have_pb = s_is_file(dir, "payback.csv");
    if ((p->have_csv &&
         s_csv(dir, "compare.csv", ccols, S_CMP_COLS, s_cmp_csv_row, p->csv, err, errlen) != 0) ||
        (p->have_pb &&
         s_csv(dir, "payback.csv", pcols, 2, s_payback_row, &p->pb, err, errlen) != 0)) {
        return -1;
    }
    int nt = p->cp.nt;
    p->work = malloc((size_t)nt * 10 * sizeof *p->work);
    p->tq = malloc((size_t)(p->cp.npairs + 1) * sizeof *p->tq);
    if (!p->work || !p->tq) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int n = 0; n <= p->cp.npairs; n++) {
        p->tq[n] = n >= 2 ? cx_exp_t_quantile(0.975, n - 1) : NAN;
    }
    p->margin = s_margin(p->cp.db);
    p->pay = p->have_pb ? s_payback_index(p->pb.net.v, p->pb.net.n) : -1;
    /* Markers: the scenario's events that the baseline does not have. */
    const cx_scenario_t *sb = p->cp.sc[0], *ss = p->cp.sc[1];
    bool keep[CX_MAX_EVENTS];
    for (int i = 0; i < ss->n_event; i++) {
        keep[i] = true;
        for (int j = 0; j < sb->n_event && keep[i]; j++) {
            keep[i] = !s_same_event(&ss->event[i], &sb->event[j]);
        }
    }
    s_marks(ss, keep, p->mk);
    snprintf(p->ev, sizeof p->ev,
             " Dashed vertical lines: timeline events of the scenario that the baseline does "
             "not have%s.",
             p->mk->n ? "" : " (none)");
    snprintf(p->xl, sizeof p->xl, "tick (%s)", s_unit_name(ss->tick_unit));
    return 0;
}

/* Title, description, facts and the final-KPI table. */
static void s_cpage_head(cx_exp_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    const cx_scenario_t *sb = cp->sc[0], *ss = cp->sc[1];
    char title[200], ptitle[260];
    if (strcmp(ss->name, sb->name) == 0) {
        snprintf(title, sizeof title, "%s: scenario vs baseline", ss->name);
    } else {
        snprintf(title, sizeof title, "%s vs %s", ss->name, sb->name);
    }
    snprintf(ptitle, sizeof ptitle, "%s " S_NDASH " cxsim comparison report", title);
    s_page_head(b, ptitle);
    cx_exp_buf_printf(b, "<h1>");
    s_esc(b, title);
    cx_exp_buf_printf(b, "</h1>\n<p class=\"lead\">");
    s_esc(b, ss->description);
    cx_exp_buf_printf(b, "</p>\n<table class=\"facts\">\n");
    char v[1400], ov[1000], meta[128];
    for (int k = 0; k < 2; k++) {
        s_overrides(cp->db, cp->point[k], ov, sizeof ov);
        snprintf(v, sizeof v, "%s (%s); overrides: %s", cp->sc[k]->name, cp->file[k], ov);
        s_fact(b, k ? "Scenario" : "Baseline", v);
    }
    snprintf(v, sizeof v,
             "%d, common random numbers (replicate r has the same seed on both sides)%s",
             cp->npairs, cp->nskipped ? "; pairs of unequal length left out" : "");
    s_fact(b, "Paired replicates", v);
    snprintf(v, sizeof v, "%d (t=%.0f" S_NDASH "%.0f), one tick = one %s", cp->nt, cp->x[0],
             cp->x[cp->nt - 1], s_unit_name(ss->tick_unit));
    s_fact(b, "Ticks", v);
    if (s_meta(cp->db, "base_seed", meta, sizeof meta) == 1) {
        s_fact(b, "Base seed", meta);
    }
    if (!p->have_pb) {
        snprintf(v, sizeof v, "unknown (no payback.csv)");
    } else if (p->pay >= 0) {
        snprintf(v, sizeof v,
                 "tick %.0f: from then on the cumulative extra revenue%s covers the "
                 "cumulative extra cost and investment",
                 p->pb.tick.v[p->pay], p->margin == 1 ? "" : " x margin");
    } else {
        snprintf(v, sizeof v, "no payback within the horizon");
    }
    s_fact(b, "Payback", v);
    cx_exp_buf_printf(b, "</table>\n");

    cx_exp_buf_printf(b, "<h2>Final KPIs: scenario " S_MINUS " baseline</h2>\n");
    if (p->have_csv) {
        s_cmp_table(b, p->csv);
    } else {
        cx_exp_buf_printf(b, "<p class=\"note\">No compare.csv in this directory: run the "
                             "comparison to its end to get the table.</p>\n");
    }
}

/* Both sides over time, and the paired differences, with their bands. */
static void s_cpage_bands(cx_exp_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    int nt = cp->nt;
    double *mb = p->work, *lb = mb + nt, *hb = mb + 2 * nt;
    double *ms = mb + 3 * nt, *ls = mb + 4 * nt, *hs = mb + 5 * nt;
    char cap[900], bl[300], sl[300];
    bool same = strcmp(cp->sc[0]->name, cp->sc[1]->name) == 0;
    snprintf(bl, sizeof bl, "baseline%s%s%s, mean and 95%% CI", same ? "" : " (",
             same ? "" : cp->sc[0]->name, same ? "" : ")");
    snprintf(sl, sizeof sl, "scenario%s%s%s, mean and 95%% CI", same ? "" : " (",
             same ? "" : cp->sc[1]->name, same ? "" : ")");
    cx_exp_buf_printf(b, "<h2>Baseline and scenario over time</h2>\n");
    static const struct {
        int acc;
        const char *id, *title, *unit, *what;
        bool zero;
    } sides[] = {
        {A_NPS, "cmp-nps", "NPS", "points", "NPS of each tick's survey, in points", false},
        {A_CHURN, "cmp-churn", "Churn rate", "% per tick",
         "Customers lost during each tick as % of those at its start", true},
        {A_REVENUE, "cmp-revenue", "Revenue per tick", "currency",
         "Revenue of each tick's purchases, in currency", true},
        {A_CUSTOMERS, "cmp-customers", "Customers", "customers",
         "Active customers at the start of each tick", false},
    };
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        s_acc_band(&cp->acc[sides[i].acc], nt, p->tq, mb, lb, hb);
        s_acc_band(&cp->acc[sides[i].acc + A_KPIS], nt, p->tq, ms, ls, hs);
        cx_svg_series_t s[2] = {{.key = "baseline",
                                 .label = bl,
                                 .x = cp->x,
                                 .y = mb,
                                 .lo = lb,
                                 .hi = hb,
                                 .n = nt,
                                 .color = S_C_BASE,
                                 .width = 1.6},
                                {.key = "scenario",
                                 .label = sl,
                                 .x = cp->x,
                                 .y = ms,
                                 .lo = ls,
                                 .hi = hs,
                                 .n = nt,
                                 .color = S_C_SCEN,
                                 .width = 1.6}};
        cx_svg_chart_t ch = {.id = sides[i].id,
                             .title = sides[i].title,
                             .x_label = p->xl,
                             .y_label = sides[i].unit,
                             .y_include_zero = sides[i].zero};
        snprintf(cap, sizeof cap,
                 "%s: mean over the %d replicates of each side per tick, with the 95%% "
                 "confidence band of the mean (Student t, n " S_MINUS " 1 degrees of "
                 "freedom).%s",
                 sides[i].what, cp->npairs, p->ev);
        s_figure(b, &ch, s, 2, p->mk->m, p->mk->n, cap);
    }

    cx_exp_buf_printf(b, "<h2>Paired differences (scenario " S_MINUS " baseline)</h2>\n");
    static const struct {
        int acc;
        const char *id, *title, *unit, *what;
    } deltas[] = {
        {A_D_NPS, "delta-nps", "NPS difference", "points",
         "NPS of the scenario minus NPS of the baseline, replicate by replicate, in points"},
        {A_D_CUMREV, "delta-cumulative-revenue", "Cumulative revenue difference", "currency",
         "Revenue of the scenario minus revenue of the baseline, replicate by replicate, summed "
         "from the first tick, in currency"},
    };
    for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
        s_acc_band(&cp->acc[deltas[i].acc], nt, p->tq, ms, ls, hs);
        cx_svg_series_t s = {.key = "delta",
                             .label = "mean difference and 95% CI",
                             .x = cp->x,
                             .y = ms,
                             .lo = ls,
                             .hi = hs,
                             .n = nt,
                             .color = S_C_SCEN,
                             .width = 1.8};
        cx_svg_chart_t ch = {.id = deltas[i].id,
                             .title = deltas[i].title,
                             .x_label = p->xl,
                             .y_label = deltas[i].unit,
                             .zero_line = true};
        snprintf(cap, sizeof cap,
                 "%s: mean of the %d paired differences per tick, with its 95%% confidence "
                 "band (Student t); a band clear of 0 is a difference beyond noise.%s",
                 deltas[i].what, cp->npairs, p->ev);
        s_figure(b, &ch, &s, 1, p->mk->m, p->mk->n, cap);
    }
}

/* Cumulative extra revenue against extra cost, net, the payback tick. */
static void s_cpage_payback(cx_exp_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    int nt = cp->nt, pay = p->pay;
    double *cr = p->work + 6 * nt, *cc = p->work + 7 * nt, *nx = p->work + 8 * nt,
           *ny = p->work + 9 * nt;
    for (int t = 0; t < nt; t++) {
        cr[t] = cp->acc[A_CUM_DR].n[t] ? p->margin * cp->acc[A_CUM_DR].mean[t] : NAN;
        cc[t] = cp->acc[A_CUM_DC].n[t] ? cp->acc[A_CUM_DC].mean[t] : NAN;
    }
    int npb = 0;
    for (int i = 0; i < p->pb.tick.n && npb < nt; i++, npb++) {
        nx[npb] = p->pb.tick.v[i];
        ny[npb] = p->pb.net.v[i];
    }
    cx_exp_buf_printf(b, "<h2>Payback</h2>\n");
    cx_svg_series_t s[3] = {{.key = "extra_revenue",
                             .label = p->margin == 1 ? "extra revenue, cumulative"
                                                     : "margin x extra revenue, cumulative",
                             .x = cp->x,
                             .y = cr,
                             .n = nt,
                             .color = S_C_GOOD,
                             .width = 1.8},
                            {.key = "extra_cost",
                             .label = "extra cost + investment, cumulative",
                             .x = cp->x,
                             .y = cc,
                             .n = nt,
                             .color = S_C_BAD,
                             .width = 1.8},
                            {.key = "net",
                             .label = "net (payback.csv)",
                             .x = nx,
                             .y = ny,
                             .n = npb,
                             .color = "#222222",
                             .width = 2.2,
                             .dash = "6 3"}};
    cx_svg_marker_t pm[1];
    char plabel[64], pt[200], cap[900];
    if (pay >= 0) {
        snprintf(plabel, sizeof plabel, "payback t=%.0f", p->pb.tick.v[pay]);
        pm[0] = (cx_svg_marker_t){.x = p->pb.tick.v[pay], .label = plabel, .color = S_C_GOOD};
        snprintf(pt, sizeof pt, "it pays back at tick %.0f (marked), and stays paid back",
                 p->pb.tick.v[pay]);
    } else if (p->have_pb) {
        snprintf(pt, sizeof pt, "no payback within the horizon (ticks %.0f" S_NDASH "%.0f)",
                 cp->x[0], cp->x[nt - 1]);
    } else {
        snprintf(pt, sizeof pt, "no payback.csv in this directory, so no net curve");
    }
    cx_svg_chart_t ch = {.id = "payback",
                         .title = "Payback of the scenario's extra spending",
                         .x_label = p->xl,
                         .y_label = "currency",
                         .zero_line = true};
    snprintf(cap, sizeof cap,
             "Means over the %d paired replicates, summed from the first tick, in currency: the "
             "scenario's extra revenue%s against its extra operating cost plus one-off "
             "investment; net = the difference, from payback.csv. Payback is the first tick "
             "from which net stays at or above 0: %s.",
             cp->npairs, p->margin == 1 ? "" : " (times the margin)", pt);
    s_figure(b, &ch, s, npb ? 3 : 2, pm, pay >= 0 ? 1 : 0, cap);
}

static int s_compare_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen)
{
    s_cpage_t p;
    memset(&p, 0, sizeof p);
    int rc = CX_REPORT_UNREADABLE;
    if (s_cpage_load(dir, &p, err, errlen) == 0) {
        s_cpage_head(b, &p);
        s_cpage_bands(b, &p);
        s_cpage_payback(b, &p);
        s_page_foot(b, "compare.db, compare.csv and payback.csv");
        rc = 0;
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    s_cpage_free(&p);
    return rc;
}

/* ------------------------------------------------------------------- public */

int cx_report_kind(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "%.3000s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%.3000s: not a directory", dir);
        return -1;
    }
    if (s_is_file(dir, "compare.db")) {
        return CX_REPORT_COMPARE;
    }
    if (s_is_file(dir, "kpis.csv")) {
        return CX_REPORT_RUN;
    }
    if (s_is_file(dir, "sweep.db")) {
        return CX_REPORT_SWEEP;
    }
    if (s_is_file(dir, "sensitivity.db")) {
        return CX_REPORT_SENSITIVITY;
    }
    if (s_is_file(dir, "optimise.db")) {
        return CX_REPORT_OPTIMISE;
    }
    if (s_is_file(dir, "calibration.db")) {
        return CX_REPORT_CALIBRATION;
    }
    if (s_is_file(dir, "check.db")) {
        return CX_REPORT_CHECK;
    }
    snprintf(err, errlen,
             "%.3000s is neither a run directory (kpis.csv), a compare directory "
             "(compare.db), a sweep directory (sweep.db), a sensitivity directory "
             "(sensitivity.db), an optimise directory (optimise.db), a calibration "
             "directory (calibration.db) nor a check directory (check.db)",
             dir);
    return -1;
}

int cx_report_build(const char *dir, cx_exp_buf_t *html, char *err, size_t errlen)
{
    int kind = cx_report_kind(dir, err, errlen);
    if (kind < 0) {
        return CX_REPORT_NOT_A_RESULT;
    }
    switch (kind) {
    case CX_REPORT_COMPARE:
        return s_compare_page(dir, html, err, errlen);
    case CX_REPORT_SWEEP:
        return cx_report_sweep_page(dir, html, err, errlen);
    case CX_REPORT_SENSITIVITY:
        return cx_report_sens_page(dir, html, err, errlen);
    case CX_REPORT_OPTIMISE:
        return cx_report_opt_page(dir, html, err, errlen);
    case CX_REPORT_CALIBRATION:
        return cx_report_calib_page(dir, html, err, errlen);
    case CX_REPORT_CHECK:
        return cx_report_check_page(dir, html, err, errlen);
    default:
        return s_run_page(dir, html, err, errlen);
    }
}
