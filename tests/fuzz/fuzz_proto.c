/*  fuzz_proto — the wire protocol decoder, and what the processes do with
 *  what it accepts, against arbitrary bytes.
 *
 *  One input is one ZeroMQ frame. It goes through cx_msg_decode exactly as a
 *  frame from a socket does; when the decoder accepts it, the message is
 *  handed to the model functions the coordinator and the agents call on a
 *  message of that type (TICK -> cx_tickctx_unpack and a shard's tick,
 *  REQUESTS -> cx_dept_serve, OUTCOMES -> cx_shard_apply_outcomes,
 *  TICK_DONE -> cx_tally_unpack and the coordinator's sums and row,
 *  DEPT_DONE -> cx_dept_stats_unpack, SNAPSHOT/RESTORE -> the shard's and
 *  the department's restore), on a small baseline scenario.
 *
 *  Oracle, beyond "no crash, no leak, no undefined behaviour" (ASan/UBSan):
 *    - the result is a message type or one of the four CX_PROTO_E* codes;
 *    - decoding is deterministic (twice, from two copies: same result);
 *    - everything a decoded message points to lies inside the frame, and
 *      its counts respect the protocol limits (records = count x record
 *      size, shard < nshards, lists <= their maxima);
 *    - an accepted frame is refused without its last byte and with one
 *      byte more (msgpack is self-delimiting: a frame is one message);
 *    - the model never reports more rejected or skipped records than it got.
 *  A failure prints what broke and aborts.
 *
 *  Built with CX_LIBFUZZER it is a libFuzzer target (scripts/fuzz). Without
 *  it, main() replays the files and directories named on the command line
 *  (tests/fuzz/corpus_proto: seeds and every crash ever found), each file
 *  also truncated at every length and with every byte replaced by a few
 *  telling values, so each ctest run does a small deterministic fuzz pass.
 *  `fuzz_proto_replay --write-seeds DIR` writes the seed files: one real
 *  encoded message of every type, taken from a few ticks of the model.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_company.h"
#include "cx_department.h"
#include "cx_load.h"
#include "cx_output.h"
#include "cx_proto.h"
#include "cx_records.h"
#include "cx_shard.h"
#include "cx_steady.h"
#include "cx_tally.h"

#ifndef CX_SOURCE_DIR
#define CX_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_proto: %s: ", #cond);                                            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Most new customers a hostile TICK may make the harness create (memory). */
#define S_MAX_NEW_CUSTOMERS 10000

/* What the harness keeps between inputs: read-only after s_init. */
static struct {
    int ready;             /* s_init done */
    cx_scenario_t *sc;     /* small baseline */
    cx_tickctx_t ctx0;     /* tick 0's company state */
    cx_msg_t *m;           /* decoder scratch */
    cx_msg_t *m2;          /* second decoder, for determinism */
    cx_tally_t *tally;     /* scratch */
    cx_tick_totals_t *tot; /* scratch */
} S;

static void s_init(void)
{
    if (S.ready) {
        return;
    }
    const char *root = getenv("CX_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/scenarios/baseline.yaml", root ? root : CX_SOURCE_DIR);
    static const char *sets[] = {"personas.bargain_hunter.customers=40",
                                 "personas.loyal_family.customers=30"};
    S.sc = malloc(sizeof *S.sc);
    S.m = malloc(sizeof *S.m);
    S.m2 = malloc(sizeof *S.m2);
    S.tally = malloc(sizeof *S.tally);
    S.tot = malloc(sizeof *S.tot);
    cx_company_t *company = malloc(sizeof *company);
    if (!S.sc || !S.m || !S.m2 || !S.tally || !S.tot || !company) {
        fprintf(stderr, "fuzz_proto: out of memory\n");
        abort();
    }
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(path, sets, 2, S.sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        fprintf(stderr, "fuzz_proto: cannot load %s (set CX_SOURCE_DIR)\n", path);
        abort();
    }
    cx_diags_fini(&d);
    cx_company_init(company, S.sc, NULL);
    cx_company_begin_tick(company, S.sc, 0, &S.ctx0);
    free(company);
    cx_msg_init(S.m);
    cx_msg_init(S.m2);
    S.ready = 1;
}

/* ---- oracle ---------------------------------------------------------------- */

static void s_inside(cx_str_t s, const uint8_t *data, size_t size, const char *what)
{
    if (!s.ptr) {
        S_CHECK(s.len == 0, "%s: NULL with length %zu", what, s.len);
        return;
    }
    const uint8_t *p = (const uint8_t *)s.ptr;
    S_CHECK(p >= data && s.len <= size && p - data <= (ptrdiff_t)(size - s.len),
            "%s points outside the frame", what);
}

static void s_check_message(const cx_msg_t *m, int type, const uint8_t *data, size_t size)
{
    /* Only the fields of the message's type are meaningful (cx_proto.h). */
    S_CHECK(m->type == type, "type %d, decode returned %d", m->type, type);
    if (type == CX_MSG_HELLO) {
        s_inside(m->role, data, size, "role");
        s_inside(m->id, data, size, "id");
        s_inside(m->endpoint, data, size, "endpoint");
    }
    if (type == CX_MSG_WELCOME) {
        s_inside(m->run, data, size, "run");
        s_inside(m->scenario, data, size, "scenario");
    }
    if (type == CX_MSG_STOP || type == CX_MSG_ERROR || type == CX_MSG_COMMAND ||
        type == CX_MSG_REPLY) {
        s_inside(m->text, data, size, "text");
    }
    if (type == CX_MSG_COMMAND) {
        s_inside(m->key, data, size, "key");
        s_inside(m->value, data, size, "value");
    }
    S_CHECK(m->n_words >= 0 && m->n_words <= CX_PROTO_MAX_WORDS, "n_words %d", m->n_words);
    S_CHECK(m->n_iwords >= 0 && m->n_iwords <= CX_PROTO_MAX_WORDS, "n_iwords %d", m->n_iwords);
    S_CHECK(m->n_endpoints >= 0 && m->n_endpoints <= CX_PROTO_MAX_LIST, "n_endpoints %d",
            m->n_endpoints);
    S_CHECK(m->n_shards >= 0 && m->n_shards <= CX_PROTO_MAX_LIST, "n_shards %d", m->n_shards);
    if (type == CX_MSG_WELCOME) {
        for (int i = 0; i < m->n_endpoints; i++) {
            s_inside(m->endpoints[i], data, size, "endpoints[i]");
        }
        for (int i = 0; i < m->n_shards; i++) {
            S_CHECK(m->shards[i] >= 1 && m->shards[i] <= CX_PROTO_MAX_LIST, "shards[%d] %d", i,
                    m->shards[i]);
        }
        S_CHECK(m->heartbeat_ms >= 1, "heartbeat_ms %d", m->heartbeat_ms);
    }
    if (type == CX_MSG_ROW) {
        for (int i = 0; i < m->n_words; i++) {
            s_inside(m->names[i], data, size, "names[i]");
        }
    }
    if (type == CX_MSG_HELLO) {
        S_CHECK(m->shard >= 0 && m->shard < m->nshards && m->nshards <= CX_PROTO_MAX_LIST,
                "shard %d of %d", m->shard, m->nshards);
    }
    if (type == CX_MSG_REQUESTS || type == CX_MSG_OUTCOMES || type == CX_MSG_SNAPSHOT ||
        type == CX_MSG_RESTORE || type == CX_MSG_WELCOME) {
        s_inside((cx_str_t){(const char *)m->records, m->records_len}, data, size, "records");
    }
    if (type == CX_MSG_REQUESTS || type == CX_MSG_OUTCOMES) {
        size_t rs = type == CX_MSG_REQUESTS ? sizeof(cx_request_t) : sizeof(cx_outcome_t);
        S_CHECK(m->count >= 0 && (uint64_t)m->count * rs == m->records_len,
                "count %lld x %zu != %zu bytes", (long long)m->count, rs, m->records_len);
    }
    if (type == CX_MSG_TICK || type == CX_MSG_REQUESTS || type == CX_MSG_OUTCOMES ||
        type == CX_MSG_TICK_DONE || type == CX_MSG_DEPT_DONE || type == CX_MSG_ROW) {
        S_CHECK(m->tick >= 0, "tick %lld", (long long)m->tick);
    }
}

/* ---- what the processes do with a message ------------------------------------ */

static void s_deliver(const cx_msg_t *m)
{
    const cx_scenario_t *sc = S.sc;
    switch (m->type) {
    case CX_MSG_TICK: { /* every agent */
        cx_tickctx_t ctx;
        if (m->n_words != CX_TICKCTX_WORDS || cx_tickctx_unpack(&ctx, m->words, sc) != 0) {
            return;
        }
        int64_t fresh = 0;
        for (int p = 0; p < sc->n_persona; p++) {
            fresh += ctx.acquire_count[p];
        }
        if (fresh > S_MAX_NEW_CUSTOMERS) {
            return; /* a real coordinator's TICK could ask for it; the harness has no room */
        }
        cx_shard_t *sh = cx_shard_new(sc, NULL, 0, 0, 1);
        if (sh && cx_shard_begin_tick(sh, &ctx) == 0) {
            cx_shard_end_tick(sh, &ctx, S.tally);
        }
        cx_shard_destroy(&sh);
        return;
    }
    case CX_MSG_REQUESTS: { /* a department, once it matched the batch to its roster */
        cx_dept_t *d = cx_dept_new(sc, NULL, m->persona % sc->n_dept);
        const cx_outcome_t *out;
        size_t n_out = 0, rejected = 0;
        cx_dept_stats_t stats;
        /* The agent copies the records out of the frame (alignment). */
        cx_request_t *req = malloc(m->records_len + 1);
        if (d && req) {
            memcpy(req, m->records, m->records_len);
            cx_dept_serve(d, &S.ctx0, req, (size_t)m->count, &out, &n_out, &stats, &rejected);
            S_CHECK(rejected <= (size_t)m->count, "%zu of %lld requests rejected", rejected,
                    (long long)m->count);
            S_CHECK(n_out <= (size_t)m->count, "%zu outcomes from %lld requests", n_out,
                    (long long)m->count);
        }
        free(req);
        cx_dept_destroy(&d);
        return;
    }
    case CX_MSG_OUTCOMES: { /* a persona shard */
        cx_shard_t *sh = cx_shard_new(sc, NULL, m->dept % sc->n_persona, 0, 1);
        cx_outcome_t *o = malloc(m->records_len + 1);
        if (sh && o && cx_shard_begin_tick(sh, &S.ctx0) == 0) {
            memcpy(o, m->records, m->records_len);
            size_t skipped = cx_shard_apply_outcomes(sh, &S.ctx0, o, (size_t)m->count);
            S_CHECK(skipped <= (size_t)m->count, "%zu of %lld outcomes skipped", skipped,
                    (long long)m->count);
            cx_shard_end_tick(sh, &S.ctx0, S.tally);
        }
        free(o);
        cx_shard_destroy(&sh);
        return;
    }
    case CX_MSG_TICK_DONE: { /* the coordinator: unpack, add up, compute the row */
        if (cx_tally_unpack(S.tally, m->iwords, m->n_iwords) != 0) {
            return;
        }
        cx_tick_totals_zero(S.tot);
        cx_tick_totals_add(S.tot, S.tally);
        cx_kpi_history_t hist;
        memset(&hist, 0, sizeof hist);
        cx_kpi_row_t row;
        cx_kpi_row_compute(sc, 0, S.ctx0.days, &S.tot->total, S.tot->dept, sc->n_dept, NULL, &hist,
                           &row);
        return;
    }
    case CX_MSG_DEPT_DONE:
        if (m->n_words == CX_DEPT_STATS_WORDS) {
            cx_dept_stats_t st;
            cx_dept_stats_unpack(&st, m->words);
        }
        return;
    case CX_MSG_SNAPSHOT:
    case CX_MSG_RESTORE: { /* a checkpoint's state, back into a shard or a department */
        cx_shard_t *sh = cx_shard_new(sc, NULL, 0, 0, 1);
        if (sh) {
            cx_shard_restore(sh, m->records, m->records_len);
        }
        cx_shard_destroy(&sh);
        cx_dept_t *d = cx_dept_new(sc, NULL, (int)(m->tick % sc->n_dept));
        if (d) {
            cx_dept_restore(d, m->records, m->records_len);
        }
        cx_dept_destroy(&d);
        return;
    }
    case CX_MSG_WELCOME: { /* every agent: the steady state to start from */
        cx_steady_t *st = cx_steady_unpack(m->records, m->records_len, sc);
        if (st) {
            cx_shard_t *sh = cx_shard_new(sc, st, 0, 0, 1);
            cx_shard_destroy(&sh);
        }
        cx_steady_destroy(&st);
        return;
    }
    default:
        return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_init();
    int t = cx_msg_decode(S.m, data, size);
    S_CHECK(t > 0 ? t < CX_MSG_TYPE_END
                  : (t == CX_PROTO_EGARBAGE || t == CX_PROTO_EVERSION || t == CX_PROTO_ETYPE ||
                     t == CX_PROTO_ESHAPE),
            "decode returned %d", t);
    /* The same bytes elsewhere decode the same way. */
    uint8_t *copy = malloc(size + 1);
    if (!copy) {
        return 0;
    }
    if (size) {
        memcpy(copy, data, size);
    }
    int t2 = cx_msg_decode(S.m2, copy, size);
    S_CHECK(t2 == t, "decoded %d, then %d", t, t2);
    if (t > 0) {
        s_check_message(S.m2, t, copy, size);
        s_check_message(S.m, t, data, size);
        S_CHECK(S.m->tick == S.m2->tick && S.m->count == S.m2->count &&
                    S.m->n_words == S.m2->n_words && S.m->n_iwords == S.m2->n_iwords &&
                    S.m->records_len == S.m2->records_len,
                "two decodes of the same bytes differ");
        /* One message per frame: a byte less or a byte more is refused. */
        S_CHECK(cx_msg_decode(S.m2, copy, size - 1) < 0, "accepted without its last byte");
        copy[size] = 0xc0;
        S_CHECK(cx_msg_decode(S.m2, copy, size + 1) < 0, "accepted with a trailing byte");
        s_deliver(S.m);
    }
    free(copy);
    return 0;
}

#ifndef CX_LIBFUZZER

/* ---- seeds ----------------------------------------------------------------- */

static int s_write(const char *dir, const char *name, const cx_enc_t *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/seed-%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(cx_enc_data(e), 1, cx_enc_size(e), fp) != cx_enc_size(e)) {
        fprintf(stderr, "fuzz_proto: cannot write %s\n", path);
        if (fp) {
            fclose(fp);
        }
        return -1;
    }
    return fclose(fp) == 0 ? 0 : -1;
}

static int s_write_raw(const char *dir, const char *name, const void *p, size_t n)
{
    cx_enc_t e;
    cx_enc_init(&e);
    msgpack_sbuffer_write(&e.sbuf, p, n);
    int rc = s_write(dir, name, &e);
    cx_enc_fini(&e);
    return rc;
}

/* One real message of every type, from a few ticks of the model. */
static int s_write_seeds(const char *dir)
{
    s_init();
    mkdir(dir, 0755);
    const cx_scenario_t *sc = S.sc;
    cx_enc_t e;
    cx_enc_init(&e);
    int rc = 0;
#define S_SEED(name, call)                                                                         \
    do {                                                                                           \
        if ((call) != 0 || s_write(dir, name, &e) != 0) {                                          \
            rc = -1;                                                                               \
        }                                                                                          \
    } while (0)
    S_SEED("hello-persona", cx_enc_hello(&e, "persona", "bargain_hunter", 1, 2, "", 4321));
    S_SEED("hello-department",
           cx_enc_hello(&e, "department", "it", 0, 1, "ipc:///tmp/cxsim-x/dept-5.sock", 4322));
    char *yaml = NULL;
    size_t yaml_len = 0;
    if (cx_scenario_emit(sc, &yaml, &yaml_len) != 0) {
        return -1;
    }
    const char *eps[CX_MAX_DEPTS];
    char epbuf[CX_MAX_DEPTS][64];
    int32_t shards[CX_MAX_PERSONAS];
    for (int d = 0; d < sc->n_dept; d++) {
        snprintf(epbuf[d], sizeof epbuf[d], "ipc:///tmp/cxsim-x/dept-%d.sock", d);
        eps[d] = epbuf[d];
    }
    for (int p = 0; p < sc->n_persona; p++) {
        shards[p] = 2;
    }
    {
        cx_steady_t *st = cx_steady_new(sc);
        uint8_t *sb = NULL;
        size_t sl = 0;
        if (st && cx_steady_pack(st, sc, &sb, &sl) == 0) {
            S_SEED("welcome", cx_enc_welcome(&e, "run", yaml, yaml_len, eps, sc->n_dept, shards,
                                             sc->n_persona, 1000, 0, sb, sl));
        }
        free(sb);
        cx_steady_destroy(&st);
    }
    S_SEED("welcome-resume", cx_enc_welcome(&e, "run", yaml, yaml_len, eps, sc->n_dept, shards,
                                            sc->n_persona, 200, 12, NULL, 0));
    free(yaml);
    S_SEED("ready", cx_enc_ready(&e));
    S_SEED("heartbeat", cx_enc_heartbeat(&e, -1));
    S_SEED("stop", cx_enc_stop(&e, "done"));
    S_SEED("error", cx_enc_error(&e, "out of memory"));
    S_SEED("bye", cx_enc_bye(&e, 3));
    S_SEED("command", cx_enc_command(&e, "set", "departments.it.maturity", "4"));
    S_SEED("reply", cx_enc_reply(&e, 1, "ok"));
    S_SEED("checkpoint", cx_enc_checkpoint(&e, 9));

    /* Three ticks of one persona and every department. */
    cx_company_t *company = malloc(sizeof *company);
    cx_shard_t *sh = cx_shard_new(sc, NULL, 0, 0, 1);
    cx_dept_t *dept[CX_MAX_DEPTS] = {0};
    cx_kpi_history_t hist;
    memset(&hist, 0, sizeof hist);
    if (!company || !sh) {
        return -1;
    }
    for (int d = 0; d < sc->n_dept; d++) {
        dept[d] = cx_dept_new(sc, NULL, d);
    }
    cx_company_init(company, sc, NULL);
    for (int t = 0; t < 3; t++) {
        cx_tickctx_t ctx;
        double words[CX_TICKCTX_WORDS];
        char name[64];
        cx_company_begin_tick(company, sc, t, &ctx);
        cx_tickctx_pack(&ctx, words);
        snprintf(name, sizeof name, "tick-%d", t);
        S_SEED(name, cx_enc_tick(&e, t, words, CX_TICKCTX_WORDS));
        if (cx_shard_begin_tick(sh, &ctx) != 0) {
            return -1;
        }
        cx_tick_totals_zero(S.tot);
        for (int d = 0; d < sc->n_dept; d++) {
            size_t n, n_out = 0, rejected = 0;
            const cx_request_t *r = cx_shard_requests(sh, d, &n);
            const cx_outcome_t *out;
            cx_dept_stats_t st;
            if (t == 2 || n > 0) {
                snprintf(name, sizeof name, "requests-%d-%s", t, sc->dept[d].id);
                S_SEED(name, cx_enc_requests(&e, t, 0, 0, r, (int64_t)n, sizeof *r));
            }
            if (cx_dept_serve(dept[d], &ctx, r, n, &out, &n_out, &st, &rejected) != 0) {
                return -1;
            }
            if (t == 2 || n_out > 0) {
                snprintf(name, sizeof name, "outcomes-%d-%s", t, sc->dept[d].id);
                S_SEED(name, cx_enc_outcomes(&e, t, d, out, (int64_t)n_out, sizeof *out));
            }
            cx_shard_apply_outcomes(sh, &ctx, out, n_out);
            double sw[CX_DEPT_STATS_WORDS];
            cx_dept_stats_pack(&st, sw);
            S.tot->dept[d] = st;
            if (d == 0) {
                snprintf(name, sizeof name, "dept-done-%d", t);
                S_SEED(name, cx_enc_dept_done(&e, t, d, sw, CX_DEPT_STATS_WORDS, 0));
            }
        }
        cx_shard_end_tick(sh, &ctx, S.tally);
        int64_t tw[CX_TALLY_WORDS];
        int nw = cx_tally_pack(S.tally, tw);
        snprintf(name, sizeof name, "tick-done-%d", t);
        S_SEED(name, cx_enc_tick_done(&e, t, 0, 0, tw, nw, 1));
        cx_tick_totals_add(S.tot, S.tally);
        cx_kpi_row_t row;
        cx_kpi_row_compute(sc, t, ctx.days, &S.tot->total, S.tot->dept, sc->n_dept, NULL, &hist,
                           &row);
        const char *names[64];
        double vals[64];
        int nc = cx_kpi_row_columns(&row, names, vals, 64);
        snprintf(name, sizeof name, "row-%d", t);
        S_SEED(name, cx_enc_row(&e, t, names, vals, nc));
        cx_company_end_tick(company, sc, &row, &S.tot->total);
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (cx_shard_snapshot(sh, &buf, &len) == 0) {
        S_SEED("snapshot-shard", cx_enc_snapshot(&e, 3, buf, len));
        S_SEED("restore-shard", cx_enc_restore(&e, 3, buf, len));
        free(buf);
    }
    for (int d = 0; d < sc->n_dept; d++) {
        if (cx_dept_snapshot(dept[d], &buf, &len) == 0) {
            char name[64];
            snprintf(name, sizeof name, "restore-dept-%d", d);
            S_SEED(name, cx_enc_restore(&e, 3 + d * sc->n_dept, buf, len));
            free(buf);
        }
        cx_dept_destroy(&dept[d]);
    }
    cx_shard_destroy(&sh);
    free(company);
#undef S_SEED
    /* Hostile shapes the decoder must refuse. */
    static const uint8_t a32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05};
    static const uint8_t b32[] = {0x97, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00,
                                  0xc6, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t ver[] = {0x93, 0x02, 0x09, 0x00};
    static const uint8_t typ[] = {0x93, 0x01, 0x63, 0x00};
    uint8_t deep[40];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0x01;
    if (s_write_raw(dir, "hostile-array32", a32, sizeof a32) ||
        s_write_raw(dir, "hostile-bin32", b32, sizeof b32) ||
        s_write_raw(dir, "hostile-version", ver, sizeof ver) ||
        s_write_raw(dir, "hostile-type", typ, sizeof typ) ||
        s_write_raw(dir, "hostile-deep", deep, sizeof deep)) {
        rc = -1;
    }
    cx_enc_fini(&e);
    return rc;
}

/* ---- replay -------------------------------------------------------------- */

static long s_runs; /* inputs run, mutations included */

/* The input, then (mutate) every truncation and every byte replaced by a few
 * values that change a msgpack header's meaning. Long inputs: the first 2 KB
 * and a stride of the rest. */
static void s_replay_buf(const uint8_t *buf, size_t len, int mutate)
{
    LLVMFuzzerTestOneInput(buf, len);
    s_runs++;
    if (!mutate) {
        return;
    }
    static const uint8_t vals[] = {0x00, 0x7f, 0xc0, 0xc1, 0xdd, 0xff};
    uint8_t *m = malloc(len + 1);
    if (!m) {
        return;
    }
    memcpy(m, buf, len);
    size_t step = len > 2048 ? len / 256 : 1;
    for (size_t k = 0; k < len; k += k < 2048 ? 1 : step) {
        LLVMFuzzerTestOneInput(buf, k);
        s_runs++;
        uint8_t orig = m[k];
        for (size_t v = 0; v < sizeof vals; v++) {
            if (vals[v] != orig) {
                m[k] = vals[v];
                LLVMFuzzerTestOneInput(m, len);
                s_runs++;
            }
        }
        m[k] = orig ^ 0x01;
        LLVMFuzzerTestOneInput(m, len);
        s_runs++;
        m[k] = orig;
    }
    free(m);
}

static int s_replay_file(const char *path, int mutate)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return 0;
    }
    size_t cap = 64u << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return 0;
    }
    size_t len = fread(buf, 1, cap, fp);
    fclose(fp);
    s_replay_buf(buf, len, mutate);
    free(buf);
    return 1;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int s_replay_dir(const char *dirpath, int mutate)
{
    DIR *dir = opendir(dirpath);
    if (!dir) {
        return 0;
    }
    char **names = NULL;
    int n = 0, files = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        char **grown = realloc(names, (size_t)(n + 1) * sizeof *names);
        size_t len = strlen(dirpath) + strlen(de->d_name) + 2;
        if (!grown) {
            break;
        }
        names = grown;
        if (!(names[n] = malloc(len))) {
            break;
        }
        snprintf(names[n++], len, "%s/%s", dirpath, de->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof *names, s_by_name);
    for (int k = 0; k < n; k++) {
        struct stat st;
        if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
            files += s_replay_file(names[k], mutate);
        }
        free(names[k]);
    }
    free(names);
    return files;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
        return s_write_seeds(argv[2]) == 0 ? 0 : 1;
    }
    int mutate = 1, files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "--no-mutate") == 0) {
            mutate = 0;
        } else if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_proto: %s: no such file or directory\n", argv[i]);
            return 1;
        } else if (S_ISDIR(st.st_mode)) {
            files += s_replay_dir(argv[i], mutate);
        } else {
            files += s_replay_file(argv[i], mutate);
        }
    }
    if (files == 0) {
        fprintf(stderr, "usage: fuzz_proto_replay [--no-mutate] FILE|DIR...\n"
                        "       fuzz_proto_replay --write-seeds DIR\n"
                        "fuzz_proto: no input files found\n");
        return 1;
    }
    printf("fuzz_proto: %d inputs replayed, %ld runs with their mutations, no failure\n", files,
           s_runs);
    return 0;
}

#endif
