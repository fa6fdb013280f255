/*  cx_curve — CurveZMQ for runs whose processes are on several hosts.
 *
 *  A run key is one CurveZMQ key pair in a file (`cxsim keygen FILE`, mode
 *  0600) that the operator copies to every host of the run, like a
 *  cluster's shared secret. Every process started with `--key FILE` then
 *  encrypts every connection, and every server socket (the coordinator's
 *  agents, rows and control sockets, each department's data socket) admits
 *  only clients that prove they hold the same key: a ZAP handler in the
 *  process checks the client's public key during the handshake. A peer
 *  without the file cannot connect, read or inject anything; its handshake
 *  fails before any message reaches cxsim's code (each refusal is counted
 *  and logged once in a while).
 *
 *  Without --key nothing changes: no encryption, the ZAP handler is not
 *  started (ipc:// runs in a private directory need neither).
 *
 *  Ownership: cx_curve_t is caller storage; _start launches the ZAP thread
 *  for one ZeroMQ context, _stop joins it and must run before that
 *  context is terminated.
 *  Errors: -1 with a message in err.
 */
#ifndef CX_CURVE_H
#define CX_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cx_zap cx_zap_t;

typedef struct {
    bool on;          /* a key was loaded */
    char pub[41];     /* Z85 public key */
    char sec[41];     /* Z85 secret key */
    uint8_t pub_bin[32]; /* the public key, binary (what ZAP compares) */
    cx_zap_t *zap;    /* the ZAP handler, once started */
} cx_curve_t;

/* Writes a new key pair to path (created with mode 0600, never
 * overwritten). */
int cx_curve_keygen(const char *path, char *err, size_t cap);

/* Loads a key file written by cx_curve_keygen. */
int cx_curve_load(cx_curve_t *k, const char *path, char *err, size_t cap);

/* Starts the ZAP handler of zctx (only when k->on): call before binding a
 * server socket. */
int cx_curve_start(cx_curve_t *k, void *zctx, char *err, size_t cap);

/* Stops the ZAP handler (if started): before zmq_ctx_term. */
void cx_curve_stop(cx_curve_t *k);

/* Handshakes refused so far by this process's ZAP handler. */
int64_t cx_curve_refused(const cx_curve_t *k);

/* Makes sock a CURVE server (before bind) or client (before connect) with
 * the run key. No-op returning 0 when k is NULL or off. */
int cx_curve_server(const cx_curve_t *k, void *sock);
int cx_curve_client(const cx_curve_t *k, void *sock);

#endif
