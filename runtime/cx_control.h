/*  cx_control — a run's control socket: clients send COMMAND, each gets
 *  exactly one REPLY.
 *
 *  The coordinator binds a ROUTER; a client (`cxsim ctl`, a Python
 *  program, a web page's bridge) connects a DEALER and sends one-frame
 *  COMMAND {verb, key, value} messages. What a verb means is the caller's business:
 *  cx_control_serve hands each decoded command to a callback and sends back
 *  what it answers. This module knows framing and the codec, never the
 *  model. A frame that is not a well-formed COMMAND of this protocol version
 *  is answered with a refusal when it can be (so a client never hangs on a
 *  typo) and counted as dropped; a well-formed command the callback refuses
 *  is answered and counted as refused (summary.json: messages.control_refused).
 *
 *  Ownership: cx_control_t is caller storage (_open/_close); strings passed
 *  to the callback live until it returns.
 *  Errors: -1 with a message in err.
 */
#ifndef CX_CONTROL_H
#define CX_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "cx_curve.h"
#include "cx_proto.h"

#define CX_CONTROL_BATCH 64       /* most frames read by one cx_control_serve */
#define CX_CONTROL_TEXT_MAX 4096 /* longest verb, key or value passed to the callback */

/* Handles one command; writes the answer into reply (NUL-terminated).
 * Returns 1 (done), 0 (refused), or -1 (not now: the command is held,
 * unanswered, and handed to the callback again, in order, by the next
 * cx_control_serve; a coordinator in the middle of a tick answers `status`
 * and holds the changes until the tick is over). */
typedef int (*cx_control_fn)(void *user, const char *verb, const char *key, const char *value,
                             char *reply, size_t cap);

typedef struct cx_control_held cx_control_held_t; /* a command held for later */

typedef struct {
    void *sock;        /* ROUTER, or NULL when closed */
    cx_enc_t enc;      /* reply encoder */
    cx_msg_t *msg;     /* decoder scratch */
    int64_t commands;  /* commands served */
    int64_t dropped;   /* frames that were not commands */
    int64_t refused;   /* commands the callback refused (a bad change, an unknown verb) */
    cx_control_held_t *held; /* commands the callback said "not now" to (CX_CONTROL_BATCH) */
    int n_held;              /* entries */
} cx_control_t;

/* Binds a ROUTER at endpoint in zctx (a CURVE server when curve is on). */
int cx_control_open(cx_control_t *ctl, void *zctx, const char *endpoint, const cx_curve_t *curve,
                    char *err, size_t cap);
void cx_control_close(cx_control_t *ctl);

/* Serves the commands held, then those waiting (at most CX_CONTROL_BATCH
 * frames; none while CX_CONTROL_BATCH are held), without blocking. Returns
 * how many commands were answered. */
int cx_control_serve(cx_control_t *ctl, cx_control_fn fn, void *user);

/* DIR/live.endpoints, which says where a running run listens while it
 * lasts: "control ENDPOINT\nrows ENDPOINT\n" ("-" when there is none).
 * _write writes it atomically (0, or -1 with errno); _read finds one
 * endpoint by name ("control" or "rows"): 0, or -1 with errno (ENOENT: no
 * run is going on there; ENOKEY: the file names no such endpoint). */
int cx_live_endpoints_write(const char *dir, const char *control, const char *rows);
int cx_live_endpoint_read(const char *dir, const char *name, char *ep, size_t cap);
void cx_live_endpoints_remove(const char *dir);

/* Client side: sends one command to endpoint and waits up to timeout_ms
 * for the reply. Returns 1 (done) or 0 (refused) with the answer in reply,
 * or -1 (no answer: nothing listening, or too slow) with a message. */
int cx_control_call(const char *endpoint, const char *verb, const char *key, const char *value,
                    int timeout_ms, char *reply, size_t cap);
/* The same as a holder of the run key (curve NULL or off: none). */
int cx_control_call_key(const char *endpoint, const cx_curve_t *curve, const char *verb,
                        const char *key, const char *value, int timeout_ms, char *reply,
                        size_t cap);

#endif
