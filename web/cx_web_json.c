/*  cx_web_json — the web's JSON writers and the command body parser, over
 *  cx_json and Jansson (see cx_web_json.h). */
#include "cx_web_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ---------------------------------------------------------- */

void cx_wbuf_puts(cx_wbuf_t *b, const char *s)
{
    cx_buf_add(b, s, strlen(s));
}

/* ---- writing -------------------------------------------------------- */

void cx_json_strn(cx_wbuf_t *b, const char *s, size_t n)
{
    cx_json_strn_f(b, s, n, CX_JSON_HTML);
}

void cx_json_str(cx_wbuf_t *b, const char *s)
{
    cx_json_strn(b, s ? s : "", s ? strlen(s) : 0);
}

/* ---- parsing --------------------------------------------------------- */

/* One member's value into field (fcap bytes with the NUL): a string, or a
 * number where numeric_ok (written back as cx_json_num writes it). */
static int s_member(const char *key, const json_t *v, char *field, size_t fcap, int numeric_ok,
                    char *err, size_t cap)
{
    cx_buf_t t;
    cx_buf_init(&t);
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(err, cap, "member '%s' holds a NUL character", key);
            return -1;
        }
        cx_buf_add(&t, json_string_value(v), json_string_length(v));
    } else if (numeric_ok && json_is_integer(v)) {
        cx_buf_printf(&t, "%lld", (long long)json_integer_value(v));
    } else if (numeric_ok && json_is_real(v)) {
        cx_json_num(&t, json_real_value(v));
    } else {
        snprintf(err, cap, "member '%s' must be a %s", key,
                 numeric_ok ? "string or a number" : "string");
        return -1;
    }
    int rc = 0;
    if (t.oom || t.n >= fcap) {
        snprintf(err, cap, "member '%s' is longer than %zu bytes", key, fcap - 1);
        rc = -1;
    } else {
        memcpy(field, cx_buf_str(&t), t.n + 1);
    }
    cx_buf_fini(&t);
    return rc;
}

int cx_web_cmd_parse(const char *body, size_t len, cx_web_cmd_t *cmd, char *err, size_t cap)
{
    memset(cmd, 0, sizeof *cmd);
    if (len > CX_WEB_JSON_MAX) {
        snprintf(err, cap, "invalid JSON body: longer than %d bytes", CX_WEB_JSON_MAX);
        return -1;
    }
    /* Jansson: strict RFC 8259, nesting bounded by its limit; a repeated
     * key is an error; a NUL is let through here to be named below. */
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!doc) {
        if (json_error_code(&je) == json_error_duplicate_key) {
            snprintf(err, cap, "a member given twice (%s)", je.text);
        } else {
            snprintf(err, cap, "invalid JSON body at byte %d: %s", je.position, je.text);
        }
        return -1;
    }
    int rc = 0;
    if (!json_is_object(doc)) {
        snprintf(err, cap, "invalid JSON body: expected an object");
        rc = -1;
    }
    const char *key;
    json_t *v;
    int has_verb = 0;
    json_object_foreach(json_is_object(doc) ? doc : NULL, key, v)
    {
        char *field = NULL;
        size_t fcap = 0;
        int *seen = NULL, numeric_ok = 1;
        if (strcmp(key, "verb") == 0) {
            field = cmd->verb, fcap = sizeof cmd->verb, seen = &has_verb, numeric_ok = 0;
        } else if (strcmp(key, "value") == 0) {
            field = cmd->value, fcap = sizeof cmd->value, seen = &cmd->has_value;
        } else if (strcmp(key, "over") == 0) {
            field = cmd->over, fcap = sizeof cmd->over, seen = &cmd->has_over;
        } else if (strcmp(key, "cost") == 0) {
            field = cmd->cost, fcap = sizeof cmd->cost, seen = &cmd->has_cost;
        } else if (strcmp(key, "at") == 0) {
            field = cmd->at, fcap = sizeof cmd->at, seen = &cmd->has_at;
        } else {
            snprintf(err, cap, "unknown member '%.31s': expected verb, value, over, cost or at",
                     key);
            rc = -1;
            break;
        }
        *seen = 1;
        if (s_member(key, v, field, fcap, numeric_ok, err, cap) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && !has_verb) {
        snprintf(err, cap, "member 'verb' is missing");
        rc = -1;
    }
    json_decref(doc);
    return rc;
}
