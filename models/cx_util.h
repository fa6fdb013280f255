/*  cx_util — small numeric helpers shared inside the model (not part of
 *  the engine contract).
 *
 *  Rounding here avoids floor() and llrint(), which compile to library
 *  calls on the baseline x86-64 target and sat on the hottest paths. Ties
 *  round away from zero, deterministically on every platform.
 */
#ifndef CX_UTIL_H
#define CX_UTIL_H

#include <stdint.h>

static inline double cx_clampd(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Nearest integer to x, ties away from zero. |x| < 2^62. */
static inline int64_t cx_round(double x)
{
    return x >= 0.0 ? (int64_t)(x + 0.5) : -(int64_t)(0.5 - x);
}

/* Nearest integer to x clamped to lo..hi (lo <= hi, both whole). */
static inline int cx_round_in(double x, double lo, double hi)
{
    return (int)cx_round(cx_clampd(x, lo, hi));
}

/* floor(x) for 0 <= x < 2^62. */
static inline int64_t cx_floor_pos(double x)
{
    return (int64_t)x;
}

#endif
