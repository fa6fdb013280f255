/*  cx_web_page — the embedded page, with the scenario's name filled in
 *  (see cx_web_page.h). */
#include "cx_web_page.h"

#include <string.h>

#define S_SLOT "{{SCENARIO_NAME}}"

void cx_web_html_escape(cx_wbuf_t *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            cx_wbuf_puts(out, "&amp;");
            break;
        case '<':
            cx_wbuf_puts(out, "&lt;");
            break;
        case '>':
            cx_wbuf_puts(out, "&gt;");
            break;
        case '"':
            cx_wbuf_puts(out, "&quot;");
            break;
        case '\'':
            cx_wbuf_puts(out, "&#39;");
            break;
        default:
            cx_wbuf_add(out, p, 1);
        }
    }
}

void cx_web_page_render(const char *name, cx_wbuf_t *out)
{
    const char *t = (const char *)cx_web_page_html;
    const char *end = t + cx_web_page_html_len;
    size_t slot = strlen(S_SLOT);
    while (t < end) {
        const char *hit = strstr(t, S_SLOT);
        if (!hit) {
            cx_wbuf_add(out, t, (size_t)(end - t));
            break;
        }
        cx_wbuf_add(out, t, (size_t)(hit - t));
        cx_web_html_escape(out, name);
        t = hit + slot;
    }
}
