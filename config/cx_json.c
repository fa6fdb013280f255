/*  cx_json — JSON over Jansson (see cx_json.h). */
#include "cx_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length (1..4) of the well-formed UTF-8 sequence at s (n bytes left), or
 * 0: no overlong forms, no surrogates, nothing above U+10FFFF (what
 * Jansson accepts). */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return len;
}

typedef struct {
    cx_buf_t *b; /* where the literal goes */
    int flags;   /* CX_JSON_HTML or 0 */
} s_sink_t;

/* Jansson's dump callback: appends, with the HTML escapes when asked.
 * Jansson hands over each escape as one chunk and writes \u00XX in upper
 * case; the project's files have always had lower case. */
static int s_sink(const char *p, size_t n, void *data)
{
    s_sink_t *k = data;
    if (n == 6 && p[0] == '\\' && p[1] == 'u') {
        char low[6];
        for (size_t i = 0; i < 6; i++) {
            low[i] = p[i] >= 'A' && p[i] <= 'F' ? (char)(p[i] - 'A' + 'a') : p[i];
        }
        cx_buf_add(k->b, low, 6);
        return 0;
    }
    if (!(k->flags & CX_JSON_HTML)) {
        cx_buf_add(k->b, p, n);
        return 0;
    }
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '<' || c == '>' || c == '&' || c == 0x7F) {
            cx_buf_add(k->b, p + from, i - from);
            cx_buf_printf(k->b, "\\u%04x", (unsigned)(unsigned char)c);
            from = i + 1;
        }
    }
    cx_buf_add(k->b, p + from, n - from);
    return 0;
}

void cx_json_strn_f(cx_buf_t *b, const char *s, size_t n, int flags)
{
    /* Jansson takes well-formed UTF-8 only: each bad byte becomes U+FFFD. */
    const unsigned char *u = (const unsigned char *)s;
    cx_buf_t clean;
    cx_buf_init(&clean);
    for (size_t i = 0; i < n;) {
        size_t k = s_utf8_len(u + i, n - i);
        if (k == 0) {
            cx_buf_add(&clean, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            cx_buf_add(&clean, s + i, k);
            i += k;
        }
    }
    json_t *j = clean.oom ? NULL : json_stringn_nocheck(cx_buf_str(&clean), clean.n);
    s_sink_t sink = {b, flags};
    if (!j || json_dump_callback(j, s_sink, &sink, JSON_ENCODE_ANY) != 0) {
        b->oom = true;
    }
    json_decref(j);
    cx_buf_fini(&clean);
}

void cx_json_text(cx_buf_t *b, const char *s)
{
    cx_json_strn_f(b, s ? s : "", s ? strlen(s) : 0, 0);
}

void cx_json_num(cx_buf_t *b, double v)
{
    if (!isfinite(v)) {
        cx_buf_add(b, "null", 4);
        return;
    }
    if (v == 0) {
        cx_buf_add(b, "0", 1);
        return;
    }
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) {
            break;
        }
    }
    cx_buf_add(b, t, strlen(t));
}

void cx_json_dump(cx_buf_t *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *m;
        int i = 0;
        cx_buf_add(b, "{", 1);
        json_object_foreach((json_t *)v, key, m)
        {
            if (i++ > 0) {
                cx_buf_add(b, ",", 1);
            }
            cx_json_strn_f(b, key, strlen(key), 0);
            cx_buf_add(b, ":", 1);
            cx_json_dump(b, m);
        }
        cx_buf_add(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        cx_buf_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0) {
                cx_buf_add(b, ",", 1);
            }
            cx_json_dump(b, json_array_get(v, i));
        }
        cx_buf_add(b, "]", 1);
        break;
    case JSON_STRING:
        cx_json_strn_f(b, json_string_value(v), json_string_length(v), 0);
        break;
    case JSON_INTEGER:
        cx_buf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        cx_json_num(b, json_real_value(v));
        break;
    case JSON_TRUE:
        cx_buf_add(b, "true", 4);
        break;
    case JSON_FALSE:
        cx_buf_add(b, "false", 5);
        break;
    default:
        cx_buf_add(b, "null", 4);
    }
}

/* A REAL as SQLite turns it into text ("%!.15g"): a point always shown. */
static void s_real_text(double x, char *out, size_t cap)
{
    char t[48];
    snprintf(t, sizeof t, "%.15g", x);
    char *e = strchr(t, 'e');
    if (!strchr(t, '.') && isfinite(x)) {
        if (e) {
            char tail[16];
            snprintf(tail, sizeof tail, "%s", e);
            snprintf(e, sizeof t - (size_t)(e - t), ".0%s", tail);
        } else {
            strcat(t, ".0");
        }
    }
    snprintf(out, cap, "%s", t);
}

char *cx_json_value_dup(const json_t *v)
{
    char num[48];
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return strdup(num);
    case JSON_REAL:
        s_real_text(json_real_value(v), num, sizeof num);
        return strdup(num);
    case JSON_TRUE:
    case JSON_FALSE:
        return strdup(json_is_true(v) ? "1" : "0");
    case JSON_OBJECT:
    case JSON_ARRAY: {
        cx_buf_t b;
        cx_buf_init(&b);
        cx_json_dump(&b, v);
        char *t = b.oom ? NULL : strdup(cx_buf_str(&b));
        cx_buf_fini(&b);
        return t;
    }
    default:
        return strdup("");
    }
}

long long cx_json_int(const json_t *v)
{
    return json_is_integer(v) ? (long long)json_integer_value(v)
           : json_is_real(v)  ? (long long)json_real_value(v)
           : json_is_true(v)  ? 1
                              : 0;
}

int cx_json_value_text(const json_t *v, char *out, size_t cap)
{
    if (cap > 0) {
        out[0] = '\0';
    }
    if (!v || json_is_null(v)) {
        return 0;
    }
    char *t = cx_json_value_dup(v);
    if (!t) {
        return -1;
    }
    snprintf(out, cap, "%s", t);
    free(t);
    return 1;
}

const json_t *cx_json_path(const json_t *doc, const char *path)
{
    if (!path || path[0] != '$') {
        return NULL;
    }
    const char *p = path + 1;
    const json_t *v = doc;
    while (v && *p) {
        if (*p == '.') {
            size_t n = strcspn(p + 1, ".[");
            char key[256];
            if (n == 0 || n >= sizeof key || !json_is_object(v)) {
                return NULL;
            }
            memcpy(key, p + 1, n);
            key[n] = '\0';
            v = json_object_get(v, key);
            p += 1 + n;
        } else if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || i < 0 || !json_is_array(v)) {
                return NULL;
            }
            v = json_array_get(v, (size_t)i);
            p = end + 1;
        } else {
            return NULL;
        }
    }
    return v;
}
