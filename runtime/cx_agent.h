/*  cx_agent — what every agent process does around its role: connect to the
 *  coordinator, introduce itself (HELLO), receive the run (WELCOME: the
 *  resolved scenario, the departments' data endpoints, the shard roster),
 *  exchange heartbeats, and notice when the coordinator is gone.
 *
 *  Agent state machine (persona and department alike):
 *
 *     CONNECT --HELLO--> JOINING --WELCOME--> READY --TICK--> RUNNING
 *        RUNNING --STOP--> (BYE) exit 0
 *        any state: coordinator silent > 2 x heartbeat  -> exit 4 (CX_EXIT_COORD_LOST)
 *        any state: SIGINT/SIGTERM                       -> exit 1
 *
 *  Ownership: cx_agent_t is caller storage (_init/_fini); the scenario it
 *  loads is heap-allocated and freed by cx_agent_fini.
 *  Errors: -1 with a logged reason.
 */
#ifndef CX_AGENT_H
#define CX_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cx_curve.h"
#include "cx_net.h"
#include "cx_proto.h"
#include "cx_scenario.h"
#include "cx_steady.h"

typedef struct {
    void *ctx;                              /* ZeroMQ context */
    bool czmq;                              /* ctx is CZMQ's (a department under a key) */
    void *coord;                            /* DEALER to the coordinator */
    cx_enc_t enc;                           /* encoder for outgoing messages */
    cx_msg_t *msg;                          /* decoder scratch (large) */
    cx_scenario_t *sc;                      /* the run's scenario */
    int heartbeat_ms;                       /* heartbeat interval */
    long long last_heard;                   /* ms: last message from the coordinator */
    long long last_sent;                    /* ms: last message to the coordinator */
    int64_t dropped;                        /* malformed or unexpected messages dropped */
    char run[64];                           /* run id: this session's secret (WELCOME) */
    char endpoints[CX_MAX_DEPTS][256];      /* data endpoint of each department */
    int32_t shards[CX_MAX_PERSONAS];        /* shards of each persona */
    int64_t start_tick;                     /* first tick to run (> 0: resuming) */
    char *copy;                             /* private copy of the last coordinator frame */
    size_t copy_cap;                        /* bytes allocated at copy */
    cx_curve_t curve;                       /* the run key (curve.on false: none) */
    cx_steady_t *steady;                    /* the run's steady state from WELCOME (owned), or NULL */
} cx_agent_t;

/* The routing id a persona shard's data socket must carry, derived from the
 * run's session secret (WELCOME's `run`, known to the roster only): "s"
 * and 32 hex digits of BLAKE2b-128 keyed by run over "persona P shard S".
 * A department takes a REQUESTS batch for (P, S) only from this id, so a
 * stranger, or a stale agent of another run, cannot answer in a shard's
 * name (docs/PROTOCOL.md, "Peers bound at the handshake"). */
#define CX_SLOT_RID_LEN 33
void cx_slot_rid(const char *run, int persona, int shard, char out[CX_SLOT_RID_LEN + 1]);

/* Set by SIGINT/SIGTERM once cx_agent_signals() is installed. */
extern volatile sig_atomic_t cx_agent_interrupted;
void cx_agent_signals(void);

int cx_agent_init(cx_agent_t *a);
void cx_agent_fini(cx_agent_t *a);

/* Loads the run key (--key FILE): every connection of the agent is then
 * encrypted and authenticated (cx_curve.h). An agent that serves (binds a
 * socket others connect to) also starts the key check, zauth, on CZMQ's
 * context, which replaces its own. Call before cx_agent_join and before
 * creating any socket. */
int cx_agent_use_key(cx_agent_t *a, const char *path, bool serves);

/* Connects, sends HELLO and waits up to timeout_ms for WELCOME, then
 * loads the scenario it carries. */
int cx_agent_join(cx_agent_t *a, const char *connect, const char *role, const char *id, int shard,
                  int nshards, const char *endpoint, int timeout_ms);

/* Sends the encoder's message to the coordinator. */
int cx_agent_send(cx_agent_t *a);

/* A fatal error of this agent, said where it counts: logged, and sent to
 * the coordinator as ERROR (when joined), which fails the run with this
 * reason in summary.json ("persona X shard 0/1 failed: out of memory ...")
 * instead of waiting for the agent's silence or the launcher's word. */
void cx_agent_fail(cx_agent_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends a heartbeat when nothing was sent for a heartbeat interval. */
void cx_agent_tick_heartbeat(cx_agent_t *a, int64_t tick);

/* 1 when the coordinator has been silent for more than 2 heartbeats. */
int cx_agent_coordinator_lost(const cx_agent_t *a);

/* Receives and decodes one message from the coordinator (non-blocking).
 * Returns the message type, 0 when nothing is waiting, or -1 after
 * dropping (and counting) a malformed one. */
int cx_agent_recv_coord(cx_agent_t *a);

/* When resuming (start_tick > 0): waits for RESTORE and hands its state
 * to restore(ud, buf, len). Returns 0, or -1 (timeout, or restore failed). */
int cx_agent_restore(cx_agent_t *a, int (*restore)(void *ud, const uint8_t *buf, size_t len),
                     void *ud, int timeout_ms);

/* Answers CHECKPOINT for tick t: snapshot(ud, &buf, &len) then SNAPSHOT. */
int cx_agent_snapshot(cx_agent_t *a, int64_t tick,
                      int (*snapshot)(const void *ud, uint8_t **buf, size_t *len),
                      const void *ud);

/* Sends BYE with the drop count. */
void cx_agent_bye(cx_agent_t *a);

/* Parses "--name value" style integers; returns -1 on junk. */
int cx_parse_int(const char *s, long long lo, long long hi, long long *out);

#endif
