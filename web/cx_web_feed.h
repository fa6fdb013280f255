/*  cx_web_feed — the thread that fills cxsim-web's store with a run's rows.
 *
 *  It owns the only ZeroMQ context and SUB socket of the process (a libzmq
 *  socket must stay in one thread). While RUN_DIR/live.endpoints names a
 *  rows endpoint, it subscribes there and appends every ROW; rows it missed
 *  (published before it joined, or dropped by the socket's high-water mark)
 *  are read back from RUN_DIR/kpis.csv, which the coordinator writes before
 *  it publishes a row. When live.endpoints disappears or summary.json
 *  appears, it reads whatever rows remain from kpis.csv and marks the run
 *  over with summary.json's status. A directory whose run is already over
 *  is read from its files; one without a run yet is watched until one
 *  starts (and its kpis.csv followed meanwhile, as an in-process run's).
 *
 *  With a run key (cxsim-web --key), the SUB socket is a CURVE client.
 *
 *  Ownership: cx_web_feed_t is caller storage; the store and the key must
 *  outlive cx_web_feed_stop.
 *  Errors: _start returns -1 with a message when the thread cannot start;
 *  the thread itself reports trouble on stderr and goes on.
 */
#ifndef CX_WEB_FEED_H
#define CX_WEB_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cx_curve.h"
#include "cx_web_store.h"

typedef struct {
    char dir[4096];          /* the run directory */
    cx_web_store_t *store;   /* where rows go */
    const cx_curve_t *curve; /* the run key (NULL or off: none) */
    atomic_int stop;         /* set by cx_web_feed_stop */
    pthread_t th;            /* the feed thread */
    int started;             /* th is running */
    /* kpis.csv reading state (feed thread only) */
    int map[CX_WEB_MAX_COLS]; /* store column of each CSV column, -1 none */
    int ncsv;                 /* CSV columns (0: header not read yet) */
    long csv_off;             /* offset just after the last line read */
    int64_t csv_next;         /* tick expected at csv_off */
    ino_t csv_ino;            /* the file csv_off belongs to */
    /* departments.csv reading state (feed thread only): each department's
     * effective maturity, into the store's "maturity.ID" columns */
    long dep_off;  /* offset of the first line not consumed */
    ino_t dep_ino; /* the file dep_off belongs to */
    int dep_dcol;  /* its columns "department" and "maturity" (0: header */
    int dep_mcol;  /* not read yet) */
} cx_web_feed_t;

int cx_web_feed_start(cx_web_feed_t *f, const char *dir, cx_web_store_t *store,
                      const cx_curve_t *curve, char *err, size_t cap);
/* Stops and joins the thread (within about 200 ms). */
void cx_web_feed_stop(cx_web_feed_t *f);

/* Reads rows of DIR/kpis.csv with from <= tick < to (to < 0: no bound)
 * into the store, with each department's maturity of the same tick from
 * DIR/departments.csv (columns "maturity.ID", as ROW has them; the columns
 * fixed from kpis.csv's header get them from the departments of
 * scenario.resolved.yaml). Whole lines only. Returns the rows added, or -1 when the
 * file cannot be read. Used by the thread; exposed for tests. */
int cx_web_feed_backfill(cx_web_feed_t *f, int64_t from, int64_t to);

/* The KPI row's columns as the page names them: a JSON array of
 * {"name", "label", "unit"} from the KPI table (models/cx_kpi_cols.c), in
 * kpis.csv order. /api/scenario serves it as "kpis"; the page takes its
 * chart titles from it. */
void cx_web_feed_kpis_json(cx_wbuf_t *b);

#endif
