/*  cx_coord — the coordinator's state and its phases, shared by the files
 *  of cxsim-coordinator (one program, split by job):
 *
 *      cx_coordinator.c      main: the state machine, arguments, set-up, finish
 *      cx_coord_net.c        the roster's socket: receive, admit, send, heartbeats
 *      cx_coord_join.c       JOINING and WELCOMED: HELLO, WELCOME, RESTORE, READY
 *      cx_coord_tick.c       TICKING: open, collect, close and write, publish
 *      cx_coord_control.c    BETWEEN: the control verbs, pause, pace, live events
 *      cx_coord_checkpoint.c CHECKPOINT: every agent's state and the company's, on disk
 *
 *  The state machine is drawn at the top of cx_coordinator.c.
 *
 *  Ownership: cx_coord_t is main's (on its stack); every pointer in it is
 *  owned by it and freed by main's finish, except the strings of `args`
 *  (argv). Decoded strings in c->msg point into c->copy and live until the
 *  next frame is read.
 *  Errors: a phase returns 0 to go on and -1 to stop the run, with the
 *  reason in c->reason (and c->status when it is not "failed").
 */
#ifndef CX_COORD_H
#define CX_COORD_H

#include <signal.h>
#include <stdint.h>

#include "cx_checkpoint.h"
#include "cx_company.h"
#include "cx_control.h"
#include "cx_net.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"
#include "cx_tick.h"

/* The command line (cx_coordinator.c, s_parse). */
typedef struct {
    const char *scenario;      /* --scenario FILE */
    const char *out_dir;       /* --out DIR */
    const char *bind;          /* --bind ENDPOINT (the agents') */
    const char *pub;           /* --pub ENDPOINT, or NULL */
    const char *control;       /* --control ENDPOINT, or NULL */
    const char *key;           /* --key FILE (the run key), or NULL */
    const char *resume;        /* --resume CHECKPOINT, or NULL */
    const char *socket_dir;    /* --socket-dir: the launcher's private directory */
    long long heartbeat_ms;    /* --heartbeat-ms */
    long long startup_ms;      /* --startup-timeout-ms */
    long long every;           /* --checkpoint-every N (0: none) */
    long long keep_cp;         /* --keep-checkpoints N: numbered checkpoints kept */
    long long tick_ms;         /* --tick-ms (pace, 0: none) */
    long long tick_timeout_ms; /* --tick-timeout-ms (0: none) */
    long long lock_fd;         /* --lock-fd (-1: take the lock here) */
    int insecure;              /* --insecure: listen beyond this machine without a key */
    int start_paused;          /* --paused */
} cx_coord_args_t;

/* One expected agent. */
typedef struct {
    int role;                      /* 0 department, 1 persona shard */
    int index;                     /* department or persona index */
    int shard;                     /* shard (personas) */
    char name[128];                /* "persona bargain_hunter shard 1/2" */
    unsigned char rid[CX_RID_MAX]; /* routing id once joined */
    size_t rid_len;                /* 0 until joined */
    int64_t pid;                   /* its process id */
    char endpoint[256];            /* data endpoint (departments) */
    int ready;                     /* READY received */
    int done;                      /* *_DONE received for the current tick */
    int bye;                       /* BYE received */
    int64_t dropped;               /* what it reported dropping */
    int told;                      /* its dropped messages logged one by one */
    char last_drop[128];           /* why its last message was dropped */
    int last_drop_tick;            /* during which tick */
    long long last_heard;          /* ms */
} cx_coord_agent_t;

typedef struct {
    const cx_coord_args_t *args; /* the command line */
    cx_scenario_t *sc;           /* the scenario */
    char *yaml;                  /* its resolved text */
    size_t yaml_len;             /* bytes */
    cx_coord_agent_t *agents;    /* roster: departments first, then shards */
    int n_agents;                /* entries */
    void *ctx;                   /* ZeroMQ context */
    void *router;                /* agents' socket */
    cx_net_monitor_t mon;        /* the router's failed handshakes (a wrong run key) */
    int mon_told;                /* the first one was logged */
    void *pub;                   /* observers' socket, or NULL */
    cx_enc_t enc;                /* encoder */
    cx_msg_t *msg;               /* decoder scratch */
    int heartbeat_ms;            /* heartbeat interval */
    long long last_beat;         /* ms: last heartbeat broadcast */
    int64_t dropped;             /* frames this process dropped */
    int64_t messages;            /* frames received */
    int64_t bytes;               /* bytes received */
    char reason[1024];           /* why the run failed */
    int64_t start_tick;          /* first tick to run (> 0 when resuming) */
    cx_checkpoint_t *resume;     /* the checkpoint resumed from, or NULL */
    char *copy;                  /* private copy of the frame being read */
    size_t copy_cap;             /* bytes allocated at copy */
    int64_t drops_told;          /* dropped frames logged one by one */
    int64_t drops_untold;        /* dropped frames not logged yet */
    long long drops_told_ms;     /* when the last summary of drops was logged */
    cx_control_t ctl;            /* control socket (ctl.sock NULL when none) */
    cx_curve_t curve;            /* the run key (curve.on false: none) */
    const char *out_dir;         /* results directory */
    int next_tick;               /* first tick not begun */
    int paused;                  /* hold the clock between ticks */
    int step;                    /* `step`: one more tick while paused */
    long long tick_ms;           /* least wall time per tick (pace), 0 = none */
    int stop_asked;              /* a `stop` command arrived */
    int live_events;             /* events taken live */
    cx_kpi_row_t last_row;       /* the last tick's row (status) */
    cx_company_t *company;       /* the company between ticks (checkpoints snapshot it) */
    cx_tick_totals_t *totals;    /* the running tick's totals */
    cx_tally_t *tally;           /* scratch: one shard's tally */
    cx_kpi_history_t hist;       /* the KPI history (checkpoints snapshot it) */
    cx_output_t *out;            /* the result files */
    char cp_path[4200];          /* where checkpoints go: OUT/checkpoint.msgpack */
    int failed;                  /* a command's checkpoint failed: the run stops */
    int have_row;                /* last_row is set */
    char run_id[CX_RUN_ID_LEN + 1];  /* identity of this run (OUT/run.id) */
    char session[CX_RUN_ID_LEN + 1]; /* this session's secret: WELCOME's run (cx_slot_rid) */
    int in_tick;                     /* a tick is running: only `status` is answered now */
    long long tick_began;            /* ms: when the running tick began */
    uint8_t *steady;             /* the steady state for WELCOME (cx_steady_pack), or NULL */
    size_t steady_len;           /* bytes at steady */
    const char *status;          /* summary.json's status: "failed" until said otherwise */
    int rc;                      /* the exit status: 1 until the run ends well */
    int live;                    /* OUT/live.endpoints written */
    long long t0;                /* ms: when the coordinator started */
} cx_coord_t;

/* Set by SIGINT and SIGTERM (cx_coordinator.c); every wait checks it. */
extern volatile sig_atomic_t cx_coord_interrupted;

/* cx_coord_net.c --------------------------------------------------------- */

/* Receives one frame. Returns the sender (NULL when the frame was dropped
 * or nothing was waiting: then *type is 0) and the message type. HELLO is
 * the only message accepted from a peer outside the roster. */
cx_coord_agent_t *cx_coord_recv(cx_coord_t *c, int *type);
/* Sends the encoded message to one agent; -1 with the reason set. */
int cx_coord_send(cx_coord_t *c, cx_coord_agent_t *a);
/* Sends it to every agent that joined; -1 with the reason set. */
int cx_coord_broadcast(cx_coord_t *c);
/* Broadcasts a HEARTBEAT of tick `tick` when one is due. */
void cx_coord_heartbeat(cx_coord_t *c, int64_t tick);
/* The first agent silent for more than two heartbeats, or NULL. */
cx_coord_agent_t *cx_coord_lost(cx_coord_t *c);
/* Waits up to timeout_ms for the roster's socket; -1 with the reason set. */
int cx_coord_wait(cx_coord_t *c, int timeout_ms);
/* Counts and (the first few of each agent) logs a well-formed message from
 * a member of the roster that does not fit. */
void cx_coord_drop_member(cx_coord_t *c, cx_coord_agent_t *a, int type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends STOP with `reason` to every agent and waits up to wait_ms for BYEs. */
void cx_coord_stop_agents(cx_coord_t *c, const char *reason, int wait_ms);

/* cx_coord_join.c: JOINING and WELCOMED. 0 when every agent is ready, 1
 * interrupted, -1 failed (reason set). */
int cx_coord_join(cx_coord_t *c, int startup_ms);

/* cx_coord_tick.c: TICKING, one tick t: OPEN (send TICK), COLLECT (every
 * *_DONE), CLOSE (the row, on disk, published). 0, or -1 (reason, status). */
int cx_coord_tick(cx_coord_t *c, int t, long long began);

/* cx_coord_control.c: BETWEEN two ticks (`last` done, the next begun at
 * `began` ms). 0 to go on, 1 when a stop was asked, -1 on failure or
 * interruption (reason set). */
int cx_coord_between(cx_coord_t *c, int64_t last, long long began);
/* The control verbs, a cx_control_fn for cx_control_serve (user: the cx_coord_t). */
int cx_coord_command(void *user, const char *verb, const char *key, const char *value,
                     char *reply, size_t cap);
/* OUT/scenario.planned.yaml: the run's scenario before any live change. */
void cx_coord_planned_path(const char *out_dir, char *path, size_t cap);

/* cx_coord_checkpoint.c: CHECKPOINT after tick t, in c->cp_path. 0, or -1
 * (reason set). */
int cx_coord_checkpoint(cx_coord_t *c, int64_t t);

#endif
