/*  test_model_organisation — who owns CX, how governance fits, the
 *  timeline's events, and the length of a tick: each has the distinct
 *  effect docs/MODEL.md gives it. In-process runs, fixed seed. */
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

#define S_CUSTOMERS 10000

/* Sums of a run. */
typedef struct {
    cx_tally_t t;         /* tallies summed over the run */
    double expectation;   /* mean expectation over the last tick */
    double satisfaction;  /* mean satisfaction over the last tick */
    double dept_failed;   /* failed hand-offs counted by departments */
    double dept_handoffs; /* hand-offs counted by departments */
} s_sum_t;

static void s_run(const cx_scenario_t *sc, int ticks, s_sum_t *r)
{
    cx_world_t *w = cx_world_new(sc, 1);
    assert_non_null(w);
    memset(r, 0, sizeof *r);
    cx_tally_zero(&r->t);
    for (int t = 0; t < ticks; t++) {
        cx_tally_t tally;
        cx_kpi_row_t row;
        assert_int_equal(cx_world_step(w, &tally, &row), 0);
        cx_tally_add(&r->t, &tally);
        r->expectation = row.expectation;
        r->satisfaction = row.satisfaction;
        for (int d = 0; d < sc->n_dept; d++) {
            r->dept_failed += cx_world_dept_stats(w, d)->failed_handoffs;
            r->dept_handoffs += cx_world_dept_stats(w, d)->handoffs;
        }
    }
    cx_world_destroy(&w);
}

/* Mean score of pillar k over every touchpoint of the run. */
static double s_pillar(const s_sum_t *r, int k)
{
    int64_t n = 0;
    int64_t sum = 0;
    for (int i = 0; i < r->t.n_tp; i++) {
        n += r->t.tp[i].interactions;
        sum += r->t.tp[i].pillar_sum[k];
    }
    return (double)sum / CX_SCORE_SCALE / (double)n;
}

static double s_mean(const double *a, int lo, int hi)
{
    double s = 0.0;
    for (int i = lo; i < hi; i++) {
        s += a[i];
    }
    return s / (hi - lo);
}

static double s_fail_share(const s_sum_t *r)
{
    return (double)r->t.failed_handoffs / (double)r->t.handoffs;
}

static void test_owners(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_sum_t r[CX_OWNER_COUNT];
    for (int o = 0; o < CX_OWNER_COUNT; o++) {
        cx_world_example_scenario(sc, S_CUSTOMERS, 2.5, 180);
        sc->cx_owner = (cx_owner_t)o;
        s_run(sc, 180, &r[o]);
        printf("  %-16s expectation %.2f  personalisation %.2f  time/effort %.2f  resolved %.3f  "
               "support contacts %6ld  failed hand-offs %.3f\n",
               cx_owner_name((cx_owner_t)o), r[o].expectation,
               s_pillar(&r[o], CX_PILLAR_PERSONALISATION), s_pillar(&r[o], CX_PILLAR_TIME_EFFORT),
               (double)r[o].t.resolved / (double)r[o].t.interactions,
               (long)r[o].t.tp[5].interactions, s_fail_share(&r[o]));
    }
    const s_sum_t *none = &r[CX_OWNER_NONE];
    /* Marketing: higher expectations, more personal treatment. */
    assert_true(r[CX_OWNER_MARKETING].expectation > none->expectation + 0.2);
    assert_true(s_pillar(&r[CX_OWNER_MARKETING], CX_PILLAR_PERSONALISATION) >
                s_pillar(none, CX_PILLAR_PERSONALISATION) + 0.5);
    /* Customer service: more resolved, less effort. */
    const s_sum_t *cs = &r[CX_OWNER_CUSTOMER_SERVICE];
    assert_true((double)cs->t.resolved / (double)cs->t.interactions >
                (double)none->t.resolved / (double)none->t.interactions + 0.03);
    assert_true(s_pillar(cs, CX_PILLAR_TIME_EFFORT) > s_pillar(none, CX_PILLAR_TIME_EFFORT) + 0.3);
    /* Product: fewer avoidable (support) contacts. */
    assert_true((double)r[CX_OWNER_PRODUCT].t.tp[5].interactions <
                0.75 * (double)none->t.tp[5].interactions);
    /* CX team: fewer hand-offs lose their context. */
    assert_true(s_fail_share(&r[CX_OWNER_CX_TEAM]) < 0.7 * s_fail_share(none));
    /* Departments and customers count the same hand-offs. */
    for (int o = 0; o < CX_OWNER_COUNT; o++) {
        assert_true(fabs(r[o].dept_handoffs - (double)r[o].t.handoffs) <=
                    0.01 * r[o].dept_handoffs + 50);
    }
    /* A CX team speeds change: a ramp ends sooner. */
    int len[2];
    for (int k = 0; k < 2; k++) {
        cx_world_example_scenario(sc, 1000, 3.0, 400);
        sc->cx_owner = k ? CX_OWNER_CX_TEAM : CX_OWNER_NONE;
        sc->event[0] = (cx_event_spec_t){
            .tick = 0, .kind = CX_EV_MATURITY, .dept = 0, .value = 4.0, .duration = 100};
        sc->n_event = 1;
        cx_company_t c;
        cx_company_init(&c, sc, NULL);
        cx_tickctx_t ctx;
        cx_company_begin_tick(&c, sc, 0, &ctx);
        len[k] = c.ramp_len[0];
    }
    assert_true(len[1] < len[0]);
    free(sc);
}

/* Governance that fits the maturity loses fewer hand-offs and changes
 * faster: centralised at low maturity, decentralised at high. */
static void test_governance(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    const double level[2] = {1.5, 4.5};
    for (int l = 0; l < 2; l++) {
        double fail[CX_GOV_COUNT];
        int len[CX_GOV_COUNT];
        for (int g = 0; g < CX_GOV_COUNT; g++) {
            cx_world_example_scenario(sc, S_CUSTOMERS, level[l], 120);
            sc->governance = (cx_governance_t)g;
            s_sum_t r;
            s_run(sc, 120, &r);
            fail[g] = s_fail_share(&r);
            sc->event[0] = (cx_event_spec_t){.tick = 0,
                                             .kind = CX_EV_MATURITY,
                                             .dept = 0,
                                             .value = level[l] + 0.5,
                                             .duration = 100};
            sc->n_event = 1;
            cx_company_t c;
            cx_company_init(&c, sc, NULL);
            cx_tickctx_t ctx;
            cx_company_begin_tick(&c, sc, 0, &ctx);
            len[g] = c.ramp_len[0];
            printf("  maturity %.1f %-13s failed hand-offs %.3f  ramp of 100 days takes %d\n",
                   level[l], cx_governance_name((cx_governance_t)g), fail[g], len[g]);
        }
        int fit = l == 0 ? CX_GOV_CENTRALISED : CX_GOV_DECENTRALISED;
        int misfit = l == 0 ? CX_GOV_DECENTRALISED : CX_GOV_CENTRALISED;
        assert_true(fail[fit] < fail[misfit]);
        assert_true(len[fit] < len[misfit]);
        assert_true(len[CX_GOV_HYBRID] <= len[misfit]);
    }
    free(sc);
}

/* Each event kind moves what it should, when it should. */
static void test_events(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    const int ticks = 120;
    cx_world_example_scenario(sc, S_CUSTOMERS, 3.0, ticks);
    sc->event[sc->n_event++] = (cx_event_spec_t){
        .tick = 30, .kind = CX_EV_OUTAGE, .dept = 3, .value = 0.8, .duration = 10};
    sc->event[sc->n_event++] = (cx_event_spec_t){
        .tick = 50, .kind = CX_EV_CAMPAIGN, .dept = -1, .value = 3.0, .duration = 10, .cost = 1e5};
    sc->event[sc->n_event++] = (cx_event_spec_t){
        .tick = 70, .kind = CX_EV_POLICY, .dept = -1, .value = 0.8, .duration = 1};
    sc->event[sc->n_event++] =
        (cx_event_spec_t){.tick = 90, .kind = CX_EV_PRICE, .dept = -1, .value = 1.3, .duration = 1};
    double backlog[ticks];
    double acquired[ticks];
    double churned[ticks];
    double sat[ticks];
    double buy[ticks];
    double invest[ticks];
    double churn_ctl[ticks];
    double buy_ctl[ticks];
    for (int run = 0; run < 2; run++) {
        /* The second run is the control: the same without the price rise. */
        if (run == 1) {
            sc->n_event--;
        }
        cx_world_t *w = cx_world_new(sc, 1);
        assert_non_null(w);
        for (int t = 0; t < ticks; t++) {
            cx_kpi_row_t row;
            assert_int_equal(cx_world_step(w, NULL, &row), 0);
            double b = (double)row.purchases / (double)row.customers;
            if (run == 0) {
                backlog[t] = cx_world_dept_stats(w, 3)->backlog;
                acquired[t] = (double)row.acquired;
                churned[t] = row.churn_rate;
                sat[t] = row.satisfaction;
                buy[t] = b;
                invest[t] = row.marketing_cost - sc->marketing_spend / 365.0;
            } else {
                churn_ctl[t] = row.churn_rate;
                buy_ctl[t] = b;
            }
        }
        cx_world_destroy(&w);
    }
    printf("  outage: backlog %.0f before, %.0f during\n", s_mean(backlog, 20, 30),
           s_mean(backlog, 32, 40));
    printf("  campaign x3: %.1f new customers a day before, %.1f during\n",
           s_mean(acquired, 40, 50), s_mean(acquired, 50, 60));
    printf("  policy change: churn %.3f %% a day before, %.3f %% on the day; satisfaction "
           "%.2f -> %.2f\n",
           s_mean(churned, 60, 70), churned[70], sat[69], sat[70]);
    printf("  price x1.3: purchases per customer a day %.4f (control %.4f), churn %.3f %% a day "
           "(control %.3f %%)\n",
           s_mean(buy, 92, 120), s_mean(buy_ctl, 92, 120), s_mean(churned, 92, 120),
           s_mean(churn_ctl, 92, 120));
    /* An outage of customer service builds its backlog, which clears after. */
    assert_true(s_mean(backlog, 32, 40) > 5.0 * (s_mean(backlog, 20, 30) + 1.0));
    assert_true(s_mean(backlog, 60, 70) < 0.5 * s_mean(backlog, 32, 40));
    /* A campaign multiplies acquisitions while it runs, and costs. */
    assert_true(s_mean(acquired, 50, 60) > 2.0 * s_mean(acquired, 40, 50));
    /* Its cost is sales and marketing spend: it lands in CAC. */
    assert_true(fabs(invest[50] - 1e5) < 1e-6);
    /* A policy that angers customers: a churn spike and a fall in satisfaction. */
    assert_true(churned[70] > 10.0 * s_mean(churned, 60, 70));
    assert_true(sat[70] < sat[69] - 1.0);
    /* A price rise: fewer purchases per customer, more churn. */
    assert_true(s_mean(buy, 92, 120) < 0.9 * s_mean(buy_ctl, 92, 120));
    assert_true(s_mean(churned, 92, 120) > 1.2 * s_mean(churn_ctl, 92, 120));
    for (int t = 0; t < 90; t++) {
        assert_true(churned[t] == churn_ctl[t]);
    }
    free(sc);
}

/* A weekly scenario behaves like a daily one in aggregate: rates are per
 * day or per year, and customers keep their own clock in days. */
static void test_tick_length(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    s_sum_t r[2];
    double nps[2];
    double churn[2];
    for (int u = 0; u < 2; u++) {
        int ticks = u ? 104 : 728;
        cx_world_example_scenario(sc, S_CUSTOMERS, 3.0, ticks);
        sc->tick_unit = u ? CX_TICK_WEEK : CX_TICK_DAY;
        s_run(sc, ticks, &r[u]);
        nps[u] =
            100.0 * (double)(r[u].t.promoters - r[u].t.detractors) / (double)r[u].t.respondents;
        churn[u] = (double)r[u].t.churned / ((double)r[u].t.customers_start / ticks) / 2.0;
        printf("  %-6s interactions %8ld  purchases %7ld  revenue %10.0f  acquired %6ld  "
               "churn/yr %.3f  NPS %.1f\n",
               u ? "weekly" : "daily", (long)r[u].t.interactions, (long)r[u].t.purchases,
               (double)r[u].t.revenue_cents / 100.0, (long)r[u].t.acquired, churn[u], nps[u]);
    }
    assert_true(fabs((double)r[1].t.interactions / (double)r[0].t.interactions - 1.0) < 0.05);
    assert_true(fabs((double)r[1].t.revenue_cents / (double)r[0].t.revenue_cents - 1.0) < 0.05);
    assert_true(fabs((double)r[1].t.acquired / (double)r[0].t.acquired - 1.0) < 0.08);
    assert_true(fabs(churn[1] / churn[0] - 1.0) < 0.08);
    assert_true(fabs(nps[1] - nps[0]) < 4.0);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owners),
        cmocka_unit_test(test_governance),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_tick_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
