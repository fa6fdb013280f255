/*  cxsim watch — a live table of a running simulation's KPIs: it subscribes
 *  to the coordinator's rows (the endpoint in RUN_DIR/live.endpoints) and
 *  prints one line every N ticks, until the run's last tick or its end.
 *  A trainer keeps it open beside `cxsim ctl` to show a change take effect.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cx_cmd.h"
#include "cx_control.h"
#include "cx_kpi_cols.h"
#include "cx_load.h"
#include "cx_net.h"
#include "cx_opts.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"

#define S_MAX_COLS 16
#define CX_KPI_MAX_COLS 64 /* KPI columns offered as suggestions */

/* Option ids (cx_opts). */
enum { S_O_HELP, S_O_EVERY, S_O_COLUMNS, S_O_TIMEOUT, S_O_KEY };

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* Checks a --columns name against the rows' columns: those of the KPI
 * table (models/cx_kpi_cols.c, the columns of kpis.csv), and "maturity.ID"
 * for each department of DIR's scenario. Returns 0, or -1 with the reason
 * (and a "did you mean") on stderr. */
static int s_check_column(const char *dir, const char *col)
{
    if (cx_kpi_col_find(col) >= 0) {
        return 0;
    }
    const char *names[CX_KPI_MAX_COLS + CX_MAX_DEPTS];
    int n = 0;
    for (int i = 0; i < cx_kpi_ncols && i < CX_KPI_MAX_COLS; i++) {
        names[n++] = cx_kpi_cols[i].name;
    }
    static char mat[CX_MAX_DEPTS][CX_ID_MAX + 16];
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", dir);
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_diags_t d;
    cx_diags_init(&d);
    if (sc && cx_scenario_load_file(path, NULL, 0, sc, &d) == 0) {
        for (int i = 0; i < sc->n_dept; i++) {
            snprintf(mat[i], sizeof mat[i], "maturity.%s", sc->dept[i].id);
            names[n++] = mat[i];
        }
    }
    cx_diags_fini(&d);
    free(sc);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], col) == 0) {
            return 0;
        }
    }
    const char *near = cx_suggest(col, names, n);
    fprintf(stderr, "cxsim watch: --columns: no column '%s' in the rows%s%s%s\n", col,
            near ? ": did you mean " : " (the columns of kpis.csv, and maturity.ID per department)",
            near ? near : "", near ? "?" : "");
    return -1;
}

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim watch RUN_DIR [--every N] [--columns C1,C2,...] [--timeout-s S]\n"
                "                   [--key FILE]\n"
                "\n"
                "Prints a running simulation's KPIs as they come, one line every N ticks\n"
                "(default 10), until its last tick. Columns are those of kpis.csv (default\n"
                "tick,nps,csat,ces,churn_rate,customers,revenue,employee_engagement), and\n"
                "maturity.ID: department ID's effective maturity.\n"
                "It ends with the run; --timeout-s S also gives up after S seconds without a\n"
                "row (a paused run sends none; default: never).\n"
                "\n"
                "exit status: 0 the run's last tick was seen, 1 the run ended or went\n"
                "silent before, 2 invalid input\n");
}

/* What the command line asks. */
typedef struct {
    const char *dir;              /* RUN_DIR */
    long every;                   /* --every: a line every N ticks */
    long timeout_s;               /* --timeout-s: 0 never */
    char colbuf[512];             /* --columns, split in place by s_columns */
    const char *cols[S_MAX_COLS]; /* the column names, into colbuf */
    int ncol;                     /* entries used */
    cx_curve_t curve;             /* --key, zeroed without one */
} s_watch_t;

/* One option's value into w. 0, or 2 after a message. */
static int s_option(s_watch_t *w, int id, const char *v)
{
    char *end = NULL;
    switch (id) {
    case S_O_EVERY:
        w->every = strtol(v, &end, 10);
        if (*end || w->every < 1 || w->every > 1000000) {
            fprintf(stderr, "cxsim watch: --every expects a tick count from 1, got '%s'\n", v);
            return 2;
        }
        return 0;
    case S_O_TIMEOUT:
        w->timeout_s = strtol(v, &end, 10);
        if (*end || w->timeout_s < 0 || w->timeout_s > 86400) {
            fprintf(stderr, "cxsim watch: --timeout-s expects seconds from 1, got '%s'\n", v);
            return 2;
        }
        return 0;
    case S_O_COLUMNS:
        snprintf(w->colbuf, sizeof w->colbuf, "%s", v);
        return 0;
    default: /* S_O_KEY */
        return cx_cmd_key_load("cxsim watch", v, &w->curve) != 0 ? 2 : 0;
    }
}

/* Reads the command line into w. 0, 1 (--help: done), or 2 after a
 * message. */
static int s_parse(int argc, char **argv, s_watch_t *w)
{
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, S_O_HELP},      {"--every", NULL, true, S_O_EVERY},
        {"--columns", NULL, true, S_O_COLUMNS}, {"--timeout-s", NULL, true, S_O_TIMEOUT},
        {"--key", NULL, true, S_O_KEY},
    };
    memset(w, 0, sizeof *w);
    w->every = 10;
    snprintf(w->colbuf, sizeof w->colbuf, "%s",
             "tick,nps,csat,ces,churn_rate,customers,revenue,employee_engagement");
    cx_opts_t p;
    cx_opts_init(&p, "cxsim watch", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == S_O_HELP) {
            s_usage(stdout);
            return 1;
        }
        if (id == CX_OPTS_ERROR) {
            return 2;
        }
        if (id == CX_OPTS_POSITIONAL) {
            if (w->dir || strcmp(p.value, "-") == 0) {
                fprintf(stderr, "cxsim watch: unexpected argument '%s'\n", p.value);
                return 2;
            }
            w->dir = p.value;
        } else if (s_option(w, id, p.value) != 0) {
            return 2;
        }
    }
    if (!w->dir) {
        s_usage(stderr);
        return 2;
    }
    return 0;
}

/* Splits --columns and checks every name before anything connects. 0, or
 * 2 after a message. */
static int s_columns(s_watch_t *w)
{
    char *save = NULL;
    for (char *c = strtok_r(w->colbuf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (w->ncol == S_MAX_COLS) {
            fprintf(stderr, "cxsim watch: at most %d columns\n", S_MAX_COLS);
            return 2;
        }
        if (s_check_column(w->dir, c) != 0) {
            return 2;
        }
        w->cols[w->ncol++] = c;
    }
    if (w->ncol == 0) {
        fprintf(stderr, "cxsim watch: --columns names no column\n");
        return 2;
    }
    return 0;
}

/* The run's length, from its status (the last tick ends the watch); -1
 * when it does not answer. */
static long s_run_ticks(const s_watch_t *w)
{
    char ctl_ep[1024], reply[CX_CONTROL_TEXT_MAX];
    long ticks = -1;
    if (cx_live_endpoint_read(w->dir, "control", ctl_ep, sizeof ctl_ep) == 0 &&
        cx_control_call_key(ctl_ep, &w->curve, "status", "", "", 3000, reply, sizeof reply) == 1) {
        const char *t = strstr(reply, " ticks=");
        if (t) {
            ticks = strtol(t + 7, NULL, 10);
        }
    }
    return ticks;
}

/* The watch's state while rows come. */
typedef struct {
    const s_watch_t *w;    /* what was asked */
    long ticks;            /* the run's length, -1 unknown */
    int width[S_MAX_COLS]; /* each column's printed width */
    int checked;           /* the first row's names were checked */
    int last_printed;      /* the last tick printed, -1 none */
} s_table_t;

static void s_header(s_table_t *t)
{
    for (int c = 0; c < t->w->ncol; c++) {
        int n = (int)strlen(t->w->cols[c]);
        t->width[c] = n > 11 ? n : 11;
        printf("%s%*s", c ? " " : "", t->width[c], t->w->cols[c]);
    }
    printf("\n");
    fflush(stdout);
}

/* One ROW message: its line printed when due. Returns 0 (more to come), 1
 * (the run's last tick), or 2 (a column is not in the rows, printed). */
static int s_row(s_table_t *t, const cx_msg_t *m)
{
    const s_watch_t *w = t->w;
    int last = t->ticks > 0 && m->tick >= t->ticks - 1;
    if (!t->checked) {
        /* Names are checked against the first row too: a column the
         * coordinator does not send is said once, not shown empty. */
        for (int c = 0; c < w->ncol; c++) {
            int found = 0;
            for (int i = 0; i < m->n_words && !found; i++) {
                found = cx_str_eq(m->names[i], w->cols[c]);
            }
            if (!found && strcmp(w->cols[c], "tick") != 0) {
                fprintf(stderr, "cxsim watch: no column '%s' in the rows\n", w->cols[c]);
                return 2;
            }
        }
        t->checked = 1;
    }
    if (m->tick % w->every == 0 || last) {
        for (int c = 0; c < w->ncol; c++) {
            double v = (double)m->tick;
            for (int i = 0; i < m->n_words; i++) {
                if (cx_str_eq(m->names[i], w->cols[c])) {
                    v = m->words[i];
                }
            }
            printf("%s%*.6g", c ? " " : "", t->width[c], v);
        }
        printf("\n");
        fflush(stdout);
        t->last_printed = (int)m->tick;
    }
    return last ? 1 : 0;
}

/* Prints rows from sub until the run's last tick (0), its end or silence
 * (1), a signal (1) or a bad column (2). */
static int s_loop(s_table_t *t, void *sub, cx_msg_t *m)
{
    const s_watch_t *w = t->w;
    long long heard = cx_now_ms();
    while (!s_stop) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 500);
        cx_frame_t f;
        while (cx_net_recv(sub, false, &f, ZMQ_DONTWAIT) >= 0) {
            if (!f.open) {
                continue;
            }
            heard = cx_now_ms();
            int r = 0;
            if (cx_msg_decode(m, cx_frame_data(&f), cx_frame_size(&f)) == CX_MSG_ROW) {
                r = s_row(t, m);
            }
            cx_frame_close(&f);
            if (r != 0) {
                return r == 1 ? 0 : 2;
            }
        }
        char probe[8];
        if (cx_live_endpoint_read(w->dir, "rows", probe, sizeof probe) != 0 && errno == ENOENT) {
            fprintf(stderr, "cxsim watch: the run ended (last tick shown: %d)\n", t->last_printed);
            return 1;
        }
        if (w->timeout_s > 0 && cx_now_ms() - heard > w->timeout_s * 1000) {
            fprintf(stderr, "cxsim watch: no row for %ld s; giving up\n", w->timeout_s);
            return 1;
        }
    }
    return 1;
}

int cx_cmd_watch(int argc, char **argv)
{
    static s_watch_t w;
    int rc = s_parse(argc, argv, &w);
    if (rc == 0) {
        rc = s_columns(&w);
    }
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    char rows_ep[1024];
    if (cx_live_endpoint_read(w.dir, "rows", rows_ep, sizeof rows_ep) != 0) {
        fprintf(stderr, "cxsim watch: %s/live.endpoints: %s: is the run still going?\n", w.dir,
                strerror(errno));
        return 1;
    }
    s_table_t t = {.w = &w, .ticks = s_run_ticks(&w), .last_printed = -1};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    void *zctx = zmq_ctx_new();
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    cx_net_limit(sub, CX_NET_MAX_SMALL);
    cx_curve_client(&w.curve, sub);
    cx_msg_t *m = malloc(sizeof *m);
    if (!m || zmq_connect(sub, rows_ep) != 0) {
        fprintf(stderr, "cxsim watch: cannot connect to %s: %s\n", rows_ep, zmq_strerror(errno));
        free(m);
        zmq_close(sub);
        zmq_ctx_term(zctx);
        return 1;
    }
    cx_msg_init(m);
    s_header(&t);
    rc = s_loop(&t, sub, m);
    cx_msg_fini(m);
    free(m);
    zmq_close(sub);
    zmq_ctx_term(zctx);
    return rc;
}
