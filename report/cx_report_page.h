/*  cx_report_page — the page pieces shared by the report modules
 *  (cx_report.c: run and compare directories; cx_report_sweep.c: sweep
 *  directories), so that every report has the same head, style, footer,
 *  fact rows and figures.
 *
 *  Text arguments are escaped (cx_svg_escape) where they are written.
 *  Ownership: nothing kept. Errors: out of memory is recorded in the
 *  buffer's `oom` flag.
 */
#ifndef CX_REPORT_PAGE_H
#define CX_REPORT_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_util.h"
#include "cx_svg.h"

/* The doctype, <html>, <head> with the inline style, and <body>. */
void cx_report_page_head(cx_exp_buf_t *b, const char *title);

/* The footer naming the files the page was made from, and the page's end. */
void cx_report_page_foot(cx_exp_buf_t *b, const char *sources);

/* One <tr><th>name</th><td>value</td></tr> of a facts table. */
void cx_report_fact(cx_exp_buf_t *b, const char *name, const char *value);

/* A <figure id="fig-ID"> holding the chart and its caption. */
void cx_report_figure(cx_exp_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                      const cx_svg_marker_t *m, int nm, const char *caption);

/* dir/name into buf; -1 when it does not fit. */
int cx_report_join(char *buf, size_t cap, const char *dir, const char *name);

/* ---- experiment databases (cx_report_exp.c), shared by the sensitivity,
 * calibration and optimise pages. Every function returns 0, or
 * CX_REPORT_UNREADABLE with a message in err. */

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
void cx_report_db_scenario(struct sqlite3 *db, long long point, char *name, size_t ncap,
                           char *file, size_t fcap, char *tick_unit, size_t ucap);

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

/* v as "%.<sig>g" (the experiment CSVs write %.10g, %.12g for parameter
 * values, %.17g in optimise.csv), "" for NaN. */
void cx_report_g(char *buf, size_t cap, double v, int sig);

/* Decimals that show v to about 4 significant digits (0 .. 6). */
int cx_report_decimals(double v);

/* A <td class="num CLS"> with data-value="%.<sig>g of v" (the CSV's text)
 * and v shown with `decimals` decimals ("-" for NaN; a "+" on positive
 * values when signed_). */
void cx_report_num_cell(cx_exp_buf_t *b, const char *cls, double v, int sig, int decimals,
                        bool signed_);

/* The sweep report (cx_report_sweep.c): dir holds sweep.db, opened
 * read-only. Returns 0, or CX_REPORT_UNREADABLE with a message in err. */
int cx_report_sweep_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);

/* The pages of the experiment directories: dir holds sensitivity.db
 * (cx_report_sens.c), optimise.db (cx_report_opt.c) or calibration.db
 * (cx_report_calib.c), opened read-only. */
int cx_report_sens_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);
int cx_report_opt_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);
int cx_report_calib_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);
/* The page of a check directory: check.db (cx_report_check.c). */
int cx_report_check_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);

#endif
