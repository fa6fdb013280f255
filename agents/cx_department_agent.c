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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_agent.h"
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

int main(int argc, char **argv)
{
    const char *connect = NULL, *dept_id = NULL, *bind = NULL, *advertise = NULL, *key = NULL;
    long long timeout_ms = 30000;
    int insecure = 0; /* --insecure: listen beyond this machine without a key */
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
            connect = v;
            break;
        case O_DEPT:
            dept_id = v;
            break;
        case O_BIND:
            bind = v;
            break;
        case O_KEY:
            key = v;
            break;
        case O_INSECURE:
            insecure = 1;
            break;
        case O_ADVERTISE:
            advertise = v;
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
            fprintf(stderr, "cxsim-department: bad argument '%s'\n", op.arg);
            s_usage(stderr);
            return 2;
        }
    }
    if (!connect || !dept_id) {
        s_usage(stderr);
        return 2;
    }
    char who[160];
    snprintf(who, sizeof who, "cxsim-department[%s]", dept_id);
    cx_log_init(who);
    cx_agent_signals();
    /* Without a key, the data socket stays on this machine unless told
     * otherwise, and only --insecure lets it listen beyond. The address
     * shards are told must be one they can reach: never a wildcard. */
    const char *listen = bind ? bind : key ? "tcp://*:*" : "tcp://127.0.0.1:*";
    if (cx_net_check_listener("--bind", listen, key != NULL, insecure) != 0) {
        return 2;
    }
    const char *told = advertise ? advertise : bind;
    if (told && cx_net_is_wildcard(told)) {
        cx_log_error("cannot advertise %s to the persona shards: a wildcard address is no "
                     "address to connect to. Give --advertise tcp://HOST:PORT (this machine's "
                     "address as the shards reach it)",
                     told);
        return 2;
    }

    cx_agent_t a;
    if (cx_agent_init(&a) != 0) {
        cx_log_error("out of memory");
        return 1;
    }
    int rc = 1;
    cx_dept_t *dept = NULL;
    s_slot_t *slots = NULL;
    cx_request_t *req = NULL;
    size_t req_cap = 0, n_req = 0;
    cx_outcome_t *split = NULL;
    size_t split_cap = 0;
    uint32_t *oslot = NULL; /* slot of each outcome, while grouping */
    size_t oslot_cap = 0;
    size_t *first = NULL;
    cx_msg_t *dm = malloc(sizeof *dm);
    cx_enc_t denc;
    cx_enc_init(&denc);
    if (dm) {
        cx_msg_init(dm);
    }

    /* Bind the data socket first: its endpoint goes into HELLO. With a run
     * key it admits only shards that hold the key. */
    void *data = NULL;
    if (key && cx_agent_use_key(&a, key) != 0) {
        goto done;
    }
    data = zmq_socket(a.ctx, ZMQ_ROUTER);
    int linger = 1000;
    zmq_setsockopt(data, ZMQ_LINGER, &linger, sizeof linger);
    char endpoint[512];
    if (!dm || !data || cx_net_limit(data, CX_NET_MAX_DATA) != 0 ||
        cx_curve_server(&a.curve, data) != 0 || zmq_bind(data, listen) != 0) {
        cx_log_error("cannot bind %s: %s", listen, zmq_strerror(errno));
        goto done;
    }
    if (advertise) {
        snprintf(endpoint, sizeof endpoint, "%s", advertise);
    } else if (bind) {
        snprintf(endpoint, sizeof endpoint, "%s", bind);
    } else {
        char last[256], host[200];
        size_t sz = sizeof last;
        zmq_getsockopt(data, ZMQ_LAST_ENDPOINT, last, &sz);
        const char *port = strrchr(last, ':');
        if (!key || gethostname(host, sizeof host) != 0) {
            snprintf(host, sizeof host, "127.0.0.1");
        }
        snprintf(endpoint, sizeof endpoint, "tcp://%s%s", host, port ? port : ":0");
    }
    if (cx_agent_join(&a, connect, "department", dept_id, 0, 1, endpoint, (int)timeout_ms) != 0) {
        goto done;
    }
    const cx_scenario_t *sc = a.sc;
    int d = cx_scenario_dept_index(sc, dept_id);
    if (d < 0) {
        cx_log_error("department %s is not in this run", dept_id);
        goto done;
    }
    /* Employee engagement starts from the run's steady state (WELCOME). */
    dept = cx_dept_new(sc, a.steady, d);
    int nslots = 0;
    int slot_base[CX_MAX_PERSONAS];
    for (int p = 0; p < sc->n_persona; p++) {
        slot_base[p] = nslots;
        nslots += a.shards[p];
    }
    slots = calloc((size_t)nslots, sizeof *slots);
    first = calloc((size_t)nslots + 1, sizeof *first);
    if (!dept || !slots || !first) {
        cx_log_error("out of memory");
        goto done;
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < a.shards[p]; s++) {
            slots[slot_base[p] + s].persona = p;
            slots[slot_base[p] + s].shard = s;
            cx_slot_rid(a.run, p, s, slots[slot_base[p] + s].want);
        }
    }
    if (a.start_tick > 0 && cx_agent_restore(&a, s_restore, dept, (int)timeout_ms) != 0) {
        goto done;
    }
    if (cx_enc_ready(&a.enc) != 0 || cx_agent_send(&a) != 0) {
        goto done;
    }
    /* Setting up (the steady state) kept the agent from listening: the
     * coordinator's silence counts from now. */
    a.last_heard = cx_now_ms();

    cx_tickctx_t ctx;
    int64_t tick = a.start_tick; /* tick being collected */
    int have_tick = 0; /* its TICK arrived */
    int got = 0;       /* batches arrived for it */
    int64_t forged = 0; /* batches in a shard's name from another peer */
    zmq_pollitem_t items[2] = {{a.coord, 0, ZMQ_POLLIN, 0}, {data, 0, ZMQ_POLLIN, 0}};
    int stop = 0;
    while (!stop && !cx_agent_interrupted) {
        /* Read only the sockets the poll found readable: a receive that finds
         * nothing costs two system calls (libzmq checks its command pipe). */
        if (zmq_poll(items, 2, a.heartbeat_ms / 2 + 1) < 0) {
            if (errno != EINTR) {
                cx_log_error("poll failed: %s", zmq_strerror(errno));
                break;
            }
            items[0].revents = items[1].revents = ZMQ_POLLIN; /* look at both */
        }
        if (cx_agent_coordinator_lost(&a)) {
            cx_log_error("the coordinator is gone (silent for %d ms); stopping",
                         2 * a.heartbeat_ms);
            break;
        }
        int type;
        while (!stop && (items[0].revents & ZMQ_POLLIN) &&
               (type = cx_agent_recv_coord(&a)) != 0) {
            if (type == CX_MSG_STOP) {
                stop = 1;
                rc = 0;
            } else if (type == CX_MSG_TICK) {
                cx_msg_t *m = a.msg;
                if (have_tick || m->tick != tick || m->n_words != CX_TICKCTX_WORDS ||
                    cx_tickctx_unpack(&ctx, m->words, sc) != 0 || ctx.tick != m->tick) {
                    a.dropped++;
                    continue;
                }
                have_tick = 1;
                break; /* the rest waits for the next poll */
            } else if (type == CX_MSG_CHECKPOINT && !have_tick && got == 0 &&
                       a.msg->tick == tick - 1) {
                if (cx_agent_snapshot(&a, tick - 1, s_snapshot, dept) != 0) {
                    stop = 1;
                }
            } else if (type > 0 && type != CX_MSG_HEARTBEAT) {
                a.dropped++;
            }
        }
        cx_frame_t f;
        int r;
        /* At most S_DRAIN frames a wake-up: peers flooding the data socket
         * (forged batches, junk) delay the heartbeat below, never starve it. */
        int budget = S_DRAIN;
        while (!stop && (items[1].revents & ZMQ_POLLIN) && !(have_tick && got == nslots) &&
               budget-- > 0 && (r = cx_net_recv(data, true, &f, ZMQ_DONTWAIT)) >= 0) {
            if (r == 1) {
                a.dropped++;
                continue;
            }
            int t = cx_msg_decode(dm, cx_frame_data(&f), cx_frame_size(&f));
            s_slot_t *sl = NULL;
            if (t == CX_MSG_REQUESTS && dm->tick == tick && dm->persona < sc->n_persona &&
                dm->shard < a.shards[dm->persona]) {
                sl = &slots[slot_base[dm->persona] + dm->shard];
            }
            /* Only the shard the roster admitted may fill its slot: a batch
             * from another routing id (a stranger, a stale agent of another
             * run) is dropped, and can no longer take the real one's place. */
            if (sl && (f.rid_len != CX_SLOT_RID_LEN || memcmp(f.rid, sl->want, f.rid_len) != 0)) {
                if (forged++ < 3) {
                    cx_log_warn("dropped a REQUESTS batch in the name of persona %s shard %d from "
                                "a peer that is not that shard%s",
                                sc->persona[sl->persona].id, sl->shard,
                                forged == 3 ? " (further ones are counted, not logged)" : "");
                }
                sl = NULL;
            }
            if (!sl || sl->got) {
                a.dropped++;
                cx_frame_close(&f);
                continue;
            }
            size_t n = (size_t)dm->count;
            if (s_grow((void **)&req, &req_cap, n_req + n, sizeof *req) != 0) {
                cx_frame_close(&f);
                cx_log_error("out of memory");
                stop = 1;
                break;
            }
            if (n) {
                memcpy(req + n_req, dm->records, n * sizeof *req);
            }
            n_req += n;
            memcpy(sl->rid, f.rid, f.rid_len);
            sl->rid_len = f.rid_len;
            sl->got = 1;
            got++;
            cx_frame_close(&f);
        }
        if (!stop && have_tick && got == nslots) {
            const cx_outcome_t *out;
            size_t n_out, rejected = 0;
            cx_dept_stats_t stats;
            if (cx_dept_serve(dept, &ctx, req, n_req, &out, &n_out, &stats, &rejected) != 0) {
                cx_log_error("cannot serve tick %lld (out of memory)", (long long)tick);
                break;
            }
            a.dropped += (int64_t)rejected;
            /* Group the outcomes by shard, keeping service order. Each
             * outcome's slot is computed once (a 64-bit modulo is the
             * costliest step here) and kept for the second pass. */
            if (s_grow((void **)&split, &split_cap, n_out, sizeof *split) != 0 ||
                s_grow((void **)&oslot, &oslot_cap, n_out, sizeof *oslot) != 0) {
                cx_log_error("out of memory");
                break;
            }
            memset(first, 0, ((size_t)nslots + 1) * sizeof *first);
            for (size_t i = 0; i < n_out; i++) {
                int p = CX_CID_PERSONA(out[i].cid);
                uint64_t local = (uint64_t)CX_CID_LOCAL(out[i].cid);
                uint32_t of = (uint32_t)a.shards[p];
                oslot[i] = (uint32_t)slot_base[p] +
                           (of == 1 ? 0u : (uint32_t)(local % of)); /* served: valid ids */
                first[oslot[i] + 1]++;
            }
            for (int i = 0; i < nslots; i++) {
                first[i + 1] += first[i];
            }
            for (size_t i = 0; i < n_out; i++) {
                split[first[oslot[i]]++] = out[i];
            }
            size_t start = 0;
            for (int i = 0; i < nslots && !stop; i++) {
                size_t end = first[i];
                if (cx_enc_outcomes(&denc, tick, d, split + start, (int64_t)(end - start),
                                    sizeof *split) != 0 ||
                    cx_net_send(data, slots[i].rid, slots[i].rid_len, &denc) != 0) {
                    cx_log_error("cannot send outcomes: %s", zmq_strerror(errno));
                    stop = 1;
                }
                start = end;
                slots[i].got = 0;
            }
            double words[CX_DEPT_STATS_WORDS];
            cx_dept_stats_pack(&stats, words);
            if (stop || cx_enc_dept_done(&a.enc, tick, d, words, CX_DEPT_STATS_WORDS,
                                         a.dropped) != 0 ||
                cx_agent_send(&a) != 0) {
                break;
            }
            n_req = 0;
            got = 0;
            have_tick = 0;
            tick++;
        }
        cx_agent_tick_heartbeat(&a, tick);
    }
    if (rc == 0) {
        cx_agent_bye(&a);
    }
done:
    if (data) {
        zmq_close(data);
    }
    cx_dept_destroy(&dept);
    free(slots);
    free(first);
    free(req);
    free(split);
    free(oslot);
    if (dm) {
        cx_msg_fini(dm);
        free(dm);
    }
    cx_enc_fini(&denc);
    cx_agent_fini(&a);
    return rc;
}
