/*  cx_run_procs — `cxsim run` as local processes (see cx_run_procs.h).
 *
 *  Launcher state machine, one function per step:
 *
 *      PREPARE (s_prepare): the private run directory, its socket paths
 *        --> SUBSCRIBE (s_subscribe) to the coordinator's PUB socket
 *        --> SPAWN (s_spawn_coordinator, s_spawn_agents): coordinator,
 *            departments, persona shards (ipc:// in the run directory)
 *        --> WATCH, every 50 ms: the newest row for the progress line
 *            (s_latest_row); children reaped as they exit (s_reap)
 *              coordinator exits 0                --> exit 0
 *              coordinator exits non-zero         --> exit 1 with its reason
 *                                                     (s_coordinator_ended)
 *              an agent dies first                --> name it; give the
 *                  coordinator 2 heartbeats + 5 s to record the failure,
 *                  then stop everything, exit 1 (s_agent_grace_over)
 *              agents lost the coordinator        --> it is hung: killed
 *                  after the agents' grace (s_coordinator_hung), exit 1
 *              SIGINT/SIGTERM                      --> stop everything, exit 1
 *        --> CLEANUP (s_cleanup): no child left running, run directory
 *            removed.
 */
#include "cx_run_procs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_control.h"
#include "cx_net.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"

void cx_run_progress_show(cx_run_progress_t *p, int tick, double nps, double customers)
{
    p->last_tick = tick;
    if (!p->tty || p->quiet) {
        return;
    }
    long long now = cx_now_ms();
    if (now - p->shown_ms < 100 && tick + 1 < p->ticks) {
        return;
    }
    p->shown_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (tick + 1) / secs : 0;
    fprintf(stderr, "\r\033[Ktick %d/%d  %.0f ticks/s  NPS %.1f  customers %.0f", tick + 1,
            p->ticks, rate, nps, customers);
    fflush(stderr);
}

void cx_run_progress_end(cx_run_progress_t *p)
{
    if (p->tty && !p->quiet && p->shown_ms) {
        fprintf(stderr, "\r\033[K");
    }
}

/* One launch: its paths, its processes and what went wrong so far. */
typedef struct {
    const cx_run_procs_opts_t *o;   /* the options */
    const cx_scenario_t *sc;        /* the scenario */
    const char *out;                /* the results directory */
    cx_run_progress_t *prog;        /* the progress line */
    char rundir[96];                /* the private socket directory */
    char scen[256];                 /* its scenario.yaml */
    char coord_ep[256], pub_ep[256]; /* the coordinator's endpoints */
    char ctl_ep[300];               /* the control endpoint */
    char exe[3][4200];              /* coordinator, department, persona executables */
    cx_procs_t ps;                  /* the children */
    void *zctx;                     /* ZeroMQ context */
    void *sub;                      /* subscriber to the coordinator's rows */
    int coord;                      /* the coordinator's index in ps, -1 before */
    char agent_failure[512];        /* the first agent that failed, and how */
    long long agent_failed_at;      /* when */
    char coord_lost_by[256];        /* the first agent that lost the coordinator */
    long long coord_lost_at;        /* when */
} s_launch_t;

/* CXSIM_AGENT_WRAPPER, when set, is a command (words split at spaces, the
 * first looked up in PATH) that every process of the run is started under,
 * e.g. "valgrind --error-exitcode=9 --leak-check=full" (scripts/memcheck). */
#define S_WRAP_WORDS 32

static int s_spawn(cx_procs_t *ps, const char *name, char **argv)
{
    const char *wrapper = getenv("CXSIM_AGENT_WRAPPER");
    char wbuf[1024];
    char *wrapped[1 + S_WRAP_WORDS + 32];
    if (wrapper && *wrapper) {
        int n = 0;
        snprintf(wbuf, sizeof wbuf, "%s", wrapper);
        wrapped[n++] = "/usr/bin/env";
        for (char *save = NULL, *w = strtok_r(wbuf, " ", &save); w && n <= S_WRAP_WORDS;
             w = strtok_r(NULL, " ", &save)) {
            wrapped[n++] = w;
        }
        for (int i = 0; argv[i] && n < (int)(sizeof wrapped / sizeof wrapped[0]) - 1; i++) {
            wrapped[n++] = argv[i];
        }
        wrapped[n] = NULL;
        argv = wrapped;
    }
    if (cx_proc_spawn(ps, name, argv) < 0) {
        fprintf(stderr, "cxsim run: cannot start %s: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* Says why a run failed, and where to read more: summary.json when the
 * coordinator wrote one (amended with why when force is set), else one
 * written here with what the launcher knows. */
static void s_say_summary(const char *out, const char *scenario, const char *why, int force)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    int have = access(path, F_OK) == 0;
    if ((force || !have) && cx_output_summary_amend(out, scenario, "failed", why) != 0) {
        fprintf(stderr, "cxsim run: %s; no summary.json (cannot write it: %s)\n", why,
                strerror(errno));
        return;
    }
    fprintf(stderr, "cxsim run: %s; see %s%s\n", why, path,
            have ? "" : " (written by cxsim run: the coordinator could not)");
}

/* PREPARE: the executables' paths and the private run directory with its
 * socket paths. Returns 0, or -1 (printed). */
static int s_prepare(s_launch_t *L)
{
    char bindir[4096];
    if (cx_proc_self_dir(bindir, sizeof bindir) != 0) {
        fprintf(stderr, "cxsim run: cannot find my own directory\n");
        return -1;
    }
    /* The private socket directory goes under $TMPDIR when it is set, as
     * other temporary files do, unless its path would make a socket path
     * too long for AF_UNIX (108 bytes): then /tmp. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/' || strlen(tmp) > 60) {
        tmp = "/tmp";
    }
    snprintf(L->rundir, sizeof L->rundir, "%s/cxsim-XXXXXX", tmp);
    if (!mkdtemp(L->rundir)) {
        fprintf(stderr, "cxsim run: cannot create a run directory in %s: %s\n", tmp,
                strerror(errno));
        return -1;
    }
    snprintf(L->scen, sizeof L->scen, "%s/scenario.yaml", L->rundir);
    snprintf(L->coord_ep, sizeof L->coord_ep, "ipc://%s/coord.sock", L->rundir);
    snprintf(L->pub_ep, sizeof L->pub_ep, "ipc://%s/pub.sock", L->rundir);
    snprintf(L->ctl_ep, sizeof L->ctl_ep, "ipc://%s/control.sock", L->rundir);
    snprintf(L->exe[0], sizeof L->exe[0], "%s/cxsim-coordinator", bindir);
    snprintf(L->exe[1], sizeof L->exe[1], "%s/cxsim-department", bindir);
    snprintf(L->exe[2], sizeof L->exe[2], "%s/cxsim-persona", bindir);
    return 0;
}

/* SUBSCRIBE, before the coordinator binds: ZeroMQ reconnects, and rows
 * from the first one on arrive. Only the latest row matters here (the
 * progress line, and the tick named when an agent dies): the watch loop
 * looks every 50 ms, drains what arrived and decodes the newest row only,
 * instead of waking for each row, which on runs of small ticks cost about
 * 13 % of the CPU of a tick (docs/PERFORMANCE.md). ZMQ_CONFLATE would do
 * the same inside libzmq, but its double buffer leaks a message when the
 * socket is contended (zeromq/libzmq#4925), which LeakSanitizer sees. */
static void s_subscribe(s_launch_t *L)
{
    L->sub = zmq_socket(L->zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(L->sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(L->sub, ZMQ_LINGER, &zero, sizeof zero);
    cx_net_limit(L->sub, CX_NET_MAX_SMALL);
    cx_curve_client(L->o->curve, L->sub);
    zmq_connect(L->sub, L->pub_ep);
}

/* SPAWN the coordinator. Returns 0 or -1 (printed). */
static int s_spawn_coordinator(s_launch_t *L)
{
    const cx_run_procs_opts_t *o = L->o;
    char hb[32], every[32], keep[32], tick_ms[32], tto[32], lock_fd[32];
    snprintf(tick_ms, sizeof tick_ms, "%lld", o->tick_ms);
    snprintf(hb, sizeof hb, "%lld", o->heartbeat_ms);
    snprintf(every, sizeof every, "%lld", o->checkpoint_every);
    snprintf(keep, sizeof keep, "%lld", o->keep_checkpoints);
    char *cargv[32] = {L->exe[0], "--scenario", L->scen, "--out", (char *)L->out,
                       "--bind", L->coord_ep, "--pub", L->pub_ep, "--control", L->ctl_ep,
                       "--tick-ms", tick_ms, "--heartbeat-ms", hb, "--checkpoint-every", every,
                       "--keep-checkpoints", keep, NULL};
    int nc = 19;
    if (o->key) {
        cargv[nc++] = "--key";
        cargv[nc++] = (char *)o->key;
    }
    if (o->paused) {
        cargv[nc++] = "--paused";
    }
    snprintf(tto, sizeof tto, "%lld", o->tick_timeout_ms);
    cargv[nc++] = "--tick-timeout-ms";
    cargv[nc++] = tto;
    if (o->resume) {
        cargv[nc++] = "--resume";
        cargv[nc++] = (char *)o->resume;
    }
    /* The coordinator inherits the directory's lock: it holds it for as
     * long as it writes there, even if this launcher dies first. */
    snprintf(lock_fd, sizeof lock_fd, "%d", o->lock_fd);
    cargv[nc++] = "--lock-fd";
    cargv[nc++] = lock_fd;
    cargv[nc++] = "--socket-dir"; /* removed by the coordinator if this launcher dies */
    cargv[nc++] = L->rundir;
    cargv[nc] = NULL;
    fcntl(o->lock_fd, F_SETFD, 0);
    int spawned = s_spawn(&L->ps, "coordinator", cargv);
    fcntl(o->lock_fd, F_SETFD, FD_CLOEXEC);
    if (spawned != 0) {
        return -1;
    }
    L->coord = 0;
    return 0;
}

/* SPAWN the departments, then the persona shards. Returns 0 or -1. */
static int s_spawn_agents(s_launch_t *L)
{
    const cx_scenario_t *sc = L->sc;
    const char *key = L->o->key;
    for (int d = 0; d < sc->n_dept; d++) {
        char name[128], ep[256];
        snprintf(name, sizeof name, "department %s", sc->dept[d].id);
        snprintf(ep, sizeof ep, "ipc://%s/dept-%d.sock", L->rundir, d);
        char *argv[] = {L->exe[1], "--connect", L->coord_ep, "--department",
                        (char *)sc->dept[d].id, "--bind", ep, key ? "--key" : NULL,
                        (char *)key, NULL};
        if (s_spawn(&L->ps, name, argv) != 0) {
            return -1;
        }
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            char name[128], ks[16], ns[16];
            snprintf(name, sizeof name, "persona %s shard %d/%d", sc->persona[p].id, s,
                     sc->persona[p].shards);
            snprintf(ks, sizeof ks, "%d", s);
            snprintf(ns, sizeof ns, "%d", sc->persona[p].shards);
            char *argv[] = {L->exe[2], "--connect", L->coord_ep, "--persona",
                            (char *)sc->persona[p].id, "--shard", ks, "--of", ns,
                            key ? "--key" : NULL, (char *)key, NULL};
            if (s_spawn(&L->ps, name, argv) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* WATCH: drains the rows that arrived and shows the newest. */
static void s_latest_row(s_launch_t *L, cx_msg_t *m)
{
    cx_frame_t f, newest;
    zmq_msg_init(&newest.body);
    newest.open = true;
    bool any = false;
    while (cx_net_recv(L->sub, false, &f, ZMQ_DONTWAIT) >= 0) {
        if (f.open) {
            zmq_msg_move(&newest.body, &f.body); /* releases the older row */
            cx_frame_close(&f);
            any = true;
        }
    }
    if (!any) {
        cx_frame_close(&newest);
    }
    if (newest.open &&
        cx_msg_decode(m, cx_frame_data(&newest), cx_frame_size(&newest)) == CX_MSG_ROW) {
        double nps = 0, cust = 0;
        for (int i = 0; i < m->n_words; i++) {
            if (cx_str_eq(m->names[i], "nps")) {
                nps = m->words[i];
            } else if (cx_str_eq(m->names[i], "customers")) {
                cust = m->words[i];
            }
        }
        cx_run_progress_show(L->prog, (int)m->tick, nps, cust);
    }
    cx_frame_close(&newest);
}

/* WATCH: reaps the children that exited, noting the first agent that
 * failed and the first that lost the coordinator. Returns 1 when the
 * coordinator exited, else 0. */
static int s_reap(s_launch_t *L)
{
    int i;
    int coord_done = 0;
    while ((i = cx_proc_reap(&L->ps)) >= 0) {
        cx_child_t *c = &L->ps.child[i];
        if (i == L->coord) {
            coord_done = 1;
            continue;
        }
        if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == CX_EXIT_COORD_LOST) {
            /* Not this agent's fault: its coordinator stopped answering. */
            if (!L->coord_lost_by[0]) {
                snprintf(L->coord_lost_by, sizeof L->coord_lost_by, "%s (pid %d)", c->name,
                         (int)c->pid);
                L->coord_lost_at = cx_now_ms();
            }
            continue;
        }
        if (!L->agent_failure[0] && !(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)) {
            char how[128];
            cx_proc_describe(c->status, how, sizeof how);
            snprintf(L->agent_failure, sizeof L->agent_failure, "%s (pid %d) %s, near tick %d",
                     c->name, (int)c->pid, how, L->prog->last_tick + 1);
            L->agent_failed_at = cx_now_ms();
            cx_run_progress_end(L->prog);
            fprintf(stderr, "cxsim run: %s\n", L->agent_failure);
        }
    }
    return coord_done;
}

/* The coordinator exited: the run's status. */
static int s_coordinator_ended(s_launch_t *L)
{
    cx_child_t *c = &L->ps.child[L->coord];
    cx_proc_stop_all(&L->ps, 3000);
    cx_run_progress_end(L->prog);
    if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && !L->agent_failure[0]) {
        return 0;
    }
    char how[128], why[1024];
    cx_proc_describe(c->status, how, sizeof how);
    snprintf(why, sizeof why, "the run failed (coordinator %s)%s%s", how,
             L->agent_failure[0] ? ": " : "", L->agent_failure);
    cx_live_endpoints_remove(L->out); /* a killed coordinator's */
    s_say_summary(L->out, L->sc->name, why, 0);
    return 1;
}

/* Agents that lost the coordinator while it still runs: it is hung
 * (stopped, looping, swapped out). It gets the agents' grace once more to
 * end on its own, then is killed; the launcher says so in summary.json,
 * which the coordinator can no longer write. Returns 1 when it was
 * killed, else 0. */
static int s_coordinator_hung(s_launch_t *L)
{
    cx_child_t *c = &L->ps.child[L->coord];
    char st = cx_proc_state(c->pid);
    int stopped = st == 'T' || st == 't';
    long long hb = L->o->heartbeat_ms;
    if (!stopped && cx_now_ms() - L->coord_lost_at <= 2 * hb + 1000) {
        return 0;
    }
    char why[1024];
    snprintf(why, sizeof why,
             "the coordinator (pid %d) stopped answering%s: %s and the other agents "
             "heard nothing from it for %lld ms and stopped; it was killed",
             (int)c->pid, stopped ? " (it is stopped: SIGSTOP, or a debugger)" : "",
             L->coord_lost_by, 2 * hb);
    cx_run_progress_end(L->prog);
    kill(c->pid, SIGKILL);
    cx_proc_stop_all(&L->ps, 3000);
    cx_live_endpoints_remove(L->out); /* the coordinator's, which cannot now */
    s_say_summary(L->out, L->sc->name, why, 1);
    return 1;
}

/* An agent failed and the coordinator did not end the run within the
 * grace: everything is stopped. */
static void s_agent_grace_over(s_launch_t *L)
{
    fprintf(stderr, "cxsim run: the coordinator did not stop after %s; stopping it\n",
            L->agent_failure);
    cx_proc_signal_all(&L->ps, SIGTERM);
    cx_proc_stop_all(&L->ps, 3000);
    /* The coordinator, stopped by a signal, says "interrupted": the
     * cause was the agent's failure. */
    char why[1024];
    snprintf(why, sizeof why, "%s; the coordinator did not end the run and was stopped",
             L->agent_failure);
    if (cx_output_summary_amend(L->out, L->sc->name, "failed", why) != 0) {
        fprintf(stderr, "cxsim run: cannot write %s/summary.json: %s\n", L->out,
                strerror(errno));
    }
}

/* WATCH until the run ends. Returns its status. */
static int s_watch(s_launch_t *L, volatile sig_atomic_t *interrupted)
{
    cx_msg_t *m = malloc(sizeof *m);
    if (!m) {
        return 1;
    }
    cx_msg_init(m);
    int rc = 1;
    for (;;) {
        if (*interrupted) {
            fprintf(stderr, "\ncxsim run: interrupted; stopping every process\n");
            /* The coordinator records the interruption in summary.json. */
            kill(L->ps.child[L->coord].pid, SIGTERM);
            cx_proc_stop_all(&L->ps, 3000);
            rc = 1;
            break;
        }
        zmq_poll(NULL, 0, 50); /* a 50 ms nap; then the latest row, and reaping */
        s_latest_row(L, m);
        if (s_reap(L)) {
            rc = s_coordinator_ended(L);
            break;
        }
        if (L->coord_lost_by[0] && s_coordinator_hung(L)) {
            rc = 1;
            break;
        }
        if (L->agent_failure[0] &&
            cx_now_ms() - L->agent_failed_at > 2 * L->o->heartbeat_ms + 5000) {
            s_agent_grace_over(L);
            rc = 1;
            break;
        }
    }
    cx_msg_fini(m);
    free(m);
    return rc;
}

/* CLEANUP: no child left running, the sockets and the run directory
 * removed. */
static void s_cleanup(s_launch_t *L)
{
    cx_proc_signal_all(&L->ps, SIGTERM);
    cx_proc_stop_all(&L->ps, 3000);
    if (L->sub) {
        zmq_close(L->sub);
    }
    zmq_ctx_term(L->zctx);
    unlink(L->scen);
    char path[300];
    snprintf(path, sizeof path, "%s/coord.sock", L->rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/pub.sock", L->rundir);
    unlink(path);
    snprintf(path, sizeof path, "%s/control.sock", L->rundir);
    unlink(path);
    for (int d = 0; d < CX_MAX_DEPTS; d++) {
        snprintf(path, sizeof path, "%s/dept-%d.sock", L->rundir, d);
        unlink(path);
    }
    rmdir(L->rundir);
}

int cx_run_procs(const cx_run_procs_opts_t *o, const cx_scenario_t *sc, const char *yaml,
                 size_t yaml_len, const char *out, cx_run_progress_t *prog,
                 volatile sig_atomic_t *interrupted, int *nproc)
{
    static s_launch_t L; /* large (the children's table): not on the stack */
    memset(&L, 0, sizeof L);
    L.o = o;
    L.sc = sc;
    L.out = out;
    L.prog = prog;
    L.coord = -1;
    if (s_prepare(&L) != 0) {
        return 1;
    }
    int rc = 1;
    L.zctx = zmq_ctx_new();
    if (cx_write_atomic(L.scen, yaml, yaml_len) != 0) {
        fprintf(stderr, "cxsim run: cannot write %s: %s\n", L.scen, strerror(errno));
    } else {
        s_subscribe(&L);
        if (s_spawn_coordinator(&L) == 0 && s_spawn_agents(&L) == 0) {
            *nproc = L.ps.n;
            if (o->paused && !o->resume) {
                fprintf(stderr, "cxsim run: paused before the first tick; start the clock "
                                "with: cxsim ctl %s resume\n",
                        out);
            }
            rc = s_watch(&L, interrupted);
        }
    }
    s_cleanup(&L);
    return rc;
}
