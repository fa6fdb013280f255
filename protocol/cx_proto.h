/*  cx_proto — the wire protocol: every message cxsim processes exchange,
 *  encoded as one msgpack array per ZeroMQ frame (docs/PROTOCOL.md).
 *
 *      [version, type, field...]
 *
 *  Bulk data (interaction requests and outcomes) travels as one msgpack
 *  `bin` of packed little-endian records per (shard, department, tick).
 *
 *  Decoding never trusts the input: a frame that is not exactly one
 *  well-formed msgpack array of the expected shape, that claims more
 *  elements than it has bytes, that carries another version or an unknown
 *  type, is rejected with a negative CX_PROTO_E* code, and the caller
 *  drops and counts it. Nothing here asserts on input.
 *
 *  Ownership: cx_enc_t and cx_msg_t are caller-storage (_init/_fini).
 *  Pointers in a decoded cx_msg_t (strings, records) point into the frame
 *  that was decoded: valid while that frame lives and until the next
 *  decode or cx_msg_fini. Strings are NOT NUL-terminated: use cx_str_t.
 */
#ifndef CX_PROTO_H
#define CX_PROTO_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#define CX_PROTO_VERSION 1
#define CX_PROTO_MAX_WORDS 1024  /* longest float/int array in a message */
#define CX_PROTO_MAX_LIST 256    /* longest list of endpoints or shard counts */
#define CX_PROTO_MAX_FRAME (256u << 20) /* largest frame accepted, bytes */

typedef enum {
    CX_MSG_HELLO = 1,  /* agent -> coordinator: who I am */
    CX_MSG_WELCOME,    /* coordinator -> agent: the run, the scenario, the roster */
    CX_MSG_READY,      /* agent -> coordinator: set up, waiting for ticks */
    CX_MSG_TICK,       /* coordinator -> agents: start tick t with this company state */
    CX_MSG_REQUESTS,   /* persona shard -> department: this tick's requests */
    CX_MSG_OUTCOMES,   /* department -> persona shard: this tick's outcomes */
    CX_MSG_TICK_DONE,  /* persona shard -> coordinator: tick tally */
    CX_MSG_DEPT_DONE,  /* department -> coordinator: tick figures */
    CX_MSG_HEARTBEAT,  /* both ways: still alive */
    CX_MSG_STOP,       /* coordinator -> agents: stop (reason) */
    CX_MSG_ERROR,      /* agent -> coordinator: fatal error (message) */
    CX_MSG_ROW,        /* coordinator PUB -> observers: one KPI row */
    CX_MSG_BYE,        /* agent -> coordinator: stopped, with its drop count */
    CX_MSG_COMMAND,    /* client -> coordinator control socket: verb key value */
    CX_MSG_REPLY,      /* coordinator -> client: ok, message */
    CX_MSG_CHECKPOINT, /* coordinator -> agents: snapshot your state as of tick t */
    CX_MSG_SNAPSHOT,   /* agent -> coordinator: my state as of tick t (bin) */
    CX_MSG_RESTORE,    /* coordinator -> agent: start from this state (bin) */
    CX_MSG_TYPE_END
} cx_msg_type_t;

/* Decode errors (negative). */
#define CX_PROTO_EGARBAGE -1 /* not one well-formed msgpack array */
#define CX_PROTO_EVERSION -2 /* another protocol version */
#define CX_PROTO_ETYPE -3    /* unknown message type */
#define CX_PROTO_ESHAPE -4   /* known type, wrong fields or sizes */

/* A string inside a decoded frame (not NUL-terminated). */
typedef struct {
    const char *ptr; /* first byte, or NULL */
    size_t len;      /* bytes */
} cx_str_t;

/* A decoded message. Only the fields of its type are meaningful. */
typedef struct {
    int type;                                /* cx_msg_type_t */
    int64_t tick;                            /* TICK, REQUESTS, OUTCOMES, *_DONE, HEARTBEAT, ROW */
    cx_str_t role;                           /* HELLO: "persona" or "department" */
    cx_str_t id;                             /* HELLO: persona or department id */
    int32_t shard;                           /* HELLO, REQUESTS, TICK_DONE: shard index */
    int32_t nshards;                         /* HELLO: shards of the persona */
    cx_str_t endpoint;                       /* HELLO: department's data endpoint */
    int64_t pid;                             /* HELLO: process id */
    cx_str_t run;                            /* WELCOME: run id */
    cx_str_t scenario;                       /* WELCOME: resolved scenario, YAML */
    int32_t heartbeat_ms;                    /* WELCOME: heartbeat interval */
    int64_t start_tick;                      /* WELCOME: first tick to run (> 0: RESTORE follows) */
    cx_str_t endpoints[CX_PROTO_MAX_LIST];   /* WELCOME: data endpoint of each department */
    int n_endpoints;                         /* entries used */
    int32_t shards[CX_PROTO_MAX_LIST];       /* WELCOME: shard count of each persona */
    int n_shards;                            /* entries used */
    int32_t persona;                         /* REQUESTS, TICK_DONE: persona index */
    int32_t dept;                            /* OUTCOMES, DEPT_DONE: department index */
    int64_t count;                           /* REQUESTS, OUTCOMES: records */
    const uint8_t *records;                  /* REQUESTS, OUTCOMES: packed records; SNAPSHOT, RESTORE: state; WELCOME: steady state */
    size_t records_len;                      /* bytes at records */
    double words[CX_PROTO_MAX_WORDS];        /* TICK, DEPT_DONE, ROW: numbers */
    int n_words;                             /* entries used */
    int64_t iwords[CX_PROTO_MAX_WORDS];      /* TICK_DONE: tally */
    int n_iwords;                            /* entries used */
    cx_str_t names[CX_PROTO_MAX_WORDS];      /* ROW: column names, one per word */
    int64_t dropped;                         /* TICK_DONE, DEPT_DONE, BYE: messages dropped so far */
    cx_str_t text;                           /* STOP reason, ERROR message, REPLY message, COMMAND verb */
    cx_str_t key;                            /* COMMAND: key */
    cx_str_t value;                          /* COMMAND: value */
    int ok;                                  /* REPLY: 1 ok, 0 refused */
    int64_t other_version;                   /* CX_PROTO_EVERSION: the version the frame claims */
    int64_t other_type;                      /* CX_PROTO_EVERSION: its type, or -1 */
    msgpack_unpacked unpacked;               /* decoder state (owned) */
} cx_msg_t;

void cx_msg_init(cx_msg_t *m);
void cx_msg_fini(cx_msg_t *m);
/* Decodes one frame. Returns the type (> 0) or a CX_PROTO_E* code. */
int cx_msg_decode(cx_msg_t *m, const void *data, size_t len);
/* Name of a message type ("TICK"), or "?" */
const char *cx_msg_type_name(int type);
/* Name of a decode error code. */
const char *cx_proto_strerror(int code);
/* 1 when s equals the C string z. */
int cx_str_eq(cx_str_t s, const char *z);
/* Copies s into buf (size cap, always NUL-terminated, truncating). */
void cx_str_copy(char *buf, size_t cap, cx_str_t s);

/* An encoder writes one message into its reusable buffer. */
typedef struct {
    msgpack_sbuffer sbuf; /* output bytes */
    msgpack_packer pk;    /* packer writing into sbuf */
    int failed;           /* a pack call failed (out of memory) */
} cx_enc_t;

void cx_enc_init(cx_enc_t *e);
void cx_enc_fini(cx_enc_t *e);
/* The last encoded message. */
static inline const void *cx_enc_data(const cx_enc_t *e) { return e->sbuf.data; }
static inline size_t cx_enc_size(const cx_enc_t *e) { return e->sbuf.size; }

/* Each cx_enc_* clears the buffer, encodes one message, and returns 0, or
 * -1 when out of memory. Strings are NUL-terminated C strings. */
int cx_enc_hello(cx_enc_t *e, const char *role, const char *id, int shard, int nshards,
                 const char *endpoint, int64_t pid);
/* `steady` (steady_len bytes, cx_steady_pack) is the run's steady state for
 * the agents to start from; empty when resuming (a RESTORE follows). */
int cx_enc_welcome(cx_enc_t *e, const char *run, const char *scenario, size_t scenario_len,
                   const char *const *endpoints, int n_endpoints, const int32_t *shards,
                   int n_shards, int heartbeat_ms, int64_t start_tick, const void *steady,
                   size_t steady_len);
int cx_enc_ready(cx_enc_t *e);
int cx_enc_tick(cx_enc_t *e, int64_t tick, const double *words, int n_words);
int cx_enc_requests(cx_enc_t *e, int64_t tick, int persona, int shard, const void *records,
                    int64_t count, size_t record_size);
int cx_enc_outcomes(cx_enc_t *e, int64_t tick, int dept, const void *records, int64_t count,
                    size_t record_size);
int cx_enc_tick_done(cx_enc_t *e, int64_t tick, int persona, int shard, const int64_t *tally,
                     int n, int64_t dropped);
int cx_enc_dept_done(cx_enc_t *e, int64_t tick, int dept, const double *stats, int n,
                     int64_t dropped);
int cx_enc_heartbeat(cx_enc_t *e, int64_t tick);
int cx_enc_stop(cx_enc_t *e, const char *reason);
int cx_enc_error(cx_enc_t *e, const char *message);
int cx_enc_row(cx_enc_t *e, int64_t tick, const char *const *names, const double *values, int n);
int cx_enc_bye(cx_enc_t *e, int64_t dropped);
int cx_enc_command(cx_enc_t *e, const char *verb, const char *key, const char *value);
int cx_enc_reply(cx_enc_t *e, int ok, const char *message);
int cx_enc_checkpoint(cx_enc_t *e, int64_t tick);
int cx_enc_snapshot(cx_enc_t *e, int64_t tick, const void *state, size_t len);
int cx_enc_restore(cx_enc_t *e, int64_t tick, const void *state, size_t len);

#endif
