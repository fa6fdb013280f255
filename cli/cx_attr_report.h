/*  cx_attr_report — the results of `cxsim attribute`: the KPIs of every
 *  run and the pain and delight shares of the as-is runs, read back from
 *  the runs' files, and the files written from them (attribution.csv,
 *  shares.csv, runs.csv, attribution.txt, which is also printed).
 *
 *  Ownership: cx_attr_result_t is caller storage (large: allocate it).
 *  Errors: -1, printed on stderr.
 */
#ifndef CX_ATTR_REPORT_H
#define CX_ATTR_REPORT_H

#include <stdint.h>

#include "cx_attribute.h"
#include "cx_dx_cmd.h"
#include "cx_tp_counts.h"

typedef struct {
    double kb[CX_GAP_MAX_REPS][CX_GAP_KPIS];                  /* the as-is runs' KPIs */
    double kt[CX_ATTR_MAX_TP][CX_GAP_MAX_REPS][CX_GAP_KPIS];  /* each changed run's */
    double share[CX_ATTR_MAX_TP][CX_GAP_MAX_REPS][CX_SHARES]; /* as-is shares, % */
    double inter[CX_ATTR_MAX_TP][CX_GAP_MAX_REPS];            /* as-is interactions */
} cx_attr_result_t;

/* Reads every run of x (arm 0 as is, arm 1 + t touchpoint t changed). */
int cx_attr_collect(cx_dx_runs_t *x, const cx_attr_tp_t *tps, int n_tp, cx_attr_result_t *res);

/* Ranks, writes the files into x's directory and prints the table. */
int cx_attr_report(cx_dx_runs_t *x, const cx_scenario_t *sc, const cx_attr_tp_t *tps, int n_tp,
                   cx_attr_method_t method, double delta, const cx_attr_result_t *res);

#endif
