/*  cx_steady — the warm-up that finds a scenario's steady state
 *  (docs/MODEL.md, "Initialisation"). */
#include "cx_steady.h"

#include <stdlib.h>
#include <string.h>

#include "cx_rng.h"
#include "cx_shard.h"
#include "cx_world.h"

/* Keeps the warm-up's random streams apart from the run's. */
#define S_SEED_SALT UINT64_C(0x5354454144590001) /* "STEADY" */

cx_steady_t *cx_steady_new(const cx_scenario_t *sc)
{
    if (!sc || sc->n_persona < 1) {
        return NULL;
    }
    cx_steady_t *st = calloc(1, sizeof *st);
    cx_scenario_t *w = malloc(sizeof *w);
    if (!st || !w) {
        free(st);
        free(w);
        return NULL;
    }
    /* A scaled copy of the company: fewer customers, staff scaled alike so
     * every department carries the same load per person; no timeline. */
    *w = *sc;
    w->n_event = 0;
    w->seed = sc->seed ^ S_SEED_SALT;
    int64_t total = 0;
    for (int p = 0; p < sc->n_persona; p++) {
        total += sc->persona[p].customers;
    }
    double scale = total > CX_STEADY_CUSTOMERS ? (double)CX_STEADY_CUSTOMERS / (double)total : 1.0;
    st->scale = scale;
    for (int p = 0; p < w->n_persona; p++) {
        w->persona[p].customers = (int64_t)((double)sc->persona[p].customers * scale + 0.5);
        w->persona[p].shards = 1;
    }
    for (int d = 0; d < w->n_dept; d++) {
        w->dept[d].staff = sc->dept[d].staff * scale;
    }
    double days = cx_tick_days(sc->tick_unit);
    int ticks = (int)((double)CX_STEADY_DAYS / days + 0.5);
    if (ticks < 2) {
        ticks = 2;
    }
    w->ticks = ticks;
    cx_world_t *world = cx_world_new_cold(w, 1, 1);
    if (!world) {
        free(st);
        free(w);
        return NULL;
    }
    double exposure[CX_MAX_PERSONAS] = {0};
    double churned[CX_MAX_PERSONAS] = {0};
    int64_t pulled0[CX_MAX_PERSONAS] = {0};
    double referrals[CX_MAX_PERSONAS] = {0};
    double deterred[CX_MAX_PERSONAS] = {0};
    double nps_sum = 0.0;
    int nps_n = 0;
    int rc = 0;
    for (int t = 0; t < ticks && rc == 0; t++) {
        cx_kpi_row_t row;
        if (t == ticks / 2) {
            for (int p = 0; p < w->n_persona; p++) {
                cx_shard_stats_t ss;
                cx_shard_stats(cx_world_shard(world, p, 0), &ss);
                pulled0[p] = ss.pulled;
            }
        }
        rc = cx_world_step(world, NULL, &row);
        if (t < ticks / 2) {
            continue;
        }
        for (int p = 0; p < w->n_persona; p++) {
            const cx_tally_t *pt = cx_world_persona_tally(world, p);
            exposure[p] += (double)pt->customers_start * days;
            /* Churn as expected from the hazards (no counting noise), the
             * competitors' pull as it happened (below). */
            churned[p] += cx_shard_hazard_sum(cx_world_shard(world, p, 0)) * days;
            referrals[p] += (double)pt->referrals;
            deterred[p] += (double)pt->deterred;
        }
        if (row.respondents > 0) {
            nps_sum += row.nps;
            nps_n++;
        }
    }
    if (rc != 0) {
        cx_world_destroy(&world);
        free(st);
        free(w);
        return NULL;
    }
    for (int p = 0; p < w->n_persona; p++) {
        cx_shard_stats_t ss;
        cx_shard_stats(cx_world_shard(world, p, 0), &ss);
        churned[p] += (double)(ss.pulled - pulled0[p]);
        if (exposure[p] > 0.0) {
            st->churn_day[p] = churned[p] / exposure[p];
            st->referrals_day[p] = referrals[p] / exposure[p];
            st->deterred_day[p] = deterred[p] / exposure[p];
        }
        st->n_sample[p] =
            cx_shard_sample(cx_world_shard(world, p, 0), (uint32_t)ticks, days, st->sample[p],
                            CX_STEADY_SAMPLE);
    }
    for (int d = 0; d < w->n_dept; d++) {
        st->engagement[d] = cx_world_dept_stats(world, d)->engagement;
    }
    st->reputation = cx_world_company(world)->reputation;
    st->nps = nps_n > 0 ? nps_sum / nps_n : 0.0;
    cx_world_destroy(&world);
    free(w);
    return st;
}

void cx_steady_destroy(cx_steady_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}
