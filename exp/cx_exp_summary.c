/*  cx_exp_summary — means and confidence intervals per grid point (see
 *  cx_exp_summary.h).
 */
#include "cx_exp_summary.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_stats.h"
#include "cx_exp_util.h"
#include "cx_output.h"

const char *const cx_exp_summary_kpis[] = {
    "nps",
    "csat",
    "ces",
    "churn_rate",
    "retention_rate",
    "customers",
    "customers_end",
    "revenue",
    "clv",
    "cac",
    "employee_engagement",
    "loyalty_index",
    "referral_rate",
    "satisfaction",
    "avg_resolution_time",
    "total_revenue",
    "total_cost",
    "total_investment",
    "total_acquired",
    "total_churned",
    "operating_profit",
    "total_gross_profit",
    "total_marketing_cost",
    "total_operating_profit",
    /* Means over the experiment's window (meta window_ticks), of the per-tick
     * KPIs whose last tick alone is noisy. Appended, and named apart, so that
     * a database recorded before windows (where they are absent) reads as it
     * did. */
    "window_nps",
    "window_csat",
    "window_ces",
    "window_churn_rate",
    "window_retention_rate",
    "window_customers",
    "window_revenue",
    "window_clv",
    "window_employee_engagement",
    "window_loyalty_index",
    "window_referral_rate",
    "window_satisfaction",
    "window_avg_resolution_time",
    "window_operating_profit",
};
const int cx_exp_summary_n_kpis = (int)(sizeof cx_exp_summary_kpis / sizeof cx_exp_summary_kpis[0]);

/* What the printed table shows (the CSV has every KPI above). */
static const char *const s_shown[] = {"nps",          "csat",    "ces", "churn_rate",
                                      "customers",    "revenue", "clv", "employee_engagement",
                                      "total_revenue"};
#define S_SHOWN ((int)(sizeof s_shown / sizeof s_shown[0]))

void cx_exp_fmt_ci(char *buf, size_t cap, double mean, double half)
{
    if (isnan(mean)) {
        snprintf(buf, cap, "-");
        return;
    }
    if (isnan(half)) {
        snprintf(buf, cap, "%.2f", mean);
        return;
    }
    int dec = 2;
    if (half <= 1e-9 * fabs(mean)) {
        half = 0; /* rounding noise of identical values */
    }
    if (half > 0) {
        dec = 1 - (int)floor(log10(half));
        dec = dec < 0 ? 0 : dec > 4 ? 4 : dec;
    }
    snprintf(buf, cap, "%.*f ± %.*f", dec, mean, dec, half);
}

/* Display width of UTF-8 text (code points). */
static int s_width(const char *s)
{
    int w = 0;
    for (; *s; s++) {
        w += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return w;
}

static void s_pad(FILE *out, const char *s, int width, bool right)
{
    int pad = width - s_width(s);
    if (right) {
        fprintf(out, "%*s%s", pad > 0 ? pad : 0, "", s);
    } else {
        fprintf(out, "%s%*s", s, pad > 0 ? pad : 0, "");
    }
}

static void s_csv_field(cx_buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\n")) {
        cx_buf_printf(b, "\"");
        for (; *s; s++) {
            cx_buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
        }
        cx_buf_printf(b, "\"");
    } else {
        cx_buf_printf(b, "%s", s);
    }
}

static void s_csv_num(cx_buf_t *b, double v)
{
    if (isnan(v)) {
        cx_buf_printf(b, ",");
    } else {
        cx_buf_printf(b, ",%.10g", v);
    }
}

int cx_exp_summary(cx_exp_db_t *db, const char *root, FILE *out, char *err, size_t errlen)
{
    int np = cx_exp_db_points(db, NULL, 0);
    if (np < 0) {
        snprintf(err, errlen, "cannot read the points");
        return -1;
    }
    long long *ids = calloc((size_t)(np > 0 ? np : 1), sizeof *ids);
    char *keys = cx_exp_db_param_keys(db);
    int nk_all = cx_exp_summary_n_kpis;
    cx_exp_ci_t *ci = calloc((size_t)(np > 0 ? np : 1) * (size_t)nk_all, sizeof *ci);
    int *nruns = calloc((size_t)(np > 0 ? np : 1), sizeof *nruns);
    bool *present = calloc((size_t)nk_all, sizeof *present);
    double *vals = NULL;
    int vcap = 0;
    int rc = -1;
    cx_buf_t csv;
    cx_buf_init(&csv);
    if (!ids || !keys || !ci || !nruns || !present) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    cx_exp_db_points(db, ids, np);

    /* Param keys whose value differs between points: the grid's axes. */
    char *klist[64];
    int nkeys = 0;
    for (char *k = keys; *k && nkeys < 64;) {
        char *nl = strchr(k, '\n');
        if (nl) {
            *nl = '\0';
        }
        bool varies = false;
        char first[512], v[512];
        for (int i = 0; i < np && !varies; i++) {
            cx_exp_db_param(db, ids[i], k, i ? v : first, sizeof v);
            varies = i > 0 && strcmp(first, v) != 0;
        }
        if (varies) {
            klist[nkeys++] = k;
        }
        if (!nl) {
            break;
        }
        k = nl + 1;
    }
    bool labels = false;
    for (int i = 0; i < np; i++) {
        char label[64] = "";
        cx_exp_db_point_info(db, ids[i], NULL, 0, label, sizeof label);
        labels |= label[0] != '\0';
    }

    /* The window of the final KPIs, when the experiment recorded one. */
    char wbuf[32] = "", dbuf[32] = "";
    long long wticks = 0;
    if (cx_exp_db_meta_get(db, "window_ticks", wbuf, sizeof wbuf) == 1) {
        wticks = strtoll(wbuf, NULL, 10);
        cx_exp_db_meta_get(db, "window_days", dbuf, sizeof dbuf);
    }
    if (cx_exp_db_exec(db, "BEGIN IMMEDIATE; DELETE FROM summary;", err, errlen) != 0) {
        goto done;
    }
    for (int k = 0; k < nk_all; k++) {
        const char *kpi = cx_exp_summary_kpis[k];
        bool window = strncmp(kpi, "window_", 7) == 0;
        const char *col = strncmp(kpi, "total_", 6) == 0 ? kpi + 6 : window ? kpi + 7 : kpi;
        present[k] = cx_exp_db_has_column(db, col) && (!window || wticks > 0);
    }
    for (int i = 0; i < np; i++) {
        nruns[i] = (int)cx_exp_db_count_completed(db, ids[i]);
        for (int k = 0; k < nk_all; k++) {
            cx_exp_ci_t *c = &ci[i * nk_all + k];
            cx_exp_ci(NULL, 0, 0.95, c);
            if (!present[k]) {
                continue;
            }
            int n = cx_exp_db_finals(db, ids[i], cx_exp_summary_kpis[k], NULL, vals, vcap);
            if (n > vcap) {
                free(vals);
                vcap = n * 2;
                vals = malloc((size_t)vcap * sizeof *vals);
                if (!vals) {
                    snprintf(err, errlen, "out of memory");
                    cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
                    goto done;
                }
                n = cx_exp_db_finals(db, ids[i], cx_exp_summary_kpis[k], NULL, vals, vcap);
            }
            if (n < 0) {
                snprintf(err, errlen, "cannot read the KPIs of point %lld", ids[i]);
                cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
                goto done;
            }
            /* A KPI undefined in some run (empty in kpis.csv) is left out
             * of that KPI's statistics only. */
            int m = 0;
            for (int j = 0; j < n; j++) {
                if (!isnan(vals[j])) {
                    vals[m++] = vals[j];
                }
            }
            cx_exp_ci(vals, m, 0.95, c);
            if (m > 0 && cx_exp_db_summary_put(db, ids[i], cx_exp_summary_kpis[k], c->n, c->mean,
                                               c->sd, c->half, c->lo, c->hi, err, errlen) != 0) {
                cx_exp_db_exec(db, "ROLLBACK", NULL, 0);
                goto done;
            }
        }
    }
    if (cx_exp_db_exec(db, "COMMIT", err, errlen) != 0) {
        goto done;
    }

    /* summary.csv */
    cx_buf_printf(&csv, "point");
    if (labels) {
        cx_buf_printf(&csv, ",label");
    }
    for (int j = 0; j < nkeys; j++) {
        cx_buf_printf(&csv, ",");
        s_csv_field(&csv, klist[j]);
    }
    cx_buf_printf(&csv, ",n");
    for (int k = 0; k < nk_all; k++) {
        if (present[k]) {
            const char *kp = cx_exp_summary_kpis[k];
            cx_buf_printf(&csv, ",%s_mean,%s_ci_low,%s_ci_high", kp, kp, kp);
        }
    }
    cx_buf_printf(&csv, "\n");
    for (int i = 0; i < np; i++) {
        cx_buf_printf(&csv, "%lld", ids[i]);
        char v[512];
        if (labels) {
            cx_exp_db_point_info(db, ids[i], NULL, 0, v, sizeof v);
            cx_buf_printf(&csv, ",");
            s_csv_field(&csv, v);
        }
        for (int j = 0; j < nkeys; j++) {
            cx_exp_db_param(db, ids[i], klist[j], v, sizeof v);
            cx_buf_printf(&csv, ",");
            s_csv_field(&csv, v);
        }
        cx_buf_printf(&csv, ",%d", nruns[i]);
        for (int k = 0; k < nk_all; k++) {
            if (present[k]) {
                const cx_exp_ci_t *c = &ci[i * nk_all + k];
                s_csv_num(&csv, c->mean);
                s_csv_num(&csv, c->lo);
                s_csv_num(&csv, c->hi);
            }
        }
        cx_buf_printf(&csv, "\n");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.csv", root);
    if (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path,
                 csv.oom ? "out of memory" : strerror(errno));
        goto done;
    }

    /* The printed table. */
    if (out) {
        /* Each shown KPI as its window mean when there is one. */
        int show[S_SHOWN], ns = 0;
        for (int s = 0; s < S_SHOWN; s++) {
            char wname[64];
            snprintf(wname, sizeof wname, "window_%s", s_shown[s]);
            int found = -1;
            for (int k = 0; k < nk_all; k++) {
                if (present[k] && strcmp(cx_exp_summary_kpis[k], wname) == 0) {
                    found = k;
                }
            }
            for (int k = 0; found < 0 && k < nk_all; k++) {
                if (present[k] && strcmp(cx_exp_summary_kpis[k], s_shown[s]) == 0) {
                    found = k;
                }
            }
            if (found >= 0) {
                show[ns++] = found;
            }
        }
        /* More than two varying keys (e.g. one sweep per department into
         * one directory): one "overrides" column with what is set. */
        bool compact = nkeys > 2;
        int pcols = compact ? 1 : nkeys;
        int ncol = 2 + (labels ? 1 : 0) + pcols + ns;
        int nrow = np + 1;
        char **cell = calloc((size_t)ncol * (size_t)nrow, sizeof *cell);
        int *width = calloc((size_t)ncol, sizeof *width);
        if (!cell || !width) {
            free(cell);
            free(width);
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        for (int r = 0; r < nrow; r++) {
            int c = 0;
            char buf[512];
#define S_CELL(text)                                                                               \
    do {                                                                                           \
        cell[r * ncol + c] = strdup(text);                                                         \
        c++;                                                                                       \
    } while (0)
            long long id = r ? ids[r - 1] : 0;
            snprintf(buf, sizeof buf, "%lld", id);
            S_CELL(r ? buf : "point");
            if (labels) {
                buf[0] = '\0';
                if (r) {
                    cx_exp_db_point_info(db, id, NULL, 0, buf, sizeof buf);
                }
                S_CELL(r ? buf : "");
            }
            if (compact) {
                size_t used = 0;
                buf[0] = '\0';
                for (int j = 0; r && j < nkeys; j++) {
                    char v[256];
                    cx_exp_db_param(db, id, klist[j], v, sizeof v);
                    if (v[0] && used < sizeof buf) {
                        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s",
                                                 used ? " " : "", klist[j], v);
                    }
                }
                S_CELL(r ? (buf[0] ? buf : "(none)") : "overrides");
            }
            for (int j = 0; !compact && j < nkeys; j++) {
                if (r) {
                    cx_exp_db_param(db, id, klist[j], buf, sizeof buf);
                }
                S_CELL(r ? buf : klist[j]);
            }
            snprintf(buf, sizeof buf, "%d", r ? nruns[r - 1] : 0);
            S_CELL(r ? buf : "n");
            for (int s = 0; s < ns; s++) {
                if (r) {
                    const cx_exp_ci_t *ck = &ci[(r - 1) * nk_all + show[s]];
                    cx_exp_fmt_ci(buf, sizeof buf, ck->mean, ck->half);
                }
                S_CELL(r ? buf : cx_exp_summary_kpis[show[s]]);
            }
#undef S_CELL
        }
        for (int i = 0; i < ncol * nrow; i++) {
            if (cell[i] && s_width(cell[i]) > width[i % ncol]) {
                width[i % ncol] = s_width(cell[i]);
            }
        }
        if (wticks > 0) {
            fprintf(out,
                    "final KPIs (window_*: mean over the last %lld tick%s = %s days of each run, or "
                    "all of a shorter one; "
                    "total_revenue = sum over every tick): mean ± 95%% CI half-width (Student "
                    "t)\n",
                    wticks, wticks == 1 ? "" : "s", dbuf[0] ? dbuf : "?");
        } else {
            fprintf(out, "final KPIs (value at the last tick; total_revenue = sum over every "
                         "tick): mean ± 95%% CI half-width (Student t)\n");
        }
        for (int r = 0; r < nrow; r++) {
            for (int c = 0; c < ncol; c++) {
                /* Parameter and label columns left-aligned, numbers right. */
                bool right = c == 0 || c >= 1 + (labels ? 1 : 0) + pcols;
                fprintf(out, c ? "  " : "");
                s_pad(out, cell[r * ncol + c] ? cell[r * ncol + c] : "", width[c], right);
            }
            fprintf(out, "\n");
        }
        for (int i = 0; i < ncol * nrow; i++) {
            free(cell[i]);
        }
        free(cell);
        free(width);
    }
    rc = 0;
done:
    cx_buf_fini(&csv);
    free(vals);
    free(present);
    free(nruns);
    free(ci);
    free(keys);
    free(ids);
    return rc;
}
