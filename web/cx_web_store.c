/*  cx_web_store — rows, end of run and changes, shared between threads
 *  (see cx_web_store.h). */
#include "cx_web_store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cx_web_store_init(cx_web_store_t *s, size_t keep)
{
    memset(s, 0, sizeof *s);
    s->keep = keep > 0 ? keep : CX_WEB_KEEP_ROWS;
    snprintf(s->end_status, sizeof s->end_status, "running");
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        return -1;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int r = pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (r != 0) {
        return -1;
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        pthread_cond_destroy(&s->cv);
        return -1;
    }
    return 0;
}

void cx_web_store_fini(cx_web_store_t *s)
{
    for (int i = 0; i < s->ncol; i++) {
        free(s->names[i]);
    }
    free(s->vals);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof *s);
}

int cx_web_store_set_columns(cx_web_store_t *s, const char *const *names, int n)
{
    if (n < 1 || n > CX_WEB_MAX_COLS || strcmp(names[0], "tick") != 0) {
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (s->ncol == 0) {
        char *copy[CX_WEB_MAX_COLS];
        for (int i = 0; i < n; i++) {
            copy[i] = strdup(names[i]);
            if (!copy[i]) {
                while (i-- > 0) {
                    free(copy[i]);
                }
                rc = -1;
                goto out;
            }
        }
        memcpy(s->names, copy, (size_t)n * sizeof copy[0]);
        s->ncol = n;
    }
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cx_web_store_column(cx_web_store_t *s, const char *name)
{
    int r = -1;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->ncol && r < 0; i++) {
        if (strcmp(s->names[i], name) == 0) {
            r = i;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

int cx_web_store_ncol(cx_web_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->ncol;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static double *s_row(cx_web_store_t *s, size_t i)
{
    return s->vals + ((s->head + i) % s->cap) * (size_t)s->ncol;
}

static int64_t s_last(cx_web_store_t *s)
{
    return s->count ? (int64_t)s_row(s, s->count - 1)[0] : -1;
}

int cx_web_store_append(cx_web_store_t *s, const double *vals)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->ncol == 0 || !isfinite(vals[0]) || vals[0] < 0 || (int64_t)vals[0] <= s_last(s)) {
        rc = 1;
        goto out;
    }
    if (s->count == s->cap && s->cap < s->keep) {
        /* Not yet wrapped (head is 0): grow in place. */
        size_t cap = s->cap ? s->cap * 2 : 1024;
        if (cap > s->keep) {
            cap = s->keep;
        }
        double *v = realloc(s->vals, cap * (size_t)s->ncol * sizeof *v);
        if (!v) {
            rc = -1;
            goto out;
        }
        s->vals = v;
        s->cap = cap;
    }
    if (s->count == s->cap) {
        s->head = (s->head + 1) % s->cap; /* drop the oldest */
        s->count--;
    }
    memcpy(s_row(s, s->count), vals, (size_t)s->ncol * sizeof *vals);
    s->count++;
    s->version++;
    pthread_cond_broadcast(&s->cv);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int64_t cx_web_store_last_tick(cx_web_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t t = s_last(s);
    pthread_mutex_unlock(&s->mu);
    return t;
}

void cx_web_store_end(cx_web_store_t *s, const char *status)
{
    pthread_mutex_lock(&s->mu);
    s->ended = 1;
    snprintf(s->end_status, sizeof s->end_status, "%s", status && *status ? status : "unknown");
    s->version++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void cx_web_store_close(cx_web_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Ring position of the first row with tick >= since (count when none). */
static size_t s_find(cx_web_store_t *s, int64_t since)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int64_t)s_row(s, mid)[0] < since) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

size_t cx_web_store_rows_json(cx_web_store_t *s, int64_t since, int64_t until, size_t max_rows,
                              int comma_first, cx_wbuf_t *out, int64_t *next)
{
    size_t written = 0;
    pthread_mutex_lock(&s->mu);
    *next = since;
    for (size_t i = s_find(s, since); i < s->count && (max_rows == 0 || written < max_rows); i++) {
        const double *r = s_row(s, i);
        if (until >= 0 && (int64_t)r[0] > until) {
            break;
        }
        cx_wbuf_printf(out, "%s{\"tick\":%lld", written || comma_first ? "," : "", (long long)r[0]);
        for (int c = 1; c < s->ncol; c++) {
            cx_wbuf_add(out, ",", 1);
            cx_json_str(out, s->names[c]);
            cx_wbuf_add(out, ":", 1);
            cx_json_num(out, r[c]);
        }
        cx_wbuf_add(out, "}", 1);
        *next = (int64_t)r[0] + 1;
        written++;
    }
    pthread_mutex_unlock(&s->mu);
    return written;
}

cx_web_wait_t cx_web_store_wait(cx_web_store_t *s, int64_t since, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    cx_web_wait_t w;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->closing) {
            w = CX_WEB_WAIT_CLOSING;
            break;
        }
        if (s_last(s) >= since) {
            w = CX_WEB_WAIT_ROWS;
            break;
        }
        if (s->ended) {
            w = CX_WEB_WAIT_ENDED;
            break;
        }
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT) {
            w = CX_WEB_WAIT_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return w;
}

void cx_web_store_state_json(cx_web_store_t *s, cx_wbuf_t *out)
{
    pthread_mutex_lock(&s->mu);
    cx_wbuf_printf(out, "{\"ended\":%s,\"status\":", s->ended ? "true" : "false");
    cx_json_str(out, s->end_status);
    cx_wbuf_printf(out, ",\"last_tick\":%lld}", (long long)s_last(s));
    pthread_mutex_unlock(&s->mu);
}

void cx_web_store_add_change(cx_web_store_t *s, int64_t tick, const char *text, const char *who)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_changes == CX_WEB_MAX_CHANGES) {
        memmove(s->changes, s->changes + 1, (CX_WEB_MAX_CHANGES - 1) * sizeof s->changes[0]);
        s->n_changes--;
    }
    cx_web_change_t *c = &s->changes[s->n_changes++];
    c->tick = tick;
    snprintf(c->text, sizeof c->text, "%s", text);
    snprintf(c->who, sizeof c->who, "%s", who ? who : "");
    pthread_mutex_unlock(&s->mu);
}

void cx_web_store_changes_json(cx_web_store_t *s, cx_wbuf_t *out)
{
    pthread_mutex_lock(&s->mu);
    cx_wbuf_add(out, "[", 1);
    for (int i = 0; i < s->n_changes; i++) {
        cx_wbuf_printf(out, "%s{\"tick\":%lld,\"text\":", i ? "," : "",
                       (long long)s->changes[i].tick);
        cx_json_str(out, s->changes[i].text);
        if (s->changes[i].who[0]) {
            cx_wbuf_puts(out, ",\"who\":");
            cx_json_str(out, s->changes[i].who);
        }
        cx_wbuf_add(out, "}", 1);
    }
    cx_wbuf_add(out, "]", 1);
    pthread_mutex_unlock(&s->mu);
}
