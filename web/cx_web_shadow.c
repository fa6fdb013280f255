/*  cx_web_shadow — the do-nothing replay of the run cxsim-web shows (see
 *  cx_web_shadow.h). */
#include "cx_web_shadow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cx_load.h"
#include "cx_output.h"
#include "cx_sim.h"

#define S_WAIT_MS 200

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* cx_sim's progress: one row of the replay into the store. */
static void s_row(void *ud, const cx_kpi_row_t *row)
{
    cx_web_shadow_t *s = ud;
    const char *names[CX_WEB_MAX_COLS];
    double vals[CX_WEB_MAX_COLS];
    int n = cx_kpi_row_columns(row, names, vals, CX_WEB_MAX_COLS);
    n = n < CX_WEB_MAX_COLS ? n : CX_WEB_MAX_COLS;
    if (n < 1 || strcmp(names[0], "tick") != 0) {
        return;
    }
    if (cx_web_store_ncol(s->store) == 0 && cx_web_store_set_columns(s->store, names, n) != 0) {
        return;
    }
    cx_web_store_append(s->store, vals);
}

/* Loads the scenario without its live changes into sc. Returns 0, 1 when
 * it is not there yet, or -1 (unreadable: message in err). */
static int s_load(const cx_web_shadow_t *s, cx_scenario_t *sc, char *err, size_t cap)
{
    char planned[4200], resolved[4200];
    snprintf(planned, sizeof planned, "%s/scenario.planned.yaml", s->dir);
    snprintf(resolved, sizeof resolved, "%s/scenario.resolved.yaml", s->dir);
    const char *path = planned;
    if (access(planned, F_OK) != 0) {
        if (access(resolved, R_OK) != 0) {
            return 1;
        }
        path = resolved;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int r = cx_scenario_load_file(path, NULL, 0, sc, &d);
    if (r == 0 && path == resolved && access(planned, F_OK) == 0) {
        /* A live change came while we read: the plan was kept before it. */
        cx_diags_fini(&d);
        cx_diags_init(&d);
        path = planned;
        r = cx_scenario_load_file(path, NULL, 0, sc, &d);
    }
    if (r != 0) {
        char first[700] = "cannot be read";
        if (d.n > 0) {
            cx_diag_format(&d.items[0], first, sizeof first);
        }
        snprintf(err, cap, "%.600s: %.700s", path, first);
    }
    cx_diags_fini(&d);
    return r == 0 ? 0 : -1;
}

static void *s_thread(void *arg)
{
    cx_web_shadow_t *s = arg;
    cx_scenario_t *sc = malloc(sizeof *sc);
    char err[1600] = "out of memory";
    int r = sc ? 1 : -1;
    /* Waits for a run that is starting, or for its scenario to be whole. */
    for (int tries = 0; r != 0 && sc && !s->stop; tries++) {
        r = s_load(s, sc, err, sizeof err);
        if (r != 0) {
            s_sleep_ms(S_WAIT_MS);
        }
        if (r < 0 && tries >= 50) {
            break; /* unreadable for 10 s: not a run being written */
        }
    }
    char *yaml = NULL;
    size_t len = 0;
    if (r == 0 && !s->stop && cx_scenario_emit(sc, &yaml, &len) != 0) {
        snprintf(err, sizeof err, "out of memory");
        r = -1;
    }
    if (r == 0 && !s->stop) {
        char out[4200];
        snprintf(out, sizeof out, "%s/shadow", s->dir);
        int x = cx_sim_run(sc, yaml, len, out, s_row, s, &s->stop, err, sizeof err);
        r = x < 0 ? -1 : 0;
    }
    if (r < 0) {
        fprintf(stderr, "cxsim-web: no do-nothing line: %s\n", err);
    }
    cx_web_store_end(s->store, r == 0 && !s->stop ? "done" : "failed");
    free(yaml);
    free(sc);
    return NULL;
}

int cx_web_shadow_start(cx_web_shadow_t *s, const char *dir, cx_web_store_t *store, char *err,
                        size_t cap)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->store = store;
    int r = pthread_create(&s->th, NULL, s_thread, s);
    if (r != 0) {
        snprintf(err, cap, "cannot start the do-nothing replay: %s", strerror(r));
        return -1;
    }
    s->started = 1;
    return 0;
}

void cx_web_shadow_stop(cx_web_shadow_t *s)
{
    if (s->started) {
        s->stop = 1;
        pthread_join(s->th, NULL);
        s->started = 0;
    }
}
