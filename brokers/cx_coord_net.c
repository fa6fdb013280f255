/*  cx_coord_net — the coordinator's side of the roster's ROUTER socket:
 *  receiving a frame (decoded from a private copy), admitting a HELLO to a
 *  free slot of the roster, sending to one agent or all, heartbeats, loss
 *  detection, dropped frames (counted, logged without flooding) and the
 *  STOP/BYE farewell. See cx_coord.h for ownership and errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_coord.h"
#include "cx_log.h"
#include "cx_version.h"

/* Whether to log one more dropped frame. The first S_DROPS_TOLD are logged
 * one by one; after that one line every S_DROPS_EVERY_MS sums them up, so a
 * peer sending junk cannot flood stderr (or the disk it is redirected to):
 * summary.json counts every drop anyway. */
#define S_DROPS_TOLD 10
#define S_DROPS_EVERY_MS 5000

static int s_tell_drop(cx_coord_t *c)
{
    if (c->drops_told < S_DROPS_TOLD) {
        c->drops_told++;
        if (c->drops_told == S_DROPS_TOLD) {
            c->drops_told_ms = cx_now_ms();
        }
        return 1;
    }
    c->drops_untold++;
    if (cx_now_ms() - c->drops_told_ms >= S_DROPS_EVERY_MS) {
        cx_log_warn("dropped %lld more frames in the last %d s (not logged one by one)",
                    (long long)c->drops_untold, S_DROPS_EVERY_MS / 1000);
        c->drops_untold = 0;
        c->drops_told_ms = cx_now_ms();
    }
    return 0;
}

/* Drops a well-formed message from a member of the roster that does not fit
 * (another tick, another index, a second one, a wrong size, a type out of
 * place): counted, and logged (the first S_DROPS_TOLD of each agent), since
 * the tick it belonged to may now wait for the tick timeout. */
void cx_coord_drop_member(cx_coord_t *c, cx_coord_agent_t *a, int type, const char *fmt, ...)
{
    c->dropped++;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    int k =
        snprintf(a->last_drop, sizeof a->last_drop, "its %s was dropped: ", cx_msg_type_name(type));
    if (k > 0 && (size_t)k < sizeof a->last_drop) {
        memcpy(a->last_drop + k, why, strnlen(why, sizeof a->last_drop - (size_t)k - 1));
        a->last_drop[k + (int)strnlen(why, sizeof a->last_drop - (size_t)k - 1)] = 0;
    }
    a->last_drop_tick = c->next_tick - 1; /* the tick running */
    if (a->told++ >= S_DROPS_TOLD) {
        return;
    }
    cx_log_warn("dropped a %s from %s (pid %lld): %s%s", cx_msg_type_name(type), a->name,
                (long long)a->pid, why,
                a->told == S_DROPS_TOLD ? " (its further drops are counted, not logged)" : "");
}

static cx_coord_agent_t *s_by_rid(cx_coord_t *c, const cx_frame_t *f)
{
    for (int i = 0; i < c->n_agents; i++) {
        cx_coord_agent_t *a = &c->agents[i];
        if (a->rid_len == f->rid_len && memcmp(a->rid, f->rid, f->rid_len) == 0) {
            return a;
        }
    }
    return NULL;
}

int cx_coord_send(cx_coord_t *c, cx_coord_agent_t *a)
{
    if (cx_net_send(c->router, a->rid, a->rid_len, &c->enc) != 0) {
        snprintf(c->reason, sizeof c->reason, "cannot send to %s: %s", a->name,
                 zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int cx_coord_broadcast(cx_coord_t *c)
{
    for (int i = 0; i < c->n_agents; i++) {
        if (c->agents[i].rid_len && cx_coord_send(c, &c->agents[i]) != 0) {
            return -1;
        }
    }
    c->last_beat = cx_now_ms();
    return 0;
}

void cx_coord_heartbeat(cx_coord_t *c, int64_t tick)
{
    if (cx_now_ms() - c->last_beat >= c->heartbeat_ms && cx_enc_heartbeat(&c->enc, tick) == 0) {
        cx_coord_broadcast(c);
    }
}

/* Names the first agent silent for more than two heartbeats. */
cx_coord_agent_t *cx_coord_lost(cx_coord_t *c)
{
    long long now = cx_now_ms();
    for (int i = 0; i < c->n_agents; i++) {
        cx_coord_agent_t *a = &c->agents[i];
        if (a->rid_len && now - a->last_heard > 2LL * c->heartbeat_ms) {
            return a;
        }
    }
    return NULL;
}

/* Admits a HELLO from a peer outside the roster to the free slot of the
 * roster it names (a department by id, with a data endpoint; a persona
 * shard by id, shard and shard count). Returns the slot, or NULL after
 * telling the peer with a STOP that it is not let in. */
static cx_coord_agent_t *s_admit(cx_coord_t *c, const cx_frame_t *f)
{
    cx_coord_agent_t *a = NULL;
    cx_msg_t *m = c->msg;
    int dept = cx_str_eq(m->role, "department");
    char id[CX_ID_MAX + 1];
    cx_str_copy(id, sizeof id, m->id);
    for (int i = 0; i < c->n_agents; i++) {
        cx_coord_agent_t *s = &c->agents[i];
        if (s->rid_len) {
            continue;
        }
        if (dept && s->role == 0 && strcmp(c->sc->dept[s->index].id, id) == 0) {
            a = s;
        } else if (!dept && cx_str_eq(m->role, "persona") && s->role == 1 &&
                   strcmp(c->sc->persona[s->index].id, id) == 0 && s->shard == m->shard &&
                   c->sc->persona[s->index].shards == m->nshards) {
            a = s;
        }
        if (a) {
            break;
        }
    }
    if (a) {
        memcpy(a->rid, f->rid, f->rid_len);
        a->rid_len = f->rid_len;
        a->pid = m->pid;
        cx_str_copy(a->endpoint, sizeof a->endpoint, m->endpoint);
        if (dept && a->endpoint[0] == '\0') {
            a->rid_len = 0;
            a = NULL;
        }
    }
    if (!a) {
        if (s_tell_drop(c)) {
            cx_log_warn("refused a HELLO for %.*s '%s' shard %d: not in the roster or taken",
                        (int)(m->role.len > 32 ? 32 : m->role.len),
                        m->role.ptr ? m->role.ptr : "", id, m->shard);
        }
        if (cx_enc_stop(&c->enc, "not in the roster of this run") == 0) {
            cx_net_send(c->router, f->rid, f->rid_len, &c->enc);
        }
    }
    return a;
}

/* Receives one frame. Returns the sender (NULL when the frame was dropped
 * or nothing was waiting: then *type is 0) and the message type. HELLO is
 * the only message accepted from a peer outside the roster. */
cx_coord_agent_t *cx_coord_recv(cx_coord_t *c, int *type)
{
    cx_frame_t f;
    *type = 0;
    int r = cx_net_recv(c->router, true, &f, ZMQ_DONTWAIT);
    if (r < 0) {
        return NULL;
    }
    c->messages++;
    if (r == 1) {
        c->dropped++;
        *type = -1;
        return NULL;
    }
    /* Decode from a private copy: decoded strings point into it, and it
     * lives until the next frame is read. */
    size_t n = cx_frame_size(&f);
    c->bytes += (int64_t)n;
    if (n > c->copy_cap) {
        char *p = realloc(c->copy, n);
        if (!p) {
            cx_frame_close(&f);
            c->dropped++;
            *type = -1;
            return NULL;
        }
        c->copy = p;
        c->copy_cap = n;
    }
    memcpy(c->copy, cx_frame_data(&f), n);
    cx_frame_close(&f);
    cx_coord_agent_t *a = s_by_rid(c, &f);
    int t = cx_msg_decode(c->msg, c->copy, n);
    if (t == CX_PROTO_EVERSION && !a && c->msg->other_type == CX_MSG_HELLO) {
        /* An agent of another cxsim: tell it why it is not let in (a STOP
         * of this version; the reason reads as text whatever it speaks). */
        char why[200];
        snprintf(why, sizeof why,
                 "protocol version %lld is not this coordinator's (version %d, cxsim %s): run "
                 "the same cxsim on every machine",
                 (long long)c->msg->other_version, CX_PROTO_VERSION, CX_VERSION);
        if (s_tell_drop(c)) {
            cx_log_warn("refused a HELLO: %s", why);
        }
        if (cx_enc_stop(&c->enc, why) == 0) {
            cx_net_send(c->router, f.rid, f.rid_len, &c->enc);
        }
        c->dropped++;
        *type = -1;
        return NULL;
    }
    if (t <= 0) {
        if (a ? a->told++ < S_DROPS_TOLD : s_tell_drop(c)) {
            cx_log_warn("dropped a frame from %s: %s", a ? a->name : "an unknown peer",
                        cx_proto_strerror(t));
        }
        c->dropped++;
        *type = -1;
        return NULL;
    }
    if (!a && t == CX_MSG_HELLO) {
        a = s_admit(c, &f);
        if (!a) {
            c->dropped++;
            *type = -1;
            return NULL;
        }
    } else if (!a) {
        c->dropped++;
        *type = -1;
        return NULL;
    }
    a->last_heard = cx_now_ms();
    *type = t;
    return a;
}

int cx_coord_wait(cx_coord_t *c, int timeout_ms)
{
    zmq_pollitem_t it = {c->router, 0, ZMQ_POLLIN, 0};
    int r = zmq_poll(&it, 1, timeout_ms);
    if (r < 0 && errno != EINTR) {
        snprintf(c->reason, sizeof c->reason, "poll failed: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

void cx_coord_stop_agents(cx_coord_t *c, const char *reason, int wait_ms)
{
    if (cx_enc_stop(&c->enc, reason) == 0) {
        cx_coord_broadcast(c);
    }
    long long deadline = cx_now_ms() + wait_ms;
    int byes = 0;
    for (int i = 0; i < c->n_agents; i++) {
        byes += c->agents[i].bye || !c->agents[i].rid_len;
    }
    while (byes < c->n_agents && cx_now_ms() < deadline) {
        if (cx_coord_wait(c, 50) != 0) {
            break;
        }
        int type;
        cx_coord_agent_t *a;
        while ((a = cx_coord_recv(c, &type)) != NULL || type != 0) {
            if (a && type == CX_MSG_BYE && !a->bye) {
                a->bye = 1;
                a->dropped = c->msg->dropped;
                byes++;
            }
        }
    }
}
