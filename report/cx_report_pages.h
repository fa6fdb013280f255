/*  cx_report_pages — the page of each kind of result directory, one module
 *  each, called by cx_report_build (cx_report.c). Each writes a whole page
 *  into b (appended) from dir's files, read-only.
 *
 *  Ownership: nothing kept. Errors: 0, or CX_REPORT_UNREADABLE
 *  (cx_report.h) with a message in err.
 */
#ifndef CX_REPORT_PAGES_H
#define CX_REPORT_PAGES_H

#include <stddef.h>

#include "cx_exp_util.h"

/* A run directory: kpis.csv and the run's other files (cx_report_run.c). */
int cx_report_run_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);

/* A compare directory: compare.db, compare.csv, payback.csv
 * (cx_report_compare.c). */
int cx_report_compare_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);

/* The sweep report (cx_report_sweep.c): dir holds sweep.db, opened
 * read-only. Returns 0, or CX_REPORT_UNREADABLE with a message in err. */
int cx_report_sweep_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);

/* The pages of the experiment directories: dir holds sensitivity.db
 * (cx_report_sens.c), optimise.db (cx_report_opt.c) or calibration.db
 * (cx_report_calib.c), opened read-only. */
int cx_report_sens_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);
int cx_report_opt_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);
int cx_report_calib_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);
/* The page of a check directory: check.db (cx_report_check.c). */
int cx_report_check_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);
/* The page of an attribution directory (cxsim attribute): attribution.csv,
 * shares.csv, runs.csv (cx_report_attr.c). */
int cx_report_attr_page(const char *dir, cx_buf_t *b, char *err, size_t errlen);

#endif
