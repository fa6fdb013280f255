/*  cx_diags — the list of diagnostics a load produces, and "did you mean".
 */
#include "cx_load.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_WORD_MAX 64 /* longest word considered for a suggestion */

void cx_diags_init(cx_diags_t *d)
{
    memset(d, 0, sizeof *d);
}

void cx_diags_fini(cx_diags_t *d)
{
    if (!d) {
        return;
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

/* Copies src into dst (size bytes), cutting it with "..." when too long. */
static void s_copy(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    if (len < size) {
        memcpy(dst, src, len + 1);
        return;
    }
    memcpy(dst, src, size - 4);
    memcpy(dst + size - 4, "...", 4);
}

int cx_diags_add(cx_diags_t *d, const char *file, int line, int column, const char *path,
                 const char *fmt, ...)
{
    if (d->n >= CX_DIAGS_MAX) {
        return -1;
    }
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        cx_diag_t *items = realloc(d->items, (size_t)cap * sizeof *items);
        if (!items) {
            return -1;
        }
        d->items = items;
        d->cap = cap;
    }
    cx_diag_t *g = &d->items[d->n++];
    memset(g, 0, sizeof *g);
    s_copy(g->file, sizeof g->file, file ? file : "");
    if (d->n == CX_DIAGS_MAX) {
        /* The last slot says that the list was cut, so a flood of errors
         * from a file that is not a scenario stays readable. */
        snprintf(g->message, sizeof g->message, "too many errors: only the first %d are shown",
                 CX_DIAGS_MAX - 1);
        return -1;
    }
    g->line = line > 0 ? line : 0;
    g->column = line > 0 && column > 0 ? column : 0;
    s_copy(g->path, sizeof g->path, path ? path : "");
    char msg[sizeof g->message + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s_copy(g->message, sizeof g->message, msg);
    return 0;
}

int cx_diag_format(const cx_diag_t *g, char *buf, size_t size)
{
    char where[300];
    if (g->line > 0) {
        snprintf(where, sizeof where, "%s:%d:%d", g->file, g->line, g->column);
    } else {
        snprintf(where, sizeof where, "%s", g->file);
    }
    if (g->path[0]) {
        return snprintf(buf, size, "%s: error: %s: %s", where, g->path, g->message);
    }
    return snprintf(buf, size, "%s: error: %s", where, g->message);
}

void cx_diags_print(FILE *fp, const cx_diags_t *d)
{
    char buf[1024];
    for (int i = 0; i < d->n; i++) {
        cx_diag_format(&d->items[i], buf, sizeof buf);
        fprintf(fp, "%s\n", buf);
    }
}

/* Optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions), case-insensitive. Both words are at most S_WORD_MAX. */
static int s_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int dp[S_WORD_MAX + 1][S_WORD_MAX + 1];
    for (size_t i = 0; i <= la; i++) {
        dp[i][0] = (int)i;
    }
    for (size_t j = 0; j <= lb; j++) {
        dp[0][j] = (int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            int cost = ca == cb ? 0 : 1;
            int v = dp[i - 1][j] + 1;
            if (dp[i][j - 1] + 1 < v) {
                v = dp[i][j - 1] + 1;
            }
            if (dp[i - 1][j - 1] + cost < v) {
                v = dp[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && dp[i - 2][j - 2] + 1 < v) {
                v = dp[i - 2][j - 2] + 1;
            }
            dp[i][j] = v;
        }
    }
    return dp[la][lb];
}

/* True when word b occurs in a (case-insensitive). */
static bool s_contains(const char *a, size_t la, const char *b, size_t lb)
{
    for (size_t i = 0; i + lb <= la; i++) {
        if (strncasecmp(a + i, b, lb) == 0) {
            return true;
        }
    }
    return false;
}

const char *cx_suggest(const char *word, const char *const *candidates, int n)
{
    size_t lw = word ? strlen(word) : 0;
    if (lw == 0 || lw > S_WORD_MAX) {
        return NULL;
    }
    /* How far a typo may stray: one edit for short words, up to three. */
    int allowed = lw <= 3 ? 1 : lw <= 6 ? 2 : 3;
    const char *best = NULL;
    int best_score = allowed + 1;
    for (int i = 0; i < n; i++) {
        const char *c = candidates[i];
        size_t lc = c ? strlen(c) : 0;
        if (lc == 0 || lc > S_WORD_MAX) {
            continue;
        }
        int score = s_distance(word, lw, c, lc);
        if (score > allowed && lw >= 3 && s_contains(c, lc, word, lw)) {
            score = allowed; /* "service" for "customer_service" */
        }
        /* A typo in one part of a compound name: "efort" for "time_effort". */
        for (size_t start = 0; start < lc && score > 1 && !memchr(word, '_', lw);) {
            size_t end = start;
            while (end < lc && c[end] != '_') {
                end++;
            }
            if (end - start >= 3 && end - start < lc) {
                int d = s_distance(word, lw, c + start, end - start) + 1;
                if (d < score) {
                    score = d;
                }
            }
            start = end + 1;
        }
        if (score < best_score) {
            best_score = score;
            best = c;
        }
    }
    return best;
}
