/*  cx_exp_calib — observed series, objective and bounded Nelder–Mead
 *  (cx_exp_calib.h says what each computes). */
#include "cx_exp_calib.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_util.h"
#include "cx_load.h"

void cx_calib_obs_fini(cx_calib_obs_t *obs)
{
    if (!obs) {
        return;
    }
    for (int k = 0; k < obs->n_kpi; k++) {
        free(obs->kpi[k]);
    }
    free(obs->kpi);
    free(obs->tick);
    free(obs->value);
    free(obs->line);
    memset(obs, 0, sizeof *obs);
}

static void s_err(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void s_err(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
{
    int l = line > 0 ? snprintf(err, errlen, "%s:%d: ", name, line)
                     : snprintf(err, errlen, "%s: ", name);
    if (l < 0 || (size_t)l >= errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + l, errlen - (size_t)l, fmt, ap);
    va_end(ap);
}

/* Splits line (modified in place) at commas into at most cap fields,
 * trimming spaces. Returns the number of fields (may exceed cap: only the
 * first cap are stored). */
static int s_fields(char *line, char **f, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (c) {
            *c = '\0';
        }
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        size_t l = strlen(p);
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) {
            p[--l] = '\0';
        }
        if (n < cap) {
            f[n] = p;
        }
        n++;
        if (!c) {
            return n;
        }
        p = c + 1;
    }
}

/* The header line's fields f[0..nf-1]: tick, then known KPI columns, each
 * once, into obs->kpi. Returns 0, or -1 with "name:line: message" in err. */
static int s_header(const char *name, int lineno, char **f, int nf, const char *const *known,
                    int n_known, cx_calib_obs_t *obs, char *err, size_t errlen)
{
    if (strcmp(f[0], "tick") != 0) {
        s_err(err, errlen, name, lineno,
              "the header must start with 'tick' (tick,<kpi>,<kpi>...), found '%s'", f[0]);
        return -1;
    }
    if (nf < 2) {
        s_err(err, errlen, name, lineno, "no KPI column after 'tick'");
        return -1;
    }
    if (nf - 1 > CX_CALIB_MAX_KPIS) {
        s_err(err, errlen, name, lineno, "more than %d KPI columns", CX_CALIB_MAX_KPIS);
        return -1;
    }
    obs->kpi = calloc((size_t)(nf - 1), sizeof *obs->kpi);
    if (!obs->kpi) {
        s_err(err, errlen, name, 0, "out of memory");
        return -1;
    }
    for (int c = 1; c < nf; c++) {
        bool ok = false;
        for (int k = 0; k < n_known && !ok; k++) {
            ok = strcmp(f[c], known[k]) == 0;
        }
        if (!ok || strcmp(f[c], "tick") == 0) {
            const char *s = f[c][0] ? cx_suggest(f[c], known, n_known) : NULL;
            s_err(err, errlen, name, lineno,
                  "unknown column '%s' (column %d): not a kpis.csv column%s%s%s", f[c],
                  c + 1, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
            return -1;
        }
        for (int k = 0; k < obs->n_kpi; k++) {
            if (strcmp(obs->kpi[k], f[c]) == 0) {
                s_err(err, errlen, name, lineno, "column '%s' appears twice", f[c]);
                return -1;
            }
        }
        obs->kpi[obs->n_kpi] = strdup(f[c]);
        if (!obs->kpi[obs->n_kpi]) {
            s_err(err, errlen, name, 0, "out of memory");
            return -1;
        }
        obs->n_kpi++;
    }
    return 0;
}

int cx_calib_obs_parse(const char *name, const char *text, size_t len, const char *const *known,
                       int n_known, int ticks, cx_calib_obs_t *obs, char *err, size_t errlen)
{
    memset(obs, 0, sizeof *obs);
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (strlen(buf) != len) {
        s_err(err, errlen, name, 0, "not a text file (it holds a NUL byte)");
        free(buf);
        return -1;
    }
    int cap = 0, lineno = 0;
    bool header = false;
    char *f[CX_CALIB_MAX_KPIS + 2];
    char *save = buf;
    while (save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) {
            *nl = '\0';
        }
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') {
            line[--l] = '\0';
        }
        if (strspn(line, " \t") == l) {
            continue; /* blank */
        }
        int nf = s_fields(line, f, CX_CALIB_MAX_KPIS + 2);
        if (!header) {
            header = true;
            if (s_header(name, lineno, f, nf, known, n_known, obs, err, errlen) != 0) {
                goto fail;
            }
            continue;
        }
        if (nf != obs->n_kpi + 1) {
            s_err(err, errlen, name, lineno, "%d field%s, the header has %d", nf, nf == 1 ? "" : "s",
                  obs->n_kpi + 1);
            goto fail;
        }
        char *end;
        errno = 0;
        long long t = strtoll(f[0], &end, 10);
        if (!f[0][0] || *end || errno) {
            s_err(err, errlen, name, lineno, "tick '%s' is not an integer", f[0]);
            goto fail;
        }
        if (t < 0 || (ticks > 0 && t >= ticks)) {
            if (ticks > 0) {
                s_err(err, errlen, name, lineno,
                      "tick %lld is outside the run's ticks 0..%d (--ticks or the scenario's "
                      "ticks)",
                      t, ticks - 1);
            } else {
                s_err(err, errlen, name, lineno, "tick %lld is negative", t);
            }
            goto fail;
        }
        for (int i = 0; i < obs->n_obs; i++) {
            if (obs->tick[i] == t) {
                s_err(err, errlen, name, lineno, "tick %lld already given on line %d", t,
                      obs->line[i]);
                goto fail;
            }
        }
        if (obs->n_obs == cap) {
            int nc = cap ? cap * 2 : 64;
            int *nt = realloc(obs->tick, (size_t)nc * sizeof *nt);
            if (nt) {
                obs->tick = nt;
            }
            int *nl2 = realloc(obs->line, (size_t)nc * sizeof *nl2);
            if (nl2) {
                obs->line = nl2;
            }
            double *nv = realloc(obs->value, (size_t)nc * (size_t)obs->n_kpi * sizeof *nv);
            if (nv) {
                obs->value = nv;
            }
            if (!nt || !nl2 || !nv) {
                s_err(err, errlen, name, 0, "out of memory");
                goto fail;
            }
            cap = nc;
        }
        int i = obs->n_obs;
        for (int k = 0; k < obs->n_kpi; k++) {
            const char *v = f[k + 1];
            double d = NAN;
            if (v[0]) {
                errno = 0;
                d = strtod(v, &end);
                if (*end || errno == ERANGE || !isfinite(d)) {
                    s_err(err, errlen, name, lineno, "column '%s': '%s' is not a number",
                          obs->kpi[k], v);
                    goto fail;
                }
            }
            obs->value[i * obs->n_kpi + k] = d;
        }
        obs->tick[i] = (int)t;
        obs->line[i] = lineno;
        obs->n_obs++;
    }
    if (!header) {
        s_err(err, errlen, name, 0, "empty: expected a header tick,<kpi>,... and observations");
        goto fail;
    }
    if (obs->n_obs == 0) {
        s_err(err, errlen, name, 0, "no observations after the header");
        goto fail;
    }
    for (int k = 0; k < obs->n_kpi; k++) {
        bool any = false;
        for (int i = 0; i < obs->n_obs && !any; i++) {
            any = !isnan(obs->value[i * obs->n_kpi + k]);
        }
        if (!any) {
            s_err(err, errlen, name, 0, "column '%s' has no value", obs->kpi[k]);
            goto fail;
        }
    }
    free(buf);
    return 0;
fail:
    free(buf);
    cx_calib_obs_fini(obs);
    return -1;
}

int cx_calib_obs_load(const char *path, const char *const *known, int n_known, int ticks,
                      cx_calib_obs_t *obs, char *err, size_t errlen)
{
    memset(obs, 0, sizeof *obs);
    size_t len = 0;
    char *text = cx_exp_read_file(path, 64u << 20, &len);
    if (!text) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = cx_calib_obs_parse(path, text, len, known, n_known, ticks, obs, err, errlen);
    free(text);
    return rc;
}

int cx_calib_obs_column(const cx_calib_obs_t *obs, const char *kpi)
{
    for (int k = 0; k < obs->n_kpi; k++) {
        if (strcmp(obs->kpi[k], kpi) == 0) {
            return k;
        }
    }
    return -1;
}

double cx_calib_scale(const cx_calib_obs_t *obs, int k)
{
    double s = 0;
    int n = 0;
    for (int i = 0; i < obs->n_obs; i++) {
        double y = obs->value[i * obs->n_kpi + k];
        if (!isnan(y)) {
            s += y;
            n++;
        }
    }
    if (n == 0) {
        return 1.0;
    }
    double mean = s / n, ss = 0;
    for (int i = 0; i < obs->n_obs; i++) {
        double y = obs->value[i * obs->n_kpi + k];
        if (!isnan(y)) {
            ss += (y - mean) * (y - mean);
        }
    }
    double var = ss / n;
    if (var > 0) {
        return var;
    }
    return mean != 0 ? mean * mean : 1.0;
}

double cx_calib_objective(const cx_calib_obs_t *obs, const int *cols, int nc, const double *sim,
                          int n_rep, double *mse, double *rmse, double *term)
{
    if (n_rep < 1) {
        return NAN;
    }
    double j = 0;
    int no = obs->n_obs;
    for (int c = 0; c < nc; c++) {
        int k = cols[c];
        double se = 0;
        int n = 0;
        for (int i = 0; i < no; i++) {
            double y = obs->value[i * obs->n_kpi + k];
            if (isnan(y)) {
                continue;
            }
            double m = 0;
            for (int r = 0; r < n_rep; r++) {
                m += sim[((size_t)r * (size_t)nc + (size_t)c) * (size_t)no + (size_t)i];
            }
            m /= n_rep;
            se += (m - y) * (m - y);
            n++;
        }
        double e = n ? se / n : 0;
        double t = e / cx_calib_scale(obs, k);
        if (mse) {
            mse[c] = e;
        }
        if (rmse) {
            rmse[c] = sqrt(e);
        }
        if (term) {
            term[c] = t;
        }
        j += t;
    }
    return j; /* NaN propagates from any NaN simulated value */
}

int cx_calib_pick(const int *ticks, const double *values, int n, const int *want, int n_want,
                  double *out)
{
    int absent = 0;
    for (int i = 0; i < n_want; i++) {
        int a = 0, b = n; /* binary search in the ascending ticks */
        while (a < b) {
            int m = a + (b - a) / 2;
            if (ticks[m] < want[i]) {
                a = m + 1;
            } else {
                b = m;
            }
        }
        if (a < n && ticks[a] == want[i]) {
            out[i] = values[a];
        } else {
            out[i] = NAN;
            absent++;
        }
    }
    return absent;
}

double cx_calib_round12(double v)
{
    if (!isfinite(v)) {
        return v;
    }
    char b[40];
    snprintf(b, sizeof b, "%.12g", v);
    double r = strtod(b, NULL);
    return r == 0 ? 0 : r; /* no -0 */
}

/* ---- Nelder–Mead ------------------------------------------------------ */

typedef struct {
    int n;
    const double *lo, *hi;
    cx_calib_fn *fn;
    void *ud;
    int max_evals;
    cx_calib_nm_result_t *res;
    double *best;
    bool aborted;
} s_nm_t;

static double s_key(double f)
{
    return isnan(f) ? INFINITY : f;
}

/* Clamps and rounds x in place, then evaluates it. Returns 0, or -1 when
 * the budget is spent or the callback aborted (nothing evaluated). */
static int s_eval(s_nm_t *s, double *x, double *f)
{
    if (s->aborted || s->res->evals >= s->max_evals) {
        return -1;
    }
    for (int j = 0; j < s->n; j++) {
        x[j] = x[j] < s->lo[j] ? s->lo[j] : x[j] > s->hi[j] ? s->hi[j] : x[j];
        x[j] = cx_calib_round12(x[j]);
        /* Rounding must not step outside the box. */
        x[j] = x[j] < s->lo[j] ? s->lo[j] : x[j] > s->hi[j] ? s->hi[j] : x[j];
    }
    double v = NAN;
    if (s->fn(s->ud, x, &v) != 0) {
        s->aborted = true;
        return -1;
    }
    s->res->evals++;
    v = s_key(v);
    *f = v;
    if (v < s->res->f || s->res->evals == 1) {
        s->res->f = v;
        memcpy(s->best, x, (size_t)s->n * sizeof *x);
    }
    return 0;
}

int cx_calib_nm(int n, const double *x0, const double *lo, const double *hi,
                const cx_calib_nm_opts_t *opts, cx_calib_fn *fn, void *ud, double *best,
                cx_calib_nm_result_t *res, char *err, size_t errlen)
{
    res->f = INFINITY;
    res->evals = 0;
    res->iterations = 0;
    res->stop = "aborted";
    if (n < 1 || n > CX_CALIB_MAX_PARAMS || !opts || opts->max_evals < 1 ||
        !(opts->step > 0 && opts->step <= 1) || !(opts->x_tol >= 0)) {
        snprintf(err, errlen, "invalid Nelder-Mead arguments");
        return -1;
    }
    for (int j = 0; j < n; j++) {
        if (!(lo[j] < hi[j]) || !isfinite(lo[j]) || !isfinite(hi[j]) || !isfinite(x0[j])) {
            snprintf(err, errlen, "coordinate %d: empty or invalid range [%g, %g]", j, lo[j], hi[j]);
            return -1;
        }
    }
    enum { N = CX_CALIB_MAX_PARAMS };
    double v[N + 1][N], fv[N + 1], c[N], xr[N], xe[N], xc[N];
    int ord[N + 1];
    s_nm_t s = {n, lo, hi, fn, ud, opts->max_evals, res, best, false};
    memcpy(best, x0, (size_t)n * sizeof *best);

    /* The initial simplex. */
    memcpy(v[0], x0, (size_t)n * sizeof *x0);
    for (int i = 1; i <= n; i++) {
        memcpy(v[i], x0, (size_t)n * sizeof *x0);
    }
    int built = 0;
    for (int i = 0; i <= n; i++) {
        if (i > 0) {
            int j = i - 1;
            double x = v[0][j]; /* x0 clamped and rounded by its evaluation */
            double d = opts->step * (hi[j] - lo[j]);
            memcpy(v[i], v[0], (size_t)n * sizeof *x0);
            v[i][j] = x + d <= hi[j] ? x + d : x - d;
        }
        if (s_eval(&s, v[i], &fv[i]) != 0) {
            break;
        }
        built++;
    }
    if (built < n + 1) {
        res->stop = s.aborted ? "aborted" : "max_evals";
        return s.aborted ? 1 : 0;
    }

    for (;;) {
        /* Order the vertices by value; ties keep the earlier vertex first. */
        for (int i = 0; i <= n; i++) {
            ord[i] = i;
        }
        for (int i = 1; i <= n; i++) {
            int t = ord[i], k = i;
            while (k > 0 && fv[ord[k - 1]] > fv[t]) {
                ord[k] = ord[k - 1];
                k--;
            }
            ord[k] = t;
        }
        double tv[N + 1][N], tf[N + 1];
        for (int i = 0; i <= n; i++) {
            memcpy(tv[i], v[ord[i]], (size_t)n * sizeof(double));
            tf[i] = fv[ord[i]];
        }
        memcpy(v, tv, sizeof tv);
        memcpy(fv, tf, sizeof tf);

        /* Converged: every vertex within x_tol of the best, per range. */
        bool small = true;
        for (int i = 1; i <= n && small; i++) {
            for (int j = 0; j < n && small; j++) {
                small = fabs(v[i][j] - v[0][j]) <= opts->x_tol * (hi[j] - lo[j]);
            }
        }
        if (small) {
            res->stop = "converged";
            return 0;
        }
        if (res->evals >= opts->max_evals) {
            res->stop = "max_evals";
            return 0;
        }

        for (int j = 0; j < n; j++) {
            c[j] = 0;
            for (int i = 0; i < n; i++) {
                c[j] += v[i][j];
            }
            c[j] /= n;
        }
        double fr, fe, fc;
        for (int j = 0; j < n; j++) {
            xr[j] = c[j] + (c[j] - v[n][j]);
        }
        if (s_eval(&s, xr, &fr) != 0) {
            break;
        }
        bool shrink = false;
        if (fr < fv[0]) {
            for (int j = 0; j < n; j++) {
                xe[j] = c[j] + 2.0 * (c[j] - v[n][j]);
            }
            if (s_eval(&s, xe, &fe) != 0) {
                memcpy(v[n], xr, (size_t)n * sizeof(double)); /* keep the reflection */
                fv[n] = fr;
                break;
            }
            if (fe < fr) {
                memcpy(v[n], xe, (size_t)n * sizeof(double));
                fv[n] = fe;
            } else {
                memcpy(v[n], xr, (size_t)n * sizeof(double));
                fv[n] = fr;
            }
        } else if (fr < fv[n - 1]) {
            memcpy(v[n], xr, (size_t)n * sizeof(double));
            fv[n] = fr;
        } else {
            bool outside = fr < fv[n];
            for (int j = 0; j < n; j++) {
                xc[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (v[n][j] - c[j]);
            }
            if (s_eval(&s, xc, &fc) != 0) {
                break;
            }
            if (outside ? fc <= fr : fc < fv[n]) {
                memcpy(v[n], xc, (size_t)n * sizeof(double));
                fv[n] = fc;
            } else {
                shrink = true;
            }
        }
        if (shrink) {
            for (int i = 1; i <= n; i++) {
                for (int j = 0; j < n; j++) {
                    v[i][j] = v[0][j] + 0.5 * (v[i][j] - v[0][j]);
                }
                if (s_eval(&s, v[i], &fv[i]) != 0) {
                    /* Budget spent mid-shrink: the vertex is not evaluated. */
                    res->stop = s.aborted ? "aborted" : "max_evals";
                    return s.aborted ? 1 : 0;
                }
            }
        }
        res->iterations++;
    }
    res->stop = s.aborted ? "aborted" : "max_evals";
    return s.aborted ? 1 : 0;
}
