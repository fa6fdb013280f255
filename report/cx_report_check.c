/*  cx_report_check — the HTML report of a check directory (see
 *  cx_report.h): check.db, opened read-only, to one XHTML page.
 *
 *      header   how many checks hold, replicates, runs
 *      table    one row per check, in check.csv's order: holds or not,
 *               name, KPI and aggregate, window, what must hold, the
 *               delta (ratio, value) with its 95% CI, source
 *      charts   per check, the KPI per tick on both sides (the mean over
 *               the replicates with its Student t 95% band), the window
 *               (and reference window) marked
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

typedef struct {
    char name[128], file[256], source[512], kpi[64], how[16], expect[16], statement[128];
    int ord, from, to, ref_from, ref_to, reps, n, holds;
    long long bp, sp;
    double value, lo, hi, bmean, smean;
} s_row_t;

static double s_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void s_txt(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
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

static int s_load(sqlite3 *db, s_row_t **rows, int *n, char *err, size_t errlen)
{
    long long cnt = s_count(db, "SELECT COUNT(*) FROM checks");
    if (cnt <= 0) {
        snprintf(err, errlen, "check.db holds no evaluated checks yet");
        return CX_REPORT_UNREADABLE;
    }
    *rows = calloc((size_t)cnt, sizeof **rows);
    if (!*rows) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT ord, name, file, source, kpi, how, window_from, window_to, "
                           "ref_from, ref_to, expect, statement, baseline_point, scenario_point, "
                           "replicates, n, baseline_mean, scenario_mean, value, ci_low, ci_high, "
                           "holds FROM checks ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "check.db: checks: %s", sqlite3_errmsg(db));
        return CX_REPORT_UNREADABLE;
    }
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && *n < cnt) {
        s_row_t *r = &(*rows)[(*n)++];
        r->ord = sqlite3_column_int(st, 0);
        s_txt(st, 1, r->name, sizeof r->name);
        s_txt(st, 2, r->file, sizeof r->file);
        s_txt(st, 3, r->source, sizeof r->source);
        s_txt(st, 4, r->kpi, sizeof r->kpi);
        s_txt(st, 5, r->how, sizeof r->how);
        r->from = sqlite3_column_int(st, 6);
        r->to = sqlite3_column_int(st, 7);
        r->ref_from = sqlite3_column_int(st, 8);
        r->ref_to = sqlite3_column_int(st, 9);
        s_txt(st, 10, r->expect, sizeof r->expect);
        s_txt(st, 11, r->statement, sizeof r->statement);
        r->bp = sqlite3_column_int64(st, 12);
        r->sp = sqlite3_column_int64(st, 13);
        r->reps = sqlite3_column_int(st, 14);
        r->n = sqlite3_column_int(st, 15);
        r->bmean = s_col(st, 16);
        r->smean = s_col(st, 17);
        r->value = s_col(st, 18);
        r->lo = s_col(st, 19);
        r->hi = s_col(st, 20);
        r->holds = sqlite3_column_int(st, 21);
    }
    sqlite3_finalize(st);
    return 0;
}

static void s_head(cx_buf_t *b, sqlite3 *db, const s_row_t *rows, int n)
{
    int hold = 0;
    for (int i = 0; i < n; i++) {
        hold += rows[i].holds != 0;
    }
    cx_report_page_head(b, "Reality checks " S_NDASH " cxsim check report");
    cx_buf_printf(b,
                      "<h1>Reality checks</h1>\n<p class=\"lead\" id=\"verdict\" "
                      "data-hold=\"%d\" data-checks=\"%d\">%d of %d checks hold.</p>\n"
                      "<table class=\"facts\" id=\"facts\">\n",
                      hold, n, hold, n);
    char v[256];
    snprintf(v, sizeof v,
             "%lld (files, overrides and seed; shared by the checks that need "
             "the same side)",
             s_count(db, "SELECT COUNT(*) FROM points"));
    cx_report_fact(b, "Scenarios run", v);
    snprintf(v, sizeof v, "%lld completed, %lld failed",
             s_count(db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'"),
             s_count(db, "SELECT COUNT(*) FROM runs WHERE status = 'failed'"));
    cx_report_fact(b, "Runs", v);
    cx_report_fact(b, "Seeding",
                   "common random numbers: replicate r has the same seed on "
                   "both sides of a check");
    cx_buf_printf(b, "</table>\n");
}

static void s_table(cx_buf_t *b, const s_row_t *rows, int n)
{
    cx_buf_printf(b, "<h2>The checks</h2>\n<div style=\"overflow-x:auto\">\n"
                         "<table class=\"kpis\" id=\"checks\">\n"
                         "<tr><th>result</th><th>check</th><th>KPI</th><th>window</th>"
                         "<th>must hold</th><th class=\"num\">n</th><th class=\"num\">value</th>"
                         "<th class=\"num\">95%% CI low</th><th class=\"num\">high</th>"
                         "<th>source</th></tr>\n");
    for (int i = 0; i < n; i++) {
        const s_row_t *r = &rows[i];
        cx_buf_printf(b, "<tr class=\"row %s\" data-holds=\"%d\" data-name=\"",
                          r->holds ? "holds" : "fails", r->holds);
        cx_svg_escape(b, r->name);
        cx_buf_printf(b,
                          "\"><td class=\"result\">%s</td><td class=\"name\"><a "
                          "href=\"#fig-check-%d\">",
                          r->holds ? "holds" : "<b>FAILS</b>", r->ord);
        cx_svg_escape(b, r->name);
        cx_buf_printf(b, "</a></td><td class=\"kpi\">");
        cx_svg_escape(b, r->kpi);
        if (strcmp(r->how, "mean") != 0) {
            cx_buf_printf(b, " (");
            cx_svg_escape(b, r->how);
            cx_buf_printf(b, ")");
        }
        cx_buf_printf(b, "</td><td class=\"window\">[%d, %d)", r->from, r->to);
        if (r->ref_from >= 0) {
            cx_buf_printf(b, " vs [%d, %d)", r->ref_from, r->ref_to);
        }
        cx_buf_printf(b, "</td><td class=\"statement\">");
        cx_svg_escape(b, r->statement);
        cx_buf_printf(b, "</td><td class=\"num n\">%d</td>", r->n);
        double half = (r->hi - r->lo) / 2;
        int dec = cx_report_decimals(isfinite(half) && half > 0 ? half / 10 : r->value);
        bool sign = strcmp(r->expect, "ratio_between") != 0 && (r->sp > 0 || r->ref_from >= 0);
        cx_report_num_cell(b, "value", r->value, 10, dec, sign);
        cx_report_num_cell(b, "ci_low", r->lo, 10, dec, sign);
        cx_report_num_cell(b, "ci_high", r->hi, 10, dec, sign);
        cx_buf_printf(b, "<td class=\"source\">");
        cx_svg_escape(b, r->source);
        cx_buf_printf(b, "</td></tr>\n");
    }
    cx_buf_printf(b,
                      "</table>\n</div>\n<p class=\"note\">value: the mean over the paired "
                      "replicates of the delta (scenario " S_NDASH " baseline, or window " S_NDASH
                      " reference window), of the ratio (scenario / baseline), or "
                      "of the KPI itself for an absolute check, each run's KPI aggregated "
                      "over the window of ticks [from, to); its Student t 95%% confidence "
                      "interval. A check holds when its interval lies where the statement "
                      "says (docs/EXPERIMENTS.md).</p>\n");
}

static int s_chart(cx_buf_t *b, sqlite3 *db, const s_row_t *r, char *err, size_t errlen)
{
    cx_report_series_t sb, ss;
    memset(&ss, 0, sizeof ss);
    char expr[80];
    snprintf(expr, sizeof expr, "\"%s\"", r->kpi);
    int rc = cx_report_db_series(db, r->bp, expr, false, &sb, err, errlen);
    if (rc == 0 && r->sp > 0) {
        rc = cx_report_db_series(db, r->sp, expr, false, &ss, err, errlen);
    }
    if (rc != 0) {
        cx_report_series_free(&sb);
        cx_report_series_free(&ss);
        return rc;
    }
    cx_svg_series_t s[2];
    int ns = 0;
    if (sb.nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "baseline",
                                    .label = r->sp > 0 ? "baseline" : "scenario",
                                    .x = sb.tick,
                                    .y = sb.mean,
                                    .lo = sb.lo,
                                    .hi = sb.hi,
                                    .n = sb.nt,
                                    .color = "#555555",
                                    .width = 1.4};
    }
    if (ss.nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "scenario",
                                    .label = "with the change",
                                    .x = ss.tick,
                                    .y = ss.mean,
                                    .lo = ss.lo,
                                    .hi = ss.hi,
                                    .n = ss.nt,
                                    .color = "#0072b2",
                                    .width = 1.6};
    }
    cx_svg_marker_t m[4];
    int nm = 0;
    m[nm++] = (cx_svg_marker_t){.x = r->from, .label = "window", .color = "#d55e00"};
    m[nm++] = (cx_svg_marker_t){.x = r->to - 1, .label = "", .color = "#d55e00"};
    if (r->ref_from >= 0) {
        m[nm++] = (cx_svg_marker_t){.x = r->ref_from, .label = "reference", .color = "#009e73"};
        m[nm++] = (cx_svg_marker_t){.x = r->ref_to - 1, .label = "", .color = "#009e73"};
    }
    char id[32], title[200], cap[1400], agg[160];
    snprintf(id, sizeof id, "check-%d", r->ord);
    snprintf(title, sizeof title, "%s%s", r->holds ? "" : "FAILS: ", r->name);
    if (r->sp > 0) {
        snprintf(agg, sizeof agg, "baseline %.4g, with the change %.4g", r->bmean, r->smean);
    } else if (r->ref_from >= 0) {
        snprintf(agg, sizeof agg, "reference window %.4g, window %.4g", r->bmean, r->smean);
    } else {
        snprintf(agg, sizeof agg, "%.4g", r->bmean);
    }
    snprintf(cap, sizeof cap,
             "%s per tick, the mean over %d replicate%s with its Student t 95%% band%s; the "
             "window [%d, %d) between the vermilion lines%s. Aggregate (%s) over the window: "
             "%s. Must hold: %s. Source: %s",
             r->kpi, sb.nruns, sb.nruns == 1 ? "" : "s",
             r->sp > 0 ? " (grey: baseline, blue: with the change)" : "", r->from, r->to,
             r->ref_from >= 0 ? ", the reference window between the green ones" : "", r->how, agg,
             r->statement, r->source);
    cx_svg_chart_t ch = {.id = id,
                         .title = title,
                         .x_label = "tick",
                         .y_label = r->kpi,
                         .width = 560,
                         .height = 220};
    if (ns > 0) {
        cx_report_figure(b, &ch, s, ns, m, nm, cap);
    }
    cx_report_series_free(&sb);
    cx_report_series_free(&ss);
    return 0;
}

int cx_report_check_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    s_row_t *rows = NULL;
    int n = 0;
    int rc = cx_report_db_open(dir, "check.db", &db, err, errlen);
    if (rc == 0) {
        rc = s_load(db, &rows, &n, err, errlen);
    }
    if (rc == 0) {
        s_head(b, db, rows, n);
        s_table(b, rows, n);
        cx_buf_printf(b, "<h2>Both sides over time</h2>\n");
        for (int i = 0; i < n && rc == 0; i++) {
            rc = s_chart(b, db, &rows[i], err, errlen);
        }
        cx_report_page_foot(b, "check.db");
        if (rc == 0 && b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    if (db) {
        sqlite3_close(db);
    }
    free(rows);
    return rc;
}
