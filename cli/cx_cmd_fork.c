/*  cxsim fork — a counterfactual branch of a run: a new run directory that
 *  starts from the run's last checkpoint, with changes from that tick on,
 *  and runs to the end.
 *
 *      RUN_DIR (checkpoint after tick T-1)
 *        --> NEW_DIR: the checkpoint, the result files cut back to tick T-1,
 *            the scenario with the changes added to its timeline (each
 *            checked like a timeline item, at T or later)
 *        --> `cxsim resume NEW_DIR`
 *
 *  The branch's files are byte-identical to a fresh run of its own
 *  scenario.resolved.yaml: a branch is as reproducible as any run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_checkpoint.h"
#include "cx_cmd.h"
#include "cx_control.h"
#include "cx_dirlock.h"
#include "cx_live_set.h"
#include "cx_load.h"
#include "cx_output.h"

#define S_MAX_CHANGES 64

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim fork RUN_DIR NEW_DIR [--at T] [--event YAML]... [--set KEY=VALUE\n"
            "                  [--at T] [--over N] [--cost C]]... [--quiet] [--cpus LIST]\n"
            "                  [--key FILE] [--keep-checkpoints N]\n"
            "\n"
            "Branches a run at its last checkpoint (written by `cxsim run --checkpoint-every\n"
            "N`, or asked of a run still going), or with --at T before any --set, at the\n"
            "latest checkpoint it kept that starts at tick T or before (`cxsim run\n"
            "--keep-checkpoints`). NEW_DIR gets the run's results up to that tick, the\n"
            "changes (timeline events, or `set` shorthands as in `cxsim ctl`; each from the\n"
            "checkpoint's tick on: a --set at its own --at, else at T, else at the next\n"
            "tick), and runs to the end. NEW_DIR must not exist or be empty. Its files\n"
            "equal a fresh run of its scenario.resolved.yaml.\n"
            "\n"
            "exit status: 0 success, 1 the run failed, 2 invalid input\n");
}

/* Copies the first `len` bytes of src to dst. */
static int s_copy(const char *src, const char *dst, int64_t len)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[1 << 16];
    int64_t left = len;
    int rc = 0;
    while (left != 0) {
        size_t want = left < 0 || left > (int64_t)sizeof buf ? sizeof buf : (size_t)left;
        ssize_t n = read(in, buf, want);
        if (n == 0 && left < 0) {
            break;
        }
        if (n <= 0) {
            rc = -1;
            errno = n == 0 ? EIO : errno;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc != 0) {
            break;
        }
        if (left > 0) {
            left -= n;
        }
    }
    if (fsync(out) != 0) {
        rc = -1;
    }
    close(in);
    close(out);
    return rc;
}

static int s_empty_or_absent(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        return errno == ENOENT;
    }
    if (!S_ISDIR(st.st_mode)) {
        return 0;
    }
    int empty = 1;
    char path[4200];
    static const char *const names[] = {"kpis.csv", "scenario.resolved.yaml", "summary.json",
                                        "checkpoint.msgpack"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (access(path, F_OK) == 0) {
            empty = 0;
        }
    }
    return empty;
}

int cx_cmd_fork(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        s_usage(stdout);
        return 0;
    }
    /* The run key goes to the checkpoint request and to the branch's run. */
    cx_curve_t curve;
    const char *key_path = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--key") == 0) {
            key_path = argv[i + 1];
        }
    }
    if (cx_take_key_option(&argc, argv, &curve, "cxsim fork") != 0) {
        return 2;
    }
    if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        s_usage(stderr);
        return 2;
    }
    const char *from = argv[1], *to = argv[2];
    static char changes[S_MAX_CHANGES][CX_CONTROL_TEXT_MAX];
    const char *branch_at = NULL; /* --at T before any change's own: where to branch */
    long long branch_tick = -1;
    int n_changes = 0;
    char *pass[64];
    int n_pass = 0;
    for (int i = 3; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (n_changes == S_MAX_CHANGES &&
            (strcmp(argv[i], "--event") == 0 || strcmp(argv[i], "--set") == 0)) {
            fprintf(stderr, "cxsim fork: at most %d changes\n", S_MAX_CHANGES);
            return 2;
        }
        if (strcmp(argv[i], "--at") == 0 && v) {
            char *end;
            errno = 0;
            branch_tick = strtoll(v, &end, 10);
            if (errno || *end || end == v || branch_tick < 0 || branch_tick > CX_MAX_TICKS) {
                fprintf(stderr, "cxsim fork: --at expects a tick 0..%d, got '%s'\n", CX_MAX_TICKS,
                        v);
                return 2;
            }
            branch_at = v;
            i++;
        } else if (strcmp(argv[i], "--event") == 0 && v) {
            snprintf(changes[n_changes++], CX_CONTROL_TEXT_MAX, "%s", v);
            i++;
        } else if (strcmp(argv[i], "--set") == 0 && v) {
            const char *at = NULL, *over = NULL, *cost = NULL;
            i++;
            /* Its own --at, --over, --cost follow it. */
            while (i + 2 < argc) {
                const char *o = argv[i + 1], *ov = argv[i + 2];
                if (strcmp(o, "--at") == 0) {
                    at = ov;
                } else if (strcmp(o, "--over") == 0) {
                    over = ov;
                } else if (strcmp(o, "--cost") == 0) {
                    cost = ov;
                } else {
                    break;
                }
                i += 2;
            }
            char why[512];
            if (!at) {
                at = branch_at;
            }
            if (cx_live_set_event(v, at, over, cost, changes[n_changes], CX_CONTROL_TEXT_MAX, why,
                                  sizeof why) != 0) {
                fprintf(stderr, "cxsim fork: %s\n", why);
                return 2;
            }
            n_changes++;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            pass[n_pass++] = argv[i];
        } else if ((strcmp(argv[i], "--cpus") == 0 || strcmp(argv[i], "--heartbeat-ms") == 0 ||
                    strcmp(argv[i], "--checkpoint-every") == 0 ||
                    strcmp(argv[i], "--keep-checkpoints") == 0 ||
                    strcmp(argv[i], "--tick-ms") == 0) &&
                   v && n_pass + 2 < 60) {
            pass[n_pass++] = argv[i];
            pass[n_pass++] = argv[++i];
        } else {
            fprintf(stderr, "cxsim fork: unexpected argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }

    char scen[4200], cp_path[4200];
    snprintf(scen, sizeof scen, "%s/scenario.resolved.yaml", from);
    snprintf(cp_path, sizeof cp_path, "%s/checkpoint.msgpack", from);
    /* A run still going is asked for a checkpoint of where it stands. */
    char ep[1024], reply[CX_CONTROL_TEXT_MAX];
    if (cx_live_endpoint_read(from, "control", ep, sizeof ep) == 0) {
        int r = cx_control_call_key(ep, &curve, "checkpoint", "", "", 120000, reply,
                                    sizeof reply);
        if (r == 1) {
            fprintf(stderr, "cxsim fork: the running %s took a %s\n", from, reply);
        } else if (r == 0) {
            fprintf(stderr, "cxsim fork: the running %s refused a checkpoint: %s\n", from, reply);
            return 1;
        }
        /* No answer: the run has just ended; its last checkpoint serves. */
    }
    if (access(cp_path, R_OK) != 0) {
        fprintf(stderr, "cxsim fork: %s has no checkpoint (%s): run it with --checkpoint-every N\n",
                from, strerror(errno));
        return 2;
    }
    if (branch_at) {
        char why[600];
        int64_t t;
        if (cx_checkpoint_find(from, branch_tick, cp_path, sizeof cp_path, &t, why,
                               sizeof why) != 0) {
            fprintf(stderr, "cxsim fork: --at %lld: %s\n", branch_tick, why);
            return 2;
        }
    }
    if (!s_empty_or_absent(to)) {
        fprintf(stderr, "cxsim fork: %s already holds a run (or is not a directory)\n", to);
        return 2;
    }
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        return 1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(scen, NULL, 0, sc, &d) != 0) {
        cx_diags_print(stderr, &d);
        cx_diags_fini(&d);
        free(sc);
        return 2;
    }
    int n_agents = sc->n_dept;
    for (int p = 0; p < sc->n_persona; p++) {
        n_agents += sc->persona[p].shards;
    }
    cx_checkpoint_t cp;
    char err[512];
    char from_id[CX_RUN_ID_LEN + 1], to_id[CX_RUN_ID_LEN + 1];
    if (cx_checkpoint_read(cp_path, n_agents, &cp, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim fork: cannot fork from %s: %s\n", cp_path, err);
        cx_diags_fini(&d);
        free(sc);
        return 2;
    }
    /* Only the run's own checkpoint, whose every agent state the model takes
     * back; the branch is a run of its own, with its own identity. */
    if (cx_run_id_read(from, from_id, err, sizeof err) != 0 ||
        cx_checkpoint_verify(&cp, sc, from_id, err, sizeof err) != 0 ||
        cx_checkpoint_check_agents(&cp, sc, err, sizeof err) != 0 || cx_run_id_new(to_id) != 0) {
        fprintf(stderr, "cxsim fork: cannot fork from %s: %s\n", cp_path, err);
        cx_checkpoint_fini(&cp);
        cx_diags_fini(&d);
        free(sc);
        return 2;
    }
    int first = (int)cp.next_tick;
    cx_output_state_t st = cp.output;
    int rc = 2;
    for (int k = 0; k < n_changes; k++) {
        cx_event_spec_t ev;
        if (cx_event_load_string("change", changes[k], strlen(changes[k]), sc, first, &ev, &d) !=
            0) {
            cx_diags_print(stderr, &d);
            fprintf(stderr, "cxsim fork: change %d (%s) refused; the checkpoint is after tick %d\n",
                    k + 1, changes[k], first - 1);
            goto out;
        }
        if (cx_scenario_add_event(sc, &ev, first) < 0) {
            fprintf(stderr, "cxsim fork: the timeline is full (%d events)\n", CX_MAX_EVENTS);
            goto out;
        }
    }
    rc = 1;
    char *yaml = NULL;
    size_t len = 0;
    char path[4200], src[4200];
    if (cx_mkdirs(to) != 0) {
        fprintf(stderr, "cxsim fork: cannot create %s: %s\n", to, strerror(errno));
        goto out;
    }
    /* The branch is written by this process, then by the resume below,
     * which finds the lock already held. */
    if ((rc = cx_dirlock_take(to, err, sizeof err)) < 0) {
        fprintf(stderr, "cxsim fork: %s\n", err);
        rc = rc == -1 ? 2 : 1;
        goto out;
    }
    rc = 1;
    static const char *const files[3] = {"kpis.csv", "departments.csv", "touchpoints.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(src, sizeof src, "%s/%s", from, files[i]);
        snprintf(path, sizeof path, "%s/%s", to, files[i]);
        if (s_copy(src, path, st.offset[i]) != 0) {
            fprintf(stderr, "cxsim fork: cannot copy %s: %s\n", src, strerror(errno));
            goto out;
        }
    }
    /* The events added from the checkpoint's tick on leave its scenario
     * hash as it was (cx_checkpoint.h): only the identity changes. */
    snprintf(path, sizeof path, "%s/checkpoint.msgpack", to);
    if (cx_checkpoint_own(&cp, sc, to_id) != 0 ||
        cx_checkpoint_write(path, &cp, err, sizeof err) != 0 ||
        cx_run_id_write(to, to_id, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim fork: %s\n", err);
        goto out;
    }
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", to);
    if (cx_scenario_emit(sc, &yaml, &len) != 0 || cx_write_atomic(path, yaml, len) != 0) {
        fprintf(stderr, "cxsim fork: cannot write %s: %s\n", path, strerror(errno));
        free(yaml);
        goto out;
    }
    free(yaml);
    fprintf(stderr, "cxsim fork: %s branches from %s after tick %d with %d change%s\n", to, from,
            first - 1, n_changes, n_changes == 1 ? "" : "s");
    cx_checkpoint_fini(&cp);
    cx_diags_fini(&d);
    free(sc);
    char *args[70];
    int n = 0;
    args[n++] = "resume";
    args[n++] = (char *)to;
    for (int i = 0; i < n_pass; i++) {
        args[n++] = pass[i];
    }
    if (key_path) {
        args[n++] = "--key";
        args[n++] = (char *)key_path;
    }
    args[n] = NULL;
    return cx_cmd_resume(n, args);
out:
    cx_checkpoint_fini(&cp);
    cx_diags_fini(&d);
    free(sc);
    return rc;
}
