/*  cx_web_page — the trainers' page: one self-contained HTML document
 *  (inline CSS and JavaScript, nothing fetched from elsewhere), kept in
 *  web/page.html and embedded at build time (web/embed.cmake), with the
 *  scenario's name filled in where the template says {{SCENARIO_NAME}}.
 *
 *  Ownership: the template is static; the page is written into a caller's
 *  buffer.
 *  Errors: none beyond the buffer's .oom.
 */
#ifndef CX_WEB_PAGE_H
#define CX_WEB_PAGE_H

#include <stddef.h>

#include "cx_web_json.h"

extern const unsigned char cx_web_page_html[]; /* the template, NUL-terminated */
extern const size_t cx_web_page_html_len;      /* its length, without the NUL */

/* Text with &, <, >, " and ' as HTML character references. */
void cx_web_html_escape(cx_wbuf_t *out, const char *text);

/* The page for a scenario called name (HTML-escaped into it). */
void cx_web_page_render(const char *name, cx_wbuf_t *out);

#endif
