/*  cx_exp_calib — calibration of model parameters against an observed KPI
 *  series (`cxsim calibrate`, docs/EXPERIMENTS.md "Calibration"): the
 *  observed file, the objective, and a bounded Nelder–Mead search.
 *
 *  Observed file (CSV): a header `tick,<kpi>,<kpi>...` whose KPI names are
 *  kpis.csv columns, then one row per observed tick (ticks may be sparse
 *  and in any order; each at most once). An empty cell means "not observed
 *  at this tick" for that KPI. Blank lines are ignored.
 *
 *  Objective, for KPI k observed at ticks O_k with values y_k(t), and the
 *  simulated series x_{k,r}(t) of replicates r = 1..R (common random
 *  numbers: the same R seeds at every parameter vector):
 *      m_k(t)  = (1/R) sum_r x_{k,r}(t)                  mean over replicates
 *      MSE_k   = (1/|O_k|) sum_{t in O_k} (m_k(t) - y_k(t))^2
 *      s_k     = (1/|O_k|) sum_{t in O_k} (y_k(t) - mean_t y_k)^2
 *                (population variance of the observed series); when it is
 *                0 (one observation, or a constant series): mean_t(y_k)^2,
 *                and 1 when that is 0 too
 *      J       = sum_k MSE_k / s_k
 *  so KPIs in different units weigh alike (J = number of KPIs when every
 *  simulated series is off by one observed standard deviation).
 *
 *  Search (cx_calib_nm): Nelder–Mead (reflection 1, expansion 2,
 *  contraction 0.5, shrink 0.5; Lagarias et al. 1998) in the box
 *  [lo, hi]. Every trial point is CLAMPED into the box coordinate by
 *  coordinate, then rounded to 12 significant digits (the text the runs
 *  get), so the point evaluated is exactly the point recorded. Initial
 *  simplex: x0, and for each coordinate j, x0 + step x (hi_j - lo_j) e_j
 *  (step 0.1 by default), taken downwards instead when it would leave the
 *  box. Stops when max_evals evaluations are spent ("max_evals"), or when
 *  every vertex lies within x_tol x (hi_j - lo_j) of the best vertex in
 *  every coordinate ("converged"), or when the callback fails ("aborted").
 *  Deterministic: no randomness; ties between equal values keep the
 *  earlier vertex first.
 *
 *  Everything here is computation on numbers and text: no process, no
 *  database.
 *
 *  Ownership: cx_calib_obs_t holds heap memory freed by
 *  cx_calib_obs_fini (safe on a zeroed or failed object); everything else
 *  is caller storage. Errors: -1 with a message in err; observed-file
 *  errors read "FILE:LINE: message".
 */
#ifndef CX_EXP_CALIB_H
#define CX_EXP_CALIB_H

#include <stddef.h>

#define CX_CALIB_MAX_PARAMS 16 /* parameters fitted at once */
#define CX_CALIB_MAX_KPIS 16   /* KPI columns of an observed file */

/* An observed series. */
typedef struct {
    int n_kpi;     /* KPI columns */
    char **kpi;    /* heap: their names, in file order */
    int n_obs;     /* observed ticks (data rows) */
    int *tick;     /* heap: n_obs ticks, in file order */
    double *value; /* heap: n_obs x n_kpi, value[i * n_kpi + k]; NaN when not observed */
    int *line;     /* heap: n_obs line numbers in the file */
} cx_calib_obs_t;

void cx_calib_obs_fini(cx_calib_obs_t *obs);

/* Parses the observed file's text; `name` is used in messages. Column
 * names must be among known[0..n_known-1] (an unknown one gets a "did you
 * mean"); ticks must lie in [0, ticks) when ticks > 0. Returns 0, or -1
 * with "name:line: message" in err (obs then holds nothing). */
int cx_calib_obs_parse(const char *name, const char *text, size_t len, const char *const *known,
                       int n_known, int ticks, cx_calib_obs_t *obs, char *err, size_t errlen);

/* The same from a file (read whole; at most 64 MiB). */
int cx_calib_obs_load(const char *path, const char *const *known, int n_known, int ticks,
                      cx_calib_obs_t *obs, char *err, size_t errlen);

/* The column index of KPI `kpi` in obs, or -1. */
int cx_calib_obs_column(const cx_calib_obs_t *obs, const char *kpi);

/* s_k of column k (see above). */
double cx_calib_scale(const cx_calib_obs_t *obs, int k);

/* The objective J for the KPI columns cols[0..nc-1] of obs. sim holds the
 * simulated values at the observed ticks: sim[(r * nc + c) * obs->n_obs + i]
 * is replicate r's value of KPI cols[c] at tick obs->tick[i]. For each c,
 * mse[c], rmse[c] and term[c] = mse[c] / s (each array may be NULL) are
 * filled. Returns J, or NaN when n_rep < 1 or a simulated value at an
 * observed tick is NaN. */
double cx_calib_objective(const cx_calib_obs_t *obs, const int *cols, int nc, const double *sim,
                          int n_rep, double *mse, double *rmse, double *term);

/* Picks, for each wanted tick want[0..n_want-1], the value at that tick of
 * a series (ticks[0..n-1] ascending, values[0..n-1]) into out (NaN when
 * the tick is absent). Returns how many were absent. */
int cx_calib_pick(const int *ticks, const double *values, int n, const int *want, int n_want,
                  double *out);

/* Rounds v to 12 significant digits (as "%.12g" prints it). */
double cx_calib_round12(double v);

/* The function minimised: sets *f for the point x (NaN or +inf: an
 * infeasible point, worse than any other). A non-zero return aborts the
 * search. */
typedef int(cx_calib_fn)(void *ud, const double *x, double *f);

typedef struct {
    int max_evals; /* evaluations at most (>= 1) */
    double step;   /* initial simplex: this share of each range (0 < step <= 1) */
    double x_tol;  /* converged: simplex within x_tol x range in every coordinate */
} cx_calib_nm_opts_t;

typedef struct {
    double f;         /* best value found (+inf when none was finite) */
    int evals;        /* evaluations made */
    int iterations;   /* Nelder–Mead iterations completed */
    const char *stop; /* "max_evals", "converged" or "aborted" (static) */
} cx_calib_nm_result_t;

/* Minimises fn over the box [lo, hi] (n dimensions, 1 <= n <=
 * CX_CALIB_MAX_PARAMS, lo_j < hi_j) from x0 (clamped into the box). best
 * (n doubles) gets the best point evaluated. Returns 0 (also when stopped
 * by max_evals), 1 when the callback aborted (best and res hold what was
 * found so far), or -1 (err) on invalid arguments. */
int cx_calib_nm(int n, const double *x0, const double *lo, const double *hi,
                const cx_calib_nm_opts_t *opts, cx_calib_fn *fn, void *ud, double *best,
                cx_calib_nm_result_t *res, char *err, size_t errlen);

#endif
