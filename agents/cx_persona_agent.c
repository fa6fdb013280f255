/*  cxsim-persona — one shard of one persona: its customers, as a process.
 *
 *      cxsim-persona --connect ENDPOINT --persona ID [--shard K --of N]
 *
 *  Per tick (state machine):
 *
 *      IDLE --TICK t--> begin tick, send one REQUESTS batch to every
 *                       department (empty ones too: they complete the
 *                       department's roster) --> WAITING (n_dept pending)
 *      WAITING --OUTCOMES t from department d (first time)--> apply; when
 *                       none is pending: end tick, TICK_DONE --> IDLE
 *      any --STOP--> BYE, exit 0
 *
 *  A message that is malformed, from the wrong tick or a department that
 *  already answered is dropped and counted (reported in TICK_DONE and BYE).
 *  The poll loop, STOP, heartbeats and the coordinator's silence are the
 *  agents' shared loop (runtime/cx_agent_loop.h); this file holds one
 *  function per transition above: s_on_tick (IDLE -> WAITING), s_on_data
 *  (WAITING -> IDLE when the last department answered).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_agent.h"
#include "cx_agent_loop.h"
#include "cx_company.h"
#include "cx_log.h"
#include "cx_opts.h"
#include "cx_proc.h"
#include "cx_records.h"
#include "cx_shard.h"
#include "cx_steady.h"
#include "cx_version.h"

/* Longest wait for the connections to every department's data socket. */
#define S_DATA_CONNECT_MS 5000

static int s_restore(void *ud, const uint8_t *buf, size_t len)
{
    return cx_shard_restore(ud, buf, len);
}

static int s_snapshot(const void *ud, uint8_t **buf, size_t *len)
{
    return cx_shard_snapshot(ud, buf, len);
}

/* Department index of a data-socket routing id "d<index>", or -1. */
static int s_dept_of(const unsigned char *rid, size_t len, int n_dept)
{
    if (len < 2 || len > 3 || rid[0] != 'd') {
        return -1;
    }
    int d = 0;
    for (size_t i = 1; i < len; i++) {
        if (rid[i] < '0' || rid[i] > '9') {
            return -1;
        }
        d = d * 10 + (rid[i] - '0');
    }
    return d < n_dept ? d : -1;
}

/* The shard as a running agent: everything the transitions use. */
typedef struct {
    cx_agent_t *a;
    const cx_scenario_t *sc;
    cx_shard_t *sh;
    void *data;                   /* ROUTER connected to every department */
    int persona, shard;
    char rid[CX_MAX_DEPTS][8];    /* routing id of each department's connection */
    size_t rid_len[CX_MAX_DEPTS]; /* bytes in rid[d] */
    cx_tickctx_t ctx;             /* the tick's company state */
    int64_t tick;                 /* tick in progress, or the last one done */
    int waiting;                  /* departments whose outcomes are pending */
    uint8_t answered[CX_MAX_DEPTS];
    cx_enc_t denc;                /* encoder for the data plane */
    cx_msg_t dm;                  /* decoded data message */
    cx_outcome_t *obuf;           /* outcomes, aligned for the model */
    size_t obuf_cap;
    cx_tally_t tally;
    int64_t tally_words[CX_TALLY_WORDS];
} s_persona_t;

/* IDLE --TICK t--> begin the tick, one REQUESTS batch to every department
 * (empty ones too: they complete the department's roster) --> WAITING. */
static int s_on_tick(void *self, cx_agent_t *a)
{
    s_persona_t *p = self;
    const cx_msg_t *m = a->msg;
    if (p->waiting || m->tick != p->tick + 1 || m->n_words != CX_TICKCTX_WORDS ||
        cx_tickctx_unpack(&p->ctx, m->words, p->sc) != 0 || p->ctx.tick != m->tick) {
        return 1;
    }
    p->tick = m->tick;
    if (cx_shard_begin_tick(p->sh, &p->ctx) != 0) {
        cx_agent_fail(a, "out of memory at tick %lld", (long long)p->tick);
        return -1;
    }
    for (int d = 0; d < p->sc->n_dept; d++) {
        size_t n;
        const cx_request_t *r = cx_shard_requests(p->sh, d, &n);
        if (cx_enc_requests(&p->denc, p->tick, p->persona, p->shard, r, (int64_t)n,
                            sizeof *r) != 0 ||
            cx_net_send(p->data, p->rid[d], p->rid_len[d], &p->denc) != 0) {
            cx_log_error("cannot send requests to %s", p->sc->dept[d].id);
            return -1;
        }
        p->answered[d] = 0;
    }
    p->waiting = p->sc->n_dept;
    return 0;
}

/* CHECKPOINT t, between ticks: the shard's state as SNAPSHOT. */
static int s_on_checkpoint(void *self, cx_agent_t *a)
{
    s_persona_t *p = self;
    if (p->waiting || a->msg->tick != p->tick) {
        return 1;
    }
    return cx_agent_snapshot(a, p->tick, s_snapshot, p->sh) == 0 ? 0 : -1;
}

/* Keeps one department's outcomes (copied: the frame's bytes are not
 * aligned for the model) and applies them. */
static int s_apply(s_persona_t *p, cx_agent_t *a, cx_frame_t *f)
{
    size_t n = (size_t)p->dm.count;
    if (n > p->obuf_cap) {
        cx_outcome_t *o = realloc(p->obuf, n * sizeof *o);
        if (!o) {
            cx_frame_close(f);
            cx_agent_fail(a, "out of memory");
            return -1;
        }
        p->obuf = o;
        p->obuf_cap = n;
    }
    if (n) {
        memcpy(p->obuf, p->dm.records, n * sizeof *p->obuf);
    }
    cx_frame_close(f);
    a->dropped += (int64_t)cx_shard_apply_outcomes(p->sh, &p->ctx, p->obuf, n);
    return 0;
}

/* WAITING --OUTCOMES t from department d (first time)--> apply; the last
 * one: end the tick, TICK_DONE --> IDLE. Reads until none is waiting or
 * the tick's last one is in (anything after it stays for the next poll). */
static int s_on_data(void *self, cx_agent_t *a)
{
    s_persona_t *p = self;
    cx_frame_t f;
    int r;
    while ((r = cx_net_recv(p->data, true, &f, ZMQ_DONTWAIT)) >= 0) {
        if (r == 1) {
            a->dropped++;
            continue;
        }
        int d = s_dept_of(f.rid, f.rid_len, p->sc->n_dept);
        int t = cx_msg_decode(&p->dm, cx_frame_data(&f), cx_frame_size(&f));
        if (t != CX_MSG_OUTCOMES || d < 0 || p->dm.tick != p->tick || p->dm.dept != d ||
            !p->waiting || p->answered[d]) {
            a->dropped++;
            cx_frame_close(&f);
            continue;
        }
        if (s_apply(p, a, &f) != 0) {
            return -1;
        }
        p->answered[d] = 1;
        if (--p->waiting == 0) {
            cx_shard_end_tick(p->sh, &p->ctx, &p->tally);
            int nw = cx_tally_pack(&p->tally, p->tally_words);
            if (cx_enc_tick_done(&a->enc, p->tick, p->persona, p->shard, p->tally_words, nw,
                                 a->dropped) != 0 ||
                cx_agent_send(a) != 0) {
                return -1;
            }
            return 0;
        }
    }
    return 0;
}

static int64_t s_tick(const void *self)
{
    return ((const s_persona_t *)self)->tick;
}

/* The data socket: one ROUTER connected to every department, one at a
 * time, each connection seen made before the next (see below). */
static int s_connect_departments(s_persona_t *p, cx_agent_t *a)
{
    const cx_scenario_t *sc = p->sc;
    /* One ROUTER reaches every department: each connection gets the routing
     * id "d<index>" (ZMQ_CONNECT_ROUTING_ID), so a send names its department
     * and a receive says which one answered. A poll then watches two sockets
     * whatever the number of departments; with one DEALER per department,
     * every wake-up cost four system calls per department (ZMQ_EVENTS before
     * and after the poll(2)). The departments see the same frames as from a
     * DEALER. The connection's pipe exists from zmq_connect on (ZMQ_IMMEDIATE
     * is off), so a batch sent before the handshake waits, as with a DEALER;
     * ZMQ_ROUTER_MANDATORY turns a send to an unknown id into an error
     * instead of a silent drop. */
    p->data = zmq_socket(a->ctx, ZMQ_ROUTER);
    int linger = 0, mandatory = 1;
    /* Its routing id, derived from the run's secret, is how departments
     * know a batch comes from this shard (cx_slot_rid). */
    char self[CX_SLOT_RID_LEN + 1];
    cx_slot_rid(a->run, p->persona, p->shard, self);
    if (!p->data || zmq_setsockopt(p->data, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(p->data, ZMQ_ROUTING_ID, self, CX_SLOT_RID_LEN) != 0 ||
        zmq_setsockopt(p->data, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) != 0 ||
        cx_net_limit(p->data, CX_NET_MAX_DATA) != 0 || cx_curve_client(&a->curve, p->data) != 0) {
        cx_log_error("cannot create the data socket: %s", zmq_strerror(errno));
        return -1;
    }
    /* One department at a time, each connection seen made (the socket
     * monitor) before the next: an address nobody listens on, or one that
     * refuses, is named at once (which department, which address) instead
     * of stalling tick 0 until the tick timeout. Locally this costs well
     * under a millisecond per department. */
    cx_net_monitor_t cm;
    int watch = cx_net_monitor_open_events(&cm, a->ctx, p->data,
                                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED) == 0;
    long long reach_by = cx_now_ms() + S_DATA_CONNECT_MS;
    int rc = 0;
    for (int d = 0; d < sc->n_dept && rc == 0; d++) {
        p->rid_len[d] = (size_t)snprintf(p->rid[d], sizeof p->rid[d], "d%d", d);
        if (zmq_setsockopt(p->data, ZMQ_CONNECT_ROUTING_ID, p->rid[d], p->rid_len[d]) != 0 ||
            zmq_connect(p->data, a->endpoints[d]) != 0) {
            cx_agent_fail(a, "cannot connect to department %s at %s: %s", sc->dept[d].id,
                          a->endpoints[d], zmq_strerror(errno));
            rc = -1;
            break;
        }
        int retried = 0;
        if (watch && cx_net_monitor_wait_connected(&cm, reach_by, &retried) != 0) {
            if (retried > 0) {
                cx_agent_fail(a,
                              "cannot reach department %s's data socket at %s: the connection "
                              "was refused (%d attempts in %d ms)",
                              sc->dept[d].id, a->endpoints[d], retried, S_DATA_CONNECT_MS);
            } else {
                cx_agent_fail(a,
                              "cannot reach department %s's data socket at %s: no answer "
                              "within %d ms",
                              sc->dept[d].id, a->endpoints[d], S_DATA_CONNECT_MS);
            }
            rc = -1;
        }
    }
    cx_net_monitor_close(&cm);
    return rc;
}

/* Joins the run as this shard and sets it up: customers from the run's
 * steady state (or a checkpoint), departments connected, READY sent. */
static int s_start(s_persona_t *p, cx_agent_t *a, const char *connect, const char *persona_id,
                   int of, int timeout_ms)
{
    if (cx_agent_join(a, connect, "persona", persona_id, p->shard, of, "", timeout_ms) != 0) {
        return -1;
    }
    p->sc = a->sc;
    p->persona = cx_scenario_persona_index(p->sc, persona_id);
    if (p->persona < 0 || a->shards[p->persona] != of) {
        cx_log_error("persona %s shard %d/%d is not in this run", persona_id, p->shard, of);
        return -1;
    }
    p->sh = cx_shard_new(p->sc, a->steady, p->persona, p->shard, of);
    if (!p->sh) {
        cx_agent_fail(a, "out of memory creating %lld customers",
                      (long long)p->sc->persona[p->persona].customers);
        return -1;
    }
    if (s_connect_departments(p, a) != 0 ||
        (a->start_tick > 0 && cx_agent_restore(a, s_restore, p->sh, timeout_ms) != 0) ||
        cx_enc_ready(&a->enc) != 0 || cx_agent_send(a) != 0) {
        return -1;
    }
    /* Setting up (the steady state) kept the agent from listening: the
     * coordinator's silence counts from now. */
    a->last_heard = cx_now_ms();
    p->tick = a->start_tick - 1;
    return 0;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim-persona --connect ENDPOINT --persona ID [--shard K --of N]\n"
                "                     [--key FILE] [--timeout-ms MS]\n"
                "One shard of a persona's customers. Normally started by `cxsim run`;\n"
                "start it by hand to run the shard on another machine.\n");
}

int main(int argc, char **argv)
{
    const char *connect = NULL, *persona_id = NULL, *key = NULL;
    long long shard = 0, of = 1, timeout_ms = 30000;
    enum { O_HELP, O_VERSION, O_CONNECT, O_KEY, O_PERSONA, O_SHARD, O_OF, O_TIMEOUT };
    static const cx_opt_t opts[] = {
        {"--help", NULL, false, O_HELP},      {"--version", NULL, false, O_VERSION},
        {"--connect", NULL, true, O_CONNECT}, {"--key", NULL, true, O_KEY},
        {"--persona", NULL, true, O_PERSONA}, {"--shard", NULL, true, O_SHARD},
        {"--of", NULL, true, O_OF},           {"--timeout-ms", NULL, true, O_TIMEOUT},
    };
    cx_opts_t op;
    cx_opts_init(&op, "cxsim-persona", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        bool bad = false;
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            return 0;
        case O_VERSION:
            printf("cxsim-persona %s\n", CX_VERSION);
            return 0;
        case O_CONNECT:
            connect = v;
            break;
        case O_KEY:
            key = v;
            break;
        case O_PERSONA:
            persona_id = v;
            break;
        case O_SHARD:
            bad = cx_parse_int(v, 0, CX_MAX_SHARDS - 1, &shard) != 0;
            break;
        case O_OF:
            bad = cx_parse_int(v, 1, CX_MAX_SHARDS, &of) != 0;
            break;
        case O_TIMEOUT:
            bad = cx_parse_int(v, 1, 3600000, &timeout_ms) != 0;
            break;
        case CX_OPTS_ERROR:
            s_usage(stderr);
            return 2;
        default: /* a positional argument */
            bad = true;
            break;
        }
        if (bad) {
            fprintf(stderr, "cxsim-persona: bad argument '%s'\n", op.arg);
            s_usage(stderr);
            return 2;
        }
    }
    if (!connect || !persona_id || shard >= of) {
        s_usage(stderr);
        return 2;
    }
    char who[160];
    snprintf(who, sizeof who, "cxsim-persona[%s %lld/%lld]", persona_id, shard, of);
    cx_log_init(who);
    cx_agent_signals();

    cx_agent_t a;
    s_persona_t *p = calloc(1, sizeof *p);
    if (!p || cx_agent_init(&a) != 0) {
        cx_log_error("out of memory");
        free(p);
        return 1;
    }
    p->a = &a;
    p->shard = (int)shard;
    cx_enc_init(&p->denc);
    cx_msg_init(&p->dm);
    int rc = 1;
    if ((!key || cx_agent_use_key(&a, key, false) == 0) &&
        s_start(p, &a, connect, persona_id, (int)of, (int)timeout_ms) == 0) {
        cx_agent_role_t role = {p, p->data, s_on_tick, s_on_checkpoint, s_on_data, NULL, s_tick};
        rc = cx_agent_loop(&a, &role);
    }
    if (p->data) {
        zmq_close(p->data);
    }
    cx_shard_destroy(&p->sh);
    free(p->obuf);
    cx_msg_fini(&p->dm);
    cx_enc_fini(&p->denc);
    free(p);
    cx_agent_fini(&a);
    return rc;
}
