/*  cx_tp_counts — a run's pain and delight counts per touchpoint, read from
 *  its touchpoints.csv (the columns `pain`, `delight`, `failed_handoffs`,
 *  `waited`, `abandoned`: docs/MODEL.md, "Pain points and delights"), and
 *  the shares attribution reports from them.
 *
 *  Ownership: plain values in caller storage; the text is the caller's.
 *  Errors: -1 with a message naming the line or column in err.
 */
#ifndef CX_TP_COUNTS_H
#define CX_TP_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "cx_attribute.h"

/* What touchpoints.csv says of one touchpoint, summed over a run's ticks. */
typedef struct {
    int64_t interactions;    /* experiences there */
    int64_t pain;            /* of which below expectation */
    int64_t delight;         /* of which CX_DELIGHT_MARGIN or more above it */
    int64_t failed_handoffs; /* hand-offs from there that lost their context */
    int64_t waited;          /* outcomes served after waiting in a backlog */
    int64_t abandoned;       /* customers who gave up waiting there */
} cx_tp_counts_t;

/* Sums the rows of touchpoints.csv (csv, len bytes) into out[i] for each
 * touchpoint tps[i] (matched by "journey/touchpoint"). Rows of touchpoints
 * not in tps are an error (another scenario's file). Returns 0, or -1. */
int cx_tp_counts_read(const char *csv, size_t len, const cx_attr_tp_t *tps, int n_tp,
                      cx_tp_counts_t *out, char *err, size_t errlen);

/* The shares of one touchpoint, in % of its interactions (NaN with none). */
typedef enum {
    CX_SHARE_PAIN = 0,  /* experiences below expectation */
    CX_SHARE_DELIGHT,   /* experiences well above it */
    CX_SHARE_HANDOFF,   /* failed hand-offs */
    CX_SHARE_WAITED,    /* served after a wait */
    CX_SHARE_ABANDONED, /* gave up waiting */
    CX_SHARES
} cx_share_t;

/* Column name of a share ("pain_share", ...). */
const char *cx_share_name(cx_share_t s);

/* share[s] for c, in %. */
void cx_tp_shares(const cx_tp_counts_t *c, double share[CX_SHARES]);

#endif
