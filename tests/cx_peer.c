/*  cx_peer — a scripted peer of the coordinator, for integration tests
 *  (tests/integration/handshake.sh). Not part of cxsim.
 *
 *    cx_peer hello-version ENDPOINT VERSION
 *        sends a HELLO that claims protocol VERSION; prints the reason of the
 *        STOP that answers it. Exit 0 when a STOP came within 5 s, else 1.
 *    cx_peer roster ENDPOINT SCENARIO BAD SECONDS
 *        joins as every agent of SCENARIO's roster (departments first, then
 *        every persona shard), answers WELCOME with READY, and at tick 0
 *        sends from the first department a DEPT_DONE that is BAD: "words"
 *        (3 stats), "tick" (for tick 5), "dept" (another department's
 *        index). Keeps every agent beating for SECONDS, then exits 0.
 *    cx_peer forge ENDPOINT SCENARIO SECONDS
 *        connects to a department's data socket and sends, for SECONDS,
 *        well-formed empty REQUESTS batches in the name of every persona
 *        shard of SCENARIO, for every tick of the run, over and over.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_load.h"
#include "cx_proc.h"
#include "cx_proto.h"
#include "cx_tally.h"

#define S_MAX 64

static int s_hello_version(const char *ep, long version)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(s, ep);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 8);
    msgpack_pack_long(&pk, version);
    msgpack_pack_int(&pk, CX_MSG_HELLO);
    msgpack_pack_str_with_body(&pk, "department", 10);
    msgpack_pack_str_with_body(&pk, "it", 2);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "ipc:///nonexistent", 18);
    msgpack_pack_int(&pk, (int)getpid());
    zmq_send(s, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    int rc = 1;
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    static cx_msg_t m;
    cx_msg_init(&m);
    if (zmq_poll(&it, 1, 5000) == 1) {
        zmq_msg_t f;
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, s, 0) >= 0 &&
            cx_msg_decode(&m, zmq_msg_data(&f), zmq_msg_size(&f)) == CX_MSG_STOP) {
            printf("STOP: %.*s\n", (int)m.text.len, m.text.ptr);
            rc = 0;
        }
        zmq_msg_close(&f);
    }
    cx_msg_fini(&m);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

static int s_roster(const char *ep, const char *path, const char *bad, long seconds)
{
    static cx_scenario_t sc;
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(path, NULL, 0, &sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        return 2;
    }
    cx_diags_fini(&d);
    void *ctx = zmq_ctx_new();
    void *s[S_MAX];
    int n = 0;
    static cx_enc_t e;
    cx_enc_init(&e);
    for (int i = 0; i < sc.n_dept && n < S_MAX; i++, n++) {
        s[n] = zmq_socket(ctx, ZMQ_DEALER);
        zmq_connect(s[n], ep);
        char dep[64];
        snprintf(dep, sizeof dep, "ipc:///nonexistent/dept-%d", i);
        cx_enc_hello(&e, "department", sc.dept[i].id, 0, 1, dep, getpid());
        zmq_send(s[n], cx_enc_data(&e), cx_enc_size(&e), 0);
    }
    for (int p = 0; p < sc.n_persona; p++) {
        for (int k = 0; k < sc.persona[p].shards && n < S_MAX; k++, n++) {
            s[n] = zmq_socket(ctx, ZMQ_DEALER);
            zmq_connect(s[n], ep);
            cx_enc_hello(&e, "persona", sc.persona[p].id, k, sc.persona[p].shards, "", getpid());
            zmq_send(s[n], cx_enc_data(&e), cx_enc_size(&e), 0);
        }
    }
    static cx_msg_t m;
    cx_msg_init(&m);
    long long end = cx_now_ms() + seconds * 1000, beat = 0;
    while (cx_now_ms() < end) {
        zmq_pollitem_t it[S_MAX];
        for (int i = 0; i < n; i++) {
            it[i] = (zmq_pollitem_t){s[i], 0, ZMQ_POLLIN, 0};
        }
        zmq_poll(it, n, 100);
        for (int i = 0; i < n; i++) {
            zmq_msg_t f;
            zmq_msg_init(&f);
            while (zmq_msg_recv(&f, s[i], ZMQ_DONTWAIT) >= 0) {
                int t = cx_msg_decode(&m, zmq_msg_data(&f), zmq_msg_size(&f));
                if (t == CX_MSG_WELCOME) {
                    cx_enc_ready(&e);
                    zmq_send(s[i], cx_enc_data(&e), cx_enc_size(&e), 0);
                } else if (t == CX_MSG_TICK && m.tick == 0 && i == 0) {
                    double stats[CX_PROTO_MAX_WORDS] = {0};
                    int words = strcmp(bad, "words") == 0 ? 3 : CX_DEPT_STATS_WORDS;
                    int64_t tick = strcmp(bad, "tick") == 0 ? 5 : 0;
                    int dept = strcmp(bad, "dept") == 0 ? 1 : 0;
                    cx_enc_dept_done(&e, tick, dept, stats, words, 0);
                    zmq_send(s[i], cx_enc_data(&e), cx_enc_size(&e), 0);
                } else if (t == CX_MSG_STOP) {
                    end = 0;
                }
                zmq_msg_close(&f);
                zmq_msg_init(&f);
            }
            zmq_msg_close(&f);
        }
        if (cx_now_ms() - beat >= 200) {
            beat = cx_now_ms();
            cx_enc_heartbeat(&e, 0);
            for (int i = 0; i < n; i++) {
                zmq_send(s[i], cx_enc_data(&e), cx_enc_size(&e), ZMQ_DONTWAIT);
            }
        }
    }
    cx_msg_fini(&m);
    cx_enc_fini(&e);
    int zero = 0;
    for (int i = 0; i < n; i++) {
        zmq_setsockopt(s[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(s[i]);
    }
    zmq_ctx_term(ctx);
    return 0;
}

static int s_forge(const char *ep, const char *path, long seconds)
{
    static cx_scenario_t sc;
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(path, NULL, 0, &sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        return 2;
    }
    cx_diags_fini(&d);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(s, ep);
    static cx_enc_t e;
    cx_enc_init(&e);
    long long end = cx_now_ms() + seconds * 1000;
    while (cx_now_ms() < end) {
        for (int t = 0; t < sc.ticks; t++) {
            for (int p = 0; p < sc.n_persona; p++) {
                for (int k = 0; k < sc.persona[p].shards; k++) {
                    cx_enc_requests(&e, t, p, k, NULL, 0, 16);
                    zmq_send(s, cx_enc_data(&e), cx_enc_size(&e), ZMQ_DONTWAIT);
                }
            }
        }
        /* Drain what the department answers (OUTCOMES to a forger). */
        zmq_msg_t f;
        zmq_msg_init(&f);
        while (zmq_msg_recv(&f, s, ZMQ_DONTWAIT) >= 0) {
        }
        zmq_msg_close(&f);
        usleep(5000);
    }
    cx_enc_fini(&e);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "forge") == 0) {
        return s_forge(argv[2], argv[3], atol(argv[4]));
    }
    if (argc == 4 && strcmp(argv[1], "hello-version") == 0) {
        return s_hello_version(argv[2], atol(argv[3]));
    }
    if (argc == 6 && strcmp(argv[1], "roster") == 0) {
        return s_roster(argv[2], argv[3], argv[4], atol(argv[5]));
    }
    fprintf(stderr, "usage: cx_peer hello-version ENDPOINT VERSION | roster ENDPOINT SCENARIO "
                    "BAD SECONDS\n");
    return 2;
}
