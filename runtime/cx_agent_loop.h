/*  cx_agent_loop — the one poll loop of every agent process, persona and
 *  department alike, with the role's work in callbacks.
 *
 *  State machine of a running agent (after READY):
 *
 *      POLL --coordinator readable--> read its messages:
 *               STOP        -> DONE (exit 0, BYE)
 *               TICK        -> role.on_tick; taken: back to POLL (the rest
 *                              of the coordinator's queue waits: the data
 *                              plane goes first)
 *               CHECKPOINT  -> role.on_checkpoint
 *               HEARTBEAT   -> (only refreshes the silence clock)
 *               other       -> dropped and counted
 *      POLL --data readable--> role.on_data
 *      POLL --after both-----> role.after (work that became possible)
 *      POLL --coordinator silent > 2 heartbeats--> DONE (exit 4)
 *      any  --SIGINT/SIGTERM--> DONE (exit 1)
 *      any  --a callback fails--> DONE (exit 1)
 *
 *  The coordinator's queue is read before the silence is judged: a message
 *  waiting in it means the coordinator is alive.
 *
 *  Callbacks return 0 to go on, 1 for "not expected now" (on_tick and
 *  on_checkpoint: the message is dropped and counted), -1 to stop the
 *  agent with exit 1 (after logging or cx_agent_fail).
 *  Ownership: the role's state is the caller's; nothing is allocated here.
 */
#ifndef CX_AGENT_LOOP_H
#define CX_AGENT_LOOP_H

#include <stdint.h>

#include "cx_agent.h"

typedef struct {
    void *self;  /* the role's state, handed to every callback */
    void *data;  /* the data socket polled beside the coordinator's */
    /* TICK (a->msg holds it): 0 taken, 1 dropped, -1 stop. */
    int (*on_tick)(void *self, cx_agent_t *a);
    /* CHECKPOINT for a->msg->tick: 0 answered, 1 dropped, -1 stop. */
    int (*on_checkpoint)(void *self, cx_agent_t *a);
    /* The data socket is readable: 0 or -1. */
    int (*on_data)(void *self, cx_agent_t *a);
    /* After each wake-up (may be NULL): 0 or -1. */
    int (*after)(void *self, cx_agent_t *a);
    /* The tick in progress or last done, for heartbeats. */
    int64_t (*tick)(const void *self);
} cx_agent_role_t;

/* Runs the agent until STOP (returns 0, after BYE), a failure (1) or the
 * coordinator's silence (CX_EXIT_COORD_LOST). */
int cx_agent_loop(cx_agent_t *a, const cx_agent_role_t *role);

#endif
