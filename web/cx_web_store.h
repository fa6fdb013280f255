/*  cx_web_store — what cxsim-web knows about the run it shows, shared by
 *  the feed thread (the only writer of rows) and the HTTP threads (readers):
 *  the KPI rows received so far, in tick order, whether the run is over,
 *  and the changes taken through the page.
 *
 *  Rows are kept in a ring of at most `keep` rows (the oldest are dropped
 *  first), each the columns of kpis.csv as doubles, column 0 being `tick`.
 *  The columns are fixed by the first source (a ROW or kpis.csv's header).
 *  Every function takes the store's mutex itself; waiters are woken by
 *  every append, the end of the run and cx_web_store_close.
 *
 *  Ownership: cx_web_store_t is caller storage (_init/_fini). Column names
 *  are copied. Output goes to a caller's cx_wbuf_t.
 *  Errors: -1 on out of memory (the store is left as it was).
 */
#ifndef CX_WEB_STORE_H
#define CX_WEB_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_web_json.h"

#define CX_WEB_MAX_COLS 64      /* columns of a row */
#define CX_WEB_KEEP_ROWS 100000 /* rows kept by default (about 25 MB for 31 columns) */
#define CX_WEB_MAX_CHANGES 256  /* changes remembered */

typedef struct {
    int64_t tick;   /* tick the change applies at */
    char text[512]; /* the run's answer, e.g. "at tick 57: cx_team owns CX" */
    char who[80];   /* who asked ("trainer", "it seat"), or "" outside classroom mode */
} cx_web_change_t;

typedef struct cx_web_store {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *names[CX_WEB_MAX_COLS]; /* column names (malloc'ed), names[0] = "tick" */
    int ncol;                     /* 0 until the columns are known */
    size_t keep;                  /* most rows kept */
    double *vals;                 /* cap × ncol values */
    size_t cap;                   /* rows allocated */
    size_t head;                  /* ring index of the oldest row */
    size_t count;                 /* rows held */
    uint64_t version;             /* bumped on every change a waiter cares about */
    int ended;                    /* the run is over */
    char end_status[64];          /* summary.json's status, or "unknown" */
    int closing;                  /* the server is shutting down */
    cx_web_change_t changes[CX_WEB_MAX_CHANGES];
    int n_changes;
    struct cx_web_store *shadow; /* the do-nothing replay's rows (cx_web_shadow), not owned */
} cx_web_store_t;

int cx_web_store_init(cx_web_store_t *s, size_t keep);
void cx_web_store_fini(cx_web_store_t *s);

/* Sets the columns once (later calls are ignored). names[0] must be
 * "tick". Returns 0, or -1 (bad names or out of memory). */
int cx_web_store_set_columns(cx_web_store_t *s, const char *const *names, int n);
/* Index of a column, or -1. */
int cx_web_store_column(cx_web_store_t *s, const char *name);
int cx_web_store_ncol(cx_web_store_t *s);

/* Appends one row (ncol values in column order, vals[0] the tick). A tick
 * not after the last row's is ignored (returns 1). Returns 0, or -1. */
int cx_web_store_append(cx_web_store_t *s, const double *vals);
/* The last row's tick, or -1. */
int64_t cx_web_store_last_tick(cx_web_store_t *s);

/* The run is over (status: summary.json's, or "unknown"). */
void cx_web_store_end(cx_web_store_t *s, const char *status);
/* Server shutdown: wakes every waiter for good. */
void cx_web_store_close(cx_web_store_t *s);

/* Appends to out, as JSON objects separated by commas (no brackets), the
 * rows with since <= tick <= until (until < 0: no bound), at most max_rows
 * of them (0: no limit), with a comma before the first one too when
 * comma_first; sets *next to the tick after the last one written (since
 * when none). Returns the number of rows written. */
size_t cx_web_store_rows_json(cx_web_store_t *s, int64_t since, int64_t until, size_t max_rows,
                              int comma_first, cx_wbuf_t *out, int64_t *next);

/* What a streaming reader waits for. */
typedef enum {
    CX_WEB_WAIT_ROWS = 0, /* a row with tick >= since is there */
    CX_WEB_WAIT_ENDED,    /* no such row, and the run is over */
    CX_WEB_WAIT_TIMEOUT,  /* nothing within timeout_ms */
    CX_WEB_WAIT_CLOSING   /* the server is shutting down */
} cx_web_wait_t;

cx_web_wait_t cx_web_store_wait(cx_web_store_t *s, int64_t since, int timeout_ms);

/* {"ended": bool, "status": "...", "last_tick": N} into out. */
void cx_web_store_state_json(cx_web_store_t *s, cx_wbuf_t *out);

/* Remembers a change taken and who asked for it (NULL or "": not said;
 * the oldest are forgotten past CX_WEB_MAX_CHANGES), and writes the list
 * as a JSON array [{"tick": N, "text": "..."[, "who": "..."]}, ...]. */
void cx_web_store_add_change(cx_web_store_t *s, int64_t tick, const char *text, const char *who);
void cx_web_store_changes_json(cx_web_store_t *s, cx_wbuf_t *out);

#endif
