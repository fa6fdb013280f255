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
