/*  cx_web_http — routes, the small GET answers, start and stop of
 *  cxsim-web (see cx_web_http.h); the streams are in cx_web_stream.c, the
 *  command bridge in cx_web_command.c. */
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
#include "cx_csv.h"
#include "cx_live_set.h"
#include "cx_load.h"
#include "cx_web_feed.h"
#include "cx_web_page.h"
#include "cx_web_reply.h"

#define S_DEPTS_TAIL 65536 /* bytes of departments.csv's end read for its last tick */

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
int cx_web_host_ok(const char *host)
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
    cx_wbuf_puts(&b, "],\"kpis\":");
    cx_web_feed_kpis_json(&b);
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
        return cx_web_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, 0, "%s", err);
    }
    /* The parts that change while the run goes: the changes taken here,
     * and where the run stands. */
    cx_wbuf_puts(&b, ",\"changes\":");
    cx_web_store_changes_json(h->store, &b);
    cx_wbuf_puts(&b, ",\"run\":");
    cx_web_store_state_json(h->store, &b);
    cx_wbuf_puts(&b, "}\n");
    enum MHD_Result ret = cx_web_send_buf(c, MHD_HTTP_OK, "application/json", &b);
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
    int ncol = cx_csv_split(header, names, 64);
    ncol = ncol < 64 ? ncol : 64;
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
            char *fields[64];
            int nf = cx_csv_split(lines[i], fields, 64);
            for (int col = 0; col < nf && col < ncol; col++) {
                char *f = fields[col];
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
    enum MHD_Result ret = cx_web_send_buf(c, MHD_HTTP_OK, "application/json", &b);
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
    enum MHD_Result ret = cx_web_send_buf(c, MHD_HTTP_OK, "application/json", &b);
    cx_wbuf_free(&b);
    return ret;
}

static enum MHD_Result s_get_seats(cx_web_http_t *h, struct MHD_Connection *c, int seat)
{
    if (!h->seats) {
        return cx_web_reply(c, MHD_HTTP_NOT_FOUND, 0, "no seats: cxsim-web runs without --classroom");
    }
    if (h->seats->seat[seat].role != CX_WEB_ROLE_TRAINER) {
        return cx_web_reply(c, MHD_HTTP_FORBIDDEN, 0, "the seats are the trainer's to see");
    }
    cx_wbuf_t b = {0};
    cx_web_seats_json(h->seats, cx_web_now_ms(), &b);
    cx_wbuf_puts(&b, "\n");
    enum MHD_Result ret = cx_web_send_buf(c, MHD_HTTP_OK, "application/json", &b);
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
    enum MHD_Result ret = cx_web_send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
    cx_wbuf_free(&b);
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
    cx_web_http_t *h = cls;
    (void)toe;
    cx_web_guard_busy(&h->guard, c, 0);
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
    cx_web_add_headers(r, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
    MHD_destroy_response(r);
    return ret;
}

/* Counts the Content-Length headers (MHD_get_connection_values). */
static enum MHD_Result s_count_clen(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind, (void)value;
    if (key && strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        (*(int *)cls)++;
    }
    return MHD_YES;
}

/* The first call, headers only: refusals that cannot wait, then the
 * request's state. */
static enum MHD_Result s_begin(cx_web_http_t *h, struct MHD_Connection *c, const char *url,
                               const char *method, void **con_cls)
{
    cx_web_guard_busy(&h->guard, c, 1);
    if (h->loopback) {
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (host && !cx_web_host_ok(host)) {
            return cx_web_reply(c, MHD_HTTP_FORBIDDEN, 0,
                           "this server answers to localhost only (Host: %.200s)", host);
        }
    }
    s_route_t route = s_route(url, method);
    /* Two lengths are a request smuggling attempt, or a broken client:
     * which one a proxy in front of us believed is unknowable. */
    int nclen = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, s_count_clen, &nclen);
    if (nclen > 1) {
        return cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                            "more than one Content-Length header: refused");
    }
    const char *clen =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen && (strlen(clen) > 9 || strtoul(clen, NULL, 10) > CX_WEB_BODY_MAX)) {
        return cx_web_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, 0, "the body is larger than %d bytes",
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
            cx_web_seats_seen(h->seats, q->seat, cx_web_now_ms());
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
        return cx_web_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, 0, "the body is larger than %d bytes",
                       CX_WEB_BODY_MAX);
    }
    if (h->seats && q->seat < 0 && strncmp(url, "/api/", 5) == 0) {
        return cx_web_reply(c, MHD_HTTP_UNAUTHORIZED, 0,
                       "classroom mode: open the link with your seat's token (?t=...), or send "
                       "it as X-Cxsim-Token");
    }
    switch (q->route) {
    case S_PAGE:
        return s_get_page(h, c);
    case S_SCENARIO:
        return s_get_scenario(h, c);
    case S_ROWS:
        return cx_web_get_rows(h->store, c);
    case S_SHADOW:
        return cx_web_get_rows(h->store->shadow, c);
    case S_EVENTS:
        return cx_web_get_events(h, c);
    case S_WHOAMI:
        return s_get_whoami(h, c, q->seat);
    case S_DEPARTMENTS:
        return s_get_departments(h, c);
    case S_SEATS:
        return s_get_seats(h, c, q->seat);
    case S_NOT_ALLOWED:
        return s_not_allowed(c, url);
    case S_NOT_FOUND:
        return cx_web_reply(c, MHD_HTTP_NOT_FOUND, 0, "no such page: %.200s", url);
    case S_COMMAND:
        break;
    }
    const char *ctype =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = ctype ? strcspn(ctype, "; \t") : 0;
    if (!ctype || n != 16 || strncasecmp(ctype, "application/json", 16) != 0) {
        return cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                       "a command is a JSON body with Content-Type: application/json");
    }
    if (q->body.oom) {
        return cx_web_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, 0, "out of memory");
    }
    return cx_web_command(h, c, q->seat, q->body.p ? q->body.p : "", q->body.n);
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
    if (cx_web_guard_init(&h->guard) != 0) {
        pthread_mutex_destroy(&h->mu);
        snprintf(err, cap, "cannot create a mutex");
        return -1;
    }
    /* Slow clients (cx_web_guard.h): a connection that says nothing is
     * closed after CX_WEB_IDLE_S, one that keeps sending its headers is
     * evicted when others need the room; one address holds at most
     * CX_WEB_PER_ADDR_MAX connections (a classroom behind one NAT address
     * needs one event stream per page, plus a few requests each). */
    h->mhd = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, s_handle, h, MHD_OPTION_EXTERNAL_LOGGER, s_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CX_WEB_CONN_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)CX_WEB_PER_ADDR_MAX, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CX_WEB_IDLE_S,
        MHD_OPTION_NOTIFY_CONNECTION, cx_web_guard_notify, &h->guard,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, h, MHD_OPTION_END);
    atomic_store(&h->serving, 1); /* from now on, only what an operator must know is logged */
    if (!h->mhd) {
        cx_web_guard_fini(&h->guard);
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
        cx_web_guard_fini(&h->guard);
    }
}
