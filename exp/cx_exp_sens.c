/*  cx_exp_sens — step placement, central differences and elasticities of
 *  a one-at-a-time sensitivity analysis (see cx_exp_sens.h).
 */
#include "cx_exp_sens.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cx_exp_sens_fmt(char *buf, size_t cap, double v)
{
    if (v == 0) {
        v = 0; /* no "-0" */
    }
    snprintf(buf, cap, "%.12g", v);
}

/* v clamped into [lo, hi], then rounded to what its text reads back as. */
static double s_place(double v, double lo, double hi, bool *clamped, char *text, size_t cap)
{
    *clamped = false;
    if (v < lo) {
        v = lo;
        *clamped = true;
    } else if (v > hi) {
        v = hi;
        *clamped = true;
    }
    cx_exp_sens_fmt(text, cap, v);
    return strtod(text, NULL);
}

int cx_exp_sens_step(double p, double min, double max, double delta, cx_exp_sens_step_t *st,
                     char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (!(delta > 0 && delta <= 0.5)) {
        snprintf(err, errlen, "the relative step must be in (0, 0.5], got %g", delta);
        return -1;
    }
    if (!isfinite(min) || !isfinite(max) || !(min < max)) {
        snprintf(err, errlen, "empty range [%g, %g]", min, max);
        return -1;
    }
    if (!isfinite(p) || p < min || p > max) {
        snprintf(err, errlen, "base value %g outside its range [%g, %g]", p, min, max);
        return -1;
    }
    cx_exp_sens_fmt(st->base_text, sizeof st->base_text, p);
    st->base = p;
    double lo, hi;
    if (p == 0) {
        st->absolute = true;
        lo = -delta * (max - min);
        hi = delta * (max - min);
        st->width = 2 * delta * (max - min);
    } else {
        /* p x (1 -/+ delta), ordered: for p < 0 the (1 + delta) side is lower. */
        double a = p * (1 - delta), b = p * (1 + delta);
        lo = a < b ? a : b;
        hi = a < b ? b : a;
        st->width = 2 * delta * fabs(p);
    }
    st->low = s_place(lo, min, max, &st->clamped_low, st->low_text, sizeof st->low_text);
    st->high = s_place(hi, min, max, &st->clamped_high, st->high_text, sizeof st->high_text);
    if (!(st->high > st->low)) {
        snprintf(err, errlen, "no room for a step around %g in [%g, %g]", p, min, max);
        return -1;
    }
    return 0;
}

int cx_exp_sens_align(const int *r_lo, const double *v_lo, int n_lo, const int *r_base,
                      const double *v_base, int n_base, const int *r_hi, const double *v_hi,
                      int n_hi, double *lo, double *base, double *hi, int *reps)
{
    int n = 0;
    for (int i = 0, j = 0, k = 0; i < n_lo && j < n_base && k < n_hi;) {
        int r = r_lo[i];
        r = r_base[j] > r ? r_base[j] : r;
        r = r_hi[k] > r ? r_hi[k] : r;
        if (r_lo[i] < r) {
            i++;
        } else if (r_base[j] < r) {
            j++;
        } else if (r_hi[k] < r) {
            k++;
        } else {
            if (!isnan(v_lo[i]) && !isnan(v_base[j]) && !isnan(v_hi[k])) {
                lo[n] = v_lo[i];
                base[n] = v_base[j];
                hi[n] = v_hi[k];
                if (reps) {
                    reps[n] = r;
                }
                n++;
            }
            i++;
            j++;
            k++;
        }
    }
    return n;
}

int cx_exp_sens_compute(const cx_exp_sens_step_t *st, const double *k_lo, const double *k_base,
                        const double *k_hi, int n, double *work, cx_exp_sens_stat_t *out)
{
    memset(out, 0, sizeof *out);
    double width = st->high - st->low;
    if (!(width > 0)) {
        return -1;
    }
    out->n = n;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        work[i] = (k_hi[i] - k_lo[i]) / width;
        sum += k_base[i];
    }
    out->kpi_base_mean = n ? sum / n : NAN;
    cx_exp_ci(work, n, 0.95, &out->derivative);
    for (int i = 0; i < n; i++) {
        work[i] *= st->width;
    }
    cx_exp_ci(work, n, 0.95, &out->change);
    int m = 0;
    if (st->base != 0) {
        for (int i = 0; i < n; i++) {
            if (k_base[i] != 0) {
                work[m++] = (k_hi[i] - k_lo[i]) / width * st->base / k_base[i];
            }
        }
    }
    out->n_elasticity = m;
    if (st->base == 0) {
        out->elasticity = (cx_exp_ci_t){0, NAN, NAN, NAN, NAN, NAN};
    } else {
        cx_exp_ci(work, m, 0.95, &out->elasticity);
    }
    return 0;
}

double cx_exp_sens_scale(const char *kpi, double max_abs)
{
    if (strcmp(kpi, "nps") == 0 || strcmp(kpi, "window_nps") == 0) {
        return 200; /* -100 .. 100 */
    }
    return fabs(max_abs);
}

bool cx_exp_sens_elastic(double kpi_base_mean, double scale)
{
    return isfinite(kpi_base_mean) && isfinite(scale) && scale > 0 &&
           fabs(kpi_base_mean) >= CX_EXP_SENS_FAR * scale;
}

void cx_exp_sens_rank(const double *v, int n, int *rank)
{
    /* n is small (parameters): a quadratic count keeps ties in input order. */
    for (int i = 0; i < n; i++) {
        int before = 0;
        double ai = fabs(v[i]);
        for (int j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            double aj = fabs(v[j]);
            bool jn = isnan(aj), in = isnan(ai);
            if (in && jn) {
                before += j < i;
            } else if (in) {
                before++;
            } else if (!jn && (aj > ai || (aj == ai && j < i))) {
                before++;
            }
        }
        rank[i] = before + 1;
    }
}

void cx_exp_sens_bar(char *buf, size_t cap, double v, double vmax, int width)
{
    if (cap == 0) {
        return;
    }
    if (width < 1 || cap < (size_t)(2 * width + 2)) {
        buf[0] = '\0';
        return;
    }
    memset(buf, ' ', (size_t)(2 * width + 1));
    buf[width] = '|';
    buf[2 * width + 1] = '\0';
    double scale = fabs(vmax);
    if (isnan(v) || v == 0 || !(scale > 0) || isnan(scale)) {
        return;
    }
    int len = (int)lround(fabs(v) / scale * width);
    len = len < 1 ? 1 : len > width ? width : len;
    for (int i = 0; i < len; i++) {
        if (v < 0) {
            buf[width - 1 - i] = '#';
        } else {
            buf[width + 1 + i] = '#';
        }
    }
}
