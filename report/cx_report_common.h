/*  cx_report_common — the pieces shared by the run page (cx_report_run.c)
 *  and the compare page (cx_report_compare.c): growable vectors of
 *  numbers, the result files' CSV rows, paths, the trailing mean drawn
 *  over noisy series, the timeline events as labelled markers, and the
 *  KPIs' labels and units as the pages show them (from the KPI table).
 *
 *  Ownership: a cx_report_vec_t owns its values (cx_report_vec_free);
 *  nothing else is kept. Errors: cx_report_csv returns 0, or
 *  CX_REPORT_UNREADABLE with a message in err; an append that runs out of
 *  memory sets the vector's `oom` flag.
 */
#ifndef CX_REPORT_COMMON_H
#define CX_REPORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_csv.h"
#include "cx_scenario.h"
#include "cx_svg.h"

#define CX_REPORT_LABEL_MAX 160 /* longest marker label */

typedef struct {
    double *v; /* values */
    int n;     /* used */
    int cap;   /* allocated */
    bool oom;  /* an append failed */
} cx_report_vec_t;

/* Appends x (sets a->oom when memory runs out). */
void cx_report_vec_push(cx_report_vec_t *a, double x);

/* Frees the values and empties the vector. */
void cx_report_vec_free(cx_report_vec_t *a);

/* s as a number: NaN when empty, NULL or not wholly a number. */
double cx_report_num(const char *s);

/* dir/name is a regular file. */
bool cx_report_is_file(const char *dir, const char *name);

/* The last component of path (path itself when it ends in '/'). */
const char *cx_report_basename(const char *path);

/* cx_csv_read (runtime/cx_csv.h) on dir/name, CX_REPORT_UNREADABLE on
 * error. */
typedef cx_csv_row_fn cx_report_row_fn;
int cx_report_csv(const char *dir, const char *name, const char *const *cols, int ncols,
                  cx_report_row_fn fn, void *ud, char *err, size_t errlen);

/* Trailing mean of the last `w` finite values up to each index. */
void cx_report_trailing_mean(const double *v, int n, int w, double *out);

typedef struct {
    cx_svg_marker_t m[CX_MAX_EVENTS];               /* one per tick with events */
    char label[CX_MAX_EVENTS][CX_REPORT_LABEL_MAX]; /* their labels */
    int n;                                          /* used */
} cx_report_marks_t;

/* One marker per tick that has events (keep[i] false leaves event i out;
 * keep may be NULL), labelled "t=8 it→4, marketing→4". */
void cx_report_marks(const cx_scenario_t *sc, const bool *keep, cx_report_marks_t *mk);

/* A KPI column's label in the KPI table (models/cx_kpi_cols.c), or name
 * when it is no column. */
const char *cx_report_kpi_label(const char *name);

/* A KPI column's unit as a chart's axis shows it: the table's unit up to
 * its first comma ("points, -100 to 100": "points"), into out; "" when it
 * is no column. Returns out. */
const char *cx_report_kpi_axis(const char *name, char *out, size_t cap);

/* prefix and a KPI column's label as a title goes on ("Final " and "Churn
 * rate": "Final churn rate"; an abbreviation as it is: "Final NPS"), into
 * out. Returns out. */
const char *cx_report_kpi_title(const char *prefix, const char *name, char *out, size_t cap);

#endif
