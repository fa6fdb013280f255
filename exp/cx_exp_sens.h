/*  cx_exp_sens — one-at-a-time local sensitivity analysis of the model's
 *  parameters (`cxsim sensitivity`): where to evaluate each parameter, and
 *  the paired central differences and elasticities over replicates.
 *
 *  For a parameter at base value p with allowed range [min, max] and a
 *  relative step delta (0 < delta <= 0.5):
 *      p- = p x (1 - delta),  p+ = p x (1 + delta)            when p != 0
 *      p- = p - delta x (max - min), p+ = p + delta x (max - min)
 *                                                            when p == 0
 *  each clamped into [min, max], then written with 12 significant digits
 *  and read back, so that p- and p+ are exactly the values the runs get.
 *  A side clamped onto p makes the difference one-sided (forward or
 *  backward); the formulas below stay the same.
 *
 *  Per replicate r (common random numbers: the same seed at p-, p and p+),
 *      d_r = (K_r(p+) - K_r(p-)) / (p+ - p-)
 *      e_r = d_r x p / K_r(p)
 *      c_r = d_r x w                 (the change of K across the step)
 *  where w is the step's nominal width, 2 delta |p| (or 2 delta (max - min)
 *  when p == 0) before clamping: c_r = K_r(p+) - K_r(p-) when neither side
 *  is clamped, and a clamped (one-sided) step is scaled to the same width,
 *  so that changes of different parameters compare in the KPI's own units.
 *  Parameters are ranked by |mean c| (cx_exp_sens_rank).
 *  Mean with a Student-t 95% interval over the replicates (cx_exp_ci).
 *  e_r is left out for a replicate whose K_r(p) is 0; the elasticity is
 *  undefined (NaN) when p is 0. It is shown only where the base is far
 *  from zero (cx_exp_sens_elastic): |mean K(p)| >= CX_EXP_SENS_FAR x S,
 *  S the KPI's scale (cx_exp_sens_scale): near 0 an elasticity flips sign
 *  and grows without bound for the same change.
 *
 *  Everything here is computation on numbers: no process, no database
 *  (the command pairs cx_exp_db_finals of the three points).
 *
 *  Ownership: caller storage only; nothing is allocated that the caller
 *  must free. Errors: -1 (with a message in err where there is one);
 *  undefined statistics are NaN, never a crash.
 */
#ifndef CX_EXP_SENS_H
#define CX_EXP_SENS_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_stats.h"

/* Where one parameter is evaluated. */
typedef struct {
    double base;       /* p */
    double low;        /* p-, as run */
    double high;       /* p+, as run */
    bool absolute;     /* p == 0: the step is delta x (max - min) */
    bool clamped_low;  /* p- was raised to min */
    bool clamped_high; /* p+ was lowered to max */
    char low_text[32]; /* p- as passed to --set (12 significant digits) */
    char high_text[32];
    char base_text[32];
    double width;      /* nominal p+ - p- before clamping: 2 delta |p| or 2 delta (max - min) */
} cx_exp_sens_step_t;

/* The elasticity is shown where |mean K(p)| >= CX_EXP_SENS_FAR x the KPI's scale. */
#define CX_EXP_SENS_FAR 0.1

/* One parameter and KPI: the statistics over the paired replicates. */
typedef struct {
    int n;                  /* replicates with p-, p and p+ all completed */
    int n_elasticity;       /* of them, those with K(p) != 0 */
    double kpi_base_mean;   /* mean of K(p) over the n replicates */
    cx_exp_ci_t derivative; /* d: mean and 95% CI */
    cx_exp_ci_t elasticity; /* e: mean and 95% CI (NaN when p == 0) */
    cx_exp_ci_t change;     /* c = d x width: mean and 95% CI, in the KPI's units */
} cx_exp_sens_stat_t;

/* The scale S of a KPI for the elasticity rule: its span where it has a
 * fixed one that includes negative values (nps, window_nps: 200 points,
 * -100 to 100), else max_abs, the largest |K| over the analysis's runs
 * (every other KPI is non-negative). */
double cx_exp_sens_scale(const char *kpi, double max_abs);

/* Whether the elasticity of a KPI whose base mean is kpi_base_mean and
 * scale is `scale` is shown: |kpi_base_mean| >= CX_EXP_SENS_FAR x scale,
 * both finite and scale > 0. */
bool cx_exp_sens_elastic(double kpi_base_mean, double scale);

/* Formats v with 12 significant digits ("%.12g"; "-0" becomes "0"). */
void cx_exp_sens_fmt(char *buf, size_t cap, double v);

/* Fills *st for base value p, allowed range [min, max] and step delta.
 * Returns 0, or -1 (err) when delta is outside (0, 0.5], min >= max, p is
 * outside [min, max] or not finite, or p- == p+ after clamping. */
int cx_exp_sens_step(double p, double min, double max, double delta, cx_exp_sens_step_t *st,
                     char *err, size_t errlen);

/* Pairs three series of (replicate, value), each sorted by replicate
 * (as cx_exp_db_finals returns them), keeping the replicates present in
 * all three with no NaN value: fills lo, base, hi (room for the shortest
 * series) and reps (may be NULL). Returns how many. */
int cx_exp_sens_align(const int *r_lo, const double *v_lo, int n_lo, const int *r_base,
                      const double *v_base, int n_base, const int *r_hi, const double *v_hi,
                      int n_hi, double *lo, double *base, double *hi, int *reps);

/* The statistics of one parameter and KPI from n paired replicates
 * k_lo[i], k_base[i], k_hi[i] (K at p-, p, p+). work must have room for n
 * doubles. Returns 0, or -1 when p- == p+ (nothing is computed). */
int cx_exp_sens_compute(const cx_exp_sens_step_t *st, const double *k_lo, const double *k_base,
                        const double *k_hi, int n, double *work, cx_exp_sens_stat_t *out);

/* Ranks n values by decreasing |v| (1 = largest); NaN values come last;
 * ties keep their input order. rank gets each value's rank. */
void cx_exp_sens_rank(const double *v, int n, int *rank);

/* A text bar for value v on a scale where |vmax| fills `width` characters
 * per side: `width` characters left of '|' for negative values, `width`
 * right of it for positive ones ('#' proportional to |v|, at least one '#'
 * for a non-zero v). NaN gives blanks. buf needs 2 x width + 2 bytes. */
void cx_exp_sens_bar(char *buf, size_t cap, double v, double vmax, int width);

#endif
