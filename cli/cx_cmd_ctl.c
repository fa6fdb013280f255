/*  cxsim ctl — changes a running simulation between two ticks, pauses or
 *  paces its clock, asks where it stands (docs/PROTOCOL.md, "Control").
 *
 *  It speaks COMMAND/REPLY to the coordinator's control socket, found in
 *  RUN_DIR/live.endpoints while the run lasts. `set KEY=VALUE` is shorthand
 *  for a timeline event; the coordinator checks every change exactly like a
 *  timeline item of the scenario file and records it in the run's
 *  scenario.resolved.yaml, so the run can be replayed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_cmd.h"
#include "cx_control.h"
#include "cx_live_set.h"
#include "cx_load.h"
#include "cx_opts.h"

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

/* What the command line asks. */
typedef struct {
    const char *target;           /* RUN_DIR or ENDPOINT */
    const char *verb;             /* the verb */
    const char *arg[2];           /* its positional arguments */
    int n_arg;                    /* entries used (a third is refused) */
    const char *at, *over, *cost; /* set's --at, --over, --cost */
    cx_curve_t curve;             /* --key, zeroed without one */
} s_ctl_t;

/* Reads the options and positionals into c. Returns 0, 1 (--help: done),
 * or 2 after a message. */
static int s_parse(int argc, char **argv, s_ctl_t *c)
{
    enum { O_HELP, O_KEY, O_AT, O_OVER, O_COST };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP}, {"--key", NULL, true, O_KEY},   {"--at", NULL, true, O_AT},
        {"--over", NULL, true, O_OVER},  {"--cost", NULL, true, O_COST},
    };
    memset(c, 0, sizeof *c);
    cx_opts_t p;
    cx_opts_init(&p, "cxsim ctl", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id;;) {
        if (p.i < argc && argv[p.i][0] == '-' && isdigit((unsigned char)argv[p.i][1])) {
            id = CX_OPTS_POSITIONAL; /* a negative number (pace -5): the coordinator says why */
            p.value = argv[p.i++];
        } else if ((id = cx_opts_next(&p)) == CX_OPTS_END) {
            break;
        }
        switch (id) {
        case O_HELP:
            s_usage(stdout);
            return 1;
        case O_KEY:
            if (cx_cmd_key_load("cxsim ctl", p.value, &c->curve) != 0) {
                return 2;
            }
            break;
        case O_AT:
            c->at = p.value;
            break;
        case O_OVER:
            c->over = p.value;
            break;
        case O_COST:
            c->cost = p.value;
            break;
        case CX_OPTS_POSITIONAL:
            if (!c->target) {
                c->target = p.value;
            } else if (!c->verb) {
                c->verb = p.value;
            } else if (c->n_arg < 2) {
                c->arg[c->n_arg++] = p.value;
            } else {
                fprintf(stderr, "cxsim ctl %s: unexpected argument '%s'\n", c->verb, p.value);
                return 2;
            }
            break;
        default: /* CX_OPTS_ERROR, printed */
            return 2;
        }
    }
    if (!c->verb) {
        s_usage(stderr);
        return 2;
    }
    return 0;
}

/* The verbs, with how many positional arguments each takes. */
static const char *const s_verbs[] = {"set",    "event", "pace", "status",    "pause",
                                      "resume", "stop",  "step", "checkpoint"};
enum { S_NVERBS = sizeof s_verbs / sizeof s_verbs[0] };

/* Checks the verb and its arguments, and builds the request: the verb to
 * send, its value, the time to wait for the reply. 0, or 2 after a
 * message. */
static int s_request(const s_ctl_t *c, const char **send_verb, char *value, size_t cap,
                     int *timeout_ms)
{
    const char *verb = c->verb;
    int k = 0;
    while (k < S_NVERBS && strcmp(s_verbs[k], verb) != 0) {
        k++;
    }
    if (k == S_NVERBS) {
        const char *near = cx_suggest(verb, s_verbs, S_NVERBS);
        fprintf(stderr, "cxsim ctl: unknown verb '%s'%s%s%s\n", verb,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        s_usage(stderr);
        return 2;
    }
    *send_verb = verb;
    *timeout_ms = 5000;
    value[0] = '\0';
    if (k != 0 && (c->at || c->over || c->cost)) {
        fprintf(stderr, "cxsim ctl %s: --at, --over and --cost are options of set\n", verb);
        return 2;
    }
    if (k == 0) {
        if (c->n_arg == 0) {
            fprintf(stderr, "cxsim ctl set: expected KEY=VALUE\n");
            return 2;
        }
        if (c->n_arg > 1) {
            fprintf(stderr, "cxsim ctl set: unexpected argument '%s'\n", c->arg[1]);
            return 2;
        }
        char why[512];
        if (cx_live_set_event(c->arg[0], c->at, c->over, c->cost, value, cap, why, sizeof why) !=
            0) {
            fprintf(stderr, "cxsim ctl: %s\n", why);
            return 2;
        }
        *send_verb = "event";
    } else if (k <= 2) {
        if (c->n_arg != 1) {
            fprintf(stderr, "cxsim ctl %s: expected one argument\n", verb);
            return 2;
        }
        snprintf(value, cap, "%s", c->arg[0]);
    } else if (c->n_arg != 0) {
        fprintf(stderr, "cxsim ctl %s: takes no argument\n", verb);
        return 2;
    } else if (strcmp(verb, "checkpoint") == 0) {
        *timeout_ms = 120000; /* every agent's state goes to disk first */
    }
    return 0;
}

int cx_cmd_ctl(int argc, char **argv)
{
    s_ctl_t c;
    int rc = s_parse(argc, argv, &c);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    char value[CX_CONTROL_TEXT_MAX];
    const char *send_verb;
    int timeout_ms;
    if (s_request(&c, &send_verb, value, sizeof value, &timeout_ms) != 0) {
        return 2;
    }
    char ep[1024];
    if (s_endpoint(c.target, ep, sizeof ep) != 0) {
        return 1;
    }
    char reply[CX_CONTROL_TEXT_MAX];
    int r =
        cx_control_call_key(ep, &c.curve, send_verb, "", value, timeout_ms, reply, sizeof reply);
    if (r < 0) {
        fprintf(stderr, "cxsim ctl: %s\n", reply);
        return 1;
    }
    if (r == 0) {
        fprintf(stderr, "cxsim ctl: refused: %s\n", reply);
        return 2;
    }
    if (strcmp(c.verb, "status") == 0) {
        for (char *tok = strtok(reply, " "); tok; tok = strtok(NULL, " ")) {
            printf("%s\n", tok);
        }
    } else {
        printf("%s\n", reply);
    }
    return 0;
}
