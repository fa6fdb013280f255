/*  cx_web_guard — keeps slow clients from holding cxsim-web's connections.
 *
 *  A client that sends its headers one line a second is never idle, so
 *  libmicrohttpd's inactivity timeout never fires; 130 of them used to hold
 *  every connection for as long as they liked. The guard tracks each
 *  connection's state:
 *
 *      started ──> WAITING ──headers in (handler's first call)──> BUSY
 *                    │  ^                                          │
 *                    │  └──────── answer done (keep-alive) ─────────┘
 *                    └──> EVICTED (shutdown(2); libmicrohttpd closes it)
 *
 *  Whenever a connection starts, the waiting ones older than
 *  CX_WEB_HEADERS_MS are evicted, then, while more than CX_WEB_WAITING_MAX
 *  wait, the oldest waiting one of the address with the most waiting (a
 *  flood from one address evicts its own first). A slow client keeps its slot only until a
 *  new connection needs it; a busy one (a page's event stream) is never
 *  evicted, and is bounded by libmicrohttpd's per-address limit instead.
 *
 *  Ownership: cx_web_guard_t is caller storage (cx_web_http_t holds one);
 *  each connection's record is the guard's, made at start and freed at close.
 *  Errors: none; a record that cannot be allocated leaves that connection
 *  untracked.
 */
#ifndef CX_WEB_GUARD_H
#define CX_WEB_GUARD_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#define CX_WEB_WAITING_MAX 64    /* connections that may wait for headers at once */
#define CX_WEB_HEADERS_MS 10000  /* longest wait for a request's headers */
#define CX_WEB_CONN_MAX 256      /* connections in all (MHD_OPTION_CONNECTION_LIMIT) */
#define CX_WEB_PER_ADDR_MAX 128  /* from one address (MHD_OPTION_PER_IP_CONNECTION_LIMIT) */
#define CX_WEB_IDLE_S 10         /* inactivity before a request starts */
#define CX_WEB_BUSY_IDLE_S 60    /* inactivity once a request is being served */

typedef struct cx_web_gconn cx_web_gconn_t;

typedef struct {
    pthread_mutex_t mu;
    cx_web_gconn_t *head;    /* waiting connections, oldest first */
    cx_web_gconn_t *tail;    /* the newest waiting connection */
    unsigned waiting;        /* how many wait */
    unsigned long evicted;   /* connections evicted since start */
    unsigned long logged;    /* evictions already reported */
    int64_t last_log_ms;     /* when they were last reported */
} cx_web_guard_t;

int cx_web_guard_init(cx_web_guard_t *g);
void cx_web_guard_fini(cx_web_guard_t *g);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard). */
void cx_web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe);
/* A request's headers are in (busy = 1), or its answer is done (busy = 0). */
void cx_web_guard_busy(cx_web_guard_t *g, struct MHD_Connection *c, int busy);

#endif
