/*  cx_coord_control — BETWEEN two ticks: the control socket's verbs
 *  (docs/PROTOCOL.md, "Control"), live timeline events, and the clock held
 *  while paused or paced, with heartbeats and loss detection going on.
 *
 *      BETWEEN --not paused (or `step`), the pace allows--> 0: the next tick
 *              --`stop`--> 1;  a failed `checkpoint`, a lost agent,
 *              SIGINT/SIGTERM --> -1
 *      during a tick only `status` is answered (cx_coord_tick.c serves the
 *      socket too); other verbs are held until the tick ends.
 *
 *  See cx_coord.h for ownership and errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_agent.h"
#include "cx_coord.h"
#include "cx_load.h"
#include "cx_log.h"

/* OUT/scenario.planned.yaml: the run's scenario before any live change. */
void cx_coord_planned_path(const char *out_dir, char *path, size_t cap)
{
    snprintf(path, cap, "%s/scenario.planned.yaml", out_dir);
}

/* Takes a live timeline event: checked like an item of the file's timeline,
 * for a tick not begun yet, added to the scenario, and the scenario file of
 * the run rewritten so that it replays the run (and a resume sees it). */
static int s_live_event(cx_coord_t *c, const char *text, char *reply, size_t cap)
{
    cx_event_spec_t ev;
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_event_load_string("live", text, strlen(text), c->sc, c->next_tick, &ev, &d) != 0) {
        size_t k = 0;
        for (int i = 0; i < d.n && k + 1 < cap; i++) {
            int n = cx_diag_format(&d.items[i], reply + k, cap - k);
            k += n > 0 ? (size_t)n : 0;
            if (k + 1 < cap && i + 1 < d.n) {
                reply[k++] = '\n';
                reply[k] = 0;
            }
            if (k >= cap) {
                k = cap - 1;
            }
        }
        cx_diags_fini(&d);
        return 0;
    }
    cx_diags_fini(&d);
    int at = cx_scenario_add_event(c->sc, &ev, c->next_tick);
    if (at < 0) {
        snprintf(reply, cap, "the timeline is full (%d events)", CX_MAX_EVENTS);
        return 0;
    }
    /* The scenario as planned, kept before the first live change rewrites
     * scenario.resolved.yaml: what a do-nothing run (cxsim-web) replays. */
    char planned[4200];
    cx_coord_planned_path(c->out_dir, planned, sizeof planned);
    if (c->live_events == 0 && access(planned, F_OK) != 0 &&
        cx_write_atomic(planned, c->yaml, c->yaml_len) != 0) {
        snprintf(reply, cap, "cannot keep the planned scenario in %s: %s", planned,
                 strerror(errno));
        memmove(&c->sc->event[at], &c->sc->event[at + 1],
                (size_t)(c->sc->n_event - at - 1) * sizeof c->sc->event[0]);
        c->sc->n_event--;
        return 0;
    }
    char *yaml = NULL;
    size_t len = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", c->out_dir);
    if (cx_scenario_emit(c->sc, &yaml, &len) != 0 || cx_write_atomic(path, yaml, len) != 0) {
        snprintf(reply, cap, "cannot record the change in %s: %s", path, strerror(errno));
        free(yaml);
        memmove(&c->sc->event[at], &c->sc->event[at + 1],
                (size_t)(c->sc->n_event - at - 1) * sizeof c->sc->event[0]);
        c->sc->n_event--;
        return 0;
    }
    free(yaml);
    c->live_events++;
    char what[256];
    cx_event_describe(c->sc, &ev, what, sizeof what);
    snprintf(reply, cap, "at tick %d: %s", ev.tick, what);
    cx_log_info("live change taken: %s", reply);
    return 1;
}

/* The control verbs (docs/PROTOCOL.md, "Control"). */
int cx_coord_command(void *user, const char *verb, const char *key, const char *value,
                     char *reply, size_t cap)
{
    cx_coord_t *c = user;
    (void)key;
    if (strcmp(verb, "status") == 0) {
        int k = snprintf(reply, cap, "next_tick=%d ticks=%d state=%s tick_ms=%lld live_events=%d",
                         c->next_tick, c->sc->ticks, c->paused ? "paused" : "running",
                         c->tick_ms, c->live_events);
        if (c->in_tick && k > 0 && (size_t)k < cap) {
            /* Asked during a tick (a slow or a stuck one): how long it has
             * run and how many agents it still waits for. */
            int waiting = 0;
            for (int i = 0; i < c->n_agents; i++) {
                waiting += !c->agents[i].done;
            }
            k += snprintf(reply + k, cap - (size_t)k, " tick_running_ms=%lld waiting_for=%d",
                          cx_now_ms() - c->tick_began, waiting);
        }
        if (c->have_row) {
            const char *names[64];
            double vals[64];
            int nc = cx_kpi_row_columns(&c->last_row, names, vals, 64);
            for (int i = 0; i < nc && k > 0 && (size_t)k + 64 < cap; i++) {
                k += snprintf(reply + k, cap - (size_t)k, " %s=%.10g", names[i], vals[i]);
            }
        }
        return 1;
    }
    /* A change never lands in the middle of a tick: held until it ends. */
    if (c->in_tick) {
        return -1;
    }
    if (strcmp(verb, "event") == 0) {
        return s_live_event(c, value, reply, cap);
    }
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        c->paused = verb[0] == 'p';
        snprintf(reply, cap, "%s before tick %d", c->paused ? "paused" : "running", c->next_tick);
        return 1;
    }
    if (strcmp(verb, "step") == 0) {
        c->paused = 1;
        c->step = 1;
        snprintf(reply, cap, "tick %d, then paused", c->next_tick);
        return 1;
    }
    if (strcmp(verb, "pace") == 0) {
        long long ms;
        if (cx_parse_int(value, 0, 600000, &ms) != 0) {
            snprintf(reply, cap, "pace: expected milliseconds per tick from 0 to 600000, found '%s'",
                     value);
            return 0;
        }
        c->tick_ms = ms;
        snprintf(reply, cap, "at least %lld ms per tick", ms);
        return 1;
    }
    if (strcmp(verb, "checkpoint") == 0) {
        /* Between two ticks every agent is idle: the same snapshot as
         * --checkpoint-every, taken now (cxsim fork of a running run). */
        int64_t t = c->next_tick - 1;
        if (cx_coord_checkpoint(c, t) != 0) {
            c->failed = 1;
            snprintf(reply, cap, "the checkpoint of tick %lld failed: %s", (long long)t, c->reason);
            return 0;
        }
        snprintf(reply, cap, "checkpoint after tick %lld in %s", (long long)t, c->cp_path);
        return 1;
    }
    if (strcmp(verb, "stop") == 0) {
        c->stop_asked = 1;
        snprintf(reply, cap, "stopping before tick %d", c->next_tick);
        return 1;
    }
    snprintf(reply, cap,
             "unknown verb '%s': expected status, event, pause, resume, step, pace, checkpoint or "
             "stop",
             verb);
    return 0;
}

/* Between two ticks (`last` done, the next one begun at `began` ms): serves
 * commands, and holds the clock while paused or until the pace allows the
 * next tick, keeping heartbeats and loss detection going. Returns 0 to go
 * on, 1 when a stop was asked, -1 on failure or interruption (reason set). */
int cx_coord_between(cx_coord_t *c, int64_t last, long long began)
{
    cx_control_serve(&c->ctl, cx_coord_command, c);
    for (;;) {
        if (c->failed) {
            return -1;
        }
        if (c->stop_asked) {
            return 1;
        }
        if (cx_coord_interrupted) {
            snprintf(c->reason, sizeof c->reason, "interrupted after tick %lld", (long long)last);
            return -1;
        }
        long long now = cx_now_ms(), wait = c->heartbeat_ms / 4 + 1;
        if (!c->paused || c->step) {
            if (c->tick_ms <= 0 || now >= began + c->tick_ms) {
                c->step = 0;
                return 0;
            }
            if (began + c->tick_ms - now < wait) {
                wait = began + c->tick_ms - now;
            }
        }
        zmq_pollitem_t it[2] = {{c->router, 0, ZMQ_POLLIN, 0}, {c->ctl.sock, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, c->ctl.sock ? 2 : 1, (long)wait) < 0 && errno != EINTR) {
            snprintf(c->reason, sizeof c->reason, "poll failed: %s", zmq_strerror(errno));
            return -1;
        }
        cx_control_serve(&c->ctl, cx_coord_command, c);
        int type;
        cx_coord_agent_t *a;
        while ((a = cx_coord_recv(c, &type)) != NULL || type != 0) {
            if (a && type != CX_MSG_HEARTBEAT) {
                c->dropped++;
            }
        }
        cx_coord_agent_t *lost = cx_coord_lost(c);
        if (lost) {
            snprintf(c->reason, sizeof c->reason,
                     "lost %s (pid %lld) after tick %lld: silent for %lld ms", lost->name,
                     (long long)lost->pid, (long long)last, cx_now_ms() - lost->last_heard);
            return -1;
        }
        cx_coord_heartbeat(c, last);
    }
}
