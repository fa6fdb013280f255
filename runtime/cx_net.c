/*  cx_net — framing on ZeroMQ sockets (see cx_net.h). */
#include "cx_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cx_log.h"
#include "cx_proc.h"

void cx_frame_close(cx_frame_t *f)
{
    if (f->open) {
        zmq_msg_close(&f->body);
        f->open = false;
    }
}

/* Reads and discards the remaining parts of a multi-part message. */
static void s_drain(void *sock)
{
    int more = 1;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
    }
}

int cx_net_recv(void *sock, bool router, cx_frame_t *f, int flags)
{
    f->rid_len = 0;
    f->open = false;
    zmq_msg_t first;
    zmq_msg_init(&first);
    if (zmq_msg_recv(&first, sock, flags) < 0) {
        zmq_msg_close(&first);
        return -1;
    }
    if (router) {
        size_t n = zmq_msg_size(&first);
        if (n > CX_RID_MAX || !zmq_msg_more(&first)) {
            zmq_msg_close(&first);
            s_drain(sock);
            return 1;
        }
        memcpy(f->rid, zmq_msg_data(&first), n);
        f->rid_len = n;
        zmq_msg_close(&first);
        zmq_msg_init(&f->body);
        if (zmq_msg_recv(&f->body, sock, 0) < 0) {
            zmq_msg_close(&f->body);
            return -1;
        }
    } else {
        f->body = first;
    }
    f->open = true;
    if (zmq_msg_more(&f->body)) {
        s_drain(sock);
        cx_frame_close(f);
        return 1;
    }
    return 0;
}

int cx_net_send(void *sock, const void *rid, size_t rid_len, const cx_enc_t *e)
{
    while (rid_len > 0 && zmq_send(sock, rid, rid_len, ZMQ_SNDMORE) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    while (zmq_send(sock, cx_enc_data(e), cx_enc_size(e), 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

int cx_net_limit(void *sock, int64_t max)
{
    return sock ? zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max) : -1;
}

/* The host part of a tcp:// endpoint, without brackets, into host. */
static int s_tcp_host(const char *ep, char *host, size_t cap)
{
    if (strncmp(ep, "tcp://", 6) != 0) {
        return -1;
    }
    const char *h = ep + 6, *colon = strrchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= cap) {
        return -1;
    }
    memcpy(host, h, n);
    host[n] = 0;
    return 0;
}

bool cx_net_is_local(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0) {
        return true;
    }
    char host[256];
    if (s_tcp_host(ep, host, sizeof host) != 0) {
        return false;
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return strcasecmp(host, "localhost") == 0 || strcmp(host, "lo") == 0;
}

bool cx_net_is_wildcard(const char *ep)
{
    char host[256];
    if (s_tcp_host(ep, host, sizeof host) != 0) {
        return false;
    }
    return strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

int cx_net_check_listener(const char *opt, const char *ep, bool keyed, bool insecure)
{
    if (keyed || cx_net_is_local(ep)) {
        return 0;
    }
    if (insecure) {
        cx_log_warn("WARNING: --insecure: %s %s listens beyond this machine WITHOUT a run key: "
                    "anyone who reaches it can join, stall or steer this run, and read its "
                    "results",
                    opt, ep);
        return 0;
    }
    cx_log_error("%s %s listens beyond this machine without a run key: anyone who reaches it "
                 "could join, stall or steer the run. Give --key FILE (make one with `cxsim "
                 "keygen`), listen on 127.0.0.1 or ipc://, or pass --insecure to accept that",
                 opt, ep);
    return -1;
}

/* ---- handshake failures (zmq_socket_monitor) ------------------------- */

int cx_net_monitor_open(cx_net_monitor_t *m, void *zctx, void *sock)
{
    return cx_net_monitor_open_events(m, zctx, sock,
                                      ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                          ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                          ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
}

int cx_net_monitor_wait_connected(cx_net_monitor_t *m, long long deadline_ms, int *retried)
{
    for (;;) {
        long long left = deadline_ms - cx_now_ms();
        if (!m->pair || left <= 0) {
            return -1;
        }
        zmq_pollitem_t it = {m->pair, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)left) <= 0) {
            continue;
        }
        uint8_t head[6];
        int r = zmq_recv(m->pair, head, sizeof head, ZMQ_DONTWAIT);
        if (r < 0) {
            continue;
        }
        char ep[256];
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(m->pair, ZMQ_RCVMORE, &more, &ml);
        if (more) {
            zmq_recv(m->pair, ep, sizeof ep, ZMQ_DONTWAIT);
        }
        uint16_t ev = 0;
        if (r >= 2) {
            memcpy(&ev, head, 2);
        }
        if (ev == ZMQ_EVENT_CONNECTED) {
            return 0;
        }
        if (ev == ZMQ_EVENT_CONNECT_RETRIED) {
            (*retried)++;
        }
    }
}

int cx_net_monitor_open_events(cx_net_monitor_t *m, void *zctx, void *sock, int events)
{
    static int seq = 0; /* inproc names are per context; a process may watch several sockets */
    memset(m, 0, sizeof *m);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://cx-monitor-%d-%p", __atomic_fetch_add(&seq, 1, 0), sock);
    if (zmq_socket_monitor(sock, ep, events) != 0) {
        return -1;
    }
    m->pair = zmq_socket(zctx, ZMQ_PAIR);
    int zero = 0;
    if (!m->pair || zmq_setsockopt(m->pair, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_connect(m->pair, ep) != 0) {
        if (m->pair) {
            zmq_close(m->pair);
        }
        m->pair = NULL;
        zmq_socket_monitor(sock, NULL, 0);
        return -1;
    }
    m->sock = sock;
    return 0;
}

int cx_net_monitor_read(cx_net_monitor_t *m)
{
    int n = 0;
    while (m->pair) {
        /* Two frames: the event (16-bit id, 32-bit value) and the endpoint. */
        uint8_t head[6];
        int r = zmq_recv(m->pair, head, sizeof head, ZMQ_DONTWAIT);
        if (r < 0) {
            break;
        }
        char ep[128];
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(m->pair, ZMQ_RCVMORE, &more, &ml);
        int el = more ? zmq_recv(m->pair, ep, sizeof ep - 1, ZMQ_DONTWAIT) : 0;
        ep[el > 0 ? (el < (int)sizeof ep ? el : (int)sizeof ep - 1) : 0] = 0;
        if (r < 6) {
            continue;
        }
        uint16_t ev;
        uint32_t val;
        memcpy(&ev, head, 2);
        memcpy(&val, head + 2, 4);
        m->failed++;
        n++;
        if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            m->key_failed++;
            snprintf(m->why, sizeof m->why, "the key check refused it (ZAP status %u) on %s",
                     val, ep);
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                   val == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
            m->mismatch++;
            snprintf(m->why, sizeof m->why, "one side uses a run key and the other none, on %s",
                     ep);
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                   (val & 0xff000000u) == 0x11000000u) {
            m->key_failed++;
            snprintf(m->why, sizeof m->why, "it could not be decrypted with the run key, on %s",
                     ep);
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            snprintf(m->why, sizeof m->why, "protocol error 0x%x on %s", val, ep);
        } else {
            /* A client whose server could not read its handshake sees only
             * the connection closed mid-handshake. */
            m->key_failed++;
            snprintf(m->why, sizeof m->why, "the peer closed the connection during it, on %s",
                     ep);
        }
    }
    return n;
}

void cx_net_monitor_explain(const cx_net_monitor_t *m, bool keyed, char *out, size_t cap)
{
    /* cxsim speaks CURVE (a run key) or nothing: without a key, any failed
     * handshake means the peer wants one; with one, a mechanism mismatch
     * means the peer has none, anything else another key. */
    if (m->failed == 0) {
        snprintf(out, cap, "%s", "");
    } else if (!keyed) {
        snprintf(out, cap,
                 "the handshake failed %lld time(s) (%s): the peer uses a run key and this "
                 "process has none: give --key FILE",
                 (long long)m->failed, m->why);
    } else if (m->mismatch > 0) {
        snprintf(out, cap,
                 "the handshake failed %lld time(s) (%s): this process has a run key and the "
                 "peer none: give both the same --key FILE",
                 (long long)m->failed, m->why);
    } else {
        snprintf(out, cap,
                 "the handshake failed %lld time(s) on the run key (%s): the two sides hold "
                 "different keys; give both the same --key FILE",
                 (long long)m->failed, m->why);
    }
}

void cx_net_monitor_close(cx_net_monitor_t *m)
{
    if (m->pair) {
        zmq_socket_monitor(m->sock, NULL, 0);
        zmq_close(m->pair);
        m->pair = NULL;
    }
}
