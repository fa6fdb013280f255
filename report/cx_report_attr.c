/*  cx_report_attr — the HTML report of an attribution directory (`cxsim
 *  attribute`: attribution.db, attribution.csv, shares.csv, runs.csv), to
 *  one XHTML page:
 *
 *      header   scenario, touchpoints, replicates
 *      map      the journeys, their touchpoints in order, each box coloured
 *               by its pain and delight shares (a bar for each, the box
 *               tinted by the larger): seed 003's journey map of pain points
 *               and "enchantements"
 *      bars     the touchpoints ranked by their contribution to NPS, with
 *               the 95% CI as a whisker (cx_svg_hbars); their pain shares
 *               with CIs, in the same order
 *      table    rank, touchpoint, owner, NPS contribution [CI], pain and
 *               delight shares [CI]
 *
 *  The journey order comes from runs.csv (arm tpI is the I-th touchpoint
 *  in journey order). Errors: CX_REPORT_UNREADABLE with a message in err.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_report.h"
#include "cx_report_common.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"

#define S_MAX_TP 512 /* touchpoints of a scenario (16 journeys x 32) */
#define S_BOX_W 150  /* journey map: a touchpoint's box */
#define S_BOX_H 78
#define S_GAP 26 /* between boxes */
#define S_ROW_H 118

typedef struct {
    char journey[64];      /* journey id */
    char tp[64];           /* touchpoint id */
    char owner[64];        /* department id or "external" */
    int rank;              /* by NPS contribution, 1 first */
    int pos;               /* index in journey order (runs.csv's tpI), -1 unknown */
    double nps, lo, hi;    /* NPS contribution, 95% CI */
    double pain, plo, phi; /* pain share, % */
    double dlt, dlo, dhi;  /* delight share, % */
    double inter;          /* interactions per run */
} s_tp_t;

typedef struct {
    s_tp_t tp[S_MAX_TP]; /* in rank order */
    int n;               /* used */
    int reps;            /* replicates (attribution.csv's n) */
} s_attr_t;

static s_tp_t *s_find(s_attr_t *a, const char *journey, const char *tp)
{
    for (int i = 0; i < a->n; i++) {
        if (!strcmp(a->tp[i].journey, journey) && !strcmp(a->tp[i].tp, tp)) {
            return &a->tp[i];
        }
    }
    return NULL;
}

static int s_share_row(void *ud, char **f)
{
    s_attr_t *a = ud;
    if (a->n >= S_MAX_TP) {
        return 0;
    }
    s_tp_t *t = &a->tp[a->n++];
    t->rank = atoi(f[0]);
    snprintf(t->journey, sizeof t->journey, "%s", f[1]);
    snprintf(t->tp, sizeof t->tp, "%s", f[2]);
    snprintf(t->owner, sizeof t->owner, "%s", f[3]);
    t->inter = cx_report_num(f[4]);
    double *v[6] = {&t->pain, &t->plo, &t->phi, &t->dlt, &t->dlo, &t->dhi};
    for (int k = 0; k < 6; k++) {
        *v[k] = cx_report_num(f[5 + k]);
    }
    t->nps = t->lo = t->hi = NAN;
    t->pos = -1;
    return 0;
}

static int s_attr_row(void *ud, char **f)
{
    s_attr_t *a = ud;
    s_tp_t *t = strcmp(f[2], "nps") == 0 ? s_find(a, f[0], f[1]) : NULL;
    if (t) {
        t->nps = cx_report_num(f[3]);
        t->lo = cx_report_num(f[4]);
        t->hi = cx_report_num(f[5]);
        a->reps = atoi(f[6]);
    }
    return 0;
}

static int s_runs_row(void *ud, char **f)
{
    s_attr_t *a = ud;
    const char *slash = strchr(f[1], '/');
    if (strcmp(f[2], "0") != 0 || f[0][0] != 't' || !slash) {
        return 0;
    }
    char j[64];
    snprintf(j, sizeof j, "%.*s", (int)(slash - f[1]), f[1]);
    s_tp_t *t = s_find(a, j, slash + 1);
    if (t) {
        t->pos = atoi(f[0] + 2);
    }
    return 0;
}

static int s_load(const char *dir, s_attr_t *a, char *err, size_t errlen)
{
    static const char *const sc[] = {
        "rank",          "journey",          "touchpoint",      "owner",
        "interactions",  "pain_share",       "pain_share_lo",   "pain_share_hi",
        "delight_share", "delight_share_lo", "delight_share_hi"};
    static const char *const ac[] = {"journey", "touchpoint", "kpi", "contribution",
                                     "lo",      "hi",         "n"};
    static const char *const rc_[] = {"run", "touchpoint", "replicate"};
    int rc = cx_report_csv(dir, "shares.csv", sc, 11, s_share_row, a, err, errlen);
    if (rc == 0) {
        rc = cx_report_csv(dir, "attribution.csv", ac, 7, s_attr_row, a, err, errlen);
    }
    if (rc == 0) {
        rc = cx_report_csv(dir, "runs.csv", rc_, 3, s_runs_row, a, err, errlen);
    }
    if (rc == 0 && a->n == 0) {
        snprintf(err, errlen, "%.3000s/shares.csv has no touchpoint", dir);
        rc = CX_REPORT_UNREADABLE;
    }
    return rc;
}

/* One touchpoint's box on the map at (x, y). */
static void s_box(cx_buf_t *b, const s_tp_t *t, int x, int y)
{
    bool pained = !(t->dlt > t->pain);
    double share = pained ? t->pain : t->dlt;
    double op = isfinite(share) ? 0.08 + 0.4 * share / 100.0 : 0.0;
    char p[32], d[32];
    cx_svg_fmt(p, sizeof p, t->pain, 1);
    cx_svg_fmt(d, sizeof d, t->dlt, 1);
    cx_buf_printf(b, "<g class=\"tp\" data-touchpoint=\"");
    cx_svg_escape(b, t->journey);
    cx_buf_printf(b, "/");
    cx_svg_escape(b, t->tp);
    cx_buf_printf(b, "\" data-rank=\"%d\" data-pain=\"%s\" data-delight=\"%s\" data-tint=\"%s\">\n",
                  t->rank, p, d, pained ? "pain" : "delight");
    cx_buf_printf(b,
                  "<rect class=\"box\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" "
                  "fill=\"%s\" fill-opacity=\"%.3f\" stroke=\"#444\"/>\n",
                  x, y, S_BOX_W, S_BOX_H, pained ? "#d55e00" : "#009e73", op);
    cx_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x + 8, y + 17);
    cx_svg_escape(b, t->tp);
    cx_buf_printf(b, " (#%d)</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\">", t->rank, x + 8,
                  y + 32);
    cx_svg_escape(b, t->owner);
    cx_buf_printf(b, "</text>\n");
    const char *cls[2] = {"pain", "delight"};
    const char *col[2] = {"#d55e00", "#009e73"};
    const double v[2] = {t->pain, t->dlt};
    const char *txt[2] = {p, d};
    for (int k = 0; k < 2; k++) {
        /* The label on the left, the bar (0..100 %) on the right. */
        double w = isfinite(v[k]) ? (S_BOX_W - 86) * fmin(fmax(v[k], 0.0), 100.0) / 100.0 : 0;
        int by = y + 42 + 16 * k;
        cx_buf_printf(b,
                      "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s %s%%</text>\n<rect "
                      "class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"10\" "
                      "fill=\"%s\" stroke=\"#222\" stroke-width=\"0.5\"/>\n",
                      x + 8, by + 9, cls[k], txt[k], cls[k], x + 78, by, w, col[k]);
    }
    cx_buf_printf(b, "</g>\n");
}

/* The journey map: one row per journey, its touchpoints in order. */
static void s_map(cx_buf_t *b, const s_attr_t *a)
{
    const s_tp_t *row[S_MAX_TP];
    char journeys[16][64];
    int nj = 0, widest = 0;
    for (int i = 0; i < a->n; i++) {
        int j = 0;
        while (j < nj && strcmp(journeys[j], a->tp[i].journey) != 0) {
            j++;
        }
        if (j == nj && nj < 16) {
            snprintf(journeys[nj++], 64, "%s", a->tp[i].journey);
        }
    }
    for (int j = 0; j < nj; j++) {
        int n = 0;
        for (int i = 0; i < a->n; i++) {
            n += strcmp(a->tp[i].journey, journeys[j]) == 0;
        }
        widest = n > widest ? n : widest;
    }
    int w = 20 + widest * (S_BOX_W + S_GAP), h = 10 + nj * S_ROW_H;
    cx_buf_printf(b,
                  "<figure id=\"fig-journey-map\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                  "class=\"journey-map\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n",
                  w, h, w, h);
    for (int j = 0; j < nj; j++) {
        int n = 0;
        for (int i = 0; i < a->n; i++) {
            if (strcmp(a->tp[i].journey, journeys[j]) == 0) {
                row[n++] = &a->tp[i];
            }
        }
        for (int x = 1; x < n; x++) { /* journey order (insertion sort, n <= 32) */
            for (int k = x; k > 0 && row[k - 1]->pos > row[k]->pos; k--) {
                const s_tp_t *s = row[k];
                row[k] = row[k - 1];
                row[k - 1] = s;
            }
        }
        int y = 10 + j * S_ROW_H;
        cx_buf_printf(b, "<g class=\"journey\" data-journey=\"");
        cx_svg_escape(b, journeys[j]);
        cx_buf_printf(b, "\">\n<text x=\"10\" y=\"%d\" font-weight=\"bold\">journey ", y + 10);
        cx_svg_escape(b, journeys[j]);
        cx_buf_printf(b, "</text>\n");
        for (int k = 0; k < n; k++) {
            int x = 10 + k * (S_BOX_W + S_GAP);
            if (k > 0) {
                cx_buf_printf(b,
                              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" "
                              "stroke-width=\"2\"/>\n",
                              x - S_GAP, y + 20 + S_BOX_H / 2, x, y + 20 + S_BOX_H / 2);
            }
            s_box(b, row[k], x, y + 20);
        }
        cx_buf_printf(b, "</g>\n");
    }
    cx_buf_printf(b, "</svg>\n<figcaption>The journeys, their touchpoints in order (#: rank by "
                     "NPS contribution). Each box: the share of its experiences below the "
                     "customer's expectation (pain, vermilion) and a point or more above it "
                     "(delight, green), over the as-is runs; the box is tinted by the larger, "
                     "the stronger the larger it is.</figcaption>\n</figure>\n");
}

/* A ranked bar chart: value k (0 NPS contribution, 1 pain share) of each
 * touchpoint in rank order, with its CI. */
static void s_bars(cx_buf_t *b, const s_attr_t *a, int k)
{
    cx_svg_bar_t *bars = calloc((size_t)a->n, sizeof *bars);
    char(*lab)[140] = calloc((size_t)a->n, sizeof *lab);
    char(*key)[16] = calloc((size_t)a->n, sizeof *key);
    if (!bars || !lab || !key) {
        b->oom = true;
    }
    for (int i = 0; bars && lab && key && i < a->n; i++) {
        const s_tp_t *t = &a->tp[i];
        snprintf(lab[i], sizeof lab[i], "%d. %s/%s", t->rank, t->journey, t->tp);
        snprintf(key[i], sizeof key[i], "tp%d", i);
        bars[i] = (cx_svg_bar_t){key[i],
                                 lab[i],
                                 k ? t->pain : t->nps,
                                 k ? t->plo : t->lo,
                                 k ? t->phi : t->hi,
                                 k ? "#d55e00" : NULL};
    }
    const char *id = k ? "chart-pain" : "chart-nps";
    cx_svg_chart_t ch = {.id = id,
                         .title = k ? "Pain share" : "Contribution to NPS",
                         .x_label = k ? "% of its experiences below expectation"
                                      : "NPS points (its pain removed or its quality raised)"};
    cx_buf_printf(b, "<figure id=\"fig-%s\" class=\"ranked\">\n", id);
    if (bars && lab && key) {
        cx_svg_hbars(b, &ch, bars, a->n);
    }
    cx_buf_printf(b,
                  "<figcaption>%s, touchpoints ranked by their contribution to NPS; the "
                  "whisker is the Student t 95%% confidence interval over the %d "
                  "replicates.</figcaption>\n</figure>\n",
                  k ? "The share of each touchpoint's experiences below expectation"
                    : "What each touchpoint changes in NPS, the mean of the paired differences",
                  a->reps);
    free(bars);
    free(lab);
    free(key);
}

static void s_ci(cx_buf_t *b, double m, double lo, double hi, int dec, bool sign)
{
    cx_report_num_cell(b, "", m, 10, dec, sign);
    char l[32], h[32];
    cx_svg_fmt(l, sizeof l, lo, dec);
    cx_svg_fmt(h, sizeof h, hi, dec);
    cx_buf_printf(b, "<td class=\"ci\">[%s, %s]</td>", l, h);
}

static void s_table(cx_buf_t *b, const s_attr_t *a)
{
    cx_buf_printf(b, "<h2>The table</h2>\n<table class=\"kpis\" id=\"attribution\">\n<tr><th>rank"
                     "</th><th>touchpoint</th><th>owner</th><th>NPS</th><th>95%% CI</th><th>pain "
                     "%%</th><th>95%% CI</th><th>delight %%</th><th>95%% CI</th></tr>\n");
    for (int i = 0; i < a->n; i++) {
        const s_tp_t *t = &a->tp[i];
        cx_buf_printf(b, "<tr data-touchpoint=\"");
        cx_svg_escape(b, t->journey);
        cx_buf_printf(b, "/");
        cx_svg_escape(b, t->tp);
        cx_buf_printf(b, "\"><td>%d</td><td>", t->rank);
        cx_svg_escape(b, t->journey);
        cx_buf_printf(b, "/");
        cx_svg_escape(b, t->tp);
        cx_buf_printf(b, "</td><td>");
        cx_svg_escape(b, t->owner);
        cx_buf_printf(b, "</td>");
        s_ci(b, t->nps, t->lo, t->hi, 2, true);
        s_ci(b, t->pain, t->plo, t->phi, 1, false);
        s_ci(b, t->dlt, t->dlo, t->dhi, 1, false);
        cx_buf_printf(b, "</tr>\n");
    }
    cx_buf_printf(b, "</table>\n");
}

int cx_report_attr_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_attr_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return CX_REPORT_UNREADABLE;
    }
    int rc = s_load(dir, a, err, errlen);
    if (rc == 0) {
        const char *name = cx_report_basename(dir);
        char title[300], v[64];
        snprintf(title, sizeof title, "%s: journey attribution", name);
        cx_report_page_head(b, title);
        cx_buf_printf(b, "<h1>");
        cx_svg_escape(b, title);
        cx_buf_printf(b, "</h1>\n<p class=\"lead\">Which touchpoints drive NPS, and where the "
                         "pain points and delights are (cxsim attribute).</p>\n"
                         "<table class=\"facts\" id=\"facts\">\n");
        snprintf(v, sizeof v, "%d", a->n);
        cx_report_fact(b, "Touchpoints", v);
        snprintf(v, sizeof v, "%d", a->reps);
        cx_report_fact(b, "Replicates", v);
        cx_buf_printf(b, "</table>\n<h2>Journey map</h2>\n");
        s_map(b, a);
        cx_buf_printf(b, "<h2>Ranked</h2>\n");
        s_bars(b, a, 0);
        s_bars(b, a, 1);
        s_table(b, a);
        cx_report_page_foot(b, "attribution.csv, shares.csv, runs.csv");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    free(a);
    return rc;
}
