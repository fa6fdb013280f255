/*  cx_net — sending and receiving cxsim frames on ZeroMQ sockets.
 *
 *  A message is one frame (DEALER, PUB) or an identity frame plus one frame
 *  (ROUTER). Anything else that arrives (extra frames, empty frames) is
 *  read whole and reported as malformed, so the caller can drop and count
 *  it. The transport knows frames and routing ids, never the model.
 *
 *  Ownership: cx_frame_t is caller storage; cx_frame_close releases it.
 *  Errors: -1 with errno from libzmq (EAGAIN, EINTR, ETERM, ...).
 */
#ifndef CX_NET_H
#define CX_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

#include "cx_proto.h"

#define CX_RID_MAX 256

/* ZMQ_MAXMSGSIZE of every cxsim socket, set before it binds or connects, so
 * that libzmq drops a peer announcing a larger frame before it allocates a
 * byte of it (docs/PROTOCOL.md, "Frame sizes"):
 *  - CX_NET_MAX_DATA, sockets that carry batches and snapshots (the agents'
 *    socket at both ends, the departments' data sockets at both ends): the
 *    protocol's largest legitimate frame is CX_PROTO_MAX_FRAME (a SNAPSHOT or
 *    RESTORE of a shard, or a REQUESTS/OUTCOMES batch; the decoder refuses
 *    anything larger), so nothing legitimate is lost.
 *  - CX_NET_MAX_SMALL, the control socket (COMMAND and REPLY: a verb, a key
 *    and a value of at most CX_CONTROL_TEXT_MAX = 4 KB each, 12 KB and some
 *    bytes of msgpack), the rows socket's subscriptions and its subscribers'
 *    ROW (about 40 named float64 columns, under 2 KB): 64 KB. */
#define CX_NET_MAX_DATA ((int64_t)CX_PROTO_MAX_FRAME)
#define CX_NET_MAX_SMALL ((int64_t)64 * 1024)

/* Handshake failures of one socket, from libzmq's socket monitor (a PAIR
 * over inproc, zmq_socket_monitor): how a process learns that a peer's run
 * key is not its own, which no message can tell since none gets through. */
typedef struct {
    void *pair;          /* the monitor's reading end, or NULL */
    void *sock;          /* the socket watched */
    int64_t failed;      /* handshakes failed so far */
    int64_t key_failed;  /* of which on the key (CURVE cryptography or ZAP refusal) */
    int64_t mismatch;    /* of which one side had a key and the other none */
    char why[320];       /* the last failure, in words */
} cx_net_monitor_t;

/* Starts watching sock (before it binds or connects). Returns 0, or -1
 * (then m->pair is NULL and cx_net_monitor_read does nothing). */
int cx_net_monitor_open(cx_net_monitor_t *m, void *zctx, void *sock);
/* As cx_net_monitor_open, for other events (ZMQ_EVENT_*). */
int cx_net_monitor_open_events(cx_net_monitor_t *m, void *zctx, void *sock, int events);
/* For a monitor opened on ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED:
 * waits until the socket's next connection is made (0) or until deadline_ms
 * (cx_now_ms's clock) has passed (-1), counting the refused attempts in
 * *retried. Connect one endpoint at a time to know which one fails. */
int cx_net_monitor_wait_connected(cx_net_monitor_t *m, long long deadline_ms, int *retried);
/* Reads the events waiting, without blocking; returns how many handshake
 * failures they held. */
int cx_net_monitor_read(cx_net_monitor_t *m);
/* Says what the failures were, for an error message ("" when none):
 * keyed says whether this process holds a run key. */
void cx_net_monitor_explain(const cx_net_monitor_t *m, bool keyed, char *out, size_t cap);
/* Stops watching (before the socket is closed). */
void cx_net_monitor_close(cx_net_monitor_t *m);

/* Sets ZMQ_MAXMSGSIZE of sock to max bytes. 0, or -1 (errno). */
int cx_net_limit(void *sock, int64_t max);

/* Whether endpoint stays on this machine: ipc://, inproc://, or tcp:// on a
 * loopback address (127.0.0.0/8, ::1, localhost, the interface lo).
 * Anything else (a tcp wildcard, another address or interface, another
 * transport) can be reached from the network. */
bool cx_net_is_local(const char *endpoint);
/* Whether endpoint is a tcp:// wildcard (*, 0.0.0.0, ::): fine to bind,
 * useless to advertise. */
bool cx_net_is_wildcard(const char *endpoint);
/* The rule for listeners (docs/RELIABILITY.md): a socket bound beyond this
 * machine needs the run key. Returns 0 when endpoint (given as option opt)
 * is local, keyed, or insecure is set (then logged loudly as a warning);
 * -1 after logging why it is refused, naming --key. */
int cx_net_check_listener(const char *opt, const char *endpoint, bool keyed, bool insecure);

typedef struct {
    unsigned char rid[CX_RID_MAX]; /* routing id (ROUTER sockets) */
    size_t rid_len;                /* bytes in rid; 0 for DEALER */
    zmq_msg_t body;                /* payload frame */
    bool open;                     /* body must be closed */
} cx_frame_t;

/* Receives one message. Returns 0 when a well-framed message is in f,
 * 1 when a malformed one was read and discarded, -1 on error (errno). */
int cx_net_recv(void *sock, bool router, cx_frame_t *f, int flags);
void cx_frame_close(cx_frame_t *f);
static inline const void *cx_frame_data(cx_frame_t *f) { return zmq_msg_data(&f->body); }
static inline size_t cx_frame_size(cx_frame_t *f) { return zmq_msg_size(&f->body); }

/* Sends the encoder's message, after a routing id when rid_len > 0.
 * Returns 0 or -1 (errno). */
int cx_net_send(void *sock, const void *rid, size_t rid_len, const cx_enc_t *e);

#endif
