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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_agent.h"
#include "cx_company.h"
#include "cx_log.h"
#include "cx_opts.h"
#include "cx_proc.h"
#include "cx_records.h"
#include "cx_shard.h"
#include "cx_steady.h"
#include "cx_version.h"

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
    if (cx_agent_init(&a) != 0) {
        cx_log_error("out of memory");
        return 1;
    }
    int rc = 1;
    cx_shard_t *sh = NULL;
    void *data = NULL;            /* ROUTER connected to every department */
    char rid[CX_MAX_DEPTS][8];    /* routing id of each department's connection */
    size_t rid_len[CX_MAX_DEPTS]; /* bytes in rid[d] */
    cx_outcome_t *obuf = NULL;
    size_t obuf_cap = 0;
    int64_t tally_words[CX_TALLY_WORDS];
    cx_tally_t *tally = malloc(sizeof *tally);

    if (key && cx_agent_use_key(&a, key) != 0) {
        goto done;
    }
    if (!tally || cx_agent_join(&a, connect, "persona", persona_id, (int)shard, (int)of, "",
                                (int)timeout_ms) != 0) {
        goto done;
    }
    const cx_scenario_t *sc = a.sc;
    int persona = cx_scenario_persona_index(sc, persona_id);
    if (persona < 0 || a.shards[persona] != of) {
        cx_log_error("persona %s shard %lld/%lld is not in this run", persona_id, shard, of);
        goto done;
    }
    /* Customers start from the run's steady state (WELCOME); a resumed run
     * restores them below. */
    sh = cx_shard_new(sc, a.steady, persona, (int)shard, (int)of);
    if (!sh) {
        cx_log_error("out of memory creating %lld customers",
                     (long long)sc->persona[persona].customers);
        goto done;
    }
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
    data = zmq_socket(a.ctx, ZMQ_ROUTER);
    int linger = 0, mandatory = 1;
    /* Its routing id, derived from the run's secret, is how departments
     * know a batch comes from this shard (cx_slot_rid). */
    char self[CX_SLOT_RID_LEN + 1];
    cx_slot_rid(a.run, persona, (int)shard, self);
    if (!data || zmq_setsockopt(data, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(data, ZMQ_ROUTING_ID, self, CX_SLOT_RID_LEN) != 0 ||
        zmq_setsockopt(data, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) != 0 ||
        cx_net_limit(data, CX_NET_MAX_DATA) != 0 || cx_curve_client(&a.curve, data) != 0) {
        cx_log_error("cannot create the data socket: %s", zmq_strerror(errno));
        goto done;
    }
    for (int d = 0; d < sc->n_dept; d++) {
        rid_len[d] = (size_t)snprintf(rid[d], sizeof rid[d], "d%d", d);
        if (zmq_setsockopt(data, ZMQ_CONNECT_ROUTING_ID, rid[d], rid_len[d]) != 0 ||
            zmq_connect(data, a.endpoints[d]) != 0) {
            cx_log_error("cannot connect to department %s at %s: %s", sc->dept[d].id,
                         a.endpoints[d], zmq_strerror(errno));
            goto done;
        }
    }
    if (a.start_tick > 0 &&
        cx_agent_restore(&a, s_restore, sh, (int)timeout_ms) != 0) {
        goto done;
    }
    if (cx_enc_ready(&a.enc) != 0 || cx_agent_send(&a) != 0) {
        goto done;
    }
    /* Setting up (the steady state) kept the agent from listening: the
     * coordinator's silence counts from now. */
    a.last_heard = cx_now_ms();

    cx_tickctx_t ctx;
    int64_t tick = a.start_tick - 1; /* tick in progress, or the last one done */
    int waiting = 0;        /* departments whose outcomes are pending */
    uint8_t answered[CX_MAX_DEPTS];
    cx_enc_t denc;          /* encoder for the data plane */
    cx_enc_init(&denc);
    zmq_pollitem_t items[2] = {{a.coord, 0, ZMQ_POLLIN, 0}, {data, 0, ZMQ_POLLIN, 0}};
    cx_msg_t *dm = malloc(sizeof *dm);
    if (!dm) {
        cx_enc_fini(&denc);
        goto done;
    }
    cx_msg_init(dm);
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
                if (waiting || m->tick != tick + 1 || m->n_words != CX_TICKCTX_WORDS ||
                    cx_tickctx_unpack(&ctx, m->words, sc) != 0 || ctx.tick != m->tick) {
                    a.dropped++;
                    continue;
                }
                tick = m->tick;
                if (cx_shard_begin_tick(sh, &ctx) != 0) {
                    cx_log_error("out of memory at tick %lld", (long long)tick);
                    stop = 1;
                    break;
                }
                for (int d = 0; d < sc->n_dept; d++) {
                    size_t n;
                    const cx_request_t *r = cx_shard_requests(sh, d, &n);
                    if (cx_enc_requests(&denc, tick, persona, (int)shard, r, (int64_t)n,
                                        sizeof *r) != 0 ||
                        cx_net_send(data, rid[d], rid_len[d], &denc) != 0) {
                        cx_log_error("cannot send requests to %s", sc->dept[d].id);
                        stop = 1;
                        break;
                    }
                    answered[d] = 0;
                }
                waiting = sc->n_dept;
                /* The outcomes come next; anything else from the coordinator
                 * waits for the next poll. */
                break;
            } else if (type == CX_MSG_CHECKPOINT && !waiting && a.msg->tick == tick) {
                if (cx_agent_snapshot(&a, tick, s_snapshot, sh) != 0) {
                    stop = 1;
                }
            } else if (type > 0 && type != CX_MSG_HEARTBEAT) {
                a.dropped++;
            }
        }
        /* Outcomes: read until none is waiting, or until the tick's last
         * one is in (anything after it stays for the next poll). */
        cx_frame_t f;
        int r;
        while (!stop && (items[1].revents & ZMQ_POLLIN) &&
               (r = cx_net_recv(data, true, &f, ZMQ_DONTWAIT)) >= 0) {
            if (r == 1) {
                a.dropped++;
                continue;
            }
            int d = s_dept_of(f.rid, f.rid_len, sc->n_dept);
            int t = cx_msg_decode(dm, cx_frame_data(&f), cx_frame_size(&f));
            if (t != CX_MSG_OUTCOMES || d < 0 || dm->tick != tick || dm->dept != d ||
                !waiting || answered[d]) {
                a.dropped++;
                cx_frame_close(&f);
                continue;
            }
            size_t n = (size_t)dm->count;
            if (n > obuf_cap) {
                cx_outcome_t *p = realloc(obuf, n * sizeof *p);
                if (!p) {
                    cx_frame_close(&f);
                    cx_log_error("out of memory");
                    stop = 1;
                    break;
                }
                obuf = p;
                obuf_cap = n;
            }
            if (n) {
                memcpy(obuf, dm->records, n * sizeof *obuf); /* aligned for the model */
            }
            cx_frame_close(&f);
            size_t skipped = cx_shard_apply_outcomes(sh, &ctx, obuf, n);
            a.dropped += (int64_t)skipped;
            answered[d] = 1;
            if (--waiting == 0) {
                cx_shard_end_tick(sh, &ctx, tally);
                int nw = cx_tally_pack(tally, tally_words);
                if (cx_enc_tick_done(&a.enc, tick, persona, (int)shard, tally_words, nw,
                                     a.dropped) != 0 ||
                    cx_agent_send(&a) != 0) {
                    stop = 1;
                }
                break;
            }
        }
        cx_agent_tick_heartbeat(&a, tick);
    }
    if (rc == 0) {
        cx_agent_bye(&a);
    } else if (cx_agent_interrupted) {
        cx_log_debug("interrupted");
    }
    cx_msg_fini(dm);
    free(dm);
    cx_enc_fini(&denc);
done:
    if (data) {
        zmq_close(data);
    }
    cx_shard_destroy(&sh);
    free(obuf);
    free(tally);
    cx_agent_fini(&a);
    return rc;
}
