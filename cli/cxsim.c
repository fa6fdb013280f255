/*  cxsim — the command line: one executable, one subcommand per job. */
#include <stdio.h>
#include <string.h>

#include "cx_cmd.h"
#include "cx_cmd_validate.h"
#include "cx_opts.h"
#include "cx_version.h"

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim COMMAND [options]\n"
                "\n"
                "Simulates how a company's customer-experience maturity shifts satisfaction,\n"
                "loyalty, churn, NPS and revenue.\n"
                "\n"
                "commands:\n"
                "  run SCENARIO.yaml       run a scenario (multi-process, or --in-process)\n"
                "  validate SCENARIO.yaml  check a scenario file and report every error\n"
                "  resume RUN_DIR          continue a killed run from its last checkpoint\n"
                "  ctl RUN_DIR VERB        change a running simulation (set, event, pause,\n"
                "                          resume, pace, stop) or ask its status\n"
                "  watch RUN_DIR           a live table of a running simulation's KPIs\n"
                "  fork RUN_DIR NEW_DIR    branch a run at its last checkpoint, with changes\n"
                "  keygen FILE             a run key: CurveZMQ for processes on several hosts\n"
                "  sweep SCENARIO.yaml     run a grid of --set values x replicates; means and\n"
                "                          95%% CIs of the final KPIs, results in sweep.db\n"
                "  compare BASE.yaml [SC.yaml]  paired runs (common random numbers): KPI deltas\n"
                "                          with 95%% CIs, payback tick\n"
                "  collect DIR             record a Slurm sweep's finished runs in DIR/sweep.db\n"
                "  sensitivity SCENARIO.yaml  one-at-a-time sensitivity of model parameters:\n"
                "                          elasticities with 95%% CIs, ranked (sensitivity.db)\n"
                "  calibrate SCENARIO.yaml --observed FILE.csv --params A,B\n"
                "                          fit model parameters to an observed KPI series\n"
                "                          (Nelder-Mead; calibration.db, calibrated.yaml)\n"
                "  optimise SCENARIO.yaml --budget AMOUNT\n"
                "                          which departments to raise one level, in which\n"
                "                          order, within a budget (optimise.db, best.yaml)\n"
                "  check [FILE.yaml...]    reality checks: how the company must behave, run as\n"
                "                          paired replicates; 'N of M checks hold'\n"
                "  assess QUESTIONNAIRE.yaml  score a maturity self-assessment per department\n"
                "                          and axis; --out: the company's scenario as it is\n"
                "  gap CURRENT.yaml TARGET.yaml  the gap per department, what it costs in\n"
                "                          KPIs (paired runs), the optimiser's search space\n"
                "  attribute RUN_DIR|SCENARIO.yaml  each touchpoint's contribution to NPS,\n"
                "                          CES, churn and revenue, ranked, with 95%% CIs\n"
                "  report DIR              a self-contained HTML report with charts of a run\n"
                "                          or compare directory (DIR/report.html)\n"
                "\n"
                "  cxsim COMMAND --help    options of one command\n"
                "  cxsim --version         version\n"
                "\n"
                "exit status: 0 success, 1 the run failed, 2 invalid input\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        s_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("cxsim %s\n", CX_VERSION);
        return 0;
    }
    static const struct {
        const char *name;                 /* subcommand */
        int (*fn)(int argc, char **argv); /* its main, argv[0] the name */
    } cmds[] = {
        {"run", cx_cmd_run},
        {"resume", cx_cmd_resume},
        {"ctl", cx_cmd_ctl},
        {"watch", cx_cmd_watch},
        {"keygen", cx_cmd_keygen},
        {"fork", cx_cmd_fork},
        {"sweep", cx_cmd_sweep},
        {"compare", cx_cmd_compare},
        {"collect", cx_cmd_collect},
        {"sensitivity", cx_cmd_sensitivity},
        {"calibrate", cx_cmd_calibrate},
        {"optimise", cx_cmd_optimise},
        {"check", cx_cmd_check},
        {"assess", cx_cmd_assess},
        {"gap", cx_cmd_gap},
        {"attribute", cx_cmd_attribute},
        {"report", cx_cmd_report},
        {"validate", cx_cmd_validate},
    };
    enum { S_NCMD = sizeof cmds / sizeof cmds[0] };
    const char *names[S_NCMD];
    for (int k = 0; k < S_NCMD; k++) {
        names[k] = cmds[k].name;
    }
    int k = cx_opts_command("cxsim", cmd, names, S_NCMD);
    if (k >= 0) {
        return cmds[k].fn(argc - 1, argv + 1);
    }
    s_usage(stderr);
    return 2;
}
