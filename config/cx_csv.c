/*  cx_csv — reading the project's CSV files (see cx_csv.h). */
#include "cx_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_FILE (1024L * 1024 * 1024) /* largest file read whole */

/* Splits line at its commas into out (at most max stored); returns how many
 * fields it has. */
static int s_split(char *line, char **out, int max)
{
    int n = 0;
    for (char *p = line;; n++) {
        if (n < max) {
            out[n] = p;
        }
        char *c = strchr(p, ',');
        if (!c) {
            return n + 1;
        }
        *c = '\0';
        p = c + 1;
    }
}

/* Ends the line at end, without a '\r' before it. */
static void s_end_line(char *line, char *end)
{
    *end = '\0';
    if (end > line && end[-1] == '\r') {
        end[-1] = '\0';
    }
}

static int s_call(cx_csv_each_fn fn, void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    err[0] = '\0';
    if (fn(ud, row, err, errlen) == 0) {
        return 0;
    }
    if (!err[0]) {
        snprintf(err, errlen, "out of memory reading %.3000s", row->file);
    }
    return -1;
}

int cx_csv_split(char *line, char **fields, int max)
{
    line[strcspn(line, "\r\n")] = '\0';
    return s_split(line, fields, max);
}

int cx_csv_col(const cx_csv_row_t *row, const char *name)
{
    for (int i = 0; i < row->ncols; i++) {
        if (strcmp(row->names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* The rows after the header, from p on. Returns how many, or -1. */
static long s_rows(char *p, int flags, cx_csv_row_t *row, char **fields, cx_csv_each_fn fn,
                   void *ud, char *err, size_t errlen)
{
    long n = 0;
    while (*p) {
        row->line++;
        char *end = strchr(p, '\n');
        if (!end) {
            if (flags & CX_CSV_WHOLE) {
                snprintf(err, errlen, "%.3000s:%ld: cut short (no line end)", row->file, row->line);
                return -1;
            }
            break; /* a row still being written */
        }
        s_end_line(p, end);
        int nf = s_split(p, fields, row->ncols);
        if (nf != row->ncols) {
            snprintf(err, errlen, "%.3000s:%ld: %d fields, the header has %d", row->file, row->line,
                     nf, row->ncols);
            return -1;
        }
        row->fields = fields;
        if (s_call(fn, ud, row, err, errlen) != 0) {
            return -1;
        }
        n++;
        p = end + 1;
    }
    return n;
}

long cx_csv_parse(char *text, const char *file, int flags, cx_csv_each_fn head, cx_csv_each_fn fn,
                  void *ud, char *err, size_t errlen)
{
    char *nl = strchr(text, '\n');
    if (!*text || (!nl && (flags & CX_CSV_WHOLE))) {
        snprintf(err, errlen, "%.3000s: empty file, no header", file);
        return -1;
    }
    char *rest = nl ? nl + 1 : text + strlen(text);
    if (nl) {
        s_end_line(text, nl);
    }
    int n = 1;
    for (const char *p = text; *p; p++) {
        n += *p == ',';
    }
    char **names = malloc((size_t)n * sizeof *names);
    char **fields = malloc((size_t)n * sizeof *fields);
    long rows = -1;
    if (!names || !fields) {
        snprintf(err, errlen, "out of memory reading %.3000s", file);
        goto done;
    }
    s_split(text, names, n);
    cx_csv_row_t row = {.file = file, .names = names, .ncols = n, .fields = NULL, .line = 1};
    if (head && s_call(head, ud, &row, err, errlen) != 0) {
        goto done;
    }
    rows = s_rows(rest, flags, &row, fields, fn, ud, err, errlen);
done:
    free(names);
    free(fields);
    return rows;
}

/* cx_csv_read: the wanted columns picked out of each row. */
typedef struct {
    const char *const *cols;
    int ncols;
    int *map;    /* cols[c] is field map[c] */
    char **want; /* the picked fields */
    cx_csv_row_fn fn;
    void *ud;
} s_pick_t;

static int s_pick_head(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_pick_t *pk = ud;
    for (int c = 0; c < pk->ncols; c++) {
        if ((pk->map[c] = cx_csv_col(row, pk->cols[c])) < 0) {
            snprintf(err, errlen, "%.3000s: no column '%s'", row->file, pk->cols[c]);
            return -1;
        }
    }
    return 0;
}

static int s_pick_row(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    s_pick_t *pk = ud;
    for (int c = 0; c < pk->ncols; c++) {
        pk->want[c] = row->fields[pk->map[c]];
    }
    return pk->fn(pk->ud, pk->want);
}

/* The whole of path, NUL-terminated (heap), or NULL (err set). */
static char *s_slurp(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 0;
    char *text = NULL;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? 2 * cap : 131072;
            char *t = cap <= (size_t)S_MAX_FILE ? realloc(text, cap + 1) : NULL;
            if (!t) {
                snprintf(err, errlen, "%.3000s: too large, or out of memory", path);
                break;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (err[0] == '\0' && ferror(fp)) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
    }
    fclose(fp);
    if (err[0]) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

int cx_csv_read(const char *path, const char *const *cols, int ncols, cx_csv_row_fn fn, void *ud,
                char *err, size_t errlen)
{
    err[0] = '\0';
    char *text = s_slurp(path, err, errlen);
    if (!text) {
        return -1;
    }
    size_t nc = ncols > 0 ? (size_t)ncols : 1;
    int *map = malloc(nc * sizeof *map);
    char **want = malloc(nc * sizeof *want);
    s_pick_t pk = {.cols = cols, .ncols = ncols, .map = map, .want = want, .fn = fn, .ud = ud};
    long rows = -1;
    if (!map || !want) {
        snprintf(err, errlen, "out of memory reading %.3000s", path);
    } else {
        rows = cx_csv_parse(text, path, 0, s_pick_head, s_pick_row, &pk, err, errlen);
    }
    free(map);
    free(want);
    free(text);
    return rows < 0 ? -1 : 0;
}

long cx_csv_parse_copy(const char *csv, size_t len, const char *file, int flags,
                       cx_csv_each_fn head, cx_csv_each_fn fn, void *ud, char *err, size_t errlen)
{
    if (!memchr(csv, '\n', len)) {
        snprintf(err, errlen, "no header line");
        return -1;
    }
    char *text = malloc(len + 2);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(text, csv, len);
    size_t n = len;
    if (text[n - 1] != '\n') {
        text[n++] = '\n';
    }
    text[n] = '\0';
    long rc = cx_csv_parse(text, file, flags, head, fn, ud, err, errlen);
    free(text);
    return rc;
}
