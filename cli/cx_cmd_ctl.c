/*  cxsim ctl — changes a running simulation between two ticks, pauses or
 *  paces its clock, asks where it stands (docs/PROTOCOL.md, "Control").
 *
 *  It speaks COMMAND/REPLY to the coordinator's control socket, found in
 *  RUN_DIR/live.endpoints while the run lasts. `set KEY=VALUE` is shorthand
 *  for a timeline event; the coordinator checks every change exactly like a
 *  timeline item of the scenario file and records it in the run's
 *  scenario.resolved.yaml, so the run can be replayed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_cmd.h"
#include "cx_control.h"
#include "cx_live_set.h"

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim ctl RUN_DIR|ENDPOINT VERB [ARGUMENTS] [--key FILE]\n"
            "\n"
            "Talks to a running multi-process simulation (its results directory, or its\n"
            "control endpoint such as ipc:///tmp/cxsim-abc/control.sock).\n"
            "\n"
            "verbs:\n"
            "  status                     next tick, state, pace, and the last tick's KPIs\n"
            "  set KEY=VALUE [--at T] [--over N] [--cost C]\n"
            "                             a live change, from the next tick (or tick T):\n"
            "                               departments.ID.maturity=1..5 (ramp over N ticks)\n"
            "                               departments.ID.staff=N\n"
            "                               company.cx_owner=OWNER\n"
            "                               company.governance=GOVERNANCE\n"
            "                               company.price=MULTIPLIER\n"
            "  event YAML                 any timeline event (docs/SCENARIOS.md), e.g.\n"
            "                             '{event: campaign, value: 1.5, over: 30}'\n"
            "  pause | resume             hold or release the clock between two ticks\n"
            "  step                       run one tick, then hold the clock\n"
            "  pace MS                    at least MS of wall time per tick (0: full speed)\n"
            "  checkpoint                 snapshot the run now (for `cxsim fork`)\n"
            "  stop                       end the run after the current tick\n"
            "\n"
            "exit status: 0 done, 1 no answer (is the run still going?), 2 refused or\n"
            "invalid, with the reason on stderr\n");
}

/* The control endpoint of a run directory, or the argument itself. */
static int s_endpoint(const char *target, char *ep, size_t cap)
{
    if (strstr(target, "://")) {
        snprintf(ep, cap, "%s", target);
        return 0;
    }
    if (cx_live_endpoint_read(target, "control", ep, cap) != 0) {
        fprintf(stderr,
                "cxsim ctl: %s/live.endpoints: %s: is the run still going? (only a multi-process "
                "run, while it lasts, can be controlled)\n",
                target, strerror(errno));
        return -1;
    }
    return 0;
}

int cx_cmd_ctl(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        s_usage(stdout);
        return 0;
    }
    cx_curve_t curve;
    if (cx_take_key_option(&argc, argv, &curve, "cxsim ctl") != 0) {
        return 2;
    }
    if (argc < 3) {
        s_usage(stderr);
        return 2;
    }
    char ep[1024];
    const char *verb = argv[2];
    char value[CX_CONTROL_TEXT_MAX] = "";
    const char *send_verb = verb;
    int timeout_ms = 5000;
    if (strcmp(verb, "set") == 0) {
        const char *kv = NULL, *at = NULL, *over = NULL, *cost = NULL;
        for (int i = 3; i < argc; i++) {
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (strcmp(argv[i], "--at") == 0 && v) {
                at = v;
                i++;
            } else if (strcmp(argv[i], "--over") == 0 && v) {
                over = v;
                i++;
            } else if (strcmp(argv[i], "--cost") == 0 && v) {
                cost = v;
                i++;
            } else if (!kv && argv[i][0] != '-') {
                kv = argv[i];
            } else {
                fprintf(stderr, "cxsim ctl set: unexpected argument '%s'\n", argv[i]);
                return 2;
            }
        }
        if (!kv) {
            fprintf(stderr, "cxsim ctl set: expected KEY=VALUE\n");
            return 2;
        }
        char why[512];
        if (cx_live_set_event(kv, at, over, cost, value, sizeof value, why, sizeof why) != 0) {
            fprintf(stderr, "cxsim ctl: %s\n", why);
            return 2;
        }
        send_verb = "event";
    } else if (strcmp(verb, "event") == 0 || strcmp(verb, "pace") == 0) {
        if (argc != 4) {
            fprintf(stderr, "cxsim ctl %s: expected one argument\n", verb);
            return 2;
        }
        snprintf(value, sizeof value, "%s", argv[3]);
    } else if (strcmp(verb, "status") == 0 || strcmp(verb, "pause") == 0 ||
               strcmp(verb, "resume") == 0 || strcmp(verb, "stop") == 0 ||
               strcmp(verb, "step") == 0 || strcmp(verb, "checkpoint") == 0) {
        if (verb[0] == 'c') {
            timeout_ms = 120000; /* every agent's state goes to disk first */
        }
        if (argc != 3) {
            fprintf(stderr, "cxsim ctl %s: takes no argument\n", verb);
            return 2;
        }
    } else {
        fprintf(stderr, "cxsim ctl: unknown verb '%s'\n", verb);
        s_usage(stderr);
        return 2;
    }
    if (s_endpoint(argv[1], ep, sizeof ep) != 0) {
        return 1;
    }
    char reply[CX_CONTROL_TEXT_MAX];
    int r = cx_control_call_key(ep, &curve, send_verb, "", value, timeout_ms, reply,
                                sizeof reply);
    if (r < 0) {
        fprintf(stderr, "cxsim ctl: %s\n", reply);
        return 1;
    }
    if (r == 0) {
        fprintf(stderr, "cxsim ctl: refused: %s\n", reply);
        return 2;
    }
    if (strcmp(verb, "status") == 0) {
        for (char *tok = strtok(reply, " "); tok; tok = strtok(NULL, " ")) {
            printf("%s\n", tok);
        }
    } else {
        printf("%s\n", reply);
    }
    return 0;
}
