/*  cx_web_reply — the answers cxsim-web's handlers give (cx_web_http,
 *  cx_web_stream, cx_web_command), and the small parsers they share.
 *
 *  Every answer carries Content-Type, Cache-Control: no-store, nosniff and
 *  no-referrer; an HTML one adds a Content-Security-Policy and DENY framing.
 *  JSON answers are {"ok": bool, "message": text}.
 *
 *  Ownership: bodies are copied; nothing is kept.
 *  Errors: MHD_NO when the answer cannot be made (out of memory), which
 *  makes libmicrohttpd close the connection.
 */
#ifndef CX_WEB_REPLY_H
#define CX_WEB_REPLY_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_web_http.h"
#include "cx_web_json.h"

/* Adds the headers every answer carries. Returns 0, or -1. */
int cx_web_add_headers(struct MHD_Response *r, const char *ctype);
/* Queues status with body (len bytes, copied) of type ctype. */
enum MHD_Result cx_web_send(struct MHD_Connection *c, unsigned status, const char *ctype,
                            const char *body, size_t len);
/* As cx_web_send with b's text; a 500 when b ran out of memory. */
enum MHD_Result cx_web_send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
                                const cx_wbuf_t *b);
/* {"ok": ok, "message": message} with the given status. */
enum MHD_Result cx_web_reply(struct MHD_Connection *c, unsigned status, int ok, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));
/* 429 {"ok": false, "message": ...} with Retry-After: seconds. */
enum MHD_Result cx_web_reply_retry(struct MHD_Connection *c, long long seconds, const char *fmt,
                                   ...) __attribute__((format(printf, 3, 4)));

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t cx_web_now_ms(void);
/* A whole number from 0 to 10^15 in text, or -1. */
int64_t cx_web_parse_tick(const char *t);

/* GET /api/rows and GET /api/events (cx_web_stream.c). */
/* GET /api/rows from store (the run's, or its do-nothing replay's). */
enum MHD_Result cx_web_get_rows(cx_web_store_t *store, struct MHD_Connection *c);
enum MHD_Result cx_web_get_events(cx_web_http_t *h, struct MHD_Connection *c);
/* POST /api/command with its whole body (cx_web_command.c). */
enum MHD_Result cx_web_command(cx_web_http_t *h, struct MHD_Connection *c, int seat,
                               const char *body, size_t len);

#endif
