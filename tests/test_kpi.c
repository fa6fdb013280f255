/*  test_kpi — every KPI formula against the seeds' worked examples
 *  (shared domain page, table "KPIs"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_kpi.h"
#include "cx_tally.h"

#define EPS 1e-9

/* cmocka compares floats only in single precision: this compares doubles
 * and prints both operands when they differ. */
#define assert_double_equal(a, b, eps)                                                             \
    do {                                                                                           \
        double a_ = (a);                                                                           \
        double b_ = (b);                                                                           \
        if (!(fabs(a_ - b_) <= (eps))) {                                                           \
            fail_msg("%s = %.12g, expected %.12g", #a, a_, b_);                                    \
        }                                                                                          \
    } while (0)

/* 88 % promoters, 8 % detractors -> NPS 80. */
static void test_nps(void **state)
{
    (void)state;
    assert_int_equal(cx_kpi_nps_class(10), 1);
    assert_int_equal(cx_kpi_nps_class(9), 1);
    assert_int_equal(cx_kpi_nps_class(8), 0);
    assert_int_equal(cx_kpi_nps_class(7), 0);
    assert_int_equal(cx_kpi_nps_class(6), -1);
    assert_int_equal(cx_kpi_nps_class(0), -1);
    assert_double_equal(cx_kpi_nps(88, 8, 100), 80.0, EPS);
    assert_double_equal(cx_kpi_nps(0, 0, 0), 0.0, EPS);
}

/* 37 satisfied of 50 -> CSAT 74 %. */
static void test_csat(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_csat(37, 50), 74.0, EPS);
    assert_double_equal(cx_kpi_csat(1, 0), 0.0, EPS);
}

/* 10, 10, 8, 6, 9 -> CES 8.6. */
static void test_ces(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_ces(10 + 10 + 8 + 6 + 9, 5), 8.6, EPS);
}

/* 100 referral purchases of 3000 -> 3.3 %. */
static void test_referral_rate(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_referral_rate(100, 3000), 100.0 / 30.0, EPS);
    assert_double_equal(floor(cx_kpi_referral_rate(100, 3000) * 10.0 + 0.5) / 10.0, 3.3, EPS);
}

/* 20 lost of 2500 -> churn 0.8 %, retention 99.2 %. */
static void test_churn_retention(void **state)
{
    (void)state;
    double churn = cx_kpi_churn_rate(20, 2500);
    assert_double_equal(churn, 0.8, EPS);
    assert_double_equal(cx_kpi_retention_rate(churn), 99.2, EPS);
    assert_double_equal(cx_kpi_retention_direct(2480, 2500), 99.2, EPS);
}

/* 5 yearly versions at $50 -> CLV $250; 1000 customers of whom 90 % -> $225,000. */
static void test_clv(void **state)
{
    (void)state;
    double clv = cx_kpi_clv(50.0, 5.0);
    assert_double_equal(clv, 250.0, EPS);
    assert_double_equal(cx_kpi_clv_cohort(1000, 0.9, clv), 225000.0, 1e-6);
}

/* 2 questions totalling 50 points -> engagement 25; ranks 1-10 in bands. */
static void test_engagement(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_engagement(50.0, 2), 25.0, EPS);
    const int expect[11] = {20, 20, 20, 40, 40, 60, 60, 80, 80, 100, 100};
    for (int a = 1; a <= 10; a++) {
        assert_int_equal(cx_kpi_engagement_points(a), expect[a]);
    }
    /* 9 -> 100 and 7 -> 80 as in the seed; two answers of 5 and 3 make 100 in all. */
    assert_double_equal(
        cx_kpi_engagement(cx_kpi_engagement_points(5) + cx_kpi_engagement_points(3), 2), 50.0, EPS);
}

/* Loyalty: 10 -> 100 ... 1 -> 0. */
static void test_loyalty(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_loyalty_points(10), 100.0, EPS);
    assert_double_equal(cx_kpi_loyalty_points(1), 0.0, EPS);
    assert_double_equal(cx_kpi_loyalty_index(100.0 + 0.0, 2), 50.0, EPS);
}

static void test_cac_resolution(void **state)
{
    (void)state;
    assert_double_equal(cx_kpi_cac(10000.0, 50), 200.0, EPS);
    assert_double_equal(cx_kpi_cac(10000.0, 0), 0.0, EPS);
    assert_double_equal(cx_kpi_avg_resolution_time(30.0, 12), 2.5, EPS);
}

/* The KPI row gives the same figures from a tally. */
static void test_row(void **state)
{
    (void)state;
    cx_tally_t t;
    cx_tally_zero(&t);
    t.customers_start = 2500;
    t.customers_end = 2490;
    t.churned = 20;
    t.respondents = 100;
    t.promoters = 88;
    t.passives = 4;
    t.detractors = 8;
    t.satisfied = 74;
    t.effort_sum = 860;
    t.purchases = 3000;
    t.referral_purchases = 100;
    t.revenue_cents = 12345;
    cx_kpi_row_t row;
    cx_kpi_history_t hist;
    memset(&hist, 0, sizeof hist);
    cx_kpi_row_compute(NULL, 7, 1.0, &t, NULL, 0, NULL, &hist, &row);
    assert_int_equal(row.tick, 7);
    assert_double_equal(row.nps, 80.0, EPS);
    assert_double_equal(row.csat, 74.0, EPS);
    assert_double_equal(row.ces, 8.6, EPS);
    assert_double_equal(row.churn_rate, 0.8, EPS);
    assert_double_equal(row.retention_rate, 99.2, EPS);
    assert_double_equal(row.referral_rate, 100.0 / 30.0, EPS);
    assert_double_equal(row.revenue, 123.45, EPS);
}

/* The economics and seed formulas of the row, from hand-set inputs: every
 * derived column recomputed here from the definitions in docs/MODEL.md. */
static void test_row_economics(void **state)
{
    (void)state;
    cx_scenario_t *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    cx_scenario_defaults(sc);
    sc->gross_margin = 0.25;
    sc->discount_rate = 0.10;
    sc->marketing_spend = 365000.0; /* 1,000 a day */
    sc->params.clv_horizon_years = 10.0;
    cx_tally_t t;
    cx_tally_zero(&t);
    t.customers_start = 1000;
    t.customers_end = 994; /* 1000 - 10 churned + 4 acquired */
    t.churned = 10;
    t.acquired = 4;
    t.purchases = 50;
    t.referral_purchases = 5;
    t.demand = 80;
    t.revenue_cents = 500000; /* 5,000 */
    t.respondents = 3;
    t.loyalty_points = 9 + 0 + 4; /* answers 10, 1 and 5: (a - 1) summed */
    cx_dept_stats_t d[2];
    memset(d, 0, sizeof d);
    d[0].cost = 700.0;
    d[1].cost = 300.0;
    d[0].survey_points = 100 + 80; /* two answers: 9-10 and 7-8 */
    d[0].survey_answers = 2;
    d[1].survey_points = 20 + 60; /* 1-2 and 5-6 */
    d[1].survey_answers = 2;
    cx_kpi_books_t books = {.investment = 250.0, .campaign_cost = 500.0, .price = 1.1};
    cx_kpi_history_t hist;
    memset(&hist, 0, sizeof hist);
    cx_kpi_row_t row;
    cx_kpi_row_compute(sc, 0, 1.0, &t, d, 2, &books, &hist, &row);
    assert_double_equal(row.revenue, 5000.0, EPS);
    assert_double_equal(row.gross_profit, 1250.0, EPS);
    assert_double_equal(row.marketing_cost, 1500.0, EPS);
    assert_double_equal(row.cost, 1000.0, EPS);
    assert_double_equal(row.investment, 250.0, EPS);
    assert_double_equal(row.operating_profit, 1250.0 - 1000.0 - 1500.0 - 250.0, EPS);
    assert_double_equal(row.cac, 1500.0 / 4.0, EPS);
    assert_double_equal(row.basket, 100.0, EPS);
    assert_int_equal(row.demand, 80);
    assert_int_equal(row.lost_sales, 30);
    assert_double_equal(row.price, 1.1, EPS);
    /* Direct retention counts the customers of the start still there:
     * the 4 acquired do not count. */
    assert_double_equal(row.retention_direct, 99.0, EPS);
    assert_double_equal(row.referral_rate, 10.0, EPS);
    /* Loyalty index, exact: (100 + 0 + 44.44...) / 3. */
    assert_double_equal(row.loyalty_index, (100.0 + 0.0 + 400.0 / 9.0) / 3.0, 1e-9);
    /* Employee engagement: seed 001, total points over answers. */
    assert_double_equal(row.employee_engagement, (180.0 + 80.0) / 4.0, EPS);
    /* CLV: a customer-day of 5 currency units x 365 x margin a year, yearly
     * retention exp(-10 / 1000 x 365), discounted at 10 % over 10 years. */
    double v = 5000.0 / 1000.0 * 365.0 * 0.25;
    double x = exp(-10.0 / (1000.0 / 365.0)) / 1.1;
    double life = (1.0 - pow(x, 10.0)) / (1.0 - x);
    assert_double_equal(row.clv, v * life, 1e-6);

    /* A second tick of another revenue: the CLV's yearly value is the run's
     * revenue per customer-year so far (8,000 over 1,994 customer-days),
     * not this tick's, and its retention the run's churn so far. */
    cx_tally_zero(&t);
    t.customers_start = 994;
    t.customers_end = 990;
    t.churned = 6;
    t.acquired = 2;
    t.purchases = 30;
    t.demand = 30;
    t.revenue_cents = 300000; /* 3,000 */
    cx_kpi_books_t books2 = {.price = 1.0};
    cx_kpi_row_compute(sc, 1, 1.0, &t, d, 2, &books2, &hist, &row);
    assert_double_equal(row.marketing_cost, 1000.0, EPS);
    assert_double_equal(row.cac, 500.0, EPS);
    assert_double_equal(row.investment, 0.0, EPS);
    v = 8000.0 / 1994.0 * 365.0 * 0.25;
    x = exp(-16.0 / (1994.0 / 365.0)) / 1.1;
    life = (1.0 - pow(x, 10.0)) / (1.0 - x);
    assert_double_equal(row.clv, v * life, 1e-6);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nps),
        cmocka_unit_test(test_csat),
        cmocka_unit_test(test_ces),
        cmocka_unit_test(test_referral_rate),
        cmocka_unit_test(test_churn_retention),
        cmocka_unit_test(test_clv),
        cmocka_unit_test(test_engagement),
        cmocka_unit_test(test_loyalty),
        cmocka_unit_test(test_cac_resolution),
        cmocka_unit_test(test_row),
        cmocka_unit_test(test_row_economics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
