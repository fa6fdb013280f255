/*  cx_gap — the gap between the company today and a target (`cxsim gap`):
 *  per department (and per axis, from an assessment), the CX owner and the
 *  governance, what the gap costs in KPIs from paired runs, and the gap as
 *  the search space of `cxsim optimise`.
 *
 *  The runs themselves are the command's (cli/cx_cmd_gap.c): R replicates
 *  of each side, replicate r with the same seed on both sides (common random
 *  numbers, the seeds of `cxsim compare`). Here: what a run's kpis.csv sums
 *  up to, the paired differences and their interval, and the texts.
 *
 *  KPIs of one run (docs/EXPERIMENTS.md, "Gap analysis"), over all its ticks:
 *  mean nps, csat, ces and churn_rate; total revenue and operating_profit;
 *  the last tick's customers_end.
 *
 *  Ownership: plain values in caller storage; text goes to a caller's
 *  cx_buf_t. Errors: -1 with a message in err (or diagnostics).
 */
#ifndef CX_GAP_H
#define CX_GAP_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_assess.h"
#include "cx_dx_util.h"
#include "cx_scenario.h"

#define CX_GAP_KPIS 7       /* KPIs summarised per run */
#define CX_GAP_MAX_REPS 100 /* replicates per side */

typedef enum {
    CX_GAP_NPS = 0,          /* mean nps over the ticks */
    CX_GAP_CSAT,             /* mean csat */
    CX_GAP_CES,              /* mean ces */
    CX_GAP_CHURN_RATE,       /* mean churn_rate, % per tick */
    CX_GAP_REVENUE,          /* total revenue */
    CX_GAP_OPERATING_PROFIT, /* total operating_profit */
    CX_GAP_CUSTOMERS         /* customers_end at the last tick */
} cx_gap_kpi_t;

/* Name of a KPI as printed and in gap.csv ("nps", ..., "total_revenue"). */
const char *cx_gap_kpi_name(cx_gap_kpi_t k);
/* True when more is better (false for churn_rate). */
bool cx_gap_kpi_higher_better(cx_gap_kpi_t k);

/* One department's gap. */
typedef struct {
    char id[CX_ID_MAX];     /* department id */
    double from;            /* maturity today */
    double to;              /* target maturity */
    bool has_axes;          /* from an assessment: the axes below are set */
    double axis[CX_Q_AXES]; /* axis scores today */
} cx_gap_dept_t;

typedef struct {
    cx_gap_dept_t dept[CX_MAX_DEPTS]; /* in the current scenario's order */
    int n_dept;                       /* entries used */
    int owner_from, owner_to;         /* cx_owner_t today and in the target */
    int gov_from, gov_to;             /* cx_governance_t today and in the target */
} cx_gap_t;

/* The gap between two scenarios with the same departments (by id, any
 * order). Returns 0, or -1 with a message in err naming the department. */
int cx_gap_between(const cx_scenario_t *cur, const cx_scenario_t *tgt, cx_gap_t *gap, char *err,
                   size_t errlen);

/* The target "every department at `level` at least": tgt is a copy of cur
 * with every maturity below level raised to it. */
void cx_gap_target_level(const cx_scenario_t *cur, double level, cx_scenario_t *tgt);

/* Adds the axis scores of the assessed departments to the gap. */
void cx_gap_add_axes(cx_gap_t *gap, const cx_assessment_t *as);

/* The KPIs of one run from the text of its kpis.csv. Returns 0, or -1
 * with a message (missing column, no row, a value that is not a number). */
int cx_gap_run_kpis(const char *csv, size_t len, double out[CX_GAP_KPIS], char *err, size_t errlen);

/* Paired statistics of one KPI over n replicates. */
typedef struct {
    int n;         /* replicates */
    double cur;    /* mean today */
    double tgt;    /* mean in the target */
    double delta;  /* mean of tgt_r - cur_r */
    double lo, hi; /* its 95% interval (NaN with n = 1) */
} cx_gap_stat_t;

/* Mean of the paired differences and its interval: delta ± t975 x sd /
 * sqrt(n), t975 the 0.975 quantile of Student's t with n - 1 degrees of
 * freedom (the caller's, so that every command uses one implementation). */
void cx_gap_paired(const double *cur, const double *tgt, int n, double t975, cx_gap_stat_t *st);

/* The report: the departments' gaps (and axes), owner and governance. */
void cx_gap_report_orgs(cx_buf_t *b, const cx_gap_t *gap);

#define CX_GAP_ORG_COST 100000.0 /* cost written for an owner or governance move */

/* A search space read back (`cxsim optimise --space FILE`). */
typedef struct {
    char id[CX_MAX_DEPTS][CX_ID_MAX]; /* departments that may rise */
    double from[CX_MAX_DEPTS];        /* their level today (as the gap saw it) */
    double to[CX_MAX_DEPTS];          /* their target */
    int line[CX_MAX_DEPTS];           /* where each sits, for messages */
    int column[CX_MAX_DEPTS];         /* its column */
    int n;                            /* entries used */
    bool owner_move;                  /* cx_owner given */
    int owner_to;                     /* cx_owner_t reached */
    double owner_cost;                /* its cost */
    bool gov_move;                    /* governance given */
    int gov_to;                       /* cx_governance_t reached */
    double gov_cost;                  /* its cost */
} cx_gap_space_t;

/* Loads a search space file (what cx_gap_space_text writes). Department
 * ids are not checked here (the caller knows the scenario). Returns 0, or
 * -1 with diagnostics. */
int cx_gap_space_load_file(const char *path, cx_gap_space_t *sp, cx_diags_t *diags);

/* The gap as cxsim optimise's search space (docs/EXPERIMENTS.md, "Gap
 * analysis"): YAML naming `scenario`, the departments to raise with their
 * levels today and their targets, and the owner and governance moves
 * (each costing CX_GAP_ORG_COST unless the file is edited). */
void cx_gap_space_text(cx_buf_t *b, const cx_gap_t *gap, const char *scenario);

#endif
