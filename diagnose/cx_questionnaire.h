/*  cx_questionnaire — the maturity self-assessment file (`cxsim assess`):
 *  YAML in, a validated questionnaire and its answers out.
 *
 *  A file holds the statements (`axes`, `organisation`) and the answers
 *  (`scenario`, `company`, `departments`), or the answers only with
 *  `questionnaire: FILE` naming the file that holds the statements
 *  (scenarios/assess/questionnaire.yaml, example-answers.yaml). Every axis
 *  of seed 000 (strategy, control, tactics) has one statement per level 1..5;
 *  a department's answer on an axis is a list of five agreements 0..4 (one
 *  per level's statement) or null (not answered). docs/SCENARIOS.md,
 *  "Self-assessment", documents every key.
 *
 *  Every problem is reported at once as FILE:LINE:COLUMN with the key path
 *  and a "did you mean", through the scenario loader's diagnostics
 *  (config/cx_load.h), and the same size and depth limits (config/cx_doc.h).
 *
 *  Ownership: cx_questionnaire_t is a plain value (no pointers); allocate it
 *  on the heap (~60 KiB). Errors: -1 when at least one diagnostic was added.
 */
#ifndef CX_QUESTIONNAIRE_H
#define CX_QUESTIONNAIRE_H

#include <stdbool.h>

#include "cx_load.h"
#include "cx_scenario.h"

#define CX_Q_AXES 3      /* seed 000's axes: strategy, control, tactics */
#define CX_Q_LEVELS 5    /* levels 1..5 */
#define CX_Q_MAX_AGREE 4 /* agreement scale 0 (not at all) .. 4 (fully) */

typedef enum { CX_AXIS_STRATEGY = 0, CX_AXIS_CONTROL, CX_AXIS_TACTICS } cx_axis_t;

typedef struct {
    char question[256];               /* the axis's question */
    char source[512];                 /* the French passage it comes from */
    char statement[CX_Q_LEVELS][512]; /* what a department at level k+1 looks like */
    char st_source[CX_Q_LEVELS][512]; /* the passage each statement restates */
} cx_q_axis_t;

typedef struct {
    char id[CX_ID_MAX];                /* department id (checked against the scenario later) */
    int line, column;                  /* where its entry sits */
    bool answered[CX_Q_AXES];          /* the axis has five agreements */
    int agree[CX_Q_AXES][CX_Q_LEVELS]; /* agreement 0..4 with each level's statement */
    int axis_line[CX_Q_AXES];          /* where each axis's answer sits (0 when absent) */
    int axis_column[CX_Q_AXES];        /* its column */
} cx_q_dept_t;

typedef struct {
    char file[1024];                        /* the answers file, as given */
    char statements_file[4096];             /* the file the statements came from */
    char title[128];                        /* the questionnaire's title */
    cx_q_axis_t axis[CX_Q_AXES];            /* statements per axis */
    char owner_question[256];               /* organisation.cx_owner.question */
    char owner_option[CX_OWNER_COUNT][256]; /* what each cx_owner option means */
    char gov_question[256];                 /* organisation.governance.question */
    char gov_option[CX_GOV_COUNT][256];     /* what each governance option means */
    char scenario[4096];                    /* the company's scenario, resolved against the file */
    int scenario_line;                      /* where `scenario` sits */
    int cx_owner;                           /* cx_owner_t answered, -1 when not */
    int governance;                         /* cx_governance_t answered, -1 when not */
    cx_q_dept_t dept[CX_MAX_DEPTS];         /* departments, in file order */
    int n_dept;                             /* entries used */
} cx_questionnaire_t;

/* Name of an axis ("strategy", "control", "tactics"). */
const char *cx_axis_name(cx_axis_t a);

/* Loads the file at path (and the statements file it names). Returns 0, or
 * -1 with every problem in diags (sorted by file position). */
int cx_questionnaire_load_file(const char *path, cx_questionnaire_t *q, cx_diags_t *diags);

/* The same from memory; `name` is used in diagnostics and `dir` resolves
 * the relative paths (`scenario`, `questionnaire`). */
int cx_questionnaire_load_string(const char *name, const char *dir, const char *text, size_t len,
                                 cx_questionnaire_t *q, cx_diags_t *diags);

/* The department entry with this id, or NULL. */
cx_q_dept_t *cx_questionnaire_dept(cx_questionnaire_t *q, const char *id);

/* Adds an empty (unanswered) entry for id; returns it, or NULL when full. */
cx_q_dept_t *cx_questionnaire_add_dept(cx_questionnaire_t *q, const char *id);

#endif
