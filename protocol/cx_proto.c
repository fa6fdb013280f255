/*  cx_proto — msgpack encoding and defensive decoding of cxsim messages.
 *
 *  Why a pre-scan before msgpack_unpack_next: msgpack-c allocates an array's
 *  element table from the claimed count before it has seen the elements, so
 *  a 5-byte hostile header can ask for gigabytes. s_sane() walks the frame
 *  first and refuses any container claiming more elements than there are
 *  bytes left, any nesting deeper than 8, and trailing bytes.
 */
#include "cx_proto.h"

#include <string.h>

#define S_MAX_DEPTH 8

static const char *s_type_names[] = {"?",        "HELLO",    "WELCOME",  "READY",
                                     "TICK",     "REQUESTS", "OUTCOMES", "TICK_DONE",
                                     "DEPT_DONE", "HEARTBEAT", "STOP",   "ERROR",
                                     "ROW",      "BYE",      "COMMAND",  "REPLY",
                                     "CHECKPOINT", "SNAPSHOT", "RESTORE"};

const char *cx_msg_type_name(int type)
{
    if (type > 0 && type < CX_MSG_TYPE_END) {
        return s_type_names[type];
    }
    return "?";
}

const char *cx_proto_strerror(int code)
{
    switch (code) {
    case CX_PROTO_EGARBAGE:
        return "malformed frame";
    case CX_PROTO_EVERSION:
        return "wrong protocol version";
    case CX_PROTO_ETYPE:
        return "unknown message type";
    case CX_PROTO_ESHAPE:
        return "wrong message layout";
    default:
        return "ok";
    }
}

int cx_str_eq(cx_str_t s, const char *z)
{
    size_t n = strlen(z);
    return s.ptr && s.len == n && memcmp(s.ptr, z, n) == 0;
}

void cx_str_copy(char *buf, size_t cap, cx_str_t s)
{
    if (cap == 0) {
        return;
    }
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n && s.ptr) {
        memcpy(buf, s.ptr, n);
    }
    buf[n] = '\0';
}

/* ---- pre-scan -------------------------------------------------------- */

static uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Walks one msgpack object at p[*off..len). Returns 0 when well formed. */
static int s_walk(const uint8_t *p, size_t len, size_t *off, int depth)
{
    if (depth > S_MAX_DEPTH || *off >= len) {
        return -1;
    }
    uint8_t b = p[(*off)++];
    size_t skip = 0;    /* payload bytes to skip */
    uint64_t items = 0; /* nested objects that follow */
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        return 0;
    } else if (b >= 0x80 && b <= 0x8f) {
        items = 2u * (b & 0x0f);
    } else if (b >= 0x90 && b <= 0x9f) {
        items = b & 0x0f;
    } else if (b >= 0xa0 && b <= 0xbf) {
        skip = b & 0x1f;
    } else {
        /* kind: 0 fixed payload, 1 sized payload, 2 ext, 3 array, 4 map */
        int nb = 0, kind = 0;
        switch (b) {
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xca: case 0xce: case 0xd2: skip = 4; break;
        case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xc4: case 0xd9: nb = 1; kind = 1; break;
        case 0xc5: case 0xda: nb = 2; kind = 1; break;
        case 0xc6: case 0xdb: nb = 4; kind = 1; break;
        case 0xc7: nb = 1; kind = 2; break;
        case 0xc8: nb = 2; kind = 2; break;
        case 0xc9: nb = 4; kind = 2; break;
        case 0xdc: nb = 2; kind = 3; break;
        case 0xdd: nb = 4; kind = 3; break;
        case 0xde: nb = 2; kind = 4; break;
        case 0xdf: nb = 4; kind = 4; break;
        default:
            return -1; /* 0xc1 is never used */
        }
        if (kind != 0) {
            if (len - *off < (size_t)nb) {
                return -1;
            }
            uint64_t n = s_be(p + *off, nb);
            *off += (size_t)nb;
            if (n > len) {
                return -1;
            }
            if (kind == 1) {
                skip = (size_t)n;
            } else if (kind == 2) {
                skip = (size_t)n + 1; /* type byte + data */
            } else {
                items = kind == 4 ? 2 * n : n;
            }
        }
    }
    if (len - *off < skip) {
        return -1;
    }
    *off += skip;
    if (items > len - *off) { /* every element needs at least one byte */
        return -1;
    }
    for (uint64_t i = 0; i < items; i++) {
        if (s_walk(p, len, off, depth + 1) != 0) {
            return -1;
        }
    }
    return 0;
}

static int s_sane(const void *data, size_t len)
{
    size_t off = 0;
    if (len == 0 || len > CX_PROTO_MAX_FRAME) {
        return -1;
    }
    if (s_walk((const uint8_t *)data, len, &off, 0) != 0) {
        return -1;
    }
    return off == len ? 0 : -1;
}

/* ---- decoding helpers -------------------------------------------------- */

static int s_int(const msgpack_object *o, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX) {
            return -1;
        }
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return -1;
    }
    if (v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

static int s_i32(const msgpack_object *o, int32_t lo, int32_t hi, int32_t *out)
{
    int64_t v;
    if (s_int(o, lo, hi, &v) != 0) {
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

static int s_str(const msgpack_object *o, cx_str_t *out)
{
    if (o->type == MSGPACK_OBJECT_STR) {
        out->ptr = o->via.str.ptr;
        out->len = o->via.str.size;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_BIN) {
        out->ptr = o->via.bin.ptr;
        out->len = o->via.bin.size;
        return 0;
    }
    return -1;
}

static int s_num(const msgpack_object *o, double *out)
{
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *out = o->via.f64;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *out = (double)o->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = (double)o->via.i64;
        return 0;
    default:
        return -1;
    }
}

static int s_floats(const msgpack_object *o, double *out, int *n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > CX_PROTO_MAX_WORDS) {
        return -1;
    }
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        if (s_num(&o->via.array.ptr[i], &out[i]) != 0) {
            return -1;
        }
    }
    *n = (int)o->via.array.size;
    return 0;
}

static int s_ints(const msgpack_object *o, int64_t *out, int *n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > CX_PROTO_MAX_WORDS) {
        return -1;
    }
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        if (s_int(&o->via.array.ptr[i], INT64_MIN, INT64_MAX, &out[i]) != 0) {
            return -1;
        }
    }
    *n = (int)o->via.array.size;
    return 0;
}

static int s_records(const msgpack_object *o, int64_t count, size_t size, cx_msg_t *m)
{
    if (o->type != MSGPACK_OBJECT_BIN || count < 0) {
        return -1;
    }
    if ((uint64_t)count * size != o->via.bin.size) {
        return -1;
    }
    m->records = (const uint8_t *)o->via.bin.ptr;
    m->records_len = o->via.bin.size;
    m->count = count;
    return 0;
}

void cx_msg_init(cx_msg_t *m)
{
    memset(m, 0, sizeof *m);
    msgpack_unpacked_init(&m->unpacked);
}

void cx_msg_fini(cx_msg_t *m)
{
    msgpack_unpacked_destroy(&m->unpacked);
    msgpack_unpacked_init(&m->unpacked);
}

/* Expected element counts per type (including version and type). */
static const uint32_t s_arity[CX_MSG_TYPE_END] = {
    [CX_MSG_HELLO] = 8,     [CX_MSG_WELCOME] = 9,   [CX_MSG_READY] = 2,
    [CX_MSG_CHECKPOINT] = 3, [CX_MSG_SNAPSHOT] = 4, [CX_MSG_RESTORE] = 4,
    [CX_MSG_TICK] = 4,      [CX_MSG_REQUESTS] = 7,  [CX_MSG_OUTCOMES] = 6,
    [CX_MSG_TICK_DONE] = 7, [CX_MSG_DEPT_DONE] = 6, [CX_MSG_HEARTBEAT] = 3,
    [CX_MSG_STOP] = 3,      [CX_MSG_ERROR] = 3,     [CX_MSG_ROW] = 4,
    [CX_MSG_BYE] = 3,       [CX_MSG_COMMAND] = 5,   [CX_MSG_REPLY] = 4};

#define S_REQUEST_SIZE 16
#define S_OUTCOME_SIZE 24
#define S_TICK_MAX INT32_MAX

static int s_decode_body(cx_msg_t *m, const msgpack_object *a)
{
    const msgpack_object *f = a->via.array.ptr;
    switch (m->type) {
    case CX_MSG_HELLO:
        if (s_str(&f[2], &m->role) || s_str(&f[3], &m->id) ||
            s_i32(&f[4], 0, CX_PROTO_MAX_LIST - 1, &m->shard) ||
            s_i32(&f[5], 1, CX_PROTO_MAX_LIST, &m->nshards) || s_str(&f[6], &m->endpoint) ||
            s_int(&f[7], 0, INT32_MAX, &m->pid) || m->shard >= m->nshards) {
            return -1;
        }
        return 0;
    case CX_MSG_WELCOME:
        if (s_str(&f[2], &m->run) || s_str(&f[3], &m->scenario) ||
            f[4].type != MSGPACK_OBJECT_ARRAY || f[4].via.array.size > CX_PROTO_MAX_LIST ||
            f[5].type != MSGPACK_OBJECT_ARRAY || f[5].via.array.size > CX_PROTO_MAX_LIST ||
            s_i32(&f[6], 1, 3600000, &m->heartbeat_ms) ||
            s_int(&f[7], 0, S_TICK_MAX, &m->start_tick) || f[8].type != MSGPACK_OBJECT_BIN) {
            return -1;
        }
        m->records = (const uint8_t *)f[8].via.bin.ptr;
        m->records_len = f[8].via.bin.size;
        m->n_endpoints = (int)f[4].via.array.size;
        for (int i = 0; i < m->n_endpoints; i++) {
            if (s_str(&f[4].via.array.ptr[i], &m->endpoints[i])) {
                return -1;
            }
        }
        m->n_shards = (int)f[5].via.array.size;
        for (int i = 0; i < m->n_shards; i++) {
            if (s_i32(&f[5].via.array.ptr[i], 1, CX_PROTO_MAX_LIST, &m->shards[i])) {
                return -1;
            }
        }
        return 0;
    case CX_MSG_READY:
        return 0;
    case CX_MSG_TICK:
        return s_int(&f[2], 0, S_TICK_MAX, &m->tick) || s_floats(&f[3], m->words, &m->n_words);
    case CX_MSG_REQUESTS: {
        int64_t count;
        if (s_int(&f[2], 0, S_TICK_MAX, &m->tick) ||
            s_i32(&f[3], 0, CX_PROTO_MAX_LIST - 1, &m->persona) ||
            s_i32(&f[4], 0, CX_PROTO_MAX_LIST - 1, &m->shard) ||
            s_int(&f[5], 0, INT32_MAX, &count)) {
            return -1;
        }
        return s_records(&f[6], count, S_REQUEST_SIZE, m);
    }
    case CX_MSG_OUTCOMES: {
        int64_t count;
        if (s_int(&f[2], 0, S_TICK_MAX, &m->tick) ||
            s_i32(&f[3], 0, CX_PROTO_MAX_LIST - 1, &m->dept) ||
            s_int(&f[4], 0, INT32_MAX, &count)) {
            return -1;
        }
        return s_records(&f[5], count, S_OUTCOME_SIZE, m);
    }
    case CX_MSG_TICK_DONE:
        return s_int(&f[2], 0, S_TICK_MAX, &m->tick) ||
               s_i32(&f[3], 0, CX_PROTO_MAX_LIST - 1, &m->persona) ||
               s_i32(&f[4], 0, CX_PROTO_MAX_LIST - 1, &m->shard) ||
               s_ints(&f[5], m->iwords, &m->n_iwords) || s_int(&f[6], 0, INT64_MAX, &m->dropped);
    case CX_MSG_DEPT_DONE:
        return s_int(&f[2], 0, S_TICK_MAX, &m->tick) ||
               s_i32(&f[3], 0, CX_PROTO_MAX_LIST - 1, &m->dept) ||
               s_floats(&f[4], m->words, &m->n_words) || s_int(&f[5], 0, INT64_MAX, &m->dropped);
    case CX_MSG_HEARTBEAT:
        return s_int(&f[2], -1, S_TICK_MAX, &m->tick);
    case CX_MSG_STOP:
    case CX_MSG_ERROR:
        return s_str(&f[2], &m->text);
    case CX_MSG_ROW:
        if (s_int(&f[2], 0, S_TICK_MAX, &m->tick) || f[3].type != MSGPACK_OBJECT_MAP ||
            f[3].via.map.size > CX_PROTO_MAX_WORDS) {
            return -1;
        }
        m->n_words = (int)f[3].via.map.size;
        for (int i = 0; i < m->n_words; i++) {
            if (s_str(&f[3].via.map.ptr[i].key, &m->names[i]) ||
                s_num(&f[3].via.map.ptr[i].val, &m->words[i])) {
                return -1;
            }
        }
        return 0;
    case CX_MSG_BYE:
        return s_int(&f[2], 0, INT64_MAX, &m->dropped);
    case CX_MSG_COMMAND:
        return s_str(&f[2], &m->text) || s_str(&f[3], &m->key) || s_str(&f[4], &m->value);
    case CX_MSG_CHECKPOINT:
        return s_int(&f[2], 0, S_TICK_MAX, &m->tick);
    case CX_MSG_SNAPSHOT:
    case CX_MSG_RESTORE:
        if (s_int(&f[2], 0, S_TICK_MAX, &m->tick) || f[3].type != MSGPACK_OBJECT_BIN) {
            return -1;
        }
        m->records = (const uint8_t *)f[3].via.bin.ptr;
        m->records_len = f[3].via.bin.size;
        return 0;
    case CX_MSG_REPLY:
        if (f[2].type != MSGPACK_OBJECT_BOOLEAN) {
            return -1;
        }
        m->ok = f[2].via.boolean ? 1 : 0;
        return s_str(&f[3], &m->text);
    default:
        return -1;
    }
}

int cx_msg_decode(cx_msg_t *m, const void *data, size_t len)
{
    int64_t version, type;
    m->type = 0;
    m->n_words = m->n_iwords = m->n_endpoints = m->n_shards = 0;
    m->records = NULL;
    m->records_len = 0;
    m->count = 0;
    m->dropped = 0;
    if (!data || s_sane(data, len) != 0) {
        return CX_PROTO_EGARBAGE;
    }
    size_t off = 0;
    if (msgpack_unpack_next(&m->unpacked, (const char *)data, len, &off) !=
            MSGPACK_UNPACK_SUCCESS ||
        off != len) {
        return CX_PROTO_EGARBAGE;
    }
    const msgpack_object *a = &m->unpacked.data;
    if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size < 2) {
        return CX_PROTO_EGARBAGE;
    }
    if (s_int(&a->via.array.ptr[0], 0, INT32_MAX, &version) != 0) {
        return CX_PROTO_EGARBAGE;
    }
    if (version != CX_PROTO_VERSION) {
        /* Say what it claims: a HELLO of another version gets an answer. */
        m->other_version = version;
        if (s_int(&a->via.array.ptr[1], 0, INT32_MAX, &m->other_type) != 0) {
            m->other_type = -1;
        }
        return CX_PROTO_EVERSION;
    }
    if (s_int(&a->via.array.ptr[1], 0, INT32_MAX, &type) != 0 || type <= 0 ||
        type >= CX_MSG_TYPE_END) {
        return CX_PROTO_ETYPE;
    }
    m->type = (int)type;
    if (a->via.array.size != s_arity[type] || s_decode_body(m, a) != 0) {
        m->type = 0;
        return CX_PROTO_ESHAPE;
    }
    return m->type;
}

/* ---- encoding ------------------------------------------------------------ */

void cx_enc_init(cx_enc_t *e)
{
    msgpack_sbuffer_init(&e->sbuf);
    msgpack_packer_init(&e->pk, &e->sbuf, msgpack_sbuffer_write);
    e->failed = 0;
}

void cx_enc_fini(cx_enc_t *e)
{
    msgpack_sbuffer_destroy(&e->sbuf);
    msgpack_sbuffer_init(&e->sbuf);
}

/* Every msgpack_pack_* result is folded into e->failed. */
#define S_P(call)                                                                                  \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            e->failed = 1;                                                                         \
        }                                                                                          \
    } while (0)

static void s_begin(cx_enc_t *e, int type, uint32_t arity)
{
    msgpack_sbuffer_clear(&e->sbuf);
    e->failed = 0;
    S_P(msgpack_pack_array(&e->pk, arity));
    S_P(msgpack_pack_int(&e->pk, CX_PROTO_VERSION));
    S_P(msgpack_pack_int(&e->pk, type));
}

static void s_pack_str(cx_enc_t *e, const char *s, size_t n)
{
    S_P(msgpack_pack_str(&e->pk, n));
    if (n) {
        S_P(msgpack_pack_str_body(&e->pk, s, n));
    }
}

static void s_pack_cstr(cx_enc_t *e, const char *s)
{
    s = s ? s : "";
    s_pack_str(e, s, strlen(s));
}

static void s_pack_bin(cx_enc_t *e, const void *p, size_t n)
{
    S_P(msgpack_pack_bin(&e->pk, n));
    if (n) {
        S_P(msgpack_pack_bin_body(&e->pk, p, n));
    }
}

static int s_end(cx_enc_t *e)
{
    return e->failed ? -1 : 0;
}

int cx_enc_hello(cx_enc_t *e, const char *role, const char *id, int shard, int nshards,
                 const char *endpoint, int64_t pid)
{
    s_begin(e, CX_MSG_HELLO, 8);
    s_pack_cstr(e, role);
    s_pack_cstr(e, id);
    S_P(msgpack_pack_int(&e->pk, shard));
    S_P(msgpack_pack_int(&e->pk, nshards));
    s_pack_cstr(e, endpoint);
    S_P(msgpack_pack_int64(&e->pk, pid));
    return s_end(e);
}

int cx_enc_welcome(cx_enc_t *e, const char *run, const char *scenario, size_t scenario_len,
                   const char *const *endpoints, int n_endpoints, const int32_t *shards,
                   int n_shards, int heartbeat_ms, int64_t start_tick, const void *steady,
                   size_t steady_len)
{
    s_begin(e, CX_MSG_WELCOME, 9);
    s_pack_cstr(e, run);
    s_pack_str(e, scenario, scenario_len);
    S_P(msgpack_pack_array(&e->pk, (size_t)n_endpoints));
    for (int i = 0; i < n_endpoints; i++) {
        s_pack_cstr(e, endpoints[i]);
    }
    S_P(msgpack_pack_array(&e->pk, (size_t)n_shards));
    for (int i = 0; i < n_shards; i++) {
        S_P(msgpack_pack_int32(&e->pk, shards[i]));
    }
    S_P(msgpack_pack_int(&e->pk, heartbeat_ms));
    S_P(msgpack_pack_int64(&e->pk, start_tick));
    S_P(msgpack_pack_bin(&e->pk, steady_len));
    if (steady_len) {
        S_P(msgpack_pack_bin_body(&e->pk, steady, steady_len));
    }
    return s_end(e);
}

int cx_enc_ready(cx_enc_t *e)
{
    s_begin(e, CX_MSG_READY, 2);
    return s_end(e);
}

int cx_enc_tick(cx_enc_t *e, int64_t tick, const double *words, int n_words)
{
    s_begin(e, CX_MSG_TICK, 4);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_array(&e->pk, (size_t)n_words));
    for (int i = 0; i < n_words; i++) {
        S_P(msgpack_pack_double(&e->pk, words[i]));
    }
    return s_end(e);
}

int cx_enc_requests(cx_enc_t *e, int64_t tick, int persona, int shard, const void *records,
                    int64_t count, size_t record_size)
{
    s_begin(e, CX_MSG_REQUESTS, 7);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_int(&e->pk, persona));
    S_P(msgpack_pack_int(&e->pk, shard));
    S_P(msgpack_pack_int64(&e->pk, count));
    s_pack_bin(e, records, (size_t)count * record_size);
    return s_end(e);
}

int cx_enc_outcomes(cx_enc_t *e, int64_t tick, int dept, const void *records, int64_t count,
                    size_t record_size)
{
    s_begin(e, CX_MSG_OUTCOMES, 6);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_int(&e->pk, dept));
    S_P(msgpack_pack_int64(&e->pk, count));
    s_pack_bin(e, records, (size_t)count * record_size);
    return s_end(e);
}

int cx_enc_tick_done(cx_enc_t *e, int64_t tick, int persona, int shard, const int64_t *tally,
                     int n, int64_t dropped)
{
    s_begin(e, CX_MSG_TICK_DONE, 7);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_int(&e->pk, persona));
    S_P(msgpack_pack_int(&e->pk, shard));
    S_P(msgpack_pack_array(&e->pk, (size_t)n));
    for (int i = 0; i < n; i++) {
        S_P(msgpack_pack_int64(&e->pk, tally[i]));
    }
    S_P(msgpack_pack_int64(&e->pk, dropped));
    return s_end(e);
}

int cx_enc_dept_done(cx_enc_t *e, int64_t tick, int dept, const double *stats, int n,
                     int64_t dropped)
{
    s_begin(e, CX_MSG_DEPT_DONE, 6);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_int(&e->pk, dept));
    S_P(msgpack_pack_array(&e->pk, (size_t)n));
    for (int i = 0; i < n; i++) {
        S_P(msgpack_pack_double(&e->pk, stats[i]));
    }
    S_P(msgpack_pack_int64(&e->pk, dropped));
    return s_end(e);
}

int cx_enc_heartbeat(cx_enc_t *e, int64_t tick)
{
    s_begin(e, CX_MSG_HEARTBEAT, 3);
    S_P(msgpack_pack_int64(&e->pk, tick));
    return s_end(e);
}

int cx_enc_stop(cx_enc_t *e, const char *reason)
{
    s_begin(e, CX_MSG_STOP, 3);
    s_pack_cstr(e, reason);
    return s_end(e);
}

int cx_enc_error(cx_enc_t *e, const char *message)
{
    s_begin(e, CX_MSG_ERROR, 3);
    s_pack_cstr(e, message);
    return s_end(e);
}

int cx_enc_row(cx_enc_t *e, int64_t tick, const char *const *names, const double *values, int n)
{
    s_begin(e, CX_MSG_ROW, 4);
    S_P(msgpack_pack_int64(&e->pk, tick));
    S_P(msgpack_pack_map(&e->pk, (size_t)n));
    for (int i = 0; i < n; i++) {
        s_pack_cstr(e, names[i]);
        S_P(msgpack_pack_double(&e->pk, values[i]));
    }
    return s_end(e);
}

int cx_enc_bye(cx_enc_t *e, int64_t dropped)
{
    s_begin(e, CX_MSG_BYE, 3);
    S_P(msgpack_pack_int64(&e->pk, dropped));
    return s_end(e);
}

int cx_enc_command(cx_enc_t *e, const char *verb, const char *key, const char *value)
{
    s_begin(e, CX_MSG_COMMAND, 5);
    s_pack_cstr(e, verb);
    s_pack_cstr(e, key);
    s_pack_cstr(e, value);
    return s_end(e);
}

int cx_enc_reply(cx_enc_t *e, int ok, const char *message)
{
    s_begin(e, CX_MSG_REPLY, 4);
    S_P(ok ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk));
    s_pack_cstr(e, message);
    return s_end(e);
}

int cx_enc_checkpoint(cx_enc_t *e, int64_t tick)
{
    s_begin(e, CX_MSG_CHECKPOINT, 3);
    S_P(msgpack_pack_int64(&e->pk, tick));
    return s_end(e);
}

static int s_enc_state(cx_enc_t *e, int type, int64_t tick, const void *state, size_t len)
{
    s_begin(e, type, 4);
    S_P(msgpack_pack_int64(&e->pk, tick));
    s_pack_bin(e, state, len);
    return s_end(e);
}

int cx_enc_snapshot(cx_enc_t *e, int64_t tick, const void *state, size_t len)
{
    return s_enc_state(e, CX_MSG_SNAPSHOT, tick, state, len);
}

int cx_enc_restore(cx_enc_t *e, int64_t tick, const void *state, size_t len)
{
    return s_enc_state(e, CX_MSG_RESTORE, tick, state, len);
}
