/*  cx_kpi — the seeds' KPI formulas, and the per-tick KPI row.
 *
 *  Each formula is the one of the shared domain page; tests/test_kpi.c
 *  holds each to its worked example. */
#include "cx_kpi.h"

#include <math.h>

#include "cx_tally.h"

int cx_kpi_nps_class(int answer)
{
    if (answer >= 9) {
        return 1;
    }
    if (answer >= 7) {
        return 0;
    }
    return -1;
}

double cx_kpi_nps(int64_t promoters, int64_t detractors, int64_t respondents)
{
    if (respondents <= 0) {
        return 0.0;
    }
    return 100.0 * (double)(promoters - detractors) / (double)respondents;
}

double cx_kpi_csat(int64_t satisfied, int64_t respondents)
{
    return respondents > 0 ? 100.0 * (double)satisfied / (double)respondents : 0.0;
}

double cx_kpi_ces(int64_t effort_sum, int64_t respondents)
{
    return respondents > 0 ? (double)effort_sum / (double)respondents : 0.0;
}

double cx_kpi_clv(double value_per_period, double periods)
{
    return value_per_period * periods;
}

double cx_kpi_clv_cohort(int64_t customers, double share, double clv)
{
    return (double)customers * share * clv;
}

double cx_kpi_referral_rate(int64_t referral_purchases, int64_t purchases)
{
    return purchases > 0 ? 100.0 * (double)referral_purchases / (double)purchases : 0.0;
}

double cx_kpi_churn_rate(int64_t lost, int64_t customers_start)
{
    return customers_start > 0 ? 100.0 * (double)lost / (double)customers_start : 0.0;
}

double cx_kpi_retention_rate(double churn_rate)
{
    return 100.0 - churn_rate;
}

double cx_kpi_retention_direct(int64_t retained_end, int64_t customers_start)
{
    return customers_start > 0 ? 100.0 * (double)retained_end / (double)customers_start : 0.0;
}

int cx_kpi_engagement_points(int answer)
{
    /* Two answers per band of 20 points, as the seed's 9-10 -> 100 and
     * 7-8 -> 80 continue: 5-6 -> 60, 3-4 -> 40, 1-2 -> 20. */
    if (answer < 1) {
        answer = 1;
    }
    if (answer > 10) {
        answer = 10;
    }
    return 20 * ((answer + 1) / 2);
}

double cx_kpi_engagement(double total_points, int64_t questions)
{
    return questions > 0 ? total_points / (double)questions : 0.0;
}

double cx_kpi_loyalty_points(int answer)
{
    if (answer < 1) {
        answer = 1;
    }
    if (answer > 10) {
        answer = 10;
    }
    return (double)(answer - 1) * 100.0 / 9.0;
}

double cx_kpi_loyalty_index(double total_points, int64_t questions)
{
    return questions > 0 ? total_points / (double)questions : 0.0;
}

double cx_kpi_cac(double sales_marketing_cost, int64_t acquired)
{
    return acquired > 0 ? sales_marketing_cost / (double)acquired : 0.0;
}

double cx_kpi_avg_resolution_time(double total_time, int64_t resolved)
{
    return resolved > 0 ? total_time / (double)resolved : 0.0;
}

void cx_kpi_row_compute(const cx_scenario_t *sc, int tick, double days, const cx_tally_t *total,
                        const cx_dept_stats_t *dept, int n_dept, const cx_kpi_books_t *books,
                        cx_kpi_history_t *hist, cx_kpi_row_t *row)
{
    const cx_tally_t *t = total;
    *row = (cx_kpi_row_t){0};
    row->tick = tick;
    row->customers = t->customers_start;
    row->customers_end = t->customers_end;
    row->promoters = t->promoters;
    row->passives = t->passives;
    row->detractors = t->detractors;
    row->respondents = t->respondents;
    row->nps = cx_kpi_nps(t->promoters, t->detractors, t->respondents);
    row->satisfied = t->satisfied;
    row->csat = cx_kpi_csat(t->satisfied, t->respondents);
    row->ces = cx_kpi_ces(t->effort_sum, t->respondents);
    row->churned = t->churned;
    row->churn_rate = cx_kpi_churn_rate(t->churned, t->customers_start);
    row->retention_rate = cx_kpi_retention_rate(row->churn_rate);
    row->retention_direct = cx_kpi_retention_direct(t->customers_start - t->churned, t->customers_start);
    row->acquired = t->acquired;
    row->purchases = t->purchases;
    row->referral_purchases = t->referral_purchases;
    row->referral_rate = cx_kpi_referral_rate(t->referral_purchases, t->purchases);
    row->revenue = (double)t->revenue_cents / 100.0;
    /* Loyalty answers a (1..10) score (a - 1) x 100 / 9; the tally sums
     * a - 1, so the index is exact, with no rounding per answer. */
    row->loyalty_index =
        cx_kpi_loyalty_index((double)t->loyalty_points * 100.0 / 9.0, t->respondents);
    row->interactions = t->interactions;
    row->handoffs = t->handoffs;
    row->failed_handoffs = t->failed_handoffs;
    row->avg_resolution_time =
        cx_kpi_avg_resolution_time((double)t->resolution_days_micro / CX_MICRO, t->resolved);
    if (t->customers_end > 0) {
        row->satisfaction = (double)t->satisfaction_micro / CX_MICRO / (double)t->customers_end;
        row->expectation = (double)t->expectation_micro / CX_MICRO / (double)t->customers_end;
    }
    /* Sales and marketing cost of the tick: the yearly spend, prorated,
     * and the campaigns booked in it. */
    double sm_cost = sc ? sc->marketing_spend * days / 365.0 : 0.0;
    sm_cost += books ? books->campaign_cost : 0.0;
    row->marketing_cost = sm_cost;
    row->cac = cx_kpi_cac(sm_cost, t->acquired);

    /* Employee engagement: seed 001's survey formula over every answer of
     * every department's employees (cx_kpi_engagement). */
    double points = 0.0;
    double answers = 0.0;
    double cost = 0.0;
    for (int d = 0; d < n_dept; d++) {
        points += dept[d].survey_points;
        answers += dept[d].survey_answers;
        cost += dept[d].cost;
    }
    row->employee_engagement = cx_kpi_engagement(points, (int64_t)answers);
    row->cost = cost;
    row->investment = books ? books->investment : 0.0;

    /* Economics: demand and lost sales, basket, gross and operating profit. */
    row->demand = t->demand;
    row->lost_sales = t->demand > t->purchases ? t->demand - t->purchases : 0;
    row->price = books ? books->price : 1.0;
    row->basket = t->purchases > 0 ? row->revenue / (double)t->purchases : 0.0;
    double margin = sc ? sc->gross_margin : 1.0;
    row->gross_profit = row->revenue * margin;
    row->operating_profit = row->gross_profit - row->cost - row->marketing_cost - row->investment;

    /* CLV (seed 001: value per period x periods): the yearly gross profit
     * of a customer times its discounted expected lifetime in years,
     * sum over t < horizon of (r / (1 + i))^t with r the yearly retention
     * (Gupta, Lehmann & Stuart 2004); both from the run so far. */
    if (hist) {
        hist->revenue += row->revenue;
        hist->customer_ticks += (double)t->customers_start;
        hist->churned += (double)t->churned;
        double years = hist->customer_ticks * days / 365.0; /* customer-years observed */
        if (years > 0.0) {
            double value_per_year = hist->revenue / years * margin;
            double retention = exp(-hist->churned / years);
            double i = sc ? sc->discount_rate : 0.0;
            double horizon = sc ? sc->params.clv_horizon_years : 10.0;
            double x = retention / (1.0 + i);
            double life = x < 1.0 ? (1.0 - pow(x, horizon)) / (1.0 - x) : horizon;
            row->clv = cx_kpi_clv(value_per_year, life);
        }
    }
}
