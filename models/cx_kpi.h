/*  cx_kpi — the KPI formulas of the seeds (docs/MODEL.md, shared domain),
 *  as pure functions. Each one reproduces the seeds' worked example
 *  exactly (tests/test_kpi.c). Percentages are 0..100. A ratio whose
 *  denominator is zero returns 0.
 */
#ifndef CX_KPI_H
#define CX_KPI_H

#include <stdint.h>

/* Answer 0..10 -> +1 promoter (9-10), 0 passive (7-8), -1 detractor (0-6). */
int cx_kpi_nps_class(int answer);
/* %promoters - %detractors. 88 of 100 promoters, 8 detractors -> 80. */
double cx_kpi_nps(int64_t promoters, int64_t detractors, int64_t respondents);
/* satisfied / respondents x 100. 37 of 50 -> 74. */
double cx_kpi_csat(int64_t satisfied, int64_t respondents);
/* sum of effort answers (1 bad..10 excellent) / respondents. 10,10,8,6,9 -> 8.6 */
double cx_kpi_ces(int64_t effort_sum, int64_t respondents);
/* value per period x periods. $50 x 5 -> $250. */
double cx_kpi_clv(double value_per_period, double periods);
/* customers x share who did so x clv. 1000 x 0.9 x 250 -> 225,000. */
double cx_kpi_clv_cohort(int64_t customers, double share, double clv);
/* referral purchases / purchases x 100. 100 / 3000 -> 3.33.. */
double cx_kpi_referral_rate(int64_t referral_purchases, int64_t purchases);
/* lost / customers at start x 100. 20 / 2500 -> 0.8 */
double cx_kpi_churn_rate(int64_t lost, int64_t customers_start);
/* 100 - churn rate. 0.8 -> 99.2 */
double cx_kpi_retention_rate(double churn_rate);
/* active at end / at start x 100 (direct method; acquired excluded). */
double cx_kpi_retention_direct(int64_t retained_end, int64_t customers_start);
/* One engagement answer 1..10 -> points: 9-10 -> 100, 7-8 -> 80,
 * 5-6 -> 60, 3-4 -> 40, 1-2 -> 20 (see docs/MODEL.md). */
int cx_kpi_engagement_points(int answer);
/* total points / questions. 50 / 2 -> 25. */
double cx_kpi_engagement(double total_points, int64_t questions);
/* One loyalty answer 1..10 -> (answer - 1) x 100 / 9: 10 -> 100, 1 -> 0. */
double cx_kpi_loyalty_points(int answer);
/* total points / questions. */
double cx_kpi_loyalty_index(double total_points, int64_t questions);
/* sales and marketing cost / customers acquired. */
double cx_kpi_cac(double sales_marketing_cost, int64_t acquired);
/* total time to resolve / requests resolved. */
double cx_kpi_avg_resolution_time(double total_time, int64_t resolved);

#endif
