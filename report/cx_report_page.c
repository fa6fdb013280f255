/*  cx_report_page — the page pieces shared by every report page (see
 *  cx_report_page.h).
 */
#include "cx_report_page.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cx_version.h"

static const char s_css[] =
    "body{margin:0 auto;max-width:760px;padding:16px 20px 40px;color:#222;background:#fff;"
    "font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif}\n"
    "h1{font-size:22px;margin:8px 0 4px}\n"
    "h2{font-size:17px;margin:28px 0 8px;padding-bottom:3px;border-bottom:1px solid #ddd}\n"
    "p.lead{margin:4px 0 14px;color:#444}\n"
    "table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}\n"
    "th{font-weight:600;color:#444;border-bottom:1px solid #ccc}\n"
    "td.num,th.num{text-align:right;white-space:nowrap}\n"
    "table.facts th{border:0;color:#555;font-weight:normal;padding-left:0}\n"
    "table.facts td{border:0}\n"
    "tr.sig td{font-weight:600}\n"
    "figure{margin:18px 0 8px}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figcaption{font-size:12.5px;color:#555;margin-top:2px}\n"
    "p.note,footer{font-size:12px;color:#666}\n"
    "footer{margin-top:32px;border-top:1px solid #ddd;padding-top:6px}\n"
    /* A table wider than the page scrolls inside its box on screen; on
     * paper it is printed whole: no box, the page's full width, smaller
     * type, headers wrapping at their <wbr/>. */
    "div.scroll{overflow-x:auto;max-width:100%}\n"
    "table.wide th.num{white-space:normal;min-width:4em}\n"
    "@media print{body{max-width:none;padding:0}div.scroll{overflow:visible}"
    "table.wide{font-size:9px}table.wide th,table.wide td{padding:2px 3px}}\n";

void cx_report_page_head(cx_buf_t *b, const char *title)
{
    cx_buf_printf(b,
                      "<!DOCTYPE html>\n"
                      "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
                      "<head>\n<meta charset=\"utf-8\"/>\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                      "<meta name=\"generator\" content=\"cxsim %s\"/>\n<title>",
                      CX_VERSION);
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", s_css);
}

void cx_report_page_foot(cx_buf_t *b, const char *sources)
{
    cx_buf_printf(b, "<footer>cxsim %s report, made from ", CX_VERSION);
    cx_svg_escape(b, sources);
    cx_buf_printf(b, ". Self-contained: inline SVG charts and CSS, no script, no network."
                         "</footer>\n</body>\n</html>\n");
}

void cx_report_fact(cx_buf_t *b, const char *name, const char *value)
{
    cx_buf_printf(b, "<tr><th>");
    cx_svg_escape(b, name);
    cx_buf_printf(b, "</th><td>");
    cx_svg_escape(b, value);
    cx_buf_printf(b, "</td></tr>\n");
}

void cx_report_figure(cx_buf_t *b, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                      const cx_svg_marker_t *m, int nm, const char *caption)
{
    cx_buf_printf(b, "<figure id=\"fig-");
    cx_svg_escape(b, c->id);
    cx_buf_printf(b, "\">\n");
    cx_svg_chart(b, c, s, ns, m, nm);
    cx_buf_printf(b, "<figcaption>");
    cx_svg_escape(b, caption);
    cx_buf_printf(b, "</figcaption>\n</figure>\n");
}

int cx_report_join(char *buf, size_t cap, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    int w = snprintf(buf, cap, "%.*s/%s", (int)n, dir, name);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

void cx_report_g(char *buf, size_t cap, double v, int sig)
{
    if (isnan(v)) {
        snprintf(buf, cap, "%s", "");
    } else {
        snprintf(buf, cap, "%.*g", sig, v);
    }
}

int cx_report_decimals(double v)
{
    if (!isfinite(v) || v == 0) {
        return 2;
    }
    int d = 3 - (int)floor(log10(fabs(v)));
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

void cx_report_num_cell(cx_buf_t *b, const char *cls, double v, int sig, int decimals,
                        bool signed_)
{
    char g[40], t[64];
    cx_report_g(g, sizeof g, v, sig);
    cx_svg_fmt(t + 1, sizeof t - 1, v, decimals);
    if (signed_ && isfinite(v) && t[1] != '-' && strspn(t + 1, "0.") != strlen(t + 1)) {
        t[0] = '+';
    } else {
        memmove(t, t + 1, strlen(t + 1) + 1);
    }
    cx_buf_printf(b, "<td class=\"num%s%s\" data-value=\"%s\">", cls && *cls ? " " : "",
                      cls ? cls : "", g);
    cx_svg_escape(b, t);
    cx_buf_printf(b, "</td>");
}
