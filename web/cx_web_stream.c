/*  cx_web_stream — cxsim-web's streaming answers: GET /api/rows (a JSON
 *  array written as it is read) and GET /api/events (Server-Sent Events,
 *  one `data:` per row, a keepalive comment when no row came for 10 s,
 *  `event: end` once the run is over). Each blocks in its connection's
 *  thread while it waits for rows (cx_web_store_wait).
 *
 *  Ownership: each response owns its cursor state, freed by libmicrohttpd
 *  through the free callback.
 *  Errors: MHD_NO (out of memory) closes the connection; a bad `since` is
 *  a 400.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cx_web_reply.h"

#define S_ROWS_CHUNK 256     /* rows formatted at a time for /api/rows */
#define S_EVENTS_BATCH 64    /* rows sent at a time on /api/events */
#define S_KEEPALIVE_MS 10000 /* an SSE comment when no row came for this long */

/* ---- GET /api/rows ---------------------------------------------------- */

typedef struct {
    cx_web_store_t *store;
    int64_t cursor; /* next tick to write */
    int64_t until;  /* last tick of the answer: the last one at the request */
    int phase;      /* 0 before "[", 1 rows, 2 after "]" */
    int any;        /* a row was written */
    cx_wbuf_t buf;  /* text not yet handed over */
    size_t off;     /* bytes of buf handed over */
} s_rows_t;

static ssize_t s_copy_out(cx_wbuf_t *b, size_t *off, char *out, size_t max)
{
    size_t n = b->n - *off;
    if (n > max) {
        n = max;
    }
    memcpy(out, b->p + *off, n);
    *off += n;
    return (ssize_t)n;
}

static ssize_t s_rows_read(void *cls, uint64_t pos, char *out, size_t max)
{
    s_rows_t *r = cls;
    (void)pos;
    while (r->off >= r->buf.n) {
        if (r->phase == 2) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        cx_wbuf_reset(&r->buf);
        r->off = 0;
        if (r->phase == 0) {
            cx_wbuf_puts(&r->buf, "[");
            r->phase = 1;
        }
        int64_t next = r->cursor;
        size_t n = r->until < r->cursor
                       ? 0
                       : cx_web_store_rows_json(r->store, r->cursor, r->until, S_ROWS_CHUNK, r->any,
                                                &r->buf, &next);
        if (n == 0) {
            cx_wbuf_puts(&r->buf, "]\n");
            r->phase = 2;
        } else {
            r->any = 1;
            r->cursor = next;
        }
        if (r->buf.oom) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    return s_copy_out(&r->buf, &r->off, out, max);
}

static void s_rows_free(void *cls)
{
    s_rows_t *r = cls;
    cx_wbuf_free(&r->buf);
    free(r);
}

enum MHD_Result cx_web_get_rows(cx_web_store_t *store, struct MHD_Connection *c)
{
    const char *since_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    int64_t since = since_s ? cx_web_parse_tick(since_s) : 0;
    if (since < 0) {
        return cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0, "since expects a tick (a whole number from 0)");
    }
    s_rows_t *r = calloc(1, sizeof *r);
    if (!r) {
        return MHD_NO;
    }
    r->store = store;
    r->cursor = since;
    r->until = cx_web_store_last_tick(store);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, s_rows_read, r, s_rows_free);
    if (!resp) {
        s_rows_free(r);
        return MHD_NO;
    }
    cx_web_add_headers(resp, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- GET /api/events -------------------------------------------------- */

typedef struct {
    cx_web_store_t *store;
    int64_t cursor; /* next tick to send */
    int started;    /* the retry line went out */
    int sent_end;   /* `event: end` went out */
    cx_wbuf_t buf;
    size_t off;
} s_events_t;

static ssize_t s_events_read(void *cls, uint64_t pos, char *out, size_t max)
{
    s_events_t *e = cls;
    (void)pos;
    while (e->off >= e->buf.n) {
        cx_wbuf_reset(&e->buf);
        e->off = 0;
        if (!e->started) {
            cx_wbuf_puts(&e->buf, "retry: 2000\n\n");
            e->started = 1;
            continue;
        }
        if (e->sent_end) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        switch (cx_web_store_wait(e->store, e->cursor, S_KEEPALIVE_MS)) {
        case CX_WEB_WAIT_CLOSING:
            return MHD_CONTENT_READER_END_OF_STREAM;
        case CX_WEB_WAIT_TIMEOUT:
            cx_wbuf_puts(&e->buf, ": keepalive\n\n");
            break;
        case CX_WEB_WAIT_ENDED:
            cx_wbuf_puts(&e->buf, "event: end\ndata: ");
            cx_web_store_state_json(e->store, &e->buf);
            cx_wbuf_puts(&e->buf, "\n\n");
            e->sent_end = 1;
            break;
        case CX_WEB_WAIT_ROWS:
            for (int k = 0; k < S_EVENTS_BATCH; k++) {
                size_t mark = e->buf.n;
                int64_t next = e->cursor;
                cx_wbuf_puts(&e->buf, "data: ");
                if (cx_web_store_rows_json(e->store, e->cursor, -1, 1, 0, &e->buf, &next) == 0) {
                    e->buf.n = mark; /* no more rows for now */
                    if (e->buf.p) {
                        e->buf.p[mark] = 0;
                    }
                    break;
                }
                /* id: the row's tick, which EventSource sends back as
                 * Last-Event-ID when it reconnects. */
                cx_wbuf_printf(&e->buf, "\nid: %" PRId64 "\n\n", next - 1);
                e->cursor = next;
            }
            break;
        }
        if (e->buf.oom) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    return s_copy_out(&e->buf, &e->off, out, max);
}

static void s_events_free(void *cls)
{
    s_events_t *e = cls;
    cx_wbuf_free(&e->buf);
    free(e);
}

enum MHD_Result cx_web_get_events(cx_web_http_t *h, struct MHD_Connection *c)
{
    const char *since_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    const char *last_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    int64_t since;
    if (last_id && cx_web_parse_tick(last_id) >= 0) {
        since = cx_web_parse_tick(last_id) + 1; /* a reconnection: go on after the last row seen */
    } else if (since_s) {
        since = cx_web_parse_tick(since_s);
        if (since < 0) {
            return cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                           "since expects a tick (a whole number from 0)");
        }
    } else {
        since = cx_web_store_last_tick(h->store) + 1; /* new rows only */
    }
    s_events_t *e = calloc(1, sizeof *e);
    if (!e) {
        return MHD_NO;
    }
    e->store = h->store;
    e->cursor = since;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                  s_events_read, e, s_events_free);
    if (!resp) {
        s_events_free(e);
        return MHD_NO;
    }
    cx_web_add_headers(resp, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}
