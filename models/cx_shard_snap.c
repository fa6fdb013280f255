/*  cx_shard_snap — a persona shard's snapshot (checkpoints): its header,
 *  next[] and the customer records, in the host byte order; restore
 *  checks that the snapshot is this shard's before taking it.
 *
 *  Ownership: cx_shard_snapshot returns a malloc'ed buffer the caller
 *  frees. Errors: -1 (out of memory, or a snapshot that is not this
 *  shard's).
 */
#include <stdlib.h>
#include <string.h>

#include "cx_shard.h"
#include "cx_shard_impl.h"

#define S_SNAP_MAGIC 0x43585348u /* "CXSH" */
#define S_SNAP_VERSION 3u

/* --- snapshot ------------------------------------------------------- */

/* Snapshot header; next[] then the customer records follow. */
typedef struct {
    uint32_t magic;         /* S_SNAP_MAGIC */
    uint32_t version;       /* S_SNAP_VERSION */
    int32_t persona;        /* persona index */
    int32_t shard;          /* shard */
    int32_t nshards;        /* shards */
    int32_t reserved;       /* 0 */
    uint64_t n;             /* customers that follow */
    int64_t sums[4];        /* sat_sum, exp_sum, eff_sum, active */
    double price_seen;      /* price of the hazards */
    double price_factor;    /* its factor */
    cx_shard_stats_t stats; /* running totals */
} s_snap_t;

int cx_shard_snapshot(const cx_shard_t *self, uint8_t **buf, size_t *len)
{
    size_t total = sizeof(s_snap_t) + self->n * cx_shard_bytes_per_customer();
    uint8_t *b = malloc(total);
    if (!b) {
        return -1;
    }
    s_snap_t h;
    memset(&h, 0, sizeof h);
    h.magic = S_SNAP_MAGIC;
    h.version = S_SNAP_VERSION;
    h.persona = self->persona;
    h.shard = self->shard;
    h.nshards = self->nshards;
    h.n = self->n;
    h.sums[0] = self->sat_sum;
    h.sums[1] = self->exp_sum;
    h.sums[2] = self->eff_sum;
    h.sums[3] = self->active;
    h.price_seen = self->price_seen;
    h.price_factor = self->price_factor;
    h.stats = self->stats;
    memcpy(b, &h, sizeof h);
    if (self->n) {
        memcpy(b + sizeof h, self->next, self->n * sizeof *self->next);
        memcpy(b + sizeof h + self->n * sizeof *self->next, self->c, self->n * sizeof *self->c);
    }
    *buf = b;
    *len = total;
    return 0;
}

int cx_shard_restore(cx_shard_t *self, const uint8_t *buf, size_t len)
{
    s_snap_t h;
    if (!buf || len < sizeof h) {
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    size_t per = cx_shard_bytes_per_customer();
    if (h.magic != S_SNAP_MAGIC || h.version != S_SNAP_VERSION || h.persona != self->persona ||
        h.shard != self->shard || h.nshards != self->nshards || h.n > (len - sizeof h) / per ||
        len != sizeof h + h.n * per) {
        return -1;
    }
    if (cx_shard__reserve(self, (size_t)h.n) != 0) {
        return -1;
    }
    size_t n = (size_t)h.n;
    if (n) {
        memcpy(self->next, buf + sizeof h, n * sizeof *self->next);
        memcpy(self->c, buf + sizeof h + n * sizeof *self->next, n * sizeof *self->c);
    }
    self->n = n;
    self->sat_sum = h.sums[0];
    self->exp_sum = h.sums[1];
    self->eff_sum = h.sums[2];
    self->active = h.sums[3];
    self->price_seen = h.price_seen;
    self->price_factor = h.price_factor;
    self->stats = h.stats;
    return 0;
}
