/*  The KPI row's table of columns (models/cx_kpi_cols): every field of
 *  cx_kpi_row_t has exactly one column, in kpis.csv's order, with its own
 *  value, a unit and a formula; the contract columns come first.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cx_kpi_cols.h"

/* The header of kpis.csv as the run contract and its extras have it. */
static const char *const s_header =
    "tick,customers,promoters,passives,detractors,nps,respondents,satisfied,csat,ces,churned,"
    "churn_rate,retention_rate,acquired,purchases,referral_purchases,referral_rate,revenue,clv,"
    "cac,employee_engagement,avg_resolution_time,loyalty_index,satisfaction,expectation,"
    "interactions,handoffs,failed_handoffs,cost,investment,customers_end,retention_direct,"
    "demand,lost_sales,price,basket,gross_profit,marketing_cost,operating_profit";

static void test_order_and_names(void **state)
{
    (void)state;
    char joined[2048] = "";
    for (int i = 0; i < cx_kpi_ncols; i++) {
        strcat(joined, cx_kpi_cols[i].name);
        strcat(joined, i + 1 < cx_kpi_ncols ? "," : "");
        assert_int_equal(cx_kpi_col_find(cx_kpi_cols[i].name), i);
        assert_non_null(cx_kpi_cols[i].unit);
        assert_true(cx_kpi_cols[i].label && cx_kpi_cols[i].label[0] >= 'A' &&
                    cx_kpi_cols[i].label[0] <= 'Z');
        assert_true(strlen(cx_kpi_cols[i].formula) > 0);
    }
    assert_string_equal(joined, s_header);
    assert_int_equal(cx_kpi_col_find("np"), -1);
}

static void test_contract_first(void **state)
{
    (void)state;
    int i = 0;
    while (i < cx_kpi_ncols && cx_kpi_cols[i].contract) {
        i++;
    }
    assert_string_equal(cx_kpi_cols[i - 1].name, "customers_end");
    for (; i < cx_kpi_ncols; i++) {
        assert_false(cx_kpi_cols[i].contract);
    }
}

/* Every byte of the row belongs to one column (padding aside), and each
 * column reads its own field. */
static void test_fields_covered(void **state)
{
    (void)state;
    unsigned char owner[sizeof(cx_kpi_row_t)];
    memset(owner, 0, sizeof owner);
    size_t covered = 0;
    for (int i = 0; i < cx_kpi_ncols; i++) {
        size_t size = cx_kpi_cols[i].type == CX_KPI_INT32 ? sizeof(int32_t) : 8;
        assert_true(cx_kpi_cols[i].offset + size <= sizeof(cx_kpi_row_t));
        for (size_t b = 0; b < size; b++) {
            assert_int_equal(owner[cx_kpi_cols[i].offset + b], 0);
            owner[cx_kpi_cols[i].offset + b] = 1;
        }
        covered += size;
    }
    /* tick (4 bytes) is followed by 4 bytes of padding before the first int64. */
    assert_int_equal(covered + 4, sizeof(cx_kpi_row_t));

    cx_kpi_row_t r = {0};
    r.tick = 7;
    r.customers = 1234567890123LL;
    r.nps = -12.5;
    r.operating_profit = 99.25;
    assert_true(cx_kpi_col_value(&r, cx_kpi_col_find("tick")) == 7.0);
    assert_true(cx_kpi_col_value(&r, cx_kpi_col_find("customers")) == 1234567890123.0);
    assert_true(cx_kpi_col_value(&r, cx_kpi_col_find("nps")) == -12.5);
    assert_true(cx_kpi_col_value(&r, cx_kpi_col_find("operating_profit")) == 99.25);
    assert_true(cx_kpi_col_value(&r, cx_kpi_col_find("csat")) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_names),
        cmocka_unit_test(test_contract_first),
        cmocka_unit_test(test_fields_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
