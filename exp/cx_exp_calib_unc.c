/*  cx_exp_calib_unc — curvature of the calibration objective at its
 *  optimum (see cx_exp_calib_unc.h).
 */
#include "cx_exp_calib_unc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_calib.h"
#include "cx_exp_stats.h"

#define CX_UNC_MAXP CX_CALIB_MAX_PARAMS

int cx_calib_obs_count(const cx_calib_obs_t *obs, const int *cols, int nc)
{
    int n = 0;
    for (int i = 0; i < obs->n_obs; i++) {
        for (int k = 0; k < nc; k++) {
            n += !isnan(obs->value[(size_t)i * (size_t)obs->n_kpi + (size_t)cols[k]]);
        }
    }
    return n;
}

int cx_calib_solve(double *a, double *b, int n)
{
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++) {
            piv = fabs(a[r * n + c]) > fabs(a[piv * n + c]) ? r : piv;
        }
        if (!(fabs(a[piv * n + c]) > 1e-300)) {
            return -1;
        }
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                double t = a[c * n + k];
                a[c * n + k] = a[piv * n + k];
                a[piv * n + k] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (int r = 0; r < n; r++) {
            if (r == c) {
                continue;
            }
            double m = a[r * n + c] / a[c * n + c];
            for (int k = c; k < n; k++) {
                a[r * n + k] -= m * a[c * n + k];
            }
            b[r] -= m * b[c];
        }
    }
    for (int c = 0; c < n; c++) {
        b[c] /= a[c * n + c];
    }
    return 0;
}

/* The features of a quadratic at z: 1, z_j, z_j z_k (j <= k). */
static void s_features(const double *z, int np, double *phi)
{
    int m = 0;
    phi[m++] = 1;
    for (int j = 0; j < np; j++) {
        phi[m++] = z[j];
    }
    for (int j = 0; j < np; j++) {
        for (int k = j; k < np; k++) {
            phi[m++] = z[j] * z[k];
        }
    }
}

/* Picks the k evaluations nearest the best (normalised distance), distinct
 * points only, into sel. Returns how many. */
static int s_nearest(const double *x, const double *f, int n_eval, int np, int best,
                     const double *lo, const double *hi, int k, int *sel, double *dist)
{
    int n = 0;
    for (int e = 0; e < n_eval; e++) {
        if (!isfinite(f[e])) {
            continue;
        }
        bool dup = false;
        for (int i = 0; i < n && !dup; i++) {
            dup = memcmp(x + (size_t)sel[i] * np, x + (size_t)e * np, (size_t)np * sizeof *x) == 0;
        }
        if (dup) {
            continue;
        }
        double d = 0;
        for (int j = 0; j < np; j++) {
            double z = (x[(size_t)e * np + j] - x[(size_t)best * np + j]) / (hi[j] - lo[j]);
            d += z * z;
        }
        int at = n++; /* insertion by distance; ties keep the earlier evaluation */
        while (at > 0 && dist[at - 1] > d) {
            sel[at] = sel[at - 1];
            dist[at] = dist[at - 1];
            at--;
        }
        sel[at] = e;
        dist[at] = d;
    }
    return n < k ? n : k;
}

int cx_calib_unc(const double *x, const double *f, int n_eval, int np, int best,
                 const double *lo, const double *hi, int n_values, double *se, double *ci_lo,
                 double *ci_hi)
{
    for (int j = 0; j < np; j++) {
        se[j] = ci_lo[j] = ci_hi[j] = NAN;
    }
    int nc = 1 + np + np * (np + 1) / 2, want = 2 * nc + 1;
    int *sel = malloc((size_t)(n_eval > 0 ? n_eval : 1) * sizeof *sel);
    double *dist = malloc((size_t)(n_eval > 0 ? n_eval : 1) * sizeof *dist);
    double *ata = calloc((size_t)nc * (size_t)nc, sizeof *ata);
    double *atb = calloc((size_t)nc, sizeof *atb);
    double *phi = malloc((size_t)nc * sizeof *phi);
    double *h = malloc((size_t)np * (size_t)np * sizeof *h);
    double *inv = malloc((size_t)np * (size_t)np * sizeof *inv);
    double *col = malloc((size_t)np * sizeof *col);
    int rc = -1;
    if (!sel || !dist || !ata || !atb || !phi || !h || !inv || !col) {
        goto done;
    }
    rc = 0;
    int k = s_nearest(x, f, n_eval, np, best, lo, hi, want, sel, dist);
    if (k < nc || n_values <= np || !isfinite(f[best])) {
        goto done;
    }
    for (int i = 0; i < k; i++) { /* normal equations of the quadratic in z */
        double z[64];
        for (int j = 0; j < np && j < 64; j++) {
            z[j] = (x[(size_t)sel[i] * np + j] - x[(size_t)best * np + j]) / (hi[j] - lo[j]);
        }
        s_features(z, np, phi);
        for (int a = 0; a < nc; a++) {
            atb[a] += phi[a] * f[sel[i]];
            for (int b = 0; b < nc; b++) {
                ata[a * nc + b] += phi[a] * phi[b];
            }
        }
    }
    if (cx_calib_solve(ata, atb, nc) != 0) {
        goto done;
    }
    /* H in z units: d2J/dz_j dz_k. */
    for (int j = 0, m = 1 + np; j < np; j++) {
        for (int q = j; q < np; q++, m++) {
            h[j * np + q] = h[q * np + j] = q == j ? 2 * atb[m] : atb[m];
        }
    }
    double s2 = f[best] / (n_values - np);
    double t = cx_exp_t_quantile(0.975, n_values - np);
    for (int j = 0; j < np; j++) { /* column j of H^-1 */
        double a[CX_UNC_MAXP * CX_UNC_MAXP];
        memcpy(a, h, (size_t)np * (size_t)np * sizeof *a);
        for (int q = 0; q < np; q++) {
            col[q] = q == j ? 1 : 0;
        }
        if (cx_calib_solve(a, col, np) != 0) {
            goto done;
        }
        for (int q = 0; q < np; q++) {
            inv[q * np + j] = col[q];
        }
    }
    /* Positive definite: a Cholesky factorisation exists. */
    double a[CX_UNC_MAXP * CX_UNC_MAXP];
    memcpy(a, h, (size_t)np * (size_t)np * sizeof *a);
    for (int c = 0; c < np; c++) {
        for (int r = c; r < np; r++) {
            double s = a[r * np + c];
            for (int q = 0; q < c; q++) {
                s -= a[r * np + q] * a[c * np + q];
            }
            if (r == c && !(s > 0)) {
                goto done;
            }
            a[r * np + c] = r == c ? sqrt(s) : s / a[c * np + c];
        }
    }
    for (int j = 0; j < np; j++) {
        double v = 2 * s2 * inv[j * np + j];
        if (!(v >= 0)) {
            continue;
        }
        se[j] = sqrt(v) * (hi[j] - lo[j]);
        ci_lo[j] = x[(size_t)best * np + j] - t * se[j];
        ci_hi[j] = x[(size_t)best * np + j] + t * se[j];
    }
done:
    free(sel);
    free(dist);
    free(ata);
    free(atb);
    free(phi);
    free(h);
    free(inv);
    free(col);
    return rc;
}
