/*  Report charts: scales, nice axis ticks, number formats, XML escaping,
 *  decimation of long series, and a chart whose scale attributes map its
 *  pixels back to the data. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_svg.h"

static void s_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "got %.12g, want %.12g (tolerance %g)\n", got, want, tol);
    }
    assert_true(fabs(got - want) <= tol);
}

static void test_scale(void **state)
{
    (void)state;
    cx_svg_scale_t x = {0, 100, 64, 700};
    s_close(cx_svg_map(&x, 0), 64, 1e-12);
    s_close(cx_svg_map(&x, 100), 700, 1e-12);
    s_close(cx_svg_map(&x, 50), 382, 1e-12);
    s_close(cx_svg_unmap(&x, 382), 50, 1e-12);
    cx_svg_scale_t y = {-20, 40, 220, 40}; /* y grows downwards */
    s_close(cx_svg_map(&y, -20), 220, 1e-12);
    s_close(cx_svg_map(&y, 40), 40, 1e-12);
    s_close(cx_svg_map(&y, 10), 130, 1e-12);
    s_close(cx_svg_unmap(&y, 130), 10, 1e-12);
    cx_svg_scale_t flat = {5, 5, 0, 10};
    s_close(cx_svg_map(&flat, 5), 5, 1e-12);
}

static void test_nice_step(void **state)
{
    (void)state;
    s_close(cx_svg_nice_step(100, 5), 20, 1e-12);
    s_close(cx_svg_nice_step(1, 5), 0.2, 1e-12);
    s_close(cx_svg_nice_step(12, 5), 2.5, 1e-12);
    s_close(cx_svg_nice_step(37, 5), 5, 1e-12);
    s_close(cx_svg_nice_step(7e6, 5), 1e6, 1e-3);
    s_close(cx_svg_nice_step(0, 5), 1, 0);
    s_close(cx_svg_nice_step(NAN, 5), 1, 0);
}

static void test_nice_axis(void **state)
{
    (void)state;
    cx_svg_axis_t a;
    cx_svg_nice_axis(-6.2, 32.5, 5, &a);
    s_close(a.step, 10, 1e-12);
    s_close(a.lo, -10, 1e-12);
    s_close(a.hi, 40, 1e-12);
    assert_int_equal(a.n, 6);
    assert_int_equal(a.decimals, 0);
    /* Bounds already on the grid stay there. */
    cx_svg_nice_axis(0, 1, 5, &a);
    s_close(a.lo, 0, 1e-12);
    s_close(a.hi, 1, 1e-12);
    s_close(a.step, 0.2, 1e-12);
    assert_int_equal(a.n, 6);
    assert_int_equal(a.decimals, 1);
    cx_svg_nice_axis(0.3, 0.7, 4, &a);
    s_close(a.lo, 0.3, 1e-12);
    s_close(a.hi, 0.7, 1e-12);
    assert_int_equal(a.decimals, 1);
    /* 2.5 steps need one more decimal. */
    cx_svg_nice_axis(0, 12, 5, &a);
    s_close(a.step, 2.5, 1e-12);
    assert_int_equal(a.decimals, 1);
    cx_svg_nice_axis(0, 1200, 5, &a);
    s_close(a.step, 250, 1e-12);
    assert_int_equal(a.decimals, 0);
    /* One value: widened around it; reversed bounds; NaN. */
    cx_svg_nice_axis(3, 3, 5, &a);
    assert_true(a.lo < 3 && a.hi > 3);
    cx_svg_nice_axis(0, 0, 5, &a);
    assert_true(a.lo <= -1 && a.hi >= 1);
    cx_svg_nice_axis(10, -10, 5, &a);
    s_close(a.lo, -10, 1e-12);
    s_close(a.hi, 10, 1e-12);
    cx_svg_nice_axis(NAN, 1, 5, &a);
    s_close(a.lo, 0, 1e-12);
    s_close(a.hi, 1, 1e-12);
    /* Every tick is inside and the range covers the data. */
    for (double hi = 0.013; hi < 1e7; hi *= 3.7) {
        cx_svg_nice_axis(-hi / 3, hi, 5, &a);
        assert_true(a.lo <= -hi / 3 && a.hi >= hi);
        assert_true(a.n >= 3 && a.n <= 12);
        s_close(a.lo + (a.n - 1) * a.step, a.hi, 1e-9 * hi);
    }
}

static void test_int_axis(void **state)
{
    (void)state;
    cx_svg_axis_t a;
    cx_svg_int_axis(0, 59, 8, &a);
    s_close(a.lo, 0, 0);
    s_close(a.hi, 59, 0);
    s_close(a.step, 5, 0);
    assert_int_equal(a.n, 12); /* 0, 5, ..., 55 */
    cx_svg_int_axis(3, 7, 8, &a);
    s_close(a.step, 1, 0);
    assert_int_equal(a.n, 5);
    cx_svg_int_axis(0, 12, 5, &a); /* 2.5 is no tick step */
    s_close(a.step, 2, 0);
    cx_svg_int_axis(0, 99999, 8, &a);
    s_close(a.step, 10000, 0);
    assert_int_equal(a.n, 10);
}

static void test_format(void **state)
{
    (void)state;
    char b[64];
    cx_svg_fmt(b, sizeof b, 6.153846154, 1);
    assert_string_equal(b, "6.2");
    cx_svg_fmt(b, sizeof b, -0.0001, 2);
    assert_string_equal(b, "0.00");
    cx_svg_fmt(b, sizeof b, -0.0, 0);
    assert_string_equal(b, "0");
    cx_svg_fmt(b, sizeof b, NAN, 2);
    assert_string_equal(b, "-");
    cx_svg_fmt_grouped(b, sizeof b, 1177308.45, 0);
    assert_string_equal(b, "1,177,308");
    cx_svg_fmt_grouped(b, sizeof b, -1234.5, 1);
    assert_string_equal(b, "-1,234.5");
    cx_svg_fmt_grouped(b, sizeof b, 999, 0);
    assert_string_equal(b, "999");
    cx_svg_fmt_tick(b, sizeof b, 250000, 250000, 1e6);
    assert_string_equal(b, "0.25M");
    cx_svg_fmt_tick(b, sizeof b, 12500, 2500, 12500);
    assert_string_equal(b, "12.5k");
    cx_svg_fmt_tick(b, sizeof b, 0, 2500, 12500);
    assert_string_equal(b, "0");
    cx_svg_fmt_tick(b, sizeof b, -20, 10, 40);
    assert_string_equal(b, "-20");
}

static void test_escape(void **state)
{
    (void)state;
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_svg_escape(&b, "a<b & \"c\" 'd'>\x01\xff caf\xc3\xa9 \xe2\x86\x92");
    assert_false(b.oom);
    assert_string_equal(cx_exp_buf_str(&b),
                        "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;?? caf\xc3\xa9 \xe2\x86\x92");
    cx_exp_buf_reset(&b);
    cx_svg_escape(&b, "\xe2\x86"); /* truncated sequence */
    assert_string_equal(cx_exp_buf_str(&b), "??");
    cx_exp_buf_fini(&b);
}

static void test_decimate(void **state)
{
    (void)state;
    enum { N = 10000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    int *idx = malloc(N * sizeof *idx);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(idx);
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = sin(i * 0.01) + (i == 4321 ? 50 : 0) - (i == 777 ? 50 : 0);
    }
    cx_svg_scale_t xs = {0, N - 1, 64, 700};
    /* Short series: every point. */
    assert_int_equal(cx_svg_decimate(x, y, 100, &xs, CX_SVG_MAX_POINTS, idx), 100);
    int m = cx_svg_decimate(x, y, N, &xs, CX_SVG_MAX_POINTS, idx);
    assert_true(m > 600 && m <= CX_SVG_MAX_POINTS);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[m - 1], N - 1);
    bool peak = false, dip = false;
    for (int k = 0; k < m; k++) {
        if (k) {
            assert_true(idx[k] > idx[k - 1]);
        }
        peak |= idx[k] == 4321;
        dip |= idx[k] == 777;
    }
    assert_true(peak && dip); /* extremes survive */
    /* Deterministic. */
    int *again = malloc(N * sizeof *again);
    assert_non_null(again);
    assert_int_equal(cx_svg_decimate(x, y, N, &xs, CX_SVG_MAX_POINTS, again), m);
    assert_memory_equal(idx, again, (size_t)m * sizeof *idx);
    free(again);
    free(x);
    free(y);
    free(idx);
}

/* Reads attribute `name` of the first element that has it after `from`. */
static double s_attr(const char *from, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(from, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

static void test_chart(void **state)
{
    (void)state;
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {-3, 10, NAN, 25, 7};
    double lo[5] = {-5, 8, NAN, 20, 5}, hi[5] = {-1, 12, NAN, 30, 9};
    cx_svg_series_t s = {.key = "k",
                         .label = "a <label>",
                         .x = x,
                         .y = y,
                         .lo = lo,
                         .hi = hi,
                         .n = 5,
                         .color = "#0072b2"};
    cx_svg_marker_t m[2] = {{.x = 2,
                             .label = "t=2 it\xe2\x86\x92"
                                      "4"},
                            {.x = 99, .label = "outside"}};
    cx_svg_chart_t c = {.id = "chart-x", .title = "T & U", .x_label = "tick", .y_label = "u"};
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    assert_int_equal(cx_svg_chart(&b, &c, &s, 1, m, 2), 0);
    const char *t = cx_exp_buf_str(&b);
    assert_non_null(strstr(t, "<title>T &amp; U</title>"));
    assert_non_null(strstr(t, "a &lt;label&gt;"));
    /* NaN breaks the line in two, and the band in two. */
    int lines = 0, bands = 0, markers = 0;
    for (const char *p = t; (p = strstr(p, "class=\"series\"")); p++) {
        lines++;
    }
    for (const char *p = t; (p = strstr(p, "class=\"band\"")); p++) {
        bands++;
    }
    for (const char *p = t; (p = strstr(p, "class=\"marker\"")); p++) {
        markers++;
    }
    assert_int_equal(lines, 2);
    assert_int_equal(bands, 2);
    assert_int_equal(markers, 1); /* the one outside the x range is left out */
    assert_non_null(strstr(t, "t=2 it\xe2\x86\x92"
                              "4</text>"));
    /* The last point maps back to its value through the data-* scale. */
    double ymin = s_attr(t, "data-ymin"), ymax = s_attr(t, "data-ymax");
    double py0 = s_attr(t, "data-py0"), py1 = s_attr(t, "data-py1");
    double px0 = s_attr(t, "data-px0"), px1 = s_attr(t, "data-px1");
    double xmin = s_attr(t, "data-xmin"), xmax = s_attr(t, "data-xmax");
    assert_true(ymin <= -5 && ymax >= 30);
    const char *last = strstr(strstr(t, "class=\"series\"") + 1, "class=\"series\"");
    const char *pts = strstr(last, "points=\"") + 8;
    const char *end = strchr(pts, '"');
    const char *sp = end;
    while (sp > pts && sp[-1] != ' ') {
        sp--;
    }
    double lx = strtod(sp, NULL), ly = strtod(strchr(sp, ',') + 1, NULL);
    s_close(xmin + (lx - px0) / (px1 - px0) * (xmax - xmin), 4, 0.01);
    s_close(ymin + (py1 - ly) / (py1 - py0) * (ymax - ymin), 7, 0.01);
    cx_exp_buf_fini(&b);
}

/* Horizontal bars: one <rect class="bar"> per finite value, whose width maps
 * back to |value| through the data-* scale, whiskers for finite intervals,
 * 0 inside the x domain. */
static void test_hbars(void **state)
{
    (void)state;
    cx_svg_bar_t bars[4] = {
        {.key = "a", .label = "long_parameter_name", .value = 0.42, .lo = 0.38, .hi = 0.46},
        {.key = "b", .label = "b & c", .value = -0.09, .lo = -0.2, .hi = 0.01},
        {.key = "c", .label = "no interval", .value = 0.1, .lo = NAN, .hi = NAN},
        {.key = "d", .label = "undefined", .value = NAN, .lo = NAN, .hi = NAN},
    };
    cx_svg_chart_t c = {.id = "tornado", .title = "E", .x_label = "elasticity"};
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    assert_int_equal(cx_svg_hbars(&b, &c, bars, 4), 0);
    const char *t = cx_exp_buf_str(&b);
    assert_non_null(strstr(t, "b &amp; c</text>"));
    int nbar = 0, nwh = 0;
    for (const char *p = t; (p = strstr(p, "class=\"whisker\"")); p++) {
        nwh++;
    }
    assert_int_equal(nwh, 2);
    double xmin = s_attr(t, "data-xmin"), xmax = s_attr(t, "data-xmax");
    double px0 = s_attr(t, "data-px0"), px1 = s_attr(t, "data-px1");
    assert_true(xmin <= -0.2 && xmax >= 0.46 && xmin < 0 && xmax > 0);
    /* The labels fit left of the plot area. */
    assert_true(px0 >= 19 * 6.1);
    const double want[3] = {0.42, -0.09, 0.1};
    for (const char *p = t; (p = strstr(p, "class=\"bar\"")); p++) {
        assert_true(nbar < 3);
        double x = s_attr(p, "x"), w = s_attr(p, "width");
        double x0 = px0 + (0 - xmin) / (xmax - xmin) * (px1 - px0);
        s_close(w / (px1 - px0) * (xmax - xmin), fabs(want[nbar]), 1e-4);
        s_close(want[nbar] >= 0 ? x : x + w, x0, 0.01);
        nbar++;
    }
    assert_int_equal(nbar, 3);
    cx_exp_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale),     cmocka_unit_test(test_nice_step),
        cmocka_unit_test(test_nice_axis), cmocka_unit_test(test_int_axis),
        cmocka_unit_test(test_format),    cmocka_unit_test(test_escape),
        cmocka_unit_test(test_decimate),  cmocka_unit_test(test_chart),
        cmocka_unit_test(test_hbars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
