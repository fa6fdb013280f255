/*  cx_coord_join — JOINING and WELCOMED: every agent of the roster says
 *  HELLO; once all have, each gets WELCOME (the scenario, the departments'
 *  endpoints, the steady state) and, when resuming, RESTORE (its state from
 *  the checkpoint); then every agent says READY.
 *
 *      JOINING  --HELLO (s_on_hello)--> ... --the last HELLO--> s_welcome
 *      WELCOMED --READY--> ... --the last READY--> return 0 (tick start_tick)
 *      either   --startup timeout--> s_timed_out (names the culprits), -1
 *               --ERROR from an agent--> -1;  SIGINT/SIGTERM --> 1
 *
 *  See cx_coord.h for ownership and errors.
 */
#include <stdio.h>
#include <string.h>

#include "cx_coord.h"
#include "cx_log.h"

/* The startup timeout: the reason names only the culprits. Before everyone
 * joined, those that did not connect (the others cannot be ready yet:
 * WELCOME waits for all); after, those that did not get ready. */
static void s_timed_out(cx_coord_t *c, int joined, int startup_ms)
{
    int connecting = joined < c->n_agents;
    int k = snprintf(c->reason, sizeof c->reason, "agents did not %s within %d ms:",
                     connecting ? "connect" : "get ready", startup_ms);
    for (int i = 0; i < c->n_agents && k < (int)sizeof c->reason - 140; i++) {
        cx_coord_agent_t *a = &c->agents[i];
        if (connecting ? !a->rid_len : !a->ready) {
            k += snprintf(c->reason + k, sizeof c->reason - (size_t)k, " %s;", a->name);
        }
    }
    if (c->mon.failed > 0 && k < (int)sizeof c->reason - 1) {
        char why[600];
        cx_net_monitor_explain(&c->mon, c->curve.on, why, sizeof why);
        snprintf(c->reason + k, sizeof c->reason - (size_t)k, " meanwhile %s", why);
    }
}

/* JOINING -> WELCOMED: every agent joined; WELCOME to all, then RESTORE to
 * each when resuming. 0, or -1 (reason set). */
static int s_welcome(cx_coord_t *c)
{
    const char *eps[CX_MAX_DEPTS];
    int32_t shards[CX_MAX_PERSONAS];
    for (int d = 0; d < c->sc->n_dept; d++) {
        eps[d] = c->agents[d].endpoint;
    }
    for (int p = 0; p < c->sc->n_persona; p++) {
        shards[p] = c->sc->persona[p].shards;
    }
    if (cx_enc_welcome(&c->enc, c->session, c->yaml, c->yaml_len, eps, c->sc->n_dept, shards,
                       c->sc->n_persona, c->heartbeat_ms, c->start_tick, c->steady,
                       c->steady_len) != 0 ||
        cx_coord_broadcast(c) != 0) {
        return -1;
    }
    for (int i = 0; c->resume && i < c->n_agents; i++) {
        if (cx_enc_restore(&c->enc, c->start_tick, c->resume->agent[i],
                           c->resume->agent_len[i]) != 0 ||
            cx_coord_send(c, &c->agents[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Takes every frame waiting: HELLO (counted in *joined; the last one sends
 * WELCOME), READY (counted in *ready), ERROR (the run fails). 0, or -1
 * (reason set). */
static int s_take(cx_coord_t *c, int *joined, int *ready)
{
    int type;
    cx_coord_agent_t *a;
    while ((a = cx_coord_recv(c, &type)) != NULL || type != 0) {
        if (!a) {
            continue;
        }
        if (type == CX_MSG_HELLO) {
            (*joined)++;
            cx_log_debug("%s joined (pid %lld)", a->name, (long long)a->pid);
            if (*joined == c->n_agents && s_welcome(c) != 0) {
                return -1;
            }
        } else if (type == CX_MSG_READY && !a->ready) {
            a->ready = 1;
            (*ready)++;
        } else if (type == CX_MSG_ERROR) {
            char text[512];
            cx_str_copy(text, sizeof text, c->msg->text);
            snprintf(c->reason, sizeof c->reason, "%s failed: %s", a->name, text);
            return -1;
        } else if (type != CX_MSG_HEARTBEAT) {
            c->dropped++;
        }
    }
    return 0;
}

int cx_coord_join(cx_coord_t *c, int startup_ms)
{
    long long deadline = cx_now_ms() + startup_ms;
    int joined = 0, ready = 0;
    while (ready < c->n_agents) {
        if (cx_coord_interrupted) {
            snprintf(c->reason, sizeof c->reason, "interrupted while agents were starting");
            return 1;
        }
        /* A peer whose handshake fails is invisible otherwise: no HELLO
         * gets through. Said once at once, and again in the reason. */
        if (cx_net_monitor_read(&c->mon) > 0 && !c->mon_told) {
            char why[600];
            cx_net_monitor_explain(&c->mon, c->curve.on, why, sizeof why);
            cx_log_warn("a peer could not connect: %s", why);
            c->mon_told = 1;
        }
        if (cx_now_ms() > deadline) {
            s_timed_out(c, joined, startup_ms);
            return -1;
        }
        if (cx_coord_wait(c, 100) != 0) {
            return -1;
        }
        /* Agents that are ready wait for the others (each first computes
         * the steady state): they must still hear the coordinator. */
        if (joined == c->n_agents) {
            cx_coord_heartbeat(c, c->start_tick);
        }
        if (s_take(c, &joined, &ready) != 0) {
            return -1;
        }
    }
    return 0;
}
