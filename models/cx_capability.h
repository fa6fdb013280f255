/*  cx_capability — what a maturity level can do: the capability profile of
 *  a touchpoint, a department or the organisation at a continuous maturity
 *  1.0 .. 5.0, and the organisational modifiers of seed 004 (who owns CX,
 *  how governance fits the maturity).
 *
 *  Every value is linear in maturity between its level-1 (`*_low`) and
 *  level-5 (`*_high`) parameter, so a reader can recompute it by hand
 *  (docs/MODEL.md, "Capability profile"). Pure functions, no state.
 */
#ifndef CX_CAPABILITY_H
#define CX_CAPABILITY_H

#include "cx_params.h"
#include "cx_scenario.h"

/* What one maturity level delivers. */
typedef struct {
    double maturity;             /* the maturity it was computed for, clamped to 1..5 */
    double quality;              /* mean pillar score, 0..10 */
    double spread;               /* standard deviation of pillar scores */
    double fcr;                  /* first-contact resolution chance, 0..1 */
    double handoff_success;      /* chance a hand-off keeps its context, 0..1 */
    double data;                 /* data capability, 0..1 */
    double personalisation;      /* mean Personalisation score from data capability, 0..10 */
    double service_mult;         /* service-rate multiplier relative to level 3 */
    double cost_per_interaction; /* currency per interaction served */
    double change_speed;         /* speed-of-change multiplier of transitions */
    double automation;           /* share of technology-dependent work automated */
    double engagement;           /* target employee engagement, 0..100 */
} cx_capability_t;

/* Fills cap for maturity m (clamped to 1..5) under parameters p. */
void cx_capability_of(const cx_params_t *p, double m, cx_capability_t *cap);

/* Linear interpolation between the level-1 value lo and the level-5 value
 * hi at maturity m (clamped to 1..5). */
double cx_capability_lerp(double lo, double hi, double m);

/* Maturity of a touchpoint with IT dependence itd (0..1) in a department at
 * maturity m_dept when IT is at m_it: IT's level shapes the share
 * itd x it_reach, the department's own the rest. */
double cx_capability_touchpoint_maturity(const cx_params_t *p, double m_dept, double m_it,
                                         double itd);

/* IT's maturity as the touchpoints see it while a share `outage` (0..1) of
 * its capacity is down: systems that are down serve as at level 1. */
double cx_capability_it_maturity(double m_it, double outage);

/* How well governance g fits an organisation at mean maturity m: 1 at the
 * governance's ideal maturity, falling as a Gaussian of width
 * gov_fit_width. Misfit is 1 - fit. */
double cx_governance_fit(const cx_params_t *p, int g, double m);

/* Speed of change of a department at maturity m under owner and
 * governance (multiplier; ramp durations are divided by it). */
double cx_change_speed(const cx_params_t *p, double m, int owner, int governance,
                       double mean_maturity);

#endif
