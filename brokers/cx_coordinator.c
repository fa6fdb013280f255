/*  cxsim-coordinator — the clock, the barrier, the timeline, the results.
 *
 *      cxsim-coordinator --scenario FILE --out DIR --bind ENDPOINT [--pub ENDPOINT]
 *                        [--control ENDPOINT] [--tick-ms MS] [--heartbeat-ms MS]
 *                        [--startup-timeout-ms MS]
 *
 *  Agents connect to its ROUTER socket as DEALERs. Observers may subscribe
 *  to its PUB socket: one ROW message per completed tick. Clients may send
 *  commands to its control socket (cx_control): between two ticks it takes
 *  live changes (a timeline event for a tick not begun yet, added to the
 *  scenario, which is rewritten so that it replays the run), pauses,
 *  paces or stops the clock, and reports its status.
 *
 *  State machine:
 *
 *      JOINING  --HELLO from every agent of the roster--> send WELCOME
 *      WELCOMED --READY from every agent-->               tick 0
 *      TICKING  t: apply the timeline, send TICK t to every agent;
 *               --TICK_DONE from every shard and DEPT_DONE from every
 *                 department--> add up, write the rows (on disk before
 *                 the next tick), publish, t+1
 *      --all ticks--> STOP "done", wait for BYEs, summary.json, exit 0
 *      any: an agent silent for 2 heartbeats, an ERROR, a write error
 *           --> STOP, summary.json (status failed, reason), exit 1
 *      any: SIGINT/SIGTERM --> STOP, summary.json (interrupted), exit 1
 *
 *  Frames from peers outside the roster, with another version, of unknown
 *  type, of the wrong shape or for another tick are dropped and counted
 *  (summary.json: messages.dropped_by_coordinator).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_agent.h"
#include "cx_checkpoint.h"
#include "cx_company.h"
#include "cx_steady.h"
#include "cx_tick.h"
#include "cx_control.h"
#include "cx_dirlock.h"
#include "cx_load.h"
#include "cx_log.h"
#include "cx_net.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"
#include "cx_version.h"

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
} s_agent_t;

typedef struct {
    cx_scenario_t *sc;           /* the scenario */
    char *yaml;                  /* its resolved text */
    size_t yaml_len;             /* bytes */
    s_agent_t *agents;           /* roster: departments first, then shards */
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
    const cx_company_t *company; /* state a `checkpoint` command snapshots */
    const cx_kpi_history_t *hist; /* ... */
    const cx_output_t *out;      /* ... */
    const char *cp_path;         /* where checkpoints go */
    int keep_cp;                 /* numbered checkpoints kept (cx_checkpoint_keep) */
    int failed;                  /* a command's checkpoint failed: the run stops */
    int have_row;                /* last_row is set */
    char run_id[CX_RUN_ID_LEN + 1];  /* identity of this run (OUT/run.id) */
    char session[CX_RUN_ID_LEN + 1]; /* this session's secret: WELCOME's run (cx_slot_rid) */
    int in_tick;                     /* a tick is running: only `status` is answered now */
    long long tick_began;            /* ms: when the running tick began */
    uint8_t *steady;             /* the steady state for WELCOME (cx_steady_pack), or NULL */
    size_t steady_len;           /* bytes at steady */
} s_coord_t;

static volatile sig_atomic_t s_interrupted = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
}

/* Whether to log one more dropped frame. The first S_DROPS_TOLD are logged
 * one by one; after that one line every S_DROPS_EVERY_MS sums them up, so a
 * peer sending junk cannot flood stderr (or the disk it is redirected to):
 * summary.json counts every drop anyway. */
#define S_DROPS_TOLD 10
#define S_DROPS_EVERY_MS 5000

static int s_tell_drop(s_coord_t *c)
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
static void s_drop_member(s_coord_t *c, s_agent_t *a, int type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_drop_member(s_coord_t *c, s_agent_t *a, int type, const char *fmt, ...)
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

static s_agent_t *s_by_rid(s_coord_t *c, const cx_frame_t *f)
{
    for (int i = 0; i < c->n_agents; i++) {
        s_agent_t *a = &c->agents[i];
        if (a->rid_len == f->rid_len && memcmp(a->rid, f->rid, f->rid_len) == 0) {
            return a;
        }
    }
    return NULL;
}

static int s_send(s_coord_t *c, s_agent_t *a)
{
    if (cx_net_send(c->router, a->rid, a->rid_len, &c->enc) != 0) {
        snprintf(c->reason, sizeof c->reason, "cannot send to %s: %s", a->name,
                 zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static int s_broadcast(s_coord_t *c)
{
    for (int i = 0; i < c->n_agents; i++) {
        if (c->agents[i].rid_len && s_send(c, &c->agents[i]) != 0) {
            return -1;
        }
    }
    c->last_beat = cx_now_ms();
    return 0;
}

static void s_heartbeat(s_coord_t *c, int64_t tick)
{
    if (cx_now_ms() - c->last_beat >= c->heartbeat_ms && cx_enc_heartbeat(&c->enc, tick) == 0) {
        s_broadcast(c);
    }
}

/* Names the first agent silent for more than two heartbeats. */
static s_agent_t *s_lost(s_coord_t *c)
{
    long long now = cx_now_ms();
    for (int i = 0; i < c->n_agents; i++) {
        s_agent_t *a = &c->agents[i];
        if (a->rid_len && now - a->last_heard > 2LL * c->heartbeat_ms) {
            return a;
        }
    }
    return NULL;
}

/* Receives one frame. Returns the sender (NULL when the frame was dropped
 * or nothing was waiting: then *type is 0) and the message type. HELLO is
 * the only message accepted from a peer outside the roster. */
static s_agent_t *s_recv(s_coord_t *c, int *type)
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
    s_agent_t *a = s_by_rid(c, &f);
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
        /* Match the HELLO to a free roster slot. */
        cx_msg_t *m = c->msg;
        int dept = cx_str_eq(m->role, "department");
        char id[CX_ID_MAX + 1];
        cx_str_copy(id, sizeof id, m->id);
        for (int i = 0; i < c->n_agents; i++) {
            s_agent_t *s = &c->agents[i];
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
            memcpy(a->rid, f.rid, f.rid_len);
            a->rid_len = f.rid_len;
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
                cx_net_send(c->router, f.rid, f.rid_len, &c->enc);
            }
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

static int s_wait(s_coord_t *c, int timeout_ms)
{
    zmq_pollitem_t it = {c->router, 0, ZMQ_POLLIN, 0};
    int r = zmq_poll(&it, 1, timeout_ms);
    if (r < 0 && errno != EINTR) {
        snprintf(c->reason, sizeof c->reason, "poll failed: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* JOINING and WELCOMED. */
static int s_join(s_coord_t *c, int startup_ms)
{
    long long deadline = cx_now_ms() + startup_ms;
    int joined = 0, ready = 0;
    while (ready < c->n_agents) {
        if (s_interrupted) {
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
            /* Only the culprits: before everyone joined, those that did not
             * connect (the others cannot be ready yet: WELCOME waits for
             * all); after, those that did not get ready. */
            int connecting = joined < c->n_agents;
            int k = snprintf(c->reason, sizeof c->reason, "agents did not %s within %d ms:",
                             connecting ? "connect" : "get ready", startup_ms);
            for (int i = 0; i < c->n_agents && k < (int)sizeof c->reason - 140; i++) {
                s_agent_t *a = &c->agents[i];
                if (connecting ? !a->rid_len : !a->ready) {
                    k += snprintf(c->reason + k, sizeof c->reason - (size_t)k, " %s;", a->name);
                }
            }
            if (c->mon.failed > 0 && k < (int)sizeof c->reason - 1) {
                char why[600];
                cx_net_monitor_explain(&c->mon, c->curve.on, why, sizeof why);
                snprintf(c->reason + k, sizeof c->reason - (size_t)k, " meanwhile %s", why);
            }
            return -1;
        }
        if (s_wait(c, 100) != 0) {
            return -1;
        }
        /* Agents that are ready wait for the others (each first computes
         * the steady state): they must still hear the coordinator. */
        if (joined == c->n_agents) {
            s_heartbeat(c, c->start_tick);
        }
        int type;
        s_agent_t *a;
        while ((a = s_recv(c, &type)) != NULL || type != 0) {
            if (!a) {
                continue;
            }
            if (type == CX_MSG_HELLO) {
                joined++;
                cx_log_debug("%s joined (pid %lld)", a->name, (long long)a->pid);
                if (joined == c->n_agents) {
                    const char *eps[CX_MAX_DEPTS];
                    int32_t shards[CX_MAX_PERSONAS];
                    for (int d = 0; d < c->sc->n_dept; d++) {
                        eps[d] = c->agents[d].endpoint;
                    }
                    for (int p = 0; p < c->sc->n_persona; p++) {
                        shards[p] = c->sc->persona[p].shards;
                    }
                    if (cx_enc_welcome(&c->enc, c->session, c->yaml, c->yaml_len, eps,
                                       c->sc->n_dept, shards, c->sc->n_persona, c->heartbeat_ms,
                                       c->start_tick, c->steady, c->steady_len) != 0 ||
                        s_broadcast(c) != 0) {
                        return -1;
                    }
                    for (int i = 0; c->resume && i < c->n_agents; i++) {
                        if (cx_enc_restore(&c->enc, c->start_tick, c->resume->agent[i],
                                           c->resume->agent_len[i]) != 0 ||
                            s_send(c, &c->agents[i]) != 0) {
                            return -1;
                        }
                    }
                }
            } else if (type == CX_MSG_READY && !a->ready) {
                a->ready = 1;
                ready++;
            } else if (type == CX_MSG_ERROR) {
                char text[512];
                cx_str_copy(text, sizeof text, c->msg->text);
                snprintf(c->reason, sizeof c->reason, "%s failed: %s", a->name, text);
                return -1;
            } else if (type != CX_MSG_HEARTBEAT) {
                c->dropped++;
            }
        }
    }
    return 0;
}

static void s_stop_agents(s_coord_t *c, const char *reason, int wait_ms)
{
    if (cx_enc_stop(&c->enc, reason) == 0) {
        s_broadcast(c);
    }
    long long deadline = cx_now_ms() + wait_ms;
    int byes = 0;
    for (int i = 0; i < c->n_agents; i++) {
        byes += c->agents[i].bye || !c->agents[i].rid_len;
    }
    while (byes < c->n_agents && cx_now_ms() < deadline) {
        if (s_wait(c, 50) != 0) {
            break;
        }
        int type;
        s_agent_t *a;
        while ((a = s_recv(c, &type)) != NULL || type != 0) {
            if (a && type == CX_MSG_BYE && !a->bye) {
                a->bye = 1;
                a->dropped = c->msg->dropped;
                byes++;
            }
        }
    }
}

/* Asks every agent for its state after tick t and writes the checkpoint. */
static int s_checkpoint(s_coord_t *c, int64_t t, const cx_company_t *company,
                        const cx_kpi_history_t *hist, const cx_output_t *out, const char *path)
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
    cp.company = *company;
    cp.hist = *hist;
    cx_output_get_state(out, &cp.output);
    int rc = -1;
    if (cx_enc_checkpoint(&c->enc, t) != 0 || s_broadcast(c) != 0) {
        goto done;
    }
    int pending = c->n_agents;
    while (pending > 0) {
        if (s_interrupted) {
            snprintf(c->reason, sizeof c->reason, "interrupted during the checkpoint of tick %lld",
                     (long long)t);
            goto done;
        }
        s_agent_t *lost = s_lost(c);
        if (lost) {
            snprintf(c->reason, sizeof c->reason,
                     "lost %s (pid %lld) during the checkpoint of tick %lld", lost->name,
                     (long long)lost->pid, (long long)t);
            goto done;
        }
        if (s_wait(c, c->heartbeat_ms / 4 + 1) != 0) {
            goto done;
        }
        int type;
        s_agent_t *a;
        while ((a = s_recv(c, &type)) != NULL || type != 0) {
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
        s_heartbeat(c, t);
    }
    char err[512];
    if (cx_checkpoint_write(path, &cp, err, sizeof err) != 0 ||
        cx_checkpoint_keep(path, cp.next_tick, c->keep_cp, err, sizeof err) != 0) {
        snprintf(c->reason, sizeof c->reason, "%s", err);
        goto done;
    }
    rc = 0;
done:
    cx_checkpoint_fini(&cp);
    return rc;
}

/* OUT/scenario.planned.yaml: the run's scenario before any live change. */
static void s_planned_path(const char *out_dir, char *path, size_t cap)
{
    snprintf(path, cap, "%s/scenario.planned.yaml", out_dir);
}

/* Takes a live timeline event: checked like an item of the file's timeline,
 * for a tick not begun yet, added to the scenario, and the scenario file of
 * the run rewritten so that it replays the run (and a resume sees it). */
static int s_live_event(s_coord_t *c, const char *text, char *reply, size_t cap)
{
    cx_event_spec_t ev;
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_event_load_string("live", text, strlen(text), c->sc, c->next_tick, &ev, &d) != 0) {
        size_t k = 0;
        for (int i = 0; i < d.n && k + 1 < cap; i++) {
            int n = cx_diag_format(&d.items[i], reply + k, cap - k);
            k += n > 0 ? (size_t)n : 0;
            if (k + 1 < cap && i + 1 < d.n) {
                reply[k++] = '\n';
                reply[k] = 0;
            }
            if (k >= cap) {
                k = cap - 1;
            }
        }
        cx_diags_fini(&d);
        return 0;
    }
    cx_diags_fini(&d);
    int at = cx_scenario_add_event(c->sc, &ev, c->next_tick);
    if (at < 0) {
        snprintf(reply, cap, "the timeline is full (%d events)", CX_MAX_EVENTS);
        return 0;
    }
    /* The scenario as planned, kept before the first live change rewrites
     * scenario.resolved.yaml: what a do-nothing run (cxsim-web) replays. */
    char planned[4200];
    s_planned_path(c->out_dir, planned, sizeof planned);
    if (c->live_events == 0 && access(planned, F_OK) != 0 &&
        cx_write_atomic(planned, c->yaml, c->yaml_len) != 0) {
        snprintf(reply, cap, "cannot keep the planned scenario in %s: %s", planned,
                 strerror(errno));
        memmove(&c->sc->event[at], &c->sc->event[at + 1],
                (size_t)(c->sc->n_event - at - 1) * sizeof c->sc->event[0]);
        c->sc->n_event--;
        return 0;
    }
    char *yaml = NULL;
    size_t len = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", c->out_dir);
    if (cx_scenario_emit(c->sc, &yaml, &len) != 0 || cx_write_atomic(path, yaml, len) != 0) {
        snprintf(reply, cap, "cannot record the change in %s: %s", path, strerror(errno));
        free(yaml);
        memmove(&c->sc->event[at], &c->sc->event[at + 1],
                (size_t)(c->sc->n_event - at - 1) * sizeof c->sc->event[0]);
        c->sc->n_event--;
        return 0;
    }
    free(yaml);
    c->live_events++;
    char what[256];
    cx_event_describe(c->sc, &ev, what, sizeof what);
    snprintf(reply, cap, "at tick %d: %s", ev.tick, what);
    cx_log_info("live change taken: %s", reply);
    return 1;
}

/* The control verbs (docs/PROTOCOL.md, "Control"). */
static int s_command(void *user, const char *verb, const char *key, const char *value,
                     char *reply, size_t cap)
{
    s_coord_t *c = user;
    (void)key;
    if (strcmp(verb, "status") == 0) {
        int k = snprintf(reply, cap, "next_tick=%d ticks=%d state=%s tick_ms=%lld live_events=%d",
                         c->next_tick, c->sc->ticks, c->paused ? "paused" : "running",
                         c->tick_ms, c->live_events);
        if (c->in_tick && k > 0 && (size_t)k < cap) {
            /* Asked during a tick (a slow or a stuck one): how long it has
             * run and how many agents it still waits for. */
            int waiting = 0;
            for (int i = 0; i < c->n_agents; i++) {
                waiting += !c->agents[i].done;
            }
            k += snprintf(reply + k, cap - (size_t)k, " tick_running_ms=%lld waiting_for=%d",
                          cx_now_ms() - c->tick_began, waiting);
        }
        if (c->have_row) {
            const char *names[64];
            double vals[64];
            int nc = cx_kpi_row_columns(&c->last_row, names, vals, 64);
            for (int i = 0; i < nc && k > 0 && (size_t)k + 64 < cap; i++) {
                k += snprintf(reply + k, cap - (size_t)k, " %s=%.10g", names[i], vals[i]);
            }
        }
        return 1;
    }
    /* A change never lands in the middle of a tick: held until it ends. */
    if (c->in_tick) {
        return -1;
    }
    if (strcmp(verb, "event") == 0) {
        return s_live_event(c, value, reply, cap);
    }
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        c->paused = verb[0] == 'p';
        snprintf(reply, cap, "%s before tick %d", c->paused ? "paused" : "running", c->next_tick);
        return 1;
    }
    if (strcmp(verb, "step") == 0) {
        c->paused = 1;
        c->step = 1;
        snprintf(reply, cap, "tick %d, then paused", c->next_tick);
        return 1;
    }
    if (strcmp(verb, "pace") == 0) {
        long long ms;
        if (cx_parse_int(value, 0, 600000, &ms) != 0) {
            snprintf(reply, cap, "pace: expected milliseconds per tick from 0 to 600000, found '%s'",
                     value);
            return 0;
        }
        c->tick_ms = ms;
        snprintf(reply, cap, "at least %lld ms per tick", ms);
        return 1;
    }
    if (strcmp(verb, "checkpoint") == 0) {
        /* Between two ticks every agent is idle: the same snapshot as
         * --checkpoint-every, taken now (cxsim fork of a running run). */
        int64_t t = c->next_tick - 1;
        if (s_checkpoint(c, t, c->company, c->hist, c->out, c->cp_path) != 0) {
            c->failed = 1;
            snprintf(reply, cap, "the checkpoint of tick %lld failed: %s", (long long)t, c->reason);
            return 0;
        }
        snprintf(reply, cap, "checkpoint after tick %lld in %s", (long long)t, c->cp_path);
        return 1;
    }
    if (strcmp(verb, "stop") == 0) {
        c->stop_asked = 1;
        snprintf(reply, cap, "stopping before tick %d", c->next_tick);
        return 1;
    }
    snprintf(reply, cap,
             "unknown verb '%s': expected status, event, pause, resume, step, pace, checkpoint or "
             "stop",
             verb);
    return 0;
}

/* Between two ticks (`last` done, the next one begun at `began` ms): serves
 * commands, and holds the clock while paused or until the pace allows the
 * next tick, keeping heartbeats and loss detection going. Returns 0 to go
 * on, 1 when a stop was asked, -1 on failure or interruption (reason set). */
static int s_between(s_coord_t *c, int64_t last, long long began)
{
    cx_control_serve(&c->ctl, s_command, c);
    for (;;) {
        if (c->failed) {
            return -1;
        }
        if (c->stop_asked) {
            return 1;
        }
        if (s_interrupted) {
            snprintf(c->reason, sizeof c->reason, "interrupted after tick %lld", (long long)last);
            return -1;
        }
        long long now = cx_now_ms(), wait = c->heartbeat_ms / 4 + 1;
        if (!c->paused || c->step) {
            if (c->tick_ms <= 0 || now >= began + c->tick_ms) {
                c->step = 0;
                return 0;
            }
            if (began + c->tick_ms - now < wait) {
                wait = began + c->tick_ms - now;
            }
        }
        zmq_pollitem_t it[2] = {{c->router, 0, ZMQ_POLLIN, 0}, {c->ctl.sock, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, c->ctl.sock ? 2 : 1, (long)wait) < 0 && errno != EINTR) {
            snprintf(c->reason, sizeof c->reason, "poll failed: %s", zmq_strerror(errno));
            return -1;
        }
        cx_control_serve(&c->ctl, s_command, c);
        int type;
        s_agent_t *a;
        while ((a = s_recv(c, &type)) != NULL || type != 0) {
            if (a && type != CX_MSG_HEARTBEAT) {
                c->dropped++;
            }
        }
        s_agent_t *lost = s_lost(c);
        if (lost) {
            snprintf(c->reason, sizeof c->reason,
                     "lost %s (pid %lld) after tick %lld: silent for %lld ms", lost->name,
                     (long long)lost->pid, (long long)last, cx_now_ms() - lost->last_heard);
            return -1;
        }
        s_heartbeat(c, last);
    }
}

/* Frees what main allocated before the run began, for a refusal that
 * leaves the run's files as they were; returns rc. */
static int s_refuse(s_coord_t *c, void *company, void *totals, void *tally, int rc)
{
    if (c->resume) {
        cx_checkpoint_fini(c->resume);
        free(c->resume);
    }
    free(c->agents);
    free(c->yaml);
    cx_msg_fini(c->msg);
    free(c->msg);
    cx_enc_fini(&c->enc);
    free(c->sc);
    free(company);
    free(totals);
    free(tally);
    return rc;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim-coordinator --scenario FILE --out DIR --bind ENDPOINT\n"
                "                         [--pub ENDPOINT] [--control ENDPOINT] [--tick-ms MS]\n"
                "                         [--key FILE] [--paused] [--tick-timeout-ms MS]\n"
                "                         [--heartbeat-ms MS]\n"
                "                         [--startup-timeout-ms MS] [--checkpoint-every N]\n"
                "                         [--keep-checkpoints N]\n"
                "                         [--resume CHECKPOINT] [--lock-fd FD] [--insecure]\n"
                "                         [--socket-dir DIR]\n"
                "--socket-dir: `cxsim run`'s private ipc directory, removed at exit.\n"
                "Listening on another address than loopback or ipc:// needs --key, or\n"
                "--insecure to accept anyone who reaches it.\n"
                "The clock and barrier of a run. Normally started by `cxsim run`.\n");
}

int main(int argc, char **argv)
{
    const char *scenario = NULL, *out_dir = NULL, *bind = NULL, *pub = NULL, *resume = NULL;
    const char *control = NULL, *key = NULL;
    const char *socket_dir = NULL; /* --socket-dir: the launcher's private directory */
    long long keep_cp = CX_CHECKPOINT_KEEP_DEFAULT;
    long long hb = 1000, startup_ms = 30000, every = 0, tick_ms = 0, tick_timeout_ms = 600000;
    long long lock_fd = -1;
    int insecure = 0; /* --insecure: listen beyond this machine without a key */
    int start_paused = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            s_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("cxsim-coordinator %s\n", CX_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--scenario") == 0 && v) {
            scenario = v;
            i++;
        } else if (strcmp(argv[i], "--out") == 0 && v) {
            out_dir = v;
            i++;
        } else if (strcmp(argv[i], "--bind") == 0 && v) {
            bind = v;
            i++;
        } else if (strcmp(argv[i], "--pub") == 0 && v) {
            pub = v;
            i++;
        } else if (strcmp(argv[i], "--heartbeat-ms") == 0 && v &&
                   cx_parse_int(v, 10, 600000, &hb) == 0) {
            i++;
        } else if (strcmp(argv[i], "--checkpoint-every") == 0 && v &&
                   cx_parse_int(v, 0, CX_MAX_TICKS, &every) == 0) {
            i++;
        } else if (strcmp(argv[i], "--keep-checkpoints") == 0 && v &&
                   cx_parse_int(v, 1, CX_CHECKPOINT_KEEP_MAX, &keep_cp) == 0) {
            i++;
        } else if (strcmp(argv[i], "--key") == 0 && v) {
            key = v;
            i++;
        } else if (strcmp(argv[i], "--tick-timeout-ms") == 0 && v &&
                   cx_parse_int(v, 0, 86400000, &tick_timeout_ms) == 0) {
            i++;
        } else if (strcmp(argv[i], "--insecure") == 0) {
            insecure = 1;
        } else if (strcmp(argv[i], "--paused") == 0) {
            start_paused = 1;
        } else if (strcmp(argv[i], "--control") == 0 && v) {
            control = v;
            i++;
        } else if (strcmp(argv[i], "--tick-ms") == 0 && v &&
                   cx_parse_int(v, 0, 600000, &tick_ms) == 0) {
            i++;
        } else if (strcmp(argv[i], "--socket-dir") == 0 && v) {
            socket_dir = v;
            i++;
        } else if (strcmp(argv[i], "--lock-fd") == 0 && v &&
                   cx_parse_int(v, 0, 1 << 20, &lock_fd) == 0) {
            i++;
        } else if (strcmp(argv[i], "--resume") == 0 && v) {
            resume = v;
            i++;
        } else if (strcmp(argv[i], "--startup-timeout-ms") == 0 && v &&
                   cx_parse_int(v, 10, 3600000, &startup_ms) == 0) {
            i++;
        } else {
            fprintf(stderr, "cxsim-coordinator: bad argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    if (!scenario || !out_dir || !bind) {
        s_usage(stderr);
        return 2;
    }
    cx_log_init("cxsim-coordinator");
    /* Every listener beyond this machine needs the run key. */
    if (cx_net_check_listener("--bind", bind, key != NULL, insecure) != 0 ||
        (pub && cx_net_check_listener("--pub", pub, key != NULL, insecure) != 0) ||
        (control && cx_net_check_listener("--control", control, key != NULL, insecure) != 0)) {
        return 2;
    }
    /* One run writes in a directory at a time (cx_dirlock.h): the lock
     * handed down by the launcher, or taken here. */
    if (cx_mkdirs(out_dir) == 0) {
        char why[512];
        int l = lock_fd >= 0 ? cx_dirlock_adopt(out_dir, (int)lock_fd, why, sizeof why)
                             : cx_dirlock_take(out_dir, why, sizeof why);
        if (l < 0) {
            cx_log_error("%s", why);
            return l == -2 ? 1 : 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    long long t0 = cx_now_ms();
    s_coord_t c;
    memset(&c, 0, sizeof c);
    c.heartbeat_ms = (int)hb;
    c.keep_cp = (int)keep_cp;
    c.tick_ms = tick_ms;
    c.out_dir = out_dir;
    c.sc = malloc(sizeof *c.sc);
    c.msg = malloc(sizeof *c.msg);
    cx_company_t *company = malloc(sizeof *company);
    cx_tick_totals_t *totals = malloc(sizeof *totals);
    cx_tally_t *tally = malloc(sizeof *tally);
    if (!c.sc || !c.msg || !company || !totals || !tally) {
        cx_log_error("out of memory");
        return 1;
    }
    cx_msg_init(c.msg);
    cx_enc_init(&c.enc);

    /* The scenario: read the resolved text, load it like any file. */
    if (cx_read_file(scenario, CX_SCENARIO_MAX_BYTES, &c.yaml, &c.yaml_len) != 0) {
        cx_log_error("cannot read %s: %s", scenario,
                     errno == ENOTSUP ? "not a regular file" : strerror(errno));
        return s_refuse(&c, company, totals, tally, 2);
    }
    cx_diags_t diags;
    cx_diags_init(&diags);
    if (cx_scenario_load_string(scenario, c.yaml, c.yaml_len, NULL, 0, c.sc, &diags) != 0) {
        cx_diags_print(stderr, &diags);
        cx_diags_fini(&diags);
        return s_refuse(&c, company, totals, tally, 2);
    }
    cx_diags_fini(&diags);
    const cx_scenario_t *sc = c.sc;

    /* The roster: every department, then every persona shard. */
    int n = sc->n_dept;
    for (int p = 0; p < sc->n_persona; p++) {
        n += sc->persona[p].shards;
    }
    c.agents = calloc((size_t)n, sizeof *c.agents);
    if (!c.agents) {
        cx_log_error("out of memory");
        return 1;
    }
    for (int d = 0; d < sc->n_dept; d++) {
        s_agent_t *a = &c.agents[c.n_agents++];
        a->role = 0;
        a->index = d;
        snprintf(a->name, sizeof a->name, "department %s", sc->dept[d].id);
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            s_agent_t *a = &c.agents[c.n_agents++];
            a->role = 1;
            a->index = p;
            a->shard = s;
            snprintf(a->name, sizeof a->name, "persona %s shard %d/%d", sc->persona[p].id, s,
                     sc->persona[p].shards);
        }
    }

    int rc = 1;
    int live = 0; /* live.endpoints written */
    const char *status = "failed";
    char err[1024] = "";
    char cp_path[4200];
    snprintf(cp_path, sizeof cp_path, "%s/checkpoint.msgpack", out_dir);
    cx_output_t *out = NULL;
    cx_kpi_history_t hist;
    memset(&hist, 0, sizeof hist);
    if (!resume) {
        /* A fresh run starts from the scenario's steady state (cx_steady);
         * a resumed one from its checkpoint. */
        cx_steady_t *steady = cx_steady_new(sc);
        if (!steady) {
            cx_log_error("out of memory computing the steady state");
            return 1;
        }
        cx_company_init(company, sc, steady);
        /* The agents start from the same steady state: computed once, here,
         * and handed out in WELCOME. */
        if (cx_steady_pack(steady, sc, &c.steady, &c.steady_len) != 0) {
            cx_log_error("out of memory packing the steady state");
            cx_steady_destroy(&steady);
            return 1;
        }
        cx_steady_destroy(&steady);
    } else {
        cx_company_init(company, sc, NULL);
    }
    if (resume) {
        c.resume = malloc(sizeof *c.resume);
        if (!c.resume || cx_checkpoint_read(resume, c.n_agents, c.resume, err, sizeof err) != 0) {
            cx_log_error("%s", c.resume ? err : "out of memory");
            free(c.resume);
            c.resume = NULL;
            return s_refuse(&c, company, totals, tally, 2);
        }
        /* It must be this run's, of this seed and scenario (cx_checkpoint.h). */
        char why[512];
        if (cx_run_id_read(out_dir, c.run_id, why, sizeof why) != 0 ||
            cx_checkpoint_verify(c.resume, sc, c.run_id, why, sizeof why) != 0) {
            cx_log_error("cannot resume from %s: %s", resume, why);
            return s_refuse(&c, company, totals, tally, 2);
        }
        c.start_tick = c.resume->next_tick;
        *company = c.resume->company;
        hist = c.resume->hist;
        out = cx_output_reopen(out_dir, sc, &c.resume->output, err, sizeof err);
    } else {
        out = cx_output_open(out_dir, sc, c.yaml, c.yaml_len, err, sizeof err);
        char planned[4200];
        s_planned_path(out_dir, planned, sizeof planned);
        unlink(planned); /* a previous run's plan is not this one's */
        /* A fresh run: a new identity, which its checkpoints carry. */
        if (out && (cx_run_id_new(c.run_id) != 0 ||
                    cx_run_id_write(out_dir, c.run_id, err, sizeof err) != 0)) {
            cx_log_error("%s", err[0] ? err : "cannot make a run identity");
            return 1;
        }
    }
    if (!out) {
        cx_log_error("%s", err);
        return 1;
    }
    /* One connection (a file descriptor) per agent: past the limit, libzmq
     * aborts the process in its listener. Refuse the run cleanly instead. */
    long nofile = cx_proc_raise_nofile();
    if (nofile > 0 && nofile < c.n_agents + 32) {
        snprintf(c.reason, sizeof c.reason,
                 "this run needs about %d open files (one per agent, plus 32) and the limit is "
                 "%ld: raise it (ulimit -n) or use fewer shards",
                 c.n_agents + 32, nofile);
        goto finish;
    }
    /* A secret of this session, for the roster only: it binds each persona
     * shard's batches to the shard admitted here (cx_slot_rid). */
    if (cx_run_id_new(c.session) != 0) {
        snprintf(c.reason, sizeof c.reason, "cannot draw the session's secret");
        goto finish;
    }
    /* Under a key, CZMQ's context, whose zauth checks every handshake. */
    c.ctx = key ? cx_curve_context() : zmq_ctx_new();
    if (key && (cx_curve_load(&c.curve, key, err, sizeof err) != 0 ||
                cx_curve_start(&c.curve, c.ctx, err, sizeof err) != 0)) {
        snprintf(c.reason, sizeof c.reason, "%s", err);
        goto finish;
    }
    c.router = zmq_socket(c.ctx, ZMQ_ROUTER);
    int linger = 1000;
    zmq_setsockopt(c.router, ZMQ_LINGER, &linger, sizeof linger);
    if (cx_net_limit(c.router, CX_NET_MAX_DATA) != 0 || cx_curve_server(&c.curve, c.router) != 0) {
        snprintf(c.reason, sizeof c.reason, "cannot set up %s: %s", bind, zmq_strerror(errno));
        goto finish;
    }
    /* The join explains failed handshakes from this monitor: a socket has
     * one monitor, so it takes over the key check's watcher here. */
    cx_net_monitor_open(&c.mon, c.ctx, c.router);
    if (zmq_bind(c.router, bind) != 0) {
        snprintf(c.reason, sizeof c.reason, "cannot bind %s: %s", bind, zmq_strerror(errno));
        goto finish;
    }
    if (pub) {
        c.pub = zmq_socket(c.ctx, ZMQ_PUB);
        int zero = 0;
        zmq_setsockopt(c.pub, ZMQ_LINGER, &zero, sizeof zero);
        if (cx_net_limit(c.pub, CX_NET_MAX_SMALL) != 0 || cx_curve_server(&c.curve, c.pub) != 0 ||
            zmq_bind(c.pub, pub) != 0) {
            snprintf(c.reason, sizeof c.reason, "cannot bind %s: %s", pub, zmq_strerror(errno));
            goto finish;
        }
    }
    if (control) {
        if (cx_control_open(&c.ctl, c.ctx, control, &c.curve, err, sizeof err) != 0) {
            snprintf(c.reason, sizeof c.reason, "%s", err);
            goto finish;
        }
        /* Where clients find the run: `cxsim ctl DIR` reads this file. */
        if (cx_live_endpoints_write(out_dir, control, pub) != 0) {
            snprintf(c.reason, sizeof c.reason, "cannot write %s/live.endpoints: %s", out_dir,
                     strerror(errno));
            goto finish;
        }
        live = 1;
    }
    c.company = company;
    c.hist = &hist;
    c.out = out;
    c.cp_path = cp_path;
    int j = s_join(&c, (int)startup_ms);
    if (j != 0) {
        status = j > 0 ? "interrupted" : "failed";
        goto finish;
    }
    /* --paused: every agent is ready; the clock waits for `resume`. */
    c.next_tick = (int)c.start_tick;
    if (start_paused && c.ctl.sock) {
        c.paused = 1;
        int b = s_between(&c, c.start_tick - 1, cx_now_ms());
        if (b == 1) {
            status = "stopped";
            snprintf(c.reason, sizeof c.reason, "stopped by a control command before tick %lld",
                     (long long)c.start_tick);
            rc = 0;
            goto finish;
        } else if (b < 0) {
            status = s_interrupted ? "interrupted" : "failed";
            goto finish;
        }
    }

    for (int t = (int)c.start_tick; t < sc->ticks; t++) {
        long long began = cx_now_ms();
        c.next_tick = t + 1;
        cx_tickctx_t ctx;
        double words[CX_TICKCTX_WORDS];
        cx_tick_open(company, sc, t, &ctx); /* phase OPEN (cx_tick.h) */
        cx_tickctx_pack(&ctx, words);
        if (cx_enc_tick(&c.enc, t, words, CX_TICKCTX_WORDS) != 0 || s_broadcast(&c) != 0) {
            goto finish;
        }
        cx_tick_totals_zero(totals);
        int pending = c.n_agents;
        for (int i = 0; i < c.n_agents; i++) {
            c.agents[i].done = 0;
        }
        while (pending > 0) {
            if (s_interrupted) {
                status = "interrupted";
                snprintf(c.reason, sizeof c.reason, "interrupted during tick %d", t);
                goto finish;
            }
            s_agent_t *lost = s_lost(&c);
            if (lost) {
                snprintf(c.reason, sizeof c.reason,
                         "lost %s (pid %lld) during tick %d: silent for %lld ms", lost->name,
                         (long long)lost->pid, t, cx_now_ms() - lost->last_heard);
                goto finish;
            }
            /* Alive is not enough: a tick that does not finish (a batch that
             * never came, an agent stuck in a loop that still beats) fails
             * the run instead of holding it forever. */
            if (tick_timeout_ms > 0 && cx_now_ms() - began > tick_timeout_ms) {
                int k = snprintf(c.reason, sizeof c.reason,
                                 "tick %d made no progress for %lld ms; still waiting for", t,
                                 cx_now_ms() - began);
                /* Shards first: departments wait on the shards' batches,
                 * so a stalled shard holds every department too. */
                int named = 0;
                for (int pass = 1; pass >= 0; pass--) {
                    for (int i = 0; i < c.n_agents; i++) {
                        const s_agent_t *a = &c.agents[i];
                        if (a->done || a->role != pass) {
                            continue;
                        }
                        if (named < 4 && k > 0 && (size_t)k + 300 < sizeof c.reason) {
                            int said = a->last_drop[0] && a->last_drop_tick == t;
                            k += snprintf(c.reason + k, sizeof c.reason - (size_t)k,
                                          "%s %s (pid %lld%s%s)", named ? "," : "", a->name,
                                          (long long)a->pid, said ? "; " : "",
                                          said ? a->last_drop : "");
                        }
                        named++;
                    }
                }
                if (named > 4 && k > 0 && (size_t)k + 40 < sizeof c.reason) {
                    snprintf(c.reason + k, sizeof c.reason - (size_t)k, " and %d more", named - 4);
                }
                goto finish;
            }
            /* The control socket too: `status` is answered during a tick,
             * even a stuck one; changes wait for the tick's end. */
            c.in_tick = 1;
            c.tick_began = began;
            zmq_pollitem_t it[2] = {{c.router, 0, ZMQ_POLLIN, 0}, {c.ctl.sock, 0, ZMQ_POLLIN, 0}};
            if (zmq_poll(it, c.ctl.sock ? 2 : 1, c.heartbeat_ms / 4 + 1) < 0 && errno != EINTR) {
                snprintf(c.reason, sizeof c.reason, "poll failed: %s", zmq_strerror(errno));
                goto finish;
            }
            if (c.ctl.sock && (it[1].revents & ZMQ_POLLIN)) {
                cx_control_serve(&c.ctl, s_command, &c);
            }
            c.in_tick = 0;
            int type;
            s_agent_t *a;
            while ((a = s_recv(&c, &type)) != NULL || type != 0) {
                if (!a) {
                    continue;
                }
                cx_msg_t *m = c.msg;
                if (type == CX_MSG_TICK_DONE && a->role == 1 && m->tick == t && !a->done &&
                    m->persona == a->index && m->shard == a->shard &&
                    cx_tally_unpack(tally, m->iwords, m->n_iwords) == 0) {
                    cx_tick_totals_add(totals, tally);
                    a->done = 1;
                    a->dropped = m->dropped;
                    pending--;
                } else if (type == CX_MSG_DEPT_DONE && a->role == 0 && m->tick == t &&
                           !a->done && m->dept == a->index &&
                           m->n_words == CX_DEPT_STATS_WORDS) {
                    cx_dept_stats_unpack(&totals->dept[a->index], m->words);
                    a->done = 1;
                    a->dropped = m->dropped;
                    pending--;
                } else if (type == CX_MSG_ERROR) {
                    char text[512];
                    cx_str_copy(text, sizeof text, m->text);
                    snprintf(c.reason, sizeof c.reason, "%s failed at tick %d: %s", a->name, t,
                             text);
                    goto finish;
                } else if (type == CX_MSG_TICK_DONE || type == CX_MSG_DEPT_DONE) {
                    int want_role = type == CX_MSG_TICK_DONE;
                    int index = want_role ? m->persona : m->dept;
                    if (a->role != want_role) {
                        s_drop_member(&c, a, type, "not a message this agent sends");
                    } else if (m->tick != t) {
                        s_drop_member(&c, a, type, "for tick %lld while tick %d runs",
                                      (long long)m->tick, t);
                    } else if (a->done) {
                        s_drop_member(&c, a, type, "a second one for tick %d", t);
                    } else if (index != a->index || (want_role && m->shard != a->shard)) {
                        s_drop_member(&c, a, type, "it names %s %d, not its own %d",
                                      want_role ? "persona" : "department", index, a->index);
                    } else if (want_role) {
                        s_drop_member(&c, a, type, "its tally of %d words does not unpack",
                                      m->n_iwords);
                    } else {
                        s_drop_member(&c, a, type, "%d stats, expected %d", m->n_words,
                                      CX_DEPT_STATS_WORDS);
                    }
                } else if (type != CX_MSG_HEARTBEAT) {
                    s_drop_member(&c, a, type, "unexpected during tick %d", t);
                }
            }
            s_heartbeat(&c, t);
        }
        /* Phase CLOSE: the row, then the company takes it back. */
        cx_kpi_row_t row;
        cx_tick_close(company, sc, &ctx, &totals->total, totals->dept, &hist, &row);
        if (cx_output_tick(out, &row, totals, err, sizeof err) != 0) {
            snprintf(c.reason, sizeof c.reason, "%s", err);
            goto finish;
        }
        if (c.pub) {
            const char *names[64];
            double vals[64];
            int nc = cx_kpi_row_columns(&row, names, vals, 64 - CX_MAX_DEPTS);
            nc = nc < 64 - CX_MAX_DEPTS ? nc : 64 - CX_MAX_DEPTS;
            /* Then each department's effective maturity (its ramp and
             * J-curve), as departments.csv has it: "maturity.ID". */
            static char mnames[CX_MAX_DEPTS][CX_ID_MAX + 16];
            for (int d = 0; d < sc->n_dept; d++) {
                snprintf(mnames[d], sizeof mnames[d], "maturity.%s", sc->dept[d].id);
                names[nc] = mnames[d];
                vals[nc++] = totals->dept[d].maturity;
            }
            if (cx_enc_row(&c.enc, t, names, vals, nc) == 0) {
                zmq_send(c.pub, cx_enc_data(&c.enc), cx_enc_size(&c.enc), ZMQ_DONTWAIT);
            }
        }
        c.last_row = row;
        c.have_row = 1;
        if (every > 0 && (t + 1) % every == 0 && t + 1 < sc->ticks &&
            s_checkpoint(&c, t, company, &hist, out, cp_path) != 0) {
            goto finish;
        }
        if (t + 1 < sc->ticks && (c.ctl.sock || c.tick_ms > 0)) {
            int b = s_between(&c, t, began);
            if (b == 1) {
                status = "stopped";
                snprintf(c.reason, sizeof c.reason, "stopped by a control command after tick %d",
                         t);
                rc = 0;
                goto finish;
            } else if (b < 0) {
                if (s_interrupted) {
                    status = "interrupted";
                }
                goto finish;
            }
        }
    }
    status = "completed";
    rc = 0;

finish:
    if (rc != 0 && c.reason[0]) {
        cx_log_error("%s", c.reason);
    }
    s_stop_agents(&c, rc == 0 ? "done" : c.reason, rc == 0 ? 3000 : 300);
    c.dropped += c.ctl.dropped; /* junk at the control socket counts like any */
    int64_t dropped = c.dropped;
    for (int i = 0; i < c.n_agents; i++) {
        dropped += c.agents[i].dropped;
    }
    cx_run_info_t info = {status, c.reason, "processes", c.n_agents + 1,
                          (double)(cx_now_ms() - t0) / 1000.0, c.messages, c.bytes, dropped,
                          c.dropped, company, c.ctl.commands, c.ctl.refused};
    if (cx_output_close(&out, &info, err, sizeof err) != 0) {
        cx_log_error("%s", err);
        rc = 1;
    }
    if (live) {
        cx_live_endpoints_remove(out_dir);
    }
    cx_control_close(&c.ctl);
    if (c.pub) {
        zmq_close(c.pub);
    }
    cx_net_monitor_close(&c.mon);
    if (c.router) {
        zmq_close(c.router);
    }
    if (c.curve.on && cx_curve_refused(&c.curve) > 0) {
        cx_log_warn("refused %lld connections that did not hold the run key",
                    (long long)cx_curve_refused(&c.curve));
    }
    cx_curve_stop(&c.curve);
    if (c.ctx && key) {
        cx_curve_context_term(c.ctx);
    } else if (c.ctx) {
        zmq_ctx_term(c.ctx);
    }
    cx_msg_fini(c.msg);
    cx_enc_fini(&c.enc);
    free(c.msg);
    free(c.copy);
    if (c.resume) {
        cx_checkpoint_fini(c.resume);
        free(c.resume);
    }
    free(c.agents);
    free(c.yaml);
    free(c.steady);
    free(c.sc);
    free(company);
    free(totals);
    free(tally);
    /* The launcher's private directory: removed here too, so that a launcher
     * killed with -9 (whose children get SIGTERM from the kernel and end
     * through this path) leaves no directory of dead sockets behind. The
     * departments' own sockets may still be bound: unlinking their names
     * does not disturb them. */
    if (socket_dir && cx_proc_socket_dir_remove(socket_dir) != 0 && errno != ENOTEMPTY) {
        cx_log_warn("cannot remove %s: %s", socket_dir, strerror(errno));
    }
    return rc;
}
