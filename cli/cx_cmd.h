/*  cx_cmd — the subcommands of the `cxsim` launcher. Each takes the
 *  arguments after `cxsim` (argv[0] is the subcommand's name) and returns
 *  the process exit status: 0 success, 1 the run failed, 2 invalid input.
 */
#ifndef CX_CMD_H
#define CX_CMD_H

#include "cx_curve.h"

int cx_cmd_run(int argc, char **argv);
int cx_cmd_resume(int argc, char **argv);
/* Live control of a running simulation (cx_cmd_ctl.c). */
int cx_cmd_ctl(int argc, char **argv);
/* A live table of a running simulation's rows (cx_cmd_watch.c). */
int cx_cmd_watch(int argc, char **argv);
/* A counterfactual branch of a run from its last checkpoint (cx_cmd_fork.c). */
int cx_cmd_fork(int argc, char **argv);
/* A new run key (cx_cmd_key.c). */
int cx_cmd_keygen(int argc, char **argv);
/* The --key FILE option of ctl, watch and fork: loads the run key at path
 * into k (k must have been zeroed: without --key, encryption stays off).
 * Returns 0, or -1 after a message naming `who`. */
int cx_cmd_key_load(const char *who, const char *path, cx_curve_t *k);
/* Experiments: parameter sweeps, paired comparisons, collecting the
 * results of Slurm array jobs (docs/EXPERIMENTS.md). */
int cx_cmd_sweep(int argc, char **argv);
int cx_cmd_compare(int argc, char **argv);
int cx_cmd_collect(int argc, char **argv);
/* One-at-a-time sensitivity of the model's parameters (cx_cmd_sensitivity.c). */
int cx_cmd_sensitivity(int argc, char **argv);
/* Fits model parameters to an observed KPI series (cx_cmd_calibrate.c). */
int cx_cmd_calibrate(int argc, char **argv);
/* Searches a maturity roadmap within a budget (cx_cmd_optimise.c). */
int cx_cmd_optimise(int argc, char **argv);
/* Reality checks: statements of the model's behaviour, run and judged
 * (cx_cmd_check.c). */
int cx_cmd_check(int argc, char **argv);
/* A maturity self-assessment scored into a scenario (cx_cmd_assess.c). */
int cx_cmd_assess(int argc, char **argv);
/* The gap between today and a target, its cost from paired runs (cx_cmd_gap.c). */
int cx_cmd_gap(int argc, char **argv);
/* Journey attribution: each touchpoint's contribution to the KPIs (cx_cmd_attribute.c). */
int cx_cmd_attribute(int argc, char **argv);
/* An offline HTML report of a run or compare directory (cx_cmd_report.c). */
int cx_cmd_report(int argc, char **argv);

#endif
