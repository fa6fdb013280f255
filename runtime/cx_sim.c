/*  cx_sim — the in-process engine (see cx_sim.h): the world of
 *  models/cx_world.c, which runs the phases of a tick (models/cx_tick.h) in
 *  their order, and the result files after each tick.
 */
#include "cx_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx_output.h"
#include "cx_world.h"

/* Adds one shard's tally to the tick's totals (the files need each). */
static void s_add_tally(void *ud, const cx_tally_t *shard)
{
    cx_tick_totals_add(ud, shard);
}

int cx_sim_run(const cx_scenario_t *sc, const char *resolved, size_t resolved_len,
               const char *out_dir, cx_progress_fn progress, void *ud,
               volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cx_tick_totals_t *totals = calloc(1, sizeof *totals);
    /* Every part starts from the scenario's steady state (cx_steady). */
    cx_world_t *w = totals ? cx_world_new(sc, 0) : NULL;
    if (!w) {
        snprintf(err, errlen, "out of memory creating the model");
        free(totals);
        return -1;
    }
    cx_output_t *out = cx_output_open(out_dir, sc, resolved, resolved_len, err, errlen);
    if (!out) {
        cx_world_destroy(&w);
        free(totals);
        return -1;
    }

    int rc = 0;
    const char *status = "completed";
    char reason[512] = "";
    for (int t = 0; t < sc->ticks; t++) {
        if (interrupted && *interrupted) {
            status = "interrupted";
            snprintf(reason, sizeof reason, "interrupted at tick %d", t);
            rc = 1;
            break;
        }
        cx_tick_totals_zero(totals);
        cx_kpi_row_t row;
        if (cx_world_step_each(w, s_add_tally, totals, NULL, &row) != 0) {
            snprintf(reason, sizeof reason, "the model failed at tick %d (out of memory)", t);
            status = "failed";
            rc = -1;
            break;
        }
        for (int d = 0; d < sc->n_dept; d++) {
            totals->dept[d] = *cx_world_dept_stats(w, d);
        }
        if (cx_output_tick(out, &row, totals, reason, sizeof reason) != 0) {
            status = "failed";
            rc = -1;
            break;
        }
        if (progress) {
            progress(ud, &row);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cx_run_info_t info = {status, reason, "in-process", 0,
                          (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
                          0, 0, 0, 0, cx_world_company(w), 0, 0};
    char cerr[512] = "";
    if (cx_output_close(&out, &info, cerr, sizeof cerr) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", cerr);
        rc = -1;
    } else if (rc != 0) {
        snprintf(err, errlen, "%s", reason);
    }
    cx_world_destroy(&w);
    free(totals);
    return rc;
}
