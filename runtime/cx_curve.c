/*  cx_curve — CurveZMQ with a shared run key (see cx_curve.h). */
#include "cx_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_log.h"
#include "cx_output.h"

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_POLL_MS 100 /* how often the handler looks at its stop flag */

struct cx_zap {
    pthread_t thread;           /* the handler */
    void *sock;                 /* REP bound to the ZAP endpoint (the thread's only) */
    uint8_t pub[32];            /* the key clients must hold */
    atomic_int stop;            /* set by cx_curve_stop */
    atomic_llong refused;       /* handshakes refused */
};

int cx_curve_keygen(const char *path, char *err, size_t cap)
{
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, cap, "cannot make a key pair: %s (libzmq without CURVE?)",
                 zmq_strerror(errno));
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    char text[256];
    int n = snprintf(text, sizeof text,
                     "# cxsim run key: copy it to every host of the run; keep it secret.\n"
                     "public = %s\nsecret = %s\n",
                     pub, sec);
    int rc = (n > 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0) ? 0 : -1;
    if (rc != 0) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
    }
    close(fd);
    return rc;
}

/* Reads "name = Z85" from text into out (41 bytes). */
static int s_field(const char *text, const char *name, char *out)
{
    size_t nl = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) != 0) {
            continue;
        }
        const char *q = p + nl;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (*q != '=') {
            continue;
        }
        q++;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        size_t len = strcspn(q, " \t\r\n");
        if (len != 40) {
            return -1;
        }
        memcpy(out, q, 40);
        out[40] = 0;
        return 0;
    }
    return -1;
}

int cx_curve_load(cx_curve_t *k, const char *path, char *err, size_t cap)
{
    memset(k, 0, sizeof *k);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, cap, "cannot read the run key %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & 0077) {
        snprintf(err, cap, "the run key %s is readable by others (mode %03o): chmod 600 it",
                 path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    if (cx_read_file(path, 4096, &text, &len) != 0) {
        snprintf(err, cap, "cannot read the run key %s: %s", path,
                 errno == ENOTSUP ? "not a regular file" : strerror(errno));
        return -1;
    }
    char check[41];
    int ok = s_field(text, "public", k->pub) == 0 && s_field(text, "secret", k->sec) == 0 &&
             zmq_z85_decode(k->pub_bin, k->pub) != NULL &&
             zmq_curve_public(check, k->sec) == 0 && strcmp(check, k->pub) == 0;
    free(text);
    if (!ok) {
        snprintf(err, cap,
                 "%s is not a run key (expected 'public = ...' and 'secret = ...' lines of a "
                 "matching pair, as `cxsim keygen` writes)",
                 path);
        memset(k, 0, sizeof *k);
        return -1;
    }
    k->on = true;
    return 0;
}

/* Receives one frame of a ZAP request into buf; returns its size or -1. */
static int s_part(void *sock, void *buf, size_t cap, int *more)
{
    int n = zmq_recv(sock, buf, cap, 0);
    size_t sz = sizeof *more;
    *more = 0;
    zmq_getsockopt(sock, ZMQ_RCVMORE, more, &sz);
    return n;
}

static void *s_zap_main(void *arg)
{
    cx_zap_t *z = arg;
    long long last_told = 0;
    while (!atomic_load(&z->stop)) {
        zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, S_POLL_MS) <= 0) {
            continue;
        }
        /* version, request id, domain, address, routing id, mechanism,
         * credentials... (ZMTP RFC 27). */
        char part[8][256];
        int len[8] = {0};
        int n = 0, more = 1;
        while (more) {
            char scratch[256];
            char *dst = n < 8 ? part[n] : scratch;
            int r = s_part(z->sock, dst, 255, &more);
            if (r < 0) {
                break;
            }
            if (n < 8) {
                len[n] = r > 255 ? 255 : r;
            }
            n++;
        }
        int ok = n >= 7 && len[0] == 3 && memcmp(part[0], "1.0", 3) == 0 && len[5] == 5 &&
                 memcmp(part[5], "CURVE", 5) == 0 && len[6] == 32 &&
                 memcmp(part[6], z->pub, 32) == 0;
        if (!ok) {
            long long r = atomic_fetch_add(&z->refused, 1) + 1;
            if (r <= 3 || r - last_told >= 1000) {
                char addr[64];
                snprintf(addr, sizeof addr, "%.*s", n >= 4 ? len[3] : 0, n >= 4 ? part[3] : "");
                cx_log_warn("refused a connection from %s: it does not hold the run key "
                            "(%lld refused so far)",
                            addr[0] ? addr : "an unknown address", r);
                last_told = r;
            }
        }
        /* Reply: version, request id, status code, status text, user id,
         * metadata. */
        zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(z->sock, n >= 2 ? part[1] : "", n >= 2 ? (size_t)len[1] : 0, ZMQ_SNDMORE);
        zmq_send(z->sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        const char *text = ok ? "OK" : "not holding the run key";
        zmq_send(z->sock, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(z->sock, "", 0, ZMQ_SNDMORE);
        zmq_send(z->sock, "", 0, 0);
    }
    zmq_close(z->sock);
    return NULL;
}

int cx_curve_start(cx_curve_t *k, void *zctx, char *err, size_t cap)
{
    if (!k->on || k->zap) {
        return 0;
    }
    cx_zap_t *z = calloc(1, sizeof *z);
    if (!z) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    memcpy(z->pub, k->pub_bin, 32);
    z->sock = zmq_socket(zctx, ZMQ_REP);
    int zero = 0;
    if (!z->sock || zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(z->sock, S_ZAP_ENDPOINT) != 0) {
        snprintf(err, cap, "cannot start the key check (ZAP): %s", zmq_strerror(errno));
        if (z->sock) {
            zmq_close(z->sock);
        }
        free(z);
        return -1;
    }
    if (pthread_create(&z->thread, NULL, s_zap_main, z) != 0) {
        snprintf(err, cap, "cannot start the key check thread");
        zmq_close(z->sock);
        free(z);
        return -1;
    }
    k->zap = z;
    return 0;
}

void cx_curve_stop(cx_curve_t *k)
{
    if (!k->zap) {
        return;
    }
    atomic_store(&k->zap->stop, 1);
    pthread_join(k->zap->thread, NULL);
    free(k->zap);
    k->zap = NULL;
}

int64_t cx_curve_refused(const cx_curve_t *k)
{
    return k->zap ? (int64_t)atomic_load(&k->zap->refused) : 0;
}

int cx_curve_server(const cx_curve_t *k, void *sock)
{
    if (!k || !k->on) {
        return 0;
    }
    int one = 1;
    return zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
                   zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->sec, 40) ||
                   zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "cxsim", 5)
               ? -1
               : 0;
}

int cx_curve_client(const cx_curve_t *k, void *sock)
{
    if (!k || !k->on) {
        return 0;
    }
    return zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, k->pub, 40) ||
                   zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, k->pub, 40) ||
                   zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->sec, 40)
               ? -1
               : 0;
}
