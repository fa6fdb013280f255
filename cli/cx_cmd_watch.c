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
#include "cx_load.h"
#include "cx_net.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_proto.h"

#define S_MAX_COLS 16

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* Checks a --columns name against the rows' columns: those of kpis.csv,
 * and "maturity.ID" for each department of DIR's scenario. Returns 0, or
 * -1 with the reason (and a "did you mean") on stderr. */
static int s_check_column(const char *dir, const char *col)
{
    static cx_kpi_row_t row; /* for the names only */
    const char *names[64 + CX_MAX_DEPTS];
    double vals[64];
    int n = cx_kpi_row_columns(&row, names, vals, 64);
    n = n < 64 ? n : 64;
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

int cx_cmd_watch(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        s_usage(stdout);
        return 0;
    }
    cx_curve_t curve;
    if (cx_take_key_option(&argc, argv, &curve, "cxsim watch") != 0) {
        return 2;
    }
    if (argc < 2 || argv[1][0] == '-') {
        s_usage(stderr);
        return 2;
    }
    const char *dir = argv[1];
    long every = 10, timeout_s = 0;
    char colbuf[512] = "tick,nps,csat,ces,churn_rate,customers,revenue,employee_engagement";
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(argv[i], "--every") == 0 && v) {
            every = strtol(v, &end, 10);
            if (*end || every < 1 || every > 1000000) {
                fprintf(stderr, "cxsim watch: --every expects a tick count from 1, got '%s'\n", v);
                return 2;
            }
            i++;
        } else if (strcmp(argv[i], "--timeout-s") == 0 && v) {
            timeout_s = strtol(v, &end, 10);
            if (*end || timeout_s < 0 || timeout_s > 86400) {
                fprintf(stderr, "cxsim watch: --timeout-s expects seconds from 1, got '%s'\n", v);
                return 2;
            }
            i++;
        } else if (strcmp(argv[i], "--columns") == 0 && v) {
            snprintf(colbuf, sizeof colbuf, "%s", v);
            i++;
        } else {
            fprintf(stderr, "cxsim watch: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    const char *cols[S_MAX_COLS];
    int ncol = 0;
    char *save = NULL;
    for (char *c = strtok_r(colbuf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (ncol == S_MAX_COLS) {
            fprintf(stderr, "cxsim watch: at most %d columns\n", S_MAX_COLS);
            return 2;
        }
        if (s_check_column(dir, c) != 0) {
            return 2;
        }
        cols[ncol++] = c;
    }
    if (ncol == 0) {
        fprintf(stderr, "cxsim watch: --columns names no column\n");
        return 2;
    }
    char rows_ep[1024], ctl_ep[1024];
    if (cx_live_endpoint_read(dir, "rows", rows_ep, sizeof rows_ep) != 0) {
        fprintf(stderr, "cxsim watch: %s/live.endpoints: %s: is the run still going?\n", dir,
                strerror(errno));
        return 1;
    }
    /* The run's length, from its status (the last tick ends the watch). */
    long ticks = -1;
    char reply[CX_CONTROL_TEXT_MAX];
    if (cx_live_endpoint_read(dir, "control", ctl_ep, sizeof ctl_ep) == 0 &&
        cx_control_call_key(ctl_ep, &curve, "status", "", "", 3000, reply, sizeof reply) == 1) {
        const char *t = strstr(reply, " ticks=");
        if (t) {
            ticks = strtol(t + 7, NULL, 10);
        }
    }

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
    cx_curve_client(&curve, sub);
    int rc = 1;
    cx_msg_t *m = malloc(sizeof *m);
    if (!m || zmq_connect(sub, rows_ep) != 0) {
        fprintf(stderr, "cxsim watch: cannot connect to %s: %s\n", rows_ep, zmq_strerror(errno));
        free(m);
        zmq_close(sub);
        zmq_ctx_term(zctx);
        return 1;
    }
    cx_msg_init(m);
    int width[S_MAX_COLS];
    for (int c = 0; c < ncol; c++) {
        int n = (int)strlen(cols[c]);
        width[c] = n > 11 ? n : 11;
        printf("%s%*s", c ? " " : "", width[c], cols[c]);
    }
    printf("\n");
    fflush(stdout);
    long long heard = cx_now_ms();
    int checked = 0, last_printed = -1;
    while (!s_stop) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 500);
        cx_frame_t f;
        while (cx_net_recv(sub, false, &f, ZMQ_DONTWAIT) >= 0) {
            if (!f.open) {
                continue;
            }
            heard = cx_now_ms();
            if (cx_msg_decode(m, cx_frame_data(&f), cx_frame_size(&f)) == CX_MSG_ROW) {
                int last = ticks > 0 && m->tick >= ticks - 1;
                if (!checked) {
                    /* Names are checked against the first row: a typo is
                     * said once, not shown as an empty column. */
                    for (int c = 0; c < ncol; c++) {
                        int found = 0;
                        for (int i = 0; i < m->n_words && !found; i++) {
                            found = cx_str_eq(m->names[i], cols[c]);
                        }
                        if (!found && strcmp(cols[c], "tick") != 0) {
                            fprintf(stderr, "cxsim watch: no column '%s' in the rows\n", cols[c]);
                            cx_frame_close(&f);
                            goto done_bad;
                        }
                    }
                    checked = 1;
                }
                if (m->tick % every == 0 || last) {
                    for (int c = 0; c < ncol; c++) {
                        double v = (double)m->tick;
                        for (int i = 0; i < m->n_words; i++) {
                            if (cx_str_eq(m->names[i], cols[c])) {
                                v = m->words[i];
                            }
                        }
                        printf("%s%*.6g", c ? " " : "", width[c], v);
                    }
                    printf("\n");
                    fflush(stdout);
                    last_printed = (int)m->tick;
                }
                if (last) {
                    rc = 0;
                    cx_frame_close(&f);
                    goto done;
                }
            }
            cx_frame_close(&f);
        }
        char probe[8];
        if (cx_live_endpoint_read(dir, "rows", probe, sizeof probe) != 0 && errno == ENOENT) {
            fprintf(stderr, "cxsim watch: the run ended (last tick shown: %d)\n", last_printed);
            goto done;
        }
        if (timeout_s > 0 && cx_now_ms() - heard > timeout_s * 1000) {
            fprintf(stderr, "cxsim watch: no row for %ld s; giving up\n", timeout_s);
            goto done;
        }
    }
done:
    cx_msg_fini(m);
    free(m);
    zmq_close(sub);
    zmq_ctx_term(zctx);
    return rc;
done_bad:
    cx_msg_fini(m);
    free(m);
    zmq_close(sub);
    zmq_ctx_term(zctx);
    return 2;
}
