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
#include "cx_opts.h"
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

/* Option ids (cx_opts). */
enum {
    S_O_HELP,
    S_O_KEY,
    S_O_AT,
    S_O_EVENT,
    S_O_SET,
    S_O_OVER,
    S_O_COST,
    S_O_QUIET,
    S_O_PASS /* an option of the branch's run, passed to `cxsim resume` */
};

static const cx_opt_t s_options[] = {
    {"--help", "-h", false, S_O_HELP},
    {"--key", NULL, true, S_O_KEY},
    {"--at", NULL, true, S_O_AT},
    {"--event", NULL, true, S_O_EVENT},
    {"--set", NULL, true, S_O_SET},
    {"--over", NULL, true, S_O_OVER},
    {"--cost", NULL, true, S_O_COST},
    {"--quiet", "-q", false, S_O_QUIET},
    {"--cpus", NULL, true, S_O_PASS},
    {"--heartbeat-ms", NULL, true, S_O_PASS},
    {"--checkpoint-every", NULL, true, S_O_PASS},
    {"--keep-checkpoints", NULL, true, S_O_PASS},
    {"--tick-ms", NULL, true, S_O_PASS},
};

/* What the command line asks. */
typedef struct {
    const char *from, *to;                            /* RUN_DIR, NEW_DIR */
    char changes[S_MAX_CHANGES][CX_CONTROL_TEXT_MAX]; /* timeline events, as YAML */
    int n_changes;                                    /* entries used */
    const char *branch_at;        /* --at T before any change's own: where to branch */
    long long branch_tick;        /* its value, -1 without */
    const char *set;              /* the --set whose --at, --over, --cost may follow */
    const char *at, *over, *cost; /* those */
    const char *pass[64];         /* options for `cxsim resume` */
    int n_pass;                   /* entries used */
    const char *key_path;         /* --key: to the checkpoint request and the branch's run */
    cx_curve_t curve;             /* that key, zeroed without one */
} s_fork_t;

/* A room for one more change. 0, or 2 after a message. */
static int s_room(const s_fork_t *f)
{
    if (f->n_changes == S_MAX_CHANGES) {
        fprintf(stderr, "cxsim fork: at most %d changes\n", S_MAX_CHANGES);
        return 2;
    }
    return 0;
}

/* Turns the pending --set (with the --at, --over, --cost that followed it,
 * else the branch's --at) into a change. 0, or 2 after a message. */
static int s_flush_set(s_fork_t *f)
{
    if (!f->set) {
        return 0;
    }
    char why[512];
    const char *at = f->at ? f->at : f->branch_at;
    int rc = cx_live_set_event(f->set, at, f->over, f->cost, f->changes[f->n_changes],
                               CX_CONTROL_TEXT_MAX, why, sizeof why);
    f->set = f->at = f->over = f->cost = NULL;
    if (rc != 0) {
        fprintf(stderr, "cxsim fork: %s\n", why);
        return 2;
    }
    f->n_changes++;
    return 0;
}

/* --at T with no --set before it: the tick to branch at. 0, or 2. */
static int s_branch_at(s_fork_t *f, const char *v)
{
    char *end;
    errno = 0;
    f->branch_tick = strtoll(v, &end, 10);
    if (errno || *end || end == v || f->branch_tick < 0 || f->branch_tick > CX_MAX_TICKS) {
        fprintf(stderr, "cxsim fork: --at expects a tick 0..%d, got '%s'\n", CX_MAX_TICKS, v);
        return 2;
    }
    f->branch_at = v;
    return 0;
}

/* One option or positional read by p, into f. 0, or 2 after a message. */
static int s_take(s_fork_t *f, int id, const cx_opts_t *p)
{
    const char *v = p->value;
    if (f->set && (id == S_O_AT || id == S_O_OVER || id == S_O_COST)) {
        *(id == S_O_AT ? &f->at : id == S_O_OVER ? &f->over : &f->cost) = v;
        return 0;
    }
    if (s_flush_set(f) != 0) {
        return 2;
    }
    switch (id) {
    case S_O_KEY:
        f->key_path = v;
        return cx_cmd_key_load("cxsim fork", v, &f->curve) != 0 ? 2 : 0;
    case S_O_AT:
        return s_branch_at(f, v);
    case S_O_EVENT:
        if (s_room(f) != 0) {
            return 2;
        }
        snprintf(f->changes[f->n_changes++], CX_CONTROL_TEXT_MAX, "%s", v);
        return 0;
    case S_O_SET:
        if (s_room(f) != 0) {
            return 2;
        }
        f->set = v;
        return 0;
    case S_O_QUIET:
    case S_O_PASS:
        if (f->n_pass + 2 > 60) {
            fprintf(stderr, "cxsim fork: too many options\n");
            return 2;
        }
        f->pass[f->n_pass++] = p->arg; /* as given: --NAME, -q or --NAME=VALUE */
        if (id == S_O_PASS && strchr(p->arg, '=') == NULL) {
            f->pass[f->n_pass++] = v;
        }
        return 0;
    case CX_OPTS_POSITIONAL:
        if (f->from && f->to) {
            fprintf(stderr, "cxsim fork: unexpected argument '%s'\n", v);
            s_usage(stderr);
            return 2;
        }
        *(f->from ? &f->to : &f->from) = v;
        return 0;
    default: /* --over or --cost with no --set before them */
        fprintf(stderr, "cxsim fork: %s belongs to a --set (--set KEY=VALUE %s ...)\n", p->arg,
                p->arg);
        return 2;
    }
}

/* Reads the command line into f. 0, 1 (--help: done), or 2 after a
 * message. */
static int s_parse(int argc, char **argv, s_fork_t *f)
{
    memset(f, 0, sizeof *f);
    f->branch_tick = -1;
    cx_opts_t p;
    cx_opts_init(&p, "cxsim fork", s_options, (int)(sizeof s_options / sizeof s_options[0]), argc,
                 argv);
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == S_O_HELP) {
            s_usage(stdout);
            return 1;
        }
        if (id == CX_OPTS_ERROR || s_take(f, id, &p) != 0) {
            return 2;
        }
    }
    if (s_flush_set(f) != 0) {
        return 2;
    }
    if (!f->to || strcmp(f->from, "-") == 0 || strcmp(f->to, "-") == 0) {
        s_usage(stderr);
        return 2;
    }
    return 0;
}

/* The checkpoint to branch from into cp_path: a run still going is asked
 * for one of where it stands; with --at, the latest kept one at or before
 * that tick. 0, or the exit status after a message. */
static int s_find_checkpoint(const s_fork_t *f, char *cp_path, size_t cap)
{
    snprintf(cp_path, cap, "%s/checkpoint.msgpack", f->from);
    char ep[1024], reply[CX_CONTROL_TEXT_MAX];
    if (cx_live_endpoint_read(f->from, "control", ep, sizeof ep) == 0) {
        int r =
            cx_control_call_key(ep, &f->curve, "checkpoint", "", "", 120000, reply, sizeof reply);
        if (r == 1) {
            fprintf(stderr, "cxsim fork: the running %s took a %s\n", f->from, reply);
        } else if (r == 0) {
            fprintf(stderr, "cxsim fork: the running %s refused a checkpoint: %s\n", f->from,
                    reply);
            return 1;
        }
        /* No answer: the run has just ended; its last checkpoint serves. */
    }
    if (access(cp_path, R_OK) != 0) {
        fprintf(stderr, "cxsim fork: %s has no checkpoint (%s): run it with --checkpoint-every N\n",
                f->from, strerror(errno));
        return 2;
    }
    if (f->branch_at) {
        char why[600];
        int64_t t;
        if (cx_checkpoint_find(f->from, f->branch_tick, cp_path, cap, &t, why, sizeof why) != 0) {
            fprintf(stderr, "cxsim fork: --at %lld: %s\n", f->branch_tick, why);
            return 2;
        }
    }
    if (!s_empty_or_absent(f->to)) {
        fprintf(stderr, "cxsim fork: %s already holds a run (or is not a directory)\n", f->to);
        return 2;
    }
    return 0;
}

/* Reads the run's checkpoint at cp_path into cp, checked against its
 * scenario sc (and its identity); a fresh identity for the branch into
 * to_id. 0, or 2 after a message (cp then needs no cx_checkpoint_fini). */
static int s_read_checkpoint(const s_fork_t *f, const char *cp_path, const cx_scenario_t *sc,
                             cx_checkpoint_t *cp, char *to_id)
{
    int n_agents = sc->n_dept;
    for (int p = 0; p < sc->n_persona; p++) {
        n_agents += sc->persona[p].shards;
    }
    char err[512];
    char from_id[CX_RUN_ID_LEN + 1];
    if (cx_checkpoint_read(cp_path, n_agents, cp, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim fork: cannot fork from %s: %s\n", cp_path, err);
        return 2;
    }
    /* Only the run's own checkpoint, whose every agent state the model takes
     * back; the branch is a run of its own, with its own identity. */
    if (cx_run_id_read(f->from, from_id, err, sizeof err) != 0 ||
        cx_checkpoint_verify(cp, sc, from_id, err, sizeof err) != 0 ||
        cx_checkpoint_check_agents(cp, sc, err, sizeof err) != 0 || cx_run_id_new(to_id) != 0) {
        fprintf(stderr, "cxsim fork: cannot fork from %s: %s\n", cp_path, err);
        cx_checkpoint_fini(cp);
        return 2;
    }
    return 0;
}

/* Adds the changes to sc's timeline, each from tick `first` on. 0, or 2
 * after a message. */
static int s_apply_changes(const s_fork_t *f, cx_scenario_t *sc, int first, cx_diags_t *d)
{
    for (int k = 0; k < f->n_changes; k++) {
        cx_event_spec_t ev;
        if (cx_event_load_string("change", f->changes[k], strlen(f->changes[k]), sc, first, &ev,
                                 d) != 0) {
            cx_diags_print(stderr, d);
            fprintf(stderr, "cxsim fork: change %d (%s) refused; the checkpoint is after tick %d\n",
                    k + 1, f->changes[k], first - 1);
            return 2;
        }
        if (cx_scenario_add_event(sc, &ev, first) < 0) {
            fprintf(stderr, "cxsim fork: the timeline is full (%d events)\n", CX_MAX_EVENTS);
            return 2;
        }
    }
    return 0;
}

/* Writes NEW_DIR: the result files cut back to the checkpoint, the
 * checkpoint under the branch's identity, the scenario with its changes.
 * 0, or the exit status after a message. */
static int s_write_branch(const s_fork_t *f, cx_checkpoint_t *cp, const cx_scenario_t *sc,
                          const char *to_id)
{
    const char *to = f->to;
    char err[512], path[4200], src[4200];
    if (cx_mkdirs(to) != 0) {
        fprintf(stderr, "cxsim fork: cannot create %s: %s\n", to, strerror(errno));
        return 1;
    }
    /* The branch is written by this process, then by the resume that
     * follows, which finds the lock already held. */
    int rc = cx_dirlock_take(to, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "cxsim fork: %s\n", err);
        return rc == -1 ? 2 : 1;
    }
    static const char *const files[3] = {"kpis.csv", "departments.csv", "touchpoints.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(src, sizeof src, "%s/%s", f->from, files[i]);
        snprintf(path, sizeof path, "%s/%s", to, files[i]);
        if (s_copy(src, path, cp->output.offset[i]) != 0) {
            fprintf(stderr, "cxsim fork: cannot copy %s: %s\n", src, strerror(errno));
            return 1;
        }
    }
    /* The events added from the checkpoint's tick on leave its scenario
     * hash as it was (cx_checkpoint.h): only the identity changes. */
    snprintf(path, sizeof path, "%s/checkpoint.msgpack", to);
    if (cx_checkpoint_own(cp, sc, to_id) != 0 ||
        cx_checkpoint_write(path, cp, err, sizeof err) != 0 ||
        cx_run_id_write(to, to_id, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim fork: %s\n", err);
        return 1;
    }
    char *yaml = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", to);
    if (cx_scenario_emit(sc, &yaml, &len) != 0 || cx_write_atomic(path, yaml, len) != 0) {
        fprintf(stderr, "cxsim fork: cannot write %s: %s\n", path, strerror(errno));
        free(yaml);
        return 1;
    }
    free(yaml);
    return 0;
}

/* Makes NEW_DIR from the checkpoint at cp_path. 0, or the exit status
 * after a message. */
static int s_branch(const s_fork_t *f, const char *cp_path)
{
    char scen[4200];
    snprintf(scen, sizeof scen, "%s/scenario.resolved.yaml", f->from);
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        return 1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    cx_checkpoint_t cp;
    char to_id[CX_RUN_ID_LEN + 1];
    int rc = 2;
    if (cx_scenario_load_file(scen, NULL, 0, sc, &d) != 0) {
        cx_diags_print(stderr, &d);
    } else if (s_read_checkpoint(f, cp_path, sc, &cp, to_id) == 0) {
        int first = (int)cp.next_tick;
        rc = s_apply_changes(f, sc, first, &d);
        if (rc == 0) {
            rc = s_write_branch(f, &cp, sc, to_id);
        }
        if (rc == 0) {
            fprintf(stderr, "cxsim fork: %s branches from %s after tick %d with %d change%s\n",
                    f->to, f->from, first - 1, f->n_changes, f->n_changes == 1 ? "" : "s");
        }
        cx_checkpoint_fini(&cp);
    }
    cx_diags_fini(&d);
    free(sc);
    return rc;
}

int cx_cmd_fork(int argc, char **argv)
{
    static s_fork_t f;
    int rc = s_parse(argc, argv, &f);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    char cp_path[4200];
    if ((rc = s_find_checkpoint(&f, cp_path, sizeof cp_path)) != 0 ||
        (rc = s_branch(&f, cp_path)) != 0) {
        return rc;
    }
    char *args[70];
    int n = 0;
    args[n++] = "resume";
    args[n++] = (char *)f.to;
    for (int i = 0; i < f.n_pass; i++) {
        args[n++] = (char *)f.pass[i];
    }
    if (f.key_path) {
        args[n++] = "--key";
        args[n++] = (char *)f.key_path;
    }
    args[n] = NULL;
    return cx_cmd_resume(n, args);
}
