/*  cx_web_seats — classroom seats: tokens, roles, permissions, rate limit
 *  (see cx_web_seats.h). */
#include "cx_web_seats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void cx_web_token_encode(const uint8_t raw[16], char out[CX_WEB_TOKEN_LEN + 1])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 16; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[k++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0) {
        out[k++] = abc[(acc << (6 - bits)) & 63];
    }
    out[k] = 0; /* 128 bits: 21 whole characters and 2 bits: 22 */
}

int cx_web_token_new(char out[CX_WEB_TOKEN_LEN + 1], char *err, size_t cap)
{
    uint8_t raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            snprintf(err, cap, "cannot draw random bytes for a token: %s", strerror(errno));
            return -1;
        }
        got += (size_t)r;
    }
    cx_web_token_encode(raw, out);
    return 0;
}

static int s_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= sizeof((cx_web_seat_t *)0)->dept) {
        return 0;
    }
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

int cx_web_seats_init(cx_web_seats_t *s, const char *const *depts, int n, int64_t gap_ms, char *err,
                      size_t cap)
{
    memset(s, 0, sizeof *s);
    if (n < 0 || n + 1 > CX_WEB_SEATS_MAX) {
        snprintf(err, cap, "%d departments: a classroom has at most %d", n, CX_WEB_SEATS_MAX - 1);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (!s_id_ok(depts[i])) {
            snprintf(err, cap, "department id '%.80s' cannot name a seat", depts[i]);
            return -1;
        }
    }
    s->gap_ms = gap_ms;
    s->n = n + 1;
    for (int i = 0; i < s->n; i++) {
        cx_web_seat_t *t = &s->seat[i];
        t->role = i == 0 ? CX_WEB_ROLE_TRAINER : CX_WEB_ROLE_DEPARTMENT;
        snprintf(t->dept, sizeof t->dept, "%s", i == 0 ? "" : depts[i - 1]);
        t->last_change_ms = -1;
        t->last_seen_ms = -1;
        if (cx_web_token_new(t->token, err, cap) != 0) {
            return -1;
        }
        for (int j = 0; j < i; j++) { /* 2^-128: but a repeat must never share a seat */
            if (strcmp(s->seat[j].token, t->token) == 0) {
                snprintf(err, cap, "the random source repeats itself");
                return -1;
            }
        }
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        snprintf(err, cap, "cannot create a mutex");
        return -1;
    }
    return 0;
}

void cx_web_seats_fini(cx_web_seats_t *s)
{
    if (s->n > 0) {
        pthread_mutex_destroy(&s->mu);
    }
    memset(s, 0, sizeof *s);
}

int cx_web_seats_find(const cx_web_seats_t *s, const char *token)
{
    if (!token || strlen(token) != CX_WEB_TOKEN_LEN) {
        return -1;
    }
    int found = -1;
    for (int i = 0; i < s->n; i++) {
        unsigned diff = 0;
        for (int k = 0; k < CX_WEB_TOKEN_LEN; k++) {
            diff |= (unsigned char)(s->seat[i].token[k] ^ token[k]);
        }
        if (diff == 0) {
            found = i;
        }
    }
    return found;
}

/* ---- a seat's event: a flat flow mapping of names and numbers --------- */

#define S_MAX_MEMBERS 8

typedef struct {
    char key[16];
    char val[64];
} s_member_t;

static int s_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '.';
}

static const char *s_skip(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* Reads a word (optionally in matching quotes) into out. Returns the text
 * after it, or NULL. */
static const char *s_word(const char *p, char *out, size_t cap)
{
    char q = 0;
    if (*p == '"' || *p == '\'') {
        q = *p++;
    }
    size_t n = 0;
    while (s_word_char(*p)) {
        if (n + 1 >= cap) {
            return NULL;
        }
        out[n++] = *p++;
    }
    out[n] = 0;
    if (n == 0) {
        return NULL;
    }
    if (q) {
        if (*p != q) {
            return NULL;
        }
        p++;
    }
    return p;
}

/* {k: v, k: v} with each k and v a word. Returns the count, or -1. */
static int s_flat_map(const char *text, s_member_t *m, int max)
{
    const char *p = s_skip(text);
    if (*p++ != '{') {
        return -1;
    }
    int n = 0;
    p = s_skip(p);
    if (*p == '}') {
        return s_skip(p + 1)[0] ? -1 : 0;
    }
    for (;;) {
        if (n == max) {
            return -1;
        }
        p = s_word(s_skip(p), m[n].key, sizeof m[n].key);
        if (!p || *p != ':') {
            return -1;
        }
        p = s_word(s_skip(p + 1), m[n].val, sizeof m[n].val);
        if (!p) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (strcmp(m[i].key, m[n].key) == 0) {
                return -1;
            }
        }
        n++;
        p = s_skip(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') {
            return s_skip(p + 1)[0] ? -1 : n;
        }
        return -1;
    }
}

static const char *s_get(const s_member_t *m, int n, const char *key)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(m[i].key, key) == 0) {
            return m[i].val;
        }
    }
    return NULL;
}

static cx_web_permit_t s_forbid(const cx_web_seat_t *t, char *why, size_t wcap, const char *what)
{
    snprintf(why, wcap, "the %s seat may change only department %s (%s)", t->dept, t->dept, what);
    return CX_WEB_PERMIT_FORBIDDEN;
}

/* A seat's event: maturity or staff of its own department, re-written. */
static cx_web_permit_t s_seat_event(const cx_web_seat_t *t, const char *value, char *out,
                                    size_t ocap, char *why, size_t wcap)
{
    s_member_t m[S_MAX_MEMBERS];
    int n = s_flat_map(value, m, S_MAX_MEMBERS);
    if (n < 0) {
        return s_forbid(t, why, wcap,
                        "an event from a seat is one {key: value, ...} mapping of names and "
                        "numbers");
    }
    const char *kind = s_get(m, n, "event");
    const char *dept = s_get(m, n, "department");
    if (!kind || (strcmp(kind, "maturity") != 0 && strcmp(kind, "staff") != 0)) {
        return s_forbid(t, why, wcap, "its maturity or its staff, not other events");
    }
    if (!dept || strcmp(dept, t->dept) != 0) {
        return s_forbid(t, why, wcap, "the event names another department");
    }
    int maturity = strcmp(kind, "maturity") == 0;
    static const char *const order[] = {"to", "value", "over", "cost", "at"};
    for (int i = 0; i < n; i++) {
        int known = strcmp(m[i].key, "event") == 0 || strcmp(m[i].key, "department") == 0;
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            known |= strcmp(m[i].key, order[k]) == 0;
        }
        if (!known || (maturity && strcmp(m[i].key, "value") == 0) ||
            (!maturity && (strcmp(m[i].key, "to") == 0 || strcmp(m[i].key, "over") == 0))) {
            snprintf(why, wcap,
                     "a %s event from a seat takes only event, department, %s, cost and at "
                     "(got '%s')",
                     kind, maturity ? "to, over" : "value", m[i].key);
            return CX_WEB_PERMIT_FORBIDDEN;
        }
    }
    int k = snprintf(out, ocap, "{event: %s, department: \"%s\"", kind, t->dept);
    for (size_t i = 0; i < sizeof order / sizeof order[0] && k >= 0 && (size_t)k < ocap; i++) {
        const char *v = s_get(m, n, order[i]);
        if (v) {
            k += snprintf(out + k, ocap - (size_t)k, ", %s: %s", order[i], v);
        }
    }
    if (k < 0 || (size_t)k + 2 > ocap) {
        snprintf(why, wcap, "the event is too long");
        return CX_WEB_PERMIT_FORBIDDEN;
    }
    snprintf(out + k, ocap - (size_t)k, "}");
    return CX_WEB_PERMIT_CHANGE;
}

cx_web_permit_t cx_web_seats_permit(const cx_web_seats_t *s, int seat, const char *verb,
                                    const char *value, char *out, size_t ocap, char *why,
                                    size_t wcap)
{
    if (ocap > 0) {
        snprintf(out, ocap, "%s", value ? value : "");
    }
    if (seat < 0 || seat >= s->n) {
        snprintf(why, wcap, "unknown seat");
        return CX_WEB_PERMIT_FORBIDDEN;
    }
    const cx_web_seat_t *t = &s->seat[seat];
    int status = strcmp(verb, "status") == 0;
    if (t->role == CX_WEB_ROLE_TRAINER) {
        return status ? CX_WEB_PERMIT_READ : CX_WEB_PERMIT_CHANGE;
    }
    if (status) {
        return CX_WEB_PERMIT_READ;
    }
    if (strcmp(verb, "set") == 0) {
        const char *eq = value ? strchr(value, '=') : NULL;
        size_t dn = strlen(t->dept);
        if (eq && strncmp(value, "departments.", 12) == 0 &&
            strncmp(value + 12, t->dept, dn) == 0 && value[12 + dn] == '.') {
            const char *field = value + 12 + dn + 1;
            size_t fn = (size_t)(eq - field);
            if ((fn == 8 && strncmp(field, "maturity", 8) == 0) ||
                (fn == 5 && strncmp(field, "staff", 5) == 0)) {
                return CX_WEB_PERMIT_CHANGE;
            }
            return s_forbid(t, why, wcap, "its maturity and its staff");
        }
        int klen = eq ? (int)(eq - value) : (int)strlen(value ? value : "");
        char what[160];
        snprintf(what, sizeof what, "not %.*s", klen > 100 ? 100 : klen, value ? value : "");
        return s_forbid(t, why, wcap, what);
    }
    if (strcmp(verb, "event") == 0) {
        return s_seat_event(t, value ? value : "", out, ocap, why, wcap);
    }
    char what[64];
    snprintf(what, sizeof what, "%.20s is the trainer's", verb);
    return s_forbid(t, why, wcap, what);
}

int cx_web_seats_take(cx_web_seats_t *s, int seat, int64_t now_ms, int64_t *retry_ms)
{
    *retry_ms = 0;
    if (seat < 0 || seat >= s->n) {
        return 1;
    }
    pthread_mutex_lock(&s->mu);
    cx_web_seat_t *t = &s->seat[seat];
    int r = 0;
    if (t->role == CX_WEB_ROLE_DEPARTMENT && t->last_change_ms >= 0 &&
        now_ms - t->last_change_ms < s->gap_ms) {
        *retry_ms = s->gap_ms - (now_ms - t->last_change_ms);
        r = 1;
    } else {
        t->last_change_ms = now_ms;
        t->changes++;
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

void cx_web_seats_seen(cx_web_seats_t *s, int seat, int64_t now_ms)
{
    if (seat < 0 || seat >= s->n) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->seat[seat].last_seen_ms = now_ms;
    pthread_mutex_unlock(&s->mu);
}

void cx_web_seats_who(const cx_web_seats_t *s, int seat, char *out, size_t cap)
{
    if (seat < 0 || seat >= s->n) {
        snprintf(out, cap, "%s", "");
    } else if (s->seat[seat].role == CX_WEB_ROLE_TRAINER) {
        snprintf(out, cap, "trainer");
    } else {
        snprintf(out, cap, "%s seat", s->seat[seat].dept);
    }
}

void cx_web_seats_whoami_json(const cx_web_seats_t *s, int seat, cx_wbuf_t *out)
{
    if (seat >= 0 && seat < s->n && s->seat[seat].role == CX_WEB_ROLE_DEPARTMENT) {
        cx_wbuf_puts(out, "{\"role\":\"department\",\"department\":");
        cx_json_str(out, s->seat[seat].dept);
        cx_wbuf_puts(out, ",\"classroom\":true}");
    } else {
        cx_wbuf_puts(out, "{\"role\":\"trainer\",\"classroom\":true}");
    }
}

void cx_web_seats_json(cx_web_seats_t *s, int64_t now_ms, cx_wbuf_t *out)
{
    pthread_mutex_lock(&s->mu);
    cx_wbuf_puts(out, "[");
    for (int i = 0; i < s->n; i++) {
        const cx_web_seat_t *t = &s->seat[i];
        cx_wbuf_printf(out, "%s{\"role\":\"%s\",\"department\":", i ? "," : "",
                       t->role == CX_WEB_ROLE_TRAINER ? "trainer" : "department");
        cx_json_str(out, t->dept);
        cx_wbuf_puts(out, ",\"token\":");
        cx_json_str(out, t->token);
        cx_wbuf_printf(out, ",\"changes\":%d,\"seen_ms_ago\":%lld,\"change_ms_ago\":%lld}",
                       t->changes,
                       t->last_seen_ms < 0 ? -1LL : (long long)(now_ms - t->last_seen_ms),
                       t->last_change_ms < 0 ? -1LL : (long long)(now_ms - t->last_change_ms));
    }
    cx_wbuf_puts(out, "]");
    pthread_mutex_unlock(&s->mu);
}
