/*  cx_web_assess — `cxsim-web --assess FILE`: the maturity questionnaire
 *  served for a workshop, without a run. One form per department of the
 *  company's scenario (each axis's question, the five statements with an
 *  agreement 0..4 each, pre-filled from FILE's answers) and one for the CX
 *  owner and governance; the answers live in this server's memory.
 *
 *      GET  /               the page: the forms, then the scores so far
 *      POST /department     a department's answers (form-urlencoded:
 *                           id, strategy1..5, control1..5, tactics1..5)
 *      POST /company        cx_owner, governance ("" leaves the scenario's)
 *      GET  /scores.txt     the scores, as `cxsim assess` prints them
 *      GET  /scenario.yaml  the company as it is today (download), as
 *                           `cxsim assess --out` writes it
 *
 *  The scoring is diagnose/'s (cx_assess_score, cx_assess_apply,
 *  cx_assess_report, cx_assess_scenario_text), the code of `cxsim assess`.
 *  The guard rules are the live page's: on a loopback address a request
 *  naming another host is refused (403); beyond loopback every request
 *  carries the secret token printed at start (?t=TOKEN, or the header
 *  X-Cxsim-Token), else 401. The page has no script.
 *
 *  Ownership: cx_web_assess_t is caller storage. Errors: _start returns -1
 *  (cannot serve) or -2 (FILE invalid, diagnostics printed) with err set.
 */
#ifndef CX_WEB_ASSESS_H
#define CX_WEB_ASSESS_H

#include <pthread.h>
#include <stddef.h>

#include "cx_assess.h"
#include "cx_web_guard.h"
#include "cx_web_seats.h"

typedef struct {
    cx_questionnaire_t *q;            /* the answers as they stand (heap) */
    cx_scenario_t *base;              /* the company's scenario: the forms' departments (heap) */
    pthread_mutex_t mu;               /* guards q */
    int loopback;                     /* bound to loopback: check Host, no token */
    char token[CX_WEB_TOKEN_LEN + 1]; /* beyond loopback: the secret every request carries */
    struct MHD_Daemon *mhd;           /* the server, or NULL */
    unsigned port;                    /* the port bound */
    cx_web_guard_t guard;             /* slow clients evicted */
} cx_web_assess_t;

int cx_web_assess_start(cx_web_assess_t *a, const char *file, const char *addr, unsigned port,
                        char *err, size_t cap);
void cx_web_assess_stop(cx_web_assess_t *a);

#endif
