/*  cx_csv — the one reader of the project's own CSV files (kpis.csv,
 *  departments.csv, touchpoints.csv, compare.csv, payback.csv ...): a header
 *  line naming the columns, then rows of plain fields (no quoting: the files
 *  hold numbers and ids). Two ways in:
 *  - cx_csv_read: a file; the caller names the columns it wants; each whole
 *    row comes to a callback with those fields, in that order. A last line
 *    without its newline (a row still being written) is left out.
 *  - cx_csv_parse: text in memory, split in place; every row comes to a
 *    callback with all its fields in the header's order (cx_csv_col finds a
 *    column by name); CX_CSV_WHOLE makes a last line without its newline an
 *    error instead of leaving it out.
 *  - cx_csv_split: one line, for a reader that follows a growing file.
 *
 *  Ownership: the fields (and, for cx_csv_parse, the header's names) live
 *  until the callback returns (cx_csv_parse: as long as the text). Errors:
 *  -1 with a message naming the file (and line) in err: unreadable, empty, a
 *  wanted column missing, a row with more or fewer fields than the header,
 *  or the callback failing (its own message, else "out of memory").
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

/* A header, or a row of it (cx_csv_parse). */
typedef struct {
    const char *file; /* the file's name, for messages */
    char **names;     /* the header's column names */
    int ncols;        /* how many */
    char **fields;    /* this row's fields, ncols of them; NULL for the header */
    long line;        /* this row's line number (1 for the header) */
} cx_csv_row_t;

/* The header (row->fields NULL) or one row. Returns 0, or -1 to stop, with a
 * message in err (left empty: "out of memory"). */
typedef int (*cx_csv_each_fn)(void *ud, const cx_csv_row_t *row, char *err, size_t errlen);

enum {
    CX_CSV_WHOLE = 1, /* a last line without its newline is an error */
};

/* Splits text (NUL-terminated, modified in place) into its header and rows:
 * head(ud, header) once (head may be NULL), then fn(ud, row) per row.
 * Returns the number of rows, or -1 (err set). */
long cx_csv_parse(char *text, const char *file, int flags, cx_csv_each_fn head, cx_csv_each_fn fn,
                  void *ud, char *err, size_t errlen);

/* cx_csv_parse on a copy of len bytes of csv (left untouched), its last
 * line completed: for text read whole whose last line may lack its newline.
 * "no header line" when csv holds no newline. Returns as cx_csv_parse. */
long cx_csv_parse_copy(const char *csv, size_t len, const char *file, int flags,
                       cx_csv_each_fn head, cx_csv_each_fn fn, void *ud, char *err, size_t errlen);

/* One line on its own, for a reader that follows a growing file (its
 * offsets its own): line's end ("\n", "\r\n") removed, split in place at its
 * commas into fields (at most max stored). Returns how many fields it has. */
int cx_csv_split(char *line, char **fields, int max);

/* The index of column name in row's header, or -1. */
int cx_csv_col(const cx_csv_row_t *row, const char *name);

#endif
