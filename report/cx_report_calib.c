/*  cx_report_calib — the HTML report of a calibration directory (see
 *  cx_report.h): calibration.db, opened read-only, and observed.csv (the
 *  copy `cxsim calibrate` keeps), to one XHTML page.
 *
 *      header    scenario, observed file (its name only), KPIs fitted,
 *                replicates, evaluations, stop reason
 *      table     each parameter: start value, best value, its 95% interval
 *                (the `uncertainty` table; absent in older databases)
 *      charts    the objective of every evaluation with the best so far;
 *                per KPI fitted, the observed points against the simulated
 *                mean per tick (band: the range of the replicates, lowest
 *                to highest) at the start and at the best parameters
 *      table     per KPI: RMSE at the start and at the best
 *
 *  Errors: CX_REPORT_UNREADABLE with a message in err.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_calib.h"
#include "cx_output.h"
#include "cx_report.h"
#include "cx_report_exp.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"
#include "cx_tally.h"

#define S_ARROW "\xe2\x86\x92"
#define S_MAX_KPIS 16

typedef struct {
    sqlite3 *db;
    int n;                /* evaluations */
    long long *eval;      /* their ids, in order */
    long long *point;     /* their sweep points */
    double *obj;          /* their objectives */
    long long best, start; /* eval ids (start: the first) */
    long long best_point, start_point;
    char stop[64];
    cx_calib_obs_t obs;
    bool have_obs;
    char obs_note[300];
} s_cal_t;

static double s_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int s_load(const char *dir, s_cal_t *w, char *err, size_t errlen)
{
    if (cx_report_db_open(dir, "calibration.db", &w->db, err, errlen) != 0) {
        return CX_REPORT_UNREADABLE;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(w->db, "SELECT count(*) FROM evaluations", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "%.3000s/calibration.db: %s", dir, sqlite3_errmsg(w->db));
        sqlite3_finalize(st);
        return CX_REPORT_UNREADABLE;
    }
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (n <= 0) {
        snprintf(err, errlen, "%.3000s/calibration.db holds no evaluation yet", dir);
        return CX_REPORT_UNREADABLE;
    }
    w->eval = calloc((size_t)n, sizeof *w->eval);
    w->point = calloc((size_t)n, sizeof *w->point);
    w->obj = calloc((size_t)n, sizeof *w->obj);
    if (!w->eval || !w->point || !w->obj) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    if (sqlite3_prepare_v2(w->db, "SELECT eval, point, objective FROM evaluations ORDER BY eval",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%.3000s/calibration.db: %s", dir, sqlite3_errmsg(w->db));
        return CX_REPORT_UNREADABLE;
    }
    while (sqlite3_step(st) == SQLITE_ROW && w->n < n) {
        w->eval[w->n] = sqlite3_column_int64(st, 0);
        w->point[w->n] = sqlite3_column_int64(st, 1);
        w->obj[w->n] = s_col(st, 2);
        w->n++;
    }
    sqlite3_finalize(st);
    w->start = w->eval[0];
    w->start_point = w->point[0];
    w->best = w->start;
    w->best_point = w->start_point;
    if (sqlite3_prepare_v2(w->db, "SELECT best_eval, stop_reason FROM result LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        w->best = sqlite3_column_int64(st, 0);
        const unsigned char *t = sqlite3_column_text(st, 1);
        snprintf(w->stop, sizeof w->stop, "%s", t ? (const char *)t : "");
        for (int i = 0; i < w->n; i++) {
            if (w->eval[i] == w->best) {
                w->best_point = w->point[i];
            }
        }
    } else {
        snprintf(w->stop, sizeof w->stop, "not finished");
    }
    sqlite3_finalize(st);

    /* The observed series: the directory's copy. */
    char path[4200];
    const char *known[64];
    double vals[64];
    cx_kpi_row_t zero;
    memset(&zero, 0, sizeof zero);
    int n_known = cx_kpi_row_columns(&zero, known, vals, 64);
    char why[512];
    if (cx_report_join(path, sizeof path, dir, "observed.csv") == 0 &&
        cx_calib_obs_load(path, known, n_known, 0, &w->obs, why, sizeof why) == 0) {
        w->have_obs = true;
    } else {
        snprintf(w->obs_note, sizeof w->obs_note,
                 "observed.csv is missing or unreadable in the directory: the observed points "
                 "are not drawn");
    }
    return 0;
}

static void s_head(cx_buf_t *b, s_cal_t *w)
{
    char name[128], file[256], unit[32], title[300], v[512];
    cx_report_db_scenario(w->db, w->start_point, name, sizeof name, file, sizeof file, unit,
                          sizeof unit);
    snprintf(title, sizeof title, "Calibration of %s", name);
    cx_report_page_head(b, title);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</h1>\n<table class=\"facts\" id=\"facts\">\n");
    snprintf(v, sizeof v, "%s (%s)", name, file);
    cx_report_fact(b, "Scenario", v);
    char obs[4096];
    cx_report_db_meta(w->db, "observed", obs, sizeof obs);
    const char *base = strrchr(obs, '/');
    cx_report_fact(b, "Observed series", base ? base + 1 : obs);
    cx_report_db_meta(w->db, "kpis", v, sizeof v);
    cx_report_fact(b, "KPIs fitted", v);
    cx_report_db_meta(w->db, "replicates", v, sizeof v);
    cx_report_fact(b, "Replicates per evaluation", v);
    snprintf(v, sizeof v, "%d (%s)", w->n, w->stop);
    cx_report_fact(b, "Evaluations", v);
    cx_buf_printf(b, "</table>\n");
}

/* Parameter values of evaluation `eval`, in name order. */
static void s_params(cx_buf_t *b, s_cal_t *w)
{
    cx_buf_printf(b, "<h2>Parameters</h2>\n<table class=\"kpis\" id=\"params\">\n"
                         "<tr><th>parameter</th><th class=\"num\">start</th>"
                         "<th class=\"num\">best</th><th class=\"num\">95%% interval "
                         "low</th><th class=\"num\">high</th></tr>\n");
    sqlite3_stmt *st = NULL;
    bool unc = sqlite3_prepare_v2(w->db, "SELECT ci_low FROM uncertainty", -1, &st, NULL) ==
               SQLITE_OK;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(w->db,
                           unc ? "SELECT s.parameter, s.value, b.value, u.ci_low, u.ci_high FROM "
                                 "eval_params s JOIN eval_params b ON b.parameter = s.parameter "
                                 "AND b.eval = ?2 LEFT JOIN uncertainty u ON u.parameter = "
                                 "s.parameter WHERE s.eval = ?1 ORDER BY s.parameter"
                               : "SELECT s.parameter, s.value, b.value, NULL, NULL FROM "
                                 "eval_params s JOIN eval_params b ON b.parameter = s.parameter "
                                 "AND b.eval = ?2 WHERE s.eval = ?1 ORDER BY s.parameter",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, w->start);
        sqlite3_bind_int64(st, 2, w->best);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *p = sqlite3_column_text(st, 0);
            cx_buf_printf(b, "<tr data-parameter=\"");
            cx_svg_escape(b, p ? (const char *)p : "");
            cx_buf_printf(b, "\"><td>");
            cx_svg_escape(b, p ? (const char *)p : "");
            cx_buf_printf(b, "</td>");
            double sv = s_col(st, 1), bv = s_col(st, 2);
            cx_report_num_cell(b, "start", sv, 12, cx_report_decimals(sv), false);
            cx_report_num_cell(b, "best", bv, 12, cx_report_decimals(bv), false);
            double ul = s_col(st, 3), uh = s_col(st, 4);
            int dec = isfinite(ul) && isfinite(uh) ? cx_report_decimals((uh - ul) / 10) : 0;
            cx_report_num_cell(b, "ci_low", ul, 12, dec, false);
            cx_report_num_cell(b, "ci_high", uh, 12, dec, false);
            cx_buf_printf(b, "</tr>\n");
        }
    }
    sqlite3_finalize(st);
    cx_buf_printf(b, "</table>\n<p class=\"note\">95%% interval: from the curvature of the "
                     "objective at the best point (a quadratic fitted to the evaluations "
                     "nearest it) and the residual variance, best " "\xe2\x88\x93" " t " "\xc3\x97"
                     " standard error (docs/EXPERIMENTS.md, <i>Uncertainty of the fitted "
                     "parameters</i>); empty where the minimum is flat or too few points lie "
                     "near it%s.</p>\n",
                  unc ? "" : "; this calibration was recorded before intervals were");
}

static void s_objective(cx_buf_t *b, const s_cal_t *w)
{
    double *buf = malloc((size_t)w->n * 3 * sizeof *buf);
    if (!buf) {
        b->oom = true;
        return;
    }
    double *x = buf, *y = buf + w->n, *best = buf + 2 * w->n;
    double m = INFINITY;
    for (int i = 0; i < w->n; i++) {
        x[i] = (double)(i + 1);
        y[i] = w->obj[i];
        if (isfinite(w->obj[i]) && w->obj[i] < m) {
            m = w->obj[i];
        }
        best[i] = isfinite(m) ? m : NAN;
    }
    cx_svg_series_t s[2] = {{.key = "objective",
                             .label = "objective of the evaluation",
                             .x = x,
                             .y = y,
                             .n = w->n,
                             .color = "#999999",
                             .width = 1.2},
                            {.key = "best_so_far",
                             .label = "best so far",
                             .x = x,
                             .y = best,
                             .n = w->n,
                             .color = "#0072b2",
                             .width = 2}};
    cx_svg_chart_t ch = {.id = "calib-objective",
                         .title = "Objective by evaluation",
                         .x_label = "evaluation",
                         .y_label = "objective",
                         .y_include_zero = true};
    cx_report_figure(b, &ch, s, 2, NULL, 0,
                     "The objective of each evaluation of the search (sum over the KPIs of the "
                     "mean squared error of the replicates' mean against the observed points, "
                     "each divided by the observed series' variance), and the lowest so far.");
    free(buf);
}

/* Replaces a series' band with the range of its runs per tick (lowest to
 * highest): with the few replicates a calibration runs, a Student t band
 * says little (with 2, t = 12.7 spans a hundred NPS points). */
static void s_envelope(cx_report_series_t *s)
{
    for (int t = 0; t < s->nt && s->per_run && s->nruns > 0; t++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int r = 0; r < s->nruns; r++) {
            double v = s->per_run[(size_t)r * (size_t)s->nt + (size_t)t];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        s->lo[t] = isfinite(lo) ? lo : NAN;
        s->hi[t] = isfinite(hi) ? hi : NAN;
    }
}

/* One KPI: the observed points against the simulated mean at the start and
 * at the best parameters. */
static void s_fit(cx_buf_t *b, s_cal_t *w, const char *kpi)
{
    if (!strchr("abcdefghijklmnopqrstuvwxyz", kpi[0]) ||
        strspn(kpi, "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen(kpi)) {
        return; /* an SQL expression is built from it: names only */
    }
    cx_report_series_t st, be;
    memset(&st, 0, sizeof st);
    memset(&be, 0, sizeof be);
    char err[256];
    cx_report_db_series(w->db, w->start_point, kpi, false, &st, err, sizeof err);
    cx_report_db_series(w->db, w->best_point, kpi, false, &be, err, sizeof err);
    s_envelope(&st);
    s_envelope(&be);
    double *ox = NULL, *oy = NULL;
    int no = 0;
    int col = w->have_obs ? cx_calib_obs_column(&w->obs, kpi) : -1;
    if (col >= 0) {
        ox = malloc((size_t)w->obs.n_obs * sizeof *ox);
        oy = malloc((size_t)w->obs.n_obs * sizeof *oy);
        if (!ox || !oy) {
            b->oom = true;
        } else {
            /* Increasing ticks for the chart (the file may list them in any order). */
            for (int i = 0; i < w->obs.n_obs; i++) {
                double v = w->obs.value[(size_t)i * (size_t)w->obs.n_kpi + (size_t)col];
                if (isnan(v)) {
                    continue;
                }
                int at = no;
                while (at > 0 && ox[at - 1] > w->obs.tick[i]) {
                    ox[at] = ox[at - 1];
                    oy[at] = oy[at - 1];
                    at--;
                }
                ox[at] = w->obs.tick[i];
                oy[at] = v;
                no++;
            }
        }
    }
    cx_svg_series_t s[3];
    int ns = 0;
    if (st.nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "start",
                                    .label = "simulated at the start values (mean, range of the replicates)",
                                    .x = st.tick,
                                    .y = st.mean,
                                    .lo = st.lo,
                                    .hi = st.hi,
                                    .n = st.nt,
                                    .color = "#999999"};
    }
    if (be.nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "best",
                                    .label = "simulated at the best values (mean, range of the replicates)",
                                    .x = be.tick,
                                    .y = be.mean,
                                    .lo = be.lo,
                                    .hi = be.hi,
                                    .n = be.nt,
                                    .color = "#0072b2",
                                    .width = 2};
    }
    if (no > 0) {
        s[ns++] = (cx_svg_series_t){.key = "observed",
                                    .label = "observed",
                                    .x = ox,
                                    .y = oy,
                                    .lo = oy,
                                    .hi = oy,
                                    .n = no,
                                    .color = "#d55e00",
                                    .error_bars = true,
                                    .no_line = true};
    }
    char id[96], title[160], cap[600];
    snprintf(id, sizeof id, "calib-fit-%s", kpi);
    snprintf(title, sizeof title, "%s: observed and simulated", kpi);
    snprintf(cap, sizeof cap,
             "%s per tick: the observed points, and the mean over the %d paired replicates of "
             "the simulated series with the range of the replicates (lowest to highest) as its "
             "band, at the start values and at the best values found. The band shows where "
             "single runs fall, not a confidence interval of the mean (with few replicates a "
             "Student t interval is too wide to read).%s",
             kpi, be.nruns > st.nruns ? be.nruns : st.nruns,
             no > 0 ? "" : " (The observed points are not available.)");
    cx_svg_chart_t ch = {.id = id, .title = title, .x_label = "tick", .y_label = kpi};
    if (ns > 0) {
        cx_report_figure(b, &ch, s, ns, NULL, 0, cap);
    }
    free(ox);
    free(oy);
    cx_report_series_free(&st);
    cx_report_series_free(&be);
}

static void s_errors(cx_buf_t *b, s_cal_t *w)
{
    cx_buf_printf(b, "<table class=\"kpis\" id=\"rmse\">\n<tr><th>KPI</th>"
                         "<th class=\"num\">RMSE at the start</th>"
                         "<th class=\"num\">RMSE at the best</th></tr>\n");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT s.kpi, s.rmse, b.rmse FROM eval_kpis s JOIN eval_kpis b ON "
                           "b.kpi = s.kpi AND b.eval = ?2 WHERE s.eval = ?1 ORDER BY s.kpi",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, w->start);
        sqlite3_bind_int64(st, 2, w->best);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *k = sqlite3_column_text(st, 0);
            cx_buf_printf(b, "<tr><td>");
            cx_svg_escape(b, k ? (const char *)k : "");
            cx_buf_printf(b, "</td>");
            double sv = s_col(st, 1), bv = s_col(st, 2);
            cx_report_num_cell(b, "start", sv, 10, cx_report_decimals(sv), false);
            cx_report_num_cell(b, "best", bv, 10, cx_report_decimals(bv), false);
            cx_buf_printf(b, "</tr>\n");
        }
    }
    sqlite3_finalize(st);
    cx_buf_printf(b, "</table>\n");
}

int cx_report_calib_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_cal_t w;
    memset(&w, 0, sizeof w);
    int rc = s_load(dir, &w, err, errlen);
    if (rc == 0) {
        s_head(b, &w);
        s_params(b, &w);
        cx_buf_printf(b, "<h2>The search</h2>\n");
        s_objective(b, &w);
        cx_buf_printf(b, "<h2>Fit</h2>\n");
        if (w.obs_note[0]) {
            cx_buf_printf(b, "<p>");
            cx_svg_escape(b, w.obs_note);
            cx_buf_printf(b, "</p>\n");
        }
        char kpis[512];
        cx_report_db_meta(w.db, "kpis", kpis, sizeof kpis);
        char *save = NULL;
        int nk = 0;
        for (char *k = strtok_r(kpis, ",", &save); k && nk < S_MAX_KPIS;
             k = strtok_r(NULL, ",", &save), nk++) {
            s_fit(b, &w, k);
        }
        s_errors(b, &w);
        cx_report_page_foot(b, w.have_obs ? "calibration.db, observed.csv" : "calibration.db");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    if (w.db) {
        sqlite3_close(w.db);
    }
    if (w.have_obs) {
        cx_calib_obs_fini(&w.obs);
    }
    free(w.eval);
    free(w.point);
    free(w.obj);
    return rc;
}
