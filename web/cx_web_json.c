/*  cx_web_json — JSON writing and the command body parser (see cx_web_json.h). */
#include "cx_web_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ---------------------------------------------------------- */

void cx_wbuf_free(cx_wbuf_t *b)
{
    cx_buf_fini(b);
}

void cx_wbuf_reset(cx_wbuf_t *b)
{
    cx_buf_reset(b);
}

void cx_wbuf_add(cx_wbuf_t *b, const char *s, size_t n)
{
    cx_buf_add(b, s, n);
}

void cx_wbuf_puts(cx_wbuf_t *b, const char *s)
{
    cx_buf_add(b, s, strlen(s));
}

void cx_wbuf_printf(cx_wbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---- writing --------------------------------------------------------- */

/* Length (1..4) of the well-formed UTF-8 sequence at s (n bytes left), or
 * 0: no overlong forms, no surrogates, nothing above U+10FFFF. */
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
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
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

void cx_json_strn(cx_wbuf_t *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    cx_wbuf_add(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x80) {
            size_t k = s_utf8_len(u + i, n - i);
            if (k == 0) {
                cx_wbuf_puts(b, "\\ufffd");
                i++;
            } else {
                cx_wbuf_add(b, s + i, k);
                i += k;
            }
            continue;
        }
        switch (c) {
        case '"':
            cx_wbuf_puts(b, "\\\"");
            break;
        case '\\':
            cx_wbuf_puts(b, "\\\\");
            break;
        case '\n':
            cx_wbuf_puts(b, "\\n");
            break;
        case '\r':
            cx_wbuf_puts(b, "\\r");
            break;
        case '\t':
            cx_wbuf_puts(b, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
                cx_wbuf_printf(b, "\\u%04x", c);
            } else {
                char ch = (char)c;
                cx_wbuf_add(b, &ch, 1);
            }
        }
        i++;
    }
    cx_wbuf_add(b, "\"", 1);
}

void cx_json_str(cx_wbuf_t *b, const char *s)
{
    cx_json_strn(b, s ? s : "", s ? strlen(s) : 0);
}

void cx_json_num(cx_wbuf_t *b, double v)
{
    if (!isfinite(v)) {
        cx_wbuf_puts(b, "null");
        return;
    }
    if (v == 0) {
        cx_wbuf_puts(b, "0");
        return;
    }
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) {
            break;
        }
    }
    cx_wbuf_puts(b, t);
}

/* ---- parsing --------------------------------------------------------- */

typedef struct {
    const char *p, *end;
    char *err;
    size_t cap;
} s_parser_t;

static int s_fail(s_parser_t *ps, const char *what)
{
    snprintf(ps->err, ps->cap, "invalid JSON body: %s", what);
    return -1;
}

static void s_ws(s_parser_t *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        ps->p++;
    }
}

static int s_hex4(s_parser_t *ps, unsigned *out)
{
    if (ps->end - ps->p < 4) {
        return -1;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return -1;
        }
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* Appends one byte to out (cap bytes with the NUL); -1 when full. */
static int s_put(char *out, size_t cap, size_t *n, unsigned char c)
{
    if (*n + 1 >= cap) {
        return -1;
    }
    out[(*n)++] = (char)c;
    return 0;
}

/* A string literal at ps->p into out (NUL-terminated). *toolong is set
 * when it does not fit (the text is still consumed). */
static int s_string(s_parser_t *ps, char *out, size_t cap, int *toolong)
{
    size_t n = 0;
    *toolong = 0;
    if (ps->p >= ps->end || *ps->p != '"') {
        return s_fail(ps, "expected a string");
    }
    ps->p++;
    for (;;) {
        if (ps->p >= ps->end) {
            return s_fail(ps, "unterminated string");
        }
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            return s_fail(ps, "a control character in a string");
        }
        if (c >= 0x80) {
            size_t k = s_utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
            if (k == 0) {
                return s_fail(ps, "invalid UTF-8");
            }
            for (size_t i = 0; i < k; i++) {
                if (s_put(out, cap, &n, (unsigned char)ps->p[i]) != 0) {
                    *toolong = 1;
                }
            }
            ps->p += k;
            continue;
        }
        if (c != '\\') {
            if (s_put(out, cap, &n, c) != 0) {
                *toolong = 1;
            }
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) {
            return s_fail(ps, "unterminated string");
        }
        char e = *ps->p++;
        unsigned cp;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            cp = (unsigned)e;
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (s_hex4(ps, &cp) != 0) {
                return s_fail(ps, "a bad \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    return s_fail(ps, "an unpaired surrogate");
                }
                ps->p += 2;
                if (s_hex4(ps, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    return s_fail(ps, "an unpaired surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return s_fail(ps, "an unpaired surrogate");
            }
            if (cp == 0) {
                return s_fail(ps, "a NUL character");
            }
            break;
        default:
            return s_fail(ps, "a bad escape");
        }
        unsigned char u8[4];
        size_t k;
        if (cp < 0x80) {
            u8[0] = (unsigned char)cp;
            k = 1;
        } else if (cp < 0x800) {
            u8[0] = (unsigned char)(0xC0 | (cp >> 6));
            u8[1] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 2;
        } else if (cp < 0x10000) {
            u8[0] = (unsigned char)(0xE0 | (cp >> 12));
            u8[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u8[2] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 3;
        } else {
            u8[0] = (unsigned char)(0xF0 | (cp >> 18));
            u8[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            u8[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u8[3] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 4;
        }
        for (size_t i = 0; i < k; i++) {
            if (s_put(out, cap, &n, u8[i]) != 0) {
                *toolong = 1;
            }
        }
    }
    out[n] = 0;
    return 0;
}

/* A number literal (RFC 8259 grammar), copied as text. */
static int s_number(s_parser_t *ps, char *out, size_t cap, int *toolong)
{
    const char *s = ps->p;
    const char *p = s;
    if (p < ps->end && *p == '-') {
        p++;
    }
    if (p < ps->end && *p == '0') {
        p++;
    } else if (p < ps->end && *p >= '1' && *p <= '9') {
        while (p < ps->end && *p >= '0' && *p <= '9') {
            p++;
        }
    } else {
        return s_fail(ps, "expected a value");
    }
    if (p < ps->end && *p == '.') {
        p++;
        if (p >= ps->end || *p < '0' || *p > '9') {
            return s_fail(ps, "a bad number");
        }
        while (p < ps->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < ps->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= ps->end || *p < '0' || *p > '9') {
            return s_fail(ps, "a bad number");
        }
        while (p < ps->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    size_t n = (size_t)(p - s);
    *toolong = n >= cap;
    if (!*toolong) {
        memcpy(out, s, n);
        out[n] = 0;
    }
    ps->p = p;
    return 0;
}

int cx_web_cmd_parse(const char *body, size_t len, cx_web_cmd_t *cmd, char *err, size_t cap)
{
    memset(cmd, 0, sizeof *cmd);
    s_parser_t ps = {body, body + len, err, cap};
    int has_verb = 0;
    s_ws(&ps);
    if (ps.p >= ps.end || *ps.p != '{') {
        return s_fail(&ps, "expected an object");
    }
    ps.p++;
    s_ws(&ps);
    if (ps.p < ps.end && *ps.p == '}') {
        ps.p++;
    } else {
        for (;;) {
            char key[32];
            int toolong;
            s_ws(&ps);
            if (s_string(&ps, key, sizeof key, &toolong) != 0) {
                return -1;
            }
            s_ws(&ps);
            if (ps.p >= ps.end || *ps.p != ':') {
                return s_fail(&ps, "expected ':'");
            }
            ps.p++;
            s_ws(&ps);
            char *field = NULL;
            size_t fcap = 0;
            int *seen = NULL, numeric_ok = 1;
            if (!toolong && strcmp(key, "verb") == 0) {
                field = cmd->verb, fcap = sizeof cmd->verb, seen = &has_verb, numeric_ok = 0;
            } else if (!toolong && strcmp(key, "value") == 0) {
                field = cmd->value, fcap = sizeof cmd->value, seen = &cmd->has_value;
            } else if (!toolong && strcmp(key, "over") == 0) {
                field = cmd->over, fcap = sizeof cmd->over, seen = &cmd->has_over;
            } else if (!toolong && strcmp(key, "cost") == 0) {
                field = cmd->cost, fcap = sizeof cmd->cost, seen = &cmd->has_cost;
            } else if (!toolong && strcmp(key, "at") == 0) {
                field = cmd->at, fcap = sizeof cmd->at, seen = &cmd->has_at;
            } else {
                snprintf(err, cap, "unknown member '%.31s': expected verb, value, over, cost or at",
                         toolong ? "(too long)" : key);
                return -1;
            }
            if (*seen) {
                snprintf(err, cap, "member '%s' given twice", key);
                return -1;
            }
            *seen = 1;
            int r;
            if (ps.p < ps.end && *ps.p == '"') {
                r = s_string(&ps, field, fcap, &toolong);
            } else if (numeric_ok) {
                r = s_number(&ps, field, fcap, &toolong);
            } else {
                snprintf(err, cap, "member '%s' must be a string", key);
                return -1;
            }
            if (r != 0) {
                return -1;
            }
            if (toolong) {
                snprintf(err, cap, "member '%s' is longer than %zu bytes", key, fcap - 1);
                return -1;
            }
            s_ws(&ps);
            if (ps.p < ps.end && *ps.p == ',') {
                ps.p++;
                continue;
            }
            if (ps.p < ps.end && *ps.p == '}') {
                ps.p++;
                break;
            }
            return s_fail(&ps, "expected ',' or '}'");
        }
    }
    s_ws(&ps);
    if (ps.p != ps.end) {
        return s_fail(&ps, "text after the object");
    }
    if (!has_verb) {
        snprintf(err, cap, "member 'verb' is missing");
        return -1;
    }
    return 0;
}
