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

/* What the summary of one experiment is made of. */
typedef struct {
    cx_exp_db_t *db;     /* the experiment's database */
    int np;              /* points */
    long long *ids;      /* their ids */
    char *keys;          /* the param keys, '\n'-separated (cut into klist) */
    char *klist[64];     /* the keys whose value differs between points */
    int nkeys;           /* entries of klist */
    bool labels;         /* some point has a label */
    int nk;              /* cx_exp_summary_n_kpis */
    cx_exp_ci_t *ci;     /* per point and KPI: its interval (np x nk) */
    int *nruns;          /* per point: completed runs */
    bool *present;       /* per KPI: recorded by the experiment */
    long long wticks;    /* the window of the final KPIs in ticks, 0 when none */
    char dbuf[32];       /* the same window in days, as recorded */
    double *vals;        /* scratch: one KPI's finals */
    int vcap;            /* capacity of vals */
} s_sum_t;

/* Param keys whose value differs between points (the grid's axes), and
 * whether a point has a label. */
static void s_axes(s_sum_t *sm)
{
    for (char *k = sm->keys; *k && sm->nkeys < 64;) {
        char *nl = strchr(k, '\n');
        if (nl) {
            *nl = '\0';
        }
        bool varies = false;
        char first[512], v[512];
        for (int i = 0; i < sm->np && !varies; i++) {
            cx_exp_db_param(sm->db, sm->ids[i], k, i ? v : first, sizeof v);
            varies = i > 0 && strcmp(first, v) != 0;
        }
        if (varies) {
            sm->klist[sm->nkeys++] = k;
        }
        if (!nl) {
            break;
        }
        k = nl + 1;
    }
    for (int i = 0; i < sm->np; i++) {
        char label[64] = "";
        cx_exp_db_point_info(sm->db, sm->ids[i], NULL, 0, label, sizeof label);
        sm->labels |= label[0] != '\0';
    }
}

/* The interval of KPI k at point i, recorded in the summary table.
 * Returns 0 or -1 (err set; the caller rolls back). */
static int s_point_kpi(s_sum_t *sm, int i, int k, char *err, size_t errlen)
{
    cx_exp_ci_t *c = &sm->ci[i * sm->nk + k];
    cx_exp_ci(NULL, 0, 0.95, c);
    if (!sm->present[k]) {
        return 0;
    }
    const char *kpi = cx_exp_summary_kpis[k];
    int n = cx_exp_db_finals(sm->db, sm->ids[i], kpi, NULL, sm->vals, sm->vcap);
    if (n > sm->vcap) {
        free(sm->vals);
        sm->vcap = n * 2;
        sm->vals = malloc((size_t)sm->vcap * sizeof *sm->vals);
        if (!sm->vals) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        n = cx_exp_db_finals(sm->db, sm->ids[i], kpi, NULL, sm->vals, sm->vcap);
    }
    if (n < 0) {
        snprintf(err, errlen, "cannot read the KPIs of point %lld", sm->ids[i]);
        return -1;
    }
    /* A KPI undefined in some run (empty in kpis.csv) is left out
     * of that KPI's statistics only. */
    int m = 0;
    for (int j = 0; j < n; j++) {
        if (!isnan(sm->vals[j])) {
            sm->vals[m++] = sm->vals[j];
        }
    }
    cx_exp_ci(sm->vals, m, 0.95, c);
    if (m > 0 && cx_exp_db_summary_put(sm->db, sm->ids[i], kpi, c->n, c->mean, c->sd, c->half,
                                       c->lo, c->hi, err, errlen) != 0) {
        return -1;
    }
    return 0;
}

/* The summary table: every KPI recorded, at every point, in one
 * transaction. Returns 0 or -1 (err set). */
static int s_compute(s_sum_t *sm, char *err, size_t errlen)
{
    /* The window of the final KPIs, when the experiment recorded one. */
    char wbuf[32] = "";
    if (cx_exp_db_meta_get(sm->db, "window_ticks", wbuf, sizeof wbuf) == 1) {
        sm->wticks = strtoll(wbuf, NULL, 10);
        cx_exp_db_meta_get(sm->db, "window_days", sm->dbuf, sizeof sm->dbuf);
    }
    if (cx_exp_db_exec(sm->db, "BEGIN IMMEDIATE; DELETE FROM summary;", err, errlen) != 0) {
        return -1;
    }
    for (int k = 0; k < sm->nk; k++) {
        const char *kpi = cx_exp_summary_kpis[k];
        bool window = strncmp(kpi, "window_", 7) == 0;
        const char *col = strncmp(kpi, "total_", 6) == 0 ? kpi + 6 : window ? kpi + 7 : kpi;
        sm->present[k] = cx_exp_db_has_column(sm->db, col) && (!window || sm->wticks > 0);
    }
    for (int i = 0; i < sm->np; i++) {
        sm->nruns[i] = (int)cx_exp_db_count_completed(sm->db, sm->ids[i]);
        for (int k = 0; k < sm->nk; k++) {
            if (s_point_kpi(sm, i, k, err, errlen) != 0) {
                cx_exp_db_exec(sm->db, "ROLLBACK", NULL, 0);
                return -1;
            }
        }
    }
    return cx_exp_db_exec(sm->db, "COMMIT", err, errlen) != 0 ? -1 : 0;
}

/* ROOT/summary.csv. Returns 0 or -1 (err set). */
static int s_write_csv(const s_sum_t *sm, const char *root, char *err, size_t errlen)
{
    cx_buf_t csv;
    cx_buf_init(&csv);
    cx_buf_printf(&csv, "point");
    if (sm->labels) {
        cx_buf_printf(&csv, ",label");
    }
    for (int j = 0; j < sm->nkeys; j++) {
        cx_buf_printf(&csv, ",");
        s_csv_field(&csv, sm->klist[j]);
    }
    cx_buf_printf(&csv, ",n");
    for (int k = 0; k < sm->nk; k++) {
        if (sm->present[k]) {
            const char *kp = cx_exp_summary_kpis[k];
            cx_buf_printf(&csv, ",%s_mean,%s_ci_low,%s_ci_high", kp, kp, kp);
        }
    }
    cx_buf_printf(&csv, "\n");
    for (int i = 0; i < sm->np; i++) {
        cx_buf_printf(&csv, "%lld", sm->ids[i]);
        char v[512];
        if (sm->labels) {
            cx_exp_db_point_info(sm->db, sm->ids[i], NULL, 0, v, sizeof v);
            cx_buf_printf(&csv, ",");
            s_csv_field(&csv, v);
        }
        for (int j = 0; j < sm->nkeys; j++) {
            cx_exp_db_param(sm->db, sm->ids[i], sm->klist[j], v, sizeof v);
            cx_buf_printf(&csv, ",");
            s_csv_field(&csv, v);
        }
        cx_buf_printf(&csv, ",%d", sm->nruns[i]);
        for (int k = 0; k < sm->nk; k++) {
            if (sm->present[k]) {
                const cx_exp_ci_t *c = &sm->ci[i * sm->nk + k];
                s_csv_num(&csv, c->mean);
                s_csv_num(&csv, c->lo);
                s_csv_num(&csv, c->hi);
            }
        }
        cx_buf_printf(&csv, "\n");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.csv", root);
    int rc = 0;
    if (csv.oom || cx_write_atomic(path, csv.p, csv.n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path,
                 csv.oom ? "out of memory" : strerror(errno));
        rc = -1;
    }
    cx_buf_fini(&csv);
    return rc;
}

/* The KPIs the printed table shows (into show): each of s_shown as its
 * window mean when there is one. Returns their count. */
static int s_shown_kpis(const s_sum_t *sm, int *show)
{
    int ns = 0;
    for (int s = 0; s < S_SHOWN; s++) {
        char wname[64];
        snprintf(wname, sizeof wname, "window_%s", s_shown[s]);
        int found = -1;
        for (int k = 0; k < sm->nk; k++) {
            if (sm->present[k] && strcmp(cx_exp_summary_kpis[k], wname) == 0) {
                found = k;
            }
        }
        for (int k = 0; found < 0 && k < sm->nk; k++) {
            if (sm->present[k] && strcmp(cx_exp_summary_kpis[k], s_shown[s]) == 0) {
                found = k;
            }
        }
        if (found >= 0) {
            show[ns++] = found;
        }
    }
    return ns;
}

/* The printed table's layout. */
typedef struct {
    int show[S_SHOWN]; /* the KPIs shown */
    int ns;            /* entries of show */
    bool compact;      /* one "overrides" column for the varying keys */
    int pcols;         /* columns of the varying keys */
    int ncol, nrow;    /* cells: ncol x nrow (the header is row 0) */
    char **cell;       /* their text (heap) */
} s_table_t;

/* Row r of the table's cells (0: the header). */
static void s_table_row(const s_sum_t *sm, s_table_t *t, int r)
{
    int c = 0;
    char buf[512];
#define S_CELL(text)                                                                               \
    do {                                                                                           \
        t->cell[r * t->ncol + c] = strdup(text);                                                   \
        c++;                                                                                       \
    } while (0)
    long long id = r ? sm->ids[r - 1] : 0;
    snprintf(buf, sizeof buf, "%lld", id);
    S_CELL(r ? buf : "point");
    if (sm->labels) {
        buf[0] = '\0';
        if (r) {
            cx_exp_db_point_info(sm->db, id, NULL, 0, buf, sizeof buf);
        }
        S_CELL(r ? buf : "");
    }
    if (t->compact) {
        size_t used = 0;
        buf[0] = '\0';
        for (int j = 0; r && j < sm->nkeys; j++) {
            char v[256];
            cx_exp_db_param(sm->db, id, sm->klist[j], v, sizeof v);
            if (v[0] && used < sizeof buf) {
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s",
                                         used ? " " : "", sm->klist[j], v);
            }
        }
        S_CELL(r ? (buf[0] ? buf : "(none)") : "overrides");
    }
    for (int j = 0; !t->compact && j < sm->nkeys; j++) {
        if (r) {
            cx_exp_db_param(sm->db, id, sm->klist[j], buf, sizeof buf);
        }
        S_CELL(r ? buf : sm->klist[j]);
    }
    snprintf(buf, sizeof buf, "%d", r ? sm->nruns[r - 1] : 0);
    S_CELL(r ? buf : "n");
    for (int s = 0; s < t->ns; s++) {
        if (r) {
            const cx_exp_ci_t *ck = &sm->ci[(r - 1) * sm->nk + t->show[s]];
            cx_exp_fmt_ci(buf, sizeof buf, ck->mean, ck->half);
        }
        S_CELL(r ? buf : cx_exp_summary_kpis[t->show[s]]);
    }
#undef S_CELL
}

/* Prints the cells, each column as wide as its widest cell. */
static void s_table_print(const s_sum_t *sm, const s_table_t *t, const int *width, FILE *out)
{
    if (sm->wticks > 0) {
        fprintf(out,
                "final KPIs (window_*: mean over the last %lld tick%s = %s days of each run, or "
                "all of a shorter one; "
                "total_revenue = sum over every tick): mean ± 95%% CI half-width (Student "
                "t)\n",
                sm->wticks, sm->wticks == 1 ? "" : "s", sm->dbuf[0] ? sm->dbuf : "?");
    } else {
        fprintf(out, "final KPIs (value at the last tick; total_revenue = sum over every "
                     "tick): mean ± 95%% CI half-width (Student t)\n");
    }
    for (int r = 0; r < t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) {
            /* Parameter and label columns left-aligned, numbers right. */
            bool right = c == 0 || c >= 1 + (sm->labels ? 1 : 0) + t->pcols;
            const char *text = t->cell[r * t->ncol + c];
            fprintf(out, c ? "  " : "");
            s_pad(out, text ? text : "", width[c], right);
        }
        fprintf(out, "\n");
    }
}

/* The printed table. Returns 0 or -1 (err set). */
static int s_print(const s_sum_t *sm, FILE *out, char *err, size_t errlen)
{
    s_table_t t;
    memset(&t, 0, sizeof t);
    t.ns = s_shown_kpis(sm, t.show);
    /* More than two varying keys (e.g. one sweep per department into
     * one directory): one "overrides" column with what is set. */
    t.compact = sm->nkeys > 2;
    t.pcols = t.compact ? 1 : sm->nkeys;
    t.ncol = 2 + (sm->labels ? 1 : 0) + t.pcols + t.ns;
    t.nrow = sm->np + 1;
    t.cell = calloc((size_t)t.ncol * (size_t)t.nrow, sizeof *t.cell);
    int *width = calloc((size_t)t.ncol, sizeof *width);
    if (!t.cell || !width) {
        free(t.cell);
        free(width);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int r = 0; r < t.nrow; r++) {
        s_table_row(sm, &t, r);
    }
    for (int i = 0; i < t.ncol * t.nrow; i++) {
        if (t.cell[i] && s_width(t.cell[i]) > width[i % t.ncol]) {
            width[i % t.ncol] = s_width(t.cell[i]);
        }
    }
    s_table_print(sm, &t, width, out);
    for (int i = 0; i < t.ncol * t.nrow; i++) {
        free(t.cell[i]);
    }
    free(t.cell);
    free(width);
    return 0;
}

int cx_exp_summary(cx_exp_db_t *db, const char *root, FILE *out, char *err, size_t errlen)
{
    s_sum_t sm;
    memset(&sm, 0, sizeof sm);
    sm.db = db;
    sm.np = cx_exp_db_points(db, NULL, 0);
    if (sm.np < 0) {
        snprintf(err, errlen, "cannot read the points");
        return -1;
    }
    size_t np1 = (size_t)(sm.np > 0 ? sm.np : 1);
    sm.nk = cx_exp_summary_n_kpis;
    sm.ids = calloc(np1, sizeof *sm.ids);
    sm.keys = cx_exp_db_param_keys(db);
    sm.ci = calloc(np1 * (size_t)sm.nk, sizeof *sm.ci);
    sm.nruns = calloc(np1, sizeof *sm.nruns);
    sm.present = calloc((size_t)sm.nk, sizeof *sm.present);
    int rc = -1;
    if (!sm.ids || !sm.keys || !sm.ci || !sm.nruns || !sm.present) {
        snprintf(err, errlen, "out of memory");
    } else {
        cx_exp_db_points(db, sm.ids, sm.np);
        s_axes(&sm);
        if (s_compute(&sm, err, errlen) == 0 && s_write_csv(&sm, root, err, errlen) == 0 &&
            (!out || s_print(&sm, out, err, errlen) == 0)) {
            rc = 0;
        }
    }
    free(sm.vals);
    free(sm.present);
    free(sm.nruns);
    free(sm.ci);
    free(sm.keys);
    free(sm.ids);
    return rc;
}
