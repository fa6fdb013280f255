/*  cx_csv — the one reader of the project's own CSV files (kpis.csv,
 *  departments.csv, compare.csv, payback.csv ...): a header line naming
 *  the columns, then rows of plain fields (no quoting: the files hold
 *  numbers and ids). The caller names the columns it wants; each whole row
 *  comes to a callback with those fields, in that order. A last line
 *  without its newline (a row still being written) is left out.
 *
 *  Ownership: the fields live until the callback returns. Errors: -1 with
 *  a message naming the file (and line) in err: unreadable, empty, a
 *  wanted column missing, a row with more or fewer fields than the header,
 *  or the callback failing (it returns -1 when out of memory).
 */
#ifndef CX_CSV_H
#define CX_CSV_H

#include <stddef.h>

/* One whole row: fields[i] is the text of cols[i]. Returns 0, or -1 to stop
 * (out of memory). */
typedef int (*cx_csv_row_fn)(void *ud, char **fields);

/* Reads path, calling fn(ud, fields) per row. Returns 0 or -1. */
int cx_csv_read(const char *path, const char *const *cols, int ncols, cx_csv_row_fn fn, void *ud,
                char *err, size_t errlen);

#endif
