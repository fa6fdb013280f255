/*  cx_records — the fixed-size records that travel between persona shards
 *  and departments in batches, and the customer id scheme.
 *
 *  Records are plain little-endian structs with no padding holes; the
 *  protocol ships arrays of them as msgpack `bin` payloads (docs/PROTOCOL.md
 *  gives the byte layout). The model produces and consumes them; it never
 *  sends them.
 *
 *  Customer ids are global: (persona index << 40) | persona-local index.
 *  A persona's customer with local index j lives in shard j % nshards, so
 *  ids, and every draw keyed by them, do not depend on the shard count.
 */
#ifndef CX_RECORDS_H
#define CX_RECORDS_H

#include <assert.h>
#include <stdint.h>

#define CX_CID_LOCAL_BITS 40
#define CX_CID(persona, local) (((uint64_t)(persona) << CX_CID_LOCAL_BITS) | (uint64_t)(local))
#define CX_CID_PERSONA(cid) ((int)((cid) >> CX_CID_LOCAL_BITS))
#define CX_CID_LOCAL(cid) ((int64_t)((cid) & ((UINT64_C(1) << CX_CID_LOCAL_BITS) - 1)))
#define CX_NO_DEPT 0xFF

/* Request flags */
#define CX_REQ_HANDOFF 0x01      /* handed over by department `from` */
#define CX_REQ_CONTEXT_LOST 0x02 /* the hand-off lost the case's context */

/* One customer asking one department for service at one touchpoint. */
typedef struct {
    uint64_t cid;     /* global customer id */
    uint32_t arrival; /* tick the request was made */
    uint8_t journey;  /* journey index */
    uint8_t tp;       /* touchpoint index in the journey */
    uint8_t flags;    /* CX_REQ_* */
    uint8_t from;     /* department that handed it over, or CX_NO_DEPT */
} cx_request_t;
static_assert(sizeof(cx_request_t) == 16, "cx_request_t is 16 bytes on the wire");

/* Outcome flags */
#define CX_OUT_RESOLVED 0x01       /* the case was resolved */
#define CX_OUT_HANDOFF 0x02        /* unresolved, handed to `handoff_to` */
#define CX_OUT_HANDOFF_FAILED 0x04 /* the hand-off lost the context */
#define CX_OUT_ABANDONED 0x08      /* the customer gave up waiting (never served) */

/* Score scale on the wire: a pillar score s in 0..10 travels as round(s x 20). */
#define CX_SCORE_SCALE 20

/* What one department delivered to one customer at one touchpoint. */
typedef struct {
    uint64_t cid;                 /* global customer id */
    uint32_t wait;                /* ticks between arrival and service */
    uint8_t journey;              /* journey index */
    uint8_t tp;                   /* touchpoint index */
    uint8_t flags;                /* CX_OUT_* */
    uint8_t handoff_to;           /* department index, or CX_NO_DEPT */
    uint8_t pillar[6];            /* six pillar scores, 0..200 (score x 20) */
    uint8_t dept;                 /* department that served it */
    uint8_t reserved;             /* 0 */
} cx_outcome_t;
static_assert(sizeof(cx_outcome_t) == 24, "cx_outcome_t is 24 bytes on the wire");

#endif
