/*  cx_tick — the company's phases of a tick (see cx_tick.h). */
#include "cx_tick.h"

void cx_tick_open(cx_company_t *co, const cx_scenario_t *sc, int tick, cx_tickctx_t *ctx)
{
    cx_company_begin_tick(co, sc, tick, ctx);
}

void cx_tick_close(cx_company_t *co, const cx_scenario_t *sc, const cx_tickctx_t *ctx,
                   const cx_tally_t *total, const cx_dept_stats_t *stats,
                   cx_kpi_history_t *hist, cx_kpi_row_t *row)
{
    cx_kpi_books_t books = cx_company_books(co);
    cx_kpi_row_compute(sc, ctx->tick, ctx->days, total, stats, sc->n_dept, &books, hist, row);
    cx_company_end_tick(co, sc, row, total);
}
