/*  cx_garbage — a hostile peer for a running cxsim run (tests/reliability.cmake).
 *
 *      cx_garbage --coord EP --pub EP [--dept EP]... [--control EP] --ticks N
 *                 [--persona ID --of N] [--department ID]
 *                 [--burst-ms MS] [--flood] [--seed N] [--timeout-ms MS]
 *                 [--ready FILE]
 *
 *  It connects to the coordinator's ROUTER (as a DEALER), to each
 *  department's data ROUTER (as a DEALER) and to the rows (SUB) as soon as it
 *  starts, and sends a burst every --burst-ms until the run's last row (tick
 *  N-1) is published or it gets SIGTERM/SIGINT. Until the first row, while the
 *  agents may still be joining, a burst holds only frames that can never
 *  take a slot (junk, impossible ticks); from the first row on it holds
 *  everything a broken or hostile peer could send:
 *
 *    to the coordinator   random bytes, empty frames, every strict prefix of
 *                         valid frames, wrong versions, unknown types,
 *                         multi-part junk, hostile size claims (array32,
 *                         map32, str32, bin32, ext32), a 1 MB junk frame,
 *                         HELLO for a persona shard and a department that are
 *                         already taken and for ids not in the run, and
 *                         well-formed TICK_DONE / DEPT_DONE / READY / BYE /
 *                         ERROR / HEARTBEAT / COMMAND from a peer outside the
 *                         roster (an ERROR from a stranger must not stop the
 *                         run);
 *    to each department   random bytes, empty frames, truncated REQUESTS,
 *                         REQUESTS for a future tick, a stale tick (one whose
 *                         row is already published), an unknown persona and an
 *                         unknown shard, with a count that does not match the
 *                         records, with a huge count, multi-part junk, and
 *                         messages of other types;
 *    to the control       random bytes, multi-part junk, messages of other
 *    socket               types, unknown verbs, and events that must be
 *                         refused: for a past tick, unknown departments,
 *                         out-of-range values, YAML aliases and deep nesting,
 *                         values too long, a frame over the size limit, bad
 *                         paces. It never sends a change that could be taken.
 *
 *  Nothing it sends can be valid for the run: every tick it uses is either
 *  already published (stale) or beyond any run, so a correct engine drops and
 *  counts every frame and produces the very same result files.
 *
 *  --ready FILE creates FILE once the first burst has gone out, so that a
 *  test can hold the run (`--paused`) until the attack is under way instead
 *  of racing it on a loaded machine.
 *
 *  --flood sends random junk without pausing (a liveness check: the run must
 *  still complete, heartbeats included).
 *
 *  Exit status: 0 when at least one whole burst went out between the run's
 *  first and last rows and the coordinator refused the taken HELLOs with
 *  STOP (with --flood: when junk went out before the last row); 1 otherwise
 *  (the attack did not happen during the run, or was not refused), 2 on a
 *  bad command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cx_proto.h"

#define S_MAX_DEPTS 16
#define S_RECORD_REQ 16
#define S_RECORD_OUT 24
#define S_FUTURE_TICK 2000000000LL /* beyond any run (CX_MAX_TICKS is 1e6) */

typedef struct {
    void *ctx;                 /* ZeroMQ context */
    void *coord;               /* DEALER to the coordinator */
    void *sub;                 /* SUB to the rows */
    void *dept[S_MAX_DEPTS];   /* DEALER to each department's data socket */
    void *ctl;                 /* DEALER to the control socket, or NULL */
    long long ctl_refused;     /* refusals from the control socket */
    long long ctl_ok;          /* commands it carried out (status only) */
    int n_dept;                /* entries */
    const char *persona;       /* a persona of the run (its shard 0 is taken) */
    int of;                    /* its shard count */
    const char *department;    /* a department of the run (taken) */
    uint64_t rng;              /* xorshift state */
    cx_enc_t enc;              /* encoder */
    long long sent_coord;      /* frames sent to the coordinator */
    long long sent_dept;       /* frames sent to departments */
    long long refused;         /* STOP replies to our HELLOs */
    long long replies;         /* any other reply */
    long long would_block;     /* sends refused by a full queue */
    long long last_tick;       /* last row seen, -1 before */
    int ticks;                 /* ticks of the run */
} s_g_t;

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t s_rand(s_g_t *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

/* Sends one frame (more: another part follows); counts it. */
static void s_send(s_g_t *g, void *sock, const void *p, size_t n, int more)
{
    if (zmq_send(sock, p, n, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0) {
        g->would_block++;
        return;
    }
    if (!more) {
        if (sock == g->coord) {
            g->sent_coord++;
        } else {
            g->sent_dept++;
        }
    }
}

static void s_send_enc(s_g_t *g, void *sock)
{
    s_send(g, sock, cx_enc_data(&g->enc), cx_enc_size(&g->enc), 0);
}

/* Every strict prefix of the encoder's frame (at most 64 cut points). */
static void s_send_prefixes(s_g_t *g, void *sock)
{
    size_t n = cx_enc_size(&g->enc);
    char *copy = malloc(n);
    if (!copy) {
        return;
    }
    memcpy(copy, cx_enc_data(&g->enc), n);
    size_t step = n / 64 + 1;
    for (size_t k = 0; k < n; k += step) {
        s_send(g, sock, copy, k, 0);
    }
    s_send(g, sock, copy, n - 1, 0);
    free(copy);
}

static void s_send_random(s_g_t *g, void *sock, size_t max)
{
    unsigned char buf[1024];
    size_t n = 1 + s_rand(g) % (max < sizeof buf ? max : sizeof buf);
    for (size_t i = 0; i < n; i++) {
        buf[i] = (unsigned char)s_rand(g);
    }
    /* Half of them look like the start of a message. */
    if (s_rand(g) & 1) {
        buf[0] = (unsigned char)(0x90 | (s_rand(g) % 9));
        if (n > 1) {
            buf[1] = 1;
        }
        if (n > 2) {
            buf[2] = (unsigned char)(s_rand(g) % 20);
        }
    }
    s_send(g, sock, buf, n, 0);
}

static void s_send_multipart(s_g_t *g, void *sock)
{
    int parts = 2 + (int)(s_rand(g) % 3);
    cx_enc_heartbeat(&g->enc, -1);
    for (int i = 0; i < parts; i++) {
        if (i == 0) {
            s_send(g, sock, "", 0, 1);
        } else {
            s_send(g, sock, cx_enc_data(&g->enc), cx_enc_size(&g->enc), i + 1 < parts);
        }
    }
}

/* Frames whose headers claim far more than they hold. */
static void s_send_hostile_sizes(s_g_t *g, void *sock)
{
    static const unsigned char claims[][12] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05},             /* array32 of 4G */
        {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05},             /* map32 of 4G */
        {0x97, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0xc6, 0xff, 0xff, 0xff, 0xff}, /* bin32 */
        {0x93, 0x01, 0x0a, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41},  /* STOP, str32 of 2G */
        {0x93, 0x01, 0x0a, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01},  /* ext32 of 4G */
        {0x94, 0x01, 0x04, 0x00, 0xdc, 0xff, 0xff, 0x00},        /* TICK, array16 of 64K */
    };
    static const size_t lens[] = {7, 7, 12, 9, 9, 8};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        s_send(g, sock, claims[i], lens[i], 0);
    }
    /* Nesting far deeper than the decoder allows. */
    unsigned char deep[64];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0x01;
    s_send(g, sock, deep, sizeof deep, 0);
}

/* Junk that cannot be valid at any time: random bytes, empty frames,
 * multi-part messages, hostile size claims. */
static void s_burst_junk(s_g_t *g, void *s)
{
    for (int i = 0; i < 16; i++) {
        s_send_random(g, s, 600);
    }
    s_send(g, s, "", 0, 0);
    s_send_multipart(g, s);
    s_send_hostile_sizes(g, s);
}

static void s_burst_coord(s_g_t *g)
{
    void *s = g->coord;
    int64_t stale = g->last_tick;
    s_burst_junk(g, s);
    if (stale < 0) {
        return; /* agents may still be joining: nothing that could take a slot */
    }
    /* Wrong versions and unknown types. */
    static const unsigned char wrong[][8] = {
        {0x93, 0x02, 0x09, 0x00},       /* version 2 HEARTBEAT */
        {0x93, 0x00, 0x09, 0x00},       /* version 0 */
        {0x93, 0xa1, 0x31, 0x09, 0x00}, /* version as a string */
        {0x93, 0xff, 0x09, 0x00},       /* version -1 */
        {0x93, 0x01, 0x63, 0x00},       /* type 99 */
        {0x92, 0x01, 0x00},             /* type 0 */
        {0x92, 0x01, 0xff},             /* type -1 */
        {0x91, 0x01},                   /* no type */
    };
    static const size_t wlens[] = {4, 4, 5, 4, 4, 3, 3, 2};
    for (size_t i = 0; i < sizeof wlens / sizeof wlens[0]; i++) {
        s_send(g, s, wrong[i], wlens[i], 0);
    }

    /* HELLOs: a taken persona shard, a taken department, strangers. */
    char ep[64];
    snprintf(ep, sizeof ep, "ipc:///nonexistent/%llu", (unsigned long long)(s_rand(g) % 1000));
    if (g->persona && cx_enc_hello(&g->enc, "persona", g->persona, 0, g->of, "", 4242) == 0) {
        s_send_enc(g, s);
    }
    if (g->department &&
        cx_enc_hello(&g->enc, "department", g->department, 0, 1, ep, 4243) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_hello(&g->enc, "persona", "no_such_persona", 0, 1, "", 4244) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_hello(&g->enc, "landlord", "it", 0, 1, ep, 4245) == 0) {
        s_send_enc(g, s);
    }

    /* Well-formed messages from a peer outside the roster. */
    int64_t tally[40];
    double stats[11];
    for (int i = 0; i < 40; i++) {
        tally[i] = (int64_t)(s_rand(g) % 1000);
    }
    for (int i = 0; i < 11; i++) {
        stats[i] = (double)(s_rand(g) % 1000);
    }
    if (cx_enc_tick_done(&g->enc, stale + 1, 0, 0, tally, 40, 0) == 0) {
        s_send_enc(g, s);
        s_send_prefixes(g, s);
    }
    if (cx_enc_tick_done(&g->enc, stale, 1, 0, tally, 40, 7) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_dept_done(&g->enc, stale + 1, 0, stats, 11, 0) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_dept_done(&g->enc, S_FUTURE_TICK, 3, stats, 11, 0) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_ready(&g->enc) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_heartbeat(&g->enc, stale) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_bye(&g->enc, 123456) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_error(&g->enc, "cx_garbage: a stranger's ERROR must not stop the run") == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_command(&g->enc, "set", "departments.it.maturity", "5") == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_stop(&g->enc, "cx_garbage") == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_hello(&g->enc, "persona", g->persona ? g->persona : "x", 0, 1, "", 1) == 0) {
        s_send_prefixes(g, s);
    }
}

static void s_burst_dept(s_g_t *g, void *s)
{
    int64_t stale = g->last_tick;
    unsigned char rec[4 * S_RECORD_REQ];
    for (size_t i = 0; i < sizeof rec; i++) {
        rec[i] = (unsigned char)s_rand(g);
    }
    s_burst_junk(g, s);
    if (cx_enc_requests(&g->enc, S_FUTURE_TICK, 0, 0, rec, 4, S_RECORD_REQ) == 0) {
        s_send_enc(g, s);
        s_send_prefixes(g, s);
    }
    if (stale < 0) {
        return; /* no tick is known to be over yet */
    }
    /* REQUESTS: stale tick, future tick, unknown persona, unknown shard. */
    if (cx_enc_requests(&g->enc, stale, 0, 0, rec, 4, S_RECORD_REQ) == 0) {
        s_send_enc(g, s);
        s_send_prefixes(g, s);
    }
    if (stale > 0 && cx_enc_requests(&g->enc, 0, 1, 0, rec, 0, S_RECORD_REQ) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_requests(&g->enc, stale, 200, 0, rec, 1, S_RECORD_REQ) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_requests(&g->enc, stale, 0, 255, rec, 2, S_RECORD_REQ) == 0) {
        s_send_enc(g, s);
    }
    /* A count that does not match the records, and a huge one. */
    if (cx_enc_requests(&g->enc, stale, 0, 0, rec, 4, S_RECORD_REQ) == 0) {
        size_t n = cx_enc_size(&g->enc);
        unsigned char *p = malloc(n);
        if (p) {
            memcpy(p, cx_enc_data(&g->enc), n);
            /* [.., count 0x04, bin8 0xc4 0x40, records]: claim 3 and 5 records. */
            for (size_t i = 0; i + 2 < n; i++) {
                if (p[i] == 0x04 && p[i + 1] == 0xc4 && p[i + 2] == 4 * S_RECORD_REQ) {
                    p[i] = 0x03;
                    s_send(g, s, p, n, 0);
                    p[i] = 0x05;
                    s_send(g, s, p, n, 0);
                    break;
                }
            }
            free(p);
        }
    }
    {
        unsigned char huge[] = {0x97, 0x01, 0x05, 0x00, 0x00, 0x00, 0xce, 0x7f, 0xff,
                                0xff, 0xff, 0xc4, 0x10, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0, 0, 0, 0, 0};
        s_send(g, s, huge, sizeof huge, 0);
    }
    /* Other types on the data socket. */
    unsigned char orec[S_RECORD_OUT];
    memset(orec, 0xee, sizeof orec);
    if (cx_enc_outcomes(&g->enc, stale, 0, orec, 1, S_RECORD_OUT) == 0) {
        s_send_enc(g, s);
    }
    double words[104] = {0};
    if (cx_enc_tick(&g->enc, stale + 1, words, 104) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_stop(&g->enc, "cx_garbage") == 0) {
        s_send_enc(g, s);
    }
}

/* Commands that must all be refused (or, for status, answered): nothing
 * here may change the run. */
static void s_burst_ctl(s_g_t *g)
{
    void *s = g->ctl;
    s_burst_junk(g, s);
    if (g->last_tick < 0) {
        return; /* before the first row "the past" is not yet known */
    }
    char past[128];
    snprintf(past, sizeof past, "{event: maturity, department: it, to: 5, at: %lld}",
             g->last_tick);
    static char deep[420], longv[5000];
    for (int i = 0; i < 200; i++) {
        deep[i] = '[';
        deep[200 + i] = ']';
    }
    memset(longv, 'x', sizeof longv - 1);
    const char *cmds[][2] = {
        {"frobnicate", ""},
        {"", ""},
        {"event", ""},
        {"event", "[1, 2]"},
        {"event", "&a [*a, *a]"},
        {"event", "!!binary aGVsbG8="},
        {"event", past},
        {"event", "{event: maturity, department: nope, to: 4}"},
        {"event", "{event: maturity, department: it, to: 9}"},
        {"event", "{event: outage, department: it, value: 2}"},
        {"event", "{event: volcano}"},
        {"event", "{event: price, value: 1.2, at: 99999999}"},
        {"event", "{event: cx_owner, owner: nobody}"},
        {"event", deep},
        {"event", longv},
        {"pace", "abc"},
        {"pace", "-1"},
        {"pace", "99999999"},
        {"status", ""},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (cx_enc_command(&g->enc, cmds[i][0], "", cmds[i][1]) == 0) {
            s_send_enc(g, s);
        }
    }
    double words[104] = {0};
    if (cx_enc_tick(&g->enc, g->last_tick + 1, words, 104) == 0) {
        s_send_enc(g, s);
    }
    if (cx_enc_reply(&g->enc, 1, "a reply where a command belongs") == 0) {
        s_send_enc(g, s);
    }
}

/* Reads rows and replies; returns 1 once the run's last row is seen. */
static int s_pump(s_g_t *g, int timeout_ms)
{
    zmq_pollitem_t it[2] = {{g->sub, 0, ZMQ_POLLIN, 0}, {g->coord, 0, ZMQ_POLLIN, 0}};
    zmq_poll(it, 2, timeout_ms);
    int done = 0;
    cx_msg_t *m = malloc(sizeof *m);
    if (!m) {
        return 0;
    }
    cx_msg_init(m);
    zmq_msg_t f;
    zmq_msg_init(&f);
    while (zmq_msg_recv(&f, g->sub, ZMQ_DONTWAIT) >= 0) {
        if (cx_msg_decode(m, zmq_msg_data(&f), zmq_msg_size(&f)) == CX_MSG_ROW) {
            if (m->tick > g->last_tick) {
                g->last_tick = m->tick;
            }
            if (m->tick >= g->ticks - 1) {
                done = 1;
            }
        }
    }
    while (zmq_msg_recv(&f, g->coord, ZMQ_DONTWAIT) >= 0) {
        if (cx_msg_decode(m, zmq_msg_data(&f), zmq_msg_size(&f)) == CX_MSG_STOP) {
            g->refused++;
        } else {
            g->replies++;
        }
    }
    while (g->ctl && zmq_msg_recv(&f, g->ctl, ZMQ_DONTWAIT) >= 0) {
        if (cx_msg_decode(m, zmq_msg_data(&f), zmq_msg_size(&f)) == CX_MSG_REPLY) {
            if (m->ok) {
                g->ctl_ok++;
            } else {
                g->ctl_refused++;
            }
        }
    }
    zmq_msg_close(&f);
    cx_msg_fini(m);
    free(m);
    return done;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cx_garbage --coord EP --pub EP [--dept EP]... [--control EP] --ticks N\n"
                "                  [--persona ID --of N] [--department ID]\n"
                "                  [--burst-ms MS] [--flood] [--seed N] [--timeout-ms MS]\n"
                "                  [--ready FILE]\n");
}

int main(int argc, char **argv)
{
    static s_g_t g;
    const char *coord = NULL, *pub = NULL, *depts[S_MAX_DEPTS], *control = NULL, *ready = NULL;
    int burst_ms = 10, flood = 0;
    long long timeout_ms = 60000;
    g.rng = 0x9e3779b97f4a7c15ULL;
    g.of = 1;
    g.last_tick = -1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--coord") == 0 && v) {
            coord = argv[++i];
        } else if (strcmp(argv[i], "--pub") == 0 && v) {
            pub = argv[++i];
        } else if (strcmp(argv[i], "--dept") == 0 && v && g.n_dept < S_MAX_DEPTS) {
            depts[g.n_dept++] = argv[++i];
        } else if (strcmp(argv[i], "--control") == 0 && v) {
            control = argv[++i];
        } else if (strcmp(argv[i], "--ticks") == 0 && v) {
            g.ticks = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--persona") == 0 && v) {
            g.persona = argv[++i];
        } else if (strcmp(argv[i], "--of") == 0 && v) {
            g.of = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--department") == 0 && v) {
            g.department = argv[++i];
        } else if (strcmp(argv[i], "--burst-ms") == 0 && v) {
            burst_ms = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--flood") == 0) {
            flood = 1;
        } else if (strcmp(argv[i], "--seed") == 0 && v) {
            g.rng = strtoull(argv[++i], NULL, 10) * 2654435761ULL + 1;
        } else if (strcmp(argv[i], "--ready") == 0 && v) {
            ready = argv[++i];
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && v) {
            timeout_ms = atoll(argv[++i]);
        } else {
            s_usage(stderr);
            return 2;
        }
    }
    if (!coord || !pub || g.ticks < 1 || g.of < 1 || burst_ms < 0) {
        s_usage(stderr);
        return 2;
    }
    g.ctx = zmq_ctx_new();
    g.coord = zmq_socket(g.ctx, ZMQ_DEALER);
    g.sub = zmq_socket(g.ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(g.coord, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(g.sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(g.sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(g.sub, pub) != 0 || zmq_connect(g.coord, coord) != 0) {
        fprintf(stderr, "cx_garbage: cannot connect: %s\n", zmq_strerror(errno));
        return 1;
    }
    for (int d = 0; d < g.n_dept; d++) {
        g.dept[d] = zmq_socket(g.ctx, ZMQ_DEALER);
        zmq_setsockopt(g.dept[d], ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(g.dept[d], depts[d]) != 0) {
            fprintf(stderr, "cx_garbage: cannot connect to %s: %s\n", depts[d],
                    zmq_strerror(errno));
            return 1;
        }
    }
    if (control) {
        g.ctl = zmq_socket(g.ctx, ZMQ_DEALER);
        zmq_setsockopt(g.ctl, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(g.ctl, control) != 0) {
            fprintf(stderr, "cx_garbage: cannot connect to %s: %s\n", control,
                    zmq_strerror(errno));
            return 1;
        }
    }
    cx_enc_init(&g.enc);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    long long deadline = s_now_ms() + timeout_ms;
    long long early = 0;  /* bursts before the first row (junk only) */
    long long bursts = 0; /* whole bursts between the first and the last row */
    long long first_tick = -1;
    char *big = NULL;
    int done = 0;
    while (!done && !s_stop && s_now_ms() < deadline) {
        int running = g.last_tick >= 0;
        if (flood) {
            for (int i = 0; i < 200; i++) {
                s_send_random(&g, g.coord, 64);
                for (int d = 0; d < g.n_dept; d++) {
                    s_send_random(&g, g.dept[d], 64);
                }
                if (g.ctl) {
                    s_send_random(&g, g.ctl, 64);
                }
            }
        } else {
            s_burst_coord(&g);
            for (int d = 0; d < g.n_dept; d++) {
                s_burst_dept(&g, g.dept[d]);
            }
            if (g.ctl) {
                s_burst_ctl(&g);
            }
            if (running && g.ctl && bursts % 8 == 0 && (big || (big = malloc(1 << 20)))) {
                memset(big, 0x93, 1 << 20); /* over the control socket's size limit */
                s_send(&g, g.ctl, big, 1 << 20, 0);
            }
            if (running && bursts % 8 == 0 && (big || (big = malloc(1 << 20)))) {
                memset(big, 0x93, 1 << 20); /* 1 MB of fixarray headers */
                s_send(&g, g.coord, big, 1 << 20, 0);
                if (g.n_dept) {
                    s_send(&g, g.dept[bursts % g.n_dept], big, 1 << 20, 0);
                }
            }
        }
        /* A burst counts when the run was still going after it went out. */
        done = s_pump(&g, flood ? 0 : burst_ms);
        if (ready) {
            FILE *rf = fopen(ready, "w");
            if (rf) {
                fclose(rf);
            }
            ready = NULL;
        }
        if (!done) {
            if (running) {
                bursts++;
            } else {
                early++;
                if (g.last_tick >= 0) {
                    first_tick = g.last_tick;
                }
            }
        }
    }
    /* Collect the last refusals. */
    long long until = s_now_ms() + 200;
    while (s_now_ms() < until) {
        s_pump(&g, 20);
    }
    printf("cx_garbage: %lld bursts before the first row, %lld during ticks %lld..%lld; %lld "
           "frames to the coordinator, %lld to departments, %lld would have blocked; %lld "
           "HELLOs refused with STOP, %lld other replies; control: %lld refused, %lld "
           "answered\n",
           early, bursts, first_tick, g.last_tick, g.sent_coord, g.sent_dept, g.would_block,
           g.refused, g.replies, g.ctl_refused, g.ctl_ok);
    free(big);
    cx_enc_fini(&g.enc);
    zmq_close(g.coord);
    zmq_close(g.sub);
    for (int d = 0; d < g.n_dept; d++) {
        zmq_close(g.dept[d]);
    }
    if (g.ctl) {
        zmq_close(g.ctl);
    }
    zmq_ctx_term(g.ctx);
    if (bursts < 1 && !(flood && early > 0)) {
        fprintf(stderr, "cx_garbage: no whole burst went out while the run was ticking\n");
        return 1;
    }
    if (!flood && g.ctl && (g.ctl_refused < 1 || g.ctl_ok < 1)) {
        fprintf(stderr, "cx_garbage: the control socket refused %lld and answered %lld commands\n",
                g.ctl_refused, g.ctl_ok);
        return 1;
    }
    if (!flood && g.persona && g.refused < 1) {
        fprintf(stderr, "cx_garbage: the coordinator never refused a taken HELLO\n");
        return 1;
    }
    return 0;
}
