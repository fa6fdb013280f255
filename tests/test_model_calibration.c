/*  test_model_calibration — the default calibration against the stylised
 *  facts of the seeds (shared domain page): higher maturity gives higher
 *  NPS, lower churn, more revenue and more engaged employees; high effort
 *  drives churn; a transition dips before it pays; promoters refer and
 *  spend more than detractors.
 *
 *  Every run is in-process and deterministic (fixed seed), with 12,000
 *  customers over a year of daily ticks. The numbers come out of the
 *  model's equations with default parameters; nothing here tunes them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_world.h"

#define S_CUSTOMERS 12000
#define S_TICKS 365

/* What a run adds up to. */
typedef struct {
    double nps;          /* over the run's respondents */
    double churn;        /* customers lost per customer-year */
    double revenue;      /* currency over the run */
    double engagement;   /* mean employee engagement over the second half */
    double satisfaction; /* mean satisfaction over the second half */
    double ces;          /* mean CES over the run's respondents */
    double csat;         /* CSAT over the run's respondents */
} s_result_t;

static void s_run(const cx_scenario_t *sc, s_result_t *r, double *sat_by_tick)
{
    cx_world_t *w = cx_world_new(sc, 1);
    assert_non_null(w);
    int64_t resp = 0, prom = 0, det = 0, churned = 0, cust = 0, effort = 0, satisfied = 0;
    double revenue = 0.0, eng = 0.0, sat = 0.0;
    int half = 0;
    for (int t = 0; t < sc->ticks; t++) {
        cx_kpi_row_t row;
        assert_int_equal(cx_world_step(w, NULL, &row), 0);
        resp += row.respondents;
        prom += row.promoters;
        det += row.detractors;
        churned += row.churned;
        cust += row.customers;
        effort += (int64_t)llround(row.ces * (double)row.respondents);
        satisfied += row.satisfied;
        revenue += row.revenue;
        if (sat_by_tick) {
            sat_by_tick[t] = row.satisfaction;
        }
        if (t >= sc->ticks / 2) {
            eng += row.employee_engagement;
            sat += row.satisfaction;
            half++;
        }
    }
    r->nps = 100.0 * (double)(prom - det) / (double)resp;
    r->churn = (double)churned / ((double)cust / 365.0);
    r->revenue = revenue;
    r->engagement = eng / half;
    r->satisfaction = sat / half;
    r->ces = (double)effort / (double)resp;
    r->csat = 100.0 * (double)satisfied / (double)resp;
    cx_world_destroy(&w);
}

static void s_print(const char *what, const s_result_t *r)
{
    printf("  %-10s NPS %6.1f  churn/yr %.3f  revenue %11.0f  engagement %5.1f  "
           "satisfaction %.2f  CES %.2f  CSAT %.1f\n",
           what, r->nps, r->churn, r->revenue, r->engagement, r->satisfaction, r->ces, r->csat);
}

/* Level 5 against level 1, same seed, same staff. */
static void test_levels(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_result_t r[6];
    for (int m = 1; m <= 5; m++) {
        cx_world_example_scenario(sc, S_CUSTOMERS, (double)m, S_TICKS);
        s_run(sc, &r[m], NULL);
        char name[16];
        snprintf(name, sizeof name, "level %d", m);
        s_print(name, &r[m]);
    }
    printf("  5 vs 1: NPS %+.1f points, churn x%.2f, revenue x%.2f, engagement x%.2f\n",
           r[5].nps - r[1].nps, r[5].churn / r[1].churn, r[5].revenue / r[1].revenue,
           r[5].engagement / r[1].engagement);
    assert_true(r[5].nps - r[1].nps >= 30.0);
    assert_true(r[5].churn <= 0.5 * r[1].churn);
    assert_true(r[5].revenue >= 1.3 * r[1].revenue);
    double e = r[5].engagement / r[1].engagement;
    assert_true(e >= 1.3 && e <= 1.8);
    /* And the direction holds level by level. */
    for (int m = 2; m <= 5; m++) {
        assert_true(r[m].nps > r[m - 1].nps);
        assert_true(r[m].churn < r[m - 1].churn);
        assert_true(r[m].revenue > r[m - 1].revenue);
        assert_true(r[m].engagement > r[m - 1].engagement);
        assert_true(r[m].ces > r[m - 1].ces);
    }
    free(sc);
}

/* Two personas alike but for the channels: one is served on channels it
 * dislikes (high effort), the other on channels it prefers. */
static void test_effort(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, S_CUSTOMERS, 2.0, S_TICKS);
    sc->persona[1] = sc->persona[0];
    strcpy(sc->persona[1].id, "easy");
    sc->persona[1].customers = sc->persona[0].customers;
    for (int c = 0; c < CX_CHANNEL_COUNT; c++) {
        sc->persona[0].channel_pref[c] = 0.0;
        sc->persona[1].channel_pref[c] = 1.0;
    }
    cx_world_t *w = cx_world_new(sc, 1);
    assert_non_null(w);
    for (int t = 0; t < S_TICKS; t++) {
        assert_int_equal(cx_world_step(w, NULL, NULL), 0);
    }
    double rate[2];
    for (int p = 0; p < 2; p++) {
        cx_shard_stats_t st;
        cx_shard_stats(cx_world_shard(w, p, 0), &st);
        int64_t lost = st.churned[0] + st.churned[1] + st.churned[2];
        int64_t expo = st.exposure_ticks[0] + st.exposure_ticks[1] + st.exposure_ticks[2];
        rate[p] = (double)lost / ((double)expo / 365.0);
    }
    printf("  churn per customer-year: high effort %.3f, low effort %.3f (x%.2f)\n", rate[0],
           rate[1], rate[0] / rate[1]);
    assert_true(rate[0] >= 1.25 * rate[1]);
    cx_world_destroy(&w);
    free(sc);
}

/* Every department moves 3 -> 4 over 90 days from day 60: satisfaction dips
 * under the control run's during the ramp, then rises above it for good. */
static void test_transition(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    const int ticks = 2 * S_TICKS;
    double *base = calloc((size_t)ticks, sizeof(double));
    double *move = calloc((size_t)ticks, sizeof(double));
    assert_non_null(base);
    assert_non_null(move);
    s_result_t rb;
    s_result_t rm;
    cx_world_example_scenario(sc, S_CUSTOMERS, 3.0, ticks);
    sc->governance = CX_GOV_HYBRID;
    s_run(sc, &rb, base);
    const int start = 60;
    const int duration = 90;
    for (int d = 0; d < sc->n_dept; d++) {
        sc->event[sc->n_event++] = (cx_event_spec_t){.tick = start,
                                                     .kind = CX_EV_MATURITY,
                                                     .dept = d,
                                                     .value = 4.0,
                                                     .duration = duration,
                                                     .cost = 1e5};
    }
    s_run(sc, &rm, move);
    /* The ramp lasts `duration` stretched by the speed of change at 3. */
    cx_company_t c;
    cx_company_init(&c, sc, NULL);
    cx_tickctx_t ctx;
    int end = -1;
    for (int t = 0; t < ticks && end < 0; t++) {
        cx_company_begin_tick(&c, sc, t, &ctx);
        if (t > start && ctx.maturity[0] >= 4.0) {
            end = t;
        }
    }
    assert_true(end > start);
    double dip = 0.0;
    int dip_tick = start;
    for (int t = start; t < end; t++) {
        if (move[t] - base[t] < dip) {
            dip = move[t] - base[t];
            dip_tick = t;
        }
    }
    double after = 0.0;
    double last_q = 0.0;
    int n_after = 0;
    int n_last = 0;
    for (int t = end + 30; t < ticks; t++) {
        after += move[t] - base[t];
        n_after++;
        if (t >= ticks - ticks / 4) {
            last_q += move[t] - base[t];
            n_last++;
        }
    }
    after /= n_after;
    last_q /= n_last;
    printf("  ramp %d..%d: deepest dip %.3f at day %d; gain after the ramp %.3f, "
           "in the last quarter %.3f (satisfaction points)\n",
           start, end, dip, dip_tick, after, last_q);
    assert_true(dip <= -0.1);
    assert_true(dip_tick < start + (end - start) * 3 / 4);
    assert_true(after >= 0.2);
    assert_true(last_q >= 0.2);
    free(base);
    free(move);
    free(sc);
}

/* Promoters refer more and spend more per purchase than detractors. */
static void test_promoters(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, S_CUSTOMERS, 3.0, S_TICKS);
    cx_world_t *w = cx_world_new(sc, 1);
    assert_non_null(w);
    for (int t = 0; t < S_TICKS; t++) {
        assert_int_equal(cx_world_step(w, NULL, NULL), 0);
    }
    /* Spend per purchase within each persona (personas differ in spend
     * and in how easily they are pleased), referrals and revenue overall. */
    cx_shard_stats_t s = {0};
    const char *name[3] = {"detractors", "passives", "promoters"};
    for (int p = 0; p < sc->n_persona; p++) {
        cx_shard_stats_t st;
        cx_shard_stats(cx_world_shard(w, p, 0), &st);
        double spend[3];
        for (int k = 0; k < 3; k++) {
            s.exposure_ticks[k] += st.exposure_ticks[k];
            s.referrals[k] += st.referrals[k];
            s.purchases[k] += st.purchases[k];
            s.revenue_cents[k] += st.revenue_cents[k];
            assert_true(st.purchases[k] > 0);
            spend[k] = (double)st.revenue_cents[k] / 100.0 / (double)st.purchases[k];
        }
        printf("  %-15s spend per purchase: detractors %.2f, passives %.2f, promoters %.2f\n",
               sc->persona[p].id, spend[0], spend[1], spend[2]);
        assert_true(spend[2] > 1.05 * spend[0]);
    }
    double ref[3];
    double rev[3];
    for (int k = 0; k < 3; k++) {
        assert_true(s.exposure_ticks[k] > 0);
        double years = (double)s.exposure_ticks[k] / 365.0;
        ref[k] = (double)s.referrals[k] / years;
        rev[k] = (double)s.revenue_cents[k] / 100.0 / years;
        printf("  %-10s referrals per year %.3f, purchases per year %.2f, revenue per year %.1f\n",
               name[k], ref[k], (double)s.purchases[k] / years, rev[k]);
    }
    assert_true(ref[2] > 2.5 * ref[0]);
    assert_true(rev[2] > 1.2 * rev[0]);
    cx_world_destroy(&w);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_effort),
        cmocka_unit_test(test_transition),
        cmocka_unit_test(test_promoters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
