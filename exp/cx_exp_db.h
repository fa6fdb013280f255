/*  cx_exp_db — the results database of an experiment (DIR/sweep.db or
 *  DIR/compare.db), in SQLite.
 *
 *  Tables (docs/EXPERIMENTS.md shows queries):
 *      meta(key, value)            what the experiment is: schema version, command,
 *                                  scenario, base seed, seeding, cxsim version
 *      points(point, key, label, scenario, params, planned)
 *                                  one row per grid point; params is a JSON object
 *                                  of its overrides; planned = replicates planned
 *      params(point, key, value, num)
 *                                  the same overrides, one row each (num = value as
 *                                  a number, NULL when it is not one)
 *      runs(run_id, point, replicate, seed, status, reason, params, sets,
 *           scenario, scenario_sha256, cxsim_version, engine, host, command,
 *           started, finished, wall_seconds, ticks, last_tick, run_dir)
 *                                  one row per finished run: status 'completed' or
 *                                  'failed'
 *      scenarios(sha256, yaml)     every completed run's resolved scenario, by hash
 *      kpis(run_id, tick, <every column of kpis.csv>)
 *      departments(run_id, tick, department, <every column of departments.csv>)
 *      summary(point, kpi, n, mean, sd, half_width, ci_low, ci_high)
 *                                  rewritten by cx_exp_summary
 *  Views: final_kpis (the last tick of every completed run, with point and
 *  replicate), run_params (runs with their point's params).
 *
 *  Invariants:
 *   1. A run is recorded by cx_exp_db_import in ONE transaction: its runs
 *      row with status 'completed' and all its kpis and departments rows
 *      appear together or not at all, so a crash or a kill never leaves a
 *      half-recorded run that looks complete.
 *   2. A run is imported as completed only when its run.json says the
 *      process exited 0, its summary.json says "completed", kpis.csv has
 *      one row per tick, and the resolved scenario's SHA-256 is the one
 *      planned.
 *   3. (point, replicate) is unique; importing a run already completed
 *      does nothing, so importing is idempotent.
 *
 *  Ownership: cx_exp_db_open returns a handle the caller closes with
 *  cx_exp_db_close (NULL-safe, sets the pointer to NULL).
 *  Errors: -1 with a message in the caller's err buffer.
 */
#ifndef CX_EXP_DB_H
#define CX_EXP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cx_exp_db cx_exp_db_t;

#define CX_EXP_SCHEMA_VERSION 1

/* Opens (creating when missing) the database at path and its schema. */
cx_exp_db_t *cx_exp_db_open(const char *path, char *err, size_t errlen);
void cx_exp_db_close(cx_exp_db_t **db_p);

/* meta table. get returns 1 and copies the value (cut to cap) when the key
 * exists, 0 when it does not, -1 on error. */
int cx_exp_db_meta_set(cx_exp_db_t *db, const char *key, const char *value, char *err,
                       size_t errlen);
int cx_exp_db_meta_get(cx_exp_db_t *db, const char *key, char *value, size_t cap);

/* The values of the meta keys starting with prefix, joined by '\n', into
 * buf (cut to cap). Returns how many, or -1. */
int cx_exp_db_meta_prefixed(cx_exp_db_t *db, const char *prefix, char *buf, size_t cap);

/* The id of the point with this key, inserting it (and its params rows)
 * when new. params_json is a JSON object of KEY: VALUE. Returns the id
 * (>= 1) or -1. */
long long cx_exp_db_point(cx_exp_db_t *db, const char *key, const char *label, const char *scenario,
                          const char *params_json, char *err, size_t errlen);

/* Planned replicates of a point (0 when never set). */
int cx_exp_db_planned(cx_exp_db_t *db, long long point);
int cx_exp_db_set_planned(cx_exp_db_t *db, long long point, int planned, char *err, size_t errlen);

/* State of a run: 1 completed (sha gets its scenario hash when not NULL),
 * 0 not recorded or failed, -1 error. */
int cx_exp_db_run_done(cx_exp_db_t *db, long long point, int replicate, char sha[65]);

/* Counts completed runs (point < 0: all points). */
long long cx_exp_db_count_completed(cx_exp_db_t *db, long long point);
/* Counts runs recorded as failed (a later completed attempt replaces the
 * failed row). */
long long cx_exp_db_count_failed(cx_exp_db_t *db);
/* The completed runs of point: how many, their total wall seconds and
 * ticks (what a Slurm submission sizes its tasks from). Returns the count,
 * 0 when none, -1 on error. */
int cx_exp_db_point_cost(cx_exp_db_t *db, long long point, double *wall, double *ticks);

/* Imports the finished run in run_dir (absolute, or relative to the
 * current directory), whose run.json the executor wrote; rel_dir is what
 * is recorded in runs.run_dir. Returns 1 when recorded as completed, 0
 * when recorded as failed (reason in err), 2 when already recorded
 * (completed, or this same failed attempt: nothing done), -1 on error (nothing recorded; message in
 * err). */
int cx_exp_db_import(cx_exp_db_t *db, const char *run_dir, const char *rel_dir, char *err,
                     size_t errlen);

/* Final values of a KPI for the completed replicates of a point, by
 * replicate. kpi is a kpis column (value at the run's last tick),
 * "total_<column>" (sum over every tick) or "window_<column>" (mean over the
 * last meta 'window_ticks' ticks: unknown, -1, in a database that has none). Fills up to cap entries of
 * replicates (may be NULL) and values; returns how many there are (may
 * exceed cap), or -1 (unknown column or error). */
int cx_exp_db_finals(cx_exp_db_t *db, long long point, const char *kpi, int *replicates,
                     double *values, int cap);

/* Per-tick values of a kpis column of one run (by point and replicate),
 * ordered by tick; ticks (may be NULL) gets the tick numbers. Returns the
 * number of ticks (may exceed cap), or -1. */
int cx_exp_db_series(cx_exp_db_t *db, long long point, int replicate, const char *column,
                     int *ticks, double *values, int cap);

/* True when kpis has this column. */
bool cx_exp_db_has_column(cx_exp_db_t *db, const char *column);

/* The columns of the kpis table (every column of the kpis.csv files
 * imported, run_id and tick left out) as a heap array of heap strings
 * (*names, the caller frees each and the array). Returns how many, or -1
 * (error or out of memory; *names NULL). */
int cx_exp_db_kpi_columns(cx_exp_db_t *db, char ***names);

/* The ids of every point, in id order; returns how many (may exceed cap),
 * or -1. */
int cx_exp_db_points(cx_exp_db_t *db, long long *ids, int cap);

/* A point's params JSON and label into caller buffers (cut to cap).
 * Returns 0, or -1 when it does not exist. */
int cx_exp_db_point_info(cx_exp_db_t *db, long long point, char *params, size_t pcap, char *label,
                         size_t lcap);

/* Value of params key `key` at a point into buf ("" when absent). */
int cx_exp_db_param(cx_exp_db_t *db, long long point, const char *key, char *buf, size_t cap);

/* Distinct params keys over every point, in first-seen order, as one
 * heap string of '\n'-separated keys (the caller frees). NULL on error. */
char *cx_exp_db_param_keys(cx_exp_db_t *db);

/* The text at JSON path `path` (e.g. "$.status") of a JSON document, copied
 * into out (cut to cap). Returns 1 when found, 0 when absent or not valid
 * JSON, -1 on out of memory. Paths as cx_json_path reads them; values as
 * cx_json_value_text writes them (as SQLite's json_extract did). */
int cx_exp_json_text(const char *json, const char *path, char *out, size_t cap);

/* Runs one statement: ?1 bound to text (when not NULL), then the next
 * parameters to v[0..nv-1] (NaN as NULL). */
int cx_exp_db_exec_bind(cx_exp_db_t *db, const char *sql, const char *text, const double *v, int nv,
                        char *err, size_t errlen);

/* Runs raw SQL (no result rows). */
int cx_exp_db_exec(cx_exp_db_t *db, const char *sql, char *err, size_t errlen);

/* Replaces the summary rows of a point and KPI. */
int cx_exp_db_summary_put(cx_exp_db_t *db, long long point, const char *kpi, int n, double mean,
                          double sd, double half, double lo, double hi, char *err, size_t errlen);

#endif
