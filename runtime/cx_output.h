/*  cx_output — the run directory's result files.
 *
 *  kpis.csv, departments.csv and touchpoints.csv get one block of rows per
 *  tick, written with one write(2) per file per tick, so a reader (or a
 *  crash) never sees a partial row: every completed tick is on disk before
 *  the next one starts. scenario.resolved.yaml is written at open and
 *  summary.json at close, both atomically (temporary file, fsync, rename).
 *
 *  Ownership: cx_output_open returns a heap object; cx_output_close writes
 *  the summary and frees it (also on failure). Errors: -1 with a message in
 *  the caller's buffer (errno-based).
 */
#ifndef CX_OUTPUT_H
#define CX_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "cx_buf.h"
#include "cx_tally.h"
#include "cx_company.h"
#include "cx_scenario.h"

/* The tick's totals in the shape the files need. */
typedef struct {
    cx_tally_t total;                                       /* every shard added */
    cx_tp_tally_t tp[CX_MAX_JOURNEYS][CX_MAX_TOUCHPOINTS];  /* per journey and touchpoint */
    cx_dept_stats_t dept[CX_MAX_DEPTS];                     /* per department */
} cx_tick_totals_t;

void cx_tick_totals_zero(cx_tick_totals_t *t);
/* Adds one shard's tally (total and its journey's touchpoints). */
void cx_tick_totals_add(cx_tick_totals_t *t, const cx_tally_t *shard);

/* What summary.json reports beyond the rows. */
typedef struct {
    const char *status;     /* "completed", "failed", "interrupted" */
    const char *reason;     /* why it failed, or "" */
    const char *mode;       /* "processes" or "in-process" */
    int processes;          /* agent processes */
    double wall_seconds;    /* run time */
    int64_t messages;       /* messages received by the coordinator */
    int64_t bytes;          /* bytes received by the coordinator */
    int64_t dropped;        /* malformed/unexpected messages dropped, all processes */
    int64_t dropped_coordinator; /* of which by the coordinator */
    const cx_company_t *company; /* the company at the end (its transitions), or NULL */
    int64_t control_commands;    /* commands answered on the control socket */
    int64_t control_refused;     /* of which refused */
} cx_run_info_t;

typedef struct cx_output cx_output_t;

/* Where the files stand after a tick: enough to reopen them there. A plain
 * value, saved in checkpoints. */
typedef struct {
    int64_t offset[3];          /* bytes in kpis.csv, departments.csv, touchpoints.csv */
    cx_kpi_row_t first;         /* first tick's row */
    cx_kpi_row_t last;          /* last tick's row */
    int32_t ticks;              /* ticks written */
    double revenue, cost, investment;                                       /* totals */
    int64_t acquired, churned, purchases, referral_purchases, interactions; /* totals */
    double gross_profit, marketing_cost, operating_profit;                  /* totals */
    double customer_ticks;      /* sum of customers at each tick's start (for annual churn) */
} cx_output_state_t;

/* The files' state now. */
void cx_output_get_state(const cx_output_t *o, cx_output_state_t *st);

/* 0 if each result file of `dir` holds at least the bytes `st` counts;
 * otherwise -1 with a message naming the file. Reads sizes only. */
int cx_output_check_lengths(const char *dir, const cx_output_state_t *st, char *err,
                            size_t errlen);

/* Reopens the files of `dir` where `st` left them (later rows are cut off),
 * to continue a run from a checkpoint. NULL with a message on failure,
 * e.g. when a file is shorter than the checkpoint says. */
cx_output_t *cx_output_reopen(const char *dir, const cx_scenario_t *sc,
                              const cx_output_state_t *st, char *err, size_t errlen);

/* Creates `dir` (and parents) and opens the files. */
cx_output_t *cx_output_open(const char *dir, const cx_scenario_t *sc, const char *resolved,
                            size_t resolved_len, char *err, size_t errlen);
/* Appends the tick's rows. Returns 0, or -1 (write error, message in err). */
int cx_output_tick(cx_output_t *o, const cx_kpi_row_t *row, const cx_tick_totals_t *t,
                   char *err, size_t errlen);
/* Writes summary.json, syncs and closes everything, frees *o_p. */
int cx_output_close(cx_output_t **o_p, const cx_run_info_t *info, char *err, size_t errlen);

/* Names and values of the row's columns, in kpis.csv order. Returns the
 * number of columns; names point to static strings. */
int cx_kpi_row_columns(const cx_kpi_row_t *row, const char **names, double *values, int cap);

/* Whole-file reads and atomic writes: cx_read_file, cx_write_atomic (cx_buf.h). */
/* The launcher's word on a run whose coordinator could not give it (killed,
 * hung, out of memory before it wrote anything) or gave a wrong one
 * ("interrupted" when the launcher stopped it because an agent had
 * failed). When DIR/summary.json exists, its status and reason are
 * replaced, "amended_by": "cxsim run" added and the rest kept; else a
 * summary of what is known is written: the version, the scenario's name,
 * status, reason, "written_by": "cxsim run" and ticks_completed (the
 * rows of kpis.csv). Returns 0, or -1 (errno set). */
int cx_output_summary_amend(const char *dir, const char *scenario, const char *status,
                            const char *reason);

/* mkdir -p. Returns 0 or -1 (errno set). */
int cx_mkdirs(const char *path);

/* The first result file of a run found in dir (kpis.csv, summary.json: a
 * regular file, or a link to one), or NULL when dir holds none (or does not
 * exist): what makes a directory
 * another run's, which `cxsim run --out` refuses without --force. */
const char *cx_output_run_file(const char *dir);

/* Removes everything inside dir, recursively, leaving dir itself (and so a
 * lock held on it, cx_dirlock.h). Symbolic links are removed, never
 * followed. Returns 0, or -1 (errno set) at the first entry that cannot be
 * removed. */
int cx_output_clear_dir(const char *dir);

#endif
