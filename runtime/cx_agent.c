/*  cx_agent — agent session around the role (see cx_agent.h). */
#include "cx_agent.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_load.h"
#include "cx_log.h"
#include "cx_proc.h"
#include "cx_signals.h"

volatile sig_atomic_t cx_agent_interrupted = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    cx_agent_interrupted = 1;
}

void cx_agent_signals(void)
{
    cx_signals_on_stop(s_on_signal);
}

int cx_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s) {
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

int cx_agent_init(cx_agent_t *a)
{
    memset(a, 0, sizeof *a);
    /* A department holds one connection per persona shard. */
    cx_proc_raise_nofile();
    a->ctx = zmq_ctx_new();
    a->msg = malloc(sizeof *a->msg);
    a->sc = malloc(sizeof *a->sc);
    if (!a->ctx || !a->msg || !a->sc) {
        return -1;
    }
    cx_msg_init(a->msg);
    cx_enc_init(&a->enc);
    a->heartbeat_ms = 1000;
    return 0;
}

void cx_agent_fini(cx_agent_t *a)
{
    cx_steady_destroy(&a->steady);
    if (a->coord) {
        /* The linger lets a BYE reach a coordinator that is there. When it
         * went silent (or we were told to stop), nobody will read what is
         * queued: without this, zmq_ctx_term would hold the exit for the
         * whole linger (2 s) after the coordinator was declared lost. */
        if (cx_agent_interrupted || cx_agent_coordinator_lost(a)) {
            int zero = 0;
            zmq_setsockopt(a->coord, ZMQ_LINGER, &zero, sizeof zero);
        }
        zmq_close(a->coord);
        a->coord = NULL;
    }
    if (a->msg) {
        cx_msg_fini(a->msg);
        free(a->msg);
        a->msg = NULL;
    }
    cx_enc_fini(&a->enc);
    free(a->sc);
    a->sc = NULL;
    free(a->copy);
    a->copy = NULL;
    cx_curve_stop(&a->curve);
    if (a->ctx && a->czmq) {
        cx_curve_context_term(a->ctx);
    } else if (a->ctx) {
        zmq_ctx_term(a->ctx);
    }
    a->ctx = NULL;
}

int cx_agent_use_key(cx_agent_t *a, const char *path, bool serves)
{
    char err[512];
    if (cx_curve_load(&a->curve, path, err, sizeof err) != 0) {
        cx_log_error("%s", err);
        return -1;
    }
    if (!serves) {
        return 0;
    }
    /* A socket that others connect to needs the key check, which serves
     * CZMQ's context: trade the plain context (no socket yet) for it. */
    zmq_ctx_term(a->ctx);
    a->ctx = cx_curve_context();
    a->czmq = true;
    if (!a->ctx || cx_curve_start(&a->curve, a->ctx, err, sizeof err) != 0) {
        cx_log_error("%s", a->ctx ? err : "cannot start CZMQ's context");
        return -1;
    }
    return 0;
}

int cx_agent_send(cx_agent_t *a)
{
    if (cx_net_send(a->coord, NULL, 0, &a->enc) != 0) {
        cx_log_error("cannot send to the coordinator: %s", zmq_strerror(errno));
        return -1;
    }
    a->last_sent = cx_now_ms();
    return 0;
}

void cx_agent_fail(cx_agent_t *a, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cx_log_error("%s", text);
    if (a->coord && cx_enc_error(&a->enc, text) == 0) {
        cx_agent_send(a);
    }
}

void cx_agent_tick_heartbeat(cx_agent_t *a, int64_t tick)
{
    if (cx_now_ms() - a->last_sent >= a->heartbeat_ms) {
        if (cx_enc_heartbeat(&a->enc, tick < 0 ? -1 : tick) == 0) {
            cx_agent_send(a);
        }
    }
}

int cx_agent_coordinator_lost(const cx_agent_t *a)
{
    return cx_now_ms() - a->last_heard > 2LL * a->heartbeat_ms;
}

int cx_agent_recv_coord(cx_agent_t *a)
{
    cx_frame_t f;
    int rc = cx_net_recv(a->coord, false, &f, ZMQ_DONTWAIT);
    if (rc < 0) {
        return 0;
    }
    if (rc == 1) {
        a->dropped++;
        return -1;
    }
    a->last_heard = cx_now_ms();
    /* The decoded message points into the frame: keep the frame until the
     * next receive by copying what must outlive it. Messages from the
     * coordinator are small (TICK, STOP, HEARTBEAT, WELCOME), so decode
     * from a private copy. */
    size_t n = cx_frame_size(&f);
    if (n > a->copy_cap) {
        char *p = realloc(a->copy, n);
        if (!p) {
            cx_frame_close(&f);
            a->dropped++;
            return -1;
        }
        a->copy = p;
        a->copy_cap = n;
    }
    memcpy(a->copy, cx_frame_data(&f), n);
    cx_frame_close(&f);
    int type = cx_msg_decode(a->msg, a->copy, n);
    if (type <= 0) {
        cx_log_warn("dropped a message from the coordinator: %s", cx_proto_strerror(type));
        a->dropped++;
        return -1;
    }
    return type;
}

void cx_agent_bye(cx_agent_t *a)
{
    if (cx_enc_bye(&a->enc, a->dropped) == 0) {
        cx_agent_send(a);
    }
}

static int s_join(cx_agent_t *a, cx_net_monitor_t *mon, const char *connect, const char *role,
                  const char *id, int shard, int nshards, const char *endpoint, int timeout_ms);

/* A handshake that keeps failing is given up on after this long (the
 * coordinator retries nothing: the keys will not start to match). */
#define S_HANDSHAKE_GIVE_UP_MS 2000

int cx_agent_join(cx_agent_t *a, const char *connect, const char *role, const char *id, int shard,
                  int nshards, const char *endpoint, int timeout_ms)
{
    a->coord = zmq_socket(a->ctx, ZMQ_DEALER);
    if (!a->coord) {
        cx_log_error("cannot connect to %s: %s", connect, zmq_strerror(errno));
        return -1;
    }
    cx_net_monitor_t mon;
    cx_net_monitor_open(&mon, a->ctx, a->coord); /* without it, only the timeout speaks */
    int rc = s_join(a, &mon, connect, role, id, shard, nshards, endpoint, timeout_ms);
    cx_net_monitor_close(&mon);
    return rc;
}

static int s_join(cx_agent_t *a, cx_net_monitor_t *mon, const char *connect, const char *role,
                  const char *id, int shard, int nshards, const char *endpoint, int timeout_ms)
{
    int linger = 2000;
    zmq_setsockopt(a->coord, ZMQ_LINGER, &linger, sizeof linger);
    if (cx_net_limit(a->coord, CX_NET_MAX_DATA) != 0 ||
        cx_curve_client(&a->curve, a->coord) != 0 || zmq_connect(a->coord, connect) != 0) {
        cx_log_error("cannot connect to %s: %s", connect, zmq_strerror(errno));
        return -1;
    }
    if (cx_enc_hello(&a->enc, role, id, shard, nshards, endpoint ? endpoint : "",
                     (int64_t)getpid()) != 0 ||
        cx_agent_send(a) != 0) {
        return -1;
    }
    long long deadline = cx_now_ms() + timeout_ms;
    long long first_failure = 0;
    a->last_heard = cx_now_ms();
    while (!cx_agent_interrupted) {
        long long left = deadline - cx_now_ms();
        char why[600];
        if (cx_net_monitor_read(mon) > 0 && !first_failure) {
            first_failure = cx_now_ms();
        }
        if (first_failure && (cx_now_ms() - first_failure >= S_HANDSHAKE_GIVE_UP_MS || left <= 0)) {
            cx_net_monitor_explain(mon, a->curve.on, why, sizeof why);
            cx_log_error("cannot join the coordinator at %s: %s", connect, why);
            return -1;
        }
        if (left <= 0) {
            cx_log_error("no answer from the coordinator at %s after %d ms", connect, timeout_ms);
            return -1;
        }
        zmq_pollitem_t it = {a->coord, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, left < 200 ? (long)left : 200) < 0 && errno != EINTR) {
            return -1;
        }
        int type;
        while ((type = cx_agent_recv_coord(a)) != 0) {
            if (type == CX_MSG_STOP) {
                char why[256];
                cx_str_copy(why, sizeof why, a->msg->text);
                cx_log_error("the coordinator refused this agent: %s", why);
                return -1;
            }
            if (type != CX_MSG_WELCOME) {
                continue;
            }
            cx_msg_t *m = a->msg;
            cx_str_copy(a->run, sizeof a->run, m->run);
            a->heartbeat_ms = m->heartbeat_ms;
            a->start_tick = m->start_tick;
            cx_diags_t d;
            cx_diags_init(&d);
            if (cx_scenario_load_string("<welcome>", m->scenario.ptr, m->scenario.len, NULL, 0,
                                        a->sc, &d) != 0) {
                cx_log_error("the scenario sent by the coordinator does not load:");
                cx_diags_print(stderr, &d);
                cx_diags_fini(&d);
                return -1;
            }
            cx_diags_fini(&d);
            if (m->n_endpoints != a->sc->n_dept || m->n_shards != a->sc->n_persona) {
                cx_log_error("the roster does not match the scenario");
                return -1;
            }
            for (int i = 0; i < m->n_endpoints; i++) {
                cx_str_copy(a->endpoints[i], sizeof a->endpoints[i], m->endpoints[i]);
            }
            for (int i = 0; i < m->n_shards; i++) {
                a->shards[i] = m->shards[i];
                a->sc->persona[i].shards = m->shards[i];
            }
            /* The steady state every part of a fresh run starts from,
             * computed once by the coordinator (empty when resuming). */
            cx_steady_destroy(&a->steady);
            if (m->records_len > 0) {
                a->steady = cx_steady_unpack(m->records, m->records_len, a->sc);
                if (!a->steady) {
                    cx_log_error("the steady state sent by the coordinator is not one of this "
                                 "scenario");
                    return -1;
                }
            } else if (a->start_tick == 0) {
                a->steady = cx_steady_new(a->sc);
                if (!a->steady) {
                    cx_agent_fail(a, "out of memory computing the steady state");
                    return -1;
                }
            }
            return 0;
        }
    }
    return -1;
}

int cx_agent_restore(cx_agent_t *a, int (*restore)(void *ud, const uint8_t *buf, size_t len),
                     void *ud, int timeout_ms)
{
    long long deadline = cx_now_ms() + timeout_ms;
    while (!cx_agent_interrupted && cx_now_ms() < deadline) {
        zmq_pollitem_t it = {a->coord, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) < 0 && errno != EINTR) {
            return -1;
        }
        int type;
        while ((type = cx_agent_recv_coord(a)) != 0) {
            if (type == CX_MSG_STOP) {
                return -1;
            }
            if (type == CX_MSG_RESTORE) {
                if (a->msg->tick != a->start_tick ||
                    restore(ud, a->msg->records, a->msg->records_len) != 0) {
                    cx_log_error("the checkpoint's state for tick %lld does not restore",
                                 (long long)a->msg->tick);
                    return -1;
                }
                return 0;
            }
        }
        cx_agent_tick_heartbeat(a, a->start_tick - 1);
    }
    cx_log_error("no state from the coordinator to resume from");
    return -1;
}

int cx_agent_snapshot(cx_agent_t *a, int64_t tick,
                      int (*snapshot)(const void *ud, uint8_t **buf, size_t *len),
                      const void *ud)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (snapshot(ud, &buf, &len) != 0) {
        cx_log_error("cannot snapshot tick %lld (out of memory)", (long long)tick);
        return -1;
    }
    int rc = cx_enc_snapshot(&a->enc, tick, buf, len) == 0 ? cx_agent_send(a) : -1;
    free(buf);
    return rc;
}

void cx_slot_rid(const char *run, int persona, int shard, char out[CX_SLOT_RID_LEN + 1])
{
    char what[64];
    int n = snprintf(what, sizeof what, "persona %d shard %d", persona, shard);
    unsigned char h[16];
    size_t klen = strlen(run);
    if (klen > crypto_generichash_KEYBYTES_MAX) {
        klen = crypto_generichash_KEYBYTES_MAX;
    }
    crypto_generichash(h, sizeof h, (const unsigned char *)what, (size_t)n,
                       klen >= crypto_generichash_KEYBYTES_MIN ? (const unsigned char *)run : NULL,
                       klen >= crypto_generichash_KEYBYTES_MIN ? klen : 0);
    out[0] = 's';
    sodium_bin2hex(out + 1, CX_SLOT_RID_LEN, h, sizeof h);
}
