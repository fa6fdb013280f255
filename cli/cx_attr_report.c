/*  cx_attr_report — see cx_attr_report.h. */
#include "cx_attr_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_exp_stats.h"

static const char s_cmd[] = "cxsim attribute";

/* The KPIs of the table, in its order. */
static const cx_gap_kpi_t s_shown[] = {CX_GAP_NPS, CX_GAP_CES, CX_GAP_CHURN_RATE, CX_GAP_REVENUE};
#define S_SHOWN ((int)(sizeof s_shown / sizeof *s_shown))

int cx_attr_collect(cx_dx_runs_t *x, const cx_attr_tp_t *tps, int n_tp, cx_attr_result_t *res)
{
    cx_tp_counts_t *c = calloc((size_t)(n_tp > 0 ? n_tp : 1), sizeof *c);
    if (!c) {
        fprintf(stderr, "%s: out of memory\n", s_cmd);
        return -1;
    }
    int rc = 0;
    for (int r = 0; r < x->reps && rc == 0; r++) {
        rc = cx_dx_runs_kpis(x, 0, r, res->kb[r]);
        for (int t = 0; t < n_tp && rc == 0; t++) {
            rc = cx_dx_runs_kpis(x, 1 + t, r, res->kt[t][r]);
        }
        size_t len = 0;
        char *text = rc == 0 ? cx_dx_runs_read(x, 0, r, "touchpoints.csv", &len) : NULL;
        char err[256];
        if (rc == 0 && (!text || cx_tp_counts_read(text, len, tps, n_tp, c, err, sizeof err))) {
            if (text) {
                fprintf(stderr, "%s: replicate %d touchpoints.csv: %s\n", s_cmd, r, err);
            }
            rc = -1;
        }
        for (int t = 0; t < n_tp && rc == 0; t++) {
            cx_tp_shares(&c[t], res->share[t][r]);
            res->inter[t][r] = (double)c[t].interactions;
        }
        free(text);
    }
    free(c);
    return rc;
}

/* runs.csv: every run cited, its seed, directory and KPIs. */
static int s_runs(cx_dx_runs_t *x, const cx_attr_tp_t *tps, int n_tp, const cx_attr_result_t *res,
                  cx_buf_t *b)
{
    cx_buf_printf(b, "run,touchpoint,replicate,seed,dir");
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        cx_buf_printf(b, ",%s", cx_gap_kpi_name((cx_gap_kpi_t)k));
    }
    cx_buf_printf(b, "\n");
    for (int r = 0; r < x->reps; r++) {
        for (int a = 0; a <= n_tp; a++) {
            char dir[512];
            uint64_t seed = 0;
            if (cx_dx_runs_dir(x, a, r, dir, sizeof dir, &seed) != 0) {
                return -1;
            }
            const double *v = a == 0 ? res->kb[r] : res->kt[a - 1][r];
            if (a == 0) {
                cx_buf_printf(b, "base,,");
            } else {
                cx_buf_printf(b, "tp%d,%s,", a - 1, tps[a - 1].name);
            }
            cx_buf_printf(b, "%d,%llu,%s", r, (unsigned long long)seed, dir);
            for (int k = 0; k < CX_GAP_KPIS; k++) {
                cx_buf_printf(b, ",%.17g", v[k]);
            }
            cx_buf_printf(b, "\n");
        }
    }
    return 0;
}

/* Mean and 95% CI over replicates of v[0..n-1]. */
static void s_mean(const double *v, int n, double t975, cx_gap_stat_t *st)
{
    double zero[CX_GAP_MAX_REPS] = {0};
    cx_gap_paired(zero, v, n, t975, st);
}

/* One row of the table, attribution.csv and shares.csv for touchpoint t
 * ranked `rank`. */
static void s_row(int rank, const cx_attr_tp_t *a, const cx_gap_stat_t *stat,
                  const cx_gap_stat_t *sh, double inter, cx_buf_t *rep, cx_buf_t *csv,
                  cx_buf_t *shares)
{
    cx_buf_printf(rep, "%4d  %-24s %-16s", rank, a->name, a->owner);
    for (int s = 0; s < S_SHOWN; s++) {
        const cx_gap_stat_t *g = &stat[s_shown[s]];
        char cell[64];
        const char *fmt = s_shown[s] == CX_GAP_REVENUE ? "%+.0f [%+.0f, %+.0f]"
                          : s_shown[s] == CX_GAP_NPS   ? "%+.2f [%+.2f, %+.2f]"
                                                       : "%+.4f [%+.4f, %+.4f]";
        snprintf(cell, sizeof cell, fmt, g->delta, g->lo, g->hi);
        cx_buf_printf(rep, " %-22s", cell);
    }
    cx_buf_printf(rep, " %5.1f %5.1f\n", sh[CX_SHARE_PAIN].delta, sh[CX_SHARE_DELIGHT].delta);
    const char *slash = strchr(a->name, '/');
    int jl = (int)(slash - a->name);
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        const cx_gap_stat_t *g = &stat[k];
        cx_buf_printf(csv, "%d,%.*s,%s,%s,%s,%.17g,%.17g,%.17g,%d\n", rank, jl, a->name,
                         slash + 1, a->owner, cx_gap_kpi_name((cx_gap_kpi_t)k), g->delta, g->lo,
                         g->hi, g->n);
    }
    cx_buf_printf(shares, "%d,%.*s,%s,%s,%.17g", rank, jl, a->name, slash + 1, a->owner, inter);
    for (int s = 0; s < CX_SHARES; s++) {
        cx_buf_printf(shares, ",%.17g,%.17g,%.17g", sh[s].delta, sh[s].lo, sh[s].hi);
    }
    cx_buf_printf(shares, "\n");
}

int cx_attr_report(cx_dx_runs_t *x, const cx_scenario_t *sc, const cx_attr_tp_t *tps, int n_tp,
                   cx_attr_method_t method, double delta, const cx_attr_result_t *res)
{
    int reps = x->reps;
    double t975 = cx_exp_t_quantile(0.975, (double)(reps - 1));
    static cx_gap_stat_t stat[CX_ATTR_MAX_TP][CX_GAP_KPIS];
    static cx_gap_stat_t sh[CX_ATTR_MAX_TP][CX_SHARES];
    double score[CX_ATTR_MAX_TP];
    double inter[CX_ATTR_MAX_TP];
    for (int t = 0; t < n_tp; t++) {
        for (int k = 0; k < CX_GAP_KPIS; k++) {
            double b[CX_GAP_MAX_REPS];
            double v[CX_GAP_MAX_REPS];
            for (int r = 0; r < reps; r++) {
                b[r] = res->kb[r][k];
                v[r] = res->kt[t][r][k];
            }
            cx_gap_paired(b, v, reps, t975, &stat[t][k]);
        }
        for (int s = 0; s < CX_SHARES; s++) {
            double v[CX_GAP_MAX_REPS];
            for (int r = 0; r < reps; r++) {
                v[r] = res->share[t][r][s];
            }
            s_mean(v, reps, t975, &sh[t][s]);
        }
        cx_gap_stat_t in;
        s_mean(res->inter[t], reps, t975, &in);
        inter[t] = in.delta;
        score[t] = stat[t][CX_GAP_NPS].delta;
    }
    int order[CX_ATTR_MAX_TP];
    cx_attr_rank(score, n_tp, order);
    cx_buf_t rep, csv, shares, runs;
    cx_buf_init(&rep);
    cx_buf_init(&csv);
    cx_buf_init(&shares);
    cx_buf_init(&runs);
    char how[64];
    snprintf(how, sizeof how, method == CX_ATTR_PAIN ? "its pain removed" : "its quality %+g",
             delta);
    cx_buf_printf(&rep,
                     "attribution: %s, %d touchpoints, each with %s, one at a time; %d "
                     "paired replicates (common random numbers), %d ticks\n"
                     "contribution = KPI with the touchpoint changed - KPI as is, mean "
                     "[95%% CI]; ranked by NPS; pain and delight: %% of its experiences\n\n",
                     sc->name, n_tp, how, reps, sc->ticks);
    cx_buf_printf(&rep, "%4s  %-24s %-16s %-22s %-22s %-22s %-22s %5s %5s\n", "rank",
                     "touchpoint", "owner", "NPS", "CES", "churn rate %", "revenue", "pain%",
                     "dlgt%");
    cx_buf_printf(&csv, "rank,journey,touchpoint,owner,kpi,contribution,lo,hi,n\n");
    cx_buf_printf(&shares, "rank,journey,touchpoint,owner,interactions");
    for (int s = 0; s < CX_SHARES; s++) {
        const char *nm = cx_share_name((cx_share_t)s);
        cx_buf_printf(&shares, ",%s,%s_lo,%s_hi", nm, nm, nm);
    }
    cx_buf_printf(&shares, "\n");
    for (int i = 0; i < n_tp; i++) {
        int t = order[i];
        s_row(i + 1, &tps[t], stat[t], sh[t], inter[t], &rep, &csv, &shares);
    }
    cx_buf_printf(&rep,
                     "\nruns: %s/runs (runs.csv cites each with its seed); "
                     "attribution.csv, shares.csv\n",
                     x->pl.root);
    int rc = s_runs(x, tps, n_tp, res, &runs);
    if (rc == 0 && (cx_dx_write(s_cmd, x->pl.root, "attribution.csv", &csv) != 0 ||
                    cx_dx_write(s_cmd, x->pl.root, "shares.csv", &shares) != 0 ||
                    cx_dx_write(s_cmd, x->pl.root, "runs.csv", &runs) != 0 ||
                    cx_dx_write(s_cmd, x->pl.root, "attribution.txt", &rep) != 0)) {
        rc = -1;
    }
    if (rc == 0) {
        fputs(cx_buf_str(&rep), stdout);
    }
    cx_buf_fini(&rep);
    cx_buf_fini(&csv);
    cx_buf_fini(&shares);
    cx_buf_fini(&runs);
    return rc;
}
