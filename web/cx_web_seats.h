/*  cx_web_seats — cxsim-web's classroom mode: one seat per department plus
 *  the trainer's, each reached through a secret token in its URL.
 *
 *  A token is 128 random bits (getrandom(2)) written in base64url without
 *  padding: 22 characters of [A-Za-z0-9_-], safe in a URL as it is.
 *
 *  Roles and what they may send to POST /api/command:
 *    - the trainer: everything, unlimited (the page as it is without
 *      classroom mode);
 *    - a department seat: `status`, and changes of its own department only:
 *      `set departments.ID.maturity=V` and `set departments.ID.staff=V`
 *      (with over, cost, at), or an `event` of kind maturity or staff whose
 *      department is its own. A seat steers its department's investment
 *      (maturity, with its ramp and cost) and its staffing; it cannot
 *      pause, pace or stop the clock, change the company (CX owner,
 *      governance, price) or inject shocks such as an outage, a campaign or
 *      a policy: those are the trainer's scenario, and an outage of one's own
 *      department would let a participant disrupt every journey that
 *      depends on it, for the whole class.
 *    A seat's event is re-written from its parsed members (a flat mapping
 *    of names and numbers), so that what reaches the run is exactly what
 *    was checked here.
 *  Rate limit: a department seat makes at most one change per `gap_ms`
 *  (2 s in cxsim-web): any set or event that passed the permission check
 *  counts, taken by the run or refused by it, so that a class clicking
 *  away cannot flood the run's control socket; status is never limited.
 *
 *  Ownership: cx_web_seats_t is caller storage (_init/_fini); strings are
 *  copied. Thread safety: _find, _permit and _who read what never changes
 *  after _init; _take, _seen and _json take the seats' mutex.
 *  Errors: functions returning int give -1 with a message in err/why.
 */
#ifndef CX_WEB_SEATS_H
#define CX_WEB_SEATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_web_json.h"

#define CX_WEB_TOKEN_LEN 22     /* characters of a token (128 bits, base64url) */
#define CX_WEB_SEATS_MAX 65     /* the trainer and up to 64 departments */
#define CX_WEB_SEAT_GAP_MS 2000 /* a department seat's least time between two changes */

typedef enum { CX_WEB_ROLE_TRAINER = 0, CX_WEB_ROLE_DEPARTMENT } cx_web_role_t;

typedef struct {
    cx_web_role_t role;
    char dept[64];                    /* the department's id; "" for the trainer */
    char token[CX_WEB_TOKEN_LEN + 1]; /* NUL-terminated */
    int64_t last_change_ms;           /* when its last change went out, or -1 */
    int64_t last_seen_ms;             /* its last request, or -1 */
    int changes;                      /* changes sent */
} cx_web_seat_t;

typedef struct {
    pthread_mutex_t mu;
    cx_web_seat_t seat[CX_WEB_SEATS_MAX]; /* seat[0] is the trainer */
    int n;
    int64_t gap_ms;
} cx_web_seats_t;

/* 16 bytes as a 22-character base64url token (NUL-terminated). */
void cx_web_token_encode(const uint8_t raw[16], char out[CX_WEB_TOKEN_LEN + 1]);
/* A new random token. Returns 0, or -1 with a message. */
int cx_web_token_new(char out[CX_WEB_TOKEN_LEN + 1], char *err, size_t cap);

/* The trainer's seat and one per department id (ids of letters, digits,
 * '_' and '-', at most 63 characters, at most 64 of them), each with a new
 * token. Returns 0, or -1 with a message. */
int cx_web_seats_init(cx_web_seats_t *s, const char *const *depts, int n, int64_t gap_ms, char *err,
                      size_t cap);
void cx_web_seats_fini(cx_web_seats_t *s);

/* The seat holding token (compared in constant time), or -1. */
int cx_web_seats_find(const cx_web_seats_t *s, const char *token);

/* What a seat may do with a command. */
typedef enum {
    CX_WEB_PERMIT_READ = 0, /* allowed, not a change (status) */
    CX_WEB_PERMIT_CHANGE,   /* allowed, a change: rate-limited for a department seat */
    CX_WEB_PERMIT_FORBIDDEN /* refused: why says so */
} cx_web_permit_t;

/* Checks verb and value (as POST /api/command has them) for seat. The value
 * to forward is written into out (the same, or a seat's event re-written).
 * For the trainer, every verb is allowed (READ for status, CHANGE for the
 * others); the server checks the command itself afterwards. */
cx_web_permit_t cx_web_seats_permit(const cx_web_seats_t *s, int seat, const char *verb,
                                    const char *value, char *out, size_t ocap, char *why,
                                    size_t wcap);

/* Takes a change for seat at now_ms (any monotonic clock): 0 taken, or 1
 * too soon, with the milliseconds to wait in *retry_ms. The trainer is
 * never limited. */
int cx_web_seats_take(cx_web_seats_t *s, int seat, int64_t now_ms, int64_t *retry_ms);
/* Notes a request of seat at now_ms. */
void cx_web_seats_seen(cx_web_seats_t *s, int seat, int64_t now_ms);

/* "trainer" or "ID seat". */
void cx_web_seats_who(const cx_web_seats_t *s, int seat, char *out, size_t cap);

/* {"role":"trainer","classroom":true} or
 * {"role":"department","department":"ID","classroom":true} */
void cx_web_seats_whoami_json(const cx_web_seats_t *s, int seat, cx_wbuf_t *out);
/* Every seat, for the trainer: [{"role", "department", "token", "changes",
 * "seen_ms_ago" (-1: never), "change_ms_ago" (-1: none)}, ...]. */
void cx_web_seats_json(cx_web_seats_t *s, int64_t now_ms, cx_wbuf_t *out);

#endif
