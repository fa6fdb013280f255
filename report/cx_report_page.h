/*  cx_report_page — the page pieces shared by every report page (one
 *  module per kind of directory, cx_report_pages.h), so that every report
 *  has the same head, style, footer, fact rows, figures and number cells.
 *  It calls no page module.
 *
 *  Text arguments are escaped (cx_svg_escape) where they are written.
 *  Ownership: nothing kept. Errors: out of memory is recorded in the
 *  buffer's `oom` flag.
 */
#ifndef CX_REPORT_PAGE_H
#define CX_REPORT_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_util.h"
#include "cx_svg.h"

/* The doctype, <html>, <head> with the inline style, and <body>. */
void cx_report_page_head(cx_buf_t *b, const char *title);

/* The footer naming the files the page was made from, and the page's end. */
void cx_report_page_foot(cx_buf_t *b, const char *sources);

/* One <tr><th>name</th><td>value</td></tr> of a facts table. */
void cx_report_fact(cx_buf_t *b, const char *name, const char *value);

/* A <figure id="fig-ID"> holding the chart and its caption. */
void cx_report_figure(cx_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                      const cx_svg_marker_t *m, int nm, const char *caption);

/* dir/name into buf; -1 when it does not fit. */
int cx_report_join(char *buf, size_t cap, const char *dir, const char *name);

/* v as "%.<sig>g" (the experiment CSVs write %.10g, %.12g for parameter
 * values, %.17g in optimise.csv), "" for NaN. */
void cx_report_g(char *buf, size_t cap, double v, int sig);

/* Decimals that show v to about 4 significant digits (0 .. 6). */
int cx_report_decimals(double v);

/* A <td class="num CLS"> with data-value="%.<sig>g of v" (the CSV's text)
 * and v shown with `decimals` decimals ("-" for NaN; a "+" on positive
 * values when signed_). */
void cx_report_num_cell(cx_buf_t *b, const char *cls, double v, int sig, int decimals,
                        bool signed_);

#endif
