/*  cx_assess — scoring a maturity self-assessment and turning it into the
 *  scenario of the company as it is today (`cxsim assess`).
 *
 *  Scoring, per department and axis (docs/MODEL.md, "From a self-assessment
 *  to a scenario"): the answers are agreements a_1..a_5 (0..4) with the
 *  statements of levels 1..5.
 *
 *      score       s = sum(k a_k) / sum(a_k)             (1.0 .. 5.0)
 *      level       L = s rounded to the nearest whole level
 *      confidence  c = sum(a_k : |k - L| <= 1) / sum(a_k) (0 .. 1)
 *      conflict    two statements at least two levels apart both have
 *                  agreement 3 or 4 (the answers describe two companies)
 *
 *  A department's overall score is the mean of its three axis scores; the
 *  axes disagree when their scores lie a whole level (1.0) or more apart.
 *  Each axis drives its own part of the scenario:
 *      tactics   departments.ID.maturity = tactics score to 0.1
 *      control   model.change_speed_low/high x V(mean control) / V(m0)
 *      strategy  company.budget x mean strategy / m0
 *  (means over the assessed departments; m0 the base scenario's mean
 *  maturity of those departments; V the speed of change of §7.1). Each
 *  axis moves only its key; three equal axes give the overall score's
 *  maturity, as before. CX owner and governance come from the company
 *  answers; anything unanswered keeps the base scenario's value.
 *
 *  Ownership: every type is a plain value in caller storage; text goes to a
 *  caller's cx_buf_t. Errors: -1 with diagnostics naming the
 *  questionnaire file and line.
 */
#ifndef CX_ASSESS_H
#define CX_ASSESS_H

#include <stdbool.h>

#include "cx_dx_util.h"
#include "cx_questionnaire.h"

#define CX_ASSESS_CONFLICT_AGREE 3    /* agreement that counts as "describes us" */
#define CX_ASSESS_LOW_CONFIDENCE 0.75 /* below this a score is flagged */
#define CX_ASSESS_DISAGREE 1.0        /* axis scores this far apart disagree */

/* One axis of one department. */
typedef struct {
    bool answered;     /* the axis was answered */
    double score;      /* agreement-weighted mean level, 1..5 */
    int level;         /* score rounded, 1..5 */
    double confidence; /* share of agreement within one level of `level` */
    bool conflict;     /* two far-apart statements both largely agreed with */
    int conflict_lo;   /* the lowest and highest levels in conflict */
    int conflict_hi;
} cx_axis_score_t;

/* One department. */
typedef struct {
    char id[CX_ID_MAX];              /* department id */
    bool assessed;                   /* every axis answered */
    cx_axis_score_t axis[CX_Q_AXES]; /* per axis */
    double score;                    /* mean of the axis scores */
    int level;                       /* score rounded */
    bool disagree;                   /* the axes' scores lie a level or more apart */
    double maturity;                 /* what goes into the scenario: score to 0.1 */
    double confidence;               /* the lowest axis confidence */
} cx_dept_score_t;

typedef struct {
    cx_dept_score_t dept[CX_MAX_DEPTS]; /* in questionnaire order */
    int n_dept;                         /* entries used */
    int n_assessed;                     /* departments with every axis answered */
} cx_assessment_t;

/* Scores one axis from its five agreements (sum > 0). */
void cx_assess_axis(const int agree[CX_Q_LEVELS], cx_axis_score_t *out);

/* Means of each axis score over the assessed departments (0 when none). */
void cx_assess_axis_means(const cx_assessment_t *as, double mean[CX_Q_AXES]);

/* Scores every department of q. A department with some axes answered and
 * others not is an error (diagnostic at its entry); one with none is left
 * unassessed. Returns 0, or -1 with diagnostics. */
int cx_assess_score(const cx_questionnaire_t *q, cx_assessment_t *as, cx_diags_t *diags);

/* Applies the assessment to the base scenario sc (loaded from
 * q->scenario): assessed departments take their maturity (tactics), the
 * speed of change follows control and the budget strategy (above), CX
 * owner and governance take their answers; the timeline is emptied (the company as it is
 * today), the name gets "-assessed" and the description says where it came
 * from. A department of the questionnaire that the scenario lacks is an
 * error with a suggestion. Returns 0, or -1 with diagnostics. */
int cx_assess_apply(const cx_questionnaire_t *q, const cx_assessment_t *as, cx_scenario_t *sc,
                    cx_diags_t *diags);

/* The report people read: a table of departments by axis, then the flags
 * (axes that disagree, conflicting answers, low confidence, departments
 * left at the scenario's maturity). */
void cx_assess_report(cx_buf_t *b, const cx_questionnaire_t *q, const cx_assessment_t *as,
                      const cx_scenario_t *sc);

/* The scenario text: a comment header with the assessment, then the
 * resolved scenario (config/cx_load.h, cx_scenario_emit). Returns 0, or -1
 * on out of memory. */
int cx_assess_scenario_text(cx_buf_t *b, const cx_questionnaire_t *q, const cx_assessment_t *as,
                            const cx_scenario_t *sc);

#endif
