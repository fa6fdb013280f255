/*  cx_web_reply — answers and small parsers shared by cxsim-web's
 *  handlers (see cx_web_reply.h). */
#include "cx_web_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cx_control.h"

int cx_web_add_headers(struct MHD_Response *r, const char *ctype)
{
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES) {
        return -1;
    }
    return 0;
}

enum MHD_Result cx_web_send(struct MHD_Connection *c, unsigned status, const char *ctype,
                              const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (!r) {
        return MHD_NO;
    }
    if (cx_web_add_headers(r, ctype) != 0) {
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

enum MHD_Result cx_web_send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
                                  const cx_wbuf_t *b)
{
    if (b->oom) {
        static const char oom[] = "{\"ok\":false,\"message\":\"out of memory\"}";
        return cx_web_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oom, sizeof oom - 1);
    }
    return cx_web_send(c, status, ctype, b->p, b->n);
}

/* {"ok": ok, "message": message} with the given status. */
enum MHD_Result cx_web_reply(struct MHD_Connection *c, unsigned status, int ok, const char *fmt,
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
    enum MHD_Result r = cx_web_send_buf(c, status, "application/json", &b);
    cx_wbuf_free(&b);
    return r;
}

/* 429 {"ok": false, "message": ...} with Retry-After: seconds. */
enum MHD_Result cx_web_reply_retry(struct MHD_Connection *c, long long seconds, const char *fmt,
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
    cx_web_add_headers(r, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
    MHD_destroy_response(r);
    return ret;
}

int64_t cx_web_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A whole number from 0 to 10^15 in text, or -1. */
int64_t cx_web_parse_tick(const char *t)
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