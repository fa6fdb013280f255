/*  cx_exp_db — the experiment results database (see cx_exp_db.h).
 *
 *  Why the rollback journal and not WAL: a sweep directory often sits on a
 *  cluster's shared filesystem, where WAL's shared-memory index is not safe;
 *  one writer at a time (sweep or collect) and short transactions make the
 *  classic journal cheap enough, and readers (sqlite3, Python, R) may query
 *  the database while a sweep writes it (the writer waits up to
 *  S_BUSY_MS for them).
 */
#include "cx_exp_db.h"
#include "cx_exp_db_int.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_sha256.h"
#include "cx_exp_util.h"
#include "cx_kpi_cols.h"

#define S_BUSY_MS 30000                /* wait for readers this long before failing */

/* The columns of departments.csv as the run contract states them (those of
 * kpis.csv: the contract columns of models/cx_kpi_cols.c); columns a newer
 * engine adds are added to the tables on import. */
static const char *s_dept_cols = "maturity,demand,handled,backlog,avg_wait,resolution_rate,"
                                 "handoffs,failed_handoffs,cost,employee_engagement,capacity";

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);\n"
    "CREATE TABLE IF NOT EXISTS points(\n"
    "  point INTEGER PRIMARY KEY,      -- grid point id, stable once given\n"
    "  key TEXT NOT NULL UNIQUE,       -- its overrides 'KEY=VALUE' joined by newlines\n"
    "  label TEXT,                     -- 'baseline'/'scenario' in a comparison\n"
    "  scenario TEXT,                  -- scenario file\n"
    "  params TEXT NOT NULL,           -- JSON object of its overrides\n"
    "  planned INTEGER NOT NULL DEFAULT 0 -- replicates planned\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS params(\n"
    "  point INTEGER NOT NULL REFERENCES points(point),\n"
    "  key TEXT NOT NULL, value TEXT, num REAL,\n"
    "  PRIMARY KEY(point, key)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS runs(\n"
    "  run_id INTEGER PRIMARY KEY,\n"
    "  point INTEGER NOT NULL REFERENCES points(point),\n"
    "  replicate INTEGER NOT NULL,\n"
    "  seed INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL CHECK(status IN ('completed', 'failed')),\n"
    "  reason TEXT,\n"
    "  params TEXT,                    -- JSON object of the point's overrides\n"
    "  sets TEXT,                      -- JSON array of every --set given to cxsim run\n"
    "  scenario TEXT,                  -- scenario file run\n"
    "  scenario_sha256 TEXT,           -- of the run's scenario.resolved.yaml\n"
    "  cxsim_version TEXT,\n"
    "  engine TEXT,                    -- 'in-process' or 'processes'\n"
    "  host TEXT,\n"
    "  command TEXT,                   -- JSON array: the exact command line\n"
    "  started TEXT, finished TEXT,    -- ISO 8601 UTC\n"
    "  wall_seconds REAL,\n"
    "  ticks INTEGER,                  -- kpis rows recorded\n"
    "  last_tick INTEGER,              -- the final tick\n"
    "  run_dir TEXT,                   -- relative to the experiment directory\n"
    "  UNIQUE(point, replicate)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS scenarios(\n"
    "  sha256 TEXT PRIMARY KEY,        -- runs.scenario_sha256\n"
    "  yaml TEXT NOT NULL              -- the resolved scenario: cxsim run on it repeats the run\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS summary(\n"
    "  point INTEGER NOT NULL, kpi TEXT NOT NULL, n INTEGER, mean REAL, sd REAL,\n"
    "  half_width REAL, ci_low REAL, ci_high REAL,\n"
    "  PRIMARY KEY(point, kpi)\n"
    ");\n";

static const char *s_views =
    "CREATE VIEW IF NOT EXISTS final_kpis AS\n"
    "  SELECT r.point, r.replicate, r.seed, k.*\n"
    "  FROM runs r JOIN kpis k ON k.run_id = r.run_id AND k.tick = r.last_tick\n"
    "  WHERE r.status = 'completed';\n"
    "CREATE VIEW IF NOT EXISTS run_params AS\n"
    "  SELECT r.run_id, r.point, r.replicate, r.seed, r.status, p.label, p.params\n"
    "  FROM runs r JOIN points p ON p.point = r.point;\n";

void cx_exp_db__err(char *err, size_t errlen, const char *what, sqlite3 *h)
{
    if (err && errlen) {
        snprintf(err, errlen, "%s: %s", what, h ? sqlite3_errmsg(h) : "out of memory");
    }
}

int cx_exp_db_exec(cx_exp_db_t *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (err && errlen) {
            snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(db->h));
        }
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Creates `table` with its key columns and the listed NUMERIC columns (cols
 * NULL: the contract columns of the KPI row, models/cx_kpi_cols.c). */
static int s_create_data_table(cx_exp_db_t *db, const char *table, const char *keys, const char *pk,
                               const char *cols, char *err, size_t errlen)
{
    cx_buf_t b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "CREATE TABLE IF NOT EXISTS %s(%s", table, keys);
    if (!cols) { /* the KPI row's contract columns */
        for (int i = 0; i < cx_kpi_ncols; i++) {
            if (cx_kpi_cols[i].contract && strcmp(cx_kpi_cols[i].name, "tick") != 0) {
                cx_buf_printf(&b, ", \"%s\" NUMERIC", cx_kpi_cols[i].name);
            }
        }
    }
    const char *p = cols ? cols : "";
    while (*p) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        cx_buf_printf(&b, ", \"%.*s\" NUMERIC", (int)len, p);
        p += len + (c ? 1 : 0);
    }
    cx_buf_printf(&b, ", PRIMARY KEY(%s));", pk);
    int rc = b.oom ? -1 : cx_exp_db_exec(db, cx_buf_str(&b), err, errlen);
    cx_buf_fini(&b);
    return rc;
}

cx_exp_db_t *cx_exp_db_open(const char *path, char *err, size_t errlen)
{
    cx_exp_db_t *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db->h ? sqlite3_errmsg(db->h) : "out of memory");
        cx_exp_db_close(&db);
        return NULL;
    }
    sqlite3_busy_timeout(db->h, S_BUSY_MS);
    char version[16];
    snprintf(version, sizeof version, "%d", CX_EXP_SCHEMA_VERSION);
    /* synchronous=FULL: a committed run survives a power cut, not only a
     * killed process. */
    if (cx_exp_db_exec(db, "PRAGMA synchronous=FULL; BEGIN IMMEDIATE;", err, errlen) != 0 ||
        cx_exp_db_exec(db, s_schema, err, errlen) != 0 ||
        s_create_data_table(db, "kpis",
                            "run_id INTEGER NOT NULL REFERENCES runs(run_id), "
                            "tick INTEGER NOT NULL",
                            "run_id, tick", NULL, err, errlen) != 0 ||
        s_create_data_table(db, "departments",
                            "run_id INTEGER NOT NULL REFERENCES runs(run_id), "
                            "tick INTEGER NOT NULL, department TEXT NOT NULL",
                            "run_id, tick, department", s_dept_cols, err, errlen) != 0 ||
        cx_exp_db_exec(db, s_views, err, errlen) != 0 ||
        cx_exp_db_exec(db,
                       "INSERT OR IGNORE INTO meta VALUES('schema_version', '1');"
                       "COMMIT;",
                       err, errlen) != 0) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", err);
        snprintf(err, errlen, "%s: %s", path, keep);
        cx_exp_db_close(&db);
        return NULL;
    }
    return db;
}

void cx_exp_db_close(cx_exp_db_t **db_p)
{
    cx_exp_db_t *db = db_p ? *db_p : NULL;
    if (!db) {
        return;
    }
    if (db->h) {
        sqlite3_close(db->h);
    }
    free(db);
    *db_p = NULL;
}

int cx_exp_db_meta_set(cx_exp_db_t *db, const char *key, const char *value, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc) {
        cx_exp_db__err(err, errlen, "database", db->h);
    }
    sqlite3_finalize(st);
    return rc;
}

int cx_exp_db_meta_get(cx_exp_db_t *db, const char *key, char *value, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(value, cap, "%s", v ? (const char *)v : "");
        out = 1;
    } else if (rc != SQLITE_DONE) {
        out = -1;
    }
    sqlite3_finalize(st);
    return out;
}

int cx_exp_db_meta_prefixed(cx_exp_db_t *db, const char *prefix, char *buf, size_t cap)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db->h,
                           "SELECT value FROM meta WHERE substr(key, 1, length(?1)) = ?1 "
                           "ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
    int n = 0;
    size_t used = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int w = snprintf(buf + used, cap - used, "%s%s", n ? "\n" : "", cx_exp_db__col(st, 0));
        if (w > 0 && used + (size_t)w < cap) {
            used += (size_t)w;
        }
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/* One integer from a query with up to two integer parameters; -1 on
 * error, `none` when no row. */
static long long s_int_query(cx_exp_db_t *db, const char *sql, long long a, long long b,
                             long long none)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    int np = sqlite3_bind_parameter_count(st);
    if (np >= 1) {
        sqlite3_bind_int64(st, 1, a);
    }
    if (np >= 2) {
        sqlite3_bind_int64(st, 2, b);
    }
    long long v = none;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    } else if (rc != SQLITE_DONE) {
        v = -1;
    }
    sqlite3_finalize(st);
    return v;
}

long long cx_exp_db_point(cx_exp_db_t *db, const char *key, const char *label, const char *scenario,
                          const char *params_json, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    long long id = -1;
    if (sqlite3_prepare_v2(db->h, "SELECT point FROM points WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) {
        return id;
    }
    if (rc != SQLITE_DONE) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    /* New point: the row and its params rows in one transaction. */
    if (cx_exp_db_exec(db, "SAVEPOINT point_add", err, errlen) != 0) {
        return -1;
    }
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO points(key, label, scenario, params) "
                           "VALUES(?1, ?2, ?3, json(?4))",
                           -1, &st, NULL) != SQLITE_OK) {
        goto fail;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, scenario, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, params_json, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        goto fail;
    }
    id = sqlite3_last_insert_rowid(db->h);
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO params(point, key, value, num) "
                           "SELECT ?1, j.key, CAST(j.value AS TEXT), "
                           "CASE WHEN j.type IN ('integer', 'real') THEN j.value END "
                           "FROM json_each(?2) j",
                           -1, &st, NULL) != SQLITE_OK) {
        goto fail;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, params_json, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        goto fail;
    }
    if (cx_exp_db_exec(db, "RELEASE point_add", err, errlen) != 0) {
        return -1;
    }
    return id;
fail:
    cx_exp_db__err(err, errlen, "database", db->h);
    sqlite3_exec(db->h, "ROLLBACK TO point_add; RELEASE point_add", NULL, NULL, NULL);
    return -1;
}

int cx_exp_db_planned(cx_exp_db_t *db, long long point)
{
    return (int)s_int_query(db, "SELECT planned FROM points WHERE point = ?1", point, 0, 0);
}

int cx_exp_db_set_planned(cx_exp_db_t *db, long long point, int planned, char *err, size_t errlen)
{
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE points SET planned = %d WHERE point = %lld", planned, point);
    return cx_exp_db_exec(db, sql, err, errlen);
}

int cx_exp_db_run_done(cx_exp_db_t *db, long long point, int replicate, char sha[65])
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT scenario_sha256 FROM runs WHERE point = ?1 AND replicate = ?2 "
                           "AND status = 'completed'",
                           -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    sqlite3_bind_int(st, 2, replicate);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        out = 1;
        if (sha) {
            const unsigned char *v = sqlite3_column_text(st, 0);
            snprintf(sha, 65, "%s", v ? (const char *)v : "");
        }
    } else if (rc != SQLITE_DONE) {
        out = -1;
    }
    sqlite3_finalize(st);
    return out;
}

long long cx_exp_db_count_completed(cx_exp_db_t *db, long long point)
{
    if (point < 0) {
        return s_int_query(db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'", 0, 0, 0);
    }
    return s_int_query(db, "SELECT COUNT(*) FROM runs WHERE status = 'completed' AND point = ?1",
                       point, 0, 0);
}

long long cx_exp_db_count_failed(cx_exp_db_t *db)
{
    return s_int_query(db, "SELECT COUNT(*) FROM runs WHERE status = 'failed'", 0, 0, 0);
}

int cx_exp_db_point_cost(cx_exp_db_t *db, long long point, double *wall, double *ticks)
{
    sqlite3_stmt *st;
    *wall = *ticks = 0;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT COUNT(*), TOTAL(wall_seconds), TOTAL(ticks) FROM runs "
                           "WHERE point = ?1 AND status = 'completed' AND wall_seconds > 0",
                           -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    int n = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int(st, 0);
        *wall = sqlite3_column_double(st, 1);
        *ticks = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    return n;
}

/* ---- queries ------------------------------------------------------------ */

int cx_exp_db_finals(cx_exp_db_t *db, long long point, const char *kpi, int *replicates,
                     double *values, int cap)
{
    bool total = strncmp(kpi, "total_", 6) == 0;
    bool window = strncmp(kpi, "window_", 7) == 0;
    const char *col = total ? kpi + 6 : window ? kpi + 7 : kpi;
    if (!cx_exp_db__ident(col, strlen(col)) || !cx_exp_db_has_column(db, col)) {
        return -1;
    }
    char sql[512], wt[32];
    long long w = 0;
    if (window) { /* the window the experiment recorded; none before windows existed */
        char *end;
        if (cx_exp_db_meta_get(db, "window_ticks", wt, sizeof wt) != 1 ||
            (w = strtoll(wt, &end, 10)) < 1 || *end) {
            return -1;
        }
        snprintf(sql, sizeof sql,
                 "SELECT r.replicate, AVG(k.\"%s\") FROM runs r JOIN kpis k ON k.run_id = "
                 "r.run_id AND k.tick > r.last_tick - %lld WHERE r.point = ?1 AND r.status = "
                 "'completed' GROUP BY r.run_id ORDER BY r.replicate",
                 col, w);
    } else if (total) {
        snprintf(sql, sizeof sql,
                 "SELECT r.replicate, SUM(k.\"%s\") FROM runs r JOIN kpis k ON k.run_id = "
                 "r.run_id WHERE r.point = ?1 AND r.status = 'completed' GROUP BY r.run_id "
                 "ORDER BY r.replicate",
                 col);
    } else {
        snprintf(sql, sizeof sql,
                 "SELECT r.replicate, k.\"%s\" FROM runs r JOIN kpis k ON k.run_id = r.run_id "
                 "AND k.tick = r.last_tick WHERE r.point = ?1 AND r.status = 'completed' "
                 "ORDER BY r.replicate",
                 col);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) {
            if (replicates) {
                replicates[n] = sqlite3_column_int(st, 0);
            }
            values[n] =
                sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        }
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

int cx_exp_db_series(cx_exp_db_t *db, long long point, int replicate, const char *column,
                     int *ticks, double *values, int cap)
{
    if (!cx_exp_db__ident(column, strlen(column)) || !cx_exp_db_has_column(db, column)) {
        return -1;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT k.tick, k.\"%s\" FROM runs r JOIN kpis k ON k.run_id = r.run_id WHERE "
             "r.point = ?1 AND r.replicate = ?2 AND r.status = 'completed' ORDER BY k.tick",
             column);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    sqlite3_bind_int(st, 2, replicate);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) {
            if (ticks) {
                ticks[n] = sqlite3_column_int(st, 0);
            }
            values[n] =
                sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        }
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

int cx_exp_db_points(cx_exp_db_t *db, long long *ids, int cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT point FROM points ORDER BY point", -1, &st, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) {
            ids[n] = sqlite3_column_int64(st, 0);
        }
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

int cx_exp_db_point_info(cx_exp_db_t *db, long long point, char *params, size_t pcap, char *label,
                         size_t lcap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT params, label FROM points WHERE point = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (params) {
            snprintf(params, pcap, "%s", cx_exp_db__col(st, 0));
        }
        if (label) {
            snprintf(label, lcap, "%s", cx_exp_db__col(st, 1));
        }
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int cx_exp_db_param(cx_exp_db_t *db, long long point, const char *key, char *buf, size_t cap)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db->h, "SELECT value FROM params WHERE point = ?1 AND key = ?2", -1, &st,
                           NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, cap, "%s", cx_exp_db__col(st, 0));
    }
    sqlite3_finalize(st);
    return 0;
}

char *cx_exp_db_param_keys(cx_exp_db_t *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT key FROM params GROUP BY key ORDER BY MIN(point), MIN(rowid)",
                           -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }
    cx_buf_t b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "%s", "");
    while (sqlite3_step(st) == SQLITE_ROW) {
        cx_buf_printf(&b, "%s%s", b.n ? "\n" : "", cx_exp_db__col(st, 0));
    }
    sqlite3_finalize(st);
    if (b.oom) {
        cx_buf_fini(&b);
        return NULL;
    }
    char *out = b.p ? b.p : strdup("");
    return out;
}

int cx_exp_db_summary_put(cx_exp_db_t *db, long long point, const char *kpi, int n, double mean,
                          double sd, double half, double lo, double hi, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT OR REPLACE INTO summary(point, kpi, n, mean, sd, half_width, "
                           "ci_low, ci_high) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &st, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    sqlite3_bind_text(st, 2, kpi, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, n);
    double v[5] = {mean, sd, half, lo, hi};
    for (int i = 0; i < 5; i++) {
        if (isnan(v[i])) {
            sqlite3_bind_null(st, 4 + i);
        } else {
            sqlite3_bind_double(st, 4 + i, v[i]);
        }
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc) {
        cx_exp_db__err(err, errlen, "database", db->h);
    }
    sqlite3_finalize(st);
    return rc;
}

int cx_exp_json_text(const char *json, const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    json_error_t je;
    json_t *doc = json_loads(json, 0, &je);
    if (!doc) {
        return json_error_code(&je) == json_error_out_of_memory ? -1 : 0;
    }
    int rc = cx_json_value_text(cx_json_path(doc, path), out, cap);
    json_decref(doc);
    return rc;
}

int cx_exp_db_exec_bind(cx_exp_db_t *db, const char *sql, const char *text, const double *v, int nv,
                        char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    int i = 1;
    if (text) {
        sqlite3_bind_text(st, i++, text, -1, SQLITE_TRANSIENT);
    }
    for (int k = 0; k < nv; k++, i++) {
        if (isnan(v[k])) {
            sqlite3_bind_null(st, i);
        } else {
            sqlite3_bind_double(st, i, v[k]);
        }
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc) {
        cx_exp_db__err(err, errlen, "database", db->h);
    }
    sqlite3_finalize(st);
    return rc;
}
