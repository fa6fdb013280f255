/*  cx_rng — Philox4x32-10 keyed by (seed, stream), counted by
 *  (entity id, tick, draw). See cx_rng.h for the contract. */
#include "cx_rng.h"

#include <math.h>

/* Random123's headers are written for many compilers and trip -Wextra
 * here; the warnings are theirs, not ours, so they are silenced for the
 * include only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wexpansion-to-defined"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <Random123/philox.h>
#pragma GCC diagnostic pop

/* splitmix64 finaliser: spreads (seed, stream) over the 64-bit key so that
 * neighbouring seeds or streams give unrelated sequences. */
static inline uint64_t s_mix(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

cx_rng_key_t cx_rng_key(uint64_t seed, uint32_t stream)
{
    uint64_t k = s_mix(seed ^ s_mix((uint64_t)stream));
    cx_rng_key_t key = {{(uint32_t)k, (uint32_t)(k >> 32)}};
    return key;
}

void cx_rng4k(cx_rng_key_t k, uint64_t id, uint32_t tick, uint32_t draw, uint32_t out[4])
{
    philox4x32_key_t key = {{k.k[0], k.k[1]}};
    philox4x32_ctr_t ctr = {{(uint32_t)id, (uint32_t)(id >> 32), tick, draw}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    out[0] = r.v[0];
    out[1] = r.v[1];
    out[2] = r.v[2];
    out[3] = r.v[3];
}

void cx_rng4(uint64_t seed, uint32_t stream, uint64_t id, uint32_t tick, uint32_t draw,
             uint32_t out[4])
{
    cx_rng4k(cx_rng_key(seed, stream), id, tick, draw, out);
}

double cx_normal(uint32_t a, uint32_t b)
{
    double u1 = cx_u01(a);
    double u2 = cx_u01(b);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int64_t cx_poisson(double lambda, uint64_t seed, uint32_t stream, uint64_t id, uint32_t tick)
{
    if (!(lambda > 0.0)) {
        return 0;
    }
    uint32_t w[4];
    cx_rng4(seed, stream, id, tick, 0, w);
    if (lambda > 64.0) {
        /* Normal approximation with continuity correction: the relative
         * error is below 2 % from here on, and inversion would need long
         * loops. */
        double x = lambda + sqrt(lambda) * cx_normal(w[0], w[1]);
        /* Means beyond 2^52 (only from corrupt input) saturate instead of
         * overflowing the conversion. */
        if (!(x < 4503599627370496.0)) {
            return x != x ? 0 : INT64_C(4503599627370496);
        }
        return x < 0.0 ? 0 : (int64_t)floor(x + 0.5);
    }
    return cx_poisson_u(lambda, cx_u01_53(w[2], w[3]));
}
