/*  cx_web_assess — see cx_web_assess.h. */
#include "cx_web_assess.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_buf.h"
#include "cx_load.h"
#include "cx_web_http.h"
#include "cx_web_page.h"
#include "cx_web_reply.h"

typedef struct {
    cx_wbuf_t body; /* the form body read so far */
    int too_big;    /* more than CX_WEB_BODY_MAX bytes came */
} s_req_t;

/* The form field `key` of an urlencoded body into out (decoded); 0 when
 * absent or too long. */
static int s_field(const char *body, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != '=') {
            continue;
        }
        size_t n = 0;
        for (const char *v = p + kl + 1; *v && *v != '&'; v++) {
            int ch = *v == '+' ? ' ' : (unsigned char)*v;
            if (*v == '%' && isxdigit((unsigned char)v[1]) && isxdigit((unsigned char)v[2])) {
                char hex[3] = {v[1], v[2], 0};
                ch = (int)strtol(hex, NULL, 16);
                v += 2;
            }
            if (n + 1 >= cap) {
                return 0;
            }
            out[n++] = (char)ch;
        }
        out[n] = 0;
        return 1;
    }
    return 0;
}

/* Scores the answers as they stand. Returns the scored scenario (heap) and
 * fills as, or NULL with the diagnostics in msg. Under a->mu. */
static cx_scenario_t *s_score(cx_web_assess_t *a, cx_assessment_t *as, cx_wbuf_t *msg)
{
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_diags_t d;
    cx_diags_init(&d);
    if (!sc || cx_scenario_load_file(a->q->scenario, NULL, 0, sc, &d) != 0 ||
        cx_assess_score(a->q, as, &d) != 0 || cx_assess_apply(a->q, as, sc, &d) != 0) {
        for (int i = 0; i < d.n; i++) {
            char line[1024];
            cx_diag_format(&d.items[i], line, sizeof line);
            cx_wbuf_printf(msg, "%s\n", line);
        }
        free(sc);
        sc = NULL;
    }
    cx_diags_fini(&d);
    return sc;
}

/* One department's form. */
static void s_form(cx_web_assess_t *a, cx_wbuf_t *b, const char *id)
{
    const cx_q_dept_t *d = cx_questionnaire_dept(a->q, id);
    cx_wbuf_printf(b,
                   "<form class=\"dept\" method=\"post\" action=\"/department?t=%s\">\n"
                   "<h2>",
                   a->token);
    cx_web_html_escape(b, id);
    cx_wbuf_printf(b, "</h2>\n<input type=\"hidden\" name=\"id\" value=\"");
    cx_web_html_escape(b, id);
    cx_wbuf_puts(b, "\"/>\n");
    for (int x = 0; x < CX_Q_AXES; x++) {
        const cx_q_axis_t *ax = &a->q->axis[x];
        cx_wbuf_printf(b, "<fieldset><legend>%s: ", cx_axis_name((cx_axis_t)x));
        cx_web_html_escape(b, ax->question);
        cx_wbuf_puts(b, "</legend>\n");
        for (int k = 0; k < CX_Q_LEVELS; k++) {
            int v = d && d->answered[x] ? d->agree[x][k] : -1;
            cx_wbuf_printf(b,
                           "<label>level %d: <select name=\"%s%d\"><option value=\"\"%s>-"
                           "</option>",
                           k + 1, cx_axis_name((cx_axis_t)x), k + 1, v < 0 ? " selected" : "");
            for (int g = 0; g <= 4; g++) {
                cx_wbuf_printf(b, "<option%s>%d</option>", v == g ? " selected" : "", g);
            }
            cx_wbuf_puts(b, "</select> ");
            cx_web_html_escape(b, ax->statement[k]);
            cx_wbuf_puts(b, "</label><br/>\n");
        }
        cx_wbuf_puts(b, "</fieldset>\n");
    }
    cx_wbuf_puts(b, "<button type=\"submit\">save</button>\n</form>\n");
}

/* The company's form: CX owner and governance. */
static void s_company(cx_web_assess_t *a, cx_wbuf_t *b)
{
    cx_wbuf_printf(b,
                   "<form class=\"company\" method=\"post\" action=\"/company?t=%s\">\n"
                   "<h2>the company</h2>\n",
                   a->token);
    const char *names[2] = {"cx_owner", "governance"};
    int count[2] = {CX_OWNER_COUNT, CX_GOV_COUNT};
    int cur[2] = {a->q->cx_owner, a->q->governance};
    for (int f = 0; f < 2; f++) {
        cx_wbuf_printf(b, "<label>");
        cx_web_html_escape(b, f ? a->q->gov_question : a->q->owner_question);
        cx_wbuf_printf(b, " <select name=\"%s\"><option value=\"\">-</option>", names[f]);
        for (int v = 0; v < count[f]; v++) {
            const char *nm =
                f ? cx_governance_name((cx_governance_t)v) : cx_owner_name((cx_owner_t)v);
            cx_wbuf_printf(b, "<option%s>%s</option>", cur[f] == v ? " selected" : "", nm);
        }
        cx_wbuf_puts(b, "</select></label><br/>\n");
    }
    cx_wbuf_puts(b, "<button type=\"submit\">save</button>\n</form>\n");
}

/* The page: the forms, then the scores so far. Under a->mu. */
static void s_page(cx_web_assess_t *a, cx_wbuf_t *b, const char *note)
{
    cx_wbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>");
    cx_web_html_escape(b, a->q->title);
    cx_wbuf_puts(b,
                 "</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
                 "form{border:1px solid #ccc;padding:.5em 1em;margin:1em 0}pre{background:#f4f4f4;"
                 "padding:1em;overflow-x:auto}</style></head>\n<body>\n<h1>");
    cx_web_html_escape(b, a->q->title);
    cx_wbuf_puts(b, "</h1>\n<p>Rate each statement: 0 not at all &#8230; 4 fully describes the "
                    "department. Each department saves its own form.</p>\n");
    if (note && note[0]) {
        cx_wbuf_puts(b, "<p id=\"note\">");
        cx_web_html_escape(b, note);
        cx_wbuf_puts(b, "</p>\n");
    }
    for (int k = 0; k < a->base->n_dept; k++) {
        s_form(a, b, a->base->dept[k].id);
    }
    s_company(a, b);
    cx_assessment_t *as = malloc(sizeof *as);
    cx_wbuf_t msg = {0};
    cx_scenario_t *sc = as ? s_score(a, as, &msg) : NULL;
    cx_wbuf_puts(b, "<h2 id=\"scores\">scores</h2>\n<pre id=\"report\">");
    if (sc) {
        cx_buf_t t;
        cx_buf_init(&t);
        cx_assess_report(&t, a->q, as, sc);
        cx_web_html_escape(b, cx_buf_str(&t));
        cx_buf_fini(&t);
    } else {
        cx_web_html_escape(b, msg.p ? msg.p : "out of memory");
    }
    cx_wbuf_printf(b,
                   "</pre>\n<p><a href=\"/scenario.yaml?t=%s\" download=\"assessed.yaml\">the "
                   "scenario of the company today</a> &#183; <a href=\"/scores.txt?t=%s\">the "
                   "scores as text</a></p>\n</body></html>\n",
                   a->token, a->token);
    cx_wbuf_free(&msg);
    free(sc);
    free(as);
}

/* POST /department: stores one department's answers. 0, or -1 with why. */
static int s_post_dept(cx_web_assess_t *a, const char *body, char *why, size_t cap)
{
    char id[CX_ID_MAX];
    if (!s_field(body, "id", id, sizeof id) || cx_scenario_dept_index(a->base, id) < 0) {
        snprintf(why, cap, "no department '%.60s' in the scenario",
                 s_field(body, "id", id, sizeof id) ? id : "");
        return -1;
    }
    int agree[CX_Q_AXES][CX_Q_LEVELS];
    bool answered[CX_Q_AXES];
    for (int x = 0; x < CX_Q_AXES; x++) {
        int given = 0;
        for (int k = 0; k < CX_Q_LEVELS; k++) {
            char key[32], v[8];
            snprintf(key, sizeof key, "%s%d", cx_axis_name((cx_axis_t)x), k + 1);
            agree[x][k] = 0;
            if (s_field(body, key, v, sizeof v) && v[0]) {
                if (!(v[0] >= '0' && v[0] <= '4' && !v[1])) {
                    snprintf(why, cap, "%s: '%.8s' is not an agreement from 0 to 4", key, v);
                    return -1;
                }
                agree[x][k] = v[0] - '0';
                given++;
            }
        }
        if (given != 0 && given != CX_Q_LEVELS) {
            snprintf(why, cap, "%s: rate all five statements or none", cx_axis_name((cx_axis_t)x));
            return -1;
        }
        answered[x] = given == CX_Q_LEVELS;
    }
    cx_q_dept_t *d = cx_questionnaire_dept(a->q, id);
    if (!d && !(d = cx_questionnaire_add_dept(a->q, id))) {
        snprintf(why, cap, "too many departments");
        return -1;
    }
    memcpy(d->agree, agree, sizeof agree);
    memcpy(d->answered, answered, sizeof answered);
    snprintf(why, cap, "saved %s", id);
    return 0;
}

/* POST /company: CX owner and governance. 0, or -1 with why. */
static int s_post_company(cx_web_assess_t *a, const char *body, char *why, size_t cap)
{
    char o[32] = "", g[32] = "";
    s_field(body, "cx_owner", o, sizeof o);
    s_field(body, "governance", g, sizeof g);
    int ov = -1, gv = -1;
    for (int v = 0; o[0] && v < CX_OWNER_COUNT; v++) {
        ov = strcmp(o, cx_owner_name((cx_owner_t)v)) == 0 ? v : ov;
    }
    for (int v = 0; g[0] && v < CX_GOV_COUNT; v++) {
        gv = strcmp(g, cx_governance_name((cx_governance_t)v)) == 0 ? v : gv;
    }
    if ((o[0] && ov < 0) || (g[0] && gv < 0)) {
        snprintf(why, cap, "unknown cx_owner '%.30s' or governance '%.30s'", o, g);
        return -1;
    }
    a->q->cx_owner = ov;
    a->q->governance = gv;
    snprintf(why, cap, "saved the company");
    return 0;
}

/* The answers of every HTML page of this server: the live page's headers,
 * but forms may post to this origin (the questionnaire is forms). */
static enum MHD_Result s_send(struct MHD_Connection *c, unsigned status, const char *ctype,
                              const cx_wbuf_t *b, const char *attachment)
{
    if (b->oom) {
        return cx_web_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, 0, "out of memory");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b->n, b->p ? b->p : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
    if (attachment) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, attachment);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The GET answers: the page, the scores, the scenario. Under a->mu. */
static enum MHD_Result s_get(cx_web_assess_t *a, struct MHD_Connection *c, const char *url)
{
    cx_wbuf_t b = {0};
    enum MHD_Result ret;
    if (strcmp(url, "/") == 0) {
        s_page(a, &b, NULL);
        ret = s_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b, NULL);
    } else {
        cx_assessment_t *as = malloc(sizeof *as);
        cx_wbuf_t msg = {0};
        cx_scenario_t *sc = as ? s_score(a, as, &msg) : NULL;
        cx_buf_t t;
        cx_buf_init(&t);
        bool yaml = strcmp(url, "/scenario.yaml") == 0;
        if (sc && yaml && as->n_assessed > 0 && cx_assess_scenario_text(&t, a->q, as, sc) == 0) {
            cx_wbuf_add(&b, cx_buf_str(&t), t.n);
            ret = s_send(c, MHD_HTTP_OK, "application/yaml; charset=utf-8", &b,
                         "attachment; filename=\"assessed.yaml\"");
        } else if (sc && !yaml) {
            cx_assess_report(&t, a->q, as, sc);
            cx_wbuf_add(&b, cx_buf_str(&t), t.n);
            ret = s_send(c, MHD_HTTP_OK, "text/plain; charset=utf-8", &b, NULL);
        } else {
            cx_wbuf_puts(&b, sc ? "no department is answered on all three axes yet\n"
                                : (msg.p ? msg.p : "out of memory\n"));
            ret = s_send(c, MHD_HTTP_CONFLICT, "text/plain; charset=utf-8", &b, NULL);
        }
        cx_buf_fini(&t);
        cx_wbuf_free(&msg);
        free(sc);
        free(as);
    }
    cx_wbuf_free(&b);
    return ret;
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    cx_web_assess_t *a = cls;
    (void)toe;
    cx_web_guard_busy(&a->guard, c, 0);
    s_req_t *q = *con_cls;
    if (q) {
        cx_wbuf_free(&q->body);
        free(q);
        *con_cls = NULL;
    }
}

/* The first call, headers only: the guard rules, then the request's state. */
static enum MHD_Result s_begin(cx_web_assess_t *a, struct MHD_Connection *c, void **con_cls)
{
    cx_web_guard_busy(&a->guard, c, 1);
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (a->loopback && host && !cx_web_host_ok(host)) {
        return cx_web_reply(c, MHD_HTTP_FORBIDDEN, 0,
                            "this server answers to localhost only (Host: %.200s)", host);
    }
    const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "t");
    if (!t) {
        t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cxsim-Token");
    }
    if (a->token[0] && (!t || strcmp(t, a->token) != 0)) {
        return cx_web_reply(c, MHD_HTTP_UNAUTHORIZED, 0, "this page needs its secret link");
    }
    s_req_t *q = calloc(1, sizeof *q);
    if (!q) {
        return MHD_NO;
    }
    *con_cls = q;
    return MHD_YES;
}

static enum MHD_Result s_handle(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    cx_web_assess_t *a = cls;
    (void)version;
    if (!*con_cls) {
        return s_begin(a, c, con_cls);
    }
    s_req_t *q = *con_cls;
    if (*upload_size) {
        q->too_big |= q->body.n + *upload_size > CX_WEB_BODY_MAX;
        if (!q->too_big) {
            cx_wbuf_add(&q->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
    bool page = !strcmp(url, "/") || !strcmp(url, "/scores.txt") || !strcmp(url, "/scenario.yaml");
    bool form = !strcmp(url, "/department") || !strcmp(url, "/company");
    if (!page && !form) {
        return cx_web_reply(c, MHD_HTTP_NOT_FOUND, 0, "no such page: %.200s", url);
    }
    if ((page && !get) || (form && !post)) {
        return cx_web_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, 0, "method not allowed: %s only",
                            page ? "GET" : "POST");
    }
    if (q->too_big || q->body.oom) {
        return cx_web_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, 0, "the form is larger than %d bytes",
                            CX_WEB_BODY_MAX);
    }
    pthread_mutex_lock(&a->mu);
    enum MHD_Result ret;
    if (page) {
        ret = s_get(a, c, url);
    } else {
        char why[256];
        cx_wbuf_puts(&q->body, "");
        const char *body = q->body.p ? q->body.p : "";
        int rc = !strcmp(url, "/department") ? s_post_dept(a, body, why, sizeof why)
                                             : s_post_company(a, body, why, sizeof why);
        cx_wbuf_t b = {0};
        s_page(a, &b, why);
        ret = s_send(c, rc == 0 ? MHD_HTTP_OK : MHD_HTTP_BAD_REQUEST, "text/html; charset=utf-8",
                     &b, NULL);
        cx_wbuf_free(&b);
    }
    pthread_mutex_unlock(&a->mu);
    return ret;
}

/* Loads FILE and its scenario. 0, or -2 with diagnostics printed. */
static int s_load(cx_web_assess_t *a, const char *file, char *err, size_t cap)
{
    a->q = malloc(sizeof *a->q);
    a->base = malloc(sizeof *a->base);
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = 0;
    if (!a->q || !a->base) {
        snprintf(err, cap, "out of memory");
        rc = -1;
    } else if (cx_questionnaire_load_file(file, a->q, &d) != 0 ||
               cx_scenario_load_file(a->q->scenario, NULL, 0, a->base, &d) != 0) {
        cx_diags_print(stderr, &d);
        snprintf(err, cap, "%s: not a questionnaire cxsim assess can read", file);
        rc = -2;
    }
    cx_diags_fini(&d);
    return rc;
}

int cx_web_assess_start(cx_web_assess_t *a, const char *file, const char *addr, unsigned port,
                        char *err, size_t cap)
{
    memset(a, 0, sizeof *a);
    int rc = s_load(a, file, err, cap);
    if (rc != 0) {
        cx_web_assess_stop(a);
        return rc;
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
        cx_web_assess_stop(a);
        return -2;
    }
    a->loopback = cx_web_is_loopback(addr);
    if ((!a->loopback && cx_web_token_new(a->token, err, cap) != 0) ||
        pthread_mutex_init(&a->mu, NULL) != 0 || cx_web_guard_init(&a->guard) != 0) {
        snprintf(err, cap, "cannot set up the server");
        cx_web_assess_stop(a);
        return -1;
    }
    a->mhd =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, s_handle, a, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)CX_WEB_CONN_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                         (unsigned)CX_WEB_PER_ADDR_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)CX_WEB_IDLE_S, MHD_OPTION_NOTIFY_CONNECTION, cx_web_guard_notify,
                         &a->guard, MHD_OPTION_NOTIFY_COMPLETED, s_completed, a, MHD_OPTION_END);
    if (!a->mhd) {
        snprintf(err, cap, "cannot listen on %s port %u (in use?)", addr, port);
        cx_web_guard_fini(&a->guard);
        pthread_mutex_destroy(&a->mu);
        free(a->q);
        free(a->base);
        a->q = NULL;
        a->base = NULL;
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info ? info->port : port;
    return 0;
}

void cx_web_assess_stop(cx_web_assess_t *a)
{
    if (a->mhd) {
        MHD_stop_daemon(a->mhd);
        a->mhd = NULL;
        cx_web_guard_fini(&a->guard);
        pthread_mutex_destroy(&a->mu);
    }
    free(a->q);
    free(a->base);
    a->q = NULL;
    a->base = NULL;
}
