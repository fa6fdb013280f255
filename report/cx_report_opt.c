/*  cx_report_opt — the HTML report of an optimise directory (see
 *  cx_report.h): optimise.db, opened read-only, to one XHTML page.
 *
 *      header    scenario, objective, budget, steps, beam, replicates,
 *                evaluations, payback tick (meta)
 *      best      the best roadmap's moves as a list, its gain over doing
 *                nothing with the 95% CI
 *      charts    every evaluated roadmap's gain by step (points with CI,
 *                the best highlighted); the cumulative net money (gross profit
 *                - cost - investment) per tick of the best roadmap and of
 *                doing nothing, mean over the replicates with 95% bands,
 *                the moves and the payback tick marked
 *      table     the roadmaps table (optimise.csv's rows; data-value is
 *                the CSV's text)
 *
 *  Errors: CX_REPORT_UNREADABLE with a message in err.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_report.h"
#include "cx_report_common.h"
#include "cx_report_exp.h"
#include "cx_report_page.h"
#include "cx_report_pages.h"
#include "cx_svg.h"

#define S_NDASH "\xe2\x80\x93"
#define S_ARROW "\xe2\x86\x92"
#define S_PM "\xc2\xb1"
#define S_MOVES_MAX 16

typedef struct {
    long long id, point;
    int step, n, kept, best;
    char moves[1024];
    double cost, mean, half, lo, hi;
} s_map_t;

typedef struct {
    char dept[128];
    int tick, from, to;
} s_move_t;

typedef struct {
    sqlite3 *db;
    s_map_t *m;
    int nm;
    int best, none; /* indexes into m (-1: absent) */
    s_move_t mv[S_MOVES_MAX];
    int nmv;
    cx_report_series_t net_best, net_none;
    char unit[32];
    char gain[96]; /* the gain's axis label, in the objective's unit */
} s_opt_t;

static double s_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* "it@91:2>3; marketing@182:2>3" into moves. */
static void s_parse_moves(const char *text, s_opt_t *w)
{
    const char *p = text;
    while (*p && w->nmv < S_MOVES_MAX) {
        while (*p == ' ' || *p == ';') {
            p++;
        }
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char one[256];
        snprintf(one, sizeof one, "%.*s", (int)(len < 255 ? len : 255), p);
        char *at = strchr(one, '@');
        s_move_t *m = &w->mv[w->nmv];
        if (at && sscanf(at + 1, "%d:%d>%d", &m->tick, &m->from, &m->to) == 3) {
            *at = '\0';
            snprintf(m->dept, sizeof m->dept, "%.127s", one);
            w->nmv++;
        }
        p += len;
    }
}

static int s_load(const char *dir, s_opt_t *w, char *err, size_t errlen)
{
    int rc = cx_report_db_open(dir, "optimise.db", &w->db, err, errlen);
    if (rc != 0) {
        return rc;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT id, step, moves, cost, point, n, mean, sd_half, ci_low, "
                           "ci_high, kept, best FROM roadmaps ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "optimise.db: roadmaps: %s", sqlite3_errmsg(w->db));
        return CX_REPORT_UNREADABLE;
    }
    int cap = 0;
    w->best = w->none = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (w->nm == cap) {
            cap = cap ? 2 * cap : 32;
            s_map_t *q = realloc(w->m, (size_t)cap * sizeof *q);
            if (!q) {
                sqlite3_finalize(st);
                snprintf(err, errlen, "out of memory");
                return CX_REPORT_UNREADABLE;
            }
            w->m = q;
        }
        s_map_t *m = &w->m[w->nm];
        m->id = sqlite3_column_int64(st, 0);
        m->step = sqlite3_column_int(st, 1);
        const unsigned char *t = sqlite3_column_text(st, 2);
        snprintf(m->moves, sizeof m->moves, "%s", t ? (const char *)t : "");
        m->cost = s_col(st, 3);
        m->point = sqlite3_column_int64(st, 4);
        m->n = sqlite3_column_int(st, 5);
        m->mean = s_col(st, 6);
        m->half = s_col(st, 7);
        m->lo = s_col(st, 8);
        m->hi = s_col(st, 9);
        m->kept = sqlite3_column_int(st, 10);
        m->best = sqlite3_column_int(st, 11);
        if (m->best) {
            w->best = w->nm;
        }
        if (strcmp(m->moves, "none") == 0) {
            w->none = w->nm;
        }
        w->nm++;
    }
    sqlite3_finalize(st);
    if (w->nm == 0) {
        snprintf(err, errlen, "optimise.db holds no evaluated roadmap yet");
        return CX_REPORT_UNREADABLE;
    }
    if (w->best < 0) {
        w->best = w->none >= 0 ? w->none : 0;
    }
    if (strcmp(w->m[w->best].moves, "none") != 0) {
        s_parse_moves(w->m[w->best].moves, w);
    }
    const char *net = "gross_profit - cost - investment";
    if ((rc = cx_report_db_series(w->db, w->m[w->best].point, net, true, &w->net_best, err,
                                  errlen)) != 0) {
        return rc;
    }
    if (w->none >= 0 && w->none != w->best &&
        (rc = cx_report_db_series(w->db, w->m[w->none].point, net, true, &w->net_none, err,
                                  errlen)) != 0) {
        return rc;
    }
    return 0;
}

static void s_head(cx_buf_t *b, s_opt_t *w)
{
    char name[256], file[256], v[2048], m[5][64];
    cx_report_db_scenario(w->db, -1, name, sizeof name, file, sizeof file, w->unit, sizeof w->unit);
    const char *keys[5] = {"objective", "budget", "steps", "beam", "replicates"};
    for (int i = 0; i < 5; i++) {
        cx_report_db_meta(w->db, keys[i], m[i], sizeof m[i]);
    }
    char title[300], ptitle[360];
    snprintf(title, sizeof title, "%s: roadmap optimiser", name);
    snprintf(ptitle, sizeof ptitle, "%s " S_NDASH " cxsim optimise report", title);
    cx_report_page_head(b, ptitle);
    cx_buf_printf(b, "<h1>");
    cx_svg_escape(b, title);
    cx_buf_printf(b, "</h1>\n<p class=\"lead\">Which departments to raise, in which order, "
                     "within the budget: a greedy beam search over roadmaps of maturity "
                     "moves, each scored by its gain over doing nothing.</p>\n"
                     "<table class=\"facts\" id=\"facts\">\n");
    snprintf(v, sizeof v, "%s (%s)", name, file[0] ? file : "?");
    cx_report_fact(b, "Scenario", v);
    cx_report_fact(b, "Objective", m[0][0] ? m[0] : "?");
    /* The objective's unit: a KPI column's from the KPI table (nps: its
     * window mean; churn: the customers kept, as churned counts them); net:
     * money. */
    const char *col = strcmp(m[0], "net") == 0           ? NULL
                      : strcmp(m[0], "churn") == 0       ? "churned"
                      : strncmp(m[0], "window_", 7) == 0 ? m[0] + 7
                                                         : m[0];
    char u[64];
    snprintf(w->gain, sizeof w->gain, "gain, %s",
             col ? cx_report_kpi_axis(col, u, sizeof u) : "currency");
    if (!strcmp(w->gain, "gain, ")) {
        snprintf(w->gain, sizeof w->gain, "gain");
    }
    char g[64];
    cx_svg_fmt_grouped(g, sizeof g, m[1][0] ? atof(m[1]) : NAN, 0);
    cx_report_fact(b, "Budget", g);
    snprintf(v, sizeof v, "at most %s steps, beam %s, %s paired replicates per roadmap",
             m[2][0] ? m[2] : "?", m[3][0] ? m[3] : "?", m[4][0] ? m[4] : "?");
    cx_report_fact(b, "Search", v);
    snprintf(v, sizeof v, "%d roadmaps", w->nm);
    cx_report_fact(b, "Evaluated", v);
    cx_buf_printf(b, "</table>\n");
}

static void s_best(cx_buf_t *b, const s_opt_t *w)
{
    const s_map_t *m = &w->m[w->best];
    cx_buf_printf(b, "<h2>The best roadmap</h2>\n<ol class=\"roadmap\" id=\"best-roadmap\" "
                     "data-moves=\"");
    cx_svg_escape(b, m->moves);
    cx_buf_printf(b, "\">\n");
    for (int i = 0; i < w->nmv; i++) {
        const s_move_t *v = &w->mv[i];
        char t[400];
        snprintf(t, sizeof t, "tick %d: %s %d " S_ARROW " %d", v->tick, v->dept, v->from, v->to);
        cx_buf_printf(b, "<li class=\"move\" data-move=\"");
        char mv[300];
        snprintf(mv, sizeof mv, "%s@%d:%d>%d", v->dept, v->tick, v->from, v->to);
        cx_svg_escape(b, mv);
        cx_buf_printf(b, "\">");
        cx_svg_escape(b, t);
        cx_buf_printf(b, "</li>\n");
    }
    if (w->nmv == 0) {
        cx_buf_printf(b, "<li class=\"none\">doing nothing: no roadmap beat it</li>\n");
    }
    cx_buf_printf(b, "</ol>\n<table class=\"facts\" id=\"best\">\n");
    char c[64], v[400], mean[64], lo[64], hi[64], half[64];
    cx_svg_fmt_grouped(c, sizeof c, m->cost, 0);
    cx_report_fact(b, "Cost", c);
    int dec = cx_report_decimals(isfinite(m->half) && m->half > 0 ? m->half / 10 : m->mean);
    cx_svg_fmt_grouped(mean, sizeof mean, m->mean, dec);
    cx_svg_fmt_grouped(half, sizeof half, m->half, dec);
    cx_svg_fmt_grouped(lo, sizeof lo, m->lo, dec);
    cx_svg_fmt_grouped(hi, sizeof hi, m->hi, dec);
    snprintf(v, sizeof v, "%s " S_PM " %s (95%% CI %s to %s, %d paired replicates)", mean, half, lo,
             hi, m->n);
    char gm[40], gl[40], gh[40];
    cx_report_g(gm, sizeof gm, m->mean, 17);
    cx_report_g(gl, sizeof gl, m->lo, 17);
    cx_report_g(gh, sizeof gh, m->hi, 17);
    cx_buf_printf(b,
                  "<tr id=\"gain\" data-mean=\"%s\" data-low=\"%s\" data-high=\"%s\">"
                  "<th>Gain over doing nothing</th><td>",
                  gm, gl, gh);
    cx_svg_escape(b, v);
    cx_buf_printf(b, "</td></tr>\n");
    char pay[64];
    cx_report_db_meta(w->db, "payback_tick", pay, sizeof pay);
    cx_buf_printf(b, "<tr id=\"payback\" data-tick=\"");
    cx_svg_escape(b, pay);
    cx_buf_printf(b, "\"><th>Payback tick</th><td>");
    cx_svg_escape(
        b, pay[0] && strspn(pay, "0123456789") == strlen(pay) ? pay : "none within the horizon");
    cx_buf_printf(b, "</td></tr>\n</table>\n");
}

static void s_by_step(cx_buf_t *b, const s_opt_t *w)
{
    double *buf = malloc((size_t)w->nm * 8 * sizeof *buf);
    if (!buf) {
        b->oom = true;
        return;
    }
    double *x = buf, *y = buf + w->nm, *lo = buf + 2 * w->nm, *hi = buf + 3 * w->nm;
    double *bx = buf + 4 * w->nm, *by = buf + 5 * w->nm, *bl = buf + 6 * w->nm,
           *bh = buf + 7 * w->nm;
    int n = 0, nb = 0, maxstep = 0;
    for (int i = 0; i < w->nm; i++) {
        maxstep = w->m[i].step > maxstep ? w->m[i].step : maxstep;
    }
    for (int i = 0; i < w->nm; i++) {
        const s_map_t *m = &w->m[i];
        /* Spread the roadmaps of a step over +-0.3 around it. */
        int k = 0, of = 0;
        for (int j = 0; j < w->nm; j++) {
            if (w->m[j].step == m->step) {
                k += j < i;
                of++;
            }
        }
        double xx = m->step + (of > 1 ? -0.3 + 0.6 * k / (of - 1) : 0);
        if (i == w->best) {
            bx[nb] = xx, by[nb] = m->mean, bl[nb] = m->lo, bh[nb] = m->hi;
            nb++;
        } else {
            x[n] = xx, y[n] = m->mean, lo[n] = m->lo, hi[n] = m->hi;
            n++;
        }
    }
    cx_svg_series_t s[2] = {{.key = "roadmap",
                             .label = "roadmap (mean, 95% CI)",
                             .x = x,
                             .y = y,
                             .lo = lo,
                             .hi = hi,
                             .n = n,
                             .color = "#999999",
                             .error_bars = true,
                             .no_line = true},
                            {.key = "best",
                             .label = "best roadmap",
                             .x = bx,
                             .y = by,
                             .lo = bl,
                             .hi = bh,
                             .n = nb,
                             .color = "#d55e00",
                             .error_bars = true,
                             .no_line = true}};
    cx_svg_chart_t ch = {.id = "opt-steps",
                         .title = "Gain over doing nothing of every roadmap, by step",
                         .x_label = "step (moves in the roadmap)",
                         .y_label = w->gain,
                         .zero_line = true,
                         .x_pad = maxstep > 0 ? 0.1 : 0.5};
    cx_report_figure(b, &ch, s, 2, NULL, 0,
                     "Each evaluated roadmap at its step (roadmaps of one step spread side by "
                     "side): the mean over the paired replicates of its objective minus that of "
                     "doing nothing, with the Student t 95% confidence interval; the best "
                     "roadmap highlighted. Step 0 is doing nothing (gain 0).");
    free(buf);
}

static void s_net(cx_buf_t *b, const s_opt_t *w)
{
    const cx_report_series_t *sb = &w->net_best, *sn = &w->net_none;
    cx_svg_series_t s[2];
    int ns = 0;
    if (sn->nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "nothing",
                                    .label = "doing nothing",
                                    .x = sn->tick,
                                    .y = sn->mean,
                                    .lo = sn->lo,
                                    .hi = sn->hi,
                                    .n = sn->nt,
                                    .color = "#777777"};
    }
    if (sb->nt > 0) {
        s[ns++] = (cx_svg_series_t){.key = "best",
                                    .label = w->nmv ? "best roadmap" : "best (doing nothing)",
                                    .x = sb->tick,
                                    .y = sb->mean,
                                    .lo = sb->lo,
                                    .hi = sb->hi,
                                    .n = sb->nt,
                                    .color = "#0072b2",
                                    .width = 2};
    }
    cx_svg_marker_t mk[S_MOVES_MAX + 1];
    char lab[S_MOVES_MAX + 1][200];
    int nmk = 0;
    for (int i = 0; i < w->nmv; i++) {
        snprintf(lab[nmk], sizeof lab[nmk], "t=%d %s " S_ARROW "%d", w->mv[i].tick, w->mv[i].dept,
                 w->mv[i].to);
        mk[nmk] = (cx_svg_marker_t){.x = w->mv[i].tick, .label = lab[nmk]};
        nmk++;
    }
    char pay[64];
    cx_report_db_meta(w->db, "payback_tick", pay, sizeof pay);
    if (pay[0] && strspn(pay, "0123456789") == strlen(pay)) {
        snprintf(lab[nmk], sizeof lab[nmk], "payback t=%s", pay);
        mk[nmk] = (cx_svg_marker_t){.x = atof(pay), .label = lab[nmk], .color = "#009e73"};
        nmk++;
    }
    char xl[64];
    snprintf(xl, sizeof xl, "tick (%s)", w->unit);
    cx_svg_chart_t ch = {.id = "opt-net",
                         .title = "Cumulative net money: best roadmap against doing nothing",
                         .x_label = xl,
                         .y_label = "currency",
                         .zero_line = true};
    char cap[700];
    snprintf(cap, sizeof cap,
             "Revenue " S_NDASH " operating cost " S_NDASH " investment, summed from the first "
             "tick: the mean over the %d replicates with its Student t 95%% band, for the best "
             "roadmap and for doing nothing (common random numbers). Dashed lines: the "
             "roadmap's moves, and the payback tick (the first tick from which the mean "
             "cumulative net gain stays at or above 0).",
             sb->nruns);
    cx_report_figure(b, &ch, s, ns, mk, nmk, cap);
}

static void s_table(cx_buf_t *b, const s_opt_t *w)
{
    cx_buf_printf(b, "<h2>Every roadmap evaluated</h2>\n<div style=\"overflow-x:auto\">\n"
                     "<table class=\"kpis\" id=\"roadmaps\">\n<tr><th class=\"num\">id</th>"
                     "<th class=\"num\">step</th><th>moves</th><th class=\"num\">cost</th>"
                     "<th class=\"num\">n</th><th class=\"num\">gain</th>"
                     "<th class=\"num\">" S_PM "</th><th class=\"num\">95%% CI low</th>"
                     "<th class=\"num\">high</th><th>kept</th><th>best</th></tr>\n");
    for (int i = 0; i < w->nm; i++) {
        const s_map_t *m = &w->m[i];
        cx_buf_printf(b,
                      "<tr class=\"roadmap%s\" data-id=\"%lld\"><td class=\"num\">%lld</td>"
                      "<td class=\"num\">%d</td><td class=\"moves\">",
                      m->best ? " sig" : "", m->id, m->id, m->step);
        cx_svg_escape(b, m->moves);
        cx_buf_printf(b, "</td>");
        cx_report_num_cell(b, "cost", m->cost, 17, 0, false);
        cx_buf_printf(b, "<td class=\"num n\">%d</td>", m->n);
        int dec = cx_report_decimals(isfinite(m->half) && m->half > 0 ? m->half / 10 : m->mean);
        dec = dec > 2 ? 2 : dec;
        cx_report_num_cell(b, "mean", m->mean, 17, dec, true);
        cx_report_num_cell(b, "half_width", m->half, 17, dec, false);
        cx_report_num_cell(b, "ci_low", m->lo, 17, dec, true);
        cx_report_num_cell(b, "ci_high", m->hi, 17, dec, true);
        cx_buf_printf(b, "<td>%s</td><td>%s</td></tr>\n", m->kept ? "yes" : "",
                      m->best ? "best" : "");
    }
    cx_buf_printf(b, "</table>\n</div>\n<p class=\"note\">The rows of optimise.csv (each "
                     "cell's data-value is its text): gain = mean over the paired replicates "
                     "of the objective minus doing nothing's, " S_PM
                     " the half-width of its Student t 95%% confidence interval.</p>\n");
}

int cx_report_opt_page(const char *dir, cx_buf_t *b, char *err, size_t errlen)
{
    s_opt_t w;
    memset(&w, 0, sizeof w);
    int rc = s_load(dir, &w, err, errlen);
    if (rc == 0) {
        s_head(b, &w);
        s_best(b, &w);
        cx_buf_printf(b, "<h2>The search</h2>\n");
        s_by_step(b, &w);
        cx_buf_printf(b, "<h2>Money over time</h2>\n");
        s_net(b, &w);
        s_table(b, &w);
        cx_report_page_foot(b, "optimise.db");
        if (b->oom) {
            snprintf(err, errlen, "out of memory");
            rc = CX_REPORT_UNREADABLE;
        }
    }
    if (w.db) {
        sqlite3_close(w.db);
    }
    free(w.m);
    cx_report_series_free(&w.net_best);
    cx_report_series_free(&w.net_none);
    return rc;
}
