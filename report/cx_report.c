/*  cx_report — which kind of result directory, and the page of each kind
 *  (see cx_report.h). The pages are modules of their own (cx_report_pages.h);
 *  they share the pieces of cx_report_page.c and call nothing here.
 *
 *      cx_report_run.c      run directories (kpis.csv, departments.csv, summary.json)
 *      cx_report_compare.c  compare directories (compare.db, compare.csv, payback.csv)
 *      cx_report_sweep.c    sweep directories (sweep.db)
 *      cx_report_sens.c, cx_report_opt.c, cx_report_calib.c, cx_report_check.c
 *                           sensitivity, optimise, calibration and check directories
 *      cx_report_attr.c     attribution directories (attribution.csv, shares.csv)
 *
 *  Errors: cx_report_kind returns -1 with a message; cx_report_build returns
 *  CX_REPORT_NOT_A_RESULT, or what the page returns.
 */
#include "cx_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_report_common.h"
#include "cx_report_pages.h"

int cx_report_kind(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "%.3000s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%.3000s: not a directory", dir);
        return -1;
    }
    if (cx_report_is_file(dir, "compare.db")) {
        return CX_REPORT_COMPARE;
    }
    if (cx_report_is_file(dir, "kpis.csv")) {
        return CX_REPORT_RUN;
    }
    if (cx_report_is_file(dir, "sweep.db")) {
        return CX_REPORT_SWEEP;
    }
    if (cx_report_is_file(dir, "sensitivity.db")) {
        return CX_REPORT_SENSITIVITY;
    }
    if (cx_report_is_file(dir, "optimise.db")) {
        return CX_REPORT_OPTIMISE;
    }
    if (cx_report_is_file(dir, "calibration.db")) {
        return CX_REPORT_CALIBRATION;
    }
    if (cx_report_is_file(dir, "check.db")) {
        return CX_REPORT_CHECK;
    }
    if (cx_report_is_file(dir, "attribution.csv") && cx_report_is_file(dir, "shares.csv")) {
        return CX_REPORT_ATTRIBUTION;
    }
    snprintf(err, errlen,
             "%.3000s is neither a run directory (kpis.csv), a compare directory "
             "(compare.db), a sweep directory (sweep.db), a sensitivity directory "
             "(sensitivity.db), an optimise directory (optimise.db), a calibration "
             "directory (calibration.db), a check directory (check.db) nor an attribution "
             "directory (attribution.csv, shares.csv)",
             dir);
    return -1;
}

int cx_report_build(const char *dir, cx_buf_t *html, char *err, size_t errlen)
{
    int kind = cx_report_kind(dir, err, errlen);
    if (kind < 0) {
        return CX_REPORT_NOT_A_RESULT;
    }
    switch (kind) {
    case CX_REPORT_COMPARE:
        return cx_report_compare_page(dir, html, err, errlen);
    case CX_REPORT_SWEEP:
        return cx_report_sweep_page(dir, html, err, errlen);
    case CX_REPORT_SENSITIVITY:
        return cx_report_sens_page(dir, html, err, errlen);
    case CX_REPORT_OPTIMISE:
        return cx_report_opt_page(dir, html, err, errlen);
    case CX_REPORT_CALIBRATION:
        return cx_report_calib_page(dir, html, err, errlen);
    case CX_REPORT_CHECK:
        return cx_report_check_page(dir, html, err, errlen);
    case CX_REPORT_ATTRIBUTION:
        return cx_report_attr_page(dir, html, err, errlen);
    default:
        return cx_report_run_page(dir, html, err, errlen);
    }
}
