/*  cx_optimise_opts — see cx_optimise_opts.h. */
#include "cx_optimise_opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_roadmap.h"
#include "cx_exp_util.h"
#include "cx_load.h"

static const char s_cmd[] = "cxsim optimise";

void cx_optimise_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim optimise SCENARIO.yaml --budget AMOUNT [options]\n"
            "\n"
            "Searches for the roadmap that pays best within an investment budget: a sequence\n"
            "of at most N moves, each raising one department by one maturity level (from its\n"
            "level at that point of the roadmap to the next whole level, at most 5), move k\n"
            "starting at tick k x ticks / (N + 1). Greedy with a beam: at each step every\n"
            "feasible next move is appended to each kept roadmap, and the W best by the mean\n"
            "objective gain over doing nothing (R paired replicates, common random numbers)\n"
            "are kept; it stops when no move fits the budget or none improves the objective.\n"
            "\n"
            "options:\n"
            "  --budget AMOUNT       total investment allowed (required)\n"
            "  --steps N             moves at most, 1..16 (default 3)\n"
            "  --space FILE          a gap's search space (cxsim gap): departments rise to\n"
            "                        their targets (a step or straight there), the CX owner\n"
            "                        and governance may change once\n"
            "  --moves departments=ID,ID,...\n"
            "                        departments that may move (default: every department)\n"
            "  --cost-per-level C    investment of one level (default 250000)\n"
            "  --cost ID=AMOUNT      investment of one level of department ID (repeatable)\n"
            "  --over T              ramp of each move in ticks (default 60, at most the\n"
            "                        spacing ticks / (N + 1))\n"
            "  --objective O         net (default: gross profit - cost - investment, summed over\n"
            "                        the run), nps (NPS over the window: window_nps) or churn\n"
            "                        (minus total churned)\n"
            "  --window DAYS         the window of a final KPI: each run's last DAYS days\n"
            "                        (default %g; in ticks of the scenario's tick length)\n"
            "  --beam W              roadmaps kept per step (default 3)\n"
            "  --replicates R        paired replicates per roadmap, R >= 1 (default 5)\n"
            "  --set KEY=VALUE       override of the scenario (repeatable)\n"
            "  --seed N              base seed (default: the scenario's)\n"
            "  --ticks N             ticks per run (default: the scenario file's)\n"
            "  --jobs J              runs at once (default: the number of cores)\n"
            "  --engine E            in-process (default) or processes\n"
            "  --backend slurm       each batch of runs as one sbatch array job, waited for\n"
            "  --slurm-opt OPT       an sbatch option for those jobs, repeatable\n"
            "  --slurm-tasks N       array tasks per job (default: about 60 s a task)\n"
            "  --out DIR             directory (default optimise/NAME-HASH; a re-run re-uses\n"
            "                        its runs)\n"
            "  --quiet               no per-step lines\n"
            "\n"
            "exit status: 0 success, 1 a run failed, 2 invalid input\n",
            (double)CX_EXP_WINDOW_DAYS);
}

const char *const cx_optimise_objectives[CX_OBJ_COUNT] = {"net", "nps", "churn"};


static int s_amount(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || errno || *end || !isfinite(x) || x < 0 || x > 1e12) {
        fprintf(stderr, "cxsim optimise: %s expects an amount from 0 to 1e12, got '%s'\n", opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

enum {
    O_HELP,
    O_BUDGET,
    O_STEPS,
    O_SPACE,
    O_MOVES,
    O_COST_PER_LEVEL,
    O_COST,
    O_OVER,
    O_OBJECTIVE,
    O_WINDOW,
    O_BEAM,
    O_SET
};

static const cx_opt_t s_options[] = {
    {"--help", "-h", false, O_HELP},
    {"--budget", NULL, true, O_BUDGET},
    {"--steps", NULL, true, O_STEPS},
    {"--space", NULL, true, O_SPACE},
    {"--moves", NULL, true, O_MOVES},
    {"--cost-per-level", NULL, true, O_COST_PER_LEVEL},
    {"--cost", NULL, true, O_COST},
    {"--over", NULL, true, O_OVER},
    {"--objective", NULL, true, O_OBJECTIVE},
    {"--window", NULL, true, O_WINDOW},
    {"--beam", NULL, true, O_BEAM},
    {"--set", NULL, true, O_SET},
    CX_EXP_COMMON_OPTS,
};

/* --cost ID=AMOUNT into o. 0, or -1 (printed). */
static int s_cost_opt(cx_optimise_opts_t *o, const char *v)
{
    const char *eq = strchr(v, '=');
    double x;
    if (!eq || eq == v) {
        fprintf(stderr, "cxsim optimise: --cost expects ID=AMOUNT, got '%s'\n", v);
        return -1;
    }
    if (s_amount("--cost", eq + 1, &x) != 0) {
        return -1;
    }
    if (o->n_costs == CX_MAX_DEPTS) {
        fprintf(stderr, "cxsim optimise: at most %d --cost options\n", CX_MAX_DEPTS);
        return -1;
    }
    o->costs[o->n_costs++] = v;
    return 0;
}

/* --objective NAME into o. 0, or -1 (printed). */
static int s_objective_opt(cx_optimise_opts_t *o, const char *v)
{
    for (int j = 0; j < CX_OBJ_COUNT; j++) {
        if (strcmp(v, cx_optimise_objectives[j]) == 0) {
            o->objective = (cx_optimise_objective_t)j;
            return 0;
        }
    }
    const char *near = cx_suggest(v, cx_optimise_objectives, CX_OBJ_COUNT);
    fprintf(stderr, "cxsim optimise: --objective expects net, nps or churn, got '%s'%s%s%s\n", v,
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return -1;
}

/* One option of the table (id) with its value v into o. 0, or -1 (printed). */
static int s_option(cx_optimise_opts_t *o, int id, const char *v)
{
    long long n;
    switch (id) {
    case O_HELP:
        cx_optimise_usage(stdout);
        exit(0);
    case O_BUDGET:
        o->have_budget = true;
        return s_amount("--budget", v, &o->budget);
    case O_STEPS:
        if (cx_exp_cmd_int(s_cmd, "--steps", v, 1, CX_RM_MAX_STEPS, &n) != 0) {
            return -1;
        }
        o->steps = (int)n;
        return 0;
    case O_SPACE:
        o->space = v;
        return 0;
    case O_MOVES:
        o->moves = strncmp(v, "departments=", 12) == 0 ? v + 12 : v;
        return 0;
    case O_COST_PER_LEVEL:
        return s_amount("--cost-per-level", v, &o->cost_per_level);
    case O_COST:
        return s_cost_opt(o, v);
    case O_OVER:
        if (cx_exp_cmd_int(s_cmd, "--over", v, 1, 1000000, &n) != 0) {
            return -1;
        }
        o->over = (int)n;
        return 0;
    case O_OBJECTIVE:
        return s_objective_opt(o, v);
    case O_WINDOW:
        return cx_exp_cmd_window_days(s_cmd, v, &o->window_days);
    case O_BEAM:
        if (cx_exp_cmd_int(s_cmd, "--beam", v, 1, 64, &n) != 0) {
            return -1;
        }
        o->beam = (int)n;
        return 0;
    case O_SET:
        return cx_exp_cmd_add_set(s_cmd, o->sets, &o->n_sets, CX_OPTIMISE_MAX_SETS, v);
    default:
        return cx_exp_cmd_common_opt(s_cmd, id, v, &o->com, 1, 10000) < 0 ? -1 : 0;
    }
}

int cx_optimise_parse(int argc, char **argv, cx_optimise_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->steps = 3;
    o->cost_per_level = CX_OPTIMISE_DEFAULT_COST;
    o->beam = 3;
    o->window_days = CX_EXP_WINDOW_DAYS;
    o->com.replicates = 5;
    o->com.engine = "in-process";
    cx_opts_t op;
    cx_opts_init(&op, s_cmd, s_options, (int)(sizeof s_options / sizeof s_options[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        if (id == CX_OPTS_ERROR) {
            return -1;
        }
        if (id == CX_OPTS_POSITIONAL) {
            if (cx_exp_cmd_positional(s_cmd, op.value, false, &o->scenario) != 0) {
                return -1;
            }
        } else if (s_option(o, id, op.value) != 0) {
            return -1;
        }
    }
    if (cx_exp_cmd_finish(s_cmd, o->scenario, &o->com) != 0) {
        return -1;
    }
    if (!o->have_budget) {
        fprintf(stderr, "cxsim optimise: --budget AMOUNT is required\n");
        return -1;
    }
    return 0;
}
