/*  cx_kpi_cols — the table of the KPI row's columns (see cx_kpi_cols.h).
 *  A column added to cx_kpi_row_t is added here, at the end: the files,
 *  the ROW message and the databases follow.
 */
#include "cx_kpi_cols.h"

#include <stdint.h>
#include <string.h>

// clang-format off
#define S_I32(f, l, u, fm) {#f, CX_KPI_INT32, offsetof(cx_kpi_row_t, f), true, l, u, fm}
#define S_CNT(f, c, l, u, fm) {#f, CX_KPI_COUNT, offsetof(cx_kpi_row_t, f), c, l, u, fm}
#define S_REAL(f, c, l, u, fm) {#f, CX_KPI_REAL, offsetof(cx_kpi_row_t, f), c, l, u, fm}
// clang-format on

const cx_kpi_col_t cx_kpi_cols[] = {
    S_I32(tick, "Tick", "tick", "the tick's number, from 0"),
    S_CNT(customers, true, "Customers", "customers", "active at the tick's start"),
    S_CNT(promoters, true, "Promoters", "respondents", "survey answers 9-10"),
    S_CNT(passives, true, "Passives", "respondents", "survey answers 7-8"),
    S_CNT(detractors, true, "Detractors", "respondents", "survey answers 0-6"),
    S_REAL(nps, true, "NPS", "points, -100 to 100", "100 (promoters - detractors) / respondents"),
    S_CNT(respondents, true, "Respondents", "customers", "customers surveyed this tick"),
    S_CNT(satisfied, true, "Satisfied", "respondents",
          "CSAT answers at or above satisfied_threshold"),
    S_REAL(csat, true, "CSAT", "% satisfied", "100 satisfied / respondents"),
    S_REAL(ces, true, "CES", "1 to 10 (10: effortless)", "sum of effort answers / respondents"),
    S_CNT(churned, true, "Churned", "customers", "lost this tick: churn, competitor pull, policy"),
    S_REAL(churn_rate, true, "Churn rate", "% of customers per tick",
           "100 churned / customers at the tick's start"),
    S_REAL(retention_rate, true, "Retention rate", "% per tick", "100 - churn_rate"),
    S_CNT(acquired, true, "Acquired", "customers", "new customers this tick"),
    S_CNT(purchases, true, "Purchases", "purchases",
          "resolved purchase cases accepted at the price"),
    S_CNT(referral_purchases, true, "Referral purchases", "purchases",
          "purchases of customers who came by referral"),
    S_REAL(referral_rate, true, "Referral rate", "%", "100 referral_purchases / purchases"),
    S_REAL(revenue, true, "Revenue", "currency per tick",
           "sum of spend x price x (1 + spend_loyalty L)"),
    S_REAL(clv, true, "CLV", "currency",
           "yearly gross profit per customer x capped expected lifetime"),
    S_REAL(cac, true, "CAC", "currency per customer", "marketing_cost / acquired"),
    S_REAL(employee_engagement, true, "Employee engagement", "0 to 100",
           "survey points / questions, staff-weighted"),
    S_REAL(avg_resolution_time, true, "Average resolution time", "days",
           "(resolution tick - first contact tick) x d + handling_days, over resolved cases"),
    S_REAL(loyalty_index, true, "Loyalty index", "0 to 100",
           "(sum of (answer - 1) x 100 / 9) / respondents"),
    S_REAL(satisfaction, true, "Satisfaction", "0 to 10",
           "mean satisfaction of active customers at the tick's end"),
    S_REAL(expectation, true, "Expectation", "0 to 10",
           "mean expectation of active customers at the tick's end"),
    S_CNT(interactions, true, "Interactions", "interactions",
          "department interactions served (not abandoned)"),
    S_CNT(handoffs, true, "Hand-offs", "cases", "cases handed to another department"),
    S_CNT(failed_handoffs, true, "Failed hand-offs", "cases",
          "hand-offs that lost the case's context"),
    S_REAL(cost, true, "Cost", "currency per tick", "departments' staff and interaction cost"),
    S_REAL(investment, true, "Investment", "currency per tick",
           "transition and other one-off costs booked this tick"),
    S_CNT(customers_end, true, "Customers at the end", "customers", "active at the tick's end"),
    S_REAL(retention_direct, false, "Retention (direct)", "% per tick",
           "100 (customers at the tick's start - churned) / customers at the tick's start"),
    S_CNT(demand, false, "Demand", "cases", "cases ended at a purchase touchpoint"),
    S_CNT(lost_sales, false, "Lost sales", "cases", "max(0, demand - purchases)"),
    S_REAL(price, false, "Price", "multiplier", "the price multiplier (1 = list)"),
    S_REAL(basket, false, "Basket", "currency per purchase", "revenue / purchases"),
    S_REAL(gross_profit, false, "Gross profit", "currency per tick",
           "revenue x company.gross_margin"),
    S_REAL(marketing_cost, false, "Marketing cost", "currency per tick",
           "company.marketing_spend x d / 365 + campaign costs booked this tick"),
    S_REAL(operating_profit, false, "Operating profit", "currency per tick",
           "gross_profit - cost - marketing_cost - investment"),
};
const int cx_kpi_ncols = (int)(sizeof cx_kpi_cols / sizeof cx_kpi_cols[0]);

double cx_kpi_col_value(const cx_kpi_row_t *r, int i)
{
    const char *p = (const char *)r + cx_kpi_cols[i].offset;
    switch (cx_kpi_cols[i].type) {
    case CX_KPI_INT32: {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    case CX_KPI_COUNT: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    default: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    }
}

int cx_kpi_col_find(const char *name)
{
    for (int i = 0; i < cx_kpi_ncols; i++) {
        if (strcmp(cx_kpi_cols[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}
