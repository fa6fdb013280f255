/*  cx_web_feed — a run's rows into the store: ZeroMQ SUB, with kpis.csv
 *  for whatever the socket did not deliver (see cx_web_feed.h). */
#include "cx_web_feed.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cx_control.h"
#include "cx_csv.h"
#include "cx_json.h"
#include "cx_kpi_cols.h"
#include "cx_load.h"
#include "cx_net.h"
#include "cx_output.h"
#include "cx_proto.h"

#define S_POLL_MS 200

static void s_path(const cx_web_feed_t *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static int s_exists(const cx_web_feed_t *f, const char *name)
{
    char p[4200];
    s_path(f, name, p, sizeof p);
    return access(p, F_OK) == 0;
}

/* summary.json's "status" value, or "unknown". */
static void s_summary_status(const cx_web_feed_t *f, char *out, size_t cap)
{
    char p[4200];
    s_path(f, "summary.json", p, sizeof p);
    char *text = NULL;
    size_t len = 0;
    snprintf(out, cap, "unknown");
    if (cx_read_file(p, 1 << 20, &text, &len) != 0) {
        return;
    }
    json_t *doc = json_loadb(text, len, 0, NULL);
    const json_t *st = json_object_get(doc, "status");
    if (json_is_string(st) && json_string_length(st) > 0 && json_string_length(st) < cap) {
        snprintf(out, cap, "%s", json_string_value(st));
    }
    json_decref(doc);
    free(text);
}

/* "maturity.ID" for each department of the run's scenario (at most max).
 * Returns the count (0 when the scenario cannot be read). */
static int s_maturity_names(const cx_web_feed_t *f, char names[][CX_ID_MAX + 16], int max)
{
    char p[4200];
    s_path(f, "scenario.resolved.yaml", p, sizeof p);
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        return 0;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int n = 0;
    if (cx_scenario_load_file(p, NULL, 0, sc, &d) == 0) {
        for (int i = 0; i < sc->n_dept && n < max && n < CX_MAX_DEPTS; i++) {
            snprintf(names[n++], CX_ID_MAX + 16, "maturity.%s", sc->dept[i].id);
        }
    }
    cx_diags_fini(&d);
    free(sc);
    return n;
}

/* Sets vals' "maturity.ID" columns from departments.csv's lines of `tick`
 * (fp open on it), consuming the lines before it; f->dep_off follows.
 * Lines of a later tick, and a line not whole yet, are left for later. */
static void s_dept_maturity(cx_web_feed_t *f, FILE *fp, int64_t tick, double *vals)
{
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    if (fseek(fp, f->dep_off, SEEK_SET) != 0) {
        return;
    }
    while ((len = getline(&line, &lcap, fp)) > 0 && line[len - 1] == '\n') {
        char *fld[CX_WEB_MAX_COLS];
        int nf = cx_csv_split(line, fld, CX_WEB_MAX_COLS);
        if (strcmp(fld[0], "tick") == 0) {
            f->dep_off += (long)len; /* the header */
            const cx_csv_row_t head = {.names = fld, .ncols = nf < CX_WEB_MAX_COLS ? nf : 0};
            f->dep_dcol = cx_csv_col(&head, "department");
            f->dep_mcol = cx_csv_col(&head, "maturity");
            continue;
        }
        char *end = NULL;
        long long t = strtoll(fld[0], &end, 10);
        if (end == fld[0] || *end || t > tick) {
            break;
        }
        f->dep_off += (long)len;
        if (t < tick || f->dep_dcol <= 0 || f->dep_mcol <= 0 || nf > CX_WEB_MAX_COLS ||
            f->dep_dcol >= nf || f->dep_mcol >= nf) {
            continue;
        }
        char name[CX_ID_MAX + 16];
        snprintf(name, sizeof name, "maturity.%.31s", fld[f->dep_dcol]);
        int c = cx_web_store_column(f->store, name);
        const char *m = fld[f->dep_mcol];
        char *e = NULL;
        double v = strtod(m, &e);
        if (c > 0 && e != m && *e == 0) {
            vals[c] = v;
        }
    }
    free(line);
}

/* Maps the CSV header to store columns, fixing the store's columns from
 * it when no ROW came first. */
static int s_header(cx_web_feed_t *f, char *line)
{
    char *names[CX_WEB_MAX_COLS];
    int n = cx_csv_split(line, names, CX_WEB_MAX_COLS);
    if (n > CX_WEB_MAX_COLS || strcmp(names[0], "tick") != 0) {
        return -1;
    }
    if (cx_web_store_ncol(f->store) == 0) {
        /* Then each department's maturity, as the coordinator's ROW has it. */
        const char *all[CX_WEB_MAX_COLS];
        char mat[CX_MAX_DEPTS][CX_ID_MAX + 16];
        memcpy(all, names, (size_t)n * sizeof names[0]);
        int na = n + s_maturity_names(f, mat, CX_WEB_MAX_COLS - n);
        for (int i = n; i < na; i++) {
            all[i] = mat[i - n];
        }
        if (cx_web_store_set_columns(f->store, all, na) != 0) {
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        f->map[i] = cx_web_store_column(f->store, names[i]);
    }
    f->ncsv = n;
    return 0;
}

int cx_web_feed_backfill(cx_web_feed_t *f, int64_t from, int64_t to)
{
    char p[4200];
    s_path(f, "kpis.csv", p, sizeof p);
    FILE *fp = fopen(p, "r");
    if (!fp) {
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        fclose(fp);
        return -1;
    }
    /* Go on from where the last read stopped when that is still the same
     * file, at least as long, and no earlier tick is wanted. */
    int resume = f->ncsv > 0 && f->csv_off > 0 && st.st_ino == f->csv_ino &&
                 (long long)st.st_size >= (long long)f->csv_off && from >= f->csv_next &&
                 fseek(fp, f->csv_off, SEEK_SET) == 0;
    /* departments.csv, followed from where the last read stopped. */
    char dp[4200];
    s_path(f, "departments.csv", dp, sizeof dp);
    FILE *dfp = fopen(dp, "r");
    struct stat dst;
    if (dfp && (fstat(fileno(dfp), &dst) != 0 || dst.st_ino != f->dep_ino ||
                (long long)dst.st_size < (long long)f->dep_off)) {
        f->dep_off = 0; /* a new file */
        f->dep_ino = dfp && fstat(fileno(dfp), &dst) == 0 ? dst.st_ino : 0;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int added = 0, first = !resume;
    int ncol = cx_web_store_ncol(f->store);
    long off = resume ? f->csv_off : 0;
    while ((len = getline(&line, &lcap, fp)) > 0) {
        if (line[len - 1] != '\n') {
            break; /* a row being written: not whole yet */
        }
        off += (long)len;
        if (first) {
            first = 0;
            if (s_header(f, line) != 0) {
                fprintf(stderr, "cxsim-web: %s: unexpected header\n", p);
                break;
            }
            ncol = cx_web_store_ncol(f->store);
            f->csv_ino = st.st_ino;
            f->csv_off = off;
            f->csv_next = 0;
            continue;
        }
        char *end = NULL;
        long long tick = strtoll(line, &end, 10);
        if (end == line || *end != ',' || tick < 0) {
            continue;
        }
        if (to >= 0 && tick >= to) {
            break;
        }
        f->csv_off = off;
        f->csv_next = tick + 1;
        if (tick < from) {
            continue;
        }
        double vals[CX_WEB_MAX_COLS];
        for (int c = 0; c < ncol; c++) {
            vals[c] = NAN;
        }
        char *fld[CX_WEB_MAX_COLS];
        int nf = cx_csv_split(line, fld, CX_WEB_MAX_COLS);
        for (int c = 0; c < f->ncsv && c < nf && c < CX_WEB_MAX_COLS; c++) {
            const char *q = fld[c];
            if (f->map[c] >= 0 && *q) {
                char *e = NULL;
                double v = strtod(q, &e);
                if (e != q && *e == 0) {
                    vals[f->map[c]] = v;
                }
            }
        }
        vals[0] = (double)tick;
        if (dfp) {
            s_dept_maturity(f, dfp, tick, vals);
        }
        if (cx_web_store_append(f->store, vals) == 0) {
            added++;
        }
    }
    free(line);
    fclose(fp);
    if (dfp) {
        fclose(dfp);
    }
    return added;
}

/* One ROW into the store, reading back from kpis.csv the ticks missed. */
static void s_row(cx_web_feed_t *f, const cx_msg_t *m)
{
    if (m->tick < 0) {
        return;
    }
    if (cx_web_store_ncol(f->store) == 0) {
        char buf[CX_WEB_MAX_COLS][64];
        const char *names[CX_WEB_MAX_COLS];
        int n = 0;
        names[n++] = "tick";
        for (int i = 0; i < m->n_words && n < CX_WEB_MAX_COLS; i++) {
            if (!cx_str_eq(m->names[i], "tick")) {
                cx_str_copy(buf[n], sizeof buf[n], m->names[i]);
                names[n] = buf[n];
                n++;
            }
        }
        if (cx_web_store_set_columns(f->store, names, n) != 0) {
            return;
        }
    }
    int64_t last = cx_web_store_last_tick(f->store);
    if (m->tick <= last) {
        return;
    }
    if (m->tick > last + 1) {
        cx_web_feed_backfill(f, last + 1, m->tick);
    }
    int ncol = cx_web_store_ncol(f->store);
    double vals[CX_WEB_MAX_COLS];
    for (int c = 0; c < ncol; c++) {
        vals[c] = NAN;
    }
    for (int i = 0; i < m->n_words; i++) {
        char name[64];
        cx_str_copy(name, sizeof name, m->names[i]);
        int c = cx_web_store_column(f->store, name);
        if (c > 0) {
            vals[c] = m->words[i];
        }
    }
    vals[0] = (double)m->tick;
    cx_web_store_append(f->store, vals);
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Follows one run through its rows endpoint until it ends or we stop.
 * Returns 1 when the run ended, 0 when stopped, -1 when the endpoint
 * cannot be used. */
static int s_follow(cx_web_feed_t *f, void *zctx, const char *ep, cx_msg_t *m)
{
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    if (!sub) {
        fprintf(stderr, "cxsim-web: cannot create a socket: %s\n", zmq_strerror(errno));
        return -1;
    }
    int zero = 0, hwm = 100000;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    cx_net_limit(sub, CX_NET_MAX_SMALL);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (cx_curve_client(f->curve, sub) != 0 || zmq_connect(sub, ep) != 0) {
        fprintf(stderr, "cxsim-web: cannot connect to %s: %s\n", ep, zmq_strerror(errno));
        zmq_close(sub);
        return -1;
    }
    /* Rows published before the subscription took hold are in kpis.csv. */
    cx_web_feed_backfill(f, cx_web_store_last_tick(f->store) + 1, -1);
    int ended = 0;
    int draining = 0;
    while (!atomic_load(&f->stop)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, draining ? 50 : S_POLL_MS);
        cx_frame_t fr;
        int got = 0;
        while (!atomic_load(&f->stop) && cx_net_recv(sub, false, &fr, ZMQ_DONTWAIT) >= 0) {
            if (fr.open) {
                if (cx_msg_decode(m, cx_frame_data(&fr), cx_frame_size(&fr)) == CX_MSG_ROW) {
                    s_row(f, m);
                    got = 1;
                }
                cx_frame_close(&fr);
            }
        }
        if (draining && !got) {
            ended = 1;
            break;
        }
        char probe[8];
        if (!draining &&
            ((cx_live_endpoint_read(f->dir, "rows", probe, sizeof probe) != 0 && errno == ENOENT) ||
             s_exists(f, "summary.json"))) {
            draining = 1; /* the run is over: take what is still queued */
        }
    }
    zmq_close(sub);
    return ended;
}

static void *s_thread(void *arg)
{
    cx_web_feed_t *f = arg;
    void *zctx = zmq_ctx_new();
    cx_msg_t *m = malloc(sizeof *m);
    if (!zctx || !m) {
        fprintf(stderr, "cxsim-web: cannot start the rows feed: out of memory\n");
        free(m);
        if (zctx) {
            zmq_ctx_term(zctx);
        }
        return NULL;
    }
    cx_msg_init(m);
    int since_csv = 0;
    while (!atomic_load(&f->stop)) {
        char ep[1024];
        if (cx_live_endpoint_read(f->dir, "rows", ep, sizeof ep) == 0 &&
            !s_exists(f, "summary.json")) {
            int r = s_follow(f, zctx, ep, m);
            if (r == 1) {
                break;
            }
            if (r < 0) {
                s_sleep_ms(1000); /* said once a second at most */
            }
            continue;
        }
        if (s_exists(f, "summary.json") && !s_exists(f, "live.endpoints")) {
            break; /* a run that is over: its files say everything */
        }
        /* No run going on (yet): follow kpis.csv once a second, as an
         * in-process run writes it. */
        if (since_csv++ % 5 == 0) {
            cx_web_feed_backfill(f, cx_web_store_last_tick(f->store) + 1, -1);
        }
        s_sleep_ms(S_POLL_MS);
    }
    if (!atomic_load(&f->stop)) {
        cx_web_feed_backfill(f, cx_web_store_last_tick(f->store) + 1, -1);
        char status[64];
        s_summary_status(f, status, sizeof status);
        cx_web_store_end(f->store, status);
    }
    cx_msg_fini(m);
    free(m);
    zmq_ctx_term(zctx);
    return NULL;
}

int cx_web_feed_start(cx_web_feed_t *f, const char *dir, cx_web_store_t *store,
                      const cx_curve_t *curve, char *err, size_t cap)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    f->store = store;
    f->curve = curve;
    atomic_init(&f->stop, 0);
    int r = pthread_create(&f->th, NULL, s_thread, f);
    if (r != 0) {
        snprintf(err, cap, "cannot start the rows feed: %s", strerror(r));
        return -1;
    }
    f->started = 1;
    return 0;
}

void cx_web_feed_stop(cx_web_feed_t *f)
{
    if (f->started) {
        atomic_store(&f->stop, 1);
        pthread_join(f->th, NULL);
        f->started = 0;
    }
}

void cx_web_feed_kpis_json(cx_wbuf_t *b)
{
    cx_wbuf_puts(b, "[");
    for (int i = 0; i < cx_kpi_ncols; i++) {
        cx_wbuf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        cx_json_str(b, cx_kpi_cols[i].name);
        cx_wbuf_puts(b, ",\"label\":");
        cx_json_str(b, cx_kpi_cols[i].label);
        cx_wbuf_puts(b, ",\"unit\":");
        cx_json_str(b, cx_kpi_cols[i].unit);
        cx_wbuf_puts(b, "}");
    }
    cx_wbuf_puts(b, "]");
}
