/*  cx_report_run — the report page of a run directory: kpis.csv,
 *  departments.csv, summary.json and scenario.resolved.yaml -> the
 *  scenario, the run's facts, the headline KPIs and the charts over ticks
 *  with the timeline events as markers (cx_report.h describes the page).
 *
 *  Every reader returns 0, or CX_REPORT_UNREADABLE with a message in err;
 *  memory shortage is reported the same way. Text from files (names,
 *  descriptions, ids) is escaped by cx_svg_escape wherever it is written.
 */
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
#include "cx_kpi_cols.h"
#include "cx_load.h"
#include "cx_report.h"
#include "cx_report_common.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"
#include "cx_version.h"

/* UTF-8 punctuation, each its own literal so that no hex escape runs on. */
#define S_MINUS "\xe2\x88\x92"
#define S_NDASH "\xe2\x80\x93"
#define S_TIMES "\xc3\x97"

#define S_SMOOTH 30          /* ticks of the trailing mean drawn over noisy KPIs */
#define S_PATH_MAX 4096      /* longest path built here */
#define S_JSON_MAX (1 << 20) /* largest summary.json read */

#define S_C_SCEN "#0072b2"  /* scenario, single series */
#define S_C_LIGHT "#9dbfdc" /* raw series under its trailing mean */
#define S_C_GOOD "#009e73"  /* revenue, return */
#define S_C_BAD "#d55e00"   /* cost */

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
    "tick",    "customers",           "nps",  "csat",       "ces",           "churn_rate",
    "revenue", "employee_engagement", "cost", "investment", "customers_end", "operating_profit"};

typedef struct {
    cx_report_vec_t c[K_N]; /* columns, one value per tick */
} s_kpis_t;

static int s_kpi_row(void *ud, char **f)
{
    s_kpis_t *k = ud;
    bool oom = false;
    for (int i = 0; i < K_N; i++) {
        cx_report_vec_push(&k->c[i], cx_report_num(f[i]));
        oom |= k->c[i].oom;
    }
    return oom ? -1 : 0;
}

typedef struct {
    char id[CX_ID_MAX];       /* department id */
    cx_report_vec_t tick;     /* ticks */
    cx_report_vec_t maturity; /* effective maturity */
    cx_report_vec_t wait;     /* avg_wait, days */
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
    cx_report_vec_push(&d->tick, cx_report_num(f[0]));
    cx_report_vec_push(&d->maturity, cx_report_num(f[2]));
    cx_report_vec_push(&d->wait, cx_report_num(f[3]));
    return d->tick.oom || d->maturity.oom || d->wait.oom ? -1 : 0;
}

/* Headline row: first and last value and the change. */
static void s_headline(cx_buf_t *b, const char *key, const char *name, const char *unit,
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
    cx_buf_printf(b, "<tr id=\"row-%s\"><td>", key);
    cx_svg_escape(b, name);
    cx_buf_printf(b, "</td><td>");
    cx_svg_escape(b, unit);
    snprintf(raw, sizeof raw, "%.10g", first);
    cx_buf_printf(b, "</td><td class=\"num first\" data-value=\"%s\">%s</td>", raw, f);
    snprintf(raw, sizeof raw, "%.10g", last);
    cx_buf_printf(b, "<td class=\"num last\" data-value=\"%s\">%s</td>", raw, l);
    cx_buf_printf(b, "<td class=\"num change\">%s</td></tr>\n", c);
}

/* The summary's status line: "completed", "failed: agent lost", or what
 * its absence means. */
static void s_run_status(const char *dir, char *out, size_t cap, char *mode, size_t mcap)
{
    char path[S_PATH_MAX];
    mode[0] = '\0';
    char *json = NULL;
    if (cx_report_join(path, sizeof path, dir, "summary.json") == 0) {
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
    cx_scenario_t *sc;     /* scenario.resolved.yaml */
    cx_report_marks_t *mk; /* its timeline events */
    s_depts_t *ds;         /* departments.csv */
    s_kpis_t k;            /* kpis.csv */
    int n;                 /* ticks (rows of kpis.csv) */
    double *work;          /* 4 x n: cumulative revenue, cumulative cost + investment, smoothing */
    char xl[64];           /* x axis label */
    char ev[160];          /* caption sentence about the markers */
} s_run_t;

static void s_run_free(s_run_t *r)
{
    for (int i = 0; i < K_N; i++) {
        cx_report_vec_free(&r->k.c[i]);
    }
    if (r->ds) {
        for (int i = 0; i < CX_MAX_DEPTS; i++) {
            cx_report_vec_free(&r->ds->d[i].tick);
            cx_report_vec_free(&r->ds->d[i].maturity);
            cx_report_vec_free(&r->ds->d[i].wait);
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
    if (cx_report_join(path, sizeof path, dir, "scenario.resolved.yaml") != 0) {
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
    int rc = cx_report_csv(dir, "kpis.csv", s_kpi_cols, K_N, s_kpi_row, &r->k, err, errlen);
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
    if ((rc = cx_report_csv(dir, "departments.csv", dcols, 4, s_dept_row, r->ds, err, errlen)) !=
        0) {
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
    cx_report_marks(r->sc, NULL, r->mk);
    snprintf(r->xl, sizeof r->xl, "tick (%s)", cx_tick_unit_name(r->sc->tick_unit));
    snprintf(r->ev, sizeof r->ev,
             " Dashed vertical lines: the scenario's timeline events (t=TICK what)%s.",
             r->mk->n ? "" : "; this run has none");
    return 0;
}

/* Title, description, facts and the headline table. */
static void s_run_head(cx_buf_t *b, const char *dir, const s_run_t *r)
{
    const cx_scenario_t *sc = r->sc;
    int n = r->n, t0 = (int)r->k.c[K_TICK].v[0], t1 = (int)r->k.c[K_TICK].v[n - 1];
    char title[160];
    snprintf(title, sizeof title, "%s " S_NDASH " cxsim run report", sc->name);
    cx_report_page_head(b, title);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, sc->name);
    cx_buf_printf(b, "</h1>\n<p class=\"lead\">");
    cx_svg_escape(b, sc->description);
    cx_buf_printf(b, "</p>\n<table class=\"facts\">\n");
    char v[640], status[600], mode[32];
    s_run_status(dir, status, sizeof status, mode, sizeof mode);
    snprintf(v, sizeof v, "%llu", (unsigned long long)sc->seed);
    cx_report_fact(b, "Seed", v);
    snprintf(v, sizeof v, "%d of %d (t=%d" S_NDASH "%d), one tick = one %s", n, sc->ticks, t0, t1,
             cx_tick_unit_name(sc->tick_unit));
    cx_report_fact(b, "Ticks", v);
    char c0[48], c1[48];
    cx_svg_fmt_grouped(c0, sizeof c0, r->k.c[K_CUSTOMERS].v[0], 0);
    cx_svg_fmt_grouped(c1, sizeof c1, r->k.c[K_CUSTOMERS_END].v[n - 1], 0);
    snprintf(v, sizeof v, "%s at the start, %s at the end", c0, c1);
    cx_report_fact(b, "Customers", v);
    snprintf(v, sizeof v, "%d departments, %d personas, %d timeline events", sc->n_dept,
             sc->n_persona, sc->n_event);
    cx_report_fact(b, "Company", v);
    cx_report_fact(b, "Status", status);
    if (mode[0]) {
        cx_report_fact(b, "Engine", mode);
    }
    cx_buf_printf(b, "</table>\n");

    cx_buf_printf(b,
                  "<h2>Headline KPIs</h2>\n<table class=\"kpis\" id=\"headline\">\n"
                  "<tr><th>KPI</th><th>unit</th><th class=\"num\">t=%d</th>"
                  "<th class=\"num\">t=%d</th><th class=\"num\">change</th></tr>\n",
                  t0, t1);
    /* Label and unit from the KPI table (models/cx_kpi_cols.c); total
     * revenue is no column of it: the cumulative sum of revenue. */
    static const struct {
        int col;
        int dec;
        bool grouped;
    } rows[] = {
        {K_NPS, 1, false},      {K_CSAT, 1, false},   {K_CES, 2, false}, {K_CHURN, 3, false},
        {K_CUSTOMERS, 0, true}, {K_REVENUE, 0, true}, {-1, 0, true},     {K_ENGAGEMENT, 1, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int c = rows[i].col;
        const cx_kpi_col_t *kc = c >= 0 ? &cx_kpi_cols[cx_kpi_col_find(s_kpi_cols[c])] : NULL;
        const double *v = c >= 0 ? r->k.c[c].v : r->work; /* cumulative */
        s_headline(b, kc ? kc->name : "total_revenue", kc ? kc->label : "Total revenue",
                   kc ? kc->unit : "currency, cumulative", v[0], v[n - 1], rows[i].dec,
                   rows[i].grouped);
    }
    cx_buf_printf(b, "</table>\n");
}

/* A noisy KPI: each tick (light) and its trailing mean (dark); title and
 * unit from the KPI table. */
static void s_run_noisy(cx_buf_t *b, const s_run_t *r, int col, const char *id, bool zero,
                        const char *what)
{
    const char *key = s_kpi_cols[col];
    const char *title = cx_report_kpi_label(key);
    char unit[64];
    cx_report_kpi_axis(key, unit, sizeof unit);
    double *smooth = r->work + 2 * r->n;
    char sm[96], mkey[64], cap[900];
    snprintf(sm, sizeof sm, "trailing mean of the last %d ticks", S_SMOOTH);
    snprintf(mkey, sizeof mkey, "%s_mean", key);
    cx_report_trailing_mean(r->k.c[col].v, r->n, S_SMOOTH, smooth);
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
    cx_report_figure(b, &ch, s, 2, r->mk->m, r->mk->n, cap);
}

/* A KPI drawn as it is. */
static void s_run_plain(cx_buf_t *b, const s_run_t *r, const cx_svg_series_t *s, int ns,
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
    cx_report_figure(b, &ch, s, ns, r->mk->m, r->mk->n, cap);
}

/* A KPI column drawn as it is, title and unit from the KPI table. */
static void s_run_kpi(cx_buf_t *b, const s_run_t *r, const cx_svg_series_t *s, const char *id,
                      bool zero, const char *what)
{
    char unit[64];
    s_run_plain(b, r, s, 1, id, cx_report_kpi_label(s->key),
                cx_report_kpi_axis(s->key, unit, sizeof unit), zero, what);
}

static void s_run_charts(cx_buf_t *b, const s_run_t *r)
{
    const double *x = r->k.c[K_TICK].v;
    int n = r->n;
    cx_buf_printf(b, "<h2>Customers' view</h2>\n");
    s_run_noisy(b, r, K_NPS, "chart-nps", true,
                "Net Promoter Score of each tick's survey, 100 " S_TIMES " (promoters " S_MINUS
                " detractors) / respondents, in points (" S_MINUS "100 to 100)");
    s_run_noisy(b, r, K_CSAT, "chart-csat", false,
                "Customer satisfaction: share of each tick's respondents answering 4 or 5 (of "
                "5), in %");
    s_run_noisy(b, r, K_CHURN, "chart-churn", true,
                "Customers lost during each tick (churn, competitors, policy) as % of the "
                "customers at its start; the raw value is noisy");
    cx_svg_series_t s = {.key = "customers",
                         .x = x,
                         .y = r->k.c[K_CUSTOMERS].v,
                         .n = n,
                         .color = S_C_SCEN,
                         .width = 2};
    s_run_kpi(b, r, &s, "chart-customers", false, "Active customers at the start of each tick");

    cx_buf_printf(b, "<h2>Money</h2>\n");
    s = (cx_svg_series_t){.key = "revenue",
                          .x = x,
                          .y = r->k.c[K_REVENUE].v,
                          .n = n,
                          .color = S_C_GOOD,
                          .width = 1.6};
    s_run_kpi(b, r, &s, "chart-revenue", true,
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
    s_run_kpi(b, r, &s, "chart-profit", false,
              "Gross profit (revenue x the company's gross margin) less the departments' cost, "
              "sales and marketing spend and investment, in the scenario's currency");

    cx_buf_printf(b, "<h2>Organisation</h2>\n");
    s = (cx_svg_series_t){.key = "employee_engagement",
                          .x = x,
                          .y = r->k.c[K_ENGAGEMENT].v,
                          .n = n,
                          .color = S_C_SCEN,
                          .width = 2};
    s_run_kpi(b, r, &s, "chart-engagement", false,
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

int cx_report_run_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_run_t r;
    memset(&r, 0, sizeof r);
    int rc = s_run_load(dir, &r, err, errlen);
    if (rc == 0) {
        s_run_head(b, dir, &r);
        s_run_charts(b, &r);
        cx_report_page_foot(b,
                            "kpis.csv, departments.csv, summary.json and scenario.resolved.yaml");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    s_run_free(&r);
    return rc;
}
