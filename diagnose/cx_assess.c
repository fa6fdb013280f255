/*  cx_assess — see cx_assess.h. */
#include "cx_assess.h"

#include "cx_capability.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_level_names[CX_Q_LEVELS] = {"ad hoc", "centralisation", "management",
                                                       "optimisation", "insight"};

void cx_assess_axis(const int agree[CX_Q_LEVELS], cx_axis_score_t *out)
{
    memset(out, 0, sizeof *out);
    int sum = 0;
    int weighted = 0;
    for (int k = 0; k < CX_Q_LEVELS; k++) {
        sum += agree[k];
        weighted += (k + 1) * agree[k];
    }
    if (sum <= 0) {
        return;
    }
    out->answered = true;
    out->score = (double)weighted / sum;
    /* Round half up with an integer test: a score of exactly 2.5 is level 3. */
    out->level = (2 * weighted + sum) / (2 * sum);
    if (out->level < 1) {
        out->level = 1;
    } else if (out->level > CX_Q_LEVELS) {
        out->level = CX_Q_LEVELS;
    }
    int near = 0;
    for (int k = 0; k < CX_Q_LEVELS; k++) {
        if (abs(k + 1 - out->level) <= 1) {
            near += agree[k];
        }
    }
    out->confidence = (double)near / sum;
    int lo = 0;
    int hi = 0;
    for (int k = 0; k < CX_Q_LEVELS; k++) {
        if (agree[k] >= CX_ASSESS_CONFLICT_AGREE) {
            if (!lo) {
                lo = k + 1;
            }
            hi = k + 1;
        }
    }
    if (lo && hi - lo >= 2) {
        out->conflict = true;
        out->conflict_lo = lo;
        out->conflict_hi = hi;
    }
}

int cx_assess_score(const cx_questionnaire_t *q, cx_assessment_t *as, cx_diags_t *diags)
{
    memset(as, 0, sizeof *as);
    int errors = 0;
    for (int i = 0; i < q->n_dept; i++) {
        const cx_q_dept_t *qd = &q->dept[i];
        cx_dept_score_t *d = &as->dept[as->n_dept++];
        snprintf(d->id, sizeof d->id, "%s", qd->id);
        int answered = 0;
        for (int a = 0; a < CX_Q_AXES; a++) {
            answered += qd->answered[a];
        }
        if (answered == 0) {
            continue;
        }
        if (answered < CX_Q_AXES) {
            for (int a = 0; a < CX_Q_AXES; a++) {
                if (!qd->answered[a]) {
                    char path[96];
                    snprintf(path, sizeof path, "departments.%s.%s", qd->id,
                             cx_axis_name((cx_axis_t)a));
                    cx_diags_add(diags, q->file, qd->axis_line[a] ? qd->axis_line[a] : qd->line,
                                 qd->axis_line[a] ? qd->axis_column[a] : qd->column, path,
                                 "not answered: a department is scored on all three axes "
                                 "(answer it, or leave the whole department out)");
                    errors++;
                }
            }
            continue;
        }
        d->assessed = true;
        as->n_assessed++;
        double sum = 0;
        double lo = CX_Q_LEVELS;
        double hi = 1;
        d->confidence = 1.0;
        for (int a = 0; a < CX_Q_AXES; a++) {
            cx_assess_axis(qd->agree[a], &d->axis[a]);
            sum += d->axis[a].score;
            lo = d->axis[a].score < lo ? d->axis[a].score : lo;
            hi = d->axis[a].score > hi ? d->axis[a].score : hi;
            if (d->axis[a].confidence < d->confidence) {
                d->confidence = d->axis[a].confidence;
            }
        }
        d->score = sum / CX_Q_AXES;
        d->level = (int)floor(d->score + 0.5);
        d->disagree = hi - lo >= CX_ASSESS_DISAGREE;
        d->maturity = floor(d->axis[CX_AXIS_TACTICS].score * 10.0 + 0.5) / 10.0;
    }
    return errors ? -1 : 0;
}

/* x rounded to a multiple of 1 / per (the nearest double to it, so that it
 * is written short and reads back equal). */
static double s_round_to(double x, double per)
{
    return floor(x * per + 0.5) / per;
}

void cx_assess_axis_means(const cx_assessment_t *as, double mean[CX_Q_AXES])
{
    int n = 0;
    for (int a = 0; a < CX_Q_AXES; a++) {
        mean[a] = 0;
    }
    for (int i = 0; i < as->n_dept; i++) {
        if (as->dept[i].assessed) {
            for (int a = 0; a < CX_Q_AXES; a++) {
                mean[a] += as->dept[i].axis[a].score;
            }
            n++;
        }
    }
    for (int a = 0; a < CX_Q_AXES; a++) {
        mean[a] = n ? mean[a] / n : 0;
    }
}

/* Control -> speed of change, strategy -> investment (docs/MODEL.md, "From a
 * self-assessment to a scenario"), each scaled from m0, the base scenario's
 * mean maturity of the assessed departments: the base scenario's speed and
 * budget are taken as those of a company whose control and strategy are at
 * that level. Tactics answers do not enter. */
static void s_apply_axes(const cx_assessment_t *as, double m0, cx_scenario_t *sc)
{
    if (as->n_assessed == 0) {
        return;
    }
    double mean[CX_Q_AXES];
    cx_assess_axis_means(as, mean);
    double c = mean[CX_AXIS_CONTROL];
    double s = mean[CX_AXIS_STRATEGY];
    cx_params_t *p = &sc->params;
    double v0 = cx_capability_lerp(p->change_speed_low, p->change_speed_high, m0);
    double vc = cx_capability_lerp(p->change_speed_low, p->change_speed_high, c);
    if (c != m0 && v0 > 0) {
        double f = vc / v0;
        p->change_speed_low = fmin(5.0, fmax(0.05, s_round_to(p->change_speed_low * f, 1000.0)));
        p->change_speed_high = fmin(5.0, fmax(0.05, s_round_to(p->change_speed_high * f, 1000.0)));
    }
    if (s != m0 && m0 > 0) {
        sc->budget = fmin(1e12, s_round_to(sc->budget * s / m0, 1.0));
    }
}

int cx_assess_apply(const cx_questionnaire_t *q, const cx_assessment_t *as, cx_scenario_t *sc,
                    cx_diags_t *diags)
{
    int errors = 0;
    double m0 = 0;
    for (int i = 0; i < as->n_dept; i++) {
        const cx_dept_score_t *d = &as->dept[i];
        int di = cx_scenario_dept_index(sc, d->id);
        if (di < 0) {
            const char *names[CX_MAX_DEPTS];
            for (int k = 0; k < sc->n_dept; k++) {
                names[k] = sc->dept[k].id;
            }
            const char *hint = cx_suggest(d->id, names, sc->n_dept);
            char path[64];
            snprintf(path, sizeof path, "departments.%s", d->id);
            cx_diags_add(diags, q->file, q->dept[i].line, q->dept[i].column, path,
                         "no department '%s' in the scenario %s%s%s%s", d->id, q->scenario,
                         hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            errors++;
            continue;
        }
        if (d->assessed) {
            m0 += sc->dept[di].maturity / as->n_assessed;
            sc->dept[di].maturity = d->maturity;
        }
    }
    if (errors) {
        return -1;
    }
    s_apply_axes(as, m0, sc);
    if (q->cx_owner >= 0) {
        sc->cx_owner = (cx_owner_t)q->cx_owner;
    }
    if (q->governance >= 0) {
        sc->governance = (cx_governance_t)q->governance;
    }
    sc->n_event = 0;
    /* Whole buffers rewritten, so that the value equals its emitted form read back. */
    char name[sizeof sc->name];
    memset(name, 0, sizeof name);
    snprintf(name, sizeof name, "%.50s-assessed", sc->name);
    memcpy(sc->name, name, sizeof sc->name);
    memset(sc->description, 0, sizeof sc->description);
    const char *base = strrchr(q->file, '/');
    snprintf(sc->description, sizeof sc->description,
             "The company as it is today, from the self-assessment %.200s: %d of %d departments "
             "assessed (the others keep the scenario's maturity), CX owner %s, governance %s.",
             (int)(base ? strlen(base + 1) : strlen(q->file)) > 200 ? "(file)"
                                                                    : (base ? base + 1 : q->file),
             as->n_assessed, sc->n_dept, cx_owner_name(sc->cx_owner),
             cx_governance_name(sc->governance));
    return 0;
}

static void s_axis_cell(cx_buf_t *b, const cx_axis_score_t *s)
{
    cx_buf_printf(b, "  %d (%.2f)%s", s->level, s->score,
                     s->conflict ? "!" : (s->confidence < CX_ASSESS_LOW_CONFIDENCE ? "?" : " "));
}

void cx_assess_report(cx_buf_t *b, const cx_questionnaire_t *q, const cx_assessment_t *as,
                      const cx_scenario_t *sc)
{
    cx_buf_printf(b, "%s: %d of %d departments assessed (scenario %s)\n\n",
                     q->title[0] ? q->title : "self-assessment", as->n_assessed, sc->n_dept,
                     q->scenario);
    cx_buf_printf(b, "%-18s %-11s %-11s %-11s  %-24s %s\n", "department", "strategy", "control",
                     "tactics", "overall", "confidence");
    for (int i = 0; i < as->n_dept; i++) {
        const cx_dept_score_t *d = &as->dept[i];
        if (!d->assessed) {
            continue;
        }
        cx_buf_printf(b, "%-18s", d->id);
        for (int a = 0; a < CX_Q_AXES; a++) {
            s_axis_cell(b, &d->axis[a]);
        }
        char overall[40];
        snprintf(overall, sizeof overall, "%d %s (%.2f)", d->level, s_level_names[d->level - 1],
                 d->score);
        cx_buf_printf(b, "   %-24s %.2f%s\n", overall, d->confidence,
                         d->disagree ? "  axes disagree" : "");
    }
    cx_buf_printf(b,
                     "\nlevel (score): score = agreement-weighted mean level; ! conflicting "
                     "answers, ? confidence below %.2f\n",
                     CX_ASSESS_LOW_CONFIDENCE);
    int flags = 0;
    for (int i = 0; i < as->n_dept; i++) {
        const cx_dept_score_t *d = &as->dept[i];
        if (!d->assessed) {
            continue;
        }
        for (int a = 0; a < CX_Q_AXES; a++) {
            const cx_axis_score_t *s = &d->axis[a];
            if (s->conflict) {
                cx_buf_printf(b,
                                 "conflict: %s, %s: the statements of level %d and level %d "
                                 "both describe it (agreement 3 or 4); confidence %.2f\n",
                                 d->id, cx_axis_name((cx_axis_t)a), s->conflict_lo, s->conflict_hi,
                                 s->confidence);
                flags++;
            } else if (s->confidence < CX_ASSESS_LOW_CONFIDENCE) {
                cx_buf_printf(b,
                                 "low confidence: %s, %s: %.0f %% of the agreement lies "
                                 "within one level of %d\n",
                                 d->id, cx_axis_name((cx_axis_t)a), 100.0 * s->confidence,
                                 s->level);
                flags++;
            }
        }
        if (d->disagree) {
            int lo = 0;
            int hi = 0;
            for (int a = 1; a < CX_Q_AXES; a++) {
                lo = d->axis[a].score < d->axis[lo].score ? a : lo;
                hi = d->axis[a].score > d->axis[hi].score ? a : hi;
            }
            cx_buf_printf(b,
                             "axes disagree: %s: %s at %.2f, %s at %.2f (a level or more "
                             "apart)\n",
                             d->id, cx_axis_name((cx_axis_t)hi), d->axis[hi].score,
                             cx_axis_name((cx_axis_t)lo), d->axis[lo].score);
            flags++;
        }
    }
    for (int k = 0; k < sc->n_dept; k++) {
        bool seen = false;
        for (int i = 0; i < as->n_dept; i++) {
            seen = seen || (as->dept[i].assessed && strcmp(as->dept[i].id, sc->dept[k].id) == 0);
        }
        if (!seen) {
            cx_buf_printf(b, "not assessed: %s keeps the scenario's maturity %g\n",
                             sc->dept[k].id, sc->dept[k].maturity);
            flags++;
        }
    }
    if (!flags) {
        cx_buf_printf(b, "no conflicts: every axis agrees\n");
    }
    cx_buf_printf(b, "CX owner: %s%s; governance: %s%s\n", cx_owner_name(sc->cx_owner),
                     q->cx_owner < 0 ? " (not answered: the scenario's)" : "",
                     cx_governance_name(sc->governance),
                     q->governance < 0 ? " (not answered: the scenario's)" : "");
    if (as->n_assessed > 0) {
        double mean[CX_Q_AXES];
        cx_assess_axis_means(as, mean);
        cx_buf_printf(b,
                      "into the scenario: maturity = tactics; speed of change %g..%g (control "
                      "%.2f); budget %.0f (strategy %.2f)\n",
                      sc->params.change_speed_low, sc->params.change_speed_high,
                      mean[CX_AXIS_CONTROL], sc->budget, mean[CX_AXIS_STRATEGY]);
    }
}

int cx_assess_scenario_text(cx_buf_t *b, const cx_questionnaire_t *q, const cx_assessment_t *as,
                            const cx_scenario_t *sc)
{
    char *text = NULL;
    size_t len = 0;
    if (cx_scenario_emit(sc, &text, &len) != 0) {
        return -1;
    }
    cx_buf_printf(b, "# %s — written by cxsim assess from %s.\n", sc->name, q->file);
    cx_buf_printf(b, "# Maturity = the tactics score, to 0.1; control sets model.change_speed_*, "
                     "strategy company.budget\n# (docs/MODEL.md, \"From a self-assessment to a "
                     "scenario\").\n");
    for (int i = 0; i < as->n_dept; i++) {
        const cx_dept_score_t *d = &as->dept[i];
        if (d->assessed) {
            cx_buf_printf(b, "#   %-18s strategy %.2f  control %.2f  tactics %.2f  -> %.1f\n",
                             d->id, d->axis[CX_AXIS_STRATEGY].score, d->axis[CX_AXIS_CONTROL].score,
                             d->axis[CX_AXIS_TACTICS].score, d->maturity);
        }
    }
    if (as->n_assessed > 0) {
        double mean[CX_Q_AXES];
        cx_assess_axis_means(as, mean);
        cx_buf_printf(
            b,
            "#   means: strategy %.2f  control %.2f  tactics %.2f  ->  change speed %g..%g, "
            "budget %.0f\n",
            mean[CX_AXIS_STRATEGY], mean[CX_AXIS_CONTROL], mean[CX_AXIS_TACTICS],
            sc->params.change_speed_low, sc->params.change_speed_high, sc->budget);
    }
    cx_buf_printf(b, "%.*s", (int)len, text);
    free(text);
    return b->oom ? -1 : 0;
}
