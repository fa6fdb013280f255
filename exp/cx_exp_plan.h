/*  cx_exp_plan — an experiment: its directory, its database, its points
 *  (scenario file + overrides) and the runs each point needs; shared by
 *  `cxsim sweep`, `cxsim compare` and `cxsim collect`.
 *
 *  Planning a point (cx_exp_plan_point_add) loads and validates its
 *  scenario once with its overrides (an invalid override is reported then,
 *  before any run starts) and records the point in the database. Planning
 *  a replicate (cx_exp_plan_queue) derives its seed (cx_exp_seed), emits
 *  the resolved scenario with that seed and hashes it: the hash is the
 *  run's identity. A replicate whose completed run in the database has the
 *  same hash is skipped (resume); one with another hash means the
 *  directory holds a different experiment, which is refused.
 *
 *  Recovery: a run that finished (its run.json written) but was not yet
 *  recorded, because the sweep was killed in between or the run came from
 *  a Slurm worker, is imported instead of being run again
 *  (cx_exp_plan_collect_dir).
 *
 *  Ownership: cx_exp_plan_t is caller storage; cx_exp_plan_fini frees what
 *  it holds (points, database). Errors: -1 with a message in err; rc 2 for
 *  invalid input where documented.
 */
#ifndef CX_EXP_PLAN_H
#define CX_EXP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_exp_db.h"
#include "cx_exp_exec.h"
#include "cx_exp_grid.h"
#include "cx_exp_util.h"
#include "cx_scenario.h"

typedef struct {
    long long id;       /* point id in the database */
    char *key;          /* identity: label and overrides */
    char *label;        /* "" in a sweep, "baseline"/"scenario" in a comparison */
    char *scenario;     /* absolute path of the scenario file */
    char *params_json;  /* its overrides as a JSON object */
    char **sets;        /* every override given to cxsim run ("KEY=VALUE") */
    int n_sets;         /* entries used */
    uint64_t base_seed; /* the scenario's seed after --seed */
    int planned;        /* replicates 0..planned-1 are part of the experiment */
    int outstanding;    /* runs queued or running */
    bool settled;       /* --target-ci: no more replicates needed (or the cap is reached) */
} cx_exp_ppoint_t;

typedef struct {
    char root[4096];        /* experiment directory, absolute */
    char exe[4096];         /* cxsim executable (this one) */
    char db_path[4200];     /* root/sweep.db or root/compare.db */
    cx_exp_db_t *db;        /* open database */
    const char *ticks;      /* --ticks value, or NULL */
    const char *seed;       /* --seed value (base seed), or NULL */
    bool crn;               /* common random numbers: seed independent of the point */
    cx_exp_ppoint_t *point; /* planned points */
    int n_point;            /* entries used */
    int cap_point;          /* allocated */
    long long skipped;      /* runs already completed, found while planning */
    long long recovered;    /* finished runs imported while planning */
    cx_scenario_t *cache;   /* the last point's scenario, loaded (heap) */
    int cache_pi;           /* which point it is, -1 when none */
    int lock_fd;            /* root/.lock, held while the experiment runs; -1 when not */
} cx_exp_plan_t;

/* Creates root (mkdir -p), resolves it and the executable, opens
 * root/db_name. Returns 0 or -1 (err). cx_exp_plan_fini must be called
 * either way. */
int cx_exp_plan_init(cx_exp_plan_t *pl, const char *root, const char *db_name, char *err,
                     size_t errlen);
void cx_exp_plan_fini(cx_exp_plan_t *pl);

/* Takes root/.lock so that two sweeps (or comparisons) never run in one
 * directory at once. Returns 0, or -1 (err) when another holds it. */
int cx_exp_plan_lock(cx_exp_plan_t *pl, char *err, size_t errlen);

/* Adds a point: scenario file, label, its overrides (n_sets "KEY=VALUE",
 * copied), params_json (what the summary shows; copied). Loads and
 * validates the scenario with the overrides, --ticks and --seed; on
 * invalid input prints the diagnostics to stderr and returns -2 (err says
 * which point). Returns the point's index in pl->point, or -1 (err) on
 * other errors. */
/* Point pi's scenario as its runs resolve it (file, overrides, --ticks),
 * loaded into the plan's cache: valid until the next load. NULL with a
 * message on failure. */
const cx_scenario_t *cx_exp_plan_scenario(cx_exp_plan_t *pl, int pi, char *err, size_t errlen);

int cx_exp_plan_point_add(cx_exp_plan_t *pl, const char *scenario, const char *label,
                          const char *key, char *const *sets, int n_sets, const char *params_json,
                          char *err, size_t errlen);

/* Builds the runs of replicates [from, to) of point index pi that are not
 * completed yet and queues them on ex (ex may be NULL: then *todo only
 * counts). Refuses (returns 2, err) when a completed run has another
 * scenario hash. Returns 0 or -1/2. *todo (may be NULL) gets the number
 * queued. */
int cx_exp_plan_queue(cx_exp_plan_t *pl, int pi, int from, int to, cx_exp_exec_t *ex, int *todo,
                      char *err, size_t errlen);

/* Builds run r of point pi (seed, hash, directory, arguments) into *run
 * (cx_exp_run_fini frees it). Returns 0, or -1 (err). */
int cx_exp_plan_build_run(cx_exp_plan_t *pl, int pi, int r, cx_exp_run_t *run, char *err,
                          size_t errlen);

/* Imports every finished, unrecorded run found in root/runs/. Fills the
 * counts (may be NULL): newly recorded completed, newly recorded failed,
 * already recorded. Returns 0 or -1 (err). */
int cx_exp_plan_collect_dir(cx_exp_db_t *db, const char *root, int *added, int *failed,
                            int *already, char *err, size_t errlen);

/* One run as a line of JSON (no newline) for a worker's plan file, into
 * b. */
void cx_exp_run_to_json(cx_buf_t *b, const cx_exp_run_t *run);
/* Parses such a line into *run (cx_exp_run_fini frees it). Returns 0, or
 * -1 (err) when it is not a run line. */
int cx_exp_run_from_json(const char *line, cx_exp_run_t *run, char *err, size_t errlen);

/* The point index of a run (by database id), or -1. */
int cx_exp_plan_find(const cx_exp_plan_t *pl, long long point_id);

/* A short deterministic directory name for an experiment definition:
 * "<prefix>/<name>-<first 8 hex digits of sha256(definition)>". */
void cx_exp_default_dir(char *buf, size_t cap, const char *prefix, const char *name,
                        const char *definition);

/* The same, named after a scenario file: its base name without its
 * extension ("scenarios/baseline.yaml" -> "baseline"). */
void cx_exp_default_dir_for(char *buf, size_t cap, const char *prefix, const char *scenario,
                            const char *definition);

/* Number of online processors (at least 1). */
int cx_exp_cores(void);

#endif
