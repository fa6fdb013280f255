/*  cx_exp_roadmap — roadmaps for `cxsim optimise`: which departments to
 *  raise by one maturity level, in which order, within an investment
 *  budget (docs/EXPERIMENTS.md, "Roadmap optimiser").
 *
 *  A roadmap is a sequence of moves. Move k (1-based) starts at tick
 *  cx_rm_start_tick(k, steps, ticks) = k x ticks / (steps + 1) (integer
 *  division) and raises one department from its level at that tick (its
 *  starting maturity, then the `to` of the latest maturity event of the
 *  scenario or of the roadmap that starts at or before that tick) to the
 *  next whole level, floor(level) + 1 <= 5, ramped over `over` ticks, at
 *  the department's cost per level. A roadmap's cost is the sum of its
 *  moves' costs and must stay within the budget. With a gap's search space
 *  (`--space`, diagnose/cx_gap.h) a department stops at its target, may
 *  also jump straight to it, and the CX owner and the governance may each
 *  change once (events of their kind at the move's tick).
 *
 *  Everything here is pure (no files, no processes): candidate generation,
 *  the budget check, beam selection with deterministic tie-breaking, and
 *  the text of a roadmap's timeline (the scenario's own events followed by
 *  the moves) as a `timeline=[...]` override the loader checks like a file.
 *
 *  Ownership: roadmaps are plain values (caller storage); text goes to a
 *  caller's cx_buf_t (check its `oom`). Errors: functions return -1
 *  (or a negative count) for invalid arguments; nothing allocates except
 *  through the buffer.
 */
#ifndef CX_EXP_ROADMAP_H
#define CX_EXP_ROADMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_util.h"
#include "cx_scenario.h"

#define CX_RM_MAX_STEPS 16 /* moves in one roadmap */

/* One move: raise department `dept` from `from` to `to` starting at `tick`;
 * or (kind CX_EV_CX_OWNER / CX_EV_GOVERNANCE, dept -1) change the CX owner
 * or the governance from `from` to `to` (enum values as numbers). */
typedef struct {
    int dept;    /* department index in the scenario; -1 for an owner or governance move */
    int tick;    /* start tick */
    double from; /* level before the move */
    double to;   /* level reached: floor(from) + 1, capped at the target, or the target */
    int over;    /* ramp, ticks */
    double cost; /* investment of the move */
    cx_event_kind_t kind; /* CX_EV_MATURITY (0), CX_EV_CX_OWNER or CX_EV_GOVERNANCE */
} cx_rm_move_t;

/* A roadmap and what its evaluation found. */
typedef struct {
    cx_rm_move_t move[CX_RM_MAX_STEPS]; /* in order */
    int n;                              /* moves used (0: doing nothing) */
    double cost;                        /* sum of the moves' costs */
    long long point;                    /* its experiment point id, -1 until planned */
    int n_rep;                          /* replicates in the statistics */
    double mean;                        /* mean objective gain over doing nothing */
    double lo, hi, half;                /* its 95% CI (NaN with one replicate) */
    bool kept;                          /* kept in the beam at its step */
} cx_roadmap_t;

/* The search space: what a move may be. */
typedef struct {
    int steps;                   /* moves at most, 1..CX_RM_MAX_STEPS */
    int ticks;                   /* ticks of the run */
    int over;                    /* ramp of every move, >= 1 */
    double budget;               /* total cost allowed */
    double cost[CX_MAX_DEPTS];   /* cost of one level, per department */
    bool allowed[CX_MAX_DEPTS];  /* departments that may move (--moves) */
    double target[CX_MAX_DEPTS]; /* highest level a department may reach; 0 means 5 (--space) */
    bool jump;                   /* a move may also go straight to the target, costing
                                    cost x (ceil(target) - floor(from)) */
    bool owner_move;             /* the CX owner may change once, to owner_to */
    int owner_to;                /* cx_owner_t reached by that move */
    double owner_cost;           /* its cost */
    bool gov_move;               /* the governance may change once, to gov_to */
    int gov_to;                  /* cx_governance_t reached by that move */
    double gov_cost;             /* its cost */
} cx_rm_space_t;

/* Start tick of move k (1-based) of a roadmap of at most `steps` moves in
 * a run of `ticks` ticks: k x ticks / (steps + 1). */
int cx_rm_start_tick(int k, int steps, int ticks);

/* The default ramp: 60 ticks, but no longer than the spacing of the
 * moves' start ticks, ticks / (steps + 1), and at least 1. */
int cx_rm_default_over(int steps, int ticks);

/* Level of department d at tick `tick` with the roadmap's moves so far:
 * its starting maturity, then the target of the latest maturity event
 * (scenario's, then roadmap's at the same tick) starting at or before
 * tick. rm may be NULL. */
double cx_rm_level(const cx_scenario_t *sc, const cx_roadmap_t *rm, int d, int tick);

/* The next level above `level`: floor(level) + 1 (a fractional 2.5 goes to
 * 3), or -1 when level is already 5. */
double cx_rm_next_level(double level);

/* True when cost fits within budget (with a relative tolerance of 1e-9 so
 * that sums of decimal costs equal to the budget fit). */
bool cx_rm_fits(double cost, double budget);

/* Every feasible roadmap that appends one move to `base`: one per allowed
 * department (in department order) below its target (5 by default) at the
 * next start tick whose cost keeps the total within the budget, then (with
 * sp->jump) one straight to the target per department where that is more
 * than one step, then the owner and the governance moves not made yet;
 * none once base has sp->steps moves. Children get point -1, NaN statistics. Writes up to
 * cap into out; returns how many there are (may exceed cap), or -1 on
 * invalid arguments. */
int cx_rm_candidates(const cx_scenario_t *sc, const cx_rm_space_t *sp, const cx_roadmap_t *base,
                     cx_roadmap_t *out, int cap);

/* The most children cx_rm_candidates can give one roadmap (at least 1):
 * the departments, twice with jumps, plus the owner and governance moves. */
int cx_rm_max_candidates(const cx_scenario_t *sc, const cx_rm_space_t *sp);

/* Orders roadmaps best first: higher mean, then lower cost, then fewer
 * moves, then by moves (department index, then tick) in order; a NaN mean
 * comes last. Returns <0, 0, >0 like strcmp (0 only for equal roadmaps). */
int cx_rm_compare(const cx_roadmap_t *a, const cx_roadmap_t *b);

/* Beam selection: writes into keep[] the indices of the (at most) w best
 * of rm[0..n-1] by cx_rm_compare, best first, skipping NaN means, and
 * sets their `kept` (others are cleared). Returns how many were kept. */
int cx_rm_select(cx_roadmap_t *rm, int n, int w, int *keep);

/* Appends one event as a YAML flow mapping ("{at: 30, event: maturity,
 * department: it, to: 4, over: 60, cost: 250000}") with the keys its kind
 * takes; numbers in the shortest form that reads back exactly. */
void cx_rm_event_text(cx_buf_t *b, const cx_scenario_t *sc, const cx_event_spec_t *ev);

/* Appends the override "timeline=[...]": the scenario's own events (as
 * loaded) then the roadmap's moves as maturity events. */
void cx_rm_timeline_set(cx_buf_t *b, const cx_scenario_t *sc, const cx_roadmap_t *rm);

/* Appends the moves as compact text, "it@10:2>3; marketing@20:2>3"
 * ("none" for the empty roadmap): the roadmap's identity in the results. */
void cx_rm_key(cx_buf_t *b, const cx_scenario_t *sc, const cx_roadmap_t *rm);

/* Appends one move for people: "tick 73: it 2→3 over 60 ticks, cost
 * 250,000". */
void cx_rm_move_describe(cx_buf_t *b, const cx_scenario_t *sc, const cx_rm_move_t *m);

/* Payback, as `cxsim compare` defines it: given the cumulative net gain
 * net[0..n-1] per tick, the first index T with net[t] >= 0 for every t
 * from T on; -1 when net[n-1] < 0 (or n = 0). */
int cx_rm_payback(const double *net, int n);

/* A roadmap evaluated, with the step it belongs to (0: doing nothing). */
typedef struct {
    cx_roadmap_t rm; /* the roadmap and its statistics */
    int step;        /* search step */
} cx_rm_rec_t;

/* Evaluates rm[0..n-1] (fills each one's point, mean and CI); with_none:
 * rm[0] is the empty roadmap, the reference. 0, or non-zero to abort. */
typedef int(cx_rm_eval_fn)(void *ud, cx_roadmap_t *rm, int n, bool with_none);

/* Told after each step: how many roadmaps it evaluated and its best
 * (NULL when none). */
typedef void(cx_rm_step_fn)(void *ud, int step, int n, const cx_roadmap_t *top);

/* The greedy beam search: step k (1..sp->steps) appends every feasible
 * move (cx_rm_candidates) to each of the w kept roadmaps, evaluates them
 * (step 1 also evaluates doing nothing, first), keeps the w best
 * (cx_rm_select). Stops after sp->steps steps ("steps"), when no move
 * fits ("budget"), when a step's best does not beat the best so far ("no
 * improvement") or when eval aborts ("aborted"). Every roadmap evaluated
 * goes to all[0..*n_all-1] (at most cap_all), doing nothing first; *best
 * gets the best (doing nothing when none improved). Returns 0, 1 when
 * eval aborted (all and best hold what was found), or -1 out of memory. */
int cx_rm_search(const cx_scenario_t *sc, const cx_rm_space_t *sp, int w, cx_rm_eval_fn *eval,
                 cx_rm_step_fn *on_step, void *ud, cx_rm_rec_t *all, int cap_all, int *n_all,
                 cx_roadmap_t *best, const char **stop);

/* Why no first move fits: the number of departments that may move and are
 * below level 5 at the first move's tick, and *cheapest, the cheapest of
 * their moves' cost (-1 when none). */
int cx_rm_below5(const cx_scenario_t *sc, const cx_rm_space_t *sp, double *cheapest);

/* The empty roadmap (doing nothing): no move, point -1, statistics NaN. */
cx_roadmap_t cx_rm_none(void);

#endif
