/*  cx_exp_calib_unc — the uncertainty of calibrated parameters from the
 *  curvature of the objective at the optimum (docs/EXPERIMENTS.md,
 *  "Uncertainty of the fitted parameters").
 *
 *  J is a weighted sum of squared residuals (cx_exp_calib.h: per KPI, the
 *  mean squared error over its observed ticks divided by the observed
 *  variance). Near its minimum theta^ it is a quadratic,
 *      J(theta) ~ J^ + 1/2 (theta - theta^)' H (theta - theta^),
 *  and the usual nonlinear least-squares approximation gives
 *      cov(theta^) = 2 s2 H^-1,    s2 = J^ / (N - p)
 *  (N observed values fitted, p parameters; s2 the residual variance in
 *  J's units, which carries both the observations' noise and what the R
 *  replicates leave of the simulation's). The interval of parameter j is
 *  theta^_j -/+ t(0.975, N - p) x sqrt(cov_jj).
 *
 *  H comes from no new run: a quadratic in theta is fitted by least
 *  squares to the K evaluations nearest the best one (distances in units
 *  of each parameter's range; K = 2 x (1 + p + p(p+1)/2) + 1, or all of
 *  them when fewer; repeated points once). No interval (NaN) when there
 *  are fewer distinct points than coefficients, when N <= p, or when the
 *  fitted H is not positive definite (a flat or ill-defined minimum).
 *
 *  Ownership: caller storage; scratch is allocated and freed here.
 *  Errors: -1 only on out of memory; an undefined interval is NaN.
 */
#ifndef CX_EXP_CALIB_UNC_H
#define CX_EXP_CALIB_UNC_H

#include "cx_exp_calib.h"

/* x[e * np + p]: the parameters of evaluation e, f[e] its objective
 * (non-finite: skipped); best: the index of the best evaluation; lo/hi the
 * parameters' ranges; n_values the N above. Fills se[p] (standard error)
 * and ci_lo[p], ci_hi[p] (NaN when undefined). Returns 0, or -1. */
int cx_calib_unc(const double *x, const double *f, int n_eval, int np, int best,
                 const double *lo, const double *hi, int n_values, double *se, double *ci_lo,
                 double *ci_hi);

/* The N above: the observed values (not NaN) of the KPI columns
 * cols[0..nc-1] of obs. */
int cx_calib_obs_count(const cx_calib_obs_t *obs, const int *cols, int nc);

/* Solves the n x n system a x = b in place (a row-major, b gets x) by
 * Gaussian elimination with partial pivoting. Returns 0, or -1 when a is
 * singular. */
int cx_calib_solve(double *a, double *b, int n);

#endif
