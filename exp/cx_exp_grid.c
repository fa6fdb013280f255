/*  cx_exp_grid — sweep grids, value ranges and run seeds (see
 *  cx_exp_grid.h).
 */
#include "cx_exp_grid.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_util.h"

void cx_exp_grid_init(cx_exp_grid_t *g)
{
    memset(g, 0, sizeof *g);
}

void cx_exp_values_free(char **values, int n)
{
    if (!values) {
        return;
    }
    for (int i = 0; i < n; i++) {
        free(values[i]);
    }
    free(values);
}

void cx_exp_grid_fini(cx_exp_grid_t *g)
{
    for (int a = 0; a < g->n_axis; a++) {
        free(g->axis[a].key);
        cx_exp_values_free(g->axis[a].values, g->axis[a].n);
    }
    memset(g, 0, sizeof *g);
}

/* A growable list of values. */
typedef struct {
    char **v; /* values */
    int n;    /* used */
    int cap;  /* allocated */
} s_list_t;

static int s_push(s_list_t *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) {
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) {
        return -1;
    }
    memcpy(c, s, len);
    c[len] = '\0';
    l->v[l->n++] = c;
    return 0;
}

/* Parses all of [s, s+len) as a finite double. */
static int s_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || *end || !isfinite(v) || buf[0] == ' ') {
        return -1;
    }
    /* strtod accepts hex floats, "inf" and "nan": only plain decimals here. */
    for (const char *p = buf; *p; p++) {
        if (!strchr("0123456789+-.eE", *p)) {
            return -1;
        }
    }
    *out = v;
    return 0;
}

static bool s_is_integer(double v)
{
    return fabs(v) < 9007199254740992.0 && v == floor(v);
}

/* Expands "A..B" or "A..B:STEP" (item of length len, ".." at dots). */
static int s_range(const char *item, size_t len, size_t dots, s_list_t *l, char *err, size_t errlen)
{
    double a, b, step = 1.0;
    const char *colon = memchr(item + dots + 2, ':', len - dots - 2);
    size_t blen = colon ? (size_t)(colon - (item + dots + 2)) : len - dots - 2;
    if (s_number(item, dots, &a) != 0 || s_number(item + dots + 2, blen, &b) != 0 ||
        (colon && s_number(colon + 1, len - (size_t)(colon + 1 - item), &step) != 0)) {
        snprintf(err, errlen,
                 "'%.*s' is not a range: expected A..B or A..B:STEP with numbers A <= B and "
                 "STEP > 0",
                 (int)len, item);
        return -1;
    }
    if (!(step > 0) || b < a) {
        snprintf(err, errlen, "'%.*s': a range needs A <= B and STEP > 0", (int)len, item);
        return -1;
    }
    double span = (b - a) / step;
    if (span + 1 > CX_EXP_MAX_VALUES) {
        snprintf(err, errlen, "'%.*s' has more than %d values", (int)len, item, CX_EXP_MAX_VALUES);
        return -1;
    }
    long long count = (long long)floor(span + 1e-9) + 1;
    bool ints = s_is_integer(a) && s_is_integer(step);
    for (long long i = 0; i < count; i++) {
        double v = a + (double)i * step;
        char buf[64];
        if (ints) {
            snprintf(buf, sizeof buf, "%lld", (long long)v);
        } else {
            /* 12 significant digits drop the noise of a + i*step
             * (0.30000000000000004 -> 0.3). */
            snprintf(buf, sizeof buf, "%.12g", v);
            if (strcmp(buf, "-0") == 0) {
                snprintf(buf, sizeof buf, "0");
            }
        }
        if (s_push(l, buf, strlen(buf)) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int cx_exp_values_parse(const char *spec, char ***values, char *err, size_t errlen)
{
    s_list_t l = {0};
    *values = NULL;
    const char *p = spec;
    for (;;) {
        /* One item: up to a comma outside brackets and quotes. */
        const char *q = p;
        int depth = 0;
        char quote = 0;
        while (*q && (quote || depth > 0 || *q != ',')) {
            if (quote) {
                if (*q == quote) {
                    quote = 0;
                }
            } else if (*q == '"' || *q == '\'') {
                quote = *q;
            } else if (*q == '[' || *q == '{') {
                depth++;
            } else if ((*q == ']' || *q == '}') && depth > 0) {
                depth--;
            }
            q++;
        }
        const char *s = p, *e = q;
        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        size_t len = (size_t)(e - s);
        if (len == 0) {
            snprintf(err, errlen, "empty value in '%s'", spec);
            goto fail;
        }
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
                snprintf(err, errlen, "a value may not hold a tab or a line break: '%s'", spec);
                goto fail;
            }
        }
        const char *dots = NULL;
        if (s[0] != '"' && s[0] != '\'' && s[0] != '[' && s[0] != '{') {
            for (size_t i = 0; i + 1 < len; i++) {
                if (s[i] == '.' && s[i + 1] == '.') {
                    dots = s + i;
                    break;
                }
            }
        }
        if (dots) {
            if (s_range(s, len, (size_t)(dots - s), &l, err, errlen) != 0) {
                goto fail;
            }
        } else if (s_push(&l, s, len) != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (l.n > CX_EXP_MAX_VALUES) {
            snprintf(err, errlen, "'%s' has more than %d values", spec, CX_EXP_MAX_VALUES);
            goto fail;
        }
        if (!*q) {
            break;
        }
        p = q + 1;
    }
    *values = l.v;
    return l.n;
fail:
    cx_exp_values_free(l.v, l.n);
    return -1;
}

int cx_exp_grid_add(cx_exp_grid_t *g, const char *set, char *err, size_t errlen)
{
    const char *eq = strchr(set, '=');
    if (!eq || eq == set) {
        snprintf(err, errlen, "--set expects KEY=VALUES, got '%s'", set);
        return -1;
    }
    size_t klen = (size_t)(eq - set);
    for (size_t i = 0; i < klen; i++) {
        if (set[i] == ' ' || set[i] == '\t' || set[i] == '\n' || set[i] == ',') {
            snprintf(err, errlen, "--set '%s': the key may not hold spaces or commas", set);
            return -1;
        }
    }
    if (g->n_axis == CX_EXP_MAX_AXES) {
        snprintf(err, errlen, "too many --set options (at most %d)", CX_EXP_MAX_AXES);
        return -1;
    }
    for (int a = 0; a < g->n_axis; a++) {
        if (strlen(g->axis[a].key) == klen && strncmp(g->axis[a].key, set, klen) == 0) {
            snprintf(err, errlen, "--set %.*s is given twice; list its values in one --set",
                     (int)klen, set);
            return -1;
        }
    }
    char **values;
    int n = cx_exp_values_parse(eq + 1, &values, err, errlen);
    if (n < 0) {
        return -1;
    }
    long long points = cx_exp_grid_points(g) * n;
    if (points > CX_EXP_MAX_POINTS) {
        snprintf(err, errlen, "the grid would have %lld points (at most %d)", points,
                 CX_EXP_MAX_POINTS);
        cx_exp_values_free(values, n);
        return -1;
    }
    char *key = strndup(set, klen);
    if (!key) {
        cx_exp_values_free(values, n);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->axis[g->n_axis++] = (cx_exp_axis_t){key, values, n};
    return 0;
}

long long cx_exp_grid_points(const cx_exp_grid_t *g)
{
    long long n = 1;
    for (int a = 0; a < g->n_axis; a++) {
        n *= g->axis[a].n;
    }
    return n;
}

void cx_exp_point_fini(cx_exp_point_t *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->set[i]);
    }
    free(p->key);
    free(p->params_json);
    memset(p, 0, sizeof *p);
}

int cx_exp_point_sets(const cx_exp_grid_t *g, long long index, cx_exp_point_t *p)
{
    memset(p, 0, sizeof *p);
    p->index = index;
    /* Mixed radix, last axis fastest. */
    int idx[CX_EXP_MAX_AXES];
    long long rest = index;
    for (int a = g->n_axis - 1; a >= 0; a--) {
        idx[a] = (int)(rest % g->axis[a].n);
        rest /= g->axis[a].n;
    }
    cx_buf_t key, json;
    cx_buf_init(&key);
    cx_buf_init(&json);
    cx_buf_printf(&json, "{");
    for (int a = 0; a < g->n_axis; a++) {
        const char *k = g->axis[a].key, *v = g->axis[a].values[idx[a]];
        size_t len = strlen(k) + strlen(v) + 2;
        p->set[a] = malloc(len);
        if (!p->set[a]) {
            break;
        }
        p->n++;
        snprintf(p->set[a], len, "%s=%s", k, v);
        cx_buf_printf(&key, "%s%s", a ? "\n" : "", p->set[a]);
        cx_buf_printf(&json, "%s", a ? ", " : "");
        cx_json_text(&json, k);
        cx_buf_printf(&json, ": ");
        cx_exp_buf_json_value(&json, v);
    }
    cx_buf_printf(&json, "}");
    p->key = strdup(cx_buf_str(&key));
    p->params_json = strdup(cx_buf_str(&json));
    bool bad = key.oom || json.oom || p->n != g->n_axis || !p->key || !p->params_json;
    cx_buf_fini(&key);
    cx_buf_fini(&json);
    if (bad) {
        cx_exp_point_fini(p);
        return -1;
    }
    return 0;
}

uint64_t cx_exp_splitmix64(uint64_t x)
{
    uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t cx_exp_fnv1a64(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t cx_exp_seed(uint64_t base_seed, const char *point_key, int replicate)
{
    uint64_t h = cx_exp_splitmix64(base_seed);
    if (point_key) {
        h = cx_exp_splitmix64(h ^ cx_exp_fnv1a64(point_key));
    }
    h = cx_exp_splitmix64(h ^ (uint64_t)replicate);
    return h & CX_EXP_SEED_MASK;
}
