/*  cx_cmd_assess — `cxsim assess QUESTIONNAIRE.yaml [--out SCENARIO.yaml]
 *  [--interactive]`: scores a maturity self-assessment per department and
 *  axis and writes the scenario of the company as it is today. The work is
 *  in diagnose/ (cx_questionnaire, cx_assess); this file reads options and
 *  asks questions on a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_assess.h"
#include "cx_cmd.h"
#include "cx_load.h"
#include "cx_opts.h"

#define S_EXIT_OK 0
#define S_EXIT_FAILED 1
#define S_EXIT_INVALID 2
#define S_MAX_TRIES 5 /* invalid answers to one question before giving up */

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim assess QUESTIONNAIRE.yaml [--out SCENARIO.yaml] [--interactive]\n"
                "\n"
                "Scores a CXM maturity self-assessment (seed 000's strategy, control and tactics\n"
                "axes, levels 1 to 5) per department, flags conflicting answers and axes that\n"
                "disagree, and writes the scenario of the company as it is today: tactics sets\n"
                "each department's maturity, control the speed of change, strategy the budget.\n"
                "\n"
                "  --out FILE      write the assessed scenario there (it validates and runs)\n"
                "  --interactive   ask on the terminal (stdin) every question the file leaves\n"
                "                  unanswered, for every department of the scenario\n"
                "  -h, --help      show this help\n"
                "\n"
                "The questionnaire: scenarios/assess/questionnaire.yaml; a filled example:\n"
                "scenarios/assess/example-answers.yaml. Exit status: 0 scored (and written),\n"
                "1 the scenario could not be written, 2 invalid input.\n");
}

/* Reads one line from stdin into buf; false at end of input. */
static bool s_line(char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin)) {
        return false;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

/* Asks the five agreements of one axis. 1 answered, 0 skipped, -1 end of
 * input or too many invalid answers. */
static int s_ask_axis(const cx_questionnaire_t *q, const char *dept, int a, int agree[CX_Q_LEVELS])
{
    const cx_q_axis_t *ax = &q->axis[a];
    fprintf(stderr, "\n[%s] %s: %s\n", dept, cx_axis_name((cx_axis_t)a), ax->question);
    for (int k = 0; k < CX_Q_LEVELS; k++) {
        fprintf(stderr, "  %d. %s\n", k + 1, ax->statement[k]);
    }
    for (int tries = 0; tries < S_MAX_TRIES; tries++) {
        fprintf(stderr,
                "How well does each statement describe %s? five numbers 0-4 "
                "(0 not at all ... 4 fully), or '-' to skip the department: ",
                dept);
        fflush(stderr);
        char line[256];
        if (!s_line(line, sizeof line)) {
            return -1;
        }
        if (strcmp(line, "-") == 0) {
            return 0;
        }
        int v[CX_Q_LEVELS];
        char extra;
        int n = sscanf(line, "%d %d %d %d %d %c", &v[0], &v[1], &v[2], &v[3], &v[4], &extra);
        bool ok = n == CX_Q_LEVELS;
        int sum = 0;
        for (int k = 0; ok && k < CX_Q_LEVELS; k++) {
            ok = v[k] >= 0 && v[k] <= CX_Q_MAX_AGREE;
            sum += v[k];
        }
        if (ok && sum > 0) {
            memcpy(agree, v, sizeof v);
            return 1;
        }
        fprintf(stderr, "expected five numbers from 0 to 4, not all 0, such as 0 3 4 1 0\n");
    }
    return -1;
}

static int s_ask_choice(const char *question, const char (*opt)[256], int n,
                        const char *(*name_of)(int))
{
    fprintf(stderr, "\n%s\n", question);
    for (int i = 0; i < n; i++) {
        fprintf(stderr, "  %-16s %s\n", name_of(i), opt[i]);
    }
    for (int tries = 0; tries < S_MAX_TRIES; tries++) {
        fprintf(stderr, "answer: ");
        fflush(stderr);
        char line[128];
        if (!s_line(line, sizeof line)) {
            return -2;
        }
        for (int i = 0; i < n; i++) {
            if (strcmp(line, name_of(i)) == 0) {
                return i;
            }
        }
        fprintf(stderr, "expected one of the names above\n");
    }
    return -2;
}

static const char *s_owner(int i)
{
    return cx_owner_name((cx_owner_t)i);
}

static const char *s_gov(int i)
{
    return cx_governance_name((cx_governance_t)i);
}

/* Fills what q leaves unanswered from the terminal. 0, or -1. */
static int s_interactive(cx_questionnaire_t *q, const cx_scenario_t *sc)
{
    for (int k = 0; k < sc->n_dept; k++) {
        cx_q_dept_t *d = cx_questionnaire_dept(q, sc->dept[k].id);
        if (!d) {
            d = cx_questionnaire_add_dept(q, sc->dept[k].id);
        }
        if (!d) {
            return -1;
        }
        for (int a = 0; a < CX_Q_AXES; a++) {
            if (d->answered[a]) {
                continue;
            }
            int r = s_ask_axis(q, d->id, a, d->agree[a]);
            if (r < 0) {
                return -1;
            }
            if (r == 0) {
                memset(d->answered, 0, sizeof d->answered);
                break;
            }
            d->answered[a] = true;
        }
    }
    if (q->cx_owner < 0) {
        int r = s_ask_choice(q->owner_question, (const char(*)[256])q->owner_option, CX_OWNER_COUNT,
                             s_owner);
        if (r < 0) {
            return -1;
        }
        q->cx_owner = r;
    }
    if (q->governance < 0) {
        int r =
            s_ask_choice(q->gov_question, (const char(*)[256])q->gov_option, CX_GOV_COUNT, s_gov);
        if (r < 0) {
            return -1;
        }
        q->governance = r;
    }
    fprintf(stderr, "\n");
    return 0;
}

int cx_cmd_assess(int argc, char **argv)
{
    const char *file = NULL;
    const char *out = NULL;
    bool interactive = false;
    enum { O_HELP, O_OUT, O_INTERACTIVE };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP},
        {"--out", NULL, true, O_OUT},
        {"--interactive", NULL, false, O_INTERACTIVE},
    };
    cx_opts_t op;
    cx_opts_init(&op, "cxsim assess", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            return S_EXIT_OK;
        case O_OUT:
            out = op.value;
            break;
        case O_INTERACTIVE:
            interactive = true;
            break;
        case CX_OPTS_POSITIONAL:
            if (file) {
                fprintf(stderr, "cxsim assess: one QUESTIONNAIRE.yaml, found '%s' too\n", op.value);
                return S_EXIT_INVALID;
            }
            file = op.value;
            break;
        default: /* CX_OPTS_ERROR: said, with "did you mean" */
            fprintf(stderr, "try 'cxsim assess --help'\n");
            return S_EXIT_INVALID;
        }
    }
    if (!file) {
        fprintf(stderr, "cxsim assess: expected a QUESTIONNAIRE.yaml (see cxsim assess --help)\n");
        return S_EXIT_INVALID;
    }
    int rc = S_EXIT_INVALID;
    cx_questionnaire_t *q = malloc(sizeof *q);
    cx_assessment_t *as = malloc(sizeof *as);
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_buf_t b;
    cx_buf_init(&b);
    cx_diags_t diags;
    cx_diags_init(&diags);
    if (!q || !as || !sc) {
        fprintf(stderr, "cxsim assess: out of memory\n");
        rc = S_EXIT_FAILED;
        goto done;
    }
    if (cx_questionnaire_load_file(file, q, &diags) != 0 ||
        cx_scenario_load_file(q->scenario, NULL, 0, sc, &diags) != 0) {
        goto fail;
    }
    if (interactive && s_interactive(q, sc) != 0) {
        fprintf(stderr, "cxsim assess: no answer (end of input, or five invalid answers)\n");
        goto done;
    }
    if (cx_assess_score(q, as, &diags) != 0 || cx_assess_apply(q, as, sc, &diags) != 0) {
        goto fail;
    }
    if (as->n_assessed == 0) {
        fprintf(stderr,
                "%s: no department answered on all three axes: nothing to assess "
                "(fill the answers, or use --interactive)\n",
                file);
        goto done;
    }
    cx_assess_report(&b, q, as, sc);
    if (b.oom) {
        fprintf(stderr, "cxsim assess: out of memory\n");
        rc = S_EXIT_FAILED;
        goto done;
    }
    fputs(cx_buf_str(&b), stdout);
    rc = S_EXIT_OK;
    if (out) {
        cx_buf_t t;
        cx_buf_init(&t);
        cx_scenario_t *back = malloc(sizeof *back);
        cx_diags_t d2;
        cx_diags_init(&d2);
        if (!back || cx_assess_scenario_text(&t, q, as, sc) != 0) {
            fprintf(stderr, "cxsim assess: out of memory\n");
            rc = S_EXIT_FAILED;
        } else if (cx_scenario_load_string(out, cx_buf_str(&t), t.n, NULL, 0, back, &d2) != 0) {
            /* Cannot happen for an emitted scenario; refuse rather than write a bad file. */
            cx_diags_print(stderr, &d2);
            rc = S_EXIT_FAILED;
        } else if (cx_buf_write_file(&t, out) != 0) {
            fprintf(stderr, "cxsim assess: cannot write %s: %s\n", out, strerror(errno));
            rc = S_EXIT_FAILED;
        } else {
            printf("wrote %s (cxsim validate %s; cxsim run %s)\n", out, out, out);
        }
        cx_diags_fini(&d2);
        free(back);
        cx_buf_fini(&t);
    } else {
        printf("(no --out: no scenario written)\n");
    }
    goto done;
fail:
    cx_diags_print(stderr, &diags);
    fprintf(stderr, "%s: invalid (%d %s)\n", file, diags.n, diags.n == 1 ? "error" : "errors");
done:
    cx_diags_fini(&diags);
    cx_buf_fini(&b);
    free(q);
    free(as);
    free(sc);
    fflush(stdout);
    return rc;
}
