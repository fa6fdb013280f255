/*  cx_exp_db_int — what the two halves of the results database share
 *  (cx_exp_db.c: schema, meta, points, queries; cx_exp_db_import.c:
 *  importing a run). Private to them: no other module includes it.
 */
#ifndef CX_EXP_DB_INT_H
#define CX_EXP_DB_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_db.h"

struct cx_exp_db {
    sqlite3 *h; /* connection */
};

/* "what: SQLite's message" into err (when err is not NULL). */
void cx_exp_db__err(char *err, size_t errlen, const char *what, sqlite3 *h);

/* Column i of the row as text, "" for NULL. */
const char *cx_exp_db__col(sqlite3_stmt *st, int i);

/* s[0..len) is an SQL identifier we may quote as a column name (letters,
 * digits, '_', not starting with a digit, at most 63 characters). */
bool cx_exp_db__ident(const char *s, size_t len);

#endif
