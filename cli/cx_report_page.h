/*  cx_report_page — the page pieces shared by the report modules
 *  (cx_report.c: run and compare directories; cx_report_sweep.c: sweep
 *  directories), so that every report has the same head, style, footer,
 *  fact rows and figures.
 *
 *  Text arguments are escaped (cx_svg_escape) where they are written.
 *  Ownership: nothing kept. Errors: out of memory is recorded in the
 *  buffer's `oom` flag.
 */
#ifndef CX_REPORT_PAGE_H
#define CX_REPORT_PAGE_H

#include <stddef.h>

#include "cx_exp_util.h"
#include "cx_svg.h"

/* The doctype, <html>, <head> with the inline style, and <body>. */
void cx_report_page_head(cx_exp_buf_t *b, const char *title);

/* The footer naming the files the page was made from, and the page's end. */
void cx_report_page_foot(cx_exp_buf_t *b, const char *sources);

/* One <tr><th>name</th><td>value</td></tr> of a facts table. */
void cx_report_fact(cx_exp_buf_t *b, const char *name, const char *value);

/* A <figure id="fig-ID"> holding the chart and its caption. */
void cx_report_figure(cx_exp_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                      const cx_svg_marker_t *m, int nm, const char *caption);

/* dir/name into buf; -1 when it does not fit. */
int cx_report_join(char *buf, size_t cap, const char *dir, const char *name);

/* The sweep report (cx_report_sweep.c): dir holds sweep.db, opened
 * read-only. Returns 0, or CX_REPORT_UNREADABLE with a message in err. */
int cx_report_sweep_page(const char *dir, cx_exp_buf_t *b, char *err, size_t errlen);

#endif
