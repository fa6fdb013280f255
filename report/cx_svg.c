/*  cx_svg — chart primitives for offline reports (see cx_svg.h). */
#include "cx_svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FONT "font-family=\"sans-serif\""
#define S_INK "#222"     /* text */
#define S_MUTED "#666"   /* axis labels */
#define S_AXIS "#888"    /* axis lines */
#define S_GRID "#e8e8e8" /* grid lines */
#define S_MARKER "#555"  /* marker lines */
#define S_CHAR_W 6.1     /* estimated width of a character at font-size 11 */
#define S_MARKER_ROWS 4  /* rows of marker labels before they overlap */

double cx_svg_map(const cx_svg_scale_t *s, double v)
{
    double span = s->d1 - s->d0;
    if (!(span != 0) || !isfinite(span)) {
        return (s->p0 + s->p1) / 2;
    }
    return s->p0 + (v - s->d0) / span * (s->p1 - s->p0);
}

double cx_svg_unmap(const cx_svg_scale_t *s, double p)
{
    double span = s->p1 - s->p0;
    if (!(span != 0)) {
        return s->d0;
    }
    return s->d0 + (p - s->p0) / span * (s->d1 - s->d0);
}

/* Decimals that print multiples of step exactly (1, 2, 2.5 or 5 x 10^e). */
static int s_step_decimals(double step)
{
    if (!(step > 0) || !isfinite(step)) {
        return 0;
    }
    double e = floor(log10(step) + 1e-9);
    double m = step / pow(10, e);
    int d = (int)-e + (fabs(m - 2.5) < 1e-6 ? 1 : 0);
    return d < 0 ? 0 : d > 12 ? 12 : d;
}

double cx_svg_nice_step(double range, int target)
{
    if (target < 1) {
        target = 1;
    }
    if (!(range > 0) || !isfinite(range)) {
        return 1;
    }
    double raw = range / target;
    double e = floor(log10(raw));
    double p = pow(10, e);
    double f = raw / p;
    double nf = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10;
    return nf * p;
}

void cx_svg_nice_axis(double lo, double hi, int target, cx_svg_axis_t *ax)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
        double w = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= w;
        hi += w;
    }
    double step = cx_svg_nice_step(hi - lo, target < 2 ? 2 : target);
    double k0 = floor(lo / step + 1e-9);
    double k1 = ceil(hi / step - 1e-9);
    if (k1 <= k0) {
        k1 = k0 + 1;
    }
    ax->step = step;
    ax->lo = k0 * step;
    ax->hi = k1 * step;
    ax->n = (int)(k1 - k0) + 1;
    ax->decimals = s_step_decimals(step);
}

void cx_svg_int_axis(double lo, double hi, int target, cx_svg_axis_t *ax)
{
    if (!isfinite(lo) || !isfinite(hi) || hi < lo) {
        lo = 0;
        hi = 1;
    }
    double step = cx_svg_nice_step(hi - lo, target < 2 ? 2 : target);
    if (step < 1) {
        step = 1;
    }
    if (fabs(step - round(step)) > 1e-9) { /* 2.5 -> 2, 25 stays */
        step = floor(step);
    }
    double first = ceil(lo / step - 1e-9) * step;
    ax->lo = lo;
    ax->hi = hi;
    ax->step = step;
    ax->n = first > hi + 1e-9 ? 0 : (int)floor((hi - first) / step + 1e-9) + 1;
    ax->decimals = 0;
}

/* Removes the sign of an all-zero number ("-0.00" -> "0.00"). */
static void s_unsign_zero(char *buf)
{
    if (buf[0] != '-') {
        return;
    }
    for (const char *p = buf + 1; *p; p++) {
        if (*p != '0' && *p != '.') {
            return;
        }
    }
    memmove(buf, buf + 1, strlen(buf));
}

void cx_svg_fmt(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "-");
        return;
    }
    snprintf(buf, cap, "%.*f", decimals < 0 ? 0 : decimals, v);
    s_unsign_zero(buf);
}

void cx_svg_fmt_grouped(char *buf, size_t cap, double v, int decimals)
{
    char raw[64];
    cx_svg_fmt(raw, sizeof raw, v, decimals);
    if (cap == 0) {
        return;
    }
    const char *digits = raw[0] == '-' ? raw + 1 : raw;
    const char *dot = strchr(digits, '.');
    size_t nint = dot ? (size_t)(dot - digits) : strlen(digits);
    if (strcmp(raw, "-") == 0 || nint <= 3) {
        snprintf(buf, cap, "%s", raw);
        return;
    }
    char out[96];
    size_t o = 0;
    if (raw[0] == '-') {
        out[o++] = '-';
    }
    for (size_t i = 0; i < nint; i++) {
        if (i > 0 && (nint - i) % 3 == 0) {
            out[o++] = ',';
        }
        out[o++] = digits[i];
    }
    snprintf(out + o, sizeof out - o, "%s", digits + nint);
    snprintf(buf, cap, "%s", out);
}

void cx_svg_fmt_tick(char *buf, size_t cap, double v, double step, double max_abs)
{
    double scale = 1;
    const char *suffix = "";
    if (max_abs >= 1e6) {
        scale = 1e6;
        suffix = "M";
    } else if (max_abs >= 1e4) {
        scale = 1e3;
        suffix = "k";
    }
    char num[64];
    cx_svg_fmt(num, sizeof num, v / scale, s_step_decimals(step / scale));
    bool zero = strspn(num, "0.") == strlen(num);
    snprintf(buf, cap, "%s%s", zero ? "0" : num, zero ? "" : suffix);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static int s_utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    int n;
    unsigned min;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff) {
        return 0;
    }
    return n;
}

void cx_svg_escape(cx_buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x7f && *p != '&' && *p != '<' && *p != '>' && *p != '"' &&
               *p != '\'') {
            p++;
        }
        if (p > run) {
            cx_buf_printf(b, "%.*s", (int)(p - run), (const char *)run);
        }
        if (!*p) {
            break;
        }
        switch (*p) {
        case '&':
            cx_buf_printf(b, "&amp;");
            p++;
            continue;
        case '<':
            cx_buf_printf(b, "&lt;");
            p++;
            continue;
        case '>':
            cx_buf_printf(b, "&gt;");
            p++;
            continue;
        case '"':
            cx_buf_printf(b, "&quot;");
            p++;
            continue;
        case '\'':
            cx_buf_printf(b, "&#39;");
            p++;
            continue;
        case '\t':
        case '\n':
            cx_buf_printf(b, "%c", (char)*p);
            p++;
            continue;
        default:
            break;
        }
        if (*p < 0x80) { /* other control characters, DEL */
            cx_buf_printf(b, "?");
            p++;
            continue;
        }
        int n = s_utf8_len(p);
        if (n == 0) {
            cx_buf_printf(b, "?");
            p++;
        } else {
            cx_buf_printf(b, "%.*s", n, (const char *)p);
            p += n;
        }
    }
}

static int s_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int cx_svg_decimate(const double *x, const double *y, int n, const cx_svg_scale_t *xs,
                    int max_points, int *idx)
{
    if (n <= 0) {
        return 0;
    }
    if (n <= max_points) {
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return n;
    }
    int m = 0;
    int i = 0;
    while (i < n) {
        double col = floor(cx_svg_map(xs, x[i]));
        int j = i, lo = -1, hi = -1, gap = -1;
        while (j < n && floor(cx_svg_map(xs, x[j])) == col) {
            if (isnan(y[j])) {
                gap = gap < 0 ? j : gap;
            } else {
                lo = lo < 0 || y[j] < y[lo] ? j : lo;
                hi = hi < 0 || y[j] > y[hi] ? j : hi;
            }
            j++;
        }
        if (j == i) { /* NaN x: its own column */
            j = i + 1;
            gap = i;
        }
        int c[5], nc = 0;
        if (i == 0) {
            c[nc++] = 0;
        }
        if (j == n) {
            c[nc++] = n - 1;
        }
        if (lo >= 0) {
            c[nc++] = lo;
        }
        if (hi >= 0) {
            c[nc++] = hi;
        }
        if (gap >= 0) {
            c[nc++] = gap;
        }
        qsort(c, (size_t)nc, sizeof c[0], s_cmp_int);
        for (int k = 0; k < nc; k++) {
            if (m == 0 || idx[m - 1] != c[k]) {
                idx[m++] = c[k];
            }
        }
        i = j;
    }
    return m;
}

const char *cx_svg_palette(int i)
{
    /* Okabe-Ito, without its yellow (too pale on white). */
    static const char *const p[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                    "#56b4e9", "#d55e00", "#000000", "#999999"};
    return p[(i < 0 ? -i : i) % (int)(sizeof p / sizeof p[0])];
}

/* Appends a coordinate with two decimals and a trailing separator. */
static void s_xy(cx_buf_t *b, double x, double y, bool first)
{
    char bx[32], by[32];
    cx_svg_fmt(bx, sizeof bx, x, 2);
    cx_svg_fmt(by, sizeof by, y, 2);
    cx_buf_printf(b, "%s%s,%s", first ? "" : " ", bx, by);
}

static void s_attr_num(cx_buf_t *b, const char *name, double v, int decimals)
{
    char t[40];
    cx_svg_fmt(t, sizeof t, v, decimals);
    cx_buf_printf(b, " %s=\"%s\"", name, t);
}

/* Decimals of a data-* value: enough to map a pixel back exactly. */
static int s_data_decimals(double v)
{
    double a = fabs(v);
    return a >= 1e6 ? 2 : a >= 1e3 ? 4 : 6;
}

static void s_stroke(cx_buf_t *b, const cx_svg_series_t *s)
{
    char w[16];
    cx_svg_fmt(w, sizeof w, s->width > 0 ? s->width : 1.6, 1);
    cx_buf_printf(b, " fill=\"none\" stroke=\"");
    cx_svg_escape(b, s->color ? s->color : S_INK);
    cx_buf_printf(b, "\" stroke-width=\"%s\" stroke-linejoin=\"round\"", w);
    if (s->dash) {
        cx_buf_printf(b, " stroke-dasharray=\"");
        cx_svg_escape(b, s->dash);
        cx_buf_printf(b, "\"");
    }
    if (s->opacity > 0 && s->opacity < 1) {
        s_attr_num(b, "stroke-opacity", s->opacity, 2);
    }
}

static void s_polylines(cx_buf_t *b, const cx_svg_series_t *s, const cx_svg_scale_t *xs,
                        const cx_svg_scale_t *ys, int *idx)
{
    int m = cx_svg_decimate(s->x, s->y, s->n, xs, CX_SVG_MAX_POINTS, idx);
    int k = 0;
    while (k < m) {
        while (k < m && (isnan(s->y[idx[k]]) || isnan(s->x[idx[k]]))) {
            k++;
        }
        if (k == m) {
            break;
        }
        cx_buf_printf(b, "<polyline class=\"series\" data-series=\"");
        cx_svg_escape(b, s->key);
        cx_buf_printf(b, "\"");
        s_stroke(b, s);
        cx_buf_printf(b, " points=\"");
        bool first = true;
        while (k < m && !isnan(s->y[idx[k]]) && !isnan(s->x[idx[k]])) {
            int i = idx[k++];
            s_xy(b, cx_svg_map(xs, s->x[i]), cx_svg_map(ys, s->y[i]), first);
            first = false;
        }
        cx_buf_printf(b, "\"/>\n");
    }
}

/* The band of s as polygons (one per run of finite lo/hi). Long bands are
 * reduced to their envelope per pixel column. */
static void s_band(cx_buf_t *b, const cx_svg_series_t *s, const cx_svg_scale_t *xs,
                   const cx_svg_scale_t *ys, double *bx, double *blo, double *bhi)
{
    int m = 0;
    bool decimate = s->n > CX_SVG_MAX_POINTS;
    for (int i = 0; i < s->n;) {
        bool ok = isfinite(s->x[i]) && isfinite(s->lo[i]) && isfinite(s->hi[i]);
        if (!decimate || !ok) {
            bx[m] = s->x[i];
            blo[m] = ok ? s->lo[i] : NAN;
            bhi[m] = ok ? s->hi[i] : NAN;
            m++;
            i++;
            continue;
        }
        double col = floor(cx_svg_map(xs, s->x[i]));
        double lo = s->lo[i], hi = s->hi[i];
        int j = i + 1;
        while (j < s->n && isfinite(s->x[j]) && isfinite(s->lo[j]) && isfinite(s->hi[j]) &&
               floor(cx_svg_map(xs, s->x[j])) == col) {
            lo = fmin(lo, s->lo[j]);
            hi = fmax(hi, s->hi[j]);
            j++;
        }
        bx[m] = s->x[i];
        blo[m] = lo;
        bhi[m] = hi;
        m++;
        if (j - 1 > i && (j == s->n || !isfinite(s->lo[j]) || !isfinite(s->hi[j]))) {
            bx[m] = s->x[j - 1]; /* keep the run's last x */
            blo[m] = lo;
            bhi[m] = hi;
            m++;
        }
        i = j;
    }
    int k = 0;
    while (k < m) {
        while (k < m && isnan(blo[k])) {
            k++;
        }
        int e = k;
        while (e < m && !isnan(blo[e])) {
            e++;
        }
        if (e > k) {
            cx_buf_printf(b, "<polygon class=\"band\" data-series=\"");
            cx_svg_escape(b, s->key);
            cx_buf_printf(b, "\" fill=\"");
            cx_svg_escape(b, s->color ? s->color : S_INK);
            cx_buf_printf(b, "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"");
            for (int i = k; i < e; i++) {
                s_xy(b, cx_svg_map(xs, bx[i]), cx_svg_map(ys, bhi[i]), i == k);
            }
            for (int i = e - 1; i >= k; i--) {
                s_xy(b, cx_svg_map(xs, bx[i]), cx_svg_map(ys, blo[i]), false);
            }
            cx_buf_printf(b, "\"/>\n");
        }
        k = e;
    }
}

/* Error bars (lo to hi, with caps) and a dot at each point of s. */
static void s_error_bars(cx_buf_t *b, const cx_svg_series_t *s, const cx_svg_scale_t *xs,
                         const cx_svg_scale_t *ys)
{
    const char *color = s->color ? s->color : S_INK;
    for (int i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i])) {
            continue;
        }
        double x = cx_svg_map(xs, s->x[i]);
        if (s->lo && s->hi && isfinite(s->lo[i]) && isfinite(s->hi[i])) {
            char px[32], pl[32], ph[32], c0[32], c1[32];
            cx_svg_fmt(px, sizeof px, x, 2);
            cx_svg_fmt(pl, sizeof pl, cx_svg_map(ys, s->lo[i]), 2);
            cx_svg_fmt(ph, sizeof ph, cx_svg_map(ys, s->hi[i]), 2);
            cx_svg_fmt(c0, sizeof c0, x - 4, 2);
            cx_svg_fmt(c1, sizeof c1, x + 4, 2);
            cx_buf_printf(b, "<path class=\"errorbar\" data-series=\"");
            cx_svg_escape(b, s->key);
            cx_buf_printf(b,
                              "\" d=\"M%s,%s V%s M%s,%s H%s M%s,%s H%s\" fill=\"none\" stroke=\"",
                              px, ph, pl, c0, ph, c1, c0, pl, c1);
            cx_svg_escape(b, color);
            cx_buf_printf(b, "\" stroke-width=\"1.2\"/>\n");
        }
        if (s->y && isfinite(s->y[i])) {
            cx_buf_printf(b, "<circle class=\"point\" data-series=\"");
            cx_svg_escape(b, s->key);
            cx_buf_printf(b, "\"");
            s_attr_num(b, "cx", x, 2);
            s_attr_num(b, "cy", cx_svg_map(ys, s->y[i]), 2);
            cx_buf_printf(b, " r=\"3.2\" fill=\"");
            cx_svg_escape(b, color);
            cx_buf_printf(b, "\"/>\n");
        }
    }
}

static double s_text_w(const char *s)
{
    /* Characters, not bytes: UTF-8 continuation bytes do not count. */
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += (*p & 0xc0) != 0x80;
    }
    return n * S_CHAR_W;
}

static void s_text(cx_buf_t *b, double x, double y, const char *anchor, const char *extra,
                   const char *text)
{
    cx_buf_printf(b, "<text");
    s_attr_num(b, "x", x, 1);
    s_attr_num(b, "y", y, 1);
    if (anchor) {
        cx_buf_printf(b, " text-anchor=\"%s\"", anchor);
    }
    cx_buf_printf(b, "%s%s>", extra && *extra ? " " : "", extra ? extra : "");
    cx_svg_escape(b, text);
    cx_buf_printf(b, "</text>\n");
}

static void s_line(cx_buf_t *b, double x1, double y1, double x2, double y2, const char *color,
                   const char *extra)
{
    cx_buf_printf(b, "<line");
    s_attr_num(b, "x1", x1, 2);
    s_attr_num(b, "y1", y1, 2);
    s_attr_num(b, "x2", x2, 2);
    s_attr_num(b, "y2", y2, 2);
    cx_buf_printf(b, " stroke=\"%s\"%s%s/>\n", color, extra && *extra ? " " : "",
                      extra ? extra : "");
}

/* Legend rows needed for the labelled series, laid out from x0 to x1. */
static int s_legend_rows(const cx_svg_series_t *s, int ns, double x0, double x1)
{
    int rows = 0;
    double x = x1 + 1;
    for (int i = 0; i < ns; i++) {
        if (!s[i].label) {
            continue;
        }
        double w = 24 + s_text_w(s[i].label) + 16;
        if (rows == 0 || x + w > x1) {
            rows++;
            x = x0;
        }
        x += w;
    }
    return rows;
}

static void s_legend(cx_buf_t *b, const cx_svg_series_t *s, int ns, double x0, double x1,
                     double y0)
{
    int row = -1;
    double x = x1 + 1;
    cx_buf_printf(b, "<g class=\"legend\">\n");
    for (int i = 0; i < ns; i++) {
        if (!s[i].label) {
            continue;
        }
        double w = 24 + s_text_w(s[i].label) + 16;
        if (row < 0 || x + w > x1) {
            row++;
            x = x0;
        }
        double y = y0 + row * 14;
        if (s[i].y) {
            cx_buf_printf(b, "<polyline points=\"");
            s_xy(b, x, y - 4, true);
            s_xy(b, x + 20, y - 4, false);
            cx_buf_printf(b, "\"");
            cx_svg_series_t sample = s[i];
            sample.width = sample.width > 0 ? sample.width : 1.6;
            s_stroke(b, &sample);
            cx_buf_printf(b, "/>\n");
        } else {
            cx_buf_printf(b, "<rect");
            s_attr_num(b, "x", x, 2);
            s_attr_num(b, "y", y - 9, 2);
            cx_buf_printf(b, " width=\"20\" height=\"10\" fill=\"");
            cx_svg_escape(b, s[i].color ? s[i].color : S_INK);
            cx_buf_printf(b, "\" fill-opacity=\"0.18\"/>\n");
        }
        s_text(b, x + 24, y, NULL, "fill=\"" S_INK "\"", s[i].label);
        x += w;
    }
    cx_buf_printf(b, "</g>\n");
}

static void s_range(const double *v, int n, double *lo, double *hi)
{
    if (!v) {
        return;
    }
    for (int i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            *lo = fmin(*lo, v[i]);
            *hi = fmax(*hi, v[i]);
        }
    }
}

/* The plot area of a chart and its axes. */
typedef struct {
    double W, H;             /* the picture */
    double px0, px1;         /* the plot's left and right edges */
    double py0, py1;         /* its top and bottom edges */
    cx_svg_axis_t xa, ya;    /* the axes */
    cx_svg_scale_t xs, ys;   /* data to pixels */
} s_plot_t;

/* The axes of a line chart from its series' domains. Returns the longest
 * series' length. */
static int s_chart_axes(const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns, s_plot_t *p)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int nmax = 0;
    for (int i = 0; i < ns; i++) {
        s_range(s[i].x, s[i].n, &xlo, &xhi);
        s_range(s[i].y, s[i].n, &ylo, &yhi);
        s_range(s[i].lo, s[i].n, &ylo, &yhi);
        s_range(s[i].hi, s[i].n, &ylo, &yhi);
        nmax = s[i].n > nmax ? s[i].n : nmax;
    }
    if (!(xlo <= xhi)) {
        xlo = 0;
        xhi = 1;
    }
    if (xhi == xlo) {
        xhi = xlo + 1;
    }
    if (!(ylo <= yhi)) {
        ylo = 0;
        yhi = 1;
    }
    if (c->y_include_zero || c->zero_line) {
        ylo = fmin(ylo, 0);
        yhi = fmax(yhi, 0);
        if (ylo == 0 && yhi == 0) {
            yhi = 1; /* all zero: 0..1 rather than -1..1 */
        }
    }
    if (c->x_cats && c->n_x_cats > 0) {
        xlo = -0.5;
        xhi = c->n_x_cats - 0.5;
    } else if (c->x_pad > 0) {
        double pad = (xhi - xlo) * c->x_pad;
        xlo -= pad;
        xhi += pad;
    }
    if (c->x_cats && c->n_x_cats > 0) {
        p->xa = (cx_svg_axis_t){.lo = xlo, .hi = xhi, .step = 1, .n = c->n_x_cats};
    } else if (c->x_real) {
        cx_svg_nice_axis(xlo, xhi, 8, &p->xa);
    } else {
        cx_svg_int_axis(xlo, xhi, 8, &p->xa);
    }
    cx_svg_nice_axis(ylo, yhi, 5, &p->ya);
    p->xs = (cx_svg_scale_t){p->xa.lo, p->xa.hi, p->px0, p->px1};
    p->ys = (cx_svg_scale_t){p->ya.lo, p->ya.hi, p->py1, p->py0};
    return nmax;
}

/* The <svg> element (class cls, the data domain and the plot area as
 * data- attributes), its title, background and heading. */
static void s_open(cx_buf_t *out, const cx_svg_chart_t *c, const char *cls, const s_plot_t *p,
                   double ymin, double ymax, int ydec)
{
    cx_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" id=\"", cls);
    cx_svg_escape(out, c->id);
    cx_buf_printf(out, "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"",
                  (int)p->W, (int)p->H, (int)p->W, (int)p->H);
    s_attr_num(out, "data-xmin", p->xa.lo, s_data_decimals(p->xa.lo));
    s_attr_num(out, "data-xmax", p->xa.hi, s_data_decimals(p->xa.hi));
    s_attr_num(out, "data-ymin", ymin, ydec >= 0 ? ydec : s_data_decimals(ymin));
    s_attr_num(out, "data-ymax", ymax, ydec >= 0 ? ydec : s_data_decimals(ymax));
    s_attr_num(out, "data-px0", p->px0, 2);
    s_attr_num(out, "data-px1", p->px1, 2);
    s_attr_num(out, "data-py0", p->py0, 2);
    s_attr_num(out, "data-py1", p->py1, 2);
    cx_buf_printf(out, " " S_FONT " font-size=\"11\">\n<title>");
    cx_svg_escape(out, c->title);
    cx_buf_printf(out, "</title>\n");
    cx_buf_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", (int)p->W,
                  (int)p->H);
    s_text(out, 8, 18, NULL, "font-size=\"13\" font-weight=\"bold\" fill=\"" S_INK "\"", c->title);
}

/* A line chart's grid, axes, their labels and the zero line. */
static void s_chart_frame(cx_buf_t *out, const cx_svg_chart_t *c, const s_plot_t *p)
{
    const cx_svg_axis_t *xa = &p->xa, *ya = &p->ya;
    double ymax_abs = fmax(fabs(ya->lo), fabs(ya->hi));
    cx_buf_printf(out, "<g class=\"y-axis\">\n");
    for (int i = 0; i < ya->n; i++) {
        double v = ya->lo + i * ya->step;
        double y = cx_svg_map(&p->ys, v);
        char t[48];
        cx_svg_fmt_tick(t, sizeof t, v, ya->step, ymax_abs);
        s_line(out, p->px0, y, p->px1, y, S_GRID, NULL);
        s_text(out, p->px0 - 6, y + 4, "end", "fill=\"" S_MUTED "\"", t);
    }
    cx_buf_printf(out, "</g>\n<g class=\"x-axis\">\n");
    for (int i = 0; i < xa->n; i++) {
        double v = ceil(xa->lo / xa->step - 1e-9) * xa->step + i * xa->step;
        double x = cx_svg_map(&p->xs, v);
        char t[48];
        cx_svg_fmt_tick(t, sizeof t, v, xa->step, fmax(fabs(xa->lo), fabs(xa->hi)));
        if (c->x_cats && c->n_x_cats > 0) {
            x = cx_svg_map(&p->xs, i);
        }
        s_line(out, x, p->py1, x, p->py1 + 4, S_AXIS, NULL);
        s_text(out, x, p->py1 + 16, "middle", "fill=\"" S_MUTED "\"",
               c->x_cats && c->n_x_cats > 0 ? (c->x_cats[i] ? c->x_cats[i] : "") : t);
    }
    cx_buf_printf(out, "</g>\n");
    if (c->zero_line && ya->lo < 0 && ya->hi > 0) {
        double y = cx_svg_map(&p->ys, 0);
        s_line(out, p->px0, y, p->px1, y, S_AXIS, "class=\"zero\"");
    }
    s_line(out, p->px0, p->py0, p->px0, p->py1, S_AXIS, NULL);
    s_line(out, p->px0, p->py1, p->px1, p->py1, S_AXIS, NULL);
    if (c->x_label) {
        s_text(out, (p->px0 + p->px1) / 2, p->py1 + 32, "middle", "fill=\"" S_MUTED "\"",
               c->x_label);
    }
    if (c->y_label) {
        char tr[96], cy[32];
        cx_svg_fmt(cy, sizeof cy, (p->py0 + p->py1) / 2, 1);
        snprintf(tr, sizeof tr, "transform=\"rotate(-90 14 %s)\" fill=\"" S_MUTED "\"", cy);
        s_text(out, 14, (p->py0 + p->py1) / 2, "middle", tr, c->y_label);
    }
}

/* Markers: dashed lines; labels in rows so that they do not overlap. */
static void s_markers(cx_buf_t *out, const cx_svg_marker_t *m, int nm, const s_plot_t *p)
{
    double row_end[S_MARKER_ROWS];
    for (int r = 0; r < S_MARKER_ROWS; r++) {
        row_end[r] = -INFINITY;
    }
    for (int i = 0; i < nm; i++) {
        if (!(m[i].x >= p->xa.lo && m[i].x <= p->xa.hi)) {
            continue;
        }
        const char *color = m[i].color ? m[i].color : S_MARKER;
        double x = cx_svg_map(&p->xs, m[i].x);
        double w = s_text_w(m[i].label ? m[i].label : "");
        bool left = x + 3 + w > p->px1;
        double a = left ? x - 3 - w : x + 3, e = left ? x - 3 : x + 3 + w;
        int row = 0;
        for (int r = 0; r < S_MARKER_ROWS; r++) {
            if (row_end[r] + 4 <= a) {
                row = r;
                break;
            }
            row = row_end[r] < row_end[row] ? r : row;
        }
        row_end[row] = fmax(row_end[row], e);
        cx_buf_printf(out, "<g class=\"marker\"");
        s_attr_num(out, "data-x", m[i].x, s_data_decimals(m[i].x));
        cx_buf_printf(out, ">\n");
        s_line(out, x, p->py0, x, p->py1, color, "stroke-dasharray=\"4 3\" stroke-width=\"1\"");
        char extra[160];
        snprintf(extra, sizeof extra,
                 "class=\"marker-label\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"3\" "
                 "paint-order=\"stroke\"",
                 color);
        s_text(out, left ? x - 3 : x + 3, p->py0 + 10 + row * 12, left ? "end" : NULL, extra,
               m[i].label ? m[i].label : "");
        cx_buf_printf(out, "</g>\n");
    }
}

int cx_svg_chart(cx_buf_t *out, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                 const cx_svg_marker_t *m, int nm)
{
    s_plot_t p;
    p.W = c->width > 0 ? c->width : 720;
    double H0 = c->height > 0 ? c->height : 260;
    p.px0 = 64;
    p.px1 = p.W - 20;
    int rows = s_legend_rows(s, ns, p.px0, p.px1);
    p.H = H0 + 14 * rows;
    p.py0 = 30 + 14 * rows + 10;
    p.py1 = p.H - 40;
    int nmax = s_chart_axes(c, s, ns, &p);

    int *idx = malloc((size_t)(nmax > 0 ? nmax : 1) * sizeof *idx);
    double *band = malloc((size_t)(nmax > 0 ? nmax : 1) * 3 * sizeof *band);
    if (!idx || !band) {
        free(idx);
        free(band);
        out->oom = true;
        return -1;
    }
    s_open(out, c, "chart", &p, p.ya.lo, p.ya.hi, -1);
    if (rows) {
        s_legend(out, s, ns, p.px0, p.px1, 34);
    }
    s_chart_frame(out, c, &p);

    /* Bands under lines. */
    for (int i = 0; i < ns; i++) {
        if (s[i].lo && s[i].hi && !s[i].error_bars) {
            s_band(out, &s[i], &p.xs, &p.ys, band, band + nmax, band + 2 * nmax);
        }
    }
    for (int i = 0; i < ns; i++) {
        if (s[i].y && !(s[i].error_bars && s[i].no_line)) {
            s_polylines(out, &s[i], &p.xs, &p.ys, idx);
        }
    }
    for (int i = 0; i < ns; i++) {
        if (s[i].error_bars) {
            s_error_bars(out, &s[i], &p.xs, &p.ys);
        }
    }
    s_markers(out, m, nm, &p);
    cx_buf_printf(out, "</svg>\n");
    free(idx);
    free(band);
    return out->oom ? -1 : 0;
}

/* One bar of a horizontal bar chart (at y) and its whisker. */
static void s_hbar(cx_buf_t *out, const cx_svg_bar_t *r, const cx_svg_scale_t *xs, double y,
                   double x0, double row_h)
{
    if (isfinite(r->value)) {
        double x1 = cx_svg_map(xs, r->value);
        const char *fill = r->color ? r->color : r->value >= 0 ? "#0072b2" : "#d55e00";
        cx_buf_printf(out, "<rect class=\"bar\" data-key=\"");
        cx_svg_escape(out, r->key);
        cx_buf_printf(out, "\"");
        s_attr_num(out, "data-value", r->value, s_data_decimals(r->value) + 4);
        s_attr_num(out, "x", fmin(x0, x1), 3);
        s_attr_num(out, "y", y - row_h * 0.32, 2);
        s_attr_num(out, "width", fabs(x1 - x0), 3);
        s_attr_num(out, "height", row_h * 0.64, 2);
        cx_buf_printf(out, " fill=\"");
        cx_svg_escape(out, fill);
        cx_buf_printf(out, "\" fill-opacity=\"0.8\"/>\n");
    }
    if (isfinite(r->lo) && isfinite(r->hi)) {
        char a[32], z[32], py[32], c0[32], c1[32];
        cx_svg_fmt(a, sizeof a, cx_svg_map(xs, r->lo), 2);
        cx_svg_fmt(z, sizeof z, cx_svg_map(xs, r->hi), 2);
        cx_svg_fmt(py, sizeof py, y, 2);
        cx_svg_fmt(c0, sizeof c0, y - 5, 2);
        cx_svg_fmt(c1, sizeof c1, y + 5, 2);
        cx_buf_printf(out, "<path class=\"whisker\" data-key=\"");
        cx_svg_escape(out, r->key);
        cx_buf_printf(out, "\"");
        s_attr_num(out, "data-lo", r->lo, s_data_decimals(r->lo) + 4);
        s_attr_num(out, "data-hi", r->hi, s_data_decimals(r->hi) + 4);
        cx_buf_printf(out,
                      " d=\"M%s,%s H%s M%s,%s V%s M%s,%s V%s\" fill=\"none\" "
                      "stroke=\"" S_INK "\" stroke-width=\"1.2\"/>\n",
                      a, py, z, a, c0, c1, z, c0, c1);
    }
}

int cx_svg_hbars(cx_buf_t *out, const cx_svg_chart_t *c, const cx_svg_bar_t *bars, int n)
{
    s_plot_t p;
    p.W = c->width > 0 ? c->width : 720;
    double row_h = 24;
    double lw = 0;
    for (int i = 0; i < n; i++) {
        lw = fmax(lw, s_text_w(bars[i].label ? bars[i].label : ""));
    }
    p.px0 = fmax(64, 14 + lw + 10);
    p.px1 = p.W - 20;
    if (p.px0 > p.W / 2) {
        p.px0 = p.W / 2;
    }
    p.py0 = 40;
    p.py1 = p.py0 + row_h * (n > 0 ? n : 1);
    p.H = p.py1 + 40;

    double lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        const double v[3] = {bars[i].value, bars[i].lo, bars[i].hi};
        for (int k = 0; k < 3; k++) {
            if (isfinite(v[k])) {
                lo = fmin(lo, v[k]);
                hi = fmax(hi, v[k]);
            }
        }
    }
    if (lo == 0 && hi == 0) {
        hi = 1;
    }
    cx_svg_nice_axis(lo, hi, 6, &p.xa);
    p.xs = (cx_svg_scale_t){p.xa.lo, p.xa.hi, p.px0, p.px1};
    double ymin = -0.5, ymax = n > 0 ? n - 0.5 : 0.5;
    p.ys = (cx_svg_scale_t){ymin, ymax, p.py1, p.py0};
    s_open(out, c, "chart hbars", &p, ymin, ymax, 1);

    double amax = fmax(fabs(p.xa.lo), fabs(p.xa.hi));
    cx_buf_printf(out, "<g class=\"x-axis\">\n");
    for (int i = 0; i < p.xa.n; i++) {
        double v = p.xa.lo + i * p.xa.step;
        double x = cx_svg_map(&p.xs, v);
        char t[64];
        cx_svg_fmt_tick(t, sizeof t, v, p.xa.step, amax);
        s_line(out, x, p.py0, x, p.py1, S_GRID, NULL);
        s_line(out, x, p.py1, x, p.py1 + 4, S_AXIS, NULL);
        s_text(out, x, p.py1 + 16, "middle", "fill=\"" S_MUTED "\"", t);
    }
    cx_buf_printf(out, "</g>\n<g class=\"y-axis\">\n");
    for (int i = 0; i < n; i++) {
        double y = cx_svg_map(&p.ys, n - 1 - i);
        s_text(out, p.px0 - 8, y + 4, "end", "fill=\"" S_INK "\"",
               bars[i].label ? bars[i].label : "");
    }
    cx_buf_printf(out, "</g>\n");
    s_line(out, p.px0, p.py1, p.px1, p.py1, S_AXIS, NULL);
    if (c->x_label) {
        s_text(out, (p.px0 + p.px1) / 2, p.py1 + 32, "middle", "fill=\"" S_MUTED "\"", c->x_label);
    }
    double x0 = cx_svg_map(&p.xs, 0);
    for (int i = 0; i < n; i++) {
        s_hbar(out, &bars[i], &p.xs, cx_svg_map(&p.ys, n - 1 - i), x0, row_h);
    }
    if (p.xa.lo < 0 && p.xa.hi > 0) {
        s_line(out, x0, p.py0, x0, p.py1, S_AXIS, "class=\"zero\"");
    } else {
        s_line(out, x0, p.py0, x0, p.py1, S_AXIS, NULL);
    }
    cx_buf_printf(out, "</svg>\n");
    return out->oom ? -1 : 0;
}
