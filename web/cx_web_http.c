/*  cx_web_http — routes, the command bridge and the streaming responses
 *  of cxsim-web (see cx_web_http.h). */
#include "cx_web_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx_control.h"
#include "cx_live_set.h"
#include "cx_load.h"
#include "cx_web_page.h"

#define S_ROWS_CHUNK 256       /* rows formatted at a time for /api/rows */
#define S_EVENTS_BATCH 64      /* rows sent at a time on /api/events */
#define S_KEEPALIVE_MS 10000   /* an SSE comment when no row came for this long */
#define S_CALL_MS 5000         /* wait for the run's answer to a command */
#define S_CHECKPOINT_MS 120000 /* ... to a checkpoint, which writes every agent's state */
#define S_DEPTS_TAIL 65536     /* bytes of departments.csv's end read for its last tick */

/* ---- small helpers --------------------------------------------------- */

static int s_add_common_headers(struct MHD_Response *r, const char *ctype)
{
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES) {
        return -1;
    }
    return 0;
}

static enum MHD_Result s_send(struct MHD_Connection *c, unsigned status, const char *ctype,
                              const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (!r) {
        return MHD_NO;
    }
    if (s_add_common_headers(r, ctype) != 0) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    if (strncmp(ctype, "text/html", 9) == 0) {
        MHD_add_response_header(
            r, "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
                                  const cx_wbuf_t *b)
{
    if (b->oom) {
        static const char oom[] = "{\"ok\":false,\"message\":\"out of memory\"}";
        return s_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oom, sizeof oom - 1);
    }
    return s_send(c, status, ctype, b->p, b->n);
}

/* {"ok": ok, "message": message} with the given status. */
static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status, int ok, const char *fmt,
                               ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status, int ok, const char *fmt,
                               ...)
{
    char msg[CX_CONTROL_TEXT_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_wbuf_t b = {0};
    cx_wbuf_printf(&b, "{\"ok\":%s,\"message\":", ok ? "true" : "false");
    cx_json_str(&b, msg);
    cx_wbuf_puts(&b, "}\n");
    enum MHD_Result r = s_send_buf(c, status, "application/json", &b);
    cx_wbuf_free(&b);
    return r;
}

/* 429 {"ok": false, "message": ...} with Retry-After: seconds. */
static enum MHD_Result s_reply_retry(struct MHD_Connection *c, long long seconds, const char *fmt,
                                     ...) __attribute__((format(printf, 3, 4)));
static enum MHD_Result s_reply_retry(struct MHD_Connection *c, long long seconds, const char *fmt,
                                     ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_wbuf_t b = {0};
    cx_wbuf_puts(&b, "{\"ok\":false,\"message\":");
    cx_json_str(&b, msg);
    cx_wbuf_puts(&b, "}\n");
    struct MHD_Response *r =
        b.oom ? NULL : MHD_create_response_from_buffer(b.n, b.p, MHD_RESPMEM_MUST_COPY);
    cx_wbuf_free(&b);
    if (!r) {
        return MHD_NO;
    }
    char secs[32];
    snprintf(secs, sizeof secs, "%lld", seconds < 1 ? 1LL : seconds);
    s_add_common_headers(r, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
    MHD_destroy_response(r);
    return ret;
}

int cx_web_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return 0;
}

/* The Host header names this machine's loopback: localhost, 127.x.y.z or
 * [::1], with or without a port. */
static int s_host_ok(const char *host)
{
    char name[256];
    size_t n;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close) {
            return 0;
        }
        n = (size_t)(close - host - 1);
        if (n >= sizeof name) {
            return 0;
        }
        memcpy(name, host + 1, n);
    } else {
        n = strcspn(host, ":");
        if (n >= sizeof name) {
            return 0;
        }
        memcpy(name, host, n);
    }
    name[n] = 0;
    return strcasecmp(name, "localhost") == 0 || cx_web_is_loopback(name);
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A whole number from 0 to 10^15 in text, or -1. */
static int64_t s_parse_tick(const char *t)
{
    if (!t || !*t || strlen(t) > 15) {
        return -1;
    }
    int64_t v = 0;
    for (const char *p = t; *p; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* ---- GET /api/scenario ------------------------------------------------ */

/* Loads scenario.resolved.yaml into h->scenario_json when it changed.
 * Called with h->mu held. Returns 0, or -1 with a message. */
static int s_scenario_refresh(cx_web_http_t *h, char *err, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", h->dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, cap, "%.600s: %s (has the run started?)", path, strerror(errno));
        return -1;
    }
    if (h->scenario_json && st.st_ino == h->sc_ino && st.st_size == h->sc_size &&
        st.st_mtim.tv_sec == h->sc_mtime.tv_sec && st.st_mtim.tv_nsec == h->sc_mtime.tv_nsec) {
        return 0;
    }
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(path, NULL, 0, sc, &d) != 0) {
        char first[700] = "cannot be read";
        if (d.n > 0) {
            cx_diag_format(&d.items[0], first, sizeof first);
        }
        snprintf(err, cap, "%s", first);
        cx_diags_fini(&d);
        free(sc);
        return -1;
    }
    cx_diags_fini(&d);
    cx_wbuf_t b = {0};
    cx_wbuf_puts(&b, "{\"name\":");
    cx_json_str(&b, sc->name);
    cx_wbuf_puts(&b, ",\"description\":");
    cx_json_str(&b, sc->description);
    cx_wbuf_printf(&b, ",\"ticks\":%d,\"tick_unit\":", sc->ticks);
    cx_json_str(&b, cx_tick_unit_name(sc->tick_unit));
    cx_wbuf_puts(&b, ",\"cx_owner\":");
    cx_json_str(&b, cx_owner_name(sc->cx_owner));
    cx_wbuf_puts(&b, ",\"governance\":");
    cx_json_str(&b, cx_governance_name(sc->governance));
    cx_wbuf_puts(&b, ",\"departments\":[");
    for (int i = 0; i < sc->n_dept; i++) {
        cx_wbuf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        cx_json_str(&b, sc->dept[i].id);
        cx_wbuf_puts(&b, ",\"kind\":");
        cx_json_str(&b, cx_dept_kind_name(sc->dept[i].kind));
        cx_wbuf_puts(&b, ",\"maturity\":");
        cx_json_num(&b, sc->dept[i].maturity);
        cx_wbuf_puts(&b, ",\"staff\":");
        cx_json_num(&b, sc->dept[i].staff);
        cx_wbuf_puts(&b, "}");
    }
    cx_wbuf_puts(&b, "],\"owners\":[");
    for (int i = 0; i < CX_OWNER_COUNT; i++) {
        if (i) {
            cx_wbuf_puts(&b, ",");
        }
        cx_json_str(&b, cx_owner_name((cx_owner_t)i));
    }
    cx_wbuf_puts(&b, "],\"governances\":[");
    for (int i = 0; i < CX_GOV_COUNT; i++) {
        if (i) {
            cx_wbuf_puts(&b, ",");
        }
        cx_json_str(&b, cx_governance_name((cx_governance_t)i));
    }
    /* The timeline as it stands: scripted events, and the changes taken
     * live by any client (the coordinator rewrites the file with them),
     * phrased as the coordinator's replies are. */
    cx_wbuf_puts(&b, "],\"timeline\":[");
    for (int i = 0; i < sc->n_event; i++) {
        char what[256], text[300];
        cx_event_describe(sc, &sc->event[i], what, sizeof what);
        snprintf(text, sizeof text, "at tick %d: %s", sc->event[i].tick, what);
        const cx_event_spec_t *ev = &sc->event[i];
        cx_wbuf_printf(&b, "%s{\"tick\":%d,\"text\":", i ? "," : "", ev->tick);
        cx_json_str(&b, text);
        /* What it sets, for the page's current state of the controls. */
        cx_wbuf_puts(&b, ",\"kind\":");
        cx_json_str(&b, cx_event_kind_name(ev->kind));
        if (ev->dept >= 0 && ev->dept < sc->n_dept) {
            cx_wbuf_puts(&b, ",\"department\":");
            cx_json_str(&b, sc->dept[ev->dept].id);
        }
        cx_wbuf_puts(&b, ",\"value\":");
        cx_json_num(&b, ev->value);
        cx_wbuf_printf(&b, ",\"over\":%d,\"owner\":", ev->duration);
        cx_json_str(&b, cx_owner_name((cx_owner_t)ev->owner));
        cx_wbuf_puts(&b, ",\"governance\":");
        cx_json_str(&b, cx_governance_name((cx_governance_t)ev->governance));
        cx_wbuf_puts(&b, "}");
    }
    cx_wbuf_puts(&b, "]");
    snprintf(h->scenario_name, sizeof h->scenario_name, "%s", sc->name);
    free(sc);
    if (b.oom) {
        cx_wbuf_free(&b);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    free(h->scenario_json);
    h->scenario_json = b.p; /* the buffer's text, now ours */
    h->sc_ino = st.st_ino;
    h->sc_size = st.st_size;
    h->sc_mtime = st.st_mtim;
    return 0;
}

static enum MHD_Result s_get_scenario(cx_web_http_t *h, struct MHD_Connection *c)
{
    char err[1024];
    cx_wbuf_t b = {0};
    pthread_mutex_lock(&h->mu);
    int r = s_scenario_refresh(h, err, sizeof err);
    if (r == 0) {
        cx_wbuf_puts(&b, h->scenario_json);
    }
    pthread_mutex_unlock(&h->mu);
    if (r != 0) {
        return s_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, 0, "%s", err);
    }
    /* The parts that change while the run goes: the changes taken here,
     * and where the run stands. */
    cx_wbuf_puts(&b, ",\"changes\":");
    cx_web_store_changes_json(h->store, &b);
    cx_wbuf_puts(&b, ",\"run\":");
    cx_web_store_state_json(h->store, &b);
    cx_wbuf_puts(&b, "}\n");
    enum MHD_Result ret = s_send_buf(c, MHD_HTTP_OK, "application/json", &b);
    cx_wbuf_free(&b);
    return ret;
}

/* ---- GET /api/departments -------------------------------------------- */

/* The rows of departments.csv's last tick (read from its last
 * S_DEPTS_TAIL bytes; whole lines only) as
 * {"tick": T|null, "departments": [{"department": ID, COLUMN: number...}]}. */
static void s_departments_json(const char *dir, cx_wbuf_t *out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/departments.csv", dir);
    FILE *fp = fopen(path, "r");
    char header[1024];
    if (!fp || !fgets(header, sizeof header, fp) || !strchr(header, '\n')) {
        if (fp) {
            fclose(fp);
        }
        cx_wbuf_puts(out, "{\"tick\":null,\"departments\":[]}\n");
        return;
    }
    long hlen = (long)strlen(header);
    header[hlen - 1] = 0;
    char *names[64];
    int ncol = 0;
    for (char *save = NULL, *f = strtok_r(header, ",\r", &save); f && ncol < 64;
         f = strtok_r(NULL, ",\r", &save)) {
        names[ncol++] = f;
    }
    char *buf = malloc(S_DEPTS_TAIL + 1);
    size_t n = 0;
    long from = 0;
    if (buf && fseek(fp, 0, SEEK_END) == 0) {
        long size = ftell(fp);
        from = size - S_DEPTS_TAIL > hlen ? size - S_DEPTS_TAIL : hlen;
        if (size > from && fseek(fp, from, SEEK_SET) == 0) {
            n = fread(buf, 1, (size_t)(size - from), fp);
        }
    }
    fclose(fp);
    int64_t tick = -1;
    cx_wbuf_t rb = {0}; /* the rows, written once the tick is known */
    int rows = 0;
    if (buf && n > 0) {
        buf[n] = 0;
        /* Whole lines: after the first newline unless read from the header's
         * end, up to the last newline. */
        char *start = buf;
        if (from > hlen) {
            char *nl = strchr(buf, '\n');
            start = nl ? nl + 1 : buf + n;
        }
        char *end = buf + n;
        while (end > start && end[-1] != '\n') {
            end--;
        }
        /* Backwards from the last line, while the tick stays the same. */
        char *lines[CX_WEB_SEATS_MAX];
        int nl = 0;
        char *p = end;
        while (p > start && nl < CX_WEB_SEATS_MAX) {
            char *e = p - 1; /* the newline ending this line */
            char *b = e;
            while (b > start && b[-1] != '\n') {
                b--;
            }
            *e = 0;
            long long t = strtoll(b, NULL, 10);
            if (tick >= 0 && t != tick) {
                break;
            }
            tick = t;
            lines[nl++] = b;
            p = b;
        }
        for (int i = nl - 1; i >= 0; i--) {
            cx_wbuf_puts(&rb, rows++ ? ",{" : "{");
            int col = 0;
            for (char *save = NULL, *f = strtok_r(lines[i], ",\r", &save); f && col < ncol;
                 f = strtok_r(NULL, ",\r", &save), col++) {
                if (col) {
                    cx_wbuf_puts(&rb, ",");
                }
                cx_json_str(&rb, names[col]);
                cx_wbuf_puts(&rb, ":");
                char *fe = NULL;
                double v = strtod(f, &fe);
                if (strcmp(names[col], "department") == 0 || fe == f) {
                    cx_json_str(&rb, f);
                } else {
                    cx_json_num(&rb, v);
                }
            }
            cx_wbuf_puts(&rb, "}");
        }
    }
    free(buf);
    if (tick >= 0) {
        cx_wbuf_printf(out, "{\"tick\":%lld,\"departments\":[", (long long)tick);
    } else {
        cx_wbuf_puts(out, "{\"tick\":null,\"departments\":[");
    }
    cx_wbuf_add(out, rb.p ? rb.p : "", rb.n);
    cx_wbuf_puts(out, "]}\n");
    out->oom |= rb.oom;
    cx_wbuf_free(&rb);
}

static enum MHD_Result s_get_departments(cx_web_http_t *h, struct MHD_Connection *c)
{
    cx_wbuf_t b = {0};
    s_departments_json(h->dir, &b);
    enum MHD_Result ret = s_send_buf(c, MHD_HTTP_OK, "application/json", &b);
    cx_wbuf_free(&b);
    return ret;
}

/* ---- GET /api/whoami, GET /api/seats ---------------------------------- */

static enum MHD_Result s_get_whoami(cx_web_http_t *h, struct MHD_Connection *c, int seat)
{
    cx_wbuf_t b = {0};
    if (h->seats) {
        cx_web_seats_whoami_json(h->seats, seat, &b);
    } else {
        cx_wbuf_puts(&b, "{\"role\":\"trainer\",\"classroom\":false}");
    }
    cx_wbuf_puts(&b, "\n");
    enum MHD_Result ret = s_send_buf(c, MHD_HTTP_OK, "application/json", &b);
    cx_wbuf_free(&b);
    return ret;
}

static enum MHD_Result s_get_seats(cx_web_http_t *h, struct MHD_Connection *c, int seat)
{
    if (!h->seats) {
        return s_reply(c, MHD_HTTP_NOT_FOUND, 0, "no seats: cxsim-web runs without --classroom");
    }
    if (h->seats->seat[seat].role != CX_WEB_ROLE_TRAINER) {
        return s_reply(c, MHD_HTTP_FORBIDDEN, 0, "the seats are the trainer's to see");
    }
    cx_wbuf_t b = {0};
    cx_web_seats_json(h->seats, s_now_ms(), &b);
    cx_wbuf_puts(&b, "\n");
    enum MHD_Result ret = s_send_buf(c, MHD_HTTP_OK, "application/json", &b);
    cx_wbuf_free(&b);
    return ret;
}

/* ---- GET / ------------------------------------------------------------ */

static enum MHD_Result s_get_page(cx_web_http_t *h, struct MHD_Connection *c)
{
    char err[1024], name[64];
    pthread_mutex_lock(&h->mu);
    if (s_scenario_refresh(h, err, sizeof err) == 0) {
        snprintf(name, sizeof name, "%s", h->scenario_name);
    } else {
        snprintf(name, sizeof name, "(scenario not readable yet)");
    }
    pthread_mutex_unlock(&h->mu);
    cx_wbuf_t b = {0};
    cx_web_page_render(name, &b);
    enum MHD_Result ret = s_send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
    cx_wbuf_free(&b);
    return ret;
}

/* ---- GET /api/rows ---------------------------------------------------- */

typedef struct {
    cx_web_store_t *store;
    int64_t cursor; /* next tick to write */
    int64_t until;  /* last tick of the answer: the last one at the request */
    int phase;      /* 0 before "[", 1 rows, 2 after "]" */
    int any;        /* a row was written */
    cx_wbuf_t buf;  /* text not yet handed over */
    size_t off;     /* bytes of buf handed over */
} s_rows_t;

static ssize_t s_copy_out(cx_wbuf_t *b, size_t *off, char *out, size_t max)
{
    size_t n = b->n - *off;
    if (n > max) {
        n = max;
    }
    memcpy(out, b->p + *off, n);
    *off += n;
    return (ssize_t)n;
}

static ssize_t s_rows_read(void *cls, uint64_t pos, char *out, size_t max)
{
    s_rows_t *r = cls;
    (void)pos;
    while (r->off >= r->buf.n) {
        if (r->phase == 2) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        cx_wbuf_reset(&r->buf);
        r->off = 0;
        if (r->phase == 0) {
            cx_wbuf_puts(&r->buf, "[");
            r->phase = 1;
        }
        int64_t next = r->cursor;
        size_t n = r->until < r->cursor
                       ? 0
                       : cx_web_store_rows_json(r->store, r->cursor, r->until, S_ROWS_CHUNK, r->any,
                                                &r->buf, &next);
        if (n == 0) {
            cx_wbuf_puts(&r->buf, "]\n");
            r->phase = 2;
        } else {
            r->any = 1;
            r->cursor = next;
        }
        if (r->buf.oom) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    return s_copy_out(&r->buf, &r->off, out, max);
}

static void s_rows_free(void *cls)
{
    s_rows_t *r = cls;
    cx_wbuf_free(&r->buf);
    free(r);
}

static enum MHD_Result s_get_rows(cx_web_store_t *store, struct MHD_Connection *c)
{
    const char *since_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    int64_t since = since_s ? s_parse_tick(since_s) : 0;
    if (since < 0) {
        return s_reply(c, MHD_HTTP_BAD_REQUEST, 0, "since expects a tick (a whole number from 0)");
    }
    s_rows_t *r = calloc(1, sizeof *r);
    if (!r) {
        return MHD_NO;
    }
    r->store = store;
    r->cursor = since;
    r->until = cx_web_store_last_tick(store);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, s_rows_read, r, s_rows_free);
    if (!resp) {
        s_rows_free(r);
        return MHD_NO;
    }
    s_add_common_headers(resp, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- GET /api/events -------------------------------------------------- */

typedef struct {
    cx_web_store_t *store;
    int64_t cursor; /* next tick to send */
    int started;    /* the retry line went out */
    int sent_end;   /* `event: end` went out */
    cx_wbuf_t buf;
    size_t off;
} s_events_t;

static ssize_t s_events_read(void *cls, uint64_t pos, char *out, size_t max)
{
    s_events_t *e = cls;
    (void)pos;
    while (e->off >= e->buf.n) {
        cx_wbuf_reset(&e->buf);
        e->off = 0;
        if (!e->started) {
            cx_wbuf_puts(&e->buf, "retry: 2000\n\n");
            e->started = 1;
            continue;
        }
        if (e->sent_end) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        switch (cx_web_store_wait(e->store, e->cursor, S_KEEPALIVE_MS)) {
        case CX_WEB_WAIT_CLOSING:
            return MHD_CONTENT_READER_END_OF_STREAM;
        case CX_WEB_WAIT_TIMEOUT:
            cx_wbuf_puts(&e->buf, ": keepalive\n\n");
            break;
        case CX_WEB_WAIT_ENDED:
            cx_wbuf_puts(&e->buf, "event: end\ndata: ");
            cx_web_store_state_json(e->store, &e->buf);
            cx_wbuf_puts(&e->buf, "\n\n");
            e->sent_end = 1;
            break;
        case CX_WEB_WAIT_ROWS:
            for (int k = 0; k < S_EVENTS_BATCH; k++) {
                size_t mark = e->buf.n;
                int64_t next = e->cursor;
                cx_wbuf_puts(&e->buf, "data: ");
                if (cx_web_store_rows_json(e->store, e->cursor, -1, 1, 0, &e->buf, &next) == 0) {
                    e->buf.n = mark; /* no more rows for now */
                    if (e->buf.p) {
                        e->buf.p[mark] = 0;
                    }
                    break;
                }
                /* id: the row's tick, which EventSource sends back as
                 * Last-Event-ID when it reconnects. */
                cx_wbuf_printf(&e->buf, "\nid: %" PRId64 "\n\n", next - 1);
                e->cursor = next;
            }
            break;
        }
        if (e->buf.oom) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    return s_copy_out(&e->buf, &e->off, out, max);
}

static void s_events_free(void *cls)
{
    s_events_t *e = cls;
    cx_wbuf_free(&e->buf);
    free(e);
}

static enum MHD_Result s_get_events(cx_web_http_t *h, struct MHD_Connection *c)
{
    const char *since_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    const char *last_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    int64_t since;
    if (last_id && s_parse_tick(last_id) >= 0) {
        since = s_parse_tick(last_id) + 1; /* a reconnection: go on after the last row seen */
    } else if (since_s) {
        since = s_parse_tick(since_s);
        if (since < 0) {
            return s_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                           "since expects a tick (a whole number from 0)");
        }
    } else {
        since = cx_web_store_last_tick(h->store) + 1; /* new rows only */
    }
    s_events_t *e = calloc(1, sizeof *e);
    if (!e) {
        return MHD_NO;
    }
    e->store = h->store;
    e->cursor = since;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                  s_events_read, e, s_events_free);
    if (!resp) {
        s_events_free(e);
        return MHD_NO;
    }
    s_add_common_headers(resp, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- POST /api/command ------------------------------------------------ */

/* 1 when every character of s is alphanumeric or in extra. */
static int s_chars_ok(const char *s, const char *extra)
{
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr(extra, *p)) {
            return 0;
        }
    }
    return 1;
}

static enum MHD_Result s_command(cx_web_http_t *h, struct MHD_Connection *c, int seat,
                                 const char *body, size_t len)
{
    cx_web_cmd_t *cmd = malloc(sizeof *cmd);
    if (!cmd) {
        return MHD_NO;
    }
    char err[512];
    enum MHD_Result ret;
    if (cx_web_cmd_parse(body, len, cmd, err, sizeof err) != 0) {
        ret = s_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s", err);
        goto out;
    }
    static const char *const bare[] = {"status", "pause", "resume", "step", "checkpoint", "stop"};
    int is_bare = 0;
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        is_bare |= strcmp(cmd->verb, bare[i]) == 0;
    }
    int is_set = strcmp(cmd->verb, "set") == 0;
    int with_value = is_set || strcmp(cmd->verb, "event") == 0 || strcmp(cmd->verb, "pace") == 0;
    if (!is_bare && !with_value) {
        ret = s_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                      "unknown verb '%s': expected status, event, set, pause, resume, step, "
                      "pace, checkpoint or stop",
                      cmd->verb);
        goto out;
    }
    if (is_bare && cmd->value[0]) {
        ret = s_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s takes no value", cmd->verb);
        goto out;
    }
    if (with_value && !cmd->value[0]) {
        ret = s_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s needs a value", cmd->verb);
        goto out;
    }
    if (!is_set && (cmd->has_over || cmd->has_cost || cmd->has_at)) {
        ret = s_reply(c, MHD_HTTP_BAD_REQUEST, 0, "over, cost and at go with the verb set only");
        goto out;
    }
    const char *verb = cmd->verb;
    char value[CX_WEB_VALUE_MAX];
    snprintf(value, sizeof value, "%s", cmd->value);
    char who[80] = "";
    cx_web_permit_t permit = CX_WEB_PERMIT_CHANGE;
    if (h->seats) {
        /* The seat's rights, from the command itself (a seat's event comes
         * back re-written from what was checked). */
        char why[512];
        permit = cx_web_seats_permit(h->seats, seat, cmd->verb, cmd->value, value, sizeof value,
                                     why, sizeof why);
        if (permit == CX_WEB_PERMIT_FORBIDDEN) {
            ret = s_reply(c, MHD_HTTP_FORBIDDEN, 0, "%s", why);
            goto out;
        }
        cx_web_seats_who(h->seats, seat, who, sizeof who);
    }
    if (is_set) {
        /* Names and numbers only: nothing that could change the shape of
         * the YAML event the shorthand is written into. */
        const char *eq = strchr(cmd->value, '=');
        if (!s_chars_ok(cmd->value, "_.+-=") || (eq && strchr(eq + 1, '='))) {
            ret = s_reply(c, MHD_HTTP_OK, 0,
                          "set expects KEY=VALUE made of letters, digits, '_', '.', '+' and "
                          "'-', got '%s'",
                          cmd->value);
            goto out;
        }
        const char *num_fields[] = {cmd->over, cmd->cost, cmd->at};
        const char *num_names[] = {"over", "cost", "at"};
        for (int i = 0; i < 3; i++) {
            if (!s_chars_ok(num_fields[i], ".+-eE")) {
                ret = s_reply(c, MHD_HTTP_OK, 0, "%s expects a number, got '%s'", num_names[i],
                              num_fields[i]);
                goto out;
            }
        }
        const char *over = cmd->over[0] ? cmd->over : NULL;
        const char *cost = cmd->cost[0] ? cmd->cost : NULL;
        const char *at = cmd->at[0] ? cmd->at : NULL;
        char why[1024];
        if (cx_live_set_event(cmd->value, at, over, cost, value, sizeof value, why,
                              sizeof why) != 0) {
            ret = s_reply(c, MHD_HTTP_OK, 0, "%s", why);
            goto out;
        }
        verb = "event";
    }
    int64_t retry_ms = 0;
    if (h->seats && permit == CX_WEB_PERMIT_CHANGE &&
        cx_web_seats_take(h->seats, seat, s_now_ms(), &retry_ms) != 0) {
        ret = s_reply_retry(c, (retry_ms + 999) / 1000,
                            "the %s may make one change every %lld s: wait %.1f s", who,
                            (long long)(h->seats->gap_ms / 1000), (double)retry_ms / 1000.0);
        goto out;
    }
    char ep[1024];
    if (cx_live_endpoint_read(h->dir, "control", ep, sizeof ep) != 0) {
        ret = s_reply(c, MHD_HTTP_BAD_GATEWAY, 0,
                      "no run is going on in %s (no live.endpoints): it has ended or not started",
                      h->dir);
        goto out;
    }
    char reply[CX_CONTROL_TEXT_MAX];
    int timeout = strcmp(verb, "checkpoint") == 0 ? S_CHECKPOINT_MS : S_CALL_MS;
    int r = cx_control_call_key(ep, h->curve, verb, "", value, timeout, reply, sizeof reply);
    if (r < 0) {
        ret = s_reply(c, MHD_HTTP_BAD_GATEWAY, 0, "%s%s", reply,
                      h->curve && h->curve->on
                          ? ""
                          : " (a run started with --key answers only cxsim-web --key FILE)");
        goto out;
    }
    long long at_tick;
    if (r == 1 && strcmp(verb, "event") == 0 && sscanf(reply, "at tick %lld", &at_tick) == 1) {
        cx_web_store_add_change(h->store, at_tick, reply, who);
    }
    ret = s_reply(c, MHD_HTTP_OK, r == 1, "%s", reply);
out:
    free(cmd);
    return ret;
}

/* ---- dispatch --------------------------------------------------------- */

/* libmicrohttpd calls the handler once the headers are in, once per piece
 * of body, and once more when the request is whole. Answers are given on
 * that last call (so that the connection can be kept alive), except the
 * refusals that must not wait for a body: a foreign Host, a body declared
 * too large (libmicrohttpd then drops the body and closes). */
typedef enum {
    S_PAGE,
    S_SCENARIO,
    S_ROWS,
    S_SHADOW,
    S_EVENTS,
    S_COMMAND,
    S_WHOAMI,
    S_DEPARTMENTS,
    S_SEATS,
    S_NOT_ALLOWED,
    S_NOT_FOUND
} s_route_t;

typedef struct {
    s_route_t route;
    cx_wbuf_t body; /* the command body read so far */
    int too_big;    /* more than CX_WEB_BODY_MAX bytes came */
    int seat;       /* classroom mode: the token's seat, or -1 */
} s_req_t;

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    s_req_t *q = *con_cls;
    if (q) {
        cx_wbuf_free(&q->body);
        free(q);
        *con_cls = NULL;
    }
}

static s_route_t s_route(const char *url, const char *method)
{
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    static const struct {
        const char *url;
        s_route_t route;
    } gets[] = {{"/", S_PAGE},
                {"/api/scenario", S_SCENARIO},
                {"/api/rows", S_ROWS},
                {"/api/shadow", S_SHADOW},
                {"/api/events", S_EVENTS},
                {"/api/whoami", S_WHOAMI},
                {"/api/departments", S_DEPARTMENTS},
                {"/api/seats", S_SEATS}};
    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        if (strcmp(url, gets[i].url) == 0) {
            return get ? gets[i].route : S_NOT_ALLOWED;
        }
    }
    if (strcmp(url, "/api/command") == 0) {
        return strcmp(method, MHD_HTTP_METHOD_POST) == 0 ? S_COMMAND : S_NOT_ALLOWED;
    }
    return S_NOT_FOUND;
}

static enum MHD_Result s_not_allowed(struct MHD_Connection *c, const char *url)
{
    const char *allow = strcmp(url, "/api/command") == 0 ? "POST" : "GET, HEAD";
    cx_wbuf_t b = {0};
    cx_wbuf_printf(&b, "{\"ok\":false,\"message\":\"method not allowed: %s only\"}\n", allow);
    struct MHD_Response *r =
        b.oom ? NULL : MHD_create_response_from_buffer(b.n, b.p, MHD_RESPMEM_MUST_COPY);
    cx_wbuf_free(&b);
    if (!r) {
        return MHD_NO;
    }
    s_add_common_headers(r, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
    MHD_destroy_response(r);
    return ret;
}

/* The first call, headers only: refusals that cannot wait, then the
 * request's state. */
static enum MHD_Result s_begin(cx_web_http_t *h, struct MHD_Connection *c, const char *url,
                               const char *method, void **con_cls)
{
    if (h->loopback) {
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (host && !s_host_ok(host)) {
            return s_reply(c, MHD_HTTP_FORBIDDEN, 0,
                           "this server answers to localhost only (Host: %.200s)", host);
        }
    }
    s_route_t route = s_route(url, method);
    const char *clen =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen && (strlen(clen) > 9 || strtoul(clen, NULL, 10) > CX_WEB_BODY_MAX)) {
        return s_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, 0, "the body is larger than %d bytes",
                       CX_WEB_BODY_MAX);
    }
    s_req_t *q = calloc(1, sizeof *q);
    if (!q) {
        return MHD_NO;
    }
    q->route = route;
    q->seat = -1;
    if (h->seats) {
        const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cxsim-Token");
        if (!tok) {
            tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "t");
        }
        q->seat = cx_web_seats_find(h->seats, tok);
        if (q->seat >= 0) {
            cx_web_seats_seen(h->seats, q->seat, s_now_ms());
        }
    }
    *con_cls = q;
    return MHD_YES;
}

static enum MHD_Result s_handle(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    cx_web_http_t *h = cls;
    (void)version;
    s_req_t *q = *con_cls;
    if (!q) {
        return s_begin(h, c, url, method, con_cls);
    }
    if (*upload_size > 0) {
        /* A piece of body: kept for a command, up to the limit. */
        if (q->route == S_COMMAND && !q->too_big && q->body.n + *upload_size <= CX_WEB_BODY_MAX) {
            cx_wbuf_add(&q->body, upload, *upload_size);
        } else {
            q->too_big = q->too_big || q->body.n + *upload_size > CX_WEB_BODY_MAX;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->too_big) {
        return s_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, 0, "the body is larger than %d bytes",
                       CX_WEB_BODY_MAX);
    }
    if (h->seats && q->seat < 0 && strncmp(url, "/api/", 5) == 0) {
        return s_reply(c, MHD_HTTP_UNAUTHORIZED, 0,
                       "classroom mode: open the link with your seat's token (?t=...), or send "
                       "it as X-Cxsim-Token");
    }
    switch (q->route) {
    case S_PAGE:
        return s_get_page(h, c);
    case S_SCENARIO:
        return s_get_scenario(h, c);
    case S_ROWS:
        return s_get_rows(h->store, c);
    case S_SHADOW:
        return s_get_rows(h->store->shadow, c);
    case S_EVENTS:
        return s_get_events(h, c);
    case S_WHOAMI:
        return s_get_whoami(h, c, q->seat);
    case S_DEPARTMENTS:
        return s_get_departments(h, c);
    case S_SEATS:
        return s_get_seats(h, c, q->seat);
    case S_NOT_ALLOWED:
        return s_not_allowed(c, url);
    case S_NOT_FOUND:
        return s_reply(c, MHD_HTTP_NOT_FOUND, 0, "no such page: %.200s", url);
    case S_COMMAND:
        break;
    }
    const char *ctype =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = ctype ? strcspn(ctype, "; \t") : 0;
    if (!ctype || n != 16 || strncasecmp(ctype, "application/json", 16) != 0) {
        return s_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                       "a command is a JSON body with Content-Type: application/json");
    }
    if (q->body.oom) {
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, 0, "out of memory");
    }
    return s_command(h, c, q->seat, q->body.p ? q->body.p : "", q->body.n);
}

/* libmicrohttpd's messages: all of them while starting (why a port cannot
 * be bound), then only those about limits reached; a browser closing a
 * stream or a connection is routine. */
static void s_log(void *cls, const char *fmt, va_list ap)
{
    const cx_web_http_t *h = cls;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    if (atomic_load(&h->serving) && !strstr(line, "limit")) {
        return;
    }
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') {
        line[--n] = 0;
    }
    fprintf(stderr, "cxsim-web: %s\n", line);
}

/* ---- start and stop --------------------------------------------------- */

int cx_web_http_start(cx_web_http_t *h, const char *dir, cx_web_store_t *store,
                      cx_web_seats_t *seats, const cx_curve_t *curve, const char *addr,
                      unsigned port, char *err, size_t cap)
{
    memset(h, 0, sizeof *h);
    h->dir = dir;
    h->store = store;
    h->seats = seats;
    h->curve = curve;
    if (port > 65535) {
        snprintf(err, cap, "port %u out of range", port);
        return -1;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, cap, "'%s' is not a numeric IPv4 or IPv6 address", addr);
        return -1;
    }
    h->loopback = cx_web_is_loopback(addr);
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        snprintf(err, cap, "cannot create a mutex");
        return -1;
    }
    h->mhd =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, s_handle, h, MHD_OPTION_EXTERNAL_LOGGER,
                         s_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)128, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)60, MHD_OPTION_NOTIFY_COMPLETED, s_completed, h, MHD_OPTION_END);
    atomic_store(&h->serving, 1); /* from now on, only what an operator must know is logged */
    if (!h->mhd) {
        snprintf(err, cap,
                 "cannot listen on %s port %u (in use, or not an address of this machine?)", addr,
                 port);
        pthread_mutex_destroy(&h->mu);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    return 0;
}

void cx_web_http_stop(cx_web_http_t *h)
{
    if (h->mhd) {
        MHD_stop_daemon(h->mhd);
        h->mhd = NULL;
        free(h->scenario_json);
        h->scenario_json = NULL;
        pthread_mutex_destroy(&h->mu);
    }
}
