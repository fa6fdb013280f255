/*  cxsim-coordinator — the clock, the barrier, the timeline, the results.
 *
 *      cxsim-coordinator --scenario FILE --out DIR --bind ENDPOINT [--pub ENDPOINT]
 *                        [--control ENDPOINT] [--tick-ms MS] [--heartbeat-ms MS]
 *                        [--startup-timeout-ms MS]
 *
 *  Agents connect to its ROUTER socket as DEALERs. Observers may subscribe
 *  to its PUB socket: one ROW message per completed tick. Clients may send
 *  commands to its control socket (cx_control): between two ticks it takes
 *  live changes (a timeline event for a tick not begun yet, added to the
 *  scenario, which is rewritten so that it replays the run), pauses,
 *  paces or stops the clock, and reports its status.
 *
 *  State machine:
 *
 *      PARSE --bad argument--> exit 2
 *        |
 *      LOAD --bad scenario or checkpoint, a listener without the key--> exit 2
 *        |                           (the results directory locked: exit 1)
 *      SOCKETS --cannot bind, no run key, too few open files--> FINISH
 *        |
 *      JOINING  --HELLO from every agent of the roster--> send WELCOME
 *        |                                                (and RESTORE)
 *      WELCOMED --READY from every agent--> tick start_tick
 *        |      (--paused: BETWEEN first, until `resume` or `step`)
 *        v
 *      TICKING t: OPEN (the timeline, TICK t to every agent)
 *        |        COLLECT (TICK_DONE from every shard, DEPT_DONE from
 *        |          every department: added up)
 *        |        CLOSE (the row, on disk before the next tick, published)
 *        |      --every N ticks--> CHECKPOINT
 *        |      --a control socket or a pace--> BETWEEN (commands, pause,
 *        |          pace; `stop` --> FINISH "stopped")
 *        |      --> t+1
 *      --all ticks--> FINISH "completed": STOP "done", wait for BYEs,
 *                     summary.json, exit 0
 *      any: an agent silent for 2 heartbeats, an ERROR, a write error,
 *           a tick past --tick-timeout-ms --> FINISH "failed", exit 1
 *      any: SIGINT/SIGTERM --> FINISH "interrupted", exit 1
 *
 *  Who does each transition:
 *
 *      PARSE                     s_parse                  this file
 *      LOAD                      s_guard, s_load, s_begin this file
 *      SOCKETS                   s_sockets                this file
 *      JOINING, WELCOMED         cx_coord_join            cx_coord_join.c
 *      TICKING (OPEN .. CLOSE)   cx_coord_tick            cx_coord_tick.c
 *      CHECKPOINT                cx_coord_checkpoint      cx_coord_checkpoint.c
 *      BETWEEN                   cx_coord_between         cx_coord_control.c
 *      the ticks, in order       s_run                    this file
 *      FINISH                    s_finish                 this file
 *      frames in and out         cx_coord_recv, _send ... cx_coord_net.c
 *
 *  Frames from peers outside the roster, with another version, of unknown
 *  type, of the wrong shape or for another tick are dropped and counted
 *  (summary.json: messages.dropped_by_coordinator).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_agent.h"
#include "cx_coord.h"
#include "cx_dirlock.h"
#include "cx_load.h"
#include "cx_log.h"
#include "cx_opts.h"
#include "cx_proc.h"
#include "cx_steady.h"
#include "cx_version.h"

volatile sig_atomic_t cx_coord_interrupted = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    cx_coord_interrupted = 1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim-coordinator --scenario FILE --out DIR --bind ENDPOINT\n"
                "                         [--pub ENDPOINT] [--control ENDPOINT] [--tick-ms MS]\n"
                "                         [--key FILE] [--paused] [--tick-timeout-ms MS]\n"
                "                         [--heartbeat-ms MS]\n"
                "                         [--startup-timeout-ms MS] [--checkpoint-every N]\n"
                "                         [--keep-checkpoints N]\n"
                "                         [--resume CHECKPOINT] [--lock-fd FD] [--insecure]\n"
                "                         [--socket-dir DIR]\n"
                "--socket-dir: `cxsim run`'s private ipc directory, removed at exit.\n"
                "Listening on another address than loopback or ipc:// needs --key, or\n"
                "--insecure to accept anyone who reaches it.\n"
                "The clock and barrier of a run. Normally started by `cxsim run`.\n");
}

/* PARSE: the command line into a. Returns -1 to go on, or the exit status
 * (0 for --help and --version, 2 for a bad argument). */
static int s_parse(int argc, char **argv, cx_coord_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->heartbeat_ms = 1000;
    a->startup_ms = 30000;
    a->tick_timeout_ms = 600000;
    a->lock_fd = -1;
    a->keep_cp = CX_CHECKPOINT_KEEP_DEFAULT;
    /* Each option, where its value goes (text, or an integer from lo to hi);
     * its index is its id, the four flags first. */
    enum { O_HELP, O_VERSION, O_INSECURE, O_PAUSED };
    const struct {
        const char *name;  /* the option */
        const char **text; /* its value, as given */
        long long *num;    /* or as an integer */
        long long lo, hi;  /* that integer's range */
    } tab[] = {
        {"--help", NULL, NULL, 0, 0},
        {"--version", NULL, NULL, 0, 0},
        {"--insecure", NULL, NULL, 0, 0},
        {"--paused", NULL, NULL, 0, 0},
        {"--scenario", &a->scenario, NULL, 0, 0},
        {"--out", &a->out_dir, NULL, 0, 0},
        {"--bind", &a->bind, NULL, 0, 0},
        {"--pub", &a->pub, NULL, 0, 0},
        {"--control", &a->control, NULL, 0, 0},
        {"--key", &a->key, NULL, 0, 0},
        {"--socket-dir", &a->socket_dir, NULL, 0, 0},
        {"--resume", &a->resume, NULL, 0, 0},
        {"--heartbeat-ms", NULL, &a->heartbeat_ms, 10, 600000},
        {"--checkpoint-every", NULL, &a->every, 0, CX_MAX_TICKS},
        {"--keep-checkpoints", NULL, &a->keep_cp, 1, CX_CHECKPOINT_KEEP_MAX},
        {"--tick-timeout-ms", NULL, &a->tick_timeout_ms, 0, 86400000},
        {"--tick-ms", NULL, &a->tick_ms, 0, 600000},
        {"--lock-fd", NULL, &a->lock_fd, 0, 1 << 20},
        {"--startup-timeout-ms", NULL, &a->startup_ms, 10, 3600000},
    };
    enum { N = sizeof tab / sizeof tab[0] };
    cx_opt_t opts[N];
    for (int k = 0; k < N; k++) {
        opts[k] = (cx_opt_t){tab[k].name, NULL, k > O_PAUSED, k};
    }
    cx_opts_t p;
    cx_opts_init(&p, "cxsim-coordinator", opts, N, argc, argv);
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == O_HELP) {
            s_usage(stdout);
            return 0;
        } else if (id == O_VERSION) {
            printf("cxsim-coordinator %s\n", CX_VERSION);
            return 0;
        } else if (id == O_INSECURE || id == O_PAUSED) {
            *(id == O_INSECURE ? &a->insecure : &a->start_paused) = 1;
        } else if (id >= 0 && tab[id].text) {
            *tab[id].text = p.value;
        } else if (id >= 0 && cx_parse_int(p.value, tab[id].lo, tab[id].hi, tab[id].num) != 0) {
            fprintf(stderr,
                    "cxsim-coordinator: %s expects an integer from %lld to %lld, got '%s'\n",
                    tab[id].name, tab[id].lo, tab[id].hi, p.value);
            return 2;
        } else if (id < 0) { /* an error (printed), or a positional argument */
            if (id == CX_OPTS_POSITIONAL) {
                fprintf(stderr, "cxsim-coordinator: bad argument '%s'\n", p.value);
            }
            s_usage(stderr);
            return 2;
        }
    }
    if (!a->scenario || !a->out_dir || !a->bind) {
        s_usage(stderr);
        return 2;
    }
    return -1;
}

/* Before anything is read: every listener beyond this machine needs the
 * run key, and one run writes in a directory at a time (cx_dirlock.h: the
 * lock handed down by the launcher, or taken here). Returns -1 to go on,
 * or the exit status. */
static int s_guard(const cx_coord_args_t *a)
{
    if (cx_net_check_listener("--bind", a->bind, a->key != NULL, a->insecure) != 0 ||
        (a->pub && cx_net_check_listener("--pub", a->pub, a->key != NULL, a->insecure) != 0) ||
        (a->control &&
         cx_net_check_listener("--control", a->control, a->key != NULL, a->insecure) != 0)) {
        return 2;
    }
    if (cx_mkdirs(a->out_dir) == 0) {
        char why[512];
        int l = a->lock_fd >= 0 ? cx_dirlock_adopt(a->out_dir, (int)a->lock_fd, why, sizeof why)
                                : cx_dirlock_take(a->out_dir, why, sizeof why);
        if (l < 0) {
            cx_log_error("%s", why);
            return l == -2 ? 1 : 2;
        }
    }
    return -1;
}

/* Frees what was allocated before the run began, for a refusal that
 * leaves the run's files as they were; returns rc. */
static int s_refuse(cx_coord_t *c, int rc)
{
    if (c->resume) {
        cx_checkpoint_fini(c->resume);
        free(c->resume);
    }
    free(c->agents);
    free(c->yaml);
    cx_msg_fini(c->msg);
    free(c->msg);
    cx_enc_fini(&c->enc);
    free(c->sc);
    free(c->company);
    free(c->totals);
    free(c->tally);
    return rc;
}

/* LOAD (1): the buffers, the scenario (its resolved text, loaded like any
 * file) and the roster (every department, then every persona shard).
 * Returns 0, or the exit status. */
static int s_load(cx_coord_t *c, const cx_coord_args_t *args)
{
    c->args = args;
    c->t0 = cx_now_ms();
    c->heartbeat_ms = (int)args->heartbeat_ms;
    c->tick_ms = args->tick_ms;
    c->out_dir = args->out_dir;
    c->status = "failed";
    c->rc = 1;
    snprintf(c->cp_path, sizeof c->cp_path, "%s/checkpoint.msgpack", args->out_dir);
    c->sc = malloc(sizeof *c->sc);
    c->msg = malloc(sizeof *c->msg);
    c->company = malloc(sizeof *c->company);
    c->totals = malloc(sizeof *c->totals);
    c->tally = malloc(sizeof *c->tally);
    if (!c->sc || !c->msg || !c->company || !c->totals || !c->tally) {
        cx_log_error("out of memory");
        return 1;
    }
    cx_msg_init(c->msg);
    cx_enc_init(&c->enc);
    if (cx_read_file(args->scenario, CX_SCENARIO_MAX_BYTES, &c->yaml, &c->yaml_len) != 0) {
        cx_log_error("cannot read %s: %s", args->scenario,
                     errno == ENOTSUP ? "not a regular file" : strerror(errno));
        return s_refuse(c, 2);
    }
    cx_diags_t diags;
    cx_diags_init(&diags);
    if (cx_scenario_load_string(args->scenario, c->yaml, c->yaml_len, NULL, 0, c->sc, &diags) !=
        0) {
        cx_diags_print(stderr, &diags);
        cx_diags_fini(&diags);
        return s_refuse(c, 2);
    }
    cx_diags_fini(&diags);
    const cx_scenario_t *sc = c->sc;
    int n = sc->n_dept;
    for (int p = 0; p < sc->n_persona; p++) {
        n += sc->persona[p].shards;
    }
    c->agents = calloc((size_t)n, sizeof *c->agents);
    if (!c->agents) {
        cx_log_error("out of memory");
        return 1;
    }
    for (int d = 0; d < sc->n_dept; d++) {
        cx_coord_agent_t *a = &c->agents[c->n_agents++];
        a->role = 0;
        a->index = d;
        snprintf(a->name, sizeof a->name, "department %s", sc->dept[d].id);
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            cx_coord_agent_t *a = &c->agents[c->n_agents++];
            a->role = 1;
            a->index = p;
            a->shard = s;
            snprintf(a->name, sizeof a->name, "persona %s shard %d/%d", sc->persona[p].id, s,
                     sc->persona[p].shards);
        }
    }
    return 0;
}

/* LOAD (2), a fresh run: the company from the scenario's steady state
 * (cx_steady), which the agents get in WELCOME, computed once, here; the
 * result files opened, a new run identity. Returns 0, or the exit status. */
static int s_begin_fresh(cx_coord_t *c)
{
    const char *out_dir = c->out_dir;
    char err[1024] = "";
    cx_steady_t *steady = cx_steady_new(c->sc);
    if (!steady) {
        cx_log_error("out of memory computing the steady state");
        return 1;
    }
    cx_company_init(c->company, c->sc, steady);
    if (cx_steady_pack(steady, c->sc, &c->steady, &c->steady_len) != 0) {
        cx_log_error("out of memory packing the steady state");
        cx_steady_destroy(&steady);
        return 1;
    }
    cx_steady_destroy(&steady);
    c->out = cx_output_open(out_dir, c->sc, c->yaml, c->yaml_len, err, sizeof err);
    char planned[4200];
    cx_coord_planned_path(out_dir, planned, sizeof planned);
    unlink(planned); /* a previous run's plan is not this one's */
    /* A fresh run: a new identity, which its checkpoints carry. */
    if (c->out && (cx_run_id_new(c->run_id) != 0 ||
                   cx_run_id_write(out_dir, c->run_id, err, sizeof err) != 0)) {
        cx_log_error("%s", err[0] ? err : "cannot make a run identity");
        return 1;
    }
    if (!c->out) {
        cx_log_error("%s", err);
        return 1;
    }
    return 0;
}

/* LOAD (2), a resumed run: the checkpoint (which must be this run's, of
 * this seed and scenario: cx_checkpoint.h), the company and history from
 * it, the result files reopened where it left them. Returns 0, or the exit
 * status. */
static int s_begin_resumed(cx_coord_t *c, const char *resume)
{
    char err[1024] = "";
    cx_company_init(c->company, c->sc, NULL);
    c->resume = malloc(sizeof *c->resume);
    if (!c->resume || cx_checkpoint_read(resume, c->n_agents, c->resume, err, sizeof err) != 0) {
        cx_log_error("%s", c->resume ? err : "out of memory");
        free(c->resume);
        c->resume = NULL;
        return s_refuse(c, 2);
    }
    char why[512];
    if (cx_run_id_read(c->out_dir, c->run_id, why, sizeof why) != 0 ||
        cx_checkpoint_verify(c->resume, c->sc, c->run_id, why, sizeof why) != 0) {
        cx_log_error("cannot resume from %s: %s", resume, why);
        return s_refuse(c, 2);
    }
    c->start_tick = c->resume->next_tick;
    *c->company = c->resume->company;
    c->hist = c->resume->hist;
    c->out = cx_output_reopen(c->out_dir, c->sc, &c->resume->output, err, sizeof err);
    if (!c->out) {
        cx_log_error("%s", err);
        return 1;
    }
    return 0;
}

/* SOCKETS: the roster's ROUTER (under the run key when there is one), the
 * observers' PUB, the control socket and OUT/live.endpoints. 0, or -1
 * (reason set). */
static int s_sockets(cx_coord_t *c)
{
    const cx_coord_args_t *a = c->args;
    char err[1024] = "";
    /* One connection (a file descriptor) per agent: past the limit, libzmq
     * aborts the process in its listener. Refuse the run cleanly instead. */
    long nofile = cx_proc_raise_nofile();
    if (nofile > 0 && nofile < c->n_agents + 32) {
        snprintf(c->reason, sizeof c->reason,
                 "this run needs about %d open files (one per agent, plus 32) and the limit is "
                 "%ld: raise it (ulimit -n) or use fewer shards",
                 c->n_agents + 32, nofile);
        return -1;
    }
    /* A secret of this session, for the roster only: it binds each persona
     * shard's batches to the shard admitted here (cx_slot_rid). */
    if (cx_run_id_new(c->session) != 0) {
        snprintf(c->reason, sizeof c->reason, "cannot draw the session's secret");
        return -1;
    }
    /* Under a key, CZMQ's context, whose zauth checks every handshake. */
    c->ctx = a->key ? cx_curve_context() : zmq_ctx_new();
    if (a->key && (cx_curve_load(&c->curve, a->key, err, sizeof err) != 0 ||
                   cx_curve_start(&c->curve, c->ctx, err, sizeof err) != 0)) {
        snprintf(c->reason, sizeof c->reason, "%s", err);
        return -1;
    }
    c->router = zmq_socket(c->ctx, ZMQ_ROUTER);
    int linger = 1000;
    zmq_setsockopt(c->router, ZMQ_LINGER, &linger, sizeof linger);
    if (cx_net_limit(c->router, CX_NET_MAX_DATA) != 0 ||
        cx_curve_server(&c->curve, c->router) != 0) {
        snprintf(c->reason, sizeof c->reason, "cannot set up %s: %s", a->bind,
                 zmq_strerror(errno));
        return -1;
    }
    /* The join explains failed handshakes from this monitor: a socket has
     * one monitor, so it takes over the key check's watcher here. */
    cx_net_monitor_open(&c->mon, c->ctx, c->router);
    if (zmq_bind(c->router, a->bind) != 0) {
        snprintf(c->reason, sizeof c->reason, "cannot bind %s: %s", a->bind, zmq_strerror(errno));
        return -1;
    }
    if (a->pub) {
        c->pub = zmq_socket(c->ctx, ZMQ_PUB);
        int zero = 0;
        zmq_setsockopt(c->pub, ZMQ_LINGER, &zero, sizeof zero);
        if (cx_net_limit(c->pub, CX_NET_MAX_SMALL) != 0 ||
            cx_curve_server(&c->curve, c->pub) != 0 || zmq_bind(c->pub, a->pub) != 0) {
            snprintf(c->reason, sizeof c->reason, "cannot bind %s: %s", a->pub,
                     zmq_strerror(errno));
            return -1;
        }
    }
    if (a->control) {
        if (cx_control_open(&c->ctl, c->ctx, a->control, &c->curve, err, sizeof err) != 0) {
            snprintf(c->reason, sizeof c->reason, "%s", err);
            return -1;
        }
        /* Where clients find the run: `cxsim ctl DIR` reads this file. */
        if (cx_live_endpoints_write(c->out_dir, a->control, a->pub) != 0) {
            snprintf(c->reason, sizeof c->reason, "cannot write %s/live.endpoints: %s",
                     c->out_dir, strerror(errno));
            return -1;
        }
        c->live = 1;
    }
    return 0;
}

/* BETWEEN's answer b after tick `last` (start_tick - 1 before the first):
 * 0 to go on; a stop asked (1) or a failure (-1) set the status, and the
 * run finishes (-1). */
static int s_after_between(cx_coord_t *c, int b, int64_t last, const char *when)
{
    if (b == 1) {
        c->status = "stopped";
        snprintf(c->reason, sizeof c->reason, "stopped by a control command %s tick %lld", when,
                 (long long)last);
        c->rc = 0;
        return -1;
    }
    if (b < 0) {
        if (cx_coord_interrupted) {
            c->status = "interrupted";
        }
        return -1;
    }
    return 0;
}

/* JOINING .. the last tick: 0 when every tick ran, -1 when the run
 * finishes early (status, reason and rc set). */
static int s_run(cx_coord_t *c)
{
    const cx_coord_args_t *a = c->args;
    int ticks = c->sc->ticks;
    int j = cx_coord_join(c, (int)a->startup_ms);
    if (j != 0) {
        c->status = j > 0 ? "interrupted" : "failed";
        return -1;
    }
    /* --paused: every agent is ready; the clock waits for `resume`. */
    c->next_tick = (int)c->start_tick;
    if (a->start_paused && c->ctl.sock) {
        c->paused = 1;
        int b = cx_coord_between(c, c->start_tick - 1, cx_now_ms());
        if (s_after_between(c, b, c->start_tick, "before") != 0) {
            return -1;
        }
    }
    for (int t = (int)c->start_tick; t < ticks; t++) {
        long long began = cx_now_ms();
        c->next_tick = t + 1;
        if (cx_coord_tick(c, t, began) != 0) {
            return -1;
        }
        if (a->every > 0 && (t + 1) % a->every == 0 && t + 1 < ticks &&
            cx_coord_checkpoint(c, t) != 0) {
            return -1;
        }
        if (t + 1 < ticks && (c->ctl.sock || c->tick_ms > 0) &&
            s_after_between(c, cx_coord_between(c, t, began), t, "after") != 0) {
            return -1;
        }
    }
    c->status = "completed";
    c->rc = 0;
    return 0;
}

/* FINISH: STOP to every agent (BYEs awaited), summary.json, the sockets
 * closed, everything freed, the launcher's socket directory removed.
 * Returns the exit status. */
static int s_finish(cx_coord_t *c)
{
    int rc = c->rc;
    char err[1024] = "";
    if (rc != 0 && c->reason[0]) {
        cx_log_error("%s", c->reason);
    }
    cx_coord_stop_agents(c, rc == 0 ? "done" : c->reason, rc == 0 ? 3000 : 300);
    c->dropped += c->ctl.dropped; /* junk at the control socket counts like any */
    int64_t dropped = c->dropped;
    for (int i = 0; i < c->n_agents; i++) {
        dropped += c->agents[i].dropped;
    }
    cx_run_info_t info = {c->status, c->reason, "processes", c->n_agents + 1,
                          (double)(cx_now_ms() - c->t0) / 1000.0, c->messages, c->bytes, dropped,
                          c->dropped, c->company, c->ctl.commands, c->ctl.refused};
    if (cx_output_close(&c->out, &info, err, sizeof err) != 0) {
        cx_log_error("%s", err);
        rc = 1;
    }
    if (c->live) {
        cx_live_endpoints_remove(c->out_dir);
    }
    cx_control_close(&c->ctl);
    if (c->pub) {
        zmq_close(c->pub);
    }
    cx_net_monitor_close(&c->mon);
    if (c->router) {
        zmq_close(c->router);
    }
    if (c->curve.on && cx_curve_refused(&c->curve) > 0) {
        cx_log_warn("refused %lld connections that did not hold the run key",
                    (long long)cx_curve_refused(&c->curve));
    }
    cx_curve_stop(&c->curve);
    if (c->ctx && c->args->key) {
        cx_curve_context_term(c->ctx);
    } else if (c->ctx) {
        zmq_ctx_term(c->ctx);
    }
    free(c->copy);
    free(c->steady);
    c->steady = NULL;
    s_refuse(c, rc);
    /* The launcher's private directory: removed here too, so that a launcher
     * killed with -9 (whose children get SIGTERM from the kernel and end
     * through this path) leaves no directory of dead sockets behind. The
     * departments' own sockets may still be bound: unlinking their names
     * does not disturb them. */
    const char *socket_dir = c->args->socket_dir;
    if (socket_dir && cx_proc_socket_dir_remove(socket_dir) != 0 && errno != ENOTEMPTY) {
        cx_log_warn("cannot remove %s: %s", socket_dir, strerror(errno));
    }
    return rc;
}

int main(int argc, char **argv)
{
    cx_coord_args_t args;
    int rc = s_parse(argc, argv, &args);
    if (rc >= 0) {
        return rc;
    }
    cx_log_init("cxsim-coordinator");
    if ((rc = s_guard(&args)) >= 0) {
        return rc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cx_coord_t c;
    memset(&c, 0, sizeof c);
    if ((rc = s_load(&c, &args)) != 0) {
        return rc;
    }
    rc = args.resume ? s_begin_resumed(&c, args.resume) : s_begin_fresh(&c);
    if (rc != 0) {
        return rc;
    }
    if (s_sockets(&c) == 0) {
        s_run(&c);
    }
    return s_finish(&c);
}
