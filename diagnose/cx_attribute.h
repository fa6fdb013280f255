/*  cx_attribute — journey attribution (`cxsim attribute`): which touchpoints
 *  drive NPS, CES, churn and revenue, by a counterfactual per touchpoint
 *  with common random numbers (docs/MODEL.md, "Journey attribution").
 *
 *  For each replicate r the scenario runs once as it is and once per
 *  touchpoint with that touchpoint changed alone (N + 1 runs), all with the
 *  same seed. Two counterfactuals:
 *    pain   the touchpoint's pain removed (`no_pain: true`: an experience
 *           below the customer's expectation counts as meeting it): what
 *           its disappointments cost;
 *    raise  its `quality` raised by delta: what improving it would bring.
 *  A touchpoint's contribution to a KPI is the mean over replicates of
 *  KPI(changed) - KPI(as is), with its Student-t 95% CI; touchpoints are
 *  ranked by their contribution to NPS (the largest first; ties to the
 *  earlier journey and touchpoint).
 *
 *  Here: the touchpoints and their overrides, and the ranking; the runs
 *  and files are the command's (cli/cx_cmd_attribute.c), the KPIs of a run
 *  and the paired statistics cx_gap's.
 *
 *  Ownership: plain values in caller storage. Errors: -1 for invalid
 *  arguments.
 */
#ifndef CX_ATTRIBUTE_H
#define CX_ATTRIBUTE_H

#include <stddef.h>

#include "cx_scenario.h"

#define CX_ATTR_MAX_TP (CX_MAX_JOURNEYS * CX_MAX_TOUCHPOINTS) /* touchpoints in a scenario */

typedef enum { CX_ATTR_PAIN = 0, CX_ATTR_RAISE } cx_attr_method_t;

/* One touchpoint and the override that changes it. */
typedef struct {
    int journey;           /* journey index */
    int tp;                /* touchpoint index in the journey */
    char name[72];         /* "journey/touchpoint" */
    char owner[CX_ID_MAX]; /* owner department id, or "external" */
    char set[160];         /* "journeys.J.touchpoints.T.no_pain=true" or "...quality=V" */
} cx_attr_tp_t;

/* Every touchpoint of sc in journey order, with the override of the
 * method: no_pain=true, or its quality set to its own plus delta (clamped
 * to -10..10). Writes up to cap; returns how many there are, or -1 when
 * delta is not finite. */
int cx_attr_touchpoints(const cx_scenario_t *sc, cx_attr_method_t method, double delta,
                        cx_attr_tp_t *out, int cap);

/* order[0..n-1] = indices of score[] from the largest to the smallest
 * (NaN last; ties to the lower index). */
void cx_attr_rank(const double *score, int n, int *order);

#endif
