/*  cx_kpi_cols — the KPI row's columns defined once: name, type, label,
 *  unit and formula of every column of kpis.csv, in the file's order. The CSV
 *  writer and the ROW message (runtime/cx_output.c, cx_kpi_row_columns),
 *  the results databases' schema (exp/cx_exp_db.c), the reality checks'
 *  KPI names (exp/cx_check_file.c), the run report's headline table and
 *  chart titles (report/cx_report_run.c), cxsim-web's /api/scenario
 *  ("kpis": the live page's chart titles) and the readers of kpis.csv take
 *  the columns from here; docs/MODEL.md (7.9, 7.10) explains the formulas.
 *
 *  Ownership: the table is static and read-only. Errors: cx_kpi_col_find
 *  returns -1 for an unknown name.
 */
#ifndef CX_KPI_COLS_H
#define CX_KPI_COLS_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_tally.h"

typedef enum {
    CX_KPI_INT32 = 1, /* int32_t field (the tick) */
    CX_KPI_COUNT = 2, /* int64_t field: a count */
    CX_KPI_REAL = 3   /* double field */
} cx_kpi_type_t;

typedef struct {
    const char *name;    /* column of kpis.csv, key of the ROW map, column of the kpis table */
    cx_kpi_type_t type;  /* type of the field in cx_kpi_row_t */
    size_t offset;       /* offsetof(cx_kpi_row_t, field) */
    bool contract;       /* one of the run contract's first columns (every kpis table has it) */
    const char *label;   /* its name for people: report tables, chart titles, the live page */
    const char *unit;    /* unit of the value */
    const char *formula; /* how the row computes it (docs/MODEL.md) */
} cx_kpi_col_t;

/* Every column, in kpis.csv order ("tick" first). */
extern const cx_kpi_col_t cx_kpi_cols[];
extern const int cx_kpi_ncols;

/* Column i's value in row r as a double. */
double cx_kpi_col_value(const cx_kpi_row_t *r, int i);

/* Index of the column called name, or -1. */
int cx_kpi_col_find(const char *name);

#endif
