/*  cx_control — a run's control socket (see cx_control.h). */
#include "cx_control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_net.h"
#include "cx_output.h"

/* A command the callback held (it returned -1), with whom to answer. */
struct cx_control_held {
    unsigned char rid[CX_RID_MAX];   /* the client's routing id */
    size_t rid_len;                  /* bytes in rid */
    char verb[64];                   /* the command */
    char key[512];                   /* ... */
    char value[CX_CONTROL_TEXT_MAX]; /* ... */
};

#define S_LIVE_FILE "live.endpoints"

int cx_control_open(cx_control_t *ctl, void *zctx, const char *endpoint, const cx_curve_t *curve,
                    char *err, size_t cap)
{
    memset(ctl, 0, sizeof *ctl);
    cx_enc_init(&ctl->enc);
    ctl->msg = malloc(sizeof *ctl->msg);
    if (!ctl->msg) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    cx_msg_init(ctl->msg);
    ctl->sock = zmq_socket(zctx, ZMQ_ROUTER);
    int zero = 0;
    if (!ctl->sock) {
        snprintf(err, cap, "cannot create the control socket: %s", zmq_strerror(errno));
        return -1;
    }
    zmq_setsockopt(ctl->sock, ZMQ_LINGER, &zero, sizeof zero);
    cx_net_limit(ctl->sock, CX_NET_MAX_SMALL); /* a command is small; refuse more unread */
    if (cx_curve_server(curve, ctl->sock) != 0 || zmq_bind(ctl->sock, endpoint) != 0) {
        snprintf(err, cap, "cannot bind the control socket %s: %s", endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

void cx_control_close(cx_control_t *ctl)
{
    if (ctl->sock) {
        /* Commands still held get their answer: the run will not take them. */
        for (int i = 0; i < ctl->n_held; i++) {
            if (cx_enc_reply(&ctl->enc, 0, "the run ended before this command could be taken") ==
                0) {
                cx_net_send(ctl->sock, ctl->held[i].rid, ctl->held[i].rid_len, &ctl->enc);
            }
        }
        if (ctl->n_held > 0) {
            int linger = 200;
            zmq_setsockopt(ctl->sock, ZMQ_LINGER, &linger, sizeof linger);
        }
        zmq_close(ctl->sock);
        ctl->sock = NULL;
    }
    free(ctl->held);
    ctl->held = NULL;
    ctl->n_held = 0;
    if (ctl->msg) {
        cx_msg_fini(ctl->msg);
        free(ctl->msg);
        ctl->msg = NULL;
    }
    cx_enc_fini(&ctl->enc);
}

/* Copies s into a NUL-terminated buffer; fails when it does not fit or
 * holds a NUL (a string the callback could not see whole). */
static int s_text(char *buf, size_t cap, cx_str_t s)
{
    if (s.len >= cap || (s.len > 0 && memchr(s.ptr, 0, s.len))) {
        return -1;
    }
    if (s.len > 0) {
        memcpy(buf, s.ptr, s.len);
    }
    buf[s.len] = 0;
    return 0;
}

static void s_reply(cx_control_t *ctl, const cx_frame_t *f, int ok, const char *text)
{
    if (cx_enc_reply(&ctl->enc, ok, text) == 0) {
        cx_net_send(ctl->sock, f->rid, f->rid_len, &ctl->enc);
    }
}

/* Hands the held commands to fn again, in order, keeping those it holds
 * still. Returns how many were answered. */
static int s_serve_held(cx_control_t *ctl, cx_control_fn fn, void *user, char *reply, size_t cap)
{
    int served = 0, kept = 0;
    for (int i = 0; i < ctl->n_held; i++) {
        cx_control_held_t *h = &ctl->held[i];
        reply[0] = 0;
        int ok = fn(user, h->verb, h->key, h->value, reply, cap);
        if (ok < 0) {
            if (kept != i) {
                memcpy(&ctl->held[kept], h, sizeof *h);
            }
            kept++;
            continue;
        }
        if (cx_enc_reply(&ctl->enc, ok ? 1 : 0, reply) == 0) {
            cx_net_send(ctl->sock, h->rid, h->rid_len, &ctl->enc);
        }
        ctl->commands++;
        ctl->refused += !ok;
        served++;
    }
    ctl->n_held = kept;
    return served;
}

int cx_control_serve(cx_control_t *ctl, cx_control_fn fn, void *user)
{
    static char verb[64], key[512], value[CX_CONTROL_TEXT_MAX], reply[CX_CONTROL_TEXT_MAX];
    int served = 0;
    if (!ctl->sock) {
        return 0;
    }
    served += s_serve_held(ctl, fn, user, reply, sizeof reply);
    /* At most CX_CONTROL_BATCH frames a call: a client flooding the socket
     * delays the next tick by that much, never indefinitely. */
    for (int k = 0; k < CX_CONTROL_BATCH && ctl->n_held < CX_CONTROL_BATCH; k++) {
        cx_frame_t f;
        int r = cx_net_recv(ctl->sock, true, &f, ZMQ_DONTWAIT);
        if (r < 0) {
            break;
        }
        if (r == 1) {
            ctl->dropped++;
            continue;
        }
        int t = cx_msg_decode(ctl->msg, cx_frame_data(&f), cx_frame_size(&f));
        if (t != CX_MSG_COMMAND) {
            ctl->dropped++;
            s_reply(ctl, &f, 0,
                    t <= 0 ? cx_proto_strerror(t) : "expected a COMMAND on the control socket");
            cx_frame_close(&f);
            continue;
        }
        if (s_text(verb, sizeof verb, ctl->msg->text) || s_text(key, sizeof key, ctl->msg->key) ||
            s_text(value, sizeof value, ctl->msg->value)) {
            ctl->dropped++;
            s_reply(ctl, &f, 0, "a verb, key or value too long or holding a NUL byte");
            cx_frame_close(&f);
            continue;
        }
        reply[0] = 0;
        int ok = fn(user, verb, key, value, reply, sizeof reply);
        if (ok < 0) {
            if (!ctl->held) {
                ctl->held = calloc(CX_CONTROL_BATCH, sizeof *ctl->held);
            }
            if (ctl->held) {
                cx_control_held_t *h = &ctl->held[ctl->n_held++];
                memcpy(h->rid, f.rid, f.rid_len);
                h->rid_len = f.rid_len;
                memcpy(h->verb, verb, sizeof h->verb);
                memcpy(h->key, key, sizeof h->key);
                memcpy(h->value, value, sizeof h->value);
                cx_frame_close(&f);
                continue;
            }
            snprintf(reply, sizeof reply, "busy: try again");
            ok = 0;
        }
        s_reply(ctl, &f, ok ? 1 : 0, reply);
        cx_frame_close(&f);
        ctl->commands++;
        ctl->refused += !ok;
        served++;
    }
    return served;
}

int cx_control_call(const char *endpoint, const char *verb, const char *key, const char *value,
                    int timeout_ms, char *reply, size_t cap)
{
    return cx_control_call_key(endpoint, NULL, verb, key, value, timeout_ms, reply, cap);
}

int cx_control_call_key(const char *endpoint, const cx_curve_t *curve, const char *verb,
                        const char *key, const char *value, int timeout_ms, char *reply,
                        size_t cap)
{
    int rc = -1;
    void *zctx = zmq_ctx_new();
    void *s = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
    cx_net_monitor_t mon = {0};
    cx_enc_t enc;
    cx_enc_init(&enc);
    cx_msg_t *m = malloc(sizeof *m);
    if (m) {
        cx_msg_init(m);
    }
    if (!s || !m) {
        snprintf(reply, cap, "cannot create a socket: %s", zmq_strerror(errno));
        goto done;
    }
    cx_net_monitor_open(&mon, zctx, s); /* a handshake that fails says why */
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    cx_net_limit(s, CX_NET_MAX_SMALL);
    if (cx_curve_client(curve, s) != 0 || zmq_connect(s, endpoint) != 0) {
        snprintf(reply, cap, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        goto done;
    }
    /* A DEALER whose every handshake fails has no peer to queue for: the
     * send is bounded by the timeout too, and its failure explained. */
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    if (cx_enc_command(&enc, verb, key ? key : "", value ? value : "") != 0) {
        snprintf(reply, cap, "out of memory");
        goto done;
    }
    if (cx_net_send(s, NULL, 0, &enc) != 0) {
        int e = errno;
        if (e == EAGAIN && cx_net_monitor_read(&mon) > 0) {
            char why[600];
            cx_net_monitor_explain(&mon, curve && curve->on, why, sizeof why);
            snprintf(reply, cap, "cannot reach %s: %s", endpoint, why);
        } else if (e == EAGAIN) {
            snprintf(reply, cap, "no answer from %s within %d ms (has the run ended?)", endpoint,
                     timeout_ms);
        } else {
            snprintf(reply, cap, "cannot send the command: %s", zmq_strerror(e));
        }
        goto done;
    }
    /* Waits in slices, watching the handshake: one that keeps failing for
     * 2 s (or until the timeout) is a key mismatch, said as such. */
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long t0 = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, first_failure = -1;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (cx_net_monitor_read(&mon) > 0 && first_failure < 0) {
            first_failure = now;
        }
        long long left = t0 + timeout_ms - now;
        if (first_failure >= 0 && (now - first_failure >= 2000 || left <= 0)) {
            char why[600];
            cx_net_monitor_explain(&mon, curve && curve->on, why, sizeof why);
            snprintf(reply, cap, "cannot reach %s: %s", endpoint, why);
            goto done;
        }
        if (left <= 0) {
            snprintf(reply, cap, "no answer from %s within %d ms (has the run ended?)", endpoint,
                     timeout_ms);
            goto done;
        }
        int r = zmq_poll(&it, 1, left < 100 ? (long)left : 100);
        if (r > 0) {
            break;
        }
        if (r < 0 && errno != EINTR) {
            snprintf(reply, cap, "cannot wait for %s: %s", endpoint, zmq_strerror(errno));
            goto done;
        }
    }
    cx_frame_t f;
    if (cx_net_recv(s, false, &f, ZMQ_DONTWAIT) != 0) {
        snprintf(reply, cap, "a malformed answer from %s", endpoint);
        goto done;
    }
    if (cx_msg_decode(m, cx_frame_data(&f), cx_frame_size(&f)) != CX_MSG_REPLY) {
        snprintf(reply, cap, "an answer from %s that is not a REPLY", endpoint);
        cx_frame_close(&f);
        goto done;
    }
    size_t n = m->text.len < cap ? m->text.len : cap - 1;
    if (n > 0) {
        memcpy(reply, m->text.ptr, n);
    }
    reply[n] = 0;
    rc = m->ok ? 1 : 0;
    cx_frame_close(&f);
done:
    if (m) {
        cx_msg_fini(m);
        free(m);
    }
    cx_enc_fini(&enc);
    cx_net_monitor_close(&mon);
    if (s) {
        zmq_close(s);
    }
    if (zctx) {
        zmq_ctx_term(zctx);
    }
    return rc;
}

int cx_live_endpoints_write(const char *dir, const char *control, const char *rows)
{
    char path[4200], text[1200];
    snprintf(path, sizeof path, "%s/" S_LIVE_FILE, dir);
    int n = snprintf(text, sizeof text, "control %s\nrows %s\n", control ? control : "-",
                     rows ? rows : "-");
    if (n < 0 || (size_t)n >= sizeof text) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return cx_write_atomic(path, text, (size_t)n);
}

int cx_live_endpoint_read(const char *dir, const char *name, char *ep, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" S_LIVE_FILE, dir);
    char *text = NULL;
    size_t len = 0;
    if (cx_read_file(path, 8192, &text, &len) != 0) {
        return -1;
    }
    size_t nl = strlen(name);
    int rc = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, name, nl) == 0 && line[nl] == ' ' && strcmp(line + nl + 1, "-") != 0) {
            snprintf(ep, cap, "%s", line + nl + 1);
            rc = 0;
            break;
        }
    }
    free(text);
    if (rc != 0) {
        errno = ENOKEY;
    }
    return rc;
}

void cx_live_endpoints_remove(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" S_LIVE_FILE, dir);
    unlink(path);
}
