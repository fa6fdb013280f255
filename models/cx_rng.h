/*  cx_rng — counter-based random numbers (Random123 Philox4x32-10).
 *
 *  Every draw is a pure function of (seed, stream, entity id, tick, draw
 *  index): no state, no dependence on evaluation order, process count or
 *  how customers are split over shards. Streams keep unrelated decisions
 *  apart, so adding a draw to one never shifts another.
 */
#ifndef CX_RNG_H
#define CX_RNG_H

#include <math.h>
#include <stdint.h>

/* Named streams. Append only: renumbering changes every result. */
enum {
    CX_STREAM_INIT = 1,     /* initial customer state */
    CX_STREAM_JOURNEY,      /* visits, gaps between touchpoints */
    CX_STREAM_SERVICE,      /* department outcomes */
    CX_STREAM_EXTERNAL,     /* outcomes of external touchpoints */
    CX_STREAM_SURVEY,       /* who is surveyed, and their answers */
    CX_STREAM_CHURN,        /* churn and competitor pull */
    CX_STREAM_REFERRAL,     /* referrals and spend */
    CX_STREAM_ACQUIRE,      /* new customers per persona */
    CX_STREAM_DEPT          /* department-level draws */
};

/* Four independent uniform 32-bit words for this key. */
void cx_rng4(uint64_t seed, uint32_t stream, uint64_t id, uint32_t tick, uint32_t draw,
             uint32_t out[4]);

/* The Philox key of (seed, stream), for callers that draw often from one
 * stream: cx_rng4k(cx_rng_key(seed, stream), ...) == cx_rng4(seed, stream, ...). */
typedef struct {
    uint32_t k[2]; /* Philox4x32 key words */
} cx_rng_key_t;
cx_rng_key_t cx_rng_key(uint64_t seed, uint32_t stream);
void cx_rng4k(cx_rng_key_t key, uint64_t id, uint32_t tick, uint32_t draw, uint32_t out[4]);

/* A uniform double in the open interval (0, 1) from one 32-bit word. */
static inline double cx_u01(uint32_t x)
{
    return ((double)x + 0.5) * (1.0 / 4294967296.0);
}

/* A uniform double in (0, 1) with 53 random bits from two words. */
static inline double cx_u01_53(uint32_t hi, uint32_t lo)
{
    uint64_t x = ((uint64_t)hi << 21) ^ (uint64_t)(lo >> 11);
    return ((double)(x & ((UINT64_C(1) << 53) - 1)) + 0.5) * (1.0 / 9007199254740992.0);
}

/* A cheap deviate of mean 0 and standard deviation 1 from one word: the
 * sum of two 16-bit uniforms (triangular on +-2.449). Bounded, which keeps
 * scores sane, and a tenth of the cost of Box-Muller. */
static inline double cx_tri(uint32_t x)
{
    double a = (double)(x & 0xFFFFu) + 0.5;
    double b = (double)(x >> 16) + 0.5;
    return ((a + b) * (1.0 / 65536.0) - 1.0) * 2.449489742783178;
}

/* The same deviate from the low 16 bits of x (two 8-bit uniforms): for
 * noise that is rounded anyway, so one word yields two deviates. */
static inline double cx_tri16(uint32_t x)
{
    double a = (double)(x & 0xFFu) + 0.5;
    double b = (double)((x >> 8) & 0xFFu) + 0.5;
    return ((a + b) * (1.0 / 256.0) - 1.0) * 2.449489742783178;
}

/* A uniform in (0, 1) from the high 16 bits of x. */
static inline double cx_u16(uint32_t x)
{
    return ((double)(x >> 16) + 0.5) * (1.0 / 65536.0);
}

/* Poisson deviate of mean lambda (<= 64) by inversion of one uniform u. */
static inline int64_t cx_poisson_u(double lambda, double u)
{
    if (!(lambda > 0.0)) {
        return 0;
    }
    double p = exp(-lambda);
    double f = p;
    int64_t k = 0;
    while (u > f && k < 1000) {
        k++;
        p *= lambda / (double)k;
        f += p;
        if (p <= 0.0) {
            break;
        }
    }
    return k;
}

/* A standard normal deviate from two 32-bit words (Box-Muller). */
double cx_normal(uint32_t a, uint32_t b);

/* A Poisson deviate with mean `lambda` drawn from the key's words
 * (inversion for small means, normal approximation above 64). */
int64_t cx_poisson(double lambda, uint64_t seed, uint32_t stream, uint64_t id, uint32_t tick);

#endif
