/*  cx_exp_db_import — importing a run into the results database (see
 *  cx_exp_db.h: cx_exp_db_import, the columns of the data tables): run.json
 *  checked, kpis.csv and departments.csv inserted in one transaction, the
 *  resolved scenario stored once by its SHA-256.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_csv.h"
#include "cx_exp_db.h"
#include "cx_exp_db_int.h"
#include "cx_exp_sha256.h"
#include "cx_exp_util.h"
#include "cx_kpi_cols.h"

#define S_MAX_CSV (256u * 1024 * 1024) /* largest result file imported */
#define S_MAX_COLS 128                 /* columns of one result file */

bool cx_exp_db__ident(const char *s, size_t len)
{
    if (len == 0 || len > 63 ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return false;
        }
    }
    return true;
}

/* Columns of a table, as one string ",a,b,c," for lookups. */
static int s_table_cols(cx_exp_db_t *db, const char *table, cx_buf_t *out)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    cx_buf_reset(out);
    cx_buf_printf(out, ",");
    while (sqlite3_step(st) == SQLITE_ROW) {
        cx_buf_printf(out, "%s,", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return out->oom ? -1 : 0;
}

static bool s_has_col(const cx_buf_t *cols, const char *name, size_t len)
{
    char probe[80];
    snprintf(probe, sizeof probe, ",%.*s,", (int)len, name);
    return strstr(cx_buf_str(cols), probe) != NULL;
}

bool cx_exp_db_has_column(cx_exp_db_t *db, const char *column)
{
    cx_buf_t cols;
    cx_buf_init(&cols);
    bool has = s_table_cols(db, "kpis", &cols) == 0 && s_has_col(&cols, column, strlen(column));
    cx_buf_fini(&cols);
    return has;
}

int cx_exp_db_kpi_columns(cx_exp_db_t *db, char ***names)
{
    *names = NULL;
    cx_buf_t cols;
    cx_buf_init(&cols);
    if (s_table_cols(db, "kpis", &cols) != 0) {
        cx_buf_fini(&cols);
        return -1;
    }
    int n = 0, cap = 0;
    char **v = NULL;
    const char *p = cx_buf_str(&cols);
    while (*p) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len && !(len == 6 && strncmp(p, "run_id", 6) == 0) &&
            !(len == 4 && strncmp(p, "tick", 4) == 0)) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                char **w = realloc(v, (size_t)cap * sizeof *w);
                if (!w) {
                    break;
                }
                v = w;
            }
            if (!(v[n] = strndup(p, len))) {
                break;
            }
            n++;
        }
        p += len + (c ? 1 : 0);
    }
    bool oom = *p != '\0';
    cx_buf_fini(&cols);
    if (oom) {
        for (int i = 0; i < n; i++) {
            free(v[i]);
        }
        free(v);
        return -1;
    }
    *names = v;
    return n;
}

/* Binds one CSV field: empty -> NULL, an integer, a real, else text. */
static void s_bind_field(sqlite3_stmt *st, int i, const char *f, size_t len)
{
    if (len == 0) {
        sqlite3_bind_null(st, i);
        return;
    }
    char buf[64];
    if (len < sizeof buf) {
        memcpy(buf, f, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (!errno && *end == '\0') {
            sqlite3_bind_int64(st, i, v);
            return;
        }
        errno = 0;
        double d = strtod(buf, &end);
        if (!errno && *end == '\0' && isfinite(d)) {
            sqlite3_bind_double(st, i, d);
            return;
        }
        if (*end == '\0' && isnan(d)) {
            sqlite3_bind_null(st, i);
            return;
        }
    }
    sqlite3_bind_text(st, i, f, (int)len, SQLITE_TRANSIENT);
}

/* s_csv_insert's state: the statement built from the header. */
typedef struct {
    cx_exp_db_t *db;
    const char *table;
    long long run_id;
    long long *last;  /* the largest "tick", or NULL */
    sqlite3_stmt *st; /* INSERT INTO table(run_id, the header's columns) */
    int tick_col;     /* the header's "tick", or -1 */
    long long n;      /* rows inserted */
} s_ins_t;

/* The header: columns the table lacks added, the INSERT prepared. */
static int s_ins_head(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_ins_t *in = ud;
    if (row->ncols > S_MAX_COLS) {
        snprintf(err, errlen, "%s: more than %d columns", row->file, S_MAX_COLS);
        return -1;
    }
    for (int i = 0; i < row->ncols; i++) {
        if (!cx_exp_db__ident(row->names[i], strlen(row->names[i]))) {
            snprintf(err, errlen, "%s: bad header column '%s'", row->file, row->names[i]);
            return -1;
        }
    }
    cx_buf_t cols, sql;
    cx_buf_init(&cols);
    cx_buf_init(&sql);
    int rc = -1;
    if (s_table_cols(in->db, in->table, &cols) != 0) {
        cx_exp_db__err(err, errlen, "database", in->db->h);
        goto done;
    }
    for (int i = 0; i < row->ncols; i++) {
        const char *name = row->names[i];
        if (strcmp(name, "tick") == 0) {
            in->tick_col = i;
        }
        if (strcmp(name, "run_id") == 0) {
            snprintf(err, errlen, "%s: a column may not be named run_id", row->file);
            goto done;
        }
        if (!s_has_col(&cols, name, strlen(name))) {
            char alter[200];
            snprintf(alter, sizeof alter, "ALTER TABLE %s ADD COLUMN \"%s\" NUMERIC", in->table,
                     name);
            if (cx_exp_db_exec(in->db, alter, err, errlen) != 0) {
                goto done;
            }
        }
    }
    cx_buf_printf(&sql, "INSERT INTO %s(run_id", in->table);
    for (int i = 0; i < row->ncols; i++) {
        cx_buf_printf(&sql, ", \"%s\"", row->names[i]);
    }
    cx_buf_printf(&sql, ") VALUES(?1");
    for (int i = 0; i < row->ncols; i++) {
        cx_buf_printf(&sql, ", ?%d", i + 2);
    }
    cx_buf_printf(&sql, ")");
    if (sql.oom ||
        sqlite3_prepare_v2(in->db->h, cx_buf_str(&sql), -1, &in->st, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", in->db->h);
        goto done;
    }
    rc = 0;
done:
    cx_buf_fini(&cols);
    cx_buf_fini(&sql);
    return rc;
}

/* One row inserted. */
static int s_ins_row(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_ins_t *in = ud;
    sqlite3_stmt *st = in->st;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, in->run_id);
    for (int f = 0; f < row->ncols; f++) {
        s_bind_field(st, f + 2, row->fields[f], strlen(row->fields[f]));
    }
    if (in->tick_col >= 0 && in->last) {
        long long t = strtoll(row->fields[in->tick_col], NULL, 10);
        if (in->n == 0 || t > *in->last) {
            *in->last = t;
        }
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        char what[300];
        snprintf(what, sizeof what, "%s line %ld", row->file, row->line);
        cx_exp_db__err(err, errlen, what, in->db->h);
        return -1;
    }
    in->n++;
    return 0;
}

/* Inserts every row of CSV `text` (split in place) into `table`, with
 * run_id first. Adds header columns the table lacks. Returns the number of
 * rows, or -1; when last, *last gets the largest value of column "tick". */
static long long s_csv_insert(cx_exp_db_t *db, const char *table, long long run_id, char *text,
                              const char *file, long long *last, char *err, size_t errlen)
{
    s_ins_t in = {.db = db, .table = table, .run_id = run_id, .last = last, .tick_col = -1};
    long rows = cx_csv_parse(text, file, CX_CSV_WHOLE, s_ins_head, s_ins_row, &in, err, errlen);
    sqlite3_finalize(in.st);
    return rows;
}

/* What run.json says (see cx_exp_exec.c, which writes it). */
typedef struct {
    char *text;       /* the file, heap */
    sqlite3_stmt *st; /* the extraction query, row holds the fields */
} s_runjson_t;

enum {
    S_RJ_VALID = 0,
    S_RJ_KEY,
    S_RJ_LABEL,
    S_RJ_SCENARIO,
    S_RJ_PARAMS,
    S_RJ_REPLICATE,
    S_RJ_SEED,
    S_RJ_STATUS,
    S_RJ_REASON,
    S_RJ_EXPECTED,
    S_RJ_SETS,
    S_RJ_VERSION,
    S_RJ_ENGINE,
    S_RJ_HOST,
    S_RJ_COMMAND,
    S_RJ_STARTED,
    S_RJ_FINISHED,
    S_RJ_WALL,
};

static const char *s_rj_sql =
    "SELECT json_valid(?1), json_extract(?1, '$.point_key'), json_extract(?1, '$.label'), "
    "json_extract(?1, '$.scenario'), json_extract(?1, '$.params'), "
    "json_extract(?1, '$.replicate'), json_extract(?1, '$.seed'), json_extract(?1, '$.status'), "
    "json_extract(?1, '$.reason'), json_extract(?1, '$.expected_sha256'), "
    "json_extract(?1, '$.sets'), json_extract(?1, '$.cxsim_version'), "
    "json_extract(?1, '$.engine'), json_extract(?1, '$.host'), json_extract(?1, '$.command'), "
    "json_extract(?1, '$.started'), json_extract(?1, '$.finished'), "
    "json_extract(?1, '$.wall_seconds')";

const char *cx_exp_db__col(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *)v : "";
}

/* Checks a run that says it completed. Returns 0 when it did (kpis and
 * departments text loaded, the resolved scenario's hash in sha), else -1
 * with the reason. */
static int s_check_completed(const char *run_dir, const char *expected, char **kpis, char **depts,
                             char **yaml, long long *ticks_expected, char sha[65], char *why,
                             size_t whylen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    char *summary = cx_exp_read_file(path, 16u << 20, NULL);
    if (!summary) {
        snprintf(why, whylen, "cannot read %.900s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    json_t *doc = json_loads(summary, 0, NULL);
    const json_t *status = json_object_get(doc, "status"), *ticks = json_object_get(doc, "ticks");
    char st[64];
    if (!json_is_object(doc)) {
        snprintf(why, whylen, "%.900s is not valid JSON", path);
        goto done;
    }
    cx_json_value_text(status, st, sizeof st);
    if (strcmp(st, "completed") != 0) {
        snprintf(why, whylen, "summary.json says status '%s'", st);
        goto done;
    }
    *ticks_expected = cx_json_int(json_object_get(doc, "ticks_completed"));
    if (ticks && !json_is_null(ticks) && cx_json_int(ticks) != *ticks_expected) {
        snprintf(why, whylen, "summary.json: %lld of %lld ticks completed", *ticks_expected,
                 cx_json_int(ticks));
        goto done;
    }
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", run_dir);
    size_t ylen = 0;
    *yaml = cx_exp_read_file(path, S_MAX_CSV, &ylen);
    if (!*yaml) {
        snprintf(why, whylen, "cannot read %.900s: %s", path, strerror(errno));
        goto done;
    }
    cx_exp_sha256_hex(*yaml, ylen, sha);
    if (expected[0] && strcmp(sha, expected) != 0) {
        snprintf(why, whylen,
                 "the resolved scenario differs from the planned one (sha256 %.12s, planned "
                 "%.12s): the scenario file or cxsim changed after planning",
                 sha, expected);
        goto done;
    }
    snprintf(path, sizeof path, "%s/kpis.csv", run_dir);
    *kpis = cx_exp_read_file(path, S_MAX_CSV, NULL);
    if (!*kpis) {
        snprintf(why, whylen, "cannot read %.900s: %s", path, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/departments.csv", run_dir);
    *depts = cx_exp_read_file(path, S_MAX_CSV, NULL);
    if (!*depts) {
        snprintf(why, whylen, "cannot read %.900s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    json_decref(doc);
    free(summary);
    return rc;
}

/* Keeps a resolved scenario, once per hash. */
static int s_put_scenario(cx_exp_db_t *db, const char *sha, const char *yaml, char *err,
                          size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "INSERT OR IGNORE INTO scenarios(sha256, yaml) VALUES(?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, yaml, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc) {
        cx_exp_db__err(err, errlen, "database", db->h);
    }
    sqlite3_finalize(st);
    return rc;
}

/* True when this exact failed attempt (same finish time) is recorded. */
static bool s_same_failure(cx_exp_db_t *db, long long point, int replicate, const char *finished)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT 1 FROM runs WHERE point = ?1 AND replicate = ?2 AND status = "
                           "'failed' AND finished = ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        return false;
    }
    sqlite3_bind_int64(st, 1, point);
    sqlite3_bind_int(st, 2, replicate);
    sqlite3_bind_text(st, 3, finished, -1, SQLITE_TRANSIENT);
    bool same = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return same;
}

/* Removes what a previous attempt of point/replicate left (its rows and
 * its run). Returns 0 or -1 (err set). */
static int s_clear_run(cx_exp_db_t *db, long long point, int replicate, char *err, size_t errlen)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM kpis WHERE run_id IN (SELECT run_id FROM runs WHERE point = %lld AND "
             "replicate = %d); DELETE FROM departments WHERE run_id IN (SELECT run_id FROM runs "
             "WHERE point = %lld AND replicate = %d);",
             point, replicate, point, replicate);
    if (cx_exp_db_exec(db, sql, err, errlen) != 0) {
        return -1;
    }
    snprintf(sql, sizeof sql, "DELETE FROM runs WHERE point = %lld AND replicate = %d", point,
             replicate);
    return cx_exp_db_exec(db, sql, err, errlen) != 0 ? -1 : 0;
}

/* Inserts the run as failed with reason why (its record in rj). Returns
 * its run_id, or -1 (err set). */
static long long s_insert_run(cx_exp_db_t *db, sqlite3_stmt *rj, long long point, int replicate,
                              const char *why, const char *params, const char *sha,
                              const char *rel_dir, char *err, size_t errlen)
{
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(
            db->h,
            "INSERT INTO runs(point, replicate, seed, status, reason, params, sets, scenario, "
            "scenario_sha256, cxsim_version, engine, host, command, started, finished, "
            "wall_seconds, run_dir) VALUES(?1, ?2, ?3, 'failed', ?4, json(?5), ?6, ?7, ?8, ?9, "
            "?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            -1, &ins, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        return -1;
    }
    sqlite3_bind_int64(ins, 1, point);
    sqlite3_bind_int(ins, 2, replicate);
    sqlite3_bind_int64(ins, 3, sqlite3_column_int64(rj, S_RJ_SEED));
    sqlite3_bind_text(ins, 4, why, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, params, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, cx_exp_db__col(rj, S_RJ_SETS), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 7, cx_exp_db__col(rj, S_RJ_SCENARIO), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 8, sha[0] ? sha : cx_exp_db__col(rj, S_RJ_EXPECTED), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 9, cx_exp_db__col(rj, S_RJ_VERSION), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 10, cx_exp_db__col(rj, S_RJ_ENGINE), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 11, cx_exp_db__col(rj, S_RJ_HOST), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 12, cx_exp_db__col(rj, S_RJ_COMMAND), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 13, cx_exp_db__col(rj, S_RJ_STARTED), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 14, cx_exp_db__col(rj, S_RJ_FINISHED), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(ins, 15, sqlite3_column_double(rj, S_RJ_WALL));
    sqlite3_bind_text(ins, 16, rel_dir, -1, SQLITE_TRANSIENT);
    long long run_id = -1;
    if (sqlite3_step(ins) != SQLITE_DONE) {
        cx_exp_db__err(err, errlen, "database", db->h);
    } else {
        run_id = sqlite3_last_insert_rowid(db->h);
    }
    sqlite3_finalize(ins);
    return run_id;
}

/* A completed run's rows: kpis.csv and departments.csv. A bad file makes
 * the run failed, not the import: rolled back to before the rows, with why
 * recorded (and *completed cleared). Returns 0 or -1 (err set). */
static int s_insert_rows(cx_exp_db_t *db, long long run_id, char *kpis, char *depts,
                         long long ticks_expected, const char *sha, const char *yaml, char *why,
                         size_t whylen, bool *completed, char *err, size_t errlen)
{
    char sql[256];
    long long last = -1;
    char why2[1024] = "";
    if (cx_exp_db_exec(db, "SAVEPOINT rows", err, errlen) != 0) {
        return -1;
    }
    long long nk = s_csv_insert(db, "kpis", run_id, kpis, "kpis.csv", &last, why2, sizeof why2);
    long long nd = nk < 0 ? -1
                          : s_csv_insert(db, "departments", run_id, depts, "departments.csv", NULL,
                                         why2, sizeof why2);
    if (nk >= 0 && nk != ticks_expected) {
        snprintf(why2, sizeof why2, "kpis.csv has %lld rows, summary.json %lld ticks", nk,
                 ticks_expected);
        nk = -1;
    }
    if (nk < 0 || nd < 0) {
        sqlite3_exec(db->h, "ROLLBACK TO rows", NULL, NULL, NULL);
        snprintf(why, whylen, "%s", why2);
        *completed = false;
        snprintf(sql, sizeof sql, "UPDATE runs SET reason = ?1 WHERE run_id = %lld", run_id);
        sqlite3_stmt *up;
        if (sqlite3_prepare_v2(db->h, sql, -1, &up, NULL) == SQLITE_OK) {
            sqlite3_bind_text(up, 1, why, -1, SQLITE_TRANSIENT);
            sqlite3_step(up);
            sqlite3_finalize(up);
        }
    } else {
        snprintf(sql, sizeof sql,
                 "UPDATE runs SET status = 'completed', reason = NULL, ticks = %lld, "
                 "last_tick = %lld WHERE run_id = %lld",
                 nk, last, run_id);
        if (cx_exp_db_exec(db, sql, err, errlen) != 0 ||
            s_put_scenario(db, sha, yaml, err, errlen) != 0) {
            return -1;
        }
    }
    return cx_exp_db_exec(db, "RELEASE rows", err, errlen) != 0 ? -1 : 0;
}

int cx_exp_db_import(cx_exp_db_t *db, const char *run_dir, const char *rel_dir, char *err,
                     size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/run.json", run_dir);
    char *text = cx_exp_read_file(path, 16u << 20, NULL);
    if (!text) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int out = -1;
    char *kpis = NULL, *depts = NULL, *yaml = NULL;
    sqlite3_stmt *rj = NULL;
    bool in_tx = false;
    if (sqlite3_prepare_v2(db->h, s_rj_sql, -1, &rj, NULL) != SQLITE_OK) {
        cx_exp_db__err(err, errlen, "database", db->h);
        goto done;
    }
    sqlite3_bind_text(rj, 1, text, -1, SQLITE_STATIC);
    if (sqlite3_step(rj) != SQLITE_ROW || sqlite3_column_int(rj, S_RJ_VALID) != 1 ||
        sqlite3_column_type(rj, S_RJ_KEY) == SQLITE_NULL ||
        sqlite3_column_type(rj, S_RJ_REPLICATE) != SQLITE_INTEGER ||
        sqlite3_column_type(rj, S_RJ_SEED) != SQLITE_INTEGER) {
        snprintf(err, errlen, "%s is not a run record (bad JSON or missing fields)", path);
        goto done;
    }
    int replicate = sqlite3_column_int(rj, S_RJ_REPLICATE);
    const char *params = sqlite3_column_type(rj, S_RJ_PARAMS) == SQLITE_NULL
                             ? "{}"
                             : cx_exp_db__col(rj, S_RJ_PARAMS);
    long long point =
        cx_exp_db_point(db, cx_exp_db__col(rj, S_RJ_KEY), cx_exp_db__col(rj, S_RJ_LABEL),
                        cx_exp_db__col(rj, S_RJ_SCENARIO), params, err, errlen);
    if (point < 0) {
        goto done;
    }
    int done_already = cx_exp_db_run_done(db, point, replicate, NULL);
    if (done_already < 0) {
        cx_exp_db__err(err, errlen, "database", db->h);
        goto done;
    }
    if (done_already == 1 ||
        s_same_failure(db, point, replicate, cx_exp_db__col(rj, S_RJ_FINISHED))) {
        out = 2;
        goto done;
    }

    char sha[CX_SHA256_HEX] = "";
    char why[1024] = "";
    long long ticks_expected = 0;
    bool completed = strcmp(cx_exp_db__col(rj, S_RJ_STATUS), "completed") == 0;
    if (!completed) {
        snprintf(why, sizeof why, "%s",
                 cx_exp_db__col(rj, S_RJ_REASON)[0] ? cx_exp_db__col(rj, S_RJ_REASON)
                                                    : "the run did not complete");
    } else if (s_check_completed(run_dir, cx_exp_db__col(rj, S_RJ_EXPECTED), &kpis, &depts, &yaml,
                                 &ticks_expected, sha, why, sizeof why) != 0) {
        completed = false;
    }

    if (cx_exp_db_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0) {
        goto done;
    }
    in_tx = true;
    /* Another process (a collect beside a sweep) may have recorded it
     * since the check above; now that we hold the write lock, look again. */
    if (cx_exp_db_run_done(db, point, replicate, NULL) == 1) {
        out = 2;
        goto done;
    }
    if (s_clear_run(db, point, replicate, err, errlen) != 0) {
        goto done;
    }
    long long run_id =
        s_insert_run(db, rj, point, replicate, why, params, sha, rel_dir, err, errlen);
    if (run_id < 0) {
        goto done;
    }
    if (completed && s_insert_rows(db, run_id, kpis, depts, ticks_expected, sha, yaml, why,
                                   sizeof why, &completed, err, errlen) != 0) {
        goto done;
    }
    if (cx_exp_db_exec(db, "COMMIT", err, errlen) != 0) {
        goto done;
    }
    in_tx = false;
    out = completed ? 1 : 0;
    if (!completed) {
        snprintf(err, errlen, "%s", why);
    }
done:
    if (in_tx) {
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(rj);
    free(kpis);
    free(depts);
    free(yaml);
    free(text);
    return out;
}
