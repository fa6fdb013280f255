/*  cx_coord_checkpoint — CHECKPOINT: between two ticks every agent is idle;
 *  the coordinator asks each for its state (CHECKPOINT t, answered by
 *  SNAPSHOT t), adds the company, the KPI history and the result files'
 *  state, and writes one file (cx_checkpoint.h) that `--resume` and
 *  `cxsim fork` start from. Taken every --checkpoint-every ticks
 *  (s_run in cx_coordinator.c) and on the control verb
 *  `checkpoint` (cx_coord_control.c).
 *
 *      ask (CHECKPOINT t to all) --SNAPSHOT t from every agent--> write, 0
 *      any: an agent lost, SIGINT/SIGTERM, out of memory, a write error --> -1
 *
 *  See cx_coord.h for ownership and errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_coord.h"

/* Asks every agent for its state after tick t and writes the checkpoint. */
int cx_coord_checkpoint(cx_coord_t *c, int64_t t)
{
    cx_checkpoint_t cp;
    if (cx_checkpoint_init(&cp, c->n_agents) != 0) {
        snprintf(c->reason, sizeof c->reason, "out of memory at the checkpoint of tick %lld",
                 (long long)t);
        return -1;
    }
    cp.next_tick = t + 1;
    if (cx_checkpoint_own(&cp, c->sc, c->run_id) != 0) {
        snprintf(c->reason, sizeof c->reason, "out of memory at the checkpoint of tick %lld",
                 (long long)t);
        cx_checkpoint_fini(&cp);
        return -1;
    }
    cp.company = *c->company;
    cp.hist = c->hist;
    cx_output_get_state(c->out, &cp.output);
    int rc = -1;
    if (cx_enc_checkpoint(&c->enc, t) != 0 || cx_coord_broadcast(c) != 0) {
        goto done;
    }
    int pending = c->n_agents;
    while (pending > 0) {
        if (cx_coord_interrupted) {
            snprintf(c->reason, sizeof c->reason, "interrupted during the checkpoint of tick %lld",
                     (long long)t);
            goto done;
        }
        cx_coord_agent_t *lost = cx_coord_lost(c);
        if (lost) {
            snprintf(c->reason, sizeof c->reason,
                     "lost %s (pid %lld) during the checkpoint of tick %lld", lost->name,
                     (long long)lost->pid, (long long)t);
            goto done;
        }
        if (cx_coord_wait(c, c->heartbeat_ms / 4 + 1) != 0) {
            goto done;
        }
        int type;
        cx_coord_agent_t *a;
        while ((a = cx_coord_recv(c, &type)) != NULL || type != 0) {
            if (a && type == CX_MSG_SNAPSHOT && c->msg->tick == t) {
                int i = (int)(a - c->agents);
                if (!cp.agent[i]) {
                    cp.agent[i] = malloc(c->msg->records_len + 1);
                    if (!cp.agent[i]) {
                        goto done;
                    }
                    memcpy(cp.agent[i], c->msg->records, c->msg->records_len);
                    cp.agent_len[i] = c->msg->records_len;
                    pending--;
                }
            } else if (a && type != CX_MSG_HEARTBEAT) {
                c->dropped++;
            }
        }
        cx_coord_heartbeat(c, t);
    }
    char err[512];
    if (cx_checkpoint_write(c->cp_path, &cp, err, sizeof err) != 0 ||
        cx_checkpoint_keep(c->cp_path, cp.next_tick, (int)c->args->keep_cp, err, sizeof err) != 0) {
        snprintf(c->reason, sizeof c->reason, "%s", err);
        goto done;
    }
    rc = 0;
done:
    cx_checkpoint_fini(&cp);
    return rc;
}
