/*  cx_check_file — reality-check files (scenarios/checks/NAME.yaml): YAML in,
 *  a validated list of checks out, every problem reported at once as
 *  FILE:LINE:COLUMN with "did you mean" (the diagnostics of scenario
 *  files, config/cx_load.h).
 *
 *  A check file holds one key, `checks`, a list of checks:
 *
 *      checks:
 *        - name: IT maturity lifts NPS
 *          source: "002: la technologie modele chaque point de contact"
 *          scenario: ../baseline.yaml     # relative to the check file
 *          set: [ticks=730]               # both sides (optional)
 *          change: {set: [departments.it.maturity=4], timeline: [...]}
 *          kpi: nps                       # a column of kpis.csv
 *          how: mean                      # mean | sum | last | growth
 *          window: [548, 730]             # ticks [from, to)
 *          replicates: 10
 *          quick: true
 *          expect: increase
 *
 *  `expect` is a name (increase, decrease, no_decrease, no_increase; the
 *  last two with `tolerance`) or a one-key mapping ({between: [a, b]},
 *  {ratio_between: [a, b]}). `reference_window` (a check without a
 *  change only) compares the window with another window of the same run.
 *  docs/EXPERIMENTS.md documents every key.
 *
 *  KPI names: a name among the columns kpis.csv has today is accepted; a
 *  name close to one of them is an error with a suggestion; any other name
 *  is accepted provisionally (a newer engine may write it) and checked
 *  against the header of kpis.csv once the runs exist
 *  (cx_check_kpi_known).
 *
 *  Ownership: cx_checks_t is caller storage; cx_checks_fini frees it.
 *  Errors: -1 when at least one diagnostic was added.
 */
#ifndef CX_CHECK_FILE_H
#define CX_CHECK_FILE_H

#include <stdbool.h>

#include "cx_load.h"

#define CX_CHECK_MAX_SETS                                                                          \
    16 /* entries of `set` and of `change.set` (each): a side gets at most                         \
        * 2 x 16 + 1 overrides, which a cxsim run command line holds                               \
        * (CX_EXP_MAX_ARGS) */
#define CX_CHECK_MAX_CHECKS 1000 /* checks over every file */

typedef enum {
    CX_EXPECT_INCREASE = 0, /* delta CI above 0 */
    CX_EXPECT_DECREASE,     /* delta CI below 0 */
    CX_EXPECT_NO_DECREASE,  /* delta CI low above -tolerance */
    CX_EXPECT_NO_INCREASE,  /* delta CI high below +tolerance */
    CX_EXPECT_BETWEEN,      /* delta (or, without a change, mean) CI inside [lo, hi] */
    CX_EXPECT_RATIO_BETWEEN /* scenario / baseline ratio CI inside [lo, hi] */
} cx_expect_t;

typedef enum {
    CX_HOW_MEAN = 0, /* mean over the window's ticks */
    CX_HOW_SUM,      /* sum over the window's ticks */
    CX_HOW_LAST,     /* value at the window's last tick */
    CX_HOW_GROWTH    /* last value / first value of the window */
} cx_how_t;

/* Where a node sat in its file. */
typedef struct {
    int line;   /* 1-based, 0 when unknown */
    int column; /* 1-based */
} cx_check_pos_t;

typedef struct {
    char name[128];        /* unique over every file */
    char source[512];      /* where the statement comes from */
    char file[1024];       /* the check file, as given */
    char path[64];         /* key path of the check, "checks[3]" */
    cx_check_pos_t at;     /* the check's item */
    cx_check_pos_t kpi_at; /* its `kpi` value */
    cx_check_pos_t set_at; /* its `set` (or the item when absent) */
    cx_check_pos_t chg_at; /* its `change` (or the item when absent) */
    char scenario[4096];   /* the scenario file, resolved against the check file's directory */
    char *set[CX_CHECK_MAX_SETS];    /* heap: "KEY=VALUE" for both sides */
    int n_set;                       /* entries used */
    char *change[CX_CHECK_MAX_SETS]; /* heap: change.set, the scenario side's own overrides */
    int n_change;                    /* entries used */
    bool has_change;                 /* a `change` was given */
    char *timeline_items;            /* heap: change.timeline's events as flow YAML items
                                        ("{at: 5, event: price, value: 1.1}, ..."), or NULL */
    char kpi[64];                    /* a kpis.csv column */
    bool kpi_known;                  /* among today's columns */
    cx_how_t how;                    /* aggregate over the window */
    int window[2];                   /* ticks [from, to) */
    bool has_ref;                    /* reference_window given */
    int ref[2];                      /* reference window, ticks [from, to) */
    int replicates;                  /* paired replicates */
    bool quick;                      /* part of --quick */
    cx_expect_t expect;              /* what must hold */
    double lo, hi;                   /* between / ratio_between bounds */
    double tolerance;                /* no_decrease / no_increase, KPI units */
} cx_check_t;

typedef struct {
    cx_check_t *items; /* checks, in file order */
    int n;             /* entries used */
    int cap;           /* allocated */
} cx_checks_t;

void cx_checks_init(cx_checks_t *c);
void cx_checks_fini(cx_checks_t *c);

/* Loads and validates the check file at path, appending its checks to
 * out. Names must be unique over everything out holds. Returns 0, or -1
 * with diagnostics (the checks of a file with errors are not kept). */
int cx_checks_load_file(const char *path, cx_checks_t *out, cx_diags_t *diags);

/* The same from memory; `name` is used in diagnostics, `dir` resolves the
 * relative scenario paths. */
int cx_checks_load_string(const char *name, const char *dir, const char *text, size_t len,
                          cx_checks_t *out, cx_diags_t *diags);

/* The contract columns of kpis.csv (models/cx_kpi_cols.c, tick excluded), for validation and
 * suggestions. Static storage; *n gets the count. */
const char *const *cx_check_kpi_columns(int *n);

/* The override that gives the scenario side its timeline when the change
 * has timeline events: "timeline=[E1, ..., N1, ...]", the scenario file's
 * events (after the check's `set`) followed by the change's. NULL without
 * change.timeline, or on out of memory. The caller frees it. */
char *cx_check_timeline_set(const cx_check_t *c);

/* Names of the expect kinds and aggregates. */
const char *cx_expect_name(cx_expect_t e);
const char *cx_how_name(cx_how_t h);

/* The statement of a check in words ("increase", "between -6 and 29",
 * "ratio between 1.3 and 1.8", "no decrease beyond 1") into buf. */
void cx_check_statement(const cx_check_t *c, char *buf, size_t cap);

#endif
