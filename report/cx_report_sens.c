/*  cx_report_sens — the HTML report of a sensitivity directory (see
 *  cx_report.h): sensitivity.db, opened read-only, to one XHTML page.
 *
 *      header   scenario, delta, replicates, KPIs, parameters, runs
 *      tornado  per KPI, the mean change of the KPI across each
 *               parameter's step (in the KPI's units) as a horizontal bar
 *               with its 95% CI as a whisker, parameters in the KPI's rank
 *               order; a database recorded before changes were (no
 *               change_mean column) shows its elasticities as it did
 *      table    the sensitivity table's rows in sensitivity.csv's order;
 *               each cell's data-value is the CSV's text
 *
 *  Errors: CX_REPORT_UNREADABLE with a message in err.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_report.h"
#include "cx_report_exp.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"

#define S_NDASH "\xe2\x80\x93"
#define S_DELTA "\xce\xb4"
#define S_TIMES "\xc3\x97"
#define S_NAME_MAX 96

typedef struct {
    char param[S_NAME_MAX], kpi[S_NAME_MAX], step[16];
    int rank, kpi_rank, n, n_el, sig;
    double base, low, high, kbase;
    double d, dlo, dhi, e, elo, ehi;
    double c, clo, chi; /* change across the step (NaN in an older database) */
    int shown;          /* the elasticity is shown (1 in an older database) */
} s_row_t;

typedef struct {
    sqlite3 *db;
    s_row_t *row;
    int nrow;
    char kpi[16][S_NAME_MAX]; /* in the table's order */
    int nkpi;
    int nparam;
    bool old; /* recorded before the change in KPI units: elasticities only */
} s_sens_t;

static double s_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static long long s_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    return n;
}

static int s_load(const char *dir, s_sens_t *w, char *err, size_t errlen)
{
    int rc = cx_report_db_open(dir, "sensitivity.db", &w->db, err, errlen);
    if (rc != 0) {
        return rc;
    }
    long long n = s_count(w->db, "SELECT COUNT(*) FROM sensitivity");
    if (n <= 0) {
        snprintf(err, errlen, "sensitivity.db holds no sensitivity table yet");
        return CX_REPORT_UNREADABLE;
    }
    if (!(w->row = calloc((size_t)n, sizeof *w->row))) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    sqlite3_stmt *st;
    /* Rows were inserted per KPI in rank order: sensitivity.csv's order. */
    w->old = s_count(w->db, "SELECT COUNT(*) FROM pragma_table_info('sensitivity') "
                            "WHERE name = 'change_mean'") == 0;
    if (sqlite3_prepare_v2(w->db,
                           w->old ? "SELECT parameter, kpi, rank, kpi_rank, base_value, low, high, "
                                    "step, n, kpi_base_mean, derivative_mean, derivative_ci_low, "
                                    "derivative_ci_high, n_elasticity, elasticity_mean, "
                                    "elasticity_ci_low, elasticity_ci_high, significant, NULL, "
                                    "NULL, NULL, 1 FROM sensitivity ORDER BY rowid"
                                  : "SELECT parameter, kpi, rank, kpi_rank, base_value, low, high, "
                                    "step, n, kpi_base_mean, derivative_mean, derivative_ci_low, "
                                    "derivative_ci_high, n_elasticity, elasticity_mean, "
                                    "elasticity_ci_low, elasticity_ci_high, significant, "
                                    "change_mean, change_ci_low, change_ci_high, elasticity_shown "
                                    "FROM sensitivity ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "sensitivity.db: sensitivity: %s", sqlite3_errmsg(w->db));
        return CX_REPORT_UNREADABLE;
    }
    while (sqlite3_step(st) == SQLITE_ROW && w->nrow < n) {
        s_row_t *r = &w->row[w->nrow++];
        snprintf(r->param, sizeof r->param, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(r->kpi, sizeof r->kpi, "%s", (const char *)sqlite3_column_text(st, 1));
        r->rank = sqlite3_column_int(st, 2);
        r->kpi_rank = sqlite3_column_int(st, 3);
        r->base = s_col(st, 4);
        r->low = s_col(st, 5);
        r->high = s_col(st, 6);
        const unsigned char *step = sqlite3_column_text(st, 7);
        snprintf(r->step, sizeof r->step, "%s", step ? (const char *)step : "");
        r->n = sqlite3_column_int(st, 8);
        r->kbase = s_col(st, 9);
        r->d = s_col(st, 10);
        r->dlo = s_col(st, 11);
        r->dhi = s_col(st, 12);
        r->n_el = sqlite3_column_int(st, 13);
        r->e = s_col(st, 14);
        r->elo = s_col(st, 15);
        r->ehi = s_col(st, 16);
        r->sig = sqlite3_column_int(st, 17);
        r->c = s_col(st, 18);
        r->clo = s_col(st, 19);
        r->chi = s_col(st, 20);
        r->shown = sqlite3_column_int(st, 21);
        int k = 0;
        while (k < w->nkpi && strcmp(w->kpi[k], r->kpi) != 0) {
            k++;
        }
        if (k == w->nkpi && w->nkpi < 16) {
            snprintf(w->kpi[w->nkpi++], S_NAME_MAX, "%s", r->kpi);
        }
    }
    sqlite3_finalize(st);
    w->nparam = (int)s_count(w->db, "SELECT COUNT(DISTINCT parameter) FROM sensitivity");
    return 0;
}

static void s_head(cx_buf_t *b, const s_sens_t *w)
{
    char name[256], file[256], unit[32], v[2048], delta[64], ticks[64];
    cx_report_db_scenario(w->db, -1, name, sizeof name, file, sizeof file, unit, sizeof unit);
    cx_report_db_meta(w->db, "delta", delta, sizeof delta);
    cx_report_db_meta(w->db, "ticks", ticks, sizeof ticks);
    char title[300], ptitle[360];
    snprintf(title, sizeof title, "%s: sensitivity", name);
    snprintf(ptitle, sizeof ptitle, "%s " S_NDASH " cxsim sensitivity report", title);
    cx_report_page_head(b, ptitle);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</h1>\n<p class=\"lead\">One-at-a-time local sensitivity of the KPIs "
                         "to the model's parameters around the scenario as it is.</p>\n"
                         "<table class=\"facts\" id=\"facts\">\n");
    snprintf(v, sizeof v, "%s (%s)", name, file[0] ? file : "?");
    cx_report_fact(b, "Scenario", v);
    snprintf(v, sizeof v, "%s (p" S_NDASH " = p(1 " S_NDASH " " S_DELTA "), p+ = p(1 + " S_DELTA
                          "), clamped into the parameter's range)",
             delta[0] ? delta : "?");
    cx_buf_printf(b, "<tr id=\"delta\" data-delta=\"");
    cx_svg_escape(b, delta);
    cx_buf_printf(b, "\"><th>" S_DELTA "</th><td>");
    cx_svg_escape(b, v);
    cx_buf_printf(b, "</td></tr>\n");
    int nlo = w->row[0].n, nhi = w->row[0].n;
    for (int i = 0; i < w->nrow; i++) {
        nlo = w->row[i].n < nlo ? w->row[i].n : nlo;
        nhi = w->row[i].n > nhi ? w->row[i].n : nhi;
    }
    if (nlo == nhi) {
        snprintf(v, sizeof v, "%d paired replicates per point (common random numbers)", nlo);
    } else {
        snprintf(v, sizeof v, "%d" S_NDASH "%d paired replicates per point", nlo, nhi);
    }
    cx_buf_printf(b, "<tr id=\"replicates\" data-n=\"%d\"><th>Replicates</th><td>", nhi);
    cx_svg_escape(b, v);
    cx_buf_printf(b, "</td></tr>\n");
    size_t used = 0;
    v[0] = '\0';
    for (int k = 0; k < w->nkpi && used < sizeof v; k++) {
        int m = snprintf(v + used, sizeof v - used, "%s%s", k ? ", " : "", w->kpi[k]);
        used += m > 0 ? (size_t)m : 0;
    }
    cx_report_fact(b, "KPIs", v);
    snprintf(v, sizeof v, "%d", w->nparam);
    cx_report_fact(b, "Parameters", v);
    if (ticks[0]) {
        snprintf(v, sizeof v, "%s, one tick = one %s", ticks, unit);
        cx_report_fact(b, "Ticks", v);
    }
    char wd[64], wt[64];
    cx_report_db_meta(w->db, "window_days", wd, sizeof wd);
    cx_report_db_meta(w->db, "window_ticks", wt, sizeof wt);
    if (wd[0]) {
        snprintf(v, sizeof v, "window_X: the mean of X over each run's last %s days (%s ticks)",
                 wd, wt[0] ? wt : "?");
        cx_report_fact(b, "Window", v);
    }
    snprintf(v, sizeof v, "%lld completed, %lld failed",
             s_count(w->db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'"),
             s_count(w->db, "SELECT COUNT(*) FROM runs WHERE status = 'failed'"));
    cx_report_fact(b, "Runs", v);
    cx_buf_printf(b, "</table>\n");
}

static void s_tornado(cx_buf_t *b, const s_sens_t *w, int k)
{
    cx_svg_bar_t *bars = calloc((size_t)w->nrow, sizeof *bars);
    char(*keys)[S_NAME_MAX] = calloc((size_t)w->nrow, sizeof *keys);
    if (!bars || !keys) {
        b->oom = true;
        free(bars);
        free(keys);
        return;
    }
    int n = 0;
    for (int want = 1; want <= w->nrow; want++) { /* the table's rank */
        for (int i = 0; i < w->nrow; i++) {
            const s_row_t *r = &w->row[i];
            if (strcmp(r->kpi, w->kpi[k]) != 0 || (w->old ? r->rank : r->kpi_rank) != want) {
                continue;
            }
            size_t j = 0;
            for (const char *p = r->param; *p && j + 1 < S_NAME_MAX; p++) {
                keys[n][j++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
            }
            keys[n][j] = '\0';
            bars[n] = (cx_svg_bar_t){.key = keys[n],
                                     .label = r->param,
                                     .value = w->old ? r->e : r->c,
                                     .lo = w->old ? r->elo : r->clo,
                                     .hi = w->old ? r->ehi : r->chi};
            n++;
        }
    }
    char id[S_NAME_MAX + 16], title[S_NAME_MAX + 32], cap[900];
    snprintf(id, sizeof id, "tornado-%s", w->kpi[k]);
    snprintf(title, sizeof title, "%s of %s", w->old ? "Elasticity" : "Change", w->kpi[k]);
    if (!w->old) {
        snprintf(cap, sizeof cap,
                 "Change of %s across each parameter's step, K(p+) " S_NDASH " K(p" S_NDASH
                 ") in %s's own units (a step clamped at one side scaled to the full width "
                 "2" S_DELTA "|p|), the mean over the paired replicates as a bar (blue: raising "
                 "the parameter raises it, vermilion: lowers it) and its Student t 95%% "
                 "confidence interval as a whisker; parameters ranked by |change|. Elasticities "
                 "are in the table, where the base value of %s is far from zero.",
                 w->kpi[k], w->kpi[k], w->kpi[k]);
    } else {
        snprintf(cap, sizeof cap,
                 "Elasticity of %s: %% change of %s per %% change of each parameter (central "
                 "difference), the mean over the paired replicates as a bar (blue: raises it, "
                 "vermilion: lowers it) and its Student t 95%% confidence interval as a whisker; "
                 "parameters in the order of the table's rank. A parameter at p = 0 has no "
                 "elasticity (no bar): read its derivative in the table.",
                 w->kpi[k], w->kpi[k]);
    }
    cx_svg_chart_t ch = {.id = id,
                         .title = title,
                         .x_label = w->old ? "elasticity (d K / K per d p / p)"
                                           : "change of the KPI across the step (its units)"};
    cx_buf_printf(b, "<figure id=\"fig-");
    cx_svg_escape(b, id);
    cx_buf_printf(b, "\" class=\"tornado\" data-kpi=\"");
    cx_svg_escape(b, w->kpi[k]);
    cx_buf_printf(b, "\">\n");
    cx_svg_hbars(b, &ch, bars, n);
    cx_buf_printf(b, "<figcaption>");
    cx_svg_escape(b, cap);
    cx_buf_printf(b, "</figcaption>\n</figure>\n");
    free(bars);
    free(keys);
}

static void s_ci_cells(cx_buf_t *b, const char *what, double m, double lo, double hi)
{
    int dec = cx_report_decimals(isfinite(hi) && isfinite(lo) ? fmax(fabs(hi - lo) / 10, 1e-12)
                                                              : m);
    if (isfinite(m) && m != 0 && !(isfinite(hi) && isfinite(lo) && hi != lo)) {
        dec = cx_report_decimals(m);
    }
    char c[64];
    snprintf(c, sizeof c, "%s mean", what);
    cx_report_num_cell(b, c, m, 10, dec, true);
    snprintf(c, sizeof c, "%s ci_low", what);
    cx_report_num_cell(b, c, lo, 10, dec, true);
    snprintf(c, sizeof c, "%s ci_high", what);
    cx_report_num_cell(b, c, hi, 10, dec, true);
}

static void s_table(cx_buf_t *b, const s_sens_t *w)
{
    cx_buf_printf(
        b, "<h2>The table</h2>\n<div style=\"overflow-x:auto\">\n"
           "<table class=\"kpis\" id=\"sensitivity\">\n"
           "<tr><th>parameter</th><th>KPI</th><th class=\"num\">rank</th>"
           "<th class=\"num\">base value</th><th class=\"num\">low</th><th class=\"num\">high</th>"
           "<th class=\"num\">n</th><th class=\"num\">change</th><th class=\"num\">95%% CI "
           "low</th><th class=\"num\">high</th>"
           "<th class=\"num\">derivative</th><th class=\"num\">95%% CI "
           "low</th><th class=\"num\">high</th><th class=\"num\">elasticity</th>"
           "<th class=\"num\">95%% CI low</th><th class=\"num\">high</th><th>sig.</th></tr>\n");
    for (int i = 0; i < w->nrow; i++) {
        const s_row_t *r = &w->row[i];
        cx_buf_printf(b, "<tr class=\"row%s\" data-parameter=\"", r->sig ? " sig" : "");
        cx_svg_escape(b, r->param);
        cx_buf_printf(b, "\" data-kpi=\"");
        cx_svg_escape(b, r->kpi);
        cx_buf_printf(b, "\" data-rank=\"%d\" data-kpi-rank=\"%d\"><td class=\"param\">",
                          r->rank, r->kpi_rank);
        cx_svg_escape(b, r->param);
        cx_buf_printf(b, "</td><td class=\"kpi\">");
        cx_svg_escape(b, r->kpi);
        cx_buf_printf(b, "</td><td class=\"num rank\">%d</td>", r->rank);
        const double pv[3] = {r->base, r->low, r->high};
        const char *pc[3] = {"base_value", "low", "high"};
        for (int j = 0; j < 3; j++) { /* the values the runs got: 12 significant digits */
            char g[40];
            cx_report_g(g, sizeof g, pv[j], 12);
            cx_buf_printf(b, "<td class=\"num %s\" data-value=\"%s\">%s</td>", pc[j], g, g);
        }
        cx_buf_printf(b, "<td class=\"num n\">%d</td>", r->n);
        s_ci_cells(b, "change", r->c, r->clo, r->chi);
        s_ci_cells(b, "derivative", r->d, r->dlo, r->dhi);
        if (isnan(r->e) || !r->shown) {
            cx_buf_printf(b,
                          "<td class=\"num elasticity mean\" data-value=\"\" colspan=\"3\">"
                          "%s</td>",
                          r->base == 0 ? "n/a (p = 0)" : "n/a (base near 0)");
        } else {
            s_ci_cells(b, "elasticity", r->e, r->elo, r->ehi);
        }
        cx_buf_printf(b, "<td>%s</td></tr>\n", r->sig ? "*" : "");
    }
    cx_buf_printf(b, "</table>\n</div>\n<p class=\"note\">One row per parameter and KPI, in "
                         "the order of sensitivity.csv (each cell's data-value is its text). "
                         "Change: the derivative " S_TIMES " the step's nominal width "
                         "(K(p+) " S_NDASH " K(p" S_NDASH ") when neither side is clamped), in "
                         "the KPI's units. Derivative: (K(p+) " S_NDASH " K(p" S_NDASH
                         ")) / (p+ " S_NDASH " p" S_NDASH ") per replicate; elasticity: the "
                         "derivative " S_TIMES " p / K(p), shown only where |K(p)| is at least "
                         "0.1 " S_TIMES " the KPI's scale (NPS: its span of 200 points; "
                         "others: the largest |K| of the analysis's runs): near zero an "
                         "elasticity flips sign and grows without bound. Mean over the paired "
                         "replicates with its Student t 95%% confidence interval. * the "
                         "interval of the change excludes 0 (bold). A KPI named window_X is "
                         "the mean of X over each run's last days (the Window above).</p>\n");
}

int cx_report_sens_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_sens_t w;
    memset(&w, 0, sizeof w);
    int rc = s_load(dir, &w, err, errlen);
    if (rc == 0) {
        s_head(b, &w);
        cx_buf_printf(b, "<h2>%s per KPI</h2>\n",
                      w.old ? "Tornado" : "Change in the KPI's units");
        for (int k = 0; k < w.nkpi; k++) {
            s_tornado(b, &w, k);
        }
        s_table(b, &w);
        cx_report_page_foot(b, "sensitivity.db");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    if (w.db) {
        sqlite3_close(w.db);
    }
    free(w.row);
    return rc;
}
