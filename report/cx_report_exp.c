/*  cx_report_exp — reading the experiment databases for the report pages
 *  (cx_report_exp.h): read-only opening, meta values, the scenario's name,
 *  per-tick means with 95% bands over a point's completed runs.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_stats.h"
#include "cx_load.h"
#include "cx_report.h"
#include "cx_report_exp.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"

int cx_report_db_open(const char *dir, const char *name, sqlite3 **db, char *err, size_t errlen)
{
    char path[4096];
    *db = NULL;
    if (cx_report_join(path, sizeof path, dir, name) != 0) {
        snprintf(err, errlen, "path too long: %.200s", dir);
        return CX_REPORT_UNREADABLE;
    }
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %.3000s: %s", path,
                 *db ? sqlite3_errmsg(*db) : "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    sqlite3_busy_timeout(*db, 5000);
    return 0;
}

static const char *s_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

void cx_report_db_meta(sqlite3 *db, const char *key, char *out, size_t cap)
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

void cx_report_db_scenario(sqlite3 *db, long long point, char *name, size_t ncap, char *file,
                           size_t fcap, char *tick_unit, size_t ucap)
{
    snprintf(name, ncap, "?");
    snprintf(tick_unit, ucap, "tick");
    file[0] = '\0';
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.yaml, r.scenario FROM runs r JOIN scenarios s ON s.sha256 = "
                           "r.scenario_sha256 WHERE r.status = 'completed' AND (?1 < 0 OR "
                           "r.point = ?1) ORDER BY r.point, r.replicate LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        return;
    }
    sqlite3_bind_int64(st, 1, point);
    char run_file[4096] = "";
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *yaml = s_text(st, 0);
        snprintf(run_file, sizeof run_file, "%s", s_text(st, 1));
        cx_scenario_t *sc = malloc(sizeof *sc);
        if (sc) {
            cx_diags_t diags;
            cx_diags_init(&diags);
            if (cx_scenario_load_string("db", yaml, strlen(yaml), NULL, 0, sc, &diags) == 0) {
                snprintf(name, ncap, "%s", sc->name);
                snprintf(tick_unit, ucap, "%s", cx_tick_unit_name(sc->tick_unit));
            }
            cx_diags_fini(&diags);
            free(sc);
        }
    }
    sqlite3_finalize(st);
    /* The experiment's scenario file, else (an experiment that did not
     * record it) the one its run was made from. */
    char path[4096];
    cx_report_db_meta(db, "scenario", path, sizeof path);
    if (!path[0]) {
        snprintf(path, sizeof path, "%s", run_file);
    }
    const char *b = strrchr(path, '/');
    snprintf(file, fcap, "%s", b && b[1] ? b + 1 : path);
}

void cx_report_series_free(cx_report_series_t *s)
{
    free(s->tick);
    free(s->mean);
    free(s->lo);
    free(s->hi);
    free(s->per_run);
    memset(s, 0, sizeof *s);
}

int cx_report_db_series(sqlite3 *db, long long point, const char *expr, bool cumulative,
                        cx_report_series_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *rs = NULL, *ks = NULL;
    long long *runs = NULL;
    double *col = NULL;
    int nr = 0, rcap = 0, rc = CX_REPORT_UNREADABLE;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT tick, %s FROM kpis WHERE run_id = ?1 ORDER BY tick", expr);
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id FROM runs WHERE point = ?1 AND status = 'completed' "
                           "ORDER BY replicate, run_id",
                           -1, &rs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &ks, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "kpis: %s", sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int64(rs, 1, point);
    while (sqlite3_step(rs) == SQLITE_ROW) {
        if (nr == rcap) {
            rcap = rcap ? 2 * rcap : 8;
            long long *q = realloc(runs, (size_t)rcap * sizeof *q);
            if (!q) {
                goto oom;
            }
            runs = q;
        }
        runs[nr++] = sqlite3_column_int64(rs, 0);
    }
    if (nr == 0) {
        rc = 0;
        goto done;
    }
    int nt = 0;
    sqlite3_bind_int64(ks, 1, runs[0]);
    while (sqlite3_step(ks) == SQLITE_ROW) {
        nt++;
    }
    if (nt == 0) {
        rc = 0;
        goto done;
    }
    out->tick = malloc((size_t)nt * sizeof(double));
    out->mean = malloc((size_t)nt * sizeof(double));
    out->lo = malloc((size_t)nt * sizeof(double));
    out->hi = malloc((size_t)nt * sizeof(double));
    out->per_run = malloc((size_t)nt * (size_t)nr * sizeof(double));
    col = malloc((size_t)nr * sizeof *col);
    if (!out->tick || !out->mean || !out->lo || !out->hi || !out->per_run || !col) {
        goto oom;
    }
    int used = 0;
    for (int r = 0; r < nr; r++) {
        double *row = out->per_run + (size_t)used * nt, acc = 0;
        int t = 0;
        bool same = true;
        sqlite3_reset(ks);
        sqlite3_bind_int64(ks, 1, runs[r]);
        while (sqlite3_step(ks) == SQLITE_ROW) {
            double tk = sqlite3_column_double(ks, 0);
            if (t >= nt || (r > 0 && out->tick[t] != tk)) {
                same = false;
                break;
            }
            if (r == 0) {
                out->tick[t] = tk;
            }
            double v =
                sqlite3_column_type(ks, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(ks, 1);
            if (cumulative) {
                acc += v;
                v = acc;
            }
            row[t++] = v;
        }
        if (same && t == nt) {
            used++;
        }
    }
    for (int t = 0; t < nt; t++) {
        int k = 0;
        for (int r = 0; r < used; r++) {
            double v = out->per_run[(size_t)r * nt + t];
            if (!isnan(v)) {
                col[k++] = v;
            }
        }
        cx_exp_ci_t ci;
        cx_exp_ci(col, k, 0.95, &ci);
        out->mean[t] = ci.mean;
        out->lo[t] = ci.lo;
        out->hi[t] = ci.hi;
    }
    out->nt = nt;
    out->nruns = used;
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "out of memory");
done:
    if (rc != 0) {
        cx_report_series_free(out);
    }
    sqlite3_finalize(rs);
    sqlite3_finalize(ks);
    free(runs);
    free(col);
    return rc;
}
