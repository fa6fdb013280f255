/*  cx_web_guard — slow clients evicted (see cx_web_guard.h). */
#include "cx_web_guard.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define S_LOG_EVERY_MS 5000 /* evictions reported at most this often */

struct cx_web_gconn {
    cx_web_gconn_t *prev, *next; /* in the waiting list */
    int fd;                      /* the connection's socket */
    unsigned char addr[16];      /* the client's address (IPv4 in the first 4 bytes) */
    int waiting;                 /* in the waiting list */
    int evicted;                 /* shut down: never waits again */
    int64_t since_ms;            /* when it started to wait */
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Both with g->mu held. */
static void s_unlink(cx_web_guard_t *g, cx_web_gconn_t *k)
{
    if (!k->waiting) {
        return;
    }
    if (k->prev) {
        k->prev->next = k->next;
    } else {
        g->head = k->next;
    }
    if (k->next) {
        k->next->prev = k->prev;
    } else {
        g->tail = k->prev;
    }
    k->prev = k->next = NULL;
    k->waiting = 0;
    g->waiting--;
}

static void s_append(cx_web_guard_t *g, cx_web_gconn_t *k, int64_t now)
{
    if (k->waiting || k->evicted) {
        return;
    }
    k->since_ms = now;
    k->prev = g->tail;
    k->next = NULL;
    if (g->tail) {
        g->tail->next = k;
    } else {
        g->head = k;
    }
    g->tail = k;
    k->waiting = 1;
    g->waiting++;
}

int cx_web_guard_init(cx_web_guard_t *g)
{
    g->head = g->tail = NULL;
    g->waiting = 0;
    g->evicted = g->logged = 0;
    g->last_log_ms = 0;
    return pthread_mutex_init(&g->mu, NULL) == 0 ? 0 : -1;
}

void cx_web_guard_fini(cx_web_guard_t *g)
{
    pthread_mutex_destroy(&g->mu);
}

/* With g->mu held: the socket is shut down, so the connection's thread reads
 * end of file and libmicrohttpd closes it (and calls back with CLOSED, which
 * frees the record: the descriptor is still this connection's until then). */
static void s_evict(cx_web_guard_t *g, cx_web_gconn_t *k)
{
    s_unlink(g, k);
    k->evicted = 1;
    shutdown(k->fd, SHUT_RDWR);
    g->evicted++;
}

/* With g->mu held: the oldest waiting connection of the address with the
 * most waiting connections, so that a flood from one address evicts its
 * own connections before anyone else's (at most CX_WEB_WAITING_MAX² steps). */
static cx_web_gconn_t *s_victim(cx_web_guard_t *g)
{
    cx_web_gconn_t *best = g->head;
    unsigned best_n = 0;
    for (cx_web_gconn_t *k = g->head; k; k = k->next) {
        unsigned n = 0;
        for (cx_web_gconn_t *m = g->head; m; m = m->next) {
            n += memcmp(m->addr, k->addr, sizeof k->addr) == 0;
        }
        if (n > best_n) {
            best_n = n;
            best = k;
        }
    }
    return best;
}

void cx_web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe)
{
    cx_web_guard_t *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        cx_web_gconn_t *k = *socket_context;
        if (k) {
            pthread_mutex_lock(&g->mu);
            s_unlink(g, k);
            pthread_mutex_unlock(&g->mu);
            free(k);
            *socket_context = NULL;
        }
        return;
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    cx_web_gconn_t *k = info ? calloc(1, sizeof *k) : NULL;
    *socket_context = k;
    if (!k) {
        return;
    }
    k->fd = info->connect_fd;
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ai ? ai->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        memcpy(k->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(k->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
    int64_t now = s_now_ms();
    pthread_mutex_lock(&g->mu);
    while (g->head && now - g->head->since_ms > CX_WEB_HEADERS_MS) {
        s_evict(g, g->head);
    }
    while (g->head && g->waiting >= CX_WEB_WAITING_MAX) {
        s_evict(g, s_victim(g));
    }
    s_append(g, k, now);
    unsigned long fresh = g->evicted - g->logged;
    int report = fresh > 0 && (g->logged == 0 || now - g->last_log_ms >= S_LOG_EVERY_MS);
    if (report) {
        g->logged = g->evicted;
        g->last_log_ms = now;
    }
    pthread_mutex_unlock(&g->mu);
    if (report) {
        fprintf(stderr,
                "cxsim-web: closed %lu connection(s) still sending their headers (slow clients; "
                "at most %d may wait at once, each for %d s)\n",
                fresh, CX_WEB_WAITING_MAX, CX_WEB_HEADERS_MS / 1000);
    }
}

void cx_web_guard_busy(cx_web_guard_t *g, struct MHD_Connection *c, int busy)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    cx_web_gconn_t *k = info ? info->socket_context : NULL;
    if (!k) {
        return;
    }
    if (busy) {
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)CX_WEB_BUSY_IDLE_S);
    }
    pthread_mutex_lock(&g->mu);
    if (busy) {
        s_unlink(g, k);
    } else {
        s_append(g, k, s_now_ms());
    }
    pthread_mutex_unlock(&g->mu);
}
