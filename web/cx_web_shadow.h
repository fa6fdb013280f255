/*  cx_web_shadow — "what if we had done nothing": the run shown by
 *  cxsim-web, replayed in-process (cx_sim) from the same scenario and seed
 *  without its live changes, in a thread of its own, into a second store
 *  that the page draws as a second series.
 *
 *  The scenario is RUN_DIR/scenario.planned.yaml, which the coordinator
 *  keeps before the first live change rewrites scenario.resolved.yaml;
 *  while no change has been taken, scenario.resolved.yaml itself (read,
 *  then checked that no plan appeared meanwhile). Scripted timeline events
 *  stay: only the changes taken live are left out, so both series are the
 *  same until the first change. The replay's files go to RUN_DIR/shadow/.
 *
 *      WAITING --scenario readable--> RUNNING --all ticks--> DONE
 *         |                              |--stop--> STOPPED
 *         +--stop--> STOPPED             +--error--> FAILED (said on stderr)
 *
 *  Ownership: cx_web_shadow_t is caller storage; the store outlives
 *  cx_web_shadow_stop. Errors: _start returns -1 with a message when the
 *  thread cannot start; the thread reports trouble on stderr, once.
 */
#ifndef CX_WEB_SHADOW_H
#define CX_WEB_SHADOW_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#include "cx_web_store.h"

typedef struct {
    char dir[4096];             /* the run directory */
    cx_web_store_t *store;      /* where the replay's rows go */
    volatile sig_atomic_t stop; /* set by cx_web_shadow_stop (cx_sim's interrupt flag) */
    pthread_t th;               /* the replay thread */
    int started;                /* th is running */
} cx_web_shadow_t;

int cx_web_shadow_start(cx_web_shadow_t *s, const char *dir, cx_web_store_t *store, char *err,
                        size_t cap);
/* Stops the replay (at its next tick) and joins the thread. */
void cx_web_shadow_stop(cx_web_shadow_t *s);

#endif
