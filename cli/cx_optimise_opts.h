/*  cx_optimise_opts — the command line of `cxsim optimise`: its options
 *  (the table, read by config/cx_opts: exact names, --opt V and --opt=V,
 *  "did you mean"), their defaults and checks, and its usage text.
 *
 *  Ownership: the strings in cx_optimise_opts_t point into argv. Errors:
 *  cx_optimise_parse prints the reason and returns -1 (the caller exits 2);
 *  --help prints the usage and exits 0.
 */
#ifndef CX_OPTIMISE_OPTS_H
#define CX_OPTIMISE_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cx_exp_cmd.h"
#include "cx_scenario.h"

#define CX_OPTIMISE_MAX_SETS 16           /* --set options */
#define CX_OPTIMISE_DEFAULT_COST 250000.0 /* --cost-per-level */

typedef enum { CX_OBJ_NET = 0, CX_OBJ_NPS, CX_OBJ_CHURN, CX_OBJ_COUNT } cx_optimise_objective_t;

/* The objectives' names, as --objective takes them. */
extern const char *const cx_optimise_objectives[CX_OBJ_COUNT];

typedef struct {
    const char *scenario;
    double budget;
    bool have_budget;
    int steps;
    const char *moves;
    const char *space; /* --space FILE: a gap's search space (cxsim gap) */
    double cost_per_level;
    const char *costs[CX_MAX_DEPTS];
    int n_costs;
    int over; /* 0: default */
    cx_optimise_objective_t objective;
    int beam;
    double window_days; /* --window: days of a final KPI's mean */
    const char *sets[CX_OPTIMISE_MAX_SETS];
    int n_sets;
    cx_exp_common_t com; /* --replicates, --jobs, --seed, --ticks, --engine, --out, --quiet */
} cx_optimise_opts_t;

/* Reads the command line into o. 0, or -1 (printed). */
int cx_optimise_parse(int argc, char **argv, cx_optimise_opts_t *o);

void cx_optimise_usage(FILE *fp);

#endif
