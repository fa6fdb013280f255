/*  cx_coord_tick — TICKING, one tick t, in the phases of cx_tick.h (the
 *  same model calls in the same order as the in-process engine):
 *
 *      OPEN     s_open     the tick's context (cx_tick_open), TICK t to every agent
 *      COLLECT  s_collect  until TICK_DONE t from every shard (its tally) and
 *                          DEPT_DONE t from every department (its stats):
 *                          s_take adds each up; a lost agent, an ERROR, a
 *                          tick past --tick-timeout-ms (s_stalled) fail the run
 *      CLOSE    s_close    the row (cx_tick_close), on disk before the next
 *                          tick (cx_output_tick), published (s_publish)
 *
 *  The control socket is served during COLLECT: `status` is answered even
 *  in a stuck tick; changes wait for its end (cx_coord_control.c).
 *  See cx_coord.h for ownership and errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cx_coord.h"

/* OPEN: the tick's context, sent to every agent in TICK. 0, or -1. */
static int s_open(cx_coord_t *c, int t, cx_tickctx_t *tc)
{
    double words[CX_TICKCTX_WORDS];
    cx_tick_open(c->company, c->sc, t, tc); /* phase OPEN (cx_tick.h) */
    cx_tickctx_pack(tc, words);
    if (cx_enc_tick(&c->enc, t, words, CX_TICKCTX_WORDS) != 0 || cx_coord_broadcast(c) != 0) {
        return -1;
    }
    cx_tick_totals_zero(c->totals);
    for (int i = 0; i < c->n_agents; i++) {
        c->agents[i].done = 0;
    }
    return 0;
}

/* The reason of a tick that made no progress for --tick-timeout-ms: the
 * agents it still waits for, shards first (departments wait on the shards'
 * batches, so a stalled shard holds every department too), with why their
 * last message was dropped when that happened during this tick. */
static void s_stalled(cx_coord_t *c, int t, long long began)
{
    int k = snprintf(c->reason, sizeof c->reason,
                     "tick %d made no progress for %lld ms; still waiting for", t,
                     cx_now_ms() - began);
    int named = 0;
    for (int pass = 1; pass >= 0; pass--) {
        for (int i = 0; i < c->n_agents; i++) {
            const cx_coord_agent_t *a = &c->agents[i];
            if (a->done || a->role != pass) {
                continue;
            }
            if (named < 4 && k > 0 && (size_t)k + 300 < sizeof c->reason) {
                int said = a->last_drop[0] && a->last_drop_tick == t;
                k += snprintf(c->reason + k, sizeof c->reason - (size_t)k, "%s %s (pid %lld%s%s)",
                              named ? "," : "", a->name, (long long)a->pid, said ? "; " : "",
                              said ? a->last_drop : "");
            }
            named++;
        }
    }
    if (named > 4 && k > 0 && (size_t)k + 40 < sizeof c->reason) {
        snprintf(c->reason + k, sizeof c->reason - (size_t)k, " and %d more", named - 4);
    }
}

/* Takes one message of agent a during tick t: 1 when it completes the
 * agent's part of the tick (added to the totals), 0 when it was a
 * heartbeat or dropped, -1 when the agent failed (reason set). */
static int s_take(cx_coord_t *c, cx_coord_agent_t *a, int type, int t)
{
    cx_msg_t *m = c->msg;
    if (type == CX_MSG_TICK_DONE && a->role == 1 && m->tick == t && !a->done &&
        m->persona == a->index && m->shard == a->shard &&
        cx_tally_unpack(c->tally, m->iwords, m->n_iwords) == 0) {
        cx_tick_totals_add(c->totals, c->tally);
        a->done = 1;
        a->dropped = m->dropped;
        return 1;
    }
    if (type == CX_MSG_DEPT_DONE && a->role == 0 && m->tick == t && !a->done &&
        m->dept == a->index && m->n_words == CX_DEPT_STATS_WORDS) {
        cx_dept_stats_unpack(&c->totals->dept[a->index], m->words);
        a->done = 1;
        a->dropped = m->dropped;
        return 1;
    }
    if (type == CX_MSG_ERROR) {
        char text[512];
        cx_str_copy(text, sizeof text, m->text);
        snprintf(c->reason, sizeof c->reason, "%s failed at tick %d: %s", a->name, t, text);
        return -1;
    }
    if (type == CX_MSG_TICK_DONE || type == CX_MSG_DEPT_DONE) {
        int want_role = type == CX_MSG_TICK_DONE;
        int index = want_role ? m->persona : m->dept;
        if (a->role != want_role) {
            cx_coord_drop_member(c, a, type, "not a message this agent sends");
        } else if (m->tick != t) {
            cx_coord_drop_member(c, a, type, "for tick %lld while tick %d runs",
                                 (long long)m->tick, t);
        } else if (a->done) {
            cx_coord_drop_member(c, a, type, "a second one for tick %d", t);
        } else if (index != a->index || (want_role && m->shard != a->shard)) {
            cx_coord_drop_member(c, a, type, "it names %s %d, not its own %d",
                                 want_role ? "persona" : "department", index, a->index);
        } else if (want_role) {
            cx_coord_drop_member(c, a, type, "its tally of %d words does not unpack",
                                 m->n_iwords);
        } else {
            cx_coord_drop_member(c, a, type, "%d stats, expected %d", m->n_words,
                                 CX_DEPT_STATS_WORDS);
        }
    } else if (type != CX_MSG_HEARTBEAT) {
        cx_coord_drop_member(c, a, type, "unexpected during tick %d", t);
    }
    return 0;
}

/* COLLECT: until every agent's part of tick t is in. 0, or -1 (reason,
 * and status when interrupted). */
static int s_collect(cx_coord_t *c, int t, long long began)
{
    long long tick_timeout_ms = c->args->tick_timeout_ms;
    int pending = c->n_agents;
    while (pending > 0) {
        if (cx_coord_interrupted) {
            c->status = "interrupted";
            snprintf(c->reason, sizeof c->reason, "interrupted during tick %d", t);
            return -1;
        }
        cx_coord_agent_t *lost = cx_coord_lost(c);
        if (lost) {
            snprintf(c->reason, sizeof c->reason,
                     "lost %s (pid %lld) during tick %d: silent for %lld ms", lost->name,
                     (long long)lost->pid, t, cx_now_ms() - lost->last_heard);
            return -1;
        }
        /* Alive is not enough: a tick that does not finish (a batch that
         * never came, an agent stuck in a loop that still beats) fails
         * the run instead of holding it forever. */
        if (tick_timeout_ms > 0 && cx_now_ms() - began > tick_timeout_ms) {
            s_stalled(c, t, began);
            return -1;
        }
        /* The control socket too: `status` is answered during a tick,
         * even a stuck one; changes wait for the tick's end. */
        c->in_tick = 1;
        c->tick_began = began;
        zmq_pollitem_t it[2] = {{c->router, 0, ZMQ_POLLIN, 0}, {c->ctl.sock, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, c->ctl.sock ? 2 : 1, c->heartbeat_ms / 4 + 1) < 0 && errno != EINTR) {
            snprintf(c->reason, sizeof c->reason, "poll failed: %s", zmq_strerror(errno));
            return -1;
        }
        if (c->ctl.sock && (it[1].revents & ZMQ_POLLIN)) {
            cx_control_serve(&c->ctl, cx_coord_command, c);
        }
        c->in_tick = 0;
        int type;
        cx_coord_agent_t *a;
        while ((a = cx_coord_recv(c, &type)) != NULL || type != 0) {
            if (!a) {
                continue;
            }
            int r = s_take(c, a, type, t);
            if (r < 0) {
                return -1;
            }
            pending -= r;
        }
        cx_coord_heartbeat(c, t);
    }
    return 0;
}

/* The row of tick t to the observers (PUB): the KPI columns, then each
 * department's effective maturity (its ramp and J-curve), as
 * departments.csv has it: "maturity.ID". */
static void s_publish(cx_coord_t *c, int t, const cx_kpi_row_t *row)
{
    const char *names[64];
    double vals[64];
    int nc = cx_kpi_row_columns(row, names, vals, 64 - CX_MAX_DEPTS);
    nc = nc < 64 - CX_MAX_DEPTS ? nc : 64 - CX_MAX_DEPTS;
    static char mnames[CX_MAX_DEPTS][CX_ID_MAX + 16];
    for (int d = 0; d < c->sc->n_dept; d++) {
        snprintf(mnames[d], sizeof mnames[d], "maturity.%s", c->sc->dept[d].id);
        names[nc] = mnames[d];
        vals[nc++] = c->totals->dept[d].maturity;
    }
    if (cx_enc_row(&c->enc, t, names, vals, nc) == 0) {
        zmq_send(c->pub, cx_enc_data(&c->enc), cx_enc_size(&c->enc), ZMQ_DONTWAIT);
    }
}

/* CLOSE: the row, then the company takes it back; on disk, published. 0,
 * or -1 (reason set). */
static int s_close(cx_coord_t *c, int t, const cx_tickctx_t *tc)
{
    cx_kpi_row_t row;
    char err[1024] = "";
    cx_tick_close(c->company, c->sc, tc, &c->totals->total, c->totals->dept, &c->hist, &row);
    if (cx_output_tick(c->out, &row, c->totals, err, sizeof err) != 0) {
        snprintf(c->reason, sizeof c->reason, "%s", err);
        return -1;
    }
    if (c->pub) {
        s_publish(c, t, &row);
    }
    c->last_row = row;
    c->have_row = 1;
    return 0;
}

int cx_coord_tick(cx_coord_t *c, int t, long long began)
{
    cx_tickctx_t tc;
    if (s_open(c, t, &tc) != 0 || s_collect(c, t, began) != 0 || s_close(c, t, &tc) != 0) {
        return -1;
    }
    return 0;
}
