/*  cx_web_http — cxsim-web's HTTP side, on libmicrohttpd (one thread per
 *  connection, so a streaming response may block while it waits for rows).
 *
 *      GET  /                 the page (text/html)
 *      GET  /api/scenario     name, ticks, departments, cx_owner, governance,
 *                             the choices of the page's menus, the changes taken
 *      GET  /api/rows?since=N the rows with tick >= N, a JSON array
 *      GET  /api/shadow?since=N  the same, of the do-nothing replay
 *                             (store->shadow, cx_web_shadow)
 *      GET  /api/events[?since=N]  Server-Sent Events: one `data:` per row
 *                             (id: its tick) from N, or from the next row;
 *                             `event: end` once the run is over
 *      GET  /api/whoami       {"role": "trainer"|"department", ...}
 *      GET  /api/departments  the last tick of departments.csv, per department
 *      GET  /api/seats        classroom mode, the trainer only: every seat
 *      POST /api/command      {"verb": ..., "value": ...}, Content-Type
 *                             application/json: forwarded to the run's
 *                             control socket; {"ok": bool, "message": ...}
 *  Anything else is 404 (405 for another method on one of these paths).
 *
 *  Classroom mode (seats not NULL): every /api/ request carries a seat's
 *  token (header X-Cxsim-Token, or query t=), else 401; a command is
 *  checked against the seat's rights (cx_web_seats: 403) and rate (429)
 *  before it goes to the run, and the changes taken say who asked.
 *
 *  When bound to a loopback address, a request naming another host in its
 *  Host header is refused (403): a web page elsewhere cannot reach the
 *  control socket through a DNS name that points here. Commands must come
 *  as application/json, which a page of another origin cannot send
 *  without the server's consent (never given).
 *
 *  Ownership: cx_web_http_t is caller storage; the store, the seats and
 *  the key outlive it.
 *  Errors: _start returns -1 with a message (cannot bind, bad address).
 */
#ifndef CX_WEB_HTTP_H
#define CX_WEB_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cx_curve.h"
#include "cx_web_guard.h"
#include "cx_web_seats.h"
#include "cx_web_store.h"

#define CX_WEB_BODY_MAX 8192 /* largest command body accepted */

typedef struct {
    const char *dir;         /* the run directory */
    cx_web_store_t *store;   /* rows and changes */
    cx_web_seats_t *seats;   /* classroom mode's seats, or NULL */
    const cx_curve_t *curve; /* the run key for commands (NULL or off: none) */
    int loopback;            /* bound to a loopback address: check Host */
    struct MHD_Daemon *mhd;  /* the server, or NULL */
    unsigned port;           /* the port bound */
    atomic_int serving;      /* started: log less */
    cx_web_guard_t guard;    /* slow clients evicted */
    /* scenario.resolved.yaml as JSON, reloaded when the file changes */
    pthread_mutex_t mu;
    char *scenario_json;    /* malloc'ed, or NULL */
    char scenario_name[64]; /* its name */
    ino_t sc_ino;           /* the file it came from */
    off_t sc_size;
    struct timespec sc_mtime;
} cx_web_http_t;

/* Starts serving on addr (a numeric IPv4 or IPv6 address) and port (0: any
 * free port; the one bound is in h->port), in classroom mode when seats is
 * not NULL. Returns 0, or -1 with a message. */
int cx_web_http_start(cx_web_http_t *h, const char *dir, cx_web_store_t *store,
                      cx_web_seats_t *seats, const cx_curve_t *curve, const char *addr,
                      unsigned port, char *err, size_t cap);
/* Stops the server (streaming responses must have been released first
 * with cx_web_store_close) and frees what it holds. */
void cx_web_http_stop(cx_web_http_t *h);

/* 1 when addr is a loopback address (127.0.0.0/8, ::1). */
int cx_web_is_loopback(const char *addr);

/* 1 when a Host header names this machine's loopback: localhost,
 * 127.x.y.z or [::1], with or without a port. */
int cx_web_host_ok(const char *host);

#endif
