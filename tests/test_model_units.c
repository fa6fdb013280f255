/*  test_model_units — the model's parts one by one: random numbers, the
 *  parameter table, tallies and tick contexts on the wire, the capability
 *  profile, ramps with their J-curve, and a department's independence from
 *  the order requests arrive in. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_capability.h"
#include "cx_company.h"
#include "cx_department.h"
#include "cx_rng.h"
#include "cx_shard.h"
#include "cx_world.h"

static void test_rng(void **state)
{
    (void)state;
    uint32_t a[4];
    uint32_t b[4];
    cx_rng4(1, CX_STREAM_SERVICE, 77, 5, 0, a);
    cx_rng4(1, CX_STREAM_SERVICE, 77, 5, 0, b);
    assert_memory_equal(a, b, sizeof a);
    cx_rng4(1, CX_STREAM_SURVEY, 77, 5, 0, b);
    assert_memory_not_equal(a, b, sizeof a);
    cx_rng4(2, CX_STREAM_SERVICE, 77, 5, 0, b);
    assert_memory_not_equal(a, b, sizeof a);
    /* Moments of the deviates over many keys. */
    double su = 0.0;
    double st = 0.0;
    double st2 = 0.0;
    double sn = 0.0;
    double sn2 = 0.0;
    double sp = 0.0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        cx_rng4(9, CX_STREAM_INIT, (uint64_t)i, 0, 0, a);
        double u = cx_u01(a[0]);
        assert_true(u > 0.0 && u < 1.0);
        su += u;
        double t = cx_tri(a[1]);
        st += t;
        st2 += t * t;
        double z = cx_normal(a[2], a[3]);
        sn += z;
        sn2 += z * z;
        sp += (double)cx_poisson(3.5, 9, CX_STREAM_ACQUIRE, (uint64_t)i, 1);
    }
    assert_true(fabs(su / n - 0.5) < 0.005);
    assert_true(fabs(st / n) < 0.01 && fabs(st2 / n - 1.0) < 0.02);
    assert_true(fabs(sn / n) < 0.01 && fabs(sn2 / n - 1.0) < 0.02);
    assert_true(fabs(sp / n - 3.5) < 0.03);
    /* Large means use the normal approximation. */
    double big = 0.0;
    for (int i = 0; i < 20000; i++) {
        big += (double)cx_poisson(500.0, 3, CX_STREAM_ACQUIRE, (uint64_t)i, 2);
    }
    assert_true(fabs(big / 20000 - 500.0) < 1.0);
    assert_int_equal(cx_poisson(0.0, 3, 1, 1, 1), 0);
}

static void test_params(void **state)
{
    (void)state;
    int n;
    const cx_param_info_t *t = cx_params_table(&n);
    assert_true(n > 40);
    cx_params_t p;
    cx_params_defaults(&p);
    for (int i = 0; i < n; i++) {
        assert_true(t[i].lo <= t[i].def && t[i].def <= t[i].hi);
        assert_non_null(t[i].unit);
        assert_true(strlen(t[i].doc) > 10);
        double *f = cx_params_field(&p, t[i].name);
        assert_non_null(f);
        assert_true(*f == t[i].def);
    }
    assert_null(cx_params_field(&p, "no_such_parameter"));
}

static void test_tally_wire(void **state)
{
    (void)state;
    cx_tally_t t;
    cx_tally_zero(&t);
    t.customers_start = 10;
    t.revenue_cents = -3;
    t.effort_micro = 1234567;
    t.journey = 2;
    t.n_tp = 3;
    t.tp[2].pillar_sum[5] = 99;
    t.tp[0].experience_micro = 7;
    int64_t w[CX_TALLY_WORDS];
    int n = cx_tally_pack(&t, w);
    assert_int_equal(n, CX_TALLY_HEAD_WORDS + 3 * CX_TP_WORDS);
    cx_tally_t u;
    assert_int_equal(cx_tally_unpack(&u, w, n), 0);
    assert_memory_equal(&t, &u, sizeof t);
    assert_int_equal(cx_tally_unpack(&u, w, n - 1), -1);
    w[25] = CX_MAX_TOUCHPOINTS + 1;
    assert_int_equal(cx_tally_unpack(&u, w, n), -1);
    /* Adding touchpoints only when journeys match. */
    cx_tally_t s;
    cx_tally_zero(&s);
    cx_tally_add(&s, &t);
    cx_tally_add(&s, &t);
    assert_int_equal(s.tp[2].pillar_sum[5], 198);
    assert_int_equal(s.customers_start, 20);
    cx_tally_t o = t;
    o.journey = 1;
    cx_tally_add(&s, &o);
    assert_int_equal(s.tp[2].pillar_sum[5], 198);
    assert_int_equal(s.customers_start, 30);
}

static void test_tickctx_wire(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, 1000, 3.0, 10);
    cx_company_t c;
    cx_company_init(&c, sc, NULL);
    cx_tickctx_t ctx;
    cx_company_begin_tick(&c, sc, 0, &ctx);
    double w[CX_TICKCTX_WORDS];
    cx_tickctx_pack(&ctx, w);
    cx_tickctx_t back;
    assert_int_equal(cx_tickctx_unpack(&back, w, sc), 0);
    assert_memory_equal(&ctx, &back, sizeof ctx);
    double bad[CX_TICKCTX_WORDS];
    memcpy(bad, w, sizeof w);
    bad[2] = 7.0; /* maturity of department 0 out of range */
    assert_int_equal(cx_tickctx_unpack(&back, bad, sc), -1);
    memcpy(bad, w, sizeof w);
    bad[0] = 1.5; /* a tick that is not whole */
    assert_int_equal(cx_tickctx_unpack(&back, bad, sc), -1);
    memcpy(bad, w, sizeof w);
    bad[CX_TICKCTX_WORDS - 1] = -1.0; /* a negative count */
    assert_int_equal(cx_tickctx_unpack(&back, bad, sc), -1);
    memcpy(bad, w, sizeof w);
    bad[2 + 4 * CX_MAX_DEPTS] = 9.0; /* CX owner out of range */
    assert_int_equal(cx_tickctx_unpack(&back, bad, sc), -1);
    free(sc);
}

static void test_capability(void **state)
{
    (void)state;
    cx_params_t p;
    cx_params_defaults(&p);
    cx_capability_t prev;
    cx_capability_of(&p, 1.0, &prev);
    assert_true(prev.quality == p.quality_low && prev.spread == p.spread_low);
    for (double m = 1.25; m <= 5.0; m += 0.25) {
        cx_capability_t c;
        cx_capability_of(&p, m, &c);
        /* Higher maturity: better, more even, faster, cheaper. */
        assert_true(c.quality > prev.quality);
        assert_true(c.spread < prev.spread);
        assert_true(c.fcr > prev.fcr);
        assert_true(c.handoff_success > prev.handoff_success);
        assert_true(c.personalisation > prev.personalisation);
        assert_true(c.service_mult > prev.service_mult);
        assert_true(c.cost_per_interaction < prev.cost_per_interaction);
        assert_true(c.change_speed > prev.change_speed);
        assert_true(c.engagement > prev.engagement);
        prev = c;
    }
    assert_true(fabs(prev.engagement / p.engagement_low - 70.0 / 45.0) < 1e-9);
    /* IT's maturity reaches technology-dependent touchpoints. */
    /* (it_reach of the dependence goes through IT's level) */
    assert_true(fabs(cx_capability_touchpoint_maturity(&p, 2.0, 5.0, 1.0) -
                     (2.0 + 3.0 * p.it_reach)) < 1e-12);
    assert_true(cx_capability_touchpoint_maturity(&p, 2.0, 5.0, 0.0) == 2.0);
    /* An outage brings IT's systems towards level 1. */
    assert_true(cx_capability_it_maturity(4.0, 0.5) == 2.5);
    assert_true(cx_capability_it_maturity(4.0, 0.0) == 4.0);
    /* Governance fits: centralised at low, hybrid in the middle,
     * decentralised at high maturity. */
    assert_true(cx_governance_fit(&p, CX_GOV_CENTRALISED, 1.5) >
                cx_governance_fit(&p, CX_GOV_DECENTRALISED, 1.5));
    assert_true(cx_governance_fit(&p, CX_GOV_HYBRID, 3.0) >
                cx_governance_fit(&p, CX_GOV_CENTRALISED, 3.0));
    assert_true(cx_governance_fit(&p, CX_GOV_DECENTRALISED, 4.5) >
                cx_governance_fit(&p, CX_GOV_HYBRID, 4.5));
    /* A CX team and a fitting governance speed change up. */
    assert_true(cx_change_speed(&p, 3.0, CX_OWNER_CX_TEAM, CX_GOV_HYBRID, 3.0) >
                cx_change_speed(&p, 3.0, CX_OWNER_NONE, CX_GOV_HYBRID, 3.0));
    assert_true(cx_change_speed(&p, 3.0, CX_OWNER_NONE, CX_GOV_HYBRID, 3.0) >
                cx_change_speed(&p, 3.0, CX_OWNER_NONE, CX_GOV_DECENTRALISED, 1.5));
}

/* A 3 -> 4 ramp dips below 3 first, then ends at 4, and books its cost. */
static void test_ramp(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, 1000, 3.0, 200);
    sc->governance = CX_GOV_HYBRID;
    sc->event[0] = (cx_event_spec_t){
        .tick = 10, .kind = CX_EV_MATURITY, .dept = 3, .value = 4.0, .duration = 60, .cost = 6e5};
    sc->n_event = 1;
    cx_company_t c;
    cx_company_init(&c, sc, NULL);
    double lowest = 5.0;
    double invest = 0.0;
    int end = -1;
    for (int t = 0; t < 200; t++) {
        cx_tickctx_t ctx;
        cx_company_begin_tick(&c, sc, t, &ctx);
        invest += c.investment_tick;
        if (t < 10) {
            assert_true(ctx.maturity[3] == 3.0 && ctx.change[3] == 0.0);
        }
        if (ctx.maturity[3] < lowest) {
            lowest = ctx.maturity[3];
        }
        if (end < 0 && t > 10 && ctx.maturity[3] == 4.0) {
            end = t;
        }
        assert_true(ctx.maturity[0] == 3.0);
    }
    assert_true(lowest < 2.9);
    assert_true(end > 10 + 30 && end < 10 + 120);
    assert_true(fabs(invest - 6e5) < 1e-6);
    free(sc);
}

/* A department gives the same outcomes whatever the order of requests. */
static void test_dept_order(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, 50000, 2.0, 10);
    cx_dept_t *a = cx_dept_new(sc, NULL, 1);
    cx_dept_t *b = cx_dept_new(sc, NULL, 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(cx_dept_new(sc, NULL, 99));
    cx_company_t c;
    cx_company_init(&c, sc, NULL);
    enum { N = 3000 };
    cx_request_t *req = calloc(N + 1, sizeof *req);
    cx_request_t *rev = calloc(N + 1, sizeof *rev);
    assert_non_null(req);
    assert_non_null(rev);
    for (int t = 0; t < 5; t++) {
        cx_tickctx_t ctx;
        cx_company_begin_tick(&c, sc, t, &ctx);
        for (int i = 0; i < N; i++) {
            int p = i % 2;
            req[i] = (cx_request_t){
                CX_CID(p, (uint64_t)(i * 7 + t * N * 7)), (uint32_t)t, 0, 3, 0, CX_NO_DEPT};
        }
        for (int i = 0; i < N; i++) {
            rev[i] = req[(i * 1237) % N]; /* a permutation: 1237 is prime to 3000 */
        }
        /* One request that does not fit (touchpoint of another department). */
        rev[N] = (cx_request_t){CX_CID(0, 999999), (uint32_t)t, 0, 4, 0, CX_NO_DEPT};
        const cx_outcome_t *oa;
        const cx_outcome_t *ob;
        size_t na;
        size_t nb;
        size_t rej;
        cx_dept_stats_t sa;
        cx_dept_stats_t sb;
        assert_int_equal(cx_dept_serve(a, &ctx, req, N, &oa, &na, &sa, &rej), 0);
        assert_int_equal(rej, 0);
        assert_int_equal(cx_dept_serve(b, &ctx, rev, N + 1, &ob, &nb, &sb, &rej), 0);
        assert_int_equal(rej, 1);
        assert_int_equal(na, nb);
        assert_memory_equal(oa, ob, na * sizeof *oa);
        assert_memory_equal(&sa, &sb, sizeof sa);
        /* The department is overloaded: a backlog builds, in (arrival, id) order. */
        assert_true(sa.backlog > 0.0);
        for (size_t i = 1; i < na; i++) {
            uint64_t ka = ((uint64_t)(t - (int)oa[i - 1].wait) << 48) ^ oa[i - 1].cid;
            uint64_t kb = ((uint64_t)(t - (int)oa[i].wait) << 48) ^ oa[i].cid;
            assert_true(ka < kb || oa[i].flags & CX_OUT_ABANDONED ||
                        oa[i - 1].flags & CX_OUT_ABANDONED);
        }
    }
    free(req);
    free(rev);
    cx_dept_destroy(&a);
    cx_dept_destroy(&b);
    assert_null(a);
    cx_dept_destroy(&b);
    free(sc);
}

static void test_bytes_per_customer(void **state)
{
    (void)state;
    assert_true(cx_shard_bytes_per_customer() <= 128);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),        cmocka_unit_test(test_params),
        cmocka_unit_test(test_tally_wire), cmocka_unit_test(test_tickctx_wire),
        cmocka_unit_test(test_capability), cmocka_unit_test(test_ramp),
        cmocka_unit_test(test_dept_order), cmocka_unit_test(test_bytes_per_customer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
