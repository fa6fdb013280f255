/*  cx_csv — reading the project's CSV files (see cx_csv.h). */
#include "cx_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int cx_csv_read(const char *path, const char *const *cols, int ncols, cx_csv_row_fn fn, void *ud,
                char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int nhead = 0, *map = NULL;
    char **fields = NULL, **want = NULL;
    long lineno = 1;
    if ((len = getline(&line, &lcap, fp)) <= 0) {
        snprintf(err, errlen, "%.3000s: empty file, no header", path);
        goto done;
    }
    line[strcspn(line, "\r\n")] = '\0';
    nhead = 1;
    for (const char *p = line; *p; p++) {
        nhead += *p == ',';
    }
    map = malloc((size_t)ncols * sizeof *map);
    fields = malloc((size_t)nhead * sizeof *fields);
    want = malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof *want);
    if (!map || !fields || !want) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int c = 0; c < ncols; c++) {
        map[c] = -1;
        int i = 0;
        for (char *p = line, *e; p; p = e ? e + 1 : NULL, i++) {
            e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (strlen(cols[c]) == l && strncmp(p, cols[c], l) == 0) {
                map[c] = i;
                break;
            }
        }
        if (map[c] < 0) {
            snprintf(err, errlen, "%.3000s: no column '%s'", path, cols[c]);
            goto done;
        }
    }
    while ((len = getline(&line, &lcap, fp)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            break; /* a row still being written */
        }
        line[strcspn(line, "\r\n")] = '\0';
        int nf = 0;
        for (char *p = line; p && nf < nhead;) {
            fields[nf++] = p;
            p = strchr(p, ',');
            if (p) {
                *p++ = '\0';
            }
        }
        if (nf != nhead) {
            snprintf(err, errlen, "%.3000s:%ld: %d fields, the header has %d", path, lineno, nf,
                     nhead);
            goto done;
        }
        for (int c = 0; c < ncols; c++) {
            want[c] = fields[map[c]];
        }
        if (fn(ud, want) != 0) {
            snprintf(err, errlen, "out of memory reading %.3000s", path);
            goto done;
        }
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "cannot read %.3000s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(line);
    free(map);
    free(fields);
    free(want);
    fclose(fp);
    return rc;
}
