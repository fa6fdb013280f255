/*  cx_curve — CurveZMQ for runs whose processes are on several hosts.
 *
 *  A run key is one CurveZMQ key pair in a file (`cxsim keygen FILE`, mode
 *  0600) that the operator copies to every host of the run, like a
 *  cluster's shared secret. Every process started with `--key FILE` then
 *  encrypts every connection, and every server socket (the coordinator's
 *  agents, rows and control sockets, each department's data socket) admits
 *  only clients that prove they hold the same key: CZMQ's zauth actor, the
 *  process's ZAP handler, admits a client only if its public key is the
 *  run's (an in-memory zcertstore holding that one certificate). A peer
 *  without the file cannot connect, read or inject anything; its handshake
 *  fails before any message reaches cxsim's code.
 *
 *  Key files: `cxsim keygen` writes a CZMQ secret certificate (zcert, ZPL
 *  text: `curve / public-key, secret-key`), so CZMQ's own tools read it;
 *  the earlier `public = ... / secret = ...` files still load.
 *
 *  zauth serves the sockets of CZMQ's context only: a process that binds
 *  sockets under a key takes its context from cx_curve_context() and ends
 *  it with cx_curve_context_term(). Without --key nothing changes: no
 *  encryption, no ZAP handler (ipc:// runs in a private directory need
 *  neither).
 *
 *  Ownership: cx_curve_t is caller storage; _start launches the zauth actor,
 *  _stop destroys it and must run before the context ends.
 *  Errors: -1 with a message in err.
 */
#ifndef CX_CURVE_H
#define CX_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _zactor_t cx_zap_t; /* CZMQ's zauth actor */

typedef struct {
    bool on;          /* a key was loaded */
    char pub[41];     /* Z85 public key */
    char sec[41];     /* Z85 secret key */
    uint8_t pub_bin[32]; /* the public key, binary (what ZAP compares) */
    cx_zap_t *zap;    /* the ZAP handler (zauth), once started */
    cx_zap_t *watch;  /* the actor that reports refused handshakes */
} cx_curve_t;

/* Writes a new key pair to path (created with mode 0600, never
 * overwritten). */
int cx_curve_keygen(const char *path, char *err, size_t cap);

/* Loads a key file written by cx_curve_keygen. */
int cx_curve_load(cx_curve_t *k, const char *path, char *err, size_t cap);

/* The process's ZeroMQ context: CZMQ's (zsys), without CZMQ's signal
 * handlers (the programs install their own). NULL on failure. */
void *cx_curve_context(void);

/* Ends the context of cx_curve_context: every socket must be closed. */
void cx_curve_context_term(void *zctx);

/* Starts the ZAP handler (only when k->on) for zctx, which must be the
 * context of cx_curve_context: call before binding a server socket. */
int cx_curve_start(cx_curve_t *k, void *zctx, char *err, size_t cap);

/* Stops the ZAP handler (if started): before cx_curve_context_term. */
void cx_curve_stop(cx_curve_t *k);

/* Handshakes refused so far on this process's server sockets (a client
 * with another key, or none). Each is logged, then one in a thousand. */
int64_t cx_curve_refused(const cx_curve_t *k);

/* Makes sock a CURVE server (before bind) or client (before connect) with
 * the run key; a server's refused handshakes are then watched (socket
 * monitor) and logged by the watcher. No-op returning 0 when k is NULL or
 * off. */
int cx_curve_server(const cx_curve_t *k, void *sock);
int cx_curve_client(const cx_curve_t *k, void *sock);

#endif
