/*  cx_report_compare — the report page of a compare directory: compare.db
 *  (read-only), compare.csv and payback.csv -> both sides' means per tick
 *  with 95% bands, the paired deltas, the payback chart and the final-KPI
 *  delta table (cx_report.h describes the page).
 *
 *  Every reader returns 0, or CX_REPORT_UNREADABLE with a message in err;
 *  memory shortage is reported the same way. Text from files (names,
 *  descriptions, ids) is escaped by cx_svg_escape wherever it is written.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_exp_db.h"
#include "cx_exp_stats.h"
#include "cx_load.h"
#include "cx_report.h"
#include "cx_report_common.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"
#include "cx_version.h"

/* UTF-8 punctuation, each its own literal so that no hex escape runs on. */
#define S_MINUS "\xe2\x88\x92"
#define S_NDASH "\xe2\x80\x93"

#define S_PATH_MAX 4096 /* longest path built here */

#define S_C_BASE "#777777" /* baseline */
#define S_C_SCEN "#0072b2" /* scenario, single series */
#define S_C_GOOD "#009e73" /* revenue, return */
#define S_C_BAD "#d55e00"  /* cost */

/* Per-tick mean and spread over replicates (Welford), NaN values skipped. */
typedef struct {
    double *mean; /* running mean per tick */
    double *m2;   /* sum of squared deviations per tick */
    int *n;       /* values per tick */
} s_acc_t;

static int s_acc_init(s_acc_t *a, int nt)
{
    a->mean = calloc((size_t)nt, sizeof *a->mean);
    a->m2 = calloc((size_t)nt, sizeof *a->m2);
    a->n = calloc((size_t)nt, sizeof *a->n);
    return a->mean && a->m2 && a->n ? 0 : -1;
}

static void s_acc_fini(s_acc_t *a)
{
    free(a->mean);
    free(a->m2);
    free(a->n);
}

static void s_acc_add(s_acc_t *a, int t, double v)
{
    if (!isfinite(v)) {
        return;
    }
    a->n[t]++;
    double d = v - a->mean[t];
    a->mean[t] += d / a->n[t];
    a->m2[t] += d * (v - a->mean[t]);
}

/* Mean (NaN without values) and 95% band (NaN below 2 values). */
static void s_acc_band(const s_acc_t *a, int nt, const double *tq, double *mean, double *lo,
                       double *hi)
{
    for (int t = 0; t < nt; t++) {
        int n = a->n[t];
        mean[t] = n ? a->mean[t] : NAN;
        if (n >= 2) {
            double half = tq[n] * sqrt(a->m2[t] / (n - 1)) / sqrt((double)n);
            lo[t] = mean[t] - half;
            hi[t] = mean[t] + half;
        } else {
            lo[t] = hi[t] = NAN;
        }
    }
}

enum { C_NPS, C_CHURN, C_REVENUE, C_CUSTOMERS, C_COST, C_INVESTMENT, C_N };
enum {
    A_NPS, /* side x 4 KPIs: A_NPS + side * A_KPIS */
    A_CHURN,
    A_REVENUE,
    A_CUSTOMERS,
    A_KPIS,
    A_D_NPS = 2 * A_KPIS, /* paired deltas */
    A_D_CUMREV,
    A_CUM_DR, /* cumulative extra revenue */
    A_CUM_DC, /* cumulative extra cost + investment */
    A_N
};

typedef struct {
    sqlite3 *db;
    long long point[2];   /* baseline, scenario */
    char file[2][256];    /* their scenario files' base names */
    cx_scenario_t *sc[2]; /* their resolved scenarios */
    int npairs;           /* pairs used */
    int nskipped;         /* pairs left out (different lengths) */
    int nt;               /* ticks */
    double *x;            /* tick numbers */
    s_acc_t acc[A_N];     /* accumulators */
} s_cmp_t;

static void s_db_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "compare.db: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static const char *s_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int s_meta(sqlite3 *db, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, cap, "%s", s_col_text(st, 0));
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

/* One run's series of the C_* columns; returns ticks loaded, or -1. The
 * investment column carries every one-off spending of the scenario: the
 * transformations and, where the engine records it (marketing_cost), the
 * campaigns above the yearly marketing spend, which is the same on both
 * sides and cancels in the differences. */
static int s_run_series(sqlite3 *db, long long run_id, int cap, double *tick, double *v[C_N])
{
    sqlite3_stmt *st;
    bool mkt = sqlite3_table_column_metadata(db, NULL, "kpis", "marketing_cost", NULL, NULL, NULL,
                                             NULL, NULL) == SQLITE_OK;
    if (sqlite3_prepare_v2(
            db,
            mkt ? "SELECT tick, nps, churn_rate, revenue, customers, cost, "
                  "COALESCE(investment, 0) + COALESCE(marketing_cost, 0) "
                  "FROM kpis WHERE run_id = ?1 ORDER BY tick"
                : "SELECT tick, nps, churn_rate, revenue, customers, cost, investment "
                  "FROM kpis WHERE run_id = ?1 ORDER BY tick",
            -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int n = 0, r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < cap) {
            tick[n] = sqlite3_column_double(st, 0);
            for (int c = 0; c < C_N; c++) {
                v[c][n] = sqlite3_column_type(st, c + 1) == SQLITE_NULL
                              ? NAN
                              : sqlite3_column_double(st, c + 1);
            }
        }
        n++;
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? n : -1;
}

/* The resolved scenario of a point's first completed run. */
static int s_point_scenario(sqlite3 *db, long long point, const char *label, cx_scenario_t *sc,
                            char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.yaml FROM runs r JOIN scenarios s ON s.sha256 = "
                           "r.scenario_sha256 WHERE r.point = ?1 AND r.status = 'completed' "
                           "ORDER BY r.replicate LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "scenarios", db);
        return -1;
    }
    sqlite3_bind_int64(st, 1, point);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *yaml = s_col_text(st, 0);
        cx_diags_t diags;
        cx_diags_init(&diags);
        if (cx_scenario_load_string("compare.db", yaml, strlen(yaml), NULL, 0, sc, &diags) == 0) {
            rc = 0;
        } else {
            char d[700] = "no diagnostic";
            if (diags.n > 0) {
                cx_diag_format(&diags.items[0], d, sizeof d);
            }
            snprintf(err, errlen, "compare.db: a resolved scenario does not load: %s", d);
        }
        cx_diags_fini(&diags);
    } else {
        snprintf(err, errlen, "compare.db: no completed run of the %s yet", label);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads the paired runs into the accumulators. */
static int s_cmp_load(s_cmp_t *cp, char *err, size_t errlen)
{
    sqlite3 *db = cp->db;
    sqlite3_stmt *st = NULL;
    long long *pairs = NULL;
    int np = 0, pcap = 0;
    double *buf = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT b.run_id, s.run_id FROM runs b JOIN runs s "
                           "ON s.replicate = b.replicate WHERE b.point = ?1 AND s.point = ?2 "
                           "AND b.status = 'completed' AND s.status = 'completed' "
                           "ORDER BY b.replicate",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "runs", db);
        goto done;
    }
    sqlite3_bind_int64(st, 1, cp->point[0]);
    sqlite3_bind_int64(st, 2, cp->point[1]);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (np == pcap) {
            pcap = pcap ? 2 * pcap : 64;
            long long *p = realloc(pairs, (size_t)pcap * 2 * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            pairs = p;
        }
        pairs[2 * np] = sqlite3_column_int64(st, 0);
        pairs[2 * np + 1] = sqlite3_column_int64(st, 1);
        np++;
    }
    if (r != SQLITE_DONE) {
        s_db_err(err, errlen, "runs", db);
        goto done;
    }
    if (np == 0) {
        snprintf(err, errlen, "compare.db: no replicate completed on both sides yet");
        goto done;
    }
    /* Ticks from the first pair's baseline run. */
    double dummy_t;
    double dummy[C_N];
    double *dv[C_N];
    for (int c = 0; c < C_N; c++) {
        dv[c] = &dummy[c];
    }
    int nt = s_run_series(db, pairs[0], 0, &dummy_t, dv);
    if (nt <= 0) {
        s_db_err(err, errlen, "kpis", db);
        goto done;
    }
    cp->nt = nt;
    buf = malloc((size_t)nt * (2 * (C_N + 1) + 1) * sizeof *buf);
    cp->x = malloc((size_t)nt * sizeof *cp->x);
    if (!buf || !cp->x) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int a = 0; a < A_N; a++) {
        if (s_acc_init(&cp->acc[a], nt) != 0) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    double *tk[2], *v[2][C_N];
    for (int k = 0; k < 2; k++) {
        tk[k] = buf + (size_t)k * (C_N + 1) * nt;
        for (int c = 0; c < C_N; c++) {
            v[k][c] = tk[k] + (size_t)(c + 1) * nt;
        }
    }
    for (int p = 0; p < np; p++) {
        int n0 = s_run_series(db, pairs[2 * p], nt, tk[0], v[0]);
        int n1 = s_run_series(db, pairs[2 * p + 1], nt, tk[1], v[1]);
        if (n0 < 0 || n1 < 0) {
            s_db_err(err, errlen, "kpis", db);
            goto done;
        }
        bool same = n0 == nt && n1 == nt;
        for (int t = 0; same && t < nt; t++) {
            same = tk[0][t] == tk[1][t] && (p == 0 || tk[0][t] == cp->x[t]);
        }
        if (!same) {
            cp->nskipped++;
            continue;
        }
        if (cp->npairs == 0) {
            memcpy(cp->x, tk[0], (size_t)nt * sizeof *cp->x);
        }
        cp->npairs++;
        double cum_dr = 0, cum_dc = 0;
        for (int t = 0; t < nt; t++) {
            for (int k = 0; k < 2; k++) {
                s_acc_add(&cp->acc[A_NPS + k * A_KPIS], t, v[k][C_NPS][t]);
                s_acc_add(&cp->acc[A_CHURN + k * A_KPIS], t, v[k][C_CHURN][t]);
                s_acc_add(&cp->acc[A_REVENUE + k * A_KPIS], t, v[k][C_REVENUE][t]);
                s_acc_add(&cp->acc[A_CUSTOMERS + k * A_KPIS], t, v[k][C_CUSTOMERS][t]);
            }
            s_acc_add(&cp->acc[A_D_NPS], t, v[1][C_NPS][t] - v[0][C_NPS][t]);
            double dr = v[1][C_REVENUE][t] - v[0][C_REVENUE][t];
            double inv0 = isnan(v[0][C_INVESTMENT][t]) ? 0 : v[0][C_INVESTMENT][t];
            double inv1 = isnan(v[1][C_INVESTMENT][t]) ? 0 : v[1][C_INVESTMENT][t];
            double dc = (v[1][C_COST][t] + inv1) - (v[0][C_COST][t] + inv0);
            cum_dr += dr;
            cum_dc += dc;
            s_acc_add(&cp->acc[A_D_CUMREV], t, cum_dr);
            s_acc_add(&cp->acc[A_CUM_DR], t, cum_dr);
            s_acc_add(&cp->acc[A_CUM_DC], t, cum_dc);
        }
    }
    if (cp->npairs == 0) {
        snprintf(err, errlen, "compare.db: the paired runs have different lengths");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(st);
    free(pairs);
    free(buf);
    return rc;
}

/* compare.csv, kept as text (the table shows the values as formatted,
 * data-value the text as written). */
#define S_CMP_COLS 7
typedef struct {
    char *f[64][S_CMP_COLS]; /* rows x fields, heap strings */
    int n;                   /* rows */
} s_cmp_csv_t;

static int s_cmp_csv_row(void *ud, char **f)
{
    s_cmp_csv_t *t = ud;
    if (t->n == 64) {
        return 0;
    }
    for (int i = 0; i < S_CMP_COLS; i++) {
        if (!(t->f[t->n][i] = strdup(f[i]))) {
            return -1;
        }
    }
    t->n++;
    return 0;
}

static void s_cmp_csv_free(s_cmp_csv_t *t)
{
    for (int r = 0; r < 64; r++) {
        for (int i = 0; i < S_CMP_COLS; i++) {
            free(t->f[r][i]);
        }
    }
}

typedef struct {
    cx_report_vec_t tick, net; /* payback.csv */
} s_payback_t;

static int s_payback_row(void *ud, char **f)
{
    s_payback_t *p = ud;
    cx_report_vec_push(&p->tick, cx_report_num(f[0]));
    cx_report_vec_push(&p->net, cx_report_num(f[1]));
    return p->tick.oom || p->net.oom ? -1 : 0;
}

/* Decimals for a value shown with an interval of this half-width (the
 * rule `cxsim compare` prints with). */
static int s_ci_decimals(double half, double v)
{
    double ref = isnan(half) || half <= 1e-9 * fabs(v) ? fabs(v) / 1000 : half;
    if (!(ref > 0)) {
        return 2;
    }
    int d = 1 - (int)floor(log10(ref));
    return d < 0 ? 0 : d > 4 ? 4 : d;
}

static void s_signed(char *buf, size_t cap, double v, int dec)
{
    cx_svg_fmt(buf + 1, cap - 1, v, dec);
    if (!isfinite(v) || buf[1] == '-' || strspn(buf + 1, "0.") == strlen(buf + 1)) {
        memmove(buf, buf + 1, strlen(buf + 1) + 1);
    } else {
        buf[0] = '+';
    }
}

/* The table of compare.csv; window: "N ticks (D days)" of its window_*
 * figures, "" for a comparison recorded before windows. */
static void s_cmp_table(cx_buf_t *b, const s_cmp_csv_t *t, const char *window)
{
    cx_buf_printf(b, "<table class=\"kpis\" id=\"deltas\">\n<tr><th>KPI</th>"
                     "<th class=\"num\">n</th><th class=\"num\">baseline</th>"
                     "<th class=\"num\">scenario</th><th class=\"num\">delta</th>"
                     "<th class=\"num\">95%% CI of delta</th></tr>\n");
    for (int r = 0; r < t->n; r++) {
        char *const *f = t->f[r];
        double vb = cx_report_num(f[2]), vs = cx_report_num(f[3]), d = cx_report_num(f[4]),
               lo = cx_report_num(f[5]), hi = cx_report_num(f[6]);
        int dec = s_ci_decimals((hi - lo) / 2, fabs(vb) > fabs(vs) ? vb : vs);
        char a[64], bb[64], dd[64], l[64], h[64];
        cx_svg_fmt(a, sizeof a, vb, dec);
        cx_svg_fmt(bb, sizeof bb, vs, dec);
        s_signed(dd, sizeof dd, d, dec);
        s_signed(l, sizeof l, lo, dec);
        s_signed(h, sizeof h, hi, dec);
        bool sig = isfinite(lo) && isfinite(hi) && (lo > 0 || hi < 0);
        cx_buf_printf(b, "<tr id=\"kpi-");
        cx_svg_escape(b, f[0]);
        cx_buf_printf(b, "\"%s><td>", sig ? " class=\"sig\"" : "");
        cx_svg_escape(b, f[0]);
        cx_buf_printf(b, "</td><td class=\"num\">");
        cx_svg_escape(b, f[1]);
        cx_buf_printf(b, "</td><td class=\"num baseline\" data-value=\"");
        cx_svg_escape(b, f[2]);
        cx_buf_printf(b, "\">%s</td><td class=\"num scenario\" data-value=\"", a);
        cx_svg_escape(b, f[3]);
        cx_buf_printf(b, "\">%s</td><td class=\"num delta\" data-value=\"", bb);
        cx_svg_escape(b, f[4]);
        cx_buf_printf(b, "\">%s</td><td class=\"num ci\" data-low=\"", dd);
        cx_svg_escape(b, f[5]);
        cx_buf_printf(b, "\" data-high=\"");
        cx_svg_escape(b, f[6]);
        cx_buf_printf(b, "\">[%s, %s]%s</td></tr>\n", l, h, sig ? " *" : "");
    }
    cx_buf_printf(b, "</table>\n<p class=\"note\">Final KPIs: ");
    if (window[0]) {
        cx_buf_printf(b, "window_* the mean over the last %s of each run, the others ", window);
    }
    cx_buf_printf(b, "the value at the last tick, "
                     "total_* summed over every tick; delta = scenario " S_MINUS
                     " baseline, paired by replicate (common random numbers), with the "
                     "Student t 95%% confidence interval of the mean delta. Bold and * : "
                     "the interval excludes 0.</p>\n");
}

/* "key=value, key=value" of a point's overrides, or "none". */
static void s_overrides(sqlite3 *db, long long point, char *out, size_t cap)
{
    sqlite3_stmt *st;
    snprintf(out, cap, "none");
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM params WHERE point = ?1 ORDER BY rowid", -1,
                           &st, NULL) != SQLITE_OK) {
        return;
    }
    sqlite3_bind_int64(st, 1, point);
    size_t used = 0;
    while (sqlite3_step(st) == SQLITE_ROW && used < cap) {
        int w = snprintf(out + used, cap - used, "%s%s=%s", used ? ", " : "", s_col_text(st, 0),
                         s_col_text(st, 1));
        used += w > 0 ? (size_t)w : 0;
    }
    sqlite3_finalize(st);
}

/* The margin of the comparison's payback (1 when nothing says). */
static double s_margin(sqlite3 *db)
{
    char cmd[8192], item[256], path[32];
    double m = 1;
    /* Recorded by compare (its --margin, else the baseline's gross margin);
     * older comparisons: the --margin of their command line, else 1. */
    if (s_meta(db, "margin", item, sizeof item) == 1 && cx_report_num(item) > 0 &&
        cx_report_num(item) <= 1) {
        return cx_report_num(item);
    }
    if (s_meta(db, "last_command", cmd, sizeof cmd) != 1) {
        return m;
    }
    for (int i = 0; i < 512; i++) {
        snprintf(path, sizeof path, "$[%d]", i);
        if (cx_exp_json_text(cmd, path, item, sizeof item) != 1) {
            break;
        }
        if (strncmp(item, "--margin=", 9) == 0) {
            m = cx_report_num(item + 9);
        } else if (strcmp(item, "--margin") == 0) {
            snprintf(path, sizeof path, "$[%d]", i + 1);
            if (cx_exp_json_text(cmd, path, item, sizeof item) == 1) {
                m = cx_report_num(item);
            }
        }
    }
    return isfinite(m) && m > 0 ? m : 1;
}

/* The rule of docs/EXPERIMENTS.md: the first index from which net stays
 * >= 0 to the end; -1 when net ends below 0. */
static int s_payback_index(const double *net, int n)
{
    if (n == 0 || !(net[n - 1] >= 0)) {
        return -1;
    }
    int t = n - 1;
    while (t > 0 && net[t - 1] >= 0) {
        t--;
    }
    return t;
}

static bool s_same_event(const cx_event_spec_t *a, const cx_event_spec_t *b)
{
    return a->tick == b->tick && a->kind == b->kind && a->dept == b->dept && a->value == b->value &&
           a->duration == b->duration && a->cost == b->cost && a->owner == b->owner &&
           a->governance == b->governance;
}

static int s_cmp_open(s_cmp_t *cp, const char *dir, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    if (cx_report_join(path, sizeof path, dir, "compare.db") != 0) {
        snprintf(err, errlen, "path too long: %.200s", dir);
        return -1;
    }
    if (sqlite3_open_v2(path, &cp->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %.3000s: %s", path,
                 cp->db ? sqlite3_errmsg(cp->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(cp->db, 5000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cp->db,
                           "SELECT label, point, scenario FROM points "
                           "WHERE label IN ('baseline', 'scenario') ORDER BY point",
                           -1, &st, NULL) != SQLITE_OK) {
        s_db_err(err, errlen, "points", cp->db);
        return -1;
    }
    cp->point[0] = cp->point[1] = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int k = strcmp(s_col_text(st, 0), "scenario") == 0;
        if (cp->point[k] < 0) {
            cp->point[k] = sqlite3_column_int64(st, 1);
            snprintf(cp->file[k], sizeof cp->file[k], "%s", cx_report_basename(s_col_text(st, 2)));
        }
    }
    sqlite3_finalize(st);
    if (cp->point[0] < 0 || cp->point[1] < 0) {
        snprintf(err, errlen, "%.3000s: no baseline and scenario points: not a comparison", path);
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        if (!(cp->sc[k] = malloc(sizeof *cp->sc[k]))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (s_point_scenario(cp->db, cp->point[k], k ? "scenario" : "baseline", cp->sc[k], err,
                             errlen) != 0) {
            return -1;
        }
    }
    return s_cmp_load(cp, err, errlen);
}

/* Everything a compare page shows. */
typedef struct {
    s_cmp_t cp;            /* compare.db */
    s_cmp_csv_t *csv;      /* compare.csv (rows 0 when absent) */
    bool have_csv;         /* compare.csv exists */
    s_payback_t pb;        /* payback.csv */
    bool have_pb;          /* payback.csv exists */
    int pay;               /* index of the payback tick in pb, or -1 */
    double margin;         /* --margin of the comparison */
    cx_report_marks_t *mk; /* the scenario's own events */
    double *tq;            /* t(0.975, n - 1) for n = 0 .. pairs */
    double *work;          /* 10 x ticks */
    char xl[64];           /* x axis label */
    char ev[200];          /* caption sentence about the markers */
} s_cpage_t;

static void s_cpage_free(s_cpage_t *p)
{
    if (p->cp.db) {
        sqlite3_close(p->cp.db);
    }
    for (int a = 0; a < A_N; a++) {
        s_acc_fini(&p->cp.acc[a]);
    }
    free(p->cp.x);
    free(p->cp.sc[0]);
    free(p->cp.sc[1]);
    if (p->csv) {
        s_cmp_csv_free(p->csv);
    }
    free(p->csv);
    cx_report_vec_free(&p->pb.tick);
    cx_report_vec_free(&p->pb.net);
    free(p->mk);
    free(p->tq);
    free(p->work);
}

static int s_cpage_load(const char *dir, s_cpage_t *p, char *err, size_t errlen)
{
    p->csv = calloc(1, sizeof *p->csv);
    p->mk = malloc(sizeof *p->mk);
    if (!p->csv || !p->mk) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (s_cmp_open(&p->cp, dir, err, errlen) != 0) {
        return -1;
    }
    static const char *const ccols[S_CMP_COLS] = {"kpi",           "n",          "baseline_mean",
                                                  "scenario_mean", "delta_mean", "delta_ci_low",
                                                  "delta_ci_high"};
    static const char *const pcols[2] = {"tick", "net_mean"};
    p->have_csv = cx_report_is_file(dir, "compare.csv");
    p->have_pb = cx_report_is_file(dir, "payback.csv");
    if ((p->have_csv && cx_report_csv(dir, "compare.csv", ccols, S_CMP_COLS, s_cmp_csv_row, p->csv,
                                      err, errlen) != 0) ||
        (p->have_pb &&
         cx_report_csv(dir, "payback.csv", pcols, 2, s_payback_row, &p->pb, err, errlen) != 0)) {
        return -1;
    }
    int nt = p->cp.nt;
    p->work = malloc((size_t)nt * 10 * sizeof *p->work);
    p->tq = malloc((size_t)(p->cp.npairs + 1) * sizeof *p->tq);
    if (!p->work || !p->tq) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int n = 0; n <= p->cp.npairs; n++) {
        p->tq[n] = n >= 2 ? cx_exp_t_quantile(0.975, n - 1) : NAN;
    }
    p->margin = s_margin(p->cp.db);
    p->pay = p->have_pb ? s_payback_index(p->pb.net.v, p->pb.net.n) : -1;
    /* Markers: the scenario's events that the baseline does not have. */
    const cx_scenario_t *sb = p->cp.sc[0], *ss = p->cp.sc[1];
    bool keep[CX_MAX_EVENTS];
    for (int i = 0; i < ss->n_event; i++) {
        keep[i] = true;
        for (int j = 0; j < sb->n_event && keep[i]; j++) {
            keep[i] = !s_same_event(&ss->event[i], &sb->event[j]);
        }
    }
    cx_report_marks(ss, keep, p->mk);
    snprintf(p->ev, sizeof p->ev,
             " Dashed vertical lines: timeline events of the scenario that the baseline does "
             "not have%s.",
             p->mk->n ? "" : " (none)");
    snprintf(p->xl, sizeof p->xl, "tick (%s)", cx_tick_unit_name(ss->tick_unit));
    return 0;
}

/* Title, description, facts and the final-KPI table. */
static void s_cpage_head(cx_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    const cx_scenario_t *sb = cp->sc[0], *ss = cp->sc[1];
    char title[200], ptitle[260];
    if (strcmp(ss->name, sb->name) == 0) {
        snprintf(title, sizeof title, "%s: scenario vs baseline", ss->name);
    } else {
        snprintf(title, sizeof title, "%s vs %s", ss->name, sb->name);
    }
    snprintf(ptitle, sizeof ptitle, "%s " S_NDASH " cxsim comparison report", title);
    cx_report_page_head(b, ptitle);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</h1>\n<p class=\"lead\">");
    cx_svg_escape(b, ss->description);
    cx_buf_printf(b, "</p>\n<table class=\"facts\">\n");
    char v[1400], ov[1000], meta[128];
    for (int k = 0; k < 2; k++) {
        s_overrides(cp->db, cp->point[k], ov, sizeof ov);
        snprintf(v, sizeof v, "%s (%s); overrides: %s", cp->sc[k]->name, cp->file[k], ov);
        cx_report_fact(b, k ? "Scenario" : "Baseline", v);
    }
    snprintf(v, sizeof v,
             "%d, common random numbers (replicate r has the same seed on both sides)%s",
             cp->npairs, cp->nskipped ? "; pairs of unequal length left out" : "");
    cx_report_fact(b, "Paired replicates", v);
    snprintf(v, sizeof v, "%d (t=%.0f" S_NDASH "%.0f), one tick = one %s", cp->nt, cp->x[0],
             cp->x[cp->nt - 1], cx_tick_unit_name(ss->tick_unit));
    cx_report_fact(b, "Ticks", v);
    if (s_meta(cp->db, "base_seed", meta, sizeof meta) == 1) {
        cx_report_fact(b, "Base seed", meta);
    }
    if (!p->have_pb) {
        snprintf(v, sizeof v, "unknown (no payback.csv)");
    } else if (p->pay >= 0) {
        snprintf(v, sizeof v,
                 "tick %.0f: from then on the cumulative extra revenue%s covers the "
                 "cumulative extra cost and investment",
                 p->pb.tick.v[p->pay], p->margin == 1 ? "" : " x margin");
    } else {
        snprintf(v, sizeof v, "no payback within the horizon");
    }
    cx_report_fact(b, "Payback", v);
    /* Ramps: planned against effective duration and the investment booked,
     * as `cxsim compare` recorded them from the runs' summary.json. */
    for (int k = 0; k < 2; k++) {
        char tr[4096], line[4096], name[64];
        if (s_meta(cp->db, k ? "transitions_scenario" : "transitions_baseline", tr, sizeof tr) !=
                1 ||
            !tr[0]) {
            continue;
        }
        /* "(note)\n  ramp\n  ramp\n" -> "ramp; ramp (note)" */
        size_t used = 0;
        line[0] = '\0';
        char *note_end = strchr(tr, '\n');
        for (char *r = note_end ? note_end + 1 : tr; *r;) {
            char *nl = strchr(r, '\n');
            size_t len = nl ? (size_t)(nl - r) : strlen(r);
            while (len && *r == ' ') {
                r++;
                len--;
            }
            if (len && used < sizeof line) {
                int w = snprintf(line + used, sizeof line - used, "%s%.*s", used ? "; " : "",
                                 (int)len, r);
                used += w > 0 ? (size_t)w : 0;
            }
            r += len + (nl ? 1 : 0);
        }
        if (note_end && used < sizeof line) {
            snprintf(line + used, sizeof line - used, " %.*s", (int)(note_end - tr), tr);
        }
        snprintf(name, sizeof name, "Ramps of the %s", k ? "scenario" : "baseline");
        cx_report_fact(b, name, line);
    }
    cx_buf_printf(b, "</table>\n");

    cx_buf_printf(b, "<h2>Final KPIs: scenario " S_MINUS " baseline</h2>\n");
    if (p->have_csv) {
        char wt[32], wd[32], window[96] = "";
        if (s_meta(cp->db, "window_ticks", wt, sizeof wt) == 1 &&
            s_meta(cp->db, "window_days", wd, sizeof wd) == 1) {
            snprintf(window, sizeof window, "%s tick%s (%s days)", wt,
                     strcmp(wt, "1") == 0 ? "" : "s", wd);
        }
        s_cmp_table(b, p->csv, window);
    } else {
        cx_buf_printf(b, "<p class=\"note\">No compare.csv in this directory: run the "
                         "comparison to its end to get the table.</p>\n");
    }
}

/* Both sides over time, and the paired differences, with their bands. */
static void s_cpage_bands(cx_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    int nt = cp->nt;
    double *mb = p->work, *lb = mb + nt, *hb = mb + 2 * nt;
    double *ms = mb + 3 * nt, *ls = mb + 4 * nt, *hs = mb + 5 * nt;
    char cap[900], bl[300], sl[300];
    bool same = strcmp(cp->sc[0]->name, cp->sc[1]->name) == 0;
    snprintf(bl, sizeof bl, "baseline%s%s%s, mean and 95%% CI", same ? "" : " (",
             same ? "" : cp->sc[0]->name, same ? "" : ")");
    snprintf(sl, sizeof sl, "scenario%s%s%s, mean and 95%% CI", same ? "" : " (",
             same ? "" : cp->sc[1]->name, same ? "" : ")");
    cx_buf_printf(b, "<h2>Baseline and scenario over time</h2>\n");
    /* Title and axis unit from the KPI table (models/cx_kpi_cols.c). */
    static const struct {
        int acc;
        const char *id, *kpi, *what;
        bool zero;
    } sides[] = {
        {A_NPS, "cmp-nps", "nps", "NPS of each tick's survey, in points", false},
        {A_CHURN, "cmp-churn", "churn_rate",
         "Customers lost during each tick as % of those at its start", true},
        {A_REVENUE, "cmp-revenue", "revenue", "Revenue of each tick's purchases, in currency",
         true},
        {A_CUSTOMERS, "cmp-customers", "customers", "Active customers at the start of each tick",
         false},
    };
    char unit[64];
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        s_acc_band(&cp->acc[sides[i].acc], nt, p->tq, mb, lb, hb);
        s_acc_band(&cp->acc[sides[i].acc + A_KPIS], nt, p->tq, ms, ls, hs);
        cx_svg_series_t s[2] = {{.key = "baseline",
                                 .label = bl,
                                 .x = cp->x,
                                 .y = mb,
                                 .lo = lb,
                                 .hi = hb,
                                 .n = nt,
                                 .color = S_C_BASE,
                                 .width = 1.6},
                                {.key = "scenario",
                                 .label = sl,
                                 .x = cp->x,
                                 .y = ms,
                                 .lo = ls,
                                 .hi = hs,
                                 .n = nt,
                                 .color = S_C_SCEN,
                                 .width = 1.6}};
        cx_svg_chart_t ch = {.id = sides[i].id,
                             .title = cx_report_kpi_label(sides[i].kpi),
                             .x_label = p->xl,
                             .y_label = cx_report_kpi_axis(sides[i].kpi, unit, sizeof unit),
                             .y_include_zero = sides[i].zero};
        snprintf(cap, sizeof cap,
                 "%s: mean over the %d replicates of each side per tick, with the 95%% "
                 "confidence band of the mean (Student t, n " S_MINUS " 1 degrees of "
                 "freedom).%s",
                 sides[i].what, cp->npairs, p->ev);
        cx_report_figure(b, &ch, s, 2, p->mk->m, p->mk->n, cap);
    }

    cx_buf_printf(b, "<h2>Paired differences (scenario " S_MINUS " baseline)</h2>\n");
    /* A KPI's difference: title and unit from the KPI table; the cumulative
     * revenue is no column of it. */
    static const struct {
        int acc;
        const char *id, *kpi, *title, *unit, *what;
    } deltas[] = {
        {A_D_NPS, "delta-nps", "nps", NULL, NULL,
         "NPS of the scenario minus NPS of the baseline, replicate by replicate, in points"},
        {A_D_CUMREV, "delta-cumulative-revenue", NULL, "Cumulative revenue difference", "currency",
         "Revenue of the scenario minus revenue of the baseline, replicate by replicate, summed "
         "from the first tick, in currency"},
    };
    for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
        s_acc_band(&cp->acc[deltas[i].acc], nt, p->tq, ms, ls, hs);
        cx_svg_series_t s = {.key = "delta",
                             .label = "mean difference and 95% CI",
                             .x = cp->x,
                             .y = ms,
                             .lo = ls,
                             .hi = hs,
                             .n = nt,
                             .color = S_C_SCEN,
                             .width = 1.8};
        char title[96];
        if (deltas[i].kpi) {
            snprintf(title, sizeof title, "%s difference", cx_report_kpi_label(deltas[i].kpi));
            cx_report_kpi_axis(deltas[i].kpi, unit, sizeof unit);
        } else {
            snprintf(title, sizeof title, "%s", deltas[i].title);
            snprintf(unit, sizeof unit, "%s", deltas[i].unit);
        }
        cx_svg_chart_t ch = {.id = deltas[i].id,
                             .title = title,
                             .x_label = p->xl,
                             .y_label = unit,
                             .zero_line = true};
        snprintf(cap, sizeof cap,
                 "%s: mean of the %d paired differences per tick, with its 95%% confidence "
                 "band (Student t); a band clear of 0 is a difference beyond noise.%s",
                 deltas[i].what, cp->npairs, p->ev);
        cx_report_figure(b, &ch, &s, 1, p->mk->m, p->mk->n, cap);
    }
}

/* Cumulative extra revenue against extra cost, net, the payback tick. */
static void s_cpage_payback(cx_buf_t *b, const s_cpage_t *p)
{
    const s_cmp_t *cp = &p->cp;
    int nt = cp->nt, pay = p->pay;
    double *cr = p->work + 6 * nt, *cc = p->work + 7 * nt, *nx = p->work + 8 * nt,
           *ny = p->work + 9 * nt;
    for (int t = 0; t < nt; t++) {
        cr[t] = cp->acc[A_CUM_DR].n[t] ? p->margin * cp->acc[A_CUM_DR].mean[t] : NAN;
        cc[t] = cp->acc[A_CUM_DC].n[t] ? cp->acc[A_CUM_DC].mean[t] : NAN;
    }
    int npb = 0;
    for (int i = 0; i < p->pb.tick.n && npb < nt; i++, npb++) {
        nx[npb] = p->pb.tick.v[i];
        ny[npb] = p->pb.net.v[i];
    }
    cx_buf_printf(b, "<h2>Payback</h2>\n");
    cx_svg_series_t s[3] = {{.key = "extra_revenue",
                             .label = p->margin == 1 ? "extra revenue, cumulative"
                                                     : "margin x extra revenue, cumulative",
                             .x = cp->x,
                             .y = cr,
                             .n = nt,
                             .color = S_C_GOOD,
                             .width = 1.8},
                            {.key = "extra_cost",
                             .label = "extra cost + investment, cumulative",
                             .x = cp->x,
                             .y = cc,
                             .n = nt,
                             .color = S_C_BAD,
                             .width = 1.8},
                            {.key = "net",
                             .label = "net (payback.csv)",
                             .x = nx,
                             .y = ny,
                             .n = npb,
                             .color = "#222222",
                             .width = 2.2,
                             .dash = "6 3"}};
    cx_svg_marker_t pm[1];
    char plabel[64], pt[200], cap[900];
    if (pay >= 0) {
        snprintf(plabel, sizeof plabel, "payback t=%.0f", p->pb.tick.v[pay]);
        pm[0] = (cx_svg_marker_t){.x = p->pb.tick.v[pay], .label = plabel, .color = S_C_GOOD};
        snprintf(pt, sizeof pt, "it pays back at tick %.0f (marked), and stays paid back",
                 p->pb.tick.v[pay]);
    } else if (p->have_pb) {
        snprintf(pt, sizeof pt, "no payback within the horizon (ticks %.0f" S_NDASH "%.0f)",
                 cp->x[0], cp->x[nt - 1]);
    } else {
        snprintf(pt, sizeof pt, "no payback.csv in this directory, so no net curve");
    }
    cx_svg_chart_t ch = {.id = "payback",
                         .title = "Payback of the scenario's extra spending",
                         .x_label = p->xl,
                         .y_label = "currency",
                         .zero_line = true};
    snprintf(cap, sizeof cap,
             "Means over the %d paired replicates, summed from the first tick, in currency: the "
             "scenario's extra revenue%s against its extra operating cost plus one-off "
             "investment; net = the difference, from payback.csv. Payback is the first tick "
             "from which net stays at or above 0: %s.",
             cp->npairs, p->margin == 1 ? "" : " (times the margin)", pt);
    cx_report_figure(b, &ch, s, npb ? 3 : 2, pm, pay >= 0 ? 1 : 0, cap);
}

int cx_report_compare_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_cpage_t p;
    memset(&p, 0, sizeof p);
    int rc = CX_REPORT_UNREADABLE;
    if (s_cpage_load(dir, &p, err, errlen) == 0) {
        s_cpage_head(b, &p);
        s_cpage_bands(b, &p);
        s_cpage_payback(b, &p);
        cx_report_page_foot(b, "compare.db, compare.csv and payback.csv");
        rc = 0;
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    s_cpage_free(&p);
    return rc;
}
