/*  cx_net — framing on ZeroMQ sockets (see cx_net.h). */
#include "cx_net.h"

#include <errno.h>
#include <string.h>

void cx_frame_close(cx_frame_t *f)
{
    if (f->open) {
        zmq_msg_close(&f->body);
        f->open = false;
    }
}

/* Reads and discards the remaining parts of a multi-part message. */
static void s_drain(void *sock)
{
    int more = 1;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
    }
}

int cx_net_recv(void *sock, bool router, cx_frame_t *f, int flags)
{
    f->rid_len = 0;
    f->open = false;
    zmq_msg_t first;
    zmq_msg_init(&first);
    if (zmq_msg_recv(&first, sock, flags) < 0) {
        zmq_msg_close(&first);
        return -1;
    }
    if (router) {
        size_t n = zmq_msg_size(&first);
        if (n > CX_RID_MAX || !zmq_msg_more(&first)) {
            zmq_msg_close(&first);
            s_drain(sock);
            return 1;
        }
        memcpy(f->rid, zmq_msg_data(&first), n);
        f->rid_len = n;
        zmq_msg_close(&first);
        zmq_msg_init(&f->body);
        if (zmq_msg_recv(&f->body, sock, 0) < 0) {
            zmq_msg_close(&f->body);
            return -1;
        }
    } else {
        f->body = first;
    }
    f->open = true;
    if (zmq_msg_more(&f->body)) {
        s_drain(sock);
        cx_frame_close(f);
        return 1;
    }
    return 0;
}

int cx_net_send(void *sock, const void *rid, size_t rid_len, const cx_enc_t *e)
{
    while (rid_len > 0 && zmq_send(sock, rid, rid_len, ZMQ_SNDMORE) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    while (zmq_send(sock, cx_enc_data(e), cx_enc_size(e), 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

int cx_net_limit(void *sock, int64_t max)
{
    return sock ? zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max) : -1;
}
