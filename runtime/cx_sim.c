/*  cx_sim — the in-process engine (see cx_sim.h).
 *
 *  One tick, exactly as the processes do it:
 *    company begins the tick -> every shard begins -> every department
 *    serves the requests of every shard -> each shard applies the outcomes
 *    for its customers, department by department -> every shard ends the
 *    tick -> tallies are added, the row is computed and written -> the
 *    company takes the row back.
 */
#include "cx_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx_company.h"
#include "cx_department.h"
#include "cx_output.h"
#include "cx_shard.h"

typedef struct {
    cx_shard_t *shards[CX_MAX_PERSONAS][CX_MAX_SHARDS]; /* [persona][shard] */
    cx_dept_t *depts[CX_MAX_DEPTS];                     /* departments */
    cx_request_t *req;                                  /* gathered requests */
    size_t req_cap;                                     /* allocated */
    cx_outcome_t *split;                                /* outcomes grouped by shard */
    size_t split_cap;                                   /* allocated */
    uint32_t *oslot;                                    /* slot of each outcome, grouping */
    size_t oslot_cap;                                   /* allocated */
    size_t *counts;                                     /* outcomes per (persona, shard) */
    int slot_base[CX_MAX_PERSONAS];                     /* first slot of each persona */
} s_engine_t;

static int s_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return 0;
    }
    size_t c = *cap ? *cap : 1024;
    while (c < need) {
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (!q) {
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

static void s_engine_free(s_engine_t *e, const cx_scenario_t *sc)
{
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            cx_shard_destroy(&e->shards[p][s]);
        }
    }
    for (int d = 0; d < sc->n_dept; d++) {
        cx_dept_destroy(&e->depts[d]);
    }
    free(e->req);
    free(e->split);
    free(e->oslot);
    free(e->counts);
    free(e);
}

/* Index of (persona, shard) in the flat per-shard arrays. */
static int s_slot(const cx_scenario_t *sc, int persona, int shard)
{
    int k = 0;
    for (int p = 0; p < persona; p++) {
        k += sc->persona[p].shards;
    }
    return k + shard;
}

/* Serves department d for the tick and hands each shard its outcomes. */
static int s_serve(s_engine_t *e, const cx_scenario_t *sc, int d, const cx_tickctx_t *ctx,
                   int nslots, cx_dept_stats_t *stats, char *err, size_t errlen)
{
    size_t n = 0;
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            size_t k;
            const cx_request_t *r = cx_shard_requests(e->shards[p][s], d, &k);
            if (s_grow((void **)&e->req, &e->req_cap, n + k, sizeof *e->req) != 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            if (k) {
                memcpy(e->req + n, r, k * sizeof *r);
            }
            n += k;
        }
    }
    const cx_outcome_t *out;
    size_t n_out, rejected = 0;
    if (cx_dept_serve(e->depts[d], ctx, e->req, n, &out, &n_out, stats, &rejected) != 0) {
        snprintf(err, errlen, "department %s failed to serve tick %d", sc->dept[d].id,
                 ctx->tick);
        return -1;
    }
    /* Group by shard, keeping service order inside each group, as the
     * department agent does when it sends one batch per shard. */
    if (s_grow((void **)&e->split, &e->split_cap, n_out, sizeof *e->split) != 0 ||
        s_grow((void **)&e->oslot, &e->oslot_cap, n_out, sizeof *e->oslot) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(e->counts, 0, (size_t)(nslots + 1) * sizeof *e->counts);
    for (size_t i = 0; i < n_out; i++) {
        int p = CX_CID_PERSONA(out[i].cid);
        uint64_t local = (uint64_t)CX_CID_LOCAL(out[i].cid);
        uint32_t of = (uint32_t)sc->persona[p].shards;
        e->oslot[i] = (uint32_t)e->slot_base[p] + (of == 1 ? 0u : (uint32_t)(local % of));
        e->counts[e->oslot[i] + 1]++;
    }
    for (int i = 0; i < nslots; i++) {
        e->counts[i + 1] += e->counts[i];
    }
    for (size_t i = 0; i < n_out; i++) {
        e->split[e->counts[e->oslot[i]]++] = out[i];
    }
    size_t start = 0;
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            size_t end = e->counts[e->slot_base[p] + s];
            cx_shard_apply_outcomes(e->shards[p][s], ctx, e->split + start, end - start);
            start = end;
        }
    }
    return 0;
}

int cx_sim_run(const cx_scenario_t *sc, const char *resolved, size_t resolved_len,
               const char *out_dir, cx_progress_fn progress, void *ud,
               volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s_engine_t *e = calloc(1, sizeof *e);
    cx_company_t *company = calloc(1, sizeof *company);
    cx_tick_totals_t *totals = calloc(1, sizeof *totals);
    cx_tally_t *tally = calloc(1, sizeof *tally);
    if (!e || !company || !totals || !tally) {
        snprintf(err, errlen, "out of memory");
        free(e);
        free(company);
        free(totals);
        free(tally);
        return -1;
    }
    int nslots = s_slot(sc, sc->n_persona, 0);
    for (int p = 0; p < sc->n_persona; p++) {
        e->slot_base[p] = s_slot(sc, p, 0);
    }
    e->counts = calloc((size_t)nslots + 1, sizeof *e->counts);
    /* Every part starts from the scenario's steady state (cx_steady). */
    cx_steady_t *steady = cx_steady_new(sc);
    int rc = e->counts && steady ? 0 : -1;
    for (int p = 0; rc == 0 && p < sc->n_persona; p++) {
        for (int s = 0; rc == 0 && s < sc->persona[p].shards; s++) {
            e->shards[p][s] = cx_shard_new(sc, steady, p, s, sc->persona[p].shards);
            rc = e->shards[p][s] ? 0 : -1;
        }
    }
    for (int d = 0; rc == 0 && d < sc->n_dept; d++) {
        e->depts[d] = cx_dept_new(sc, steady, d);
        rc = e->depts[d] ? 0 : -1;
    }
    if (rc == 0) {
        cx_company_init(company, sc, steady);
    }
    cx_steady_destroy(&steady);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory creating the model");
        s_engine_free(e, sc);
        free(company);
        free(totals);
        free(tally);
        return -1;
    }
    cx_output_t *out = cx_output_open(out_dir, sc, resolved, resolved_len, err, errlen);
    if (!out) {
        s_engine_free(e, sc);
        free(company);
        free(totals);
        free(tally);
        return -1;
    }

    cx_kpi_history_t hist;
    memset(&hist, 0, sizeof hist);
    const char *status = "completed";
    char reason[512] = "";
    for (int t = 0; t < sc->ticks && rc == 0; t++) {
        if (interrupted && *interrupted) {
            status = "interrupted";
            snprintf(reason, sizeof reason, "interrupted at tick %d", t);
            rc = 1;
            break;
        }
        cx_tickctx_t ctx;
        cx_company_begin_tick(company, sc, t, &ctx);
        for (int p = 0; p < sc->n_persona && rc == 0; p++) {
            for (int s = 0; s < sc->persona[p].shards && rc == 0; s++) {
                if (cx_shard_begin_tick(e->shards[p][s], &ctx) != 0) {
                    snprintf(reason, sizeof reason, "out of memory at tick %d", t);
                    rc = -1;
                }
            }
        }
        cx_tick_totals_zero(totals);
        for (int d = 0; d < sc->n_dept && rc == 0; d++) {
            rc = s_serve(e, sc, d, &ctx, nslots, &totals->dept[d], reason, sizeof reason);
        }
        if (rc != 0) {
            status = "failed";
            break;
        }
        for (int p = 0; p < sc->n_persona; p++) {
            for (int s = 0; s < sc->persona[p].shards; s++) {
                cx_shard_end_tick(e->shards[p][s], &ctx, tally);
                cx_tick_totals_add(totals, tally);
            }
        }
        cx_kpi_row_t row;
        cx_kpi_books_t books = cx_company_books(company);
        cx_kpi_row_compute(sc, t, ctx.days, &totals->total, totals->dept, sc->n_dept, &books,
                           &hist, &row);
        if (cx_output_tick(out, &row, totals, reason, sizeof reason) != 0) {
            status = "failed";
            rc = -1;
            break;
        }
        if (progress) {
            progress(ud, &row);
        }
        cx_company_end_tick(company, sc, &row, &totals->total);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cx_run_info_t info = {status, reason, "in-process", 0,
                          (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
                          0, 0, 0, 0, company, 0, 0};
    char cerr[512] = "";
    if (cx_output_close(&out, &info, cerr, sizeof cerr) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", cerr);
        rc = -1;
    } else if (rc != 0) {
        snprintf(err, errlen, "%s", reason);
    }
    s_engine_free(e, sc);
    free(company);
    free(totals);
    free(tally);
    return rc;
}
