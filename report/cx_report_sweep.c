/*  cx_report_sweep — the HTML report of a sweep directory (see
 *  cx_report.h): sweep.db, opened read-only, to one XHTML page.
 *
 *      points, params   the grid: swept keys (values differ between
 *                       points, as summary.csv's columns), fixed overrides
 *      runs, kpis       per point: the final KPIs' means and 95% CIs by
 *                       cx_exp_ci over the same rows, in the same order, as
 *                       cx_exp_summary reads them (so the numbers are
 *                       summary.csv's), and the mean NPS per tick with its
 *                       95% band
 *      page             facts, the table, error-bar charts against the
 *                       first swept key (one line per combination of the
 *                       others; category positions for a key that is not
 *                       numeric), the trajectories
 *
 *  Errors: CX_REPORT_UNREADABLE with a message in err (the database cannot
 *  be read, holds no completed run, or memory runs out).
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_stats.h"
#include "cx_exp_summary.h"
#include "cx_load.h"
#include "cx_report.h"
#include "cx_report_common.h"
#include "cx_report_exp.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"

#define S_NDASH "\xe2\x80\x93"
#define S_TIMES "\xc3\x97"
#define S_MINUS "\xe2\x88\x92"

#define S_MAX_KEYS 16  /* swept keys shown (more are listed as fixed text) */
#define S_VAL_MAX 256  /* longest parameter value kept */
#define S_LINE_MAX 600 /* longest combination label */

/* The final KPIs of the table, as `cxsim sweep` prints its summary. */
static const char *const s_kpis[] = {"nps",          "csat",    "ces", "churn_rate",
                                     "customers",    "revenue", "clv", "employee_engagement",
                                     "total_revenue"};
#define S_NK ((int)(sizeof s_kpis / sizeof s_kpis[0]))

/* The error-bar charts: KPI (index into s_kpis), id, the title's prefix to
 * the KPI's label, the unit when not the KPI table's (a total), what. */
static const struct {
    int k;
    const char *id, *prefix, *unit, *what, *what_window;
} s_charts[] = {
    {0, "sweep-nps", "Final ", NULL, "NPS of the last tick's survey, in points",
     "NPS of each tick's survey averaged over the window, in points"},
    {3, "sweep-churn", "Final ", NULL,
     "Customers lost during the last tick as % of those at its start",
     "Customers lost during each tick as % of those at its start, averaged over the window"},
    {4, "sweep-customers", "Final ", NULL, "Active customers at the start of the last tick",
     "Active customers at the start of each tick, averaged over the window"},
    {8, "sweep-total-revenue", "Total ", "currency",
     "Revenue summed over every tick of the run, in currency",
     "Revenue summed over every tick of the run, in currency"},
};
#define S_NCHARTS ((int)(sizeof s_charts / sizeof s_charts[0]))

typedef struct {
    long long id;                    /* point id */
    int n;                           /* completed runs */
    char val[S_MAX_KEYS][S_VAL_MAX]; /* value of each swept key ("" when absent) */
    double num[S_MAX_KEYS];          /* the value as a number (NaN when not one) */
    cx_exp_ci_t ci[S_NK];            /* final KPIs */
    double x;                        /* position on the charts' x axis */
    int line;                        /* line of the charts (combination of the other keys) */
    cx_report_series_t traj;         /* NPS per tick: mean and 95% band (traj.nt 0: none) */
} s_pt_t;

typedef struct {
    sqlite3 *db;
    int np;     /* points */
    s_pt_t *pt; /* in id order */
    int nkeys;  /* swept keys */
    char keys[S_MAX_KEYS][S_VAL_MAX];
    bool numeric[S_MAX_KEYS];    /* every point's value is a number */
    char fixed[2048];            /* fixed overrides, "k=v, k=v" */
    bool present[S_NK];          /* kpis has the KPI's column */
    long long completed, failed; /* runs */
    int planned_lo, planned_hi;  /* replicates planned per point */
    cx_scenario_t *sc;           /* resolved scenario of the first completed run */
    char file[256];              /* the scenario file's base name */
    char meta_seed[64], meta_seeding[64];
    long long wticks;         /* meta window_ticks: final KPIs as window means; 0: last tick */
    char wdays[32];           /* meta window_days */
    int ncat;                 /* x categories (key 0 not numeric, or no key) */
    const char **cat;         /* their labels (point into pt[].val or a literal) */
    int nlines;               /* lines of the error-bar charts */
    char (*line)[S_LINE_MAX]; /* their labels */
    double *work;             /* 4 x np: x, y, lo, hi of one line */
} s_sweep_t;

static const char *s_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static const char *s_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b && b[1] ? b + 1 : path;
}

static int s_dberr(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "sweep.db: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return CX_REPORT_UNREADABLE;
}

static void s_meta(sqlite3 *db, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        return;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, cap, "%s", s_text(st, 0));
    }
    sqlite3_finalize(st);
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

static bool s_has_column(sqlite3 *db, const char *col)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('kpis') WHERE name = ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return found;
}

/* The points, the swept keys and their values, the fixed overrides. */
static int s_load_grid(s_sweep_t *w, char *err, size_t errlen)
{
    sqlite3 *db = w->db;
    sqlite3_stmt *st;
    long long np = s_count(db, "SELECT COUNT(*) FROM points");
    if (np <= 0) {
        snprintf(err, errlen, "sweep.db holds no grid point yet");
        return CX_REPORT_UNREADABLE;
    }
    w->pt = calloc((size_t)np, sizeof *w->pt);
    w->cat = calloc((size_t)np + 1, sizeof *w->cat);
    w->line = calloc((size_t)np, sizeof *w->line);
    w->work = malloc((size_t)np * 4 * sizeof *w->work);
    if (!w->pt || !w->cat || !w->line || !w->work) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    if (sqlite3_prepare_v2(db, "SELECT point, planned FROM points ORDER BY point", -1, &st, NULL) !=
        SQLITE_OK) {
        return s_dberr(err, errlen, "points", db);
    }
    w->planned_lo = -1;
    while (sqlite3_step(st) == SQLITE_ROW && w->np < np) {
        int planned = sqlite3_column_int(st, 1);
        w->pt[w->np++].id = sqlite3_column_int64(st, 0);
        if (w->planned_lo < 0 || planned < w->planned_lo) {
            w->planned_lo = planned;
        }
        w->planned_hi = planned > w->planned_hi ? planned : w->planned_hi;
    }
    sqlite3_finalize(st);

    /* Keys in first-seen order (cx_exp_db_param_keys); swept when a value
     * differs between points (cx_exp_summary's rule). */
    sqlite3_stmt *kst, *vst;
    if (sqlite3_prepare_v2(db,
                           "SELECT key FROM params GROUP BY key ORDER BY MIN(point), MIN(rowid)",
                           -1, &kst, NULL) != SQLITE_OK) {
        return s_dberr(err, errlen, "params", db);
    }
    if (sqlite3_prepare_v2(db, "SELECT value, num FROM params WHERE point = ?1 AND key = ?2", -1,
                           &vst, NULL) != SQLITE_OK) {
        sqlite3_finalize(kst);
        return s_dberr(err, errlen, "params", db);
    }
    size_t fused = 0;
    char first[S_VAL_MAX];
    while (sqlite3_step(kst) == SQLITE_ROW) {
        const char *key = s_text(kst, 0);
        int k = w->nkeys < S_MAX_KEYS ? w->nkeys : S_MAX_KEYS - 1; /* scratch slot when full */
        bool varies = false, numeric = true;
        for (int i = 0; i < w->np; i++) {
            char *v = w->pt[i].val[k];
            v[0] = '\0';
            w->pt[i].num[k] = NAN;
            sqlite3_reset(vst);
            sqlite3_bind_int64(vst, 1, w->pt[i].id);
            sqlite3_bind_text(vst, 2, key, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(vst) == SQLITE_ROW) {
                snprintf(v, S_VAL_MAX, "%s", s_text(vst, 0));
                if (sqlite3_column_type(vst, 1) != SQLITE_NULL) {
                    w->pt[i].num[k] = sqlite3_column_double(vst, 1);
                }
            }
            numeric &= isfinite(w->pt[i].num[k]);
            if (i == 0) {
                snprintf(first, sizeof first, "%s", v);
            } else if (strcmp(first, v) != 0) {
                varies = true;
            }
        }
        if (varies && w->nkeys < S_MAX_KEYS) {
            snprintf(w->keys[w->nkeys], S_VAL_MAX, "%s", key);
            w->numeric[w->nkeys++] = numeric;
        } else if (fused < sizeof w->fixed) {
            int n = snprintf(w->fixed + fused, sizeof w->fixed - fused, "%s%s=%s",
                             fused ? ", " : "", key, varies ? "(varies)" : first);
            fused += n > 0 ? (size_t)n : 0;
        }
    }
    sqlite3_finalize(kst);
    sqlite3_finalize(vst);
    if (!w->fixed[0]) {
        snprintf(w->fixed, sizeof w->fixed, "none");
    }
    return 0;
}

/* Final KPIs per point: cx_exp_db_finals' query, NaN left out, cx_exp_ci
 * (as cx_exp_summary). */
static int s_load_finals(s_sweep_t *w, char *err, size_t errlen)
{
    sqlite3 *db = w->db;
    double *vals = NULL;
    int vcap = 0;
    /* A sweep recorded with a window (`--window`, its window_<column>
     * figures): the per-tick KPIs as their mean over it; before windows
     * existed, the last tick's value, as then. */
    char wt[32];
    s_meta(db, "window_ticks", wt, sizeof wt);
    s_meta(db, "window_days", w->wdays, sizeof w->wdays);
    w->wticks = strtoll(wt, NULL, 10);
    w->wticks = w->wticks > 0 ? w->wticks : 0;
    for (int k = 0; k < S_NK; k++) {
        const char *kpi = s_kpis[k];
        bool total = strncmp(kpi, "total_", 6) == 0;
        const char *col = total ? kpi + 6 : kpi;
        w->present[k] = s_has_column(db, col);
        for (int i = 0; i < w->np; i++) {
            cx_exp_ci(NULL, 0, 0.95, &w->pt[i].ci[k]);
        }
        if (!w->present[k]) {
            continue;
        }
        char sql[512];
        if (total) {
            snprintf(sql, sizeof sql,
                     "SELECT r.replicate, SUM(k.\"%s\") FROM runs r JOIN kpis k ON k.run_id = "
                     "r.run_id WHERE r.point = ?1 AND r.status = 'completed' GROUP BY r.run_id "
                     "ORDER BY r.replicate",
                     col);
        } else if (w->wticks > 0) {
            snprintf(sql, sizeof sql,
                     "SELECT r.replicate, AVG(k.\"%s\") FROM runs r JOIN kpis k ON k.run_id = "
                     "r.run_id AND k.tick > r.last_tick - %lld WHERE r.point = ?1 AND r.status "
                     "= 'completed' GROUP BY r.run_id ORDER BY r.replicate",
                     col, w->wticks);
        } else {
            snprintf(sql, sizeof sql,
                     "SELECT r.replicate, k.\"%s\" FROM runs r JOIN kpis k ON k.run_id = r.run_id "
                     "AND k.tick = r.last_tick WHERE r.point = ?1 AND r.status = 'completed' "
                     "ORDER BY r.replicate",
                     col);
        }
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            free(vals);
            return s_dberr(err, errlen, "kpis", db);
        }
        for (int i = 0; i < w->np; i++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, w->pt[i].id);
            int m = 0, r;
            while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
                    continue;
                }
                if (m == vcap) {
                    vcap = vcap ? 2 * vcap : 64;
                    double *p = realloc(vals, (size_t)vcap * sizeof *p);
                    if (!p) {
                        sqlite3_finalize(st);
                        free(vals);
                        snprintf(err, errlen, "out of memory");
                        return CX_REPORT_UNREADABLE;
                    }
                    vals = p;
                }
                double v = sqlite3_column_double(st, 1);
                if (!isnan(v)) {
                    vals[m++] = v;
                }
            }
            if (r != SQLITE_DONE) {
                sqlite3_finalize(st);
                free(vals);
                return s_dberr(err, errlen, "kpis", db);
            }
            cx_exp_ci(vals, m, 0.95, &w->pt[i].ci[k]);
        }
        sqlite3_finalize(st);
    }
    free(vals);
    return 0;
}

static int s_load_scenario(s_sweep_t *w, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT s.yaml FROM runs r JOIN scenarios s ON s.sha256 = "
                           "r.scenario_sha256 WHERE r.status = 'completed' "
                           "ORDER BY r.point, r.replicate LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        return s_dberr(err, errlen, "scenarios", w->db);
    }
    int rc = CX_REPORT_UNREADABLE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *yaml = s_text(st, 0);
        cx_diags_t diags;
        cx_diags_init(&diags);
        if (cx_scenario_load_string("sweep.db", yaml, strlen(yaml), NULL, 0, w->sc, &diags) == 0) {
            rc = 0;
        } else {
            char d[700] = "no diagnostic";
            if (diags.n > 0) {
                cx_diag_format(&diags.items[0], d, sizeof d);
            }
            snprintf(err, errlen, "sweep.db: a resolved scenario does not load: %s", d);
        }
        cx_diags_fini(&diags);
    } else {
        snprintf(err, errlen, "sweep.db: no completed run yet");
    }
    sqlite3_finalize(st);
    return rc;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Each point's x (the first key's value, or its category) and line (the
 * combination of the other keys, in first-seen order). */
static void s_layout(s_sweep_t *w)
{
    bool numeric = w->nkeys > 0 && w->numeric[0];
    for (int i = 0; i < w->np; i++) {
        s_pt_t *p = &w->pt[i];
        if (numeric) {
            p->x = p->num[0];
        } else {
            const char *v = w->nkeys > 0 ? p->val[0] : "all points";
            int c = 0;
            while (c < w->ncat && strcmp(w->cat[c], v) != 0) {
                c++;
            }
            if (c == w->ncat) {
                w->cat[w->ncat++] = v;
            }
            p->x = c;
        }
        char label[S_LINE_MAX] = "";
        size_t used = 0;
        for (int k = 1; k < w->nkeys && used < sizeof label; k++) {
            int n = snprintf(label + used, sizeof label - used, "%s%s=%s", used ? ", " : "",
                             w->keys[k], p->val[k]);
            used += n > 0 ? (size_t)n : 0;
        }
        int l = 0;
        while (l < w->nlines && strcmp(w->line[l], label) != 0) {
            l++;
        }
        if (l == w->nlines) {
            snprintf(w->line[w->nlines++], S_LINE_MAX, "%s", label);
        }
        p->line = l;
    }
}

/* The distinct values of key k, "v1, v2, v3" (numbers ascending, text in
 * first-seen order), and how many. */
static int s_values(const s_sweep_t *w, int k, char *out, size_t cap)
{
    double *v = w->work; /* np entries */
    int n = 0;
    size_t used = 0;
    out[0] = '\0';
    if (w->numeric[k]) {
        for (int i = 0; i < w->np; i++) {
            v[i] = w->pt[i].num[k];
        }
        qsort(v, (size_t)w->np, sizeof *v, s_cmp_double);
    }
    for (int i = 0; i < w->np; i++) {
        const char *s = w->pt[i].val[k];
        if (w->numeric[k]) {
            if (i > 0 && v[i] == v[i - 1]) {
                continue;
            }
            for (int j = 0; j < w->np; j++) { /* the text of that number */
                if (w->pt[j].num[k] == v[i]) {
                    s = w->pt[j].val[k];
                    break;
                }
            }
        } else {
            bool seen = false;
            for (int j = 0; j < i && !seen; j++) {
                seen = strcmp(w->pt[j].val[k], s) == 0;
            }
            if (seen) {
                continue;
            }
        }
        if (used < cap) {
            int m = snprintf(out + used, cap - used, "%s%s", n ? ", " : "", s);
            used += m > 0 ? (size_t)m : 0;
        }
        n++;
    }
    return n;
}

static void s_free(s_sweep_t *w)
{
    if (w->db) {
        sqlite3_close(w->db);
    }
    for (int i = 0; w->pt && i < w->np; i++) {
        cx_report_series_free(&w->pt[i].traj);
    }
    free(w->pt);
    free(w->cat);
    free(w->line);
    free(w->work);
    free(w->sc);
}

static int s_load(const char *dir, s_sweep_t *w, char *err, size_t errlen)
{
    char path[4096];
    if (cx_report_join(path, sizeof path, dir, "sweep.db") != 0) {
        snprintf(err, errlen, "path too long: %.200s", dir);
        return CX_REPORT_UNREADABLE;
    }
    if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %.3000s: %s", path,
                 w->db ? sqlite3_errmsg(w->db) : "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    sqlite3_busy_timeout(w->db, 5000);
    if (!(w->sc = malloc(sizeof *w->sc))) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    int rc;
    if ((rc = s_load_scenario(w, err, errlen)) != 0 || (rc = s_load_grid(w, err, errlen)) != 0 ||
        (rc = s_load_finals(w, err, errlen)) != 0) {
        return rc;
    }
    for (int i = 0; i < w->np; i++) {
        if ((rc = cx_report_db_series(w->db, w->pt[i].id, "nps", false, &w->pt[i].traj, err,
                                      errlen)) != 0) {
            return rc;
        }
    }
    w->completed = s_count(w->db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'");
    w->failed = s_count(w->db, "SELECT COUNT(*) FROM runs WHERE status = 'failed'");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT COUNT(*) FROM runs WHERE point = ?1 AND status = 'completed'",
                           -1, &st, NULL) != SQLITE_OK) {
        return s_dberr(err, errlen, "runs", w->db);
    }
    for (int i = 0; i < w->np; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, w->pt[i].id);
        w->pt[i].n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    }
    sqlite3_finalize(st);
    char scen[4096];
    s_meta(w->db, "scenario", scen, sizeof scen);
    snprintf(w->file, sizeof w->file, "%.255s", s_base(scen));
    s_meta(w->db, "base_seed", w->meta_seed, sizeof w->meta_seed);
    s_meta(w->db, "seeding", w->meta_seeding, sizeof w->meta_seeding);
    s_layout(w);
    return 0;
}

/* ---------------------------------------------------------------- the page */

static void s_head(cx_buf_t *b, const s_sweep_t *w)
{
    const cx_scenario_t *sc = w->sc;
    char title[200];
    snprintf(title, sizeof title, "%s: sweep", sc->name);
    char ptitle[260];
    snprintf(ptitle, sizeof ptitle, "%s " S_NDASH " cxsim sweep report", title);
    cx_report_page_head(b, ptitle);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</h1>\n<p class=\"lead\">");
    cx_svg_escape(b, sc->description);
    cx_buf_printf(b, "</p>\n<table class=\"facts\" id=\"facts\">\n");
    char v[3000], vals[2400];
    snprintf(v, sizeof v, "%s (%s)", sc->name, w->file[0] ? w->file : "?");
    cx_report_fact(b, "Scenario", v);
    for (int k = 0; k < w->nkeys; k++) {
        int n = s_values(w, k, vals, sizeof vals);
        snprintf(v, sizeof v, "%s (%d value%s%s)", vals, n, n == 1 ? "" : "s",
                 w->numeric[k] ? "" : ", not numeric");
        cx_buf_printf(b, "<tr class=\"swept\"><th>Swept: ");
        cx_svg_escape(b, w->keys[k]);
        cx_buf_printf(b, "</th><td>");
        cx_svg_escape(b, v);
        cx_buf_printf(b, "</td></tr>\n");
    }
    if (w->nkeys == 0) {
        cx_report_fact(b, "Swept", "no parameter differs between the points");
    }
    cx_report_fact(b, "Fixed overrides", w->fixed);
    if (w->planned_lo == w->planned_hi) {
        snprintf(v, sizeof v, "%d grid point%s " S_TIMES " %d replicate%s", w->np,
                 w->np == 1 ? "" : "s", w->planned_lo, w->planned_lo == 1 ? "" : "s");
    } else {
        snprintf(v, sizeof v, "%d grid points, %d" S_NDASH "%d replicates each", w->np,
                 w->planned_lo, w->planned_hi);
    }
    cx_report_fact(b, "Grid", v);
    snprintf(v, sizeof v, "%lld completed, %lld failed", w->completed, w->failed);
    cx_buf_printf(b,
                  "<tr id=\"runs\" data-completed=\"%lld\" data-failed=\"%lld\"><th>Runs"
                  "</th><td>",
                  w->completed, w->failed);
    cx_svg_escape(b, v);
    cx_buf_printf(b, "</td></tr>\n");
    const s_pt_t *p0 = NULL;
    for (int i = 0; i < w->np && !p0; i++) {
        p0 = w->pt[i].traj.nt > 0 ? &w->pt[i] : NULL;
    }
    if (p0) {
        snprintf(v, sizeof v, "%d (t=%.0f" S_NDASH "%.0f), one tick = one %s", p0->traj.nt,
                 p0->traj.tick[0], p0->traj.tick[p0->traj.nt - 1],
                 cx_tick_unit_name(sc->tick_unit));
        cx_report_fact(b, "Ticks", v);
    }
    if (w->meta_seed[0]) {
        snprintf(v, sizeof v, "%s%s%s", w->meta_seed,
                 strcmp(w->meta_seeding, "common") == 0 ? ", common random numbers" : "",
                 strcmp(w->meta_seeding, "independent") == 0 ? ", independent seeds" : "");
        cx_report_fact(b, "Base seed", v);
    }
    cx_buf_printf(b, "</table>\n");
}

static void s_num_attr(cx_buf_t *b, const char *name, double v)
{
    if (isnan(v)) {
        cx_buf_printf(b, " %s=\"\"", name);
    } else {
        cx_buf_printf(b, " %s=\"%.10g\"", name, v);
    }
}

/* "window_" when KPI k is shown as its window mean (summary.csv's name). */
static const char *s_window_prefix(const s_sweep_t *w, int k)
{
    return w->wticks > 0 && strncmp(s_kpis[k], "total_", 6) != 0 ? "window_" : "";
}

static void s_table(cx_buf_t *b, const s_sweep_t *w)
{
    cx_buf_printf(b, "<h2>Final KPIs per grid point</h2>\n"
                     "<div class=\"scroll\">\n<table class=\"kpis wide\" id=\"points\">\n"
                     "<tr><th class=\"num\">point</th>");
    for (int k = 0; k < w->nkeys; k++) {
        cx_buf_printf(b, "<th class=\"param\">");
        cx_svg_escape(b, w->keys[k]);
        cx_buf_printf(b, "</th>");
    }
    cx_buf_printf(b, "<th class=\"num\">n</th>");
    for (int k = 0; k < S_NK; k++) {
        if (w->present[k]) {
            /* Long names wrap at their underscores. */
            char name[96];
            snprintf(name, sizeof name, "%s%s", s_window_prefix(w, k), s_kpis[k]);
            cx_buf_printf(b, "<th class=\"num\" data-kpi=\"%s\">", name);
            for (const char *c = name; *c; c++) {
                cx_buf_printf(b, "%c%s", *c, *c == '_' ? "<wbr/>" : "");
            }
            cx_buf_printf(b, "</th>");
        }
    }
    cx_buf_printf(b, "</tr>\n");
    for (int i = 0; i < w->np; i++) {
        const s_pt_t *p = &w->pt[i];
        cx_buf_printf(b,
                      "<tr class=\"point\" id=\"point-%lld\" data-point=\"%lld\">"
                      "<td class=\"num\">%lld</td>",
                      p->id, p->id, p->id);
        for (int k = 0; k < w->nkeys; k++) {
            cx_buf_printf(b, "<td class=\"param\">");
            cx_svg_escape(b, p->val[k]);
            cx_buf_printf(b, "</td>");
        }
        cx_buf_printf(b, "<td class=\"num n\">%d</td>", p->n);
        for (int k = 0; k < S_NK; k++) {
            if (!w->present[k]) {
                continue;
            }
            const cx_exp_ci_t *c = &p->ci[k];
            char t[128];
            cx_exp_fmt_ci(t, sizeof t, c->mean, c->half);
            cx_buf_printf(b, "<td class=\"num kpi\" data-kpi=\"%s%s\"", s_window_prefix(w, k),
                          s_kpis[k]);
            s_num_attr(b, "data-mean", c->mean);
            s_num_attr(b, "data-half", c->half);
            s_num_attr(b, "data-low", c->lo);
            s_num_attr(b, "data-high", c->hi);
            cx_buf_printf(b, ">");
            cx_svg_escape(b, t);
            cx_buf_printf(b, "</td>");
        }
        cx_buf_printf(b, "</tr>\n");
    }
    cx_buf_printf(b, "</table>\n</div>\n<p class=\"note\">Final KPIs: ");
    if (w->wticks > 0) {
        cx_buf_printf(b,
                      "the mean over the last %lld tick%s (%s days) of each completed run "
                      "(summary.csv: window_KPI; KPI is the last tick's value)",
                      w->wticks, w->wticks == 1 ? "" : "s", w->wdays[0] ? w->wdays : "?");
    } else {
        cx_buf_printf(b, "the value at the last tick of each completed run");
    }
    cx_buf_printf(b, "; total_revenue is summed over every tick. "
                     "Each cell: mean over the point's n replicates "
                     "\xc2\xb1"
                     " the half-width of its Student t 95%% confidence interval, as in "
                     "summary.csv (which holds every summarised KPI).</p>\n");
}

/* Final KPI k against the first swept key, one line per combination of
 * the others, with error bars. */
static void s_errorbar_chart(cx_buf_t *b, s_sweep_t *w, int c)
{
    int k = s_charts[c].k;
    int np = w->np, nl = w->nlines;
    cx_svg_series_t *s = calloc((size_t)(nl > 0 ? nl : 1), sizeof *s);
    char(*keys)[24] = calloc((size_t)(nl > 0 ? nl : 1), sizeof *keys);
    double *buf = malloc((size_t)np * 4 * sizeof *buf);
    int *ord = malloc((size_t)np * sizeof *ord);
    if (!s || !keys || !buf || !ord) {
        b->oom = true;
        goto done;
    }
    double *xs = buf, *ys = buf + np, *los = buf + 2 * np, *his = buf + 3 * np;
    int used = 0;
    for (int l = 0; l < nl; l++) {
        /* This line's points, by x (insertion sort: the grid is small). */
        int n = 0;
        for (int i = 0; i < np; i++) {
            if (w->pt[i].line != l || !isfinite(w->pt[i].x)) {
                continue;
            }
            int j = n++;
            while (j > 0 && w->pt[ord[j - 1]].x > w->pt[i].x) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = i;
        }
        for (int j = 0; j < n; j++) {
            const s_pt_t *p = &w->pt[ord[j]];
            xs[used + j] = p->x;
            ys[used + j] = p->ci[k].mean;
            los[used + j] = p->ci[k].lo;
            his[used + j] = p->ci[k].hi;
        }
        snprintf(keys[l], sizeof keys[l], nl == 1 ? "final" : "line_%d", l + 1);
        s[l] = (cx_svg_series_t){.key = keys[l],
                                 .label = nl > 1 ? w->line[l] : NULL,
                                 .x = xs + used,
                                 .y = ys + used,
                                 .lo = los + used,
                                 .hi = his + used,
                                 .n = n,
                                 .color = nl > 1 ? cx_svg_palette(l) : "#0072b2",
                                 .width = 1.6,
                                 .dash = l >= 8 ? "5 3" : NULL,
                                 .error_bars = true};
        used += n;
    }
    bool numeric = w->nkeys > 0 && w->numeric[0], integral = true;
    for (int i = 0; i < np && numeric; i++) {
        integral &= w->pt[i].x == floor(w->pt[i].x);
    }
    char xl[S_VAL_MAX + 40], cap[1600];
    snprintf(xl, sizeof xl, "%s", w->nkeys > 0 ? w->keys[0] : "");
    /* Title and unit from the KPI table (models/cx_kpi_cols.c). */
    const char *kpi = s_kpis[s_charts[c].k];
    const char *col = strncmp(kpi, "total_", 6) == 0 ? kpi + 6 : kpi;
    char title[96], unit[64];
    cx_report_kpi_title(s_charts[c].prefix, col, title, sizeof title);
    if (s_charts[c].unit) {
        snprintf(unit, sizeof unit, "%s", s_charts[c].unit);
    } else {
        cx_report_kpi_axis(col, unit, sizeof unit);
    }
    cx_svg_chart_t ch = {.id = s_charts[c].id,
                         .title = title,
                         .x_label = xl,
                         .y_label = unit,
                         .x_real = numeric && !integral,
                         .x_pad = numeric ? 0.06 : 0,
                         .x_cats = numeric ? NULL : w->cat,
                         .n_x_cats = numeric ? 0 : w->ncat};
    snprintf(cap, sizeof cap,
             "%s: mean over each grid point's completed replicates, with the Student t 95%% "
             "confidence interval of the mean as error bars (the numbers of the table)%s%s%s.",
             w->wticks > 0 ? s_charts[c].what_window : s_charts[c].what,
             w->nkeys > 0 ? ", against " : "", w->nkeys > 0 ? w->keys[0] : "",
             nl > 1 ? "; one line per combination of the other swept parameters" : "");
    cx_report_figure(b, &ch, s, nl, NULL, 0, cap);
done:
    free(s);
    free(keys);
    free(buf);
    free(ord);
}

/* Mean NPS per tick of every point, with its 95% band. */
static void s_trajectories(cx_buf_t *b, const s_sweep_t *w)
{
    int np = w->np;
    cx_svg_series_t *s = calloc((size_t)np, sizeof *s);
    char(*keys)[32] = calloc((size_t)np, sizeof *keys);
    char(*labels)[S_LINE_MAX] = calloc((size_t)np, sizeof *labels);
    if (!s || !keys || !labels) {
        b->oom = true;
        goto done;
    }
    int ns = 0;
    for (int i = 0; i < np; i++) {
        const s_pt_t *p = &w->pt[i];
        if (p->traj.nt == 0) {
            continue;
        }
        size_t used = 0;
        labels[ns][0] = '\0';
        for (int k = 0; k < w->nkeys && used < S_LINE_MAX; k++) {
            int n = snprintf(labels[ns] + used, S_LINE_MAX - used, "%s%s=%s", used ? ", " : "",
                             w->keys[k], p->val[k]);
            used += n > 0 ? (size_t)n : 0;
        }
        if (!labels[ns][0]) {
            snprintf(labels[ns], S_LINE_MAX, "point %lld", p->id);
        }
        snprintf(keys[ns], sizeof keys[ns], "point_%lld", p->id);
        s[ns] = (cx_svg_series_t){.key = keys[ns],
                                  .label = labels[ns],
                                  .x = p->traj.tick,
                                  .y = p->traj.mean,
                                  .lo = p->traj.lo,
                                  .hi = p->traj.hi,
                                  .n = p->traj.nt,
                                  .color = cx_svg_palette(i),
                                  .width = 1.6,
                                  .dash = i >= 8 ? "5 3" : NULL};
        ns++;
    }
    char xl[64], cap[900], title[96], unit[64];
    snprintf(xl, sizeof xl, "tick (%s)", cx_tick_unit_name(w->sc->tick_unit));
    snprintf(title, sizeof title, "%s per tick", cx_report_kpi_label("nps"));
    cx_svg_chart_t ch = {.id = "sweep-nps-ticks",
                         .title = title,
                         .x_label = xl,
                         .y_label = cx_report_kpi_axis("nps", unit, sizeof unit)};
    snprintf(cap, sizeof cap,
             "NPS of each tick's survey, in points: per grid point, the mean over its completed "
             "replicates with the 95%% confidence band of the mean (Student t, n " S_MINUS
             " 1 degrees of freedom); one colour per point.");
    cx_report_figure(b, &ch, s, ns, NULL, 0, cap);
done:
    free(s);
    free(keys);
    free(labels);
}

int cx_report_sweep_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_sweep_t w;
    memset(&w, 0, sizeof w);
    int rc = s_load(dir, &w, err, errlen);
    if (rc == 0) {
        s_head(b, &w);
        s_table(b, &w);
        cx_buf_printf(b, "<h2>Final KPIs against %s</h2>\n",
                      w.nkeys > 0 ? "the swept parameter" : "the grid");
        for (int c = 0; c < S_NCHARTS; c++) {
            if (w.present[s_charts[c].k]) {
                s_errorbar_chart(b, &w, c);
            }
        }
        cx_buf_printf(b, "<h2>Over time</h2>\n");
        s_trajectories(b, &w);
        cx_report_page_foot(b, "sweep.db");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    s_free(&w);
    return rc;
}
