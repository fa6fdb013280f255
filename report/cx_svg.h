/*  cx_svg — chart primitives for offline reports: linear scales, "nice"
 *  axis ticks, fixed number formatting, XML escaping, decimation of long
 *  series, and a line chart (polylines, confidence bands, labelled vertical
 *  markers, legend) written as one inline <svg> element.
 *
 *  Output is well-formed XML (every element closed, attributes quoted,
 *  text escaped, invalid UTF-8 and control characters replaced), so a page
 *  made of these charts parses with any XML parser. Output is a pure
 *  function of the inputs: numbers are printed with fixed decimals and
 *  never as "-0", nothing depends on time, locale (only the C locale's
 *  "." is produced) or addresses.
 *
 *  Each chart carries its scale as attributes so that a reader can map a
 *  pixel back to a value:
 *      data-xmin, data-xmax   the x domain (ticks)
 *      data-ymin, data-ymax   the y domain (nice-rounded)
 *      data-px0, data-px1     the plot area's left and right pixel
 *      data-py0, data-py1     the plot area's top and bottom pixel
 *  so x_px = px0 + (x - xmin) / (xmax - xmin) * (px1 - px0) and
 *  y_px = py1 - (y - ymin) / (ymax - ymin) * (py1 - py0).
 *  A series is a <polyline class="series" data-series="KEY"> (several
 *  when NaN values break it), a band a <polygon class="band"
 *  data-series="KEY">, a marker a <g class="marker" data-x="X"> holding a
 *  <line> and a <text class="marker-label">. A series with error bars has
 *  a <circle class="point" data-series="KEY"> per point (its centre at the
 *  point) and a <path class="errorbar" data-series="KEY"> per interval.
 *
 *  Ownership: the caller owns every input and the output buffer; nothing
 *  is kept. Errors: the text buffer records out of memory in its `oom`
 *  flag (see cx_exp_util.h); cx_svg_chart returns -1 then, 0 otherwise.
 *  NaN values are skipped (they break a line), never drawn.
 */
#ifndef CX_SVG_H
#define CX_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_exp_util.h"

#define CX_SVG_MAX_POINTS 2000 /* a polyline of more points is decimated */

/* A linear map from a domain [d0, d1] to pixels [p0, p1] (p1 < p0 for a y
 * axis, whose pixels grow downwards). */
typedef struct {
    double d0, d1; /* domain */
    double p0, p1; /* range, pixels */
} cx_svg_scale_t;

/* The pixel of v; the middle of the range when the domain is empty. */
double cx_svg_map(const cx_svg_scale_t *s, double v);
/* The value at pixel p (inverse of cx_svg_map). */
double cx_svg_unmap(const cx_svg_scale_t *s, double p);

/* A "nice" axis: lo and hi rounded out to multiples of step, step one of
 * 1, 2, 2.5 or 5 times a power of ten, ticks from lo to hi. */
typedef struct {
    double lo, hi; /* axis range, multiples of step */
    double step;   /* distance between ticks */
    int n;         /* ticks, lo + i * step for i in 0 .. n-1 */
    int decimals;  /* decimals that print every tick exactly */
} cx_svg_axis_t;

/* The nice step for a range split into about `target` intervals. */
double cx_svg_nice_step(double range, int target);

/* An axis covering [lo, hi] with about `target` intervals (target >= 2).
 * An empty or one-value range is widened around its value; infinite or
 * NaN bounds give the axis 0..1. */
void cx_svg_nice_axis(double lo, double hi, int target, cx_svg_axis_t *ax);

/* Integer ticks for an x axis of ticks [lo, hi] (lo, hi kept as they are):
 * the first multiple of the step at or after lo, the step nice and >= 1.
 * Fills ax (ax->lo = lo, ax->hi = hi; ticks start at ax->lo rounded up). */
void cx_svg_int_axis(double lo, double hi, int target, cx_svg_axis_t *ax);

/* v with `decimals` decimals, "-0" and "-0.00" printed without the sign,
 * "nan" printed as "-". */
void cx_svg_fmt(char *buf, size_t cap, double v, int decimals);

/* v with `decimals` decimals and a thousands separator (',') in its
 * integer part: 1234567.5 -> "1,234,567.5". */
void cx_svg_fmt_grouped(char *buf, size_t cap, double v, int decimals);

/* An axis label for v on an axis of this step: plain below 10,000, else in
 * thousands ("250k") or millions ("1.5M"), with the decimals the step
 * needs. */
void cx_svg_fmt_tick(char *buf, size_t cap, double v, double step, double max_abs);

/* Appends s as XML text (also valid inside a quoted attribute): & < > " '
 * escaped, control characters other than tab and newline and invalid UTF-8
 * bytes replaced by '?'. */
void cx_svg_escape(cx_buf_t *b, const char *s);

/* Picks the points of a long series to draw: all of them when n <=
 * max_points; otherwise, per pixel column of the x scale, the lowest and
 * the highest (in their order), plus the first and the last point.
 * Points with a NaN y are kept (they break the line). Fills idx (room for
 * n entries) with increasing indexes; returns how many. */
int cx_svg_decimate(const double *x, const double *y, int n, const cx_svg_scale_t *xs,
                    int max_points, int *idx);

/* One line of a chart, with an optional band (lo/hi, e.g. a 95% CI). */
typedef struct {
    const char *key;   /* data-series attribute: [a-z0-9_] */
    const char *label; /* legend text (NULL: not in the legend) */
    const double *x;   /* x values, increasing */
    const double *y;   /* y values (NULL: band only) */
    const double *lo;  /* band's lower edge (NULL: no band) */
    const double *hi;  /* band's upper edge */
    int n;             /* points */
    const char *color; /* stroke, e.g. "#1f5fa8" */
    double width;      /* stroke width, pixels (0: 1.6) */
    const char *dash;  /* stroke-dasharray, or NULL */
    double opacity;    /* stroke opacity (0: 1) */
    bool error_bars;   /* lo/hi drawn as error bars at each point, and each point as a
                          <circle class="point">, instead of a band */
    bool no_line;      /* with error_bars: the points alone, no polyline through them */
} cx_svg_series_t;

/* A labelled vertical line at x (a timeline event, the payback tick). */
typedef struct {
    double x;          /* x value */
    const char *label; /* text next to its top */
    const char *color; /* NULL: dark grey */
} cx_svg_marker_t;

typedef struct {
    const char *id;            /* the svg's id, e.g. "chart-nps" */
    const char *title;         /* drawn at the top */
    const char *x_label;       /* under the x axis, e.g. "tick (week)" */
    const char *y_label;       /* unit, drawn above the y axis, e.g. "points" */
    int width, height;         /* pixels (0: 720 x 260) */
    bool zero_line;            /* draw y = 0 when in range, and include 0 in the range */
    bool y_include_zero;       /* widen the y range to include 0 */
    bool x_real;               /* x ticks at "nice" values, not only integers */
    double x_pad;              /* widen the x domain by this share of its range on both sides */
    const char *const *x_cats; /* category axis: x = 0 .. n_x_cats-1, labelled by these */
    int n_x_cats;              /* (the domain is then -0.5 .. n_x_cats - 0.5) */
} cx_svg_chart_t;

/* Appends one <svg> line chart. Returns 0, or -1 when out of memory. */
int cx_svg_chart(cx_buf_t *out, const cx_svg_chart_t *c, const cx_svg_series_t *s, int ns,
                 const cx_svg_marker_t *m, int nm);

/* One bar of a horizontal bar chart (a tornado): from 0 to value, with a
 * whisker from lo to hi (e.g. a 95% CI; NaN: none). A NaN value draws no
 * bar, only its label. */
typedef struct {
    const char *key;   /* data-key attribute: [a-z0-9_] */
    const char *label; /* drawn left of the plot area */
    double value;      /* the bar's end (its start is 0) */
    double lo, hi;     /* whisker */
    const char *color; /* fill (NULL: by sign, blue >= 0, vermilion < 0) */
} cx_svg_bar_t;

/* Appends one <svg> chart of horizontal bars, bar 0 at the top, with the
 * same data-* scale attributes as cx_svg_chart: x is the value axis (nice,
 * always including 0); bar i sits at y = n - 1 - i on a y domain of
 * -0.5 .. n - 0.5. A bar is a <rect class="bar" data-key="KEY"
 * data-value="V"> from x(0) to x(V) (its width is |V| in pixels of the
 * scale); a whisker a <path class="whisker" data-key="KEY"
 * data-lo="LO" data-hi="HI">; the zero line a <line class="zero">. The
 * left margin fits the longest label. Returns 0, or -1 when out of
 * memory. */
int cx_svg_hbars(cx_buf_t *out, const cx_svg_chart_t *c, const cx_svg_bar_t *bars, int n);

/* The colour of line i of a multi-line chart (a colour-blind-safe cycle). */
const char *cx_svg_palette(int i);

#endif
