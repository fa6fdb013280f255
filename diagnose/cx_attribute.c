/*  cx_attribute — see cx_attribute.h. */
#include "cx_attribute.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cx_attr_touchpoints(const cx_scenario_t *sc, cx_attr_method_t method, double delta,
                        cx_attr_tp_t *out, int cap)
{
    if (!isfinite(delta)) {
        return -1;
    }
    int n = 0;
    for (int j = 0; j < sc->n_journey; j++) {
        const cx_journey_spec_t *js = &sc->journey[j];
        for (int t = 0; t < js->n_tp; t++) {
            if (n < cap) {
                const cx_touchpoint_spec_t *tp = &js->tp[t];
                cx_attr_tp_t *a = &out[n];
                memset(a, 0, sizeof *a);
                a->journey = j;
                a->tp = t;
                snprintf(a->name, sizeof a->name, "%s/%s", js->id, tp->id);
                snprintf(a->owner, sizeof a->owner, "%s",
                         tp->owner >= 0 && tp->owner < sc->n_dept ? sc->dept[tp->owner].id
                                                                  : "external");
                double v = tp->quality + delta;
                v = v < -10 ? -10 : (v > 10 ? 10 : v);
                if (method == CX_ATTR_PAIN) {
                    snprintf(a->set, sizeof a->set, "journeys.%s.touchpoints.%s.no_pain=true",
                             js->id, tp->id);
                } else {
                    snprintf(a->set, sizeof a->set, "journeys.%s.touchpoints.%s.quality=%.17g",
                             js->id, tp->id, v);
                }
            }
            n++;
        }
    }
    return n;
}

/* True when index i ranks before index j. */
static bool s_before(const double *score, int i, int j)
{
    bool ni = isnan(score[i]);
    bool nj = isnan(score[j]);
    if (ni != nj) {
        return nj;
    }
    if (!ni && score[i] != score[j]) {
        return score[i] > score[j];
    }
    return i < j;
}

void cx_attr_rank(const double *score, int n, int *order)
{
    /* Insertion sort: at most CX_ATTR_MAX_TP entries, and stable by index. */
    for (int i = 0; i < n; i++) {
        int k = i;
        while (k > 0 && s_before(score, i, order[k - 1])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
}
