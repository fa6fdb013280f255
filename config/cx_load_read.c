/*  cx_load_read — the scenario loader's readers (see cx_load_int.h): keys
 *  of a mapping, lists, numbers, integers, booleans, enums, ids and
 *  references, each reporting what it expected and what it found, with the
 *  key path and "did you mean".
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_load_int.h"

/* ------------------------------------------------------- diagnostics */

void cx_load__err(cx_load_ctx_t *c, const cx_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->errors++;
    if (at && at->origin > 0 && at->origin <= c->n_sets) {
        cx_diags_add(c->diags, "--set", 0, 0, path, "%s (from --set %s)", msg,
                     c->sets[at->origin - 1]);
    } else {
        cx_diags_add(c->diags, c->file, at ? at->line : 0, at ? at->column : 0, path, "%s", msg);
    }
}

/* True once enough errors were reported that more would be dropped. */
bool cx_load__flooded(const cx_load_ctx_t *c)
{
    return c->diags->n >= CX_DIAGS_MAX;
}

/* Writes printable text (escaping other bytes), cut to `max` bytes. */
void cx_load__printable(char *dst, size_t size, const char *src, size_t len, size_t max)
{
    size_t o = 0;
    bool cut = len > max;
    if (cut) {
        len = max;
        /* Do not split a UTF-8 sequence. */
        while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch >= 0x20 && ch != 0x7f) {
            dst[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(dst + o, size - o, "\\x%02x", ch);
        }
    }
    if (cut && o + 4 < size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* What was found at a node, for "found ..." in messages. */
const char *cx_load__show(const cx_node_t *n, char *buf, size_t size)
{
    if (!n || cx_node_is_null(n)) {
        return "nothing";
    }
    if (n->type == CX_NODE_MAP) {
        return "a mapping";
    }
    if (n->type == CX_NODE_SEQ) {
        return "a list";
    }
    char text[CX_LOAD_SHOW * 4 + 8];
    cx_load__printable(text, sizeof text, n->text, n->len, CX_LOAD_SHOW);
    snprintf(buf, size, "'%s'", text);
    return buf;
}

/* "; did you mean 'x'?" or "". */
const char *cx_load__mean(const char *word, const char *const *cands, int n, char *buf, size_t size)
{
    const char *hint = cx_suggest(word, cands, n);
    if (!hint) {
        return "";
    }
    snprintf(buf, size, "; did you mean '%s'?", hint);
    return buf;
}

/* "a, b, c" from names, cut to fit. */
const char *cx_load__join(const char *const *names, int n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (o + len + 8 >= size) {
            snprintf(buf + o, size - o, "%s...", i ? ", " : "");
            break;
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);
    }
    return buf;
}

/* ------------------------------------------------------------ paths */

/* Paths only ever appear in messages: one cut short (by an absurdly long
 * key) is still useful, so truncation is accepted. */
const char *cx_load__key_path(char *buf, const char *parent, const char *key)
{
    int n = parent[0] ? snprintf(buf, CX_LOAD_PATH, "%s.%s", parent, key)
                      : snprintf(buf, CX_LOAD_PATH, "%s", key);
    if (n >= CX_LOAD_PATH) {
        memcpy(buf + CX_LOAD_PATH - 4, "...", 4);
    }
    return buf;
}

const char *cx_load__index_path(char *buf, const char *parent, int i)
{
    if (snprintf(buf, CX_LOAD_PATH, "%s[%d]", parent, i) >= CX_LOAD_PATH) {
        memcpy(buf + CX_LOAD_PATH - 4, "...", 4);
    }
    return buf;
}

/* ------------------------------------------------------- structure */

/* Checks that node is a mapping (reporting "expected <what>" otherwise)
 * whose keys are among keys[0..n), reporting unknown and repeated keys.
 * Returns true when node is a mapping, even if some keys were wrong. */
bool cx_load__map(cx_load_ctx_t *c, const cx_node_t *node, const char *path,
                  const char *const *keys, int n, const char *what)
{
    char found[CX_LOAD_SHOW * 4 + 16];
    if (!node || node->type != CX_NODE_MAP) {
        cx_load__err(c, node, path, "expected %s (a mapping of keys), found %s", what,
                     cx_load__show(node, found, sizeof found));
        return false;
    }
    int *seen = calloc((size_t)(n > 0 ? n : 1), sizeof *seen);
    for (int i = 0; i + 1 < node->n && !cx_load__flooded(c); i += 2) {
        cx_node_t *k = node->kids[i];
        char ktext[CX_LOAD_SHOW * 4 + 8];
        cx_load__printable(ktext, sizeof ktext, k->text, k->len, CX_LOAD_SHOW);
        char kp[CX_LOAD_PATH];
        cx_load__key_path(kp, path, ktext);
        int idx = -1;
        for (int j = 0; j < n; j++) {
            if (cx_node_is(k, keys[j])) {
                idx = j;
                break;
            }
        }
        if (idx < 0) {
            char mean[80];
            char list[300];
            const char *hint = cx_load__mean(ktext, keys, n, mean, sizeof mean);
            if (hint[0]) {
                cx_load__err(c, k, kp, "unknown key '%s'%s", ktext, hint);
                /* Error recovery: read the misspelt key as the one it most
                 * likely means (when that one is not given too), so that a
                 * typo does not also cause "missing key" or broken
                 * references further on. The load fails all the same. */
                const char *meant = cx_suggest(ktext, keys, n);
                if (meant && !cx_node_get(node, meant)) {
                    k->text = (char *)meant; /* static storage; never written */
                    k->len = strlen(meant);
                }
            } else {
                cx_load__err(c, k, kp, "unknown key '%s': expected one of %s", ktext,
                             cx_load__join(keys, n, list, sizeof list));
            }
        } else if (seen && seen[idx]) {
            cx_load__err(c, k, kp, "duplicate key '%s' (first at line %d): give each key once",
                         ktext, seen[idx]);
        } else if (seen) {
            seen[idx] = k->line > 0 ? k->line : 1;
        }
    }
    free(seen);
    return true;
}

/* The list under `key` in map, or NULL when absent, null or not a list
 * (the last reported). */
const cx_node_t *cx_load__list(cx_load_ctx_t *c, const cx_node_t *map, const char *path,
                               const char *key, const char *what)
{
    const cx_node_t *v = cx_node_get(map, key);
    if (cx_node_is_null(v)) {
        return NULL;
    }
    if (v->type != CX_NODE_SEQ) {
        char kp[CX_LOAD_PATH];
        char found[CX_LOAD_SHOW * 4 + 16];
        cx_load__err(c, v, cx_load__key_path(kp, path, key), "expected a list of %s, found %s",
                     what, cx_load__show(v, found, sizeof found));
        return NULL;
    }
    return v;
}

/* Reports a missing required key. */
void cx_load__missing(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                      const char *what)
{
    char kp[CX_LOAD_PATH];
    cx_load__err(c, map, cx_load__key_path(kp, path, key), "missing required key '%s' (%s)", key,
                 what);
}

/* ------------------------------------------------------------ scalars */

/* Copies a plain scalar's text without the '_' digit separators YAML
 * allows ("30_000"). Returns false when it is not plain, too long, or an
 * underscore is not between two digits. */
bool cx_load__digits_text(const cx_node_t *v, char *buf, size_t size)
{
    if (!v || v->type != CX_NODE_SCALAR || !v->plain || v->len == 0 || v->len >= size) {
        return false;
    }
    size_t o = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->text[i];
        if (ch == '_') {
            if (i == 0 || i + 1 == v->len || !isdigit((unsigned char)v->text[i - 1]) ||
                !isdigit((unsigned char)v->text[i + 1])) {
                return false;
            }
            continue;
        }
        if (ch == '\0') {
            return false;
        }
        buf[o++] = ch;
    }
    buf[o] = '\0';
    return true;
}

/* A decimal number: [+-]digits[.digits][e[+-]digits] (either side of the
 * point may be empty, not both). Infinity and NaN are not numbers here. */
bool cx_load__parse_double(const cx_node_t *v, double *out)
{
    char buf[64];
    if (!cx_load__digits_text(v, buf, sizeof buf)) {
        return false;
    }
    const char *p = buf;
    if (*p == '+' || *p == '-') {
        p++;
    }
    int d = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        d++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            d++;
        }
    }
    if (d == 0) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        int e = 0;
        while (isdigit((unsigned char)*p)) {
            p++;
            e++;
        }
        if (e == 0) {
            return false;
        }
    }
    if (*p != '\0') {
        return false;
    }
    errno = 0;
    double x = strtod(buf, NULL);
    if (!isfinite(x)) {
        return false;
    }
    *out = x;
    return true;
}

/* An integer: [+-]digits, or a number with no fraction ("1e6"). */
bool cx_load__parse_int(const cx_node_t *v, int64_t *out)
{
    char buf[64];
    if (!cx_load__digits_text(v, buf, sizeof buf)) {
        return false;
    }
    const char *p = buf + (buf[0] == '+' || buf[0] == '-');
    bool digits = *p != '\0';
    for (const char *q = p; *q && digits; q++) {
        digits = isdigit((unsigned char)*q) != 0;
    }
    if (digits) {
        errno = 0;
        long long x = strtoll(buf, NULL, 10);
        if (errno == ERANGE) {
            return false;
        }
        *out = x;
        return true;
    }
    double x;
    if (cx_load__parse_double(v, &x) && x == floor(x) && fabs(x) <= 9007199254740992.0) {
        *out = (int64_t)x;
        return true;
    }
    return false;
}

void cx_load__num_text(char *buf, size_t size, double x)
{
    snprintf(buf, size, "%.15g", x);
}

/* "a number from 1 to 5", "a number above 0 and at most 1000" */
const char *cx_load__range_text(char *buf, size_t size, const char *noun, double lo, double hi,
                                bool lo_open)
{
    char a[32];
    char b[32];
    cx_load__num_text(a, sizeof a, lo);
    cx_load__num_text(b, sizeof b, hi);
    if (lo_open) {
        snprintf(buf, size, "%s above %s and at most %s", noun, a, b);
    } else {
        snprintf(buf, size, "%s from %s to %s", noun, a, b);
    }
    return buf;
}

/* Reads v as a number in [lo, hi] (or (lo, hi] when lo_open). Returns 1
 * when read into *out, 0 when v is absent or null, -1 after an error. */
int cx_load__read_num(cx_load_ctx_t *c, const cx_node_t *v, const char *path, double lo, double hi,
                      bool lo_open, double *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char want[120];
    char found[CX_LOAD_SHOW * 4 + 16];
    double x;
    cx_load__range_text(want, sizeof want, "a number", lo, hi, lo_open);
    if (!cx_load__parse_double(v, &x)) {
        const char *quoted = v->type == CX_NODE_SCALAR && !v->plain ? " (quoted, so a string)" : "";
        cx_load__err(c, v, path, "expected %s, found %s%s", want,
                     cx_load__show(v, found, sizeof found), quoted);
        return -1;
    }
    if (x > hi || x < lo || (lo_open && x <= lo)) {
        cx_load__err(c, v, path, "expected %s, found %s", want,
                     cx_load__show(v, found, sizeof found));
        return -1;
    }
    *out = x;
    return 1;
}

int cx_load__num(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                 double lo, double hi, bool lo_open, double *out)
{
    char kp[CX_LOAD_PATH];
    return cx_load__read_num(c, cx_node_get(map, key), cx_load__key_path(kp, path, key), lo, hi,
                             lo_open, out);
}

/* Reads an integer in [lo, hi]; returns as cx_load__read_num. */
int cx_load__read_int(cx_load_ctx_t *c, const cx_node_t *v, const char *path, int64_t lo,
                      int64_t hi, const char *noun, int64_t *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char want[120];
    char found[CX_LOAD_SHOW * 4 + 16];
    int64_t x;
    snprintf(want, sizeof want, "%s from %lld to %lld", noun, (long long)lo, (long long)hi);
    if (!cx_load__parse_int(v, &x)) {
        const char *quoted = v->type == CX_NODE_SCALAR && !v->plain ? " (quoted, so a string)" : "";
        cx_load__err(c, v, path, "expected %s, found %s%s", want,
                     cx_load__show(v, found, sizeof found), quoted);
        return -1;
    }
    if (x < lo || x > hi) {
        cx_load__err(c, v, path, "expected %s, found %s", want,
                     cx_load__show(v, found, sizeof found));
        return -1;
    }
    *out = x;
    return 1;
}

int cx_load__int(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key, int lo,
                 int hi, int *out)
{
    char kp[CX_LOAD_PATH];
    int64_t x = 0;
    int rc = cx_load__read_int(c, cx_node_get(map, key), cx_load__key_path(kp, path, key), lo, hi,
                               "an integer", &x);
    if (rc == 1) {
        *out = (int)x;
    }
    return rc;
}

int cx_load__bool(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                  bool *out)
{
    const cx_node_t *v = cx_node_get(map, key);
    if (cx_node_is_null(v)) {
        return 0;
    }
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    if (v->type == CX_NODE_SCALAR && v->plain) {
        for (int i = 0; i < 3; i++) {
            if (v->len == strlen(yes[i]) && strncasecmp(v->text, yes[i], v->len) == 0) {
                *out = true;
                return 1;
            }
            if (v->len == strlen(no[i]) && strncasecmp(v->text, no[i], v->len) == 0) {
                *out = false;
                return 1;
            }
        }
    }
    char kp[CX_LOAD_PATH];
    char found[CX_LOAD_SHOW * 4 + 16];
    cx_load__err(c, v, cx_load__key_path(kp, path, key), "expected true or false, found %s",
                 cx_load__show(v, found, sizeof found));
    return -1;
}

/* The scalar's text as a C string when it is a scalar without NUL bytes,
 * shorter than size; else NULL. */
const char *cx_load__text(const cx_node_t *v, char *buf, size_t size)
{
    if (!v || v->type != CX_NODE_SCALAR || v->len >= size || memchr(v->text, '\0', v->len)) {
        return NULL;
    }
    memcpy(buf, v->text, v->len + 1);
    return buf;
}

const char *cx_load__owner_nm(int v)
{
    return cx_owner_name((cx_owner_t)v);
}
const char *cx_load__gov_nm(int v)
{
    return cx_governance_name((cx_governance_t)v);
}
const char *cx_load__unit_nm(int v)
{
    return cx_tick_unit_name((cx_tick_unit_t)v);
}
const char *cx_load__kind_nm(int v)
{
    return cx_dept_kind_name((cx_dept_kind_t)v);
}
const char *cx_load__channel_nm(int v)
{
    return cx_channel_name((cx_channel_t)v);
}
const char *cx_load__event_nm(int v)
{
    return cx_event_kind_name((cx_event_kind_t)v);
}

/* Reads v as one of the names name(0..count); returns as cx_load__read_num. */
int cx_load__read_enum(cx_load_ctx_t *c, const cx_node_t *v, const char *path,
                       cx_load__name_fn name, int count, int *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    const char *names[32];
    if (count > 32) {
        count = 32; /* every enum of the format is far smaller */
    }
    for (int i = 0; i < count; i++) {
        names[i] = name(i);
    }
    char buf[64];
    const char *s = cx_load__text(v, buf, sizeof buf);
    if (s) {
        for (int i = 0; i < count; i++) {
            if (strcmp(s, names[i]) == 0) {
                *out = i;
                return 1;
            }
        }
    }
    char list[300];
    char found[CX_LOAD_SHOW * 4 + 16];
    char mean[80];
    cx_load__err(c, v, path, "expected one of %s, found %s%s",
                 cx_load__join(names, count, list, sizeof list),
                 cx_load__show(v, found, sizeof found),
                 s ? cx_load__mean(s, names, count, mean, sizeof mean) : "");
    return -1;
}

int cx_load__enum(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                  cx_load__name_fn name, int count, int *out)
{
    char kp[CX_LOAD_PATH];
    return cx_load__read_enum(c, cx_node_get(map, key), cx_load__key_path(kp, path, key), name,
                              count, out);
}

/* True when s is an id: a letter, then letters, digits, '_' or '-'. */
bool cx_load__is_id(const char *s)
{
    if (!isalpha((unsigned char)s[0])) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            return false;
        }
    }
    return true;
}

/* Reads v as an id into out[CX_ID_MAX]; returns as cx_load__read_num. */
int cx_load__read_id(cx_load_ctx_t *c, const cx_node_t *v, const char *path, const char *what,
                     char *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char found[CX_LOAD_SHOW * 4 + 16];
    if (v->type != CX_NODE_SCALAR) {
        cx_load__err(c, v, path, "expected %s, found %s", what,
                     cx_load__show(v, found, sizeof found));
        return -1;
    }
    if (v->len >= CX_ID_MAX) {
        cx_load__err(c, v, path, "expected %s of at most %d characters, found %s (%zu characters)",
                     what, CX_ID_MAX - 1, cx_load__show(v, found, sizeof found), v->len);
        return -1;
    }
    char buf[CX_ID_MAX];
    const char *s = cx_load__text(v, buf, sizeof buf);
    if (!s || !cx_load__is_id(s)) {
        cx_load__err(c, v, path,
                     "expected %s (a letter, then letters, digits, '_' or '-'), found %s", what,
                     cx_load__show(v, found, sizeof found));
        return -1;
    }
    memset(out, 0, CX_ID_MAX);
    memcpy(out, s, strlen(s));
    return 1;
}

/* Reads v as a reference to one of ids[0..n); *out gets its index.
 * `what` says what was expected ("a department id"). Returns as
 * cx_load__read_num. */
int cx_load__read_ref(cx_load_ctx_t *c, const cx_node_t *v, const char *path, const char *what,
                      const char *const *ids, int n, int *out)
{
    if (cx_node_is_null(v)) {
        return 0;
    }
    char buf[CX_ID_MAX];
    const char *s = cx_load__text(v, buf, sizeof buf);
    if (s && s[0]) {
        for (int i = 0; i < n; i++) {
            if (strcmp(ids[i], s) == 0) {
                *out = i;
                return 1;
            }
        }
    }
    /* Show each usable id once (a broken file may hold empty or repeated
     * ids, already reported where they are defined). */
    const char *uniq[64];
    int n_uniq = 0;
    for (int i = 0; i < n && n_uniq < 64; i++) {
        bool seen = ids[i][0] == '\0';
        for (int k = 0; k < n_uniq && !seen; k++) {
            seen = strcmp(uniq[k], ids[i]) == 0;
        }
        if (!seen) {
            uniq[n_uniq++] = ids[i];
        }
    }
    ids = uniq;
    n = n_uniq;
    char found[CX_LOAD_SHOW * 4 + 16];
    char mean[80];
    char list[300];
    if (n == 0) {
        cx_load__err(c, v, path, "expected %s, found %s, and there is none to refer to", what,
                     cx_load__show(v, found, sizeof found));
    } else {
        cx_load__err(c, v, path, "expected %s (one of %s), found %s%s", what,
                     cx_load__join(ids, n, list, sizeof list),
                     cx_load__show(v, found, sizeof found),
                     s ? cx_load__mean(s, ids, n, mean, sizeof mean) : "");
    }
    return -1;
}
