/*  cx_exp_summary — per grid point, the mean and Student-t 95% confidence
 *  interval of the final KPIs over the completed replicates: into the
 *  database's summary table, into DIR/summary.csv, and as a table on a
 *  stream.
 *
 *  "Final" is the KPI's value at the last tick of each run, and, when the
 *  experiment recorded a window (meta window_ticks, from --window DAYS), its
 *  mean over the last window_ticks ticks, named window_<column> (what the
 *  printed table shows). Totals over the whole run are summarised too, named
 *  total_<column>: total_revenue, total_cost, total_investment,
 *  total_acquired, total_churned (sums of the per-tick values over every
 *  tick).
 *
 *  Ownership: nothing kept. Errors: -1 with a message in err.
 */
#ifndef CX_EXP_SUMMARY_H
#define CX_EXP_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "cx_exp_db.h"

/* The KPIs summarised, in summary.csv order. */
extern const char *const cx_exp_summary_kpis[];
extern const int cx_exp_summary_n_kpis;

/* Formats "mean ± half" with as many decimals as the half-width's second
 * significant digit needs (at most 4), or "mean" alone when half is NaN. */
void cx_exp_fmt_ci(char *buf, size_t cap, double mean, double half);

/* Recomputes the summary of every point in db; writes root/summary.csv
 * (atomically) and, when out is not NULL, prints the table. Returns 0 or
 * -1. */
int cx_exp_summary(cx_exp_db_t *db, const char *root, FILE *out, char *err, size_t errlen);

#endif
