/*  cx_web_command — POST /api/command: checks a command (its verb, its
 *  value's characters, in classroom mode the seat's rights and rate) and
 *  forwards it to the run's control socket; the answer is the run's.
 *
 *  Ownership: nothing is kept beyond a change taken, which goes to the store.
 *  Errors: 400 for a malformed command, 403 a seat's forbidden verb, 429
 *  a seat's second change too soon, 502 no run or no answer; a refusal by
 *  the run is a 200 with "ok": false.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_control.h"
#include "cx_live_set.h"
#include "cx_web_reply.h"

#define S_CALL_MS 5000         /* wait for the run's answer to a command */
#define S_CHECKPOINT_MS 120000 /* ... to a checkpoint, which writes every agent's state */

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

enum MHD_Result cx_web_command(cx_web_http_t *h, struct MHD_Connection *c, int seat,
                                 const char *body, size_t len)
{
    cx_web_cmd_t *cmd = malloc(sizeof *cmd);
    if (!cmd) {
        return MHD_NO;
    }
    char err[512];
    enum MHD_Result ret;
    if (cx_web_cmd_parse(body, len, cmd, err, sizeof err) != 0) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s", err);
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
        ret = cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0,
                      "unknown verb '%s': expected status, event, set, pause, resume, step, pace, "
                      "checkpoint or stop",
                      cmd->verb);
        goto out;
    }
    if (is_bare && cmd->value[0]) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s takes no value", cmd->verb);
        goto out;
    }
    if (with_value && !cmd->value[0]) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0, "%s needs a value", cmd->verb);
        goto out;
    }
    if (!is_set && (cmd->has_over || cmd->has_cost || cmd->has_at)) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_REQUEST, 0, "over, cost and at go with the verb set only");
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
            ret = cx_web_reply(c, MHD_HTTP_FORBIDDEN, 0, "%s", why);
            goto out;
        }
        cx_web_seats_who(h->seats, seat, who, sizeof who);
    }
    if (is_set) {
        /* Names and numbers only: nothing that could change the shape of
         * the YAML event the shorthand is written into. */
        const char *eq = strchr(cmd->value, '=');
        if (!s_chars_ok(cmd->value, "_.+-=") || (eq && strchr(eq + 1, '='))) {
            ret = cx_web_reply(c, MHD_HTTP_OK, 0,
                          "set expects KEY=VALUE made of letters, digits, '_', '.', '+' and "
                          "'-', got '%s'",
                          cmd->value);
            goto out;
        }
        const char *num_fields[] = {cmd->over, cmd->cost, cmd->at};
        const char *num_names[] = {"over", "cost", "at"};
        for (int i = 0; i < 3; i++) {
            if (!s_chars_ok(num_fields[i], ".+-eE")) {
                ret = cx_web_reply(c, MHD_HTTP_OK, 0, "%s expects a number, got '%s'", num_names[i],
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
            ret = cx_web_reply(c, MHD_HTTP_OK, 0, "%s", why);
            goto out;
        }
        verb = "event";
    }
    int64_t retry_ms = 0;
    if (h->seats && permit == CX_WEB_PERMIT_CHANGE &&
        cx_web_seats_take(h->seats, seat, cx_web_now_ms(), &retry_ms) != 0) {
        ret = cx_web_reply_retry(c, (retry_ms + 999) / 1000,
                            "the %s may make one change every %lld s: wait %.1f s", who,
                            (long long)(h->seats->gap_ms / 1000), (double)retry_ms / 1000.0);
        goto out;
    }
    char ep[1024];
    if (cx_live_endpoint_read(h->dir, "control", ep, sizeof ep) != 0) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_GATEWAY, 0,
                      "no run is going on in %s (no live.endpoints): it has ended or not started",
                      h->dir);
        goto out;
    }
    char reply[CX_CONTROL_TEXT_MAX];
    int timeout = strcmp(verb, "checkpoint") == 0 ? S_CHECKPOINT_MS : S_CALL_MS;
    int r = cx_control_call_key(ep, h->curve, verb, "", value, timeout, reply, sizeof reply);
    if (r < 0) {
        ret = cx_web_reply(c, MHD_HTTP_BAD_GATEWAY, 0, "%s%s", reply,
                      h->curve && h->curve->on
                          ? ""
                          : " (a run started with --key answers only cxsim-web --key FILE)");
        goto out;
    }
    long long at_tick;
    if (r == 1 && strcmp(verb, "event") == 0 && sscanf(reply, "at tick %lld", &at_tick) == 1) {
        cx_web_store_add_change(h->store, at_tick, reply, who);
    }
    ret = cx_web_reply(c, MHD_HTTP_OK, r == 1, "%s", reply);
out:
    free(cmd);
    return ret;
}
