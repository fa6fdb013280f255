/*  cx_exp_grid — the parameter grid of a sweep and the seed of every run.
 *
 *  A sweep's `--set KEY=SPEC` options are the grid's axes. SPEC is a
 *  comma-separated list of items; an item is a literal value ("4",
 *  "cx_team", "[1, 2]") or a numeric range "A..B" (step 1) or "A..B:STEP"
 *  (A, A+STEP, ... up to B inclusive, within 1e-9 of a step). An axis with
 *  one value is a fixed override. The grid is the Cartesian product of the
 *  axes in the order given, the first axis varying slowest.
 *
 *  A grid point is identified by its key: its "KEY=VALUE" assignments
 *  joined by newlines, in axis order. The key, not the point's position,
 *  feeds the seed, so adding values to an axis later leaves the seeds (and
 *  so the completed runs) of existing points unchanged.
 *
 *  Seeds (documented in docs/EXPERIMENTS.md):
 *      h    = splitmix64(base_seed)
 *      h    = splitmix64(h ^ fnv1a64(point_key))      independent streams
 *                                                    (skipped with common
 *                                                    random numbers)
 *      h    = splitmix64(h ^ replicate)
 *      seed = h & (2^53 - 1)
 *  The 53-bit mask keeps every seed exact as a double (JSON, R, Python).
 *
 *  Ownership: a cx_exp_grid_t is caller storage whose keys and values are
 *  heap copies, freed by cx_exp_grid_fini; cx_exp_point_sets fills strings
 *  the caller frees with cx_exp_point_fini.
 *  Errors: -1 with a human-readable reason in err (the command then exits
 *  with status 2).
 */
#ifndef CX_EXP_GRID_H
#define CX_EXP_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CX_EXP_MAX_AXES 32        /* --set options in one sweep */
#define CX_EXP_MAX_VALUES 100000  /* values of one axis */
#define CX_EXP_MAX_POINTS 1000000 /* points of one grid */
#define CX_EXP_SEED_MASK ((UINT64_C(1) << 53) - 1)

typedef struct {
    char *key;     /* dotted scenario key, e.g. "departments.it.maturity" */
    char **values; /* expanded values, as text */
    int n;         /* entries in values */
} cx_exp_axis_t;

typedef struct {
    cx_exp_axis_t axis[CX_EXP_MAX_AXES]; /* in the order given */
    int n_axis;                          /* entries used */
} cx_exp_grid_t;

/* One grid point's overrides. */
typedef struct {
    long long index;            /* position in the grid */
    char *set[CX_EXP_MAX_AXES]; /* "KEY=VALUE", one per axis */
    int n;                      /* entries used */
    char *key;                  /* the sets joined by '\n' */
    char *params_json;          /* {"KEY": VALUE, ...}, numbers unquoted */
} cx_exp_point_t;

void cx_exp_grid_init(cx_exp_grid_t *g);
void cx_exp_grid_fini(cx_exp_grid_t *g);

/* Expands SPEC ("1..5", "1..5:0.5", "a,b", "1,3..4") into *values (a heap
 * array of heap strings, the caller's; free with cx_exp_values_free).
 * Returns the number of values, or -1 with err set. */
int cx_exp_values_parse(const char *spec, char ***values, char *err, size_t errlen);
void cx_exp_values_free(char **values, int n);

/* Adds the axis "KEY=SPEC". Returns 0, or -1 with err set (no '=', empty
 * key or value, a key given twice, a bad range, too many values or
 * points, a tab or newline in a value). */
int cx_exp_grid_add(cx_exp_grid_t *g, const char *set, char *err, size_t errlen);

/* Points in the grid (1 for a grid with no axis). */
long long cx_exp_grid_points(const cx_exp_grid_t *g);

/* Fills p with point `index` (0 <= index < points). Returns 0, or -1 on
 * out of memory. */
int cx_exp_point_sets(const cx_exp_grid_t *g, long long index, cx_exp_point_t *p);
void cx_exp_point_fini(cx_exp_point_t *p);

/* SplitMix64's output function applied to x + golden gamma. */
uint64_t cx_exp_splitmix64(uint64_t x);
/* 64-bit FNV-1a of a NUL-terminated string. */
uint64_t cx_exp_fnv1a64(const char *s);
/* The seed of replicate r of a point (see above); point_key NULL gives
 * common random numbers: the same seed for replicate r at every point. */
uint64_t cx_exp_seed(uint64_t base_seed, const char *point_key, int replicate);

#endif
