/*  cx_ceilings — what this machine allows, measured the way cxsim works.
 *
 *      cx_ceilings [--agents K[,K...]] [--pattern PxD[,PxD...]] [--records N[,N...]]
 *                  [--ticks T] [--quick] [--json FILE]
 *
 *  Four measurements, each with cxsim's own codec (protocol/cx_proto.h) and
 *  message shapes, so that scripts/bench can report the engine's figures as
 *  fractions of them, measured on the same machine in the same run:
 *
 *    barrier  a coordinator ROUTER and K DEALER processes (fork): a TICK
 *             (the real 104-word company state) to each, a TICK_DONE back, the
 *             next tick once all K have answered. The floor of any engine
 *             that holds a barrier over K agent processes: 2 hops a tick.
 *    pattern  cxsim's own tick with no model: a coordinator, P shard and D
 *             department processes; TICK to all, an empty REQUESTS from every
 *             shard to every department, an empty OUTCOMES back, TICK_DONE and
 *             DEPT_DONE. The floor of cxsim's tick: 4 hops on its critical
 *             path (coordinator -> shard -> department -> shard -> coordinator).
 *    batch    one DEALER process streaming REQUESTS batches of N 16-byte
 *             records (cx_enc_requests) to a ROUTER process over ipc: messages
 *             and bytes per second, the receiver not decoding.
 *    codec    cx_enc_requests and cx_msg_decode of such batches in one
 *             process: records and bytes per second each way.
 *
 *  Every process here waits in a blocking receive on the one socket it
 *  expects a message from: no polling, no timeouts, no heartbeats, which is
 *  what makes these ceilings and not an engine. Children are forked before
 *  the parent creates its ZeroMQ context and die with it (PR_SET_PDEATHSIG).
 *  Endpoints are ipc:// in a private temporary directory, removed at exit.
 *
 *  Output: a table on stdout; with --json FILE, the same figures as one JSON
 *  object. Exit status 0, or 1 when a measurement could not run.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_company.h"
#include "cx_proto.h"
#include "cx_records.h"
#include "cx_shard.h"
#include "cx_tally.h"

#define S_MAX_LIST 16      /* values of one list option */
#define S_MAX_PROCS 256    /* agent processes of one measurement */
#define S_TALLY_WORDS 82   /* TICK_DONE words of a 7-touchpoint journey */
#define S_WARMUP 200       /* ticks run before timing */

static char s_dir[256];    /* private directory of the ipc endpoints */
static double s_budget = 5; /* seconds a tick measurement may take (--ticks caps it too) */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_die(const char *what)
{
    fprintf(stderr, "cx_ceilings: %s: %s\n", what, zmq_strerror(errno));
    _exit(1);
}

static void s_endpoint(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "ipc://%s/%s.sock", s_dir, name);
}

/* Sends the encoder's message, after a routing id when rid_len > 0. */
static void s_send(void *sock, const void *rid, size_t rid_len, const cx_enc_t *e)
{
    if (rid_len && zmq_send(sock, rid, rid_len, ZMQ_SNDMORE) < 0) {
        s_die("send");
    }
    if (zmq_send(sock, cx_enc_data(e), cx_enc_size(e), 0) < 0) {
        s_die("send");
    }
}

/* Blocking receive of one message; with a ROUTER, its routing id first
 * (copied into rid). Decodes into m unless m is NULL; returns the type. */
static int s_recv(void *sock, int router, unsigned char *rid, size_t *rid_len, zmq_msg_t *body,
                  cx_msg_t *m)
{
    if (router) {
        int n = zmq_recv(sock, rid, 255, 0);
        if (n < 0) {
            s_die("recv");
        }
        *rid_len = (size_t)n;
    }
    if (zmq_msg_recv(body, sock, 0) < 0) {
        s_die("recv");
    }
    return m ? cx_msg_decode(m, zmq_msg_data(body), zmq_msg_size(body)) : 0;
}

/* A DEALER connected to the named endpoint. */
static void *s_dealer(void *ctx, const char *name)
{
    char ep[512];
    s_endpoint(ep, sizeof ep, name);
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (!s || zmq_connect(s, ep) != 0) {
        s_die("connect");
    }
    return s;
}

static void *s_router(void *ctx, const char *name)
{
    char ep[512];
    s_endpoint(ep, sizeof ep, name);
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (!s || zmq_bind(s, ep) != 0) {
        s_die("bind");
    }
    return s;
}

static pid_t s_fork(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("cx_ceilings: fork");
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(1);
        }
    }
    return pid;
}

static void s_reap(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        int st;
        waitpid(pids[i], &st, 0);
    }
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- barrier and pattern ------------------------------------------------ */

/* An agent of the barrier, or a shard or department of the pattern. All
 * of them: wait for TICK (blocking), do their part, answer. */
typedef struct {
    int role;  /* 0 barrier agent, 1 shard, 2 department */
    int index; /* its index among its kind */
    int P, D;  /* shards and departments of the pattern */
} s_agent_t;

static void s_agent_main(const s_agent_t *ag)
{
    void *ctx = zmq_ctx_new();
    void *coord = s_dealer(ctx, "coord");
    void *data[CX_MAX_DEPTS] = {0};
    void *bound = NULL;
    char name[64];
    if (ag->role == 1) {
        for (int d = 0; d < ag->D; d++) {
            snprintf(name, sizeof name, "dept%d", d);
            data[d] = s_dealer(ctx, name);
        }
    } else if (ag->role == 2) {
        snprintf(name, sizeof name, "dept%d", ag->index);
        bound = s_router(ctx, name);
    }
    cx_msg_t *m = malloc(sizeof *m);
    int64_t *tally = calloc(S_TALLY_WORDS, sizeof *tally);
    unsigned char (*rids)[256] = calloc(S_MAX_PROCS, 256);
    size_t *rid_len = calloc(S_MAX_PROCS, sizeof *rid_len);
    if (!m || !tally || !rids || !rid_len) {
        _exit(1);
    }
    cx_msg_init(m);
    cx_enc_t e;
    cx_enc_init(&e);
    zmq_msg_t body;
    zmq_msg_init(&body);
    double stats[CX_DEPT_STATS_WORDS] = {0};
    cx_enc_ready(&e);
    s_send(coord, NULL, 0, &e);
    for (;;) {
        int type = s_recv(coord, 0, NULL, NULL, &body, m);
        if (type != CX_MSG_TICK) {
            break; /* STOP */
        }
        int64_t t = m->tick;
        if (ag->role == 0) {
            cx_enc_tick_done(&e, t, 0, ag->index, tally, S_TALLY_WORDS, 0);
            s_send(coord, NULL, 0, &e);
        } else if (ag->role == 1) {
            cx_enc_requests(&e, t, 0, ag->index, NULL, 0, 16);
            for (int d = 0; d < ag->D; d++) {
                s_send(data[d], NULL, 0, &e);
            }
            for (int d = 0; d < ag->D; d++) {
                if (s_recv(data[d], 0, NULL, NULL, &body, m) != CX_MSG_OUTCOMES) {
                    _exit(1);
                }
            }
            cx_enc_tick_done(&e, t, 0, ag->index, tally, S_TALLY_WORDS, 0);
            s_send(coord, NULL, 0, &e);
        } else {
            for (int s = 0; s < ag->P; s++) {
                unsigned char rid[256];
                size_t n;
                if (s_recv(bound, 1, rid, &n, &body, m) != CX_MSG_REQUESTS || m->shard < 0 ||
                    m->shard >= ag->P) {
                    _exit(1);
                }
                memcpy(rids[m->shard], rid, n);
                rid_len[m->shard] = n;
            }
            cx_enc_outcomes(&e, t, ag->index, NULL, 0, 24);
            for (int s = 0; s < ag->P; s++) {
                s_send(bound, rids[s], rid_len[s], &e);
            }
            cx_enc_dept_done(&e, t, ag->index, stats, CX_DEPT_STATS_WORDS, 0);
            s_send(coord, NULL, 0, &e);
        }
    }
    _exit(0);
}

typedef struct {
    int ticks;          /* ticks timed */
    double ticks_per_s; /* timed ticks / wall */
    double p50_us;      /* median tick */
    double p99_us;      /* 99th percentile tick */
} s_tick_result_t;

/* Runs `ticks` timed ticks over n agents (already forked) from the
 * coordinator's side. */
static int s_coordinate(int n, int ticks, s_tick_result_t *r)
{
    void *ctx = zmq_ctx_new();
    void *router = s_router(ctx, "coord");
    cx_msg_t *m = malloc(sizeof *m);
    unsigned char (*rids)[256] = calloc((size_t)n, 256);
    size_t *rid_len = calloc((size_t)n, sizeof *rid_len);
    double *lat = calloc((size_t)ticks, sizeof *lat);
    if (!m || !rids || !rid_len || !lat) {
        return -1;
    }
    cx_msg_init(m);
    cx_enc_t e;
    cx_enc_init(&e);
    zmq_msg_t body;
    zmq_msg_init(&body);
    for (int i = 0; i < n; i++) {
        if (s_recv(router, 1, rids[i], &rid_len[i], &body, m) != CX_MSG_READY) {
            return -1;
        }
    }
    double words[CX_TICKCTX_WORDS];
    for (int i = 0; i < CX_TICKCTX_WORDS; i++) {
        words[i] = 1.0 + i * 0.25;
    }
    double t0 = 0;
    int timed = 0; /* ticks timed: all of them, or those that fit in s_budget */
    for (int t = 0; t < S_WARMUP + ticks; t++) {
        if (t == S_WARMUP) {
            t0 = s_now();
        } else if (t > S_WARMUP && s_now() - t0 > s_budget) {
            break;
        }
        double ts = s_now();
        words[0] = t;
        cx_enc_tick(&e, t, words, CX_TICKCTX_WORDS);
        for (int i = 0; i < n; i++) {
            s_send(router, rids[i], rid_len[i], &e);
        }
        for (int i = 0; i < n; i++) {
            unsigned char rid[256];
            size_t rl;
            int type = s_recv(router, 1, rid, &rl, &body, m);
            if ((type != CX_MSG_TICK_DONE && type != CX_MSG_DEPT_DONE) || m->tick != t) {
                fprintf(stderr, "cx_ceilings: unexpected message %d at tick %d\n", type, t);
                return -1;
            }
        }
        if (t >= S_WARMUP) {
            lat[t - S_WARMUP] = (s_now() - ts) * 1e6;
            timed++;
        }
    }
    double wall = s_now() - t0;
    ticks = timed;
    cx_enc_stop(&e, "done");
    for (int i = 0; i < n; i++) {
        s_send(router, rids[i], rid_len[i], &e);
    }
    qsort(lat, (size_t)ticks, sizeof *lat, s_cmp_double);
    r->ticks = ticks;
    r->ticks_per_s = ticks / wall;
    r->p50_us = lat[ticks / 2];
    r->p99_us = lat[(size_t)((double)ticks * 0.99)];
    zmq_msg_close(&body);
    cx_enc_fini(&e);
    cx_msg_fini(m);
    free(m);
    free(rids);
    free(rid_len);
    free(lat);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return 0;
}

/* P == 0: a bare barrier over D agents. Otherwise cxsim's tick pattern. */
static int s_run_ticks(int P, int D, int ticks, s_tick_result_t *r)
{
    pid_t pids[S_MAX_PROCS];
    int n = 0;
    if (P == 0) {
        for (int i = 0; i < D; i++) {
            s_agent_t ag = {0, i, 0, 0};
            if ((pids[n++] = s_fork()) == 0) {
                s_agent_main(&ag);
            }
        }
    } else {
        for (int d = 0; d < D; d++) {
            s_agent_t ag = {2, d, P, D};
            if ((pids[n++] = s_fork()) == 0) {
                s_agent_main(&ag);
            }
        }
        for (int s = 0; s < P; s++) {
            s_agent_t ag = {1, s, P, D};
            if ((pids[n++] = s_fork()) == 0) {
                s_agent_main(&ag);
            }
        }
    }
    int rc = s_coordinate(n, ticks, r);
    if (rc != 0) {
        for (int i = 0; i < n; i++) {
            kill(pids[i], SIGKILL);
        }
    }
    s_reap(pids, n);
    return rc;
}

/* ---- batch -------------------------------------------------------------- */

typedef struct {
    long records;       /* records per message */
    long messages;      /* messages timed */
    double msgs_per_s;  /* messages per second */
    double bytes_per_s; /* frame bytes per second */
    size_t frame;       /* bytes per frame */
} s_batch_result_t;

static int s_batch(long records, long messages, s_batch_result_t *r)
{
    cx_request_t *recs = calloc((size_t)(records ? records : 1), sizeof *recs);
    if (!recs) {
        return -1;
    }
    for (long i = 0; i < records; i++) {
        recs[i] = (cx_request_t){(uint64_t)i * 7, (uint32_t)i, 0, (uint8_t)(i % 7), 0, 0xFF};
    }
    cx_enc_t e;
    cx_enc_init(&e);
    if (cx_enc_requests(&e, 1, 0, 0, recs, records, sizeof *recs) != 0) {
        return -1;
    }
    pid_t pid = s_fork();
    if (pid == 0) {
        void *ctx = zmq_ctx_new();
        void *s = s_dealer(ctx, "batch");
        zmq_msg_t go;
        zmq_msg_init(&go);
        cx_enc_t h;
        cx_enc_init(&h);
        cx_enc_ready(&h);
        s_send(s, NULL, 0, &h);
        if (zmq_msg_recv(&go, s, 0) < 0) {
            _exit(1);
        }
        for (long i = 0; i < messages; i++) {
            s_send(s, NULL, 0, &e);
        }
        zmq_msg_recv(&go, s, 0); /* the receiver's end */
        _exit(0);
    }
    void *ctx = zmq_ctx_new();
    void *s = s_router(ctx, "batch");
    unsigned char rid[256];
    size_t rl;
    zmq_msg_t body;
    zmq_msg_init(&body);
    s_recv(s, 1, rid, &rl, &body, NULL);
    cx_enc_t h;
    cx_enc_init(&h);
    cx_enc_ready(&h);
    double t0 = s_now();
    s_send(s, rid, rl, &h);
    size_t bytes = 0;
    for (long i = 0; i < messages; i++) {
        s_recv(s, 1, rid, &rl, &body, NULL);
        bytes += zmq_msg_size(&body);
    }
    double wall = s_now() - t0;
    s_send(s, rid, rl, &h);
    s_reap(&pid, 1);
    r->records = records;
    r->messages = messages;
    r->frame = cx_enc_size(&e);
    r->msgs_per_s = messages / wall;
    r->bytes_per_s = (double)bytes / wall;
    zmq_msg_close(&body);
    zmq_close(s);
    zmq_ctx_term(ctx);
    cx_enc_fini(&e);
    cx_enc_fini(&h);
    free(recs);
    return 0;
}

/* ---- codec -------------------------------------------------------------- */

typedef struct {
    long records;          /* records per message */
    double enc_msgs_s;     /* messages encoded per second */
    double dec_msgs_s;     /* messages decoded per second */
    double enc_records_s;  /* records encoded per second */
    double dec_records_s;  /* records decoded per second */
    double enc_bytes_s;    /* frame bytes encoded per second */
    double dec_bytes_s;    /* frame bytes decoded per second */
} s_codec_result_t;

static int s_codec(long records, double budget_s, s_codec_result_t *r)
{
    cx_request_t *recs = calloc((size_t)(records ? records : 1), sizeof *recs);
    cx_msg_t *m = malloc(sizeof *m);
    if (!recs || !m) {
        return -1;
    }
    for (long i = 0; i < records; i++) {
        recs[i] = (cx_request_t){(uint64_t)i * 7, (uint32_t)i, 0, (uint8_t)(i % 7), 0, 0xFF};
    }
    cx_msg_init(m);
    cx_enc_t e;
    cx_enc_init(&e);
    /* Encode: as many as fit in half the budget (at least 3). */
    long n = 0;
    double t0 = s_now(), t;
    do {
        if (cx_enc_requests(&e, n, 0, 0, recs, records, sizeof *recs) != 0) {
            return -1;
        }
        n++;
    } while ((t = s_now() - t0) < budget_s / 2 || n < 3);
    double recs_enc = (double)n * (double)records, bytes_enc = (double)n * cx_enc_size(&e);
    r->enc_msgs_s = (double)n / t;
    r->enc_records_s = recs_enc / t;
    r->enc_bytes_s = bytes_enc / t;
    /* Decode from a separate copy, as a receiver would (a frame's bytes). */
    size_t len = cx_enc_size(&e);
    char *copy = malloc(len);
    if (!copy) {
        return -1;
    }
    memcpy(copy, cx_enc_data(&e), len);
    n = 0;
    t0 = s_now();
    do {
        if (cx_msg_decode(m, copy, len) != CX_MSG_REQUESTS || m->count != records) {
            return -1;
        }
        n++;
    } while ((t = s_now() - t0) < budget_s / 2 || n < 3);
    r->records = records;
    r->dec_msgs_s = (double)n / t;
    r->dec_records_s = (double)n * (double)records / t;
    r->dec_bytes_s = (double)n * (double)len / t;
    free(copy);
    cx_enc_fini(&e);
    cx_msg_fini(m);
    free(m);
    free(recs);
    return 0;
}

/* ---- main --------------------------------------------------------------- */

static int s_list(const char *s, long *out, long lo, long hi)
{
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(tok, &end, 10);
        if (*end || v < lo || v > hi || n >= S_MAX_LIST) {
            return -1;
        }
        out[n++] = v;
    }
    return n;
}

static int s_pairs(const char *s, long *p, long *d)
{
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n >= S_MAX_LIST || sscanf(tok, "%ldx%ld", &p[n], &d[n]) != 2 || p[n] < 1 ||
            d[n] < 1 || d[n] > CX_MAX_DEPTS || p[n] + d[n] > S_MAX_PROCS) {
            return -1;
        }
        n++;
    }
    return n;
}

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cx_ceilings [--agents K[,K...]] [--pattern PxD[,PxD...]]\n"
            "                   [--records N[,N...]] [--ticks T] [--quick] [--json FILE]\n"
            "Ceilings of this machine for cxsim's way of working: a bare ZeroMQ barrier\n"
            "over K processes, cxsim's tick with no model over P shards and D departments,\n"
            "REQUESTS batches of N records over ipc, and their msgpack codec.\n"
            "Defaults: --agents 2,8,16 --pattern 1x1,2x6,8x8 --records 0,1000,10000,100000\n"
            "--ticks 20000, each tick measurement stopping after 5 s (--quick: 2000 ticks,\n"
            "0.5 s, shorter codec and batch runs).\n");
}

/* The command line. */
typedef struct {
    long agents[S_MAX_LIST];  /* --agents: processes of each barrier measurement */
    long records[S_MAX_LIST]; /* --records: records of each batch and codec measurement */
    long pat_p[S_MAX_LIST];   /* --pattern: shards of each pattern measurement */
    long pat_d[S_MAX_LIST];   /* --pattern: departments of each */
    int n_agents, n_records, n_pat; /* entries used */
    long ticks;               /* --ticks */
    int quick;                /* --quick */
    const char *json;         /* --json FILE, or NULL */
} s_cfg_t;

/* Every figure measured. */
typedef struct {
    s_tick_result_t bar[S_MAX_LIST]; /* barrier */
    s_tick_result_t pat[S_MAX_LIST]; /* pattern */
    s_batch_result_t bat[S_MAX_LIST]; /* batch */
    s_codec_result_t cod[S_MAX_LIST]; /* codec */
} s_results_t;

/* Returns -1 to go on, or the exit status (--help: 0; bad arguments: 2). */
static int s_parse(int argc, char **argv, s_cfg_t *c)
{
    *c = (s_cfg_t){{2, 8, 16}, {0, 1000, 10000, 100000}, {1, 2, 8}, {1, 6, 8}, 3, 4, 3, 20000,
                   0, NULL};
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            s_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--agents") == 0 && v &&
                   (c->n_agents = s_list(v, c->agents, 1, S_MAX_PROCS)) >= 0) {
            i++;
        } else if (strcmp(argv[i], "--pattern") == 0 && v &&
                   (c->n_pat = s_pairs(v, c->pat_p, c->pat_d)) >= 0) {
            i++;
        } else if (strcmp(argv[i], "--records") == 0 && v &&
                   (c->n_records = s_list(v, c->records, 0, 10000000)) >= 0) {
            i++;
        } else if (strcmp(argv[i], "--ticks") == 0 && v &&
                   s_list(v, &c->ticks, 10, 10000000) == 1) {
            i++;
        } else if (strcmp(argv[i], "--quick") == 0) {
            c->quick = 1;
            c->ticks = 2000;
            s_budget = 0.5;
        } else if (strcmp(argv[i], "--json") == 0 && v) {
            c->json = v;
            i++;
        } else {
            fprintf(stderr, "cx_ceilings: bad argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* Runs every measurement, printing each. Returns 0, or non-zero when one
 * failed. */
static int s_measure(const s_cfg_t *c, s_results_t *r)
{
    int rc = 0;
    printf("%-28s %12s %10s %10s\n", "ceiling", "ticks/s", "p50 us", "p99 us");
    for (int i = 0; i < c->n_agents && rc == 0; i++) {
        rc = s_run_ticks(0, (int)c->agents[i], (int)c->ticks, &r->bar[i]);
        if (rc == 0) {
            printf("barrier K=%-18ld %12.0f %10.1f %10.1f\n", c->agents[i],
                   r->bar[i].ticks_per_s, r->bar[i].p50_us, r->bar[i].p99_us);
        }
    }
    for (int i = 0; i < c->n_pat && rc == 0; i++) {
        rc = s_run_ticks((int)c->pat_p[i], (int)c->pat_d[i], (int)c->ticks, &r->pat[i]);
        if (rc == 0) {
            printf("pattern P=%ld D=%-14ld %12.0f %10.1f %10.1f\n", c->pat_p[i], c->pat_d[i],
                   r->pat[i].ticks_per_s, r->pat[i].p50_us, r->pat[i].p99_us);
        }
    }
    printf("\n%-28s %12s %12s %12s\n", "ceiling", "msgs/s", "MB/s", "frame B");
    for (int i = 0; i < c->n_records && rc == 0; i++) {
        double target = c->quick ? 32e6 : 256e6; /* bytes to move */
        long msgs = (long)(target / (double)(16 * c->records[i] + 32));
        long most = c->quick ? 20000 : 200000;
        msgs = msgs < 200 ? 200 : (msgs > most ? most : msgs);
        rc = s_batch(c->records[i], msgs, &r->bat[i]);
        if (rc == 0) {
            printf("batch N=%-20ld %12.0f %12.1f %12zu\n", c->records[i], r->bat[i].msgs_per_s,
                   r->bat[i].bytes_per_s / 1e6, r->bat[i].frame);
        }
    }
    printf("\n%-28s %12s %12s %12s %12s\n", "ceiling", "enc msgs/s", "dec msgs/s", "enc rec/s",
           "enc MB/s");
    for (int i = 0; i < c->n_records && rc == 0; i++) {
        rc = s_codec(c->records[i], c->quick ? 0.05 : 0.4, &r->cod[i]);
        if (rc == 0) {
            printf("codec N=%-20ld %12.0f %12.0f %12.3g %12.1f\n", c->records[i],
                   r->cod[i].enc_msgs_s, r->cod[i].dec_msgs_s, r->cod[i].enc_records_s,
                   r->cod[i].enc_bytes_s / 1e6);
        }
    }
    return rc;
}

/* The figures as JSON into c->json. Returns 0 or 1 (said). */
static int s_write_json(const s_cfg_t *c, const s_results_t *r)
{
    int rc = 0;
    FILE *fp = fopen(c->json, "w");
    if (!fp) {
        perror(c->json);
        rc = 1;
    } else {
        fprintf(fp, "{\n  \"ticks\": %ld,\n  \"model\": {\"shard_bytes_per_customer\": %zu},\n"
                    "  \"barrier\": [",
                c->ticks, cx_shard_bytes_per_customer());
        for (int i = 0; i < c->n_agents; i++) {
            fprintf(fp, "%s\n    {\"agents\": %ld, \"ticks\": %d, \"ticks_per_s\": %.1f, "
                        "\"p50_us\": %.1f, \"p99_us\": %.1f}",
                    i ? "," : "", c->agents[i], r->bar[i].ticks, r->bar[i].ticks_per_s,
                    r->bar[i].p50_us, r->bar[i].p99_us);
        }
        fprintf(fp, "\n  ],\n  \"pattern\": [");
        for (int i = 0; i < c->n_pat; i++) {
            fprintf(fp, "%s\n    {\"shards\": %ld, \"depts\": %ld, \"agents\": %ld, "
                        "\"ticks\": %d, \"ticks_per_s\": %.1f, \"p50_us\": %.1f, "
                        "\"p99_us\": %.1f}",
                    i ? "," : "", c->pat_p[i], c->pat_d[i], c->pat_p[i] + c->pat_d[i],
                    r->pat[i].ticks, r->pat[i].ticks_per_s, r->pat[i].p50_us, r->pat[i].p99_us);
        }
        fprintf(fp, "\n  ],\n  \"batch\": [");
        for (int i = 0; i < c->n_records; i++) {
            fprintf(fp, "%s\n    {\"records\": %ld, \"frame_bytes\": %zu, \"messages\": %ld, "
                        "\"msgs_per_s\": %.1f, \"bytes_per_s\": %.0f}",
                    i ? "," : "", c->records[i], r->bat[i].frame, r->bat[i].messages,
                    r->bat[i].msgs_per_s, r->bat[i].bytes_per_s);
        }
        fprintf(fp, "\n  ],\n  \"codec\": [");
        for (int i = 0; i < c->n_records; i++) {
            fprintf(fp, "%s\n    {\"records\": %ld, \"enc_msgs_per_s\": %.0f, "
                        "\"dec_msgs_per_s\": %.0f, \"enc_records_per_s\": %.0f, "
                        "\"dec_records_per_s\": %.0f, \"enc_bytes_per_s\": %.0f, "
                        "\"dec_bytes_per_s\": %.0f}",
                    i ? "," : "", c->records[i], r->cod[i].enc_msgs_s, r->cod[i].dec_msgs_s,
                    r->cod[i].enc_records_s, r->cod[i].dec_records_s, r->cod[i].enc_bytes_s,
                    r->cod[i].dec_bytes_s);
        }
        fprintf(fp, "\n  ]\n}\n");
        if (fclose(fp) != 0) {
            perror(c->json);
            rc = 1;
        }
    }
    return rc;
}

/* Removes the sockets and the temporary directory. */
static void s_remove_dir(void)
{
    char path[512];
    const char *names[] = {"coord", "batch"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.sock", s_dir, names[i]);
        unlink(path);
    }
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        snprintf(path, sizeof path, "%s/dept%d.sock", s_dir, d);
        unlink(path);
    }
    rmdir(s_dir);
}

int main(int argc, char **argv)
{
    s_cfg_t c;
    int prc = s_parse(argc, argv, &c);
    if (prc >= 0) {
        return prc;
    }
    snprintf(s_dir, sizeof s_dir, "%s/cx_ceilings.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(s_dir)) {
        perror("cx_ceilings: mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    static s_results_t res;
    int rc = s_measure(&c, &res);
    printf("\nstate per customer (cx_shard_bytes_per_customer): %zu bytes\n",
           cx_shard_bytes_per_customer());
    if (rc != 0) {
        fprintf(stderr, "cx_ceilings: a measurement failed\n");
    }
    if (rc == 0 && c.json) {
        rc = s_write_json(&c, &res);
    }
    s_remove_dir();
    return rc == 0 ? 0 : 1;
}
