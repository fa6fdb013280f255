/*  cxsim-department — one department serving its touchpoints, as a process.
 *
 *      cxsim-department --connect ENDPOINT --department ID [--bind EP] [--advertise EP]
 *
 *  It binds its own data socket (ROUTER) where persona shards send request
 *  batches, so interaction data never crosses the coordinator.
 *
 *  Per tick (state machine):
 *
 *      COLLECTING: TICK t from the coordinator, and REQUESTS t from every
 *                  shard of the roster (in any order, early ones kept)
 *        --all in--> serve (model orders by customer id), send one OUTCOMES
 *                  batch to every shard (empty ones too), DEPT_DONE to the
 *                  coordinator --> COLLECTING t+1
 *      any --STOP--> BYE, exit 0
 *
 *  A batch that is malformed, for another tick, from a shard not in the
 *  roster or a second time from the same shard is dropped and counted.
 *  The poll loop, STOP, heartbeats and the coordinator's silence are the
 *  agents' shared loop (runtime/cx_agent_loop.h); the transitions here:
 *  s_on_tick and s_on_data collect, s_serve (after each wake-up) serves
 *  once all is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_agent.h"
#include "cx_agent_loop.h"
#include "cx_company.h"
#include "cx_department.h"
#include "cx_steady.h"
#include "cx_log.h"
#include "cx_opts.h"
#include "cx_proc.h"
#include "cx_records.h"
#include "cx_version.h"

#define S_DRAIN 1024 /* data frames read per wake-up, at most */

/* One persona shard as the department sees it. */
typedef struct {
    unsigned char rid[CX_RID_MAX]; /* routing id of its connection */
    size_t rid_len;                /* bytes in rid */
    int persona;                   /* persona index */
    int shard;                     /* shard index */
    int got;                       /* its batch for the current tick arrived */
    char want[CX_SLOT_RID_LEN + 1]; /* the routing id its batches must come from */
} s_slot_t;

static int s_restore(void *ud, const uint8_t *buf, size_t len)
{
    return cx_dept_restore(ud, buf, len);
}

static int s_snapshot(const void *ud, uint8_t **buf, size_t *len)
{
    return cx_dept_snapshot(ud, buf, len);
}

static int s_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return 0;
    }
    size_t c = *cap ? *cap : 4096;
    while (c < need) {
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (!q) {
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

/* The department as a running agent: everything the transitions use. */
typedef struct {
    const cx_scenario_t *sc;
    cx_dept_t *dept;
    int d;                       /* its index in the scenario */
    void *data;                  /* ROUTER where the shards' batches arrive */
    s_slot_t *slots;             /* one per persona shard of the roster */
    int nslots;
    int slot_base[CX_MAX_PERSONAS];
    cx_tickctx_t ctx;            /* the tick's company state */
    int64_t tick;                /* tick being collected */
    int have_tick;               /* its TICK arrived */
    int got;                     /* batches arrived for it */
    int64_t forged;              /* batches in a shard's name from another peer */
    cx_request_t *req;           /* the tick's requests, every shard's */
    size_t req_cap, n_req;
    cx_outcome_t *split;         /* outcomes grouped by shard */
    size_t split_cap;
    uint32_t *oslot;             /* slot of each outcome, while grouping */
    size_t oslot_cap;
    size_t *first;               /* first outcome of each slot */
    cx_msg_t dm;                 /* decoded data message */
    cx_enc_t denc;               /* encoder for the data plane */
} s_dept_t;

/* COLLECTING --TICK t--> noted (the batches may have come first). */
static int s_on_tick(void *self, cx_agent_t *a)
{
    s_dept_t *p = self;
    const cx_msg_t *m = a->msg;
    if (p->have_tick || m->tick != p->tick || m->n_words != CX_TICKCTX_WORDS ||
        cx_tickctx_unpack(&p->ctx, m->words, p->sc) != 0 || p->ctx.tick != m->tick) {
        return 1;
    }
    p->have_tick = 1;
    return 0;
}

/* CHECKPOINT t, between ticks: the department's state as SNAPSHOT. */
static int s_on_checkpoint(void *self, cx_agent_t *a)
{
    s_dept_t *p = self;
    if (p->have_tick || p->got != 0 || a->msg->tick != p->tick - 1) {
        return 1;
    }
    return cx_agent_snapshot(a, p->tick - 1, s_snapshot, p->dept) == 0 ? 0 : -1;
}

/* The roster's slot a REQUESTS batch fills, or NULL (dropped): only the
 * shard the roster admitted may fill its slot; a batch from another
 * routing id (a stranger, a stale agent of another run) is dropped, and
 * can no longer take the real one's place. */
static s_slot_t *s_slot_of(s_dept_t *p, int type, const cx_frame_t *f)
{
    const cx_msg_t *m = &p->dm;
    if (type != CX_MSG_REQUESTS || m->tick != p->tick || m->persona >= p->sc->n_persona) {
        return NULL;
    }
    int base = p->slot_base[m->persona];
    int next = m->persona + 1 < p->sc->n_persona ? p->slot_base[m->persona + 1] : p->nslots;
    if (m->shard >= next - base) {
        return NULL;
    }
    s_slot_t *sl = &p->slots[base + m->shard];
    if (f->rid_len != CX_SLOT_RID_LEN || memcmp(f->rid, sl->want, f->rid_len) != 0) {
        if (p->forged++ < 3) {
            cx_log_warn("dropped a REQUESTS batch in the name of persona %s shard %d from "
                        "a peer that is not that shard%s",
                        p->sc->persona[sl->persona].id, sl->shard,
                        p->forged == 3 ? " (further ones are counted, not logged)" : "");
        }
        return NULL;
    }
    return sl->got ? NULL : sl;
}

/* COLLECTING --REQUESTS t from a shard of the roster (first time)--> kept.
 * At most S_DRAIN frames a wake-up: peers flooding the data socket (forged
 * batches, junk) delay the heartbeat, never starve it. */
static int s_on_data(void *self, cx_agent_t *a)
{
    s_dept_t *p = self;
    cx_frame_t f;
    int r, budget = S_DRAIN;
    while (!(p->have_tick && p->got == p->nslots) && budget-- > 0 &&
           (r = cx_net_recv(p->data, true, &f, ZMQ_DONTWAIT)) >= 0) {
        if (r == 1) {
            a->dropped++;
            continue;
        }
        s_slot_t *sl = s_slot_of(p, cx_msg_decode(&p->dm, cx_frame_data(&f), cx_frame_size(&f)),
                                 &f);
        if (!sl) {
            a->dropped++;
            cx_frame_close(&f);
            continue;
        }
        size_t n = (size_t)p->dm.count;
        if (s_grow((void **)&p->req, &p->req_cap, p->n_req + n, sizeof *p->req) != 0) {
            cx_frame_close(&f);
            cx_agent_fail(a, "out of memory");
            return -1;
        }
        if (n) {
            memcpy(p->req + p->n_req, p->dm.records, n * sizeof *p->req);
        }
        p->n_req += n;
        memcpy(sl->rid, f.rid, f.rid_len);
        sl->rid_len = f.rid_len;
        sl->got = 1;
        p->got++;
        cx_frame_close(&f);
    }
    return 0;
}

/* Sends each shard its outcomes, grouped by shard in service order. Each
 * outcome's slot is computed once (a 64-bit modulo is the costliest step
 * here) and kept for the second pass. */
static int s_send_outcomes(s_dept_t *p, cx_agent_t *a, const cx_outcome_t *out, size_t n_out)
{
    if (s_grow((void **)&p->split, &p->split_cap, n_out, sizeof *p->split) != 0 ||
        s_grow((void **)&p->oslot, &p->oslot_cap, n_out, sizeof *p->oslot) != 0) {
        cx_agent_fail(a, "out of memory");
        return -1;
    }
    size_t *first = p->first;
    memset(first, 0, ((size_t)p->nslots + 1) * sizeof *first);
    for (size_t i = 0; i < n_out; i++) {
        int ps = CX_CID_PERSONA(out[i].cid);
        uint64_t local = (uint64_t)CX_CID_LOCAL(out[i].cid);
        uint32_t of = (uint32_t)a->shards[ps];
        p->oslot[i] = (uint32_t)p->slot_base[ps] +
                      (of == 1 ? 0u : (uint32_t)(local % of)); /* served: valid ids */
        first[p->oslot[i] + 1]++;
    }
    for (int i = 0; i < p->nslots; i++) {
        first[i + 1] += first[i];
    }
    for (size_t i = 0; i < n_out; i++) {
        p->split[first[p->oslot[i]]++] = out[i];
    }
    size_t start = 0;
    int rc = 0;
    for (int i = 0; i < p->nslots; i++) {
        size_t end = first[i];
        if (rc == 0 && (cx_enc_outcomes(&p->denc, p->tick, p->d, p->split + start,
                                        (int64_t)(end - start), sizeof *p->split) != 0 ||
                        cx_net_send(p->data, p->slots[i].rid, p->slots[i].rid_len,
                                    &p->denc) != 0)) {
            cx_log_error("cannot send outcomes: %s", zmq_strerror(errno));
            rc = -1;
        }
        start = end;
        p->slots[i].got = 0;
    }
    return rc;
}

/* COLLECTING --all in--> serve, OUTCOMES to every shard, DEPT_DONE -->
 * COLLECTING t+1. */
static int s_serve(void *self, cx_agent_t *a)
{
    s_dept_t *p = self;
    if (!p->have_tick || p->got != p->nslots) {
        return 0;
    }
    const cx_outcome_t *out;
    size_t n_out, rejected = 0;
    cx_dept_stats_t stats;
    if (cx_dept_serve(p->dept, &p->ctx, p->req, p->n_req, &out, &n_out, &stats, &rejected) != 0) {
        cx_agent_fail(a, "cannot serve tick %lld (out of memory)", (long long)p->tick);
        return -1;
    }
    a->dropped += (int64_t)rejected;
    if (s_send_outcomes(p, a, out, n_out) != 0) {
        return -1;
    }
    double words[CX_DEPT_STATS_WORDS];
    cx_dept_stats_pack(&stats, words);
    if (cx_enc_dept_done(&a->enc, p->tick, p->d, words, CX_DEPT_STATS_WORDS, a->dropped) != 0 ||
        cx_agent_send(a) != 0) {
        return -1;
    }
    p->n_req = 0;
    p->got = 0;
    p->have_tick = 0;
    p->tick++;
    return 0;
}

static int64_t s_tick(const void *self)
{
    return ((const s_dept_t *)self)->tick;
}

/* The department of the run, its roster of shards (each bound to the
 * routing id its batches must come from), restored when resuming, READY. */
static int s_start(s_dept_t *p, cx_agent_t *a, const char *dept_id, int timeout_ms)
{
    const cx_scenario_t *sc = a->sc;
    p->sc = sc;
    p->d = cx_scenario_dept_index(sc, dept_id);
    if (p->d < 0) {
        cx_log_error("department %s is not in this run", dept_id);
        return -1;
    }
    /* Employee engagement starts from the run's steady state (WELCOME). */
    p->dept = cx_dept_new(sc, a->steady, p->d);
    for (int ps = 0; ps < sc->n_persona; ps++) {
        p->slot_base[ps] = p->nslots;
        p->nslots += a->shards[ps];
    }
    p->slots = calloc((size_t)p->nslots, sizeof *p->slots);
    p->first = calloc((size_t)p->nslots + 1, sizeof *p->first);
    if (!p->dept || !p->slots || !p->first) {
        cx_agent_fail(a, "out of memory");
        return -1;
    }
    for (int ps = 0; ps < sc->n_persona; ps++) {
        for (int s = 0; s < a->shards[ps]; s++) {
            s_slot_t *sl = &p->slots[p->slot_base[ps] + s];
            sl->persona = ps;
            sl->shard = s;
            cx_slot_rid(a->run, ps, s, sl->want);
        }
    }
    if ((a->start_tick > 0 && cx_agent_restore(a, s_restore, p->dept, timeout_ms) != 0) ||
        cx_enc_ready(&a->enc) != 0 || cx_agent_send(a) != 0) {
        return -1;
    }
    /* Setting up (the steady state) kept the agent from listening: the
     * coordinator's silence counts from now. */
    a->last_heard = cx_now_ms();
    p->tick = a->start_tick;
    return 0;
}

/* Binds the data socket (its endpoint goes into HELLO; with a run key it
 * admits only shards that hold the key) and says where shards reach it. */
static int s_bind(s_dept_t *p, cx_agent_t *a, const char *listen, const char *bind,
                  const char *advertise, bool keyed, char *endpoint, size_t cap)
{
    p->data = zmq_socket(a->ctx, ZMQ_ROUTER);
    int linger = 1000;
    if (!p->data || zmq_setsockopt(p->data, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        cx_net_limit(p->data, CX_NET_MAX_DATA) != 0 || cx_curve_server(&a->curve, p->data) != 0 ||
        zmq_bind(p->data, listen) != 0) {
        cx_log_error("cannot bind %s: %s", listen, zmq_strerror(errno));
        return -1;
    }
    if (advertise || bind) {
        snprintf(endpoint, cap, "%s", advertise ? advertise : bind);
        return 0;
    }
    char last[256], host[200];
    size_t sz = sizeof last;
    zmq_getsockopt(p->data, ZMQ_LAST_ENDPOINT, last, &sz);
    const char *port = strrchr(last, ':');
    if (!keyed || gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "127.0.0.1");
    }
    snprintf(endpoint, cap, "tcp://%s%s", host, port ? port : ":0");
    return 0;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim-department --connect ENDPOINT --department ID\n"
                "                        [--bind ENDPOINT] [--advertise ENDPOINT] [--key FILE]\n"
                "                        [--timeout-ms MS] [--insecure]\n"
                "One department serving its touchpoints. Normally started by `cxsim run`;\n"
                "start it by hand to run the department on another machine. Without --bind\n"
                "it binds tcp://*:* and advertises tcp://HOSTNAME:PORT with --key, and\n"
                "binds and advertises tcp://127.0.0.1:PORT without. Binding another address\n"
                "than loopback or ipc:// needs --key (or --insecure to accept anyone); a\n"
                "wildcard address (tcp://*:N) cannot be advertised: give --advertise.\n");
}


/* The command line. */
typedef struct {
    const char *connect;   /* --connect: the coordinator */
    const char *dept_id;   /* --department */
    const char *bind;      /* --bind: the data socket, or NULL */
    const char *advertise; /* --advertise: the address told to shards, or NULL */
    const char *key;       /* --key: the run key file, or NULL */
    long long timeout_ms;  /* --timeout-ms */
    int insecure;          /* --insecure: listen beyond this machine without a key */
} s_args_t;

/* Returns -1 to go on, or the exit status (--help, --version: 0; bad
 * arguments: 2, said). */
static int s_parse(int argc, char **argv, s_args_t *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 30000;
    enum {
        O_HELP,
        O_VERSION,
        O_CONNECT,
        O_DEPT,
        O_BIND,
        O_KEY,
        O_INSECURE,
        O_ADVERTISE,
        O_TIMEOUT
    };
    static const cx_opt_t opts[] = {
        {"--help", NULL, false, O_HELP},         {"--version", NULL, false, O_VERSION},
        {"--connect", NULL, true, O_CONNECT},    {"--department", NULL, true, O_DEPT},
        {"--bind", NULL, true, O_BIND},          {"--key", NULL, true, O_KEY},
        {"--insecure", NULL, false, O_INSECURE}, {"--advertise", NULL, true, O_ADVERTISE},
        {"--timeout-ms", NULL, true, O_TIMEOUT},
    };
    cx_opts_t op;
    cx_opts_init(&op, "cxsim-department", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        bool bad = false;
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            return 0;
        case O_VERSION:
            printf("cxsim-department %s\n", CX_VERSION);
            return 0;
        case O_CONNECT:
            o->connect = v;
            break;
        case O_DEPT:
            o->dept_id = v;
            break;
        case O_BIND:
            o->bind = v;
            break;
        case O_KEY:
            o->key = v;
            break;
        case O_INSECURE:
            o->insecure = 1;
            break;
        case O_ADVERTISE:
            o->advertise = v;
            break;
        case O_TIMEOUT:
            bad = cx_parse_int(v, 1, 3600000, &o->timeout_ms) != 0;
            break;
        case CX_OPTS_ERROR:
            s_usage(stderr);
            return 2;
        default: /* a positional argument */
            bad = true;
            break;
        }
        if (bad) {
            fprintf(stderr, "cxsim-department: bad argument '%s'\n", op.arg);
            s_usage(stderr);
            return 2;
        }
    }
    if (!o->connect || !o->dept_id) {
        s_usage(stderr);
        return 2;
    }
    return -1;
}

static void s_dept_free(s_dept_t *p)
{
    if (p->data) {
        zmq_close(p->data);
    }
    cx_dept_destroy(&p->dept);
    free(p->slots);
    free(p->first);
    free(p->req);
    free(p->split);
    free(p->oslot);
    cx_msg_fini(&p->dm);
    cx_enc_fini(&p->denc);
    free(p);
}

int main(int argc, char **argv)
{
    s_args_t o;
    int prc = s_parse(argc, argv, &o);
    if (prc >= 0) {
        return prc;
    }
    char who[160];
    snprintf(who, sizeof who, "cxsim-department[%s]", o.dept_id);
    cx_log_init(who);
    cx_agent_signals();
    /* Without a key, the data socket stays on this machine unless told
     * otherwise, and only --insecure lets it listen beyond. The address
     * shards are told must be one they can reach: never a wildcard. */
    const char *listen = o.bind ? o.bind : o.key ? "tcp://*:*" : "tcp://127.0.0.1:*";
    if (cx_net_check_listener("--bind", listen, o.key != NULL, o.insecure) != 0) {
        return 2;
    }
    const char *told = o.advertise ? o.advertise : o.bind;
    if (told && cx_net_is_wildcard(told)) {
        cx_log_error("cannot advertise %s to the persona shards: a wildcard address is no "
                     "address to connect to. Give --advertise tcp://HOST:PORT (this machine's "
                     "address as the shards reach it)",
                     told);
        return 2;
    }

    cx_agent_t a;
    s_dept_t *p = calloc(1, sizeof *p);
    if (!p || cx_agent_init(&a) != 0) {
        cx_log_error("out of memory");
        free(p);
        return 1;
    }
    cx_msg_init(&p->dm);
    cx_enc_init(&p->denc);
    int rc = 1;
    char endpoint[512];
    int tmo = (int)o.timeout_ms;
    if ((!o.key || cx_agent_use_key(&a, o.key, true) == 0) &&
        s_bind(p, &a, listen, o.bind, o.advertise, o.key != NULL, endpoint, sizeof endpoint) == 0 &&
        cx_agent_join(&a, o.connect, "department", o.dept_id, 0, 1, endpoint, tmo) == 0 &&
        s_start(p, &a, o.dept_id, tmo) == 0) {
        cx_agent_role_t role = {p, p->data, s_on_tick, s_on_checkpoint, s_on_data, s_serve, s_tick};
        rc = cx_agent_loop(&a, &role);
    }
    s_dept_free(p);
    cx_agent_fini(&a);
    return rc;
}
