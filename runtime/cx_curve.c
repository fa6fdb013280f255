/*  cx_curve — CurveZMQ with a shared run key (see cx_curve.h). */
#include "cx_curve.h"

#include <czmq.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_log.h"
#include "cx_output.h"

#define S_KEY_CAP 4096 /* a key file is a few hundred bytes */
#define S_REFUSALS (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

/* Refusals counted by the watcher (one watcher per process). */
static atomic_llong s_refused;

/* Logs one refused handshake from a monitor message: frame 1 holds the
 * event (uint16) and its value (uint32), frame 2 the socket's endpoint. */
static void s_watch_report(zsock_t *mon)
{
    zmsg_t *m = zmsg_recv(mon);
    zframe_t *ev = m ? zmsg_first(m) : NULL;
    zframe_t *where = m ? zmsg_next(m) : NULL;
    if (!ev || zframe_size(ev) < 2) {
        zmsg_destroy(&m);
        return;
    }
    uint16_t event;
    memcpy(&event, zframe_data(ev), sizeof event);
    long long r = atomic_fetch_add(&s_refused, 1) + 1;
    if (r <= 3 || r % 1000 == 0) {
        char ep[128];
        snprintf(ep, sizeof ep, "%.*s", where ? (int)zframe_size(where) : 0,
                 where ? (const char *)zframe_data(where) : "");
        cx_log_warn("refused a connection on %s: %s (%lld refused so far)", ep,
                    event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                        ? "it does not hold the run key"
                        : "it holds no run key (no CurveZMQ handshake)",
                    r);
    }
    zmsg_destroy(&m);
}

/* The watcher actor: connects to the monitor endpoint of each server
 * socket it is told about ("WATCH", endpoint) and logs its refusals. */
static void s_watcher(zsock_t *pipe, void *unused)
{
    (void)unused;
    zpoller_t *poller = zpoller_new(pipe, NULL);
    zlist_t *mons = zlist_new();
    zsock_signal(pipe, 0);
    bool done = poller == NULL || mons == NULL;
    while (!done) {
        void *which = zpoller_wait(poller, -1);
        if (which == pipe) {
            char *cmd = NULL, *ep = NULL;
            if (zstr_recvx(pipe, &cmd, &ep, NULL) < 1 || strcmp(cmd, "$TERM") == 0) {
                done = true;
            } else if (strcmp(cmd, "WATCH") == 0 && ep) {
                zsock_t *mon = zsock_new_pair(ep); /* ">": connects */
                if (mon) {
                    zlist_append(mons, mon);
                    zpoller_add(poller, mon);
                }
                zsock_signal(pipe, mon ? 0 : 1);
            }
            zstr_free(&cmd);
            zstr_free(&ep);
        } else if (which) {
            s_watch_report(which);
        } else if (zpoller_terminated(poller)) {
            done = true;
        }
    }
    for (zsock_t *m = mons ? zlist_first(mons) : NULL; m; m = zlist_next(mons)) {
        zsock_destroy(&m);
    }
    zlist_destroy(&mons);
    zpoller_destroy(&poller);
}

void *cx_curve_context(void)
{
    /* Before zsys_init: CZMQ would otherwise catch SIGINT and SIGTERM. */
    zsys_handler_set(NULL);
    return zsys_init();
}

void cx_curve_context_term(void *zctx)
{
    if (zctx) {
        zsys_shutdown();
    }
}

int cx_curve_keygen(const char *path, char *err, size_t cap)
{
    zcert_t *cert = zcert_new();
    if (!cert) {
        snprintf(err, cap, "cannot make a key pair (libzmq without CURVE?)");
        return -1;
    }
    /* Created here, 0600 and never over an existing file; zcert then
     * rewrites it in place, which keeps the mode. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
        zcert_destroy(&cert);
        return -1;
    }
    close(fd);
    zcert_set_meta(cert, "purpose", "cxsim run key: copy it to every host of the run");
    int rc = zcert_save_secret(cert, path);
    zcert_destroy(&cert);
    fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || fsync(fd) != 0) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

/* Reads "name = Z85" (the earlier key files) from text into out (41 bytes). */
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

/* Reads the key pair of a zcert secret certificate (ZPL text). */
static int s_zcert_fields(const char *text, char *pub, char *sec)
{
    zconfig_t *root = zconfig_str_load(text);
    if (!root) {
        return -1;
    }
    const char *p = zconfig_get(root, "/curve/public-key", NULL);
    const char *s = zconfig_get(root, "/curve/secret-key", NULL);
    int ok = p && s && strlen(p) == 40 && strlen(s) == 40;
    if (ok) {
        memcpy(pub, p, 41);
        memcpy(sec, s, 41);
    }
    zconfig_destroy(&root);
    return ok ? 0 : -1;
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
    if (cx_read_file(path, S_KEY_CAP, &text, &len) != 0) {
        snprintf(err, cap, "cannot read the run key %s: %s", path,
                 errno == ENOTSUP ? "not a regular file" : strerror(errno));
        return -1;
    }
    int found = s_zcert_fields(text, k->pub, k->sec) == 0 ||
                (s_field(text, "public", k->pub) == 0 && s_field(text, "secret", k->sec) == 0);
    free(text);
    char check[41];
    int ok = found && zmq_z85_decode(k->pub_bin, k->pub) != NULL &&
             zmq_curve_public(check, k->sec) == 0 && strcmp(check, k->pub) == 0;
    if (!ok) {
        snprintf(err, cap,
                 "%s is not a run key (expected a CZMQ secret certificate of a matching pair, "
                 "as `cxsim keygen` writes)",
                 path);
        memset(k, 0, sizeof *k);
        return -1;
    }
    k->on = true;
    return 0;
}

int cx_curve_start(cx_curve_t *k, void *zctx, char *err, size_t cap)
{
    if (!k->on || k->zap) {
        return 0;
    }
    if (!zctx || zctx != zsys_init()) {
        snprintf(err, cap, "the key check (zauth) serves CZMQ's context only");
        return -1;
    }
    uint8_t sec_bin[32];
    zcertstore_t *store = zcertstore_new(NULL);
    zcert_t *cert = zmq_z85_decode(sec_bin, k->sec) ? zcert_new_from(k->pub_bin, sec_bin) : NULL;
    memset(sec_bin, 0, sizeof sec_bin);
    if (!store || !cert) {
        snprintf(err, cap, "cannot start the key check (zauth): out of memory");
        zcert_destroy(&cert);
        zcertstore_destroy(&store);
        return -1;
    }
    zcertstore_insert(store, &cert);
    /* zauth owns the store from here and admits its one certificate. */
    k->zap = zactor_new(zauth, store);
    k->watch = k->zap ? zactor_new(s_watcher, NULL) : NULL;
    if (!k->zap || !k->watch) {
        snprintf(err, cap, "cannot start the key check (zauth)");
        cx_curve_stop(k);
        return -1;
    }
    return 0;
}

void cx_curve_stop(cx_curve_t *k)
{
    if (k->watch) {
        zactor_destroy(&k->watch);
    }
    if (k->zap) {
        zactor_destroy(&k->zap);
    }
}

int64_t cx_curve_refused(const cx_curve_t *k)
{
    return k && k->on ? (int64_t)atomic_load(&s_refused) : 0;
}

/* Asks the watcher to report sock's refused handshakes. */
static int s_watch(const cx_curve_t *k, void *sock)
{
    static atomic_int seq;
    char ep[64];
    snprintf(ep, sizeof ep, ">inproc://cxsim-keycheck-%d", atomic_fetch_add(&seq, 1));
    if (zmq_socket_monitor(sock, ep + 1, S_REFUSALS) != 0) {
        return -1;
    }
    zstr_sendx(k->watch, "WATCH", ep, NULL);
    return zsock_wait(k->watch) == 0 ? 0 : -1;
}

int cx_curve_server(const cx_curve_t *k, void *sock)
{
    if (!k || !k->on) {
        return 0;
    }
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->sec, 40) ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "cxsim", 5)) {
        return -1;
    }
    return k->watch ? s_watch(k, sock) : 0;
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
