/*  cx_report — an offline, self-contained HTML report of a run directory or
 *  a compare directory: one XHTML page with inline CSS and inline SVG
 *  charts (cx_svg), no script, no network, no external font or image, so
 *  that it can be forwarded by e-mail and opened anywhere.
 *
 *  A run directory (it has kpis.csv) gives: the scenario's name and
 *  description (scenario.resolved.yaml, through the project's loader), the
 *  run's facts (seed, ticks, customers, status from summary.json), the
 *  headline KPIs at the first and last tick, and line charts over ticks
 *  with the timeline events as labelled markers.
 *
 *  A sweep directory (it has sweep.db, opened read-only) gives: the
 *  scenario, the swept parameters and their values, the replicates and
 *  the runs completed and failed; a table of each grid point's final-KPI
 *  means with 95% confidence intervals (the numbers of summary.csv, from
 *  the same code); the final NPS, churn rate, customers and total revenue
 *  against the first swept parameter with error bars (one line per
 *  combination of the others); and each point's mean NPS per tick with
 *  its 95% band.
 *
 *  A sensitivity directory (sensitivity.db), an optimise directory
 *  (optimise.db) and a calibration directory (calibration.db) each get
 *  their own page (cx_report_sens.c, cx_report_opt.c, cx_report_calib.c;
 *  docs/EXPERIMENTS.md describes what they hold). A check directory
 *  (check.db, cxsim check) gives the table of the checks and, per check,
 *  a small chart of both sides over time (cx_report_check.c).
 *
 *  A compare directory (it has compare.db) gives: baseline and scenario
 *  means per tick with 95% confidence bands (Student t over replicates),
 *  paired deltas with bands, the payback chart (payback.csv) and the
 *  final-KPI delta table (compare.csv). The database is opened read-only.
 *
 *  The page is a pure function of the directory's files: no time stamp,
 *  no absolute path, fixed number formats; the same directory gives a
 *  byte-identical page.
 *
 *  Ownership: the caller owns `html` (a cx_buf_t, cx_buf_fini).
 *  Errors: cx_report_build returns 0 on success; 1 when a file cannot be
 *  read (or is malformed) or memory runs out; 2 when `dir` does not exist
 *  or is none of these kinds of directory. A message goes into err
 *  whenever the result is not 0.
 */
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include <stddef.h>

#include "cx_exp_util.h"

#define CX_REPORT_OK 0
#define CX_REPORT_UNREADABLE 1
#define CX_REPORT_NOT_A_RESULT 2

typedef enum {
    CX_REPORT_RUN = 1,
    CX_REPORT_COMPARE = 2,
    CX_REPORT_SWEEP = 3,
    CX_REPORT_SENSITIVITY = 4,
    CX_REPORT_OPTIMISE = 5,
    CX_REPORT_CALIBRATION = 6,
    CX_REPORT_CHECK = 7,
    CX_REPORT_ATTRIBUTION = 8
} cx_report_kind_t;

/* What dir holds: CX_REPORT_RUN, CX_REPORT_COMPARE, CX_REPORT_SWEEP,
 * CX_REPORT_SENSITIVITY, CX_REPORT_OPTIMISE, CX_REPORT_CALIBRATION,
 * CX_REPORT_CHECK or CX_REPORT_ATTRIBUTION (attribution.csv and shares.csv), or -1 with a message (it does not exist, is not a
 * directory, or holds none of kpis.csv, compare.db, sweep.db,
 * sensitivity.db, optimise.db, calibration.db and check.db). */
int cx_report_kind(const char *dir, char *err, size_t errlen);

/* Builds the report of dir into html (appended). */
int cx_report_build(const char *dir, cx_buf_t *html, char *err, size_t errlen);

#endif
