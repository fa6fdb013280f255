/*  cx_report_exp — reading the experiment databases for the report pages
 *  of sensitivity, calibration, optimise and check directories: read-only
 *  opening, meta values, the scenario's name, per-tick means with 95%
 *  bands over a point's completed runs.
 *
 *  Ownership: the caller closes the database and frees a series
 *  (cx_report_series_free). Errors: every function returning int returns
 *  0, or CX_REPORT_UNREADABLE with a message in err.
 */
#ifndef CX_REPORT_EXP_H
#define CX_REPORT_EXP_H

#include <stdbool.h>
#include <stddef.h>

struct sqlite3;

/* Opens dir/name read-only into *db (closed by the caller, also on error). */
int cx_report_db_open(const char *dir, const char *name, struct sqlite3 **db, char *err,
                      size_t errlen);

/* meta.value of key into out ("" when absent). */
void cx_report_db_meta(struct sqlite3 *db, const char *key, char *out, size_t cap);

/* The scenario's name and the base name of its file (meta "scenario", or
 * the file named by the first point), from the resolved YAML of the first
 * completed run of `point` (any point when point < 0). name gets "?" when
 * none loads; tick_unit the name of the tick's unit ("tick" then). */
void cx_report_db_scenario(struct sqlite3 *db, long long point, char *name, size_t ncap, char *file,
                           size_t fcap, char *tick_unit, size_t ucap);

/* A per-tick series over the completed runs of `point`: each run's `expr`
 * (an SQL expression over kpis columns, e.g. "nps" or "revenue - cost"),
 * summed from the first tick when cumulative; then per tick the mean over
 * the runs with its Student t 95% band. Fills *nt and malloc'ed tick,
 * mean, lo, hi (freed by the caller; NULL when no run). Runs whose ticks
 * differ from the first's are left out; *nruns gets the runs used. */
typedef struct {
    int nt, nruns;
    double *tick, *mean, *lo, *hi;
    double *per_run; /* nruns x nt values, run-major */
} cx_report_series_t;
int cx_report_db_series(struct sqlite3 *db, long long point, const char *expr, bool cumulative,
                        cx_report_series_t *out, char *err, size_t errlen);
void cx_report_series_free(cx_report_series_t *s);

#endif
