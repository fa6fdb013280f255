/*  Roadmaps (exp/cx_exp_roadmap): start ticks and the default ramp, levels
 *  through the scenario's and the roadmap's maturity events, candidate
 *  generation within levels <= 5 and the budget, beam selection with
 *  deterministic tie-breaking, the timeline override loaded by the
 *  project's loader, the texts, and the payback tick. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_exp_roadmap.h"
#include "cx_load.h"

/* Three departments (it at 4, marketing at 2, sales at 5) and a timeline
 * with a campaign and a maturity event of marketing at tick 50. */
static const char s_yaml[] =
    "name: roadmap-test\n"
    "seed: 1\n"
    "ticks: 100\n"
    "departments:\n"
    "  - {id: it, maturity: 4, staff: 5}\n"
    "  - {id: marketing, maturity: 2, staff: 5}\n"
    "  - {id: sales, maturity: 5, staff: 5}\n"
    "personas:\n"
    "  - {id: p, customers: 100, journey: j}\n"
    "journeys:\n"
    "  - id: j\n"
    "    touchpoints:\n"
    "      - {id: a, stage: purchase, owner: sales, channel: web, purchase: true}\n"
    "timeline:\n"
    "  - {at: 10, event: campaign, value: 1.5, over: 5, cost: 1234.5}\n"
    "  - {at: 50, event: maturity, department: marketing, to: 3.5, over: 7}\n"
    "  - {at: 60, event: cx_owner, owner: marketing}\n";

static cx_scenario_t *s_load(const char *const *sets, int n)
{
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_scenario_load_string("test", s_yaml, strlen(s_yaml), sets, n, sc, &d);
    if (rc != 0) {
        cx_diags_print(stderr, &d);
    }
    cx_diags_fini(&d);
    assert_int_equal(rc, 0);
    return sc;
}

static void s_space(const cx_scenario_t *sc, cx_rm_space_t *sp, int steps, double budget)
{
    memset(sp, 0, sizeof *sp);
    sp->steps = steps;
    sp->ticks = sc->ticks;
    sp->over = cx_rm_default_over(steps, sc->ticks);
    sp->budget = budget;
    for (int d = 0; d < sc->n_dept; d++) {
        sp->cost[d] = 100;
        sp->allowed[d] = true;
    }
}

static cx_roadmap_t s_empty(void)
{
    cx_roadmap_t r;
    memset(&r, 0, sizeof r);
    r.point = -1;
    r.mean = r.lo = r.hi = r.half = NAN;
    return r;
}

static void test_ticks(void **state)
{
    (void)state;
    assert_int_equal(cx_rm_start_tick(1, 2, 30), 10);
    assert_int_equal(cx_rm_start_tick(2, 2, 30), 20);
    assert_int_equal(cx_rm_start_tick(3, 4, 365), 219);
    assert_int_equal(cx_rm_default_over(2, 30), 10);
    assert_int_equal(cx_rm_default_over(3, 365), 60);
    assert_int_equal(cx_rm_default_over(5, 3), 1);
}

static void test_levels(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_load(NULL, 0);
    int mk = cx_scenario_dept_index(sc, "marketing");
    assert_true(cx_rm_level(sc, NULL, mk, 49) == 2);
    assert_true(cx_rm_level(sc, NULL, mk, 50) == 3.5);
    assert_true(cx_rm_next_level(3.5) == 4);
    assert_true(cx_rm_next_level(2) == 3);
    assert_true(cx_rm_next_level(4.99) == 5);
    assert_true(cx_rm_next_level(5) == -1);
    cx_roadmap_t r = s_empty();
    r.n = 1;
    r.move[0] = (cx_rm_move_t){mk, 20, 2, 3, 10, 100, CX_EV_MATURITY};
    assert_true(cx_rm_level(sc, &r, mk, 19) == 2);
    assert_true(cx_rm_level(sc, &r, mk, 20) == 3);
    assert_true(cx_rm_level(sc, &r, mk, 70) == 3.5); /* the scenario's later event wins */
    free(sc);
}

static void test_candidates(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_load(NULL, 0);
    int it = cx_scenario_dept_index(sc, "it"), mk = cx_scenario_dept_index(sc, "marketing");
    cx_rm_space_t sp;
    s_space(sc, &sp, 3, 250);
    cx_roadmap_t base = s_empty(), out[8];
    /* sales is at 5: only it and marketing, in department order. */
    int n = cx_rm_candidates(sc, &sp, &base, out, 8);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].move[0].dept, it);
    assert_int_equal(out[1].move[0].dept, mk);
    assert_int_equal(out[0].move[0].tick, 25);
    assert_true(out[0].move[0].from == 4 && out[0].move[0].to == 5);
    assert_true(out[0].cost == 100);
    assert_int_equal(out[0].point, -1);
    assert_true(isnan(out[0].mean));
    /* it is at 5 after its move: only marketing may follow. */
    cx_roadmap_t two[8];
    n = cx_rm_candidates(sc, &sp, &out[0], two, 8);
    assert_int_equal(n, 1);
    assert_int_equal(two[0].move[1].dept, mk);
    assert_int_equal(two[0].move[1].tick, 50);
    assert_true(two[0].move[1].from == 3.5 && two[0].move[1].to == 4);
    assert_true(two[0].cost == 200);
    /* The budget: 250 allows two moves of 100, not three. */
    cx_roadmap_t three[8];
    n = cx_rm_candidates(sc, &sp, &two[0], three, 8);
    assert_int_equal(n, 0);
    sp.budget = 300;
    n = cx_rm_candidates(sc, &sp, &two[0], three, 8);
    assert_int_equal(n, 1);
    assert_true(three[0].cost == 300 && three[0].move[2].to == 5);
    /* ... and at --steps no more. */
    cx_roadmap_t four[8];
    sp.budget = 1e9;
    assert_int_equal(cx_rm_candidates(sc, &sp, &three[0], four, 8), 0);
    /* Every level stays <= 5 and every cost within the budget, whatever
     * the path. */
    sp.steps = 8;
    sp.budget = 450;
    sp.cost[it] = 50;
    cx_roadmap_t frontier[64], next[64];
    int nf = 1;
    frontier[0] = s_empty();
    for (int step = 0; step < 8 && nf > 0; step++) {
        int nn = 0;
        for (int i = 0; i < nf; i++) {
            int got = cx_rm_candidates(sc, &sp, &frontier[i], next + nn, 64 - nn);
            assert_true(got >= 0 && nn + got <= 64);
            nn += got;
        }
        for (int i = 0; i < nn; i++) {
            assert_true(next[i].cost <= sp.budget);
            for (int k = 0; k < next[i].n; k++) {
                assert_true(next[i].move[k].to <= 5);
                assert_true(next[i].move[k].to == floor(next[i].move[k].from) + 1);
            }
        }
        memcpy(frontier, next, (size_t)nn * sizeof *next);
        nf = nn;
    }
    /* Allowed departments only; a budget that buys nothing. */
    s_space(sc, &sp, 3, 1000);
    sp.allowed[it] = false;
    n = cx_rm_candidates(sc, &sp, &base, out, 8);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].move[0].dept, mk);
    sp.budget = 99.99;
    assert_int_equal(cx_rm_candidates(sc, &sp, &base, out, 8), 0);
    sp.budget = 100;
    assert_int_equal(cx_rm_candidates(sc, &sp, &base, NULL, 0), 1); /* counts only */
    free(sc);
}

static void test_select(void **state)
{
    (void)state;
    cx_roadmap_t r[6];
    for (int i = 0; i < 6; i++) {
        r[i] = s_empty();
        r[i].n = 1;
        r[i].move[0] = (cx_rm_move_t){i, 10, 2, 3, 5, 100, CX_EV_MATURITY};
        r[i].cost = 100;
    }
    r[0].mean = 5;
    r[1].mean = 9;
    r[2].mean = 9; /* ties with 1 but costs less */
    r[2].cost = 50;
    r[3].mean = 9; /* ties with 1 in mean and cost: department order */
    r[4].mean = NAN;
    r[5].mean = 7;
    int keep[6];
    int k = cx_rm_select(r, 6, 3, keep);
    assert_int_equal(k, 3);
    assert_int_equal(keep[0], 2);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 3);
    assert_true(r[1].kept && r[2].kept && r[3].kept && !r[0].kept && !r[4].kept && !r[5].kept);
    /* The same in another order. */
    cx_roadmap_t s[6];
    for (int i = 0; i < 6; i++) {
        s[i] = r[5 - i];
    }
    k = cx_rm_select(s, 6, 3, keep);
    assert_int_equal(k, 3);
    assert_int_equal(s[keep[0]].move[0].dept, 2);
    assert_int_equal(s[keep[1]].move[0].dept, 1);
    assert_int_equal(s[keep[2]].move[0].dept, 3);
    /* More kept than there are: the NaN is never kept. */
    k = cx_rm_select(r, 6, 10, keep);
    assert_int_equal(k, 5);
    assert_false(r[4].kept);
    assert_int_equal(keep[3], 5);
    assert_int_equal(keep[4], 0);
    assert_int_equal(cx_rm_compare(&r[1], &r[1]), 0);
}

static void test_timeline_loads(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_load(NULL, 0);
    int it = cx_scenario_dept_index(sc, "it"), mk = cx_scenario_dept_index(sc, "marketing");
    cx_roadmap_t r = s_empty();
    r.n = 2;
    r.move[0] = (cx_rm_move_t){mk, 33, 2, 3, 33, 250000, CX_EV_MATURITY};
    r.move[1] = (cx_rm_move_t){it, 66, 4, 5, 33, 0.1, CX_EV_MATURITY};
    r.cost = 250000.1;
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_rm_timeline_set(&b, sc, &r);
    assert_false(b.oom);
    assert_non_null(strstr(cx_exp_buf_str(&b),
                           "{at: 33, event: maturity, department: marketing, to: 3, over: 33, "
                           "cost: 250000}"));
    const char *sets[1] = {cx_exp_buf_str(&b)};
    cx_scenario_t *got = s_load(sets, 1);
    /* The scenario's own three events, then the moves, in tick order. */
    assert_int_equal(got->n_event, 5);
    static const int at[3] = {0, 2, 3};
    for (int i = 0; i < 3; i++) {
        cx_event_spec_t a = sc->event[i], e = got->event[at[i]];
        a.line = e.line = 0;
        assert_memory_equal(&a, &e, sizeof a);
    }
    assert_int_equal(got->event[1].tick, 33);
    assert_int_equal(got->event[1].kind, CX_EV_MATURITY);
    assert_int_equal(got->event[1].dept, mk);
    assert_true(got->event[1].value == 3 && got->event[1].duration == 33);
    assert_true(got->event[1].cost == 250000);
    assert_int_equal(got->event[4].tick, 66);
    assert_int_equal(got->event[4].dept, it);
    assert_true(got->event[4].cost == 0.1 && got->event[4].value == 5);
    /* The empty roadmap gives back the scenario's own timeline. */
    cx_roadmap_t none = s_empty();
    cx_exp_buf_reset(&b);
    cx_rm_timeline_set(&b, sc, &none);
    sets[0] = cx_exp_buf_str(&b);
    cx_scenario_t *same = s_load(sets, 1);
    cx_scenario_clear_lines(sc);
    cx_scenario_clear_lines(same);
    assert_true(cx_scenario_equal(sc, same));

    /* The texts. */
    cx_exp_buf_reset(&b);
    cx_rm_key(&b, sc, &r);
    assert_string_equal(cx_exp_buf_str(&b), "marketing@33:2>3; it@66:4>5");
    cx_exp_buf_reset(&b);
    cx_rm_key(&b, sc, &none);
    assert_string_equal(cx_exp_buf_str(&b), "none");
    cx_exp_buf_reset(&b);
    cx_rm_move_describe(&b, sc, &r.move[0]);
    assert_string_equal(cx_exp_buf_str(&b),
                        "tick 33: marketing 2\xe2\x86\x92" "3 over 33 ticks, cost 250,000");
    cx_exp_buf_fini(&b);
    free(sc);
    free(got);
    free(same);
}

/* A gap's search space: targets cap the steps, jumps go straight to the
 * target at the levels they cross, the owner and governance move once. */
static void test_gap_space(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_load(NULL, 0);
    int it = cx_scenario_dept_index(sc, "it"), mk = cx_scenario_dept_index(sc, "marketing");
    int sales = cx_scenario_dept_index(sc, "sales");
    cx_rm_space_t sp;
    s_space(sc, &sp, 3, 1000);
    sp.allowed[sales] = false;
    sp.target[it] = 4;   /* already there */
    sp.target[mk] = 4.5; /* a step to 3, or a jump to 4.5 crossing 3 levels */
    sp.jump = true;
    sp.owner_move = true;
    sp.owner_to = CX_OWNER_CX_TEAM;
    sp.owner_cost = 50;
    sp.gov_move = true;
    sp.gov_to = CX_GOV_HYBRID;
    sp.gov_cost = 70;
    assert_int_equal(cx_rm_max_candidates(sc, &sp), 8);
    cx_roadmap_t none = s_empty();
    cx_roadmap_t out[8];
    assert_int_equal(cx_rm_candidates(sc, &sp, &none, out, 8), 4);
    assert_int_equal(out[0].move[0].kind, CX_EV_MATURITY);
    assert_int_equal(out[0].move[0].dept, mk);
    assert_true(out[0].move[0].to == 3 && out[0].cost == 100);
    assert_int_equal(out[1].move[0].dept, mk);
    assert_true(out[1].move[0].to == 4.5 && out[1].cost == 300);
    assert_int_equal(out[2].move[0].kind, CX_EV_CX_OWNER);
    assert_true(out[2].move[0].from == CX_OWNER_NONE && out[2].move[0].to == CX_OWNER_CX_TEAM);
    assert_true(out[2].cost == 50 && out[2].move[0].tick == 25);
    assert_int_equal(out[3].move[0].kind, CX_EV_GOVERNANCE);
    assert_true(out[3].move[0].to == CX_GOV_HYBRID && out[3].cost == 70);
    /* The owner move is made once; a budget of 60 leaves it and the +1 step. */
    cx_roadmap_t kids[8];
    int n = cx_rm_candidates(sc, &sp, &out[2], kids, 8);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++) {
        assert_int_not_equal(kids[i].move[1].kind, CX_EV_CX_OWNER);
    }
    sp.budget = 60;
    assert_int_equal(cx_rm_candidates(sc, &sp, &none, out, 8), 1);
    assert_int_equal(out[0].move[0].kind, CX_EV_CX_OWNER);
    /* Texts, and the timeline loads with an owner event at tick 25. */
    cx_roadmap_t r = s_empty();
    r.n = 2;
    r.move[0] = (cx_rm_move_t){-1, 25, CX_OWNER_NONE, CX_OWNER_CX_TEAM, 1, 50, CX_EV_CX_OWNER};
    r.move[1] = (cx_rm_move_t){-1, 50, CX_GOV_CENTRALISED, CX_GOV_HYBRID, 1, 70,
                               CX_EV_GOVERNANCE};
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_rm_key(&b, sc, &r);
    assert_string_equal(cx_exp_buf_str(&b),
                        "cx_owner@25:none>cx_team; governance@50:centralised>hybrid");
    cx_exp_buf_reset(&b);
    cx_rm_move_describe(&b, sc, &r.move[0]);
    assert_string_equal(cx_exp_buf_str(&b), "tick 25: CX owner none\xe2\x86\x92" "cx_team, cost 50");
    cx_exp_buf_reset(&b);
    cx_rm_timeline_set(&b, sc, &r);
    const char *sets[1] = {cx_exp_buf_str(&b)};
    cx_scenario_t *got = s_load(sets, 1);
    assert_int_equal(got->n_event, 5);
    assert_int_equal(got->event[1].kind, CX_EV_CX_OWNER);
    assert_int_equal(got->event[1].tick, 25);
    assert_int_equal(got->event[1].owner, CX_OWNER_CX_TEAM);
    assert_true(got->event[1].cost == 50);
    assert_int_equal(got->event[3].kind, CX_EV_GOVERNANCE);
    assert_int_equal(got->event[3].governance, CX_GOV_HYBRID);
    /* Maturity levels ignore the organisation moves. */
    assert_true(cx_rm_level(sc, &r, mk, 30) == 2);
    cx_exp_buf_fini(&b);
    free(sc);
    free(got);
}

static void test_payback(void **state)
{
    (void)state;
    double a[5] = {-1, -2, 1, -0.5, 3};
    assert_int_equal(cx_rm_payback(a, 5), 4);
    double b[4] = {-1, 0, 1, 2};
    assert_int_equal(cx_rm_payback(b, 4), 1);
    double c[3] = {1, 2, -1};
    assert_int_equal(cx_rm_payback(c, 3), -1);
    assert_int_equal(cx_rm_payback(c, 0), -1);
    double d[2] = {0, 1};
    assert_int_equal(cx_rm_payback(d, 2), 0);
}

/* The search's evaluation in the tests: a gain of 10 per move of it and 1
 * per move of marketing, counted in calls. */
typedef struct {
    int it, calls, abort_at;
} s_search_t;

static int s_fake_eval(void *ud, cx_roadmap_t *rm, int n, bool with_none)
{
    s_search_t *t = ud;
    if (++t->calls == t->abort_at) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        double g = 0;
        for (int k = 0; k < rm[i].n; k++) {
            g += rm[i].move[k].dept == t->it ? 10 : 1;
        }
        rm[i].mean = with_none && i == 0 ? 0 : g;
        rm[i].n_rep = 2;
    }
    return 0;
}

static void test_search(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_load(NULL, 0);
    cx_rm_space_t sp;
    s_space(sc, &sp, 3, 250);
    s_search_t t = {cx_scenario_dept_index(sc, "it"), 0, 0};
    cx_rm_rec_t all[32];
    int n_all;
    cx_roadmap_t best;
    const char *stop;
    /* it first (10), then marketing (11); a third move does not fit 250. */
    assert_int_equal(cx_rm_search(sc, &sp, 2, s_fake_eval, NULL, &t, all, 32, &n_all, &best,
                                  &stop),
                     0);
    assert_string_equal(stop, "budget");
    assert_int_equal(best.n, 2);
    assert_int_equal(best.move[0].dept, t.it);
    assert_true(best.mean == 11);
    assert_int_equal(all[0].step, 0); /* doing nothing first */
    assert_int_equal(all[0].rm.n, 0);
    assert_int_equal(n_all, 1 + 2 + 3); /* nothing, it, mk; then it+mk, mk+it, mk+mk */
    assert_int_equal(t.calls, 2);
    /* One step only: stops at the steps. */
    s_space(sc, &sp, 1, 250);
    t.calls = 0;
    assert_int_equal(cx_rm_search(sc, &sp, 2, s_fake_eval, NULL, &t, all, 32, &n_all, &best,
                                  &stop),
                     0);
    assert_string_equal(stop, "steps");
    assert_int_equal(best.n, 1);
    /* An evaluation that aborts: 1, what was found kept. */
    s_space(sc, &sp, 3, 250);
    t.calls = 0;
    t.abort_at = 2;
    assert_int_equal(cx_rm_search(sc, &sp, 2, s_fake_eval, NULL, &t, all, 32, &n_all, &best,
                                  &stop),
                     1);
    assert_string_equal(stop, "aborted");
    assert_int_equal(n_all, 3);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),          cmocka_unit_test(test_levels),
        cmocka_unit_test(test_candidates),     cmocka_unit_test(test_select),
        cmocka_unit_test(test_timeline_loads), cmocka_unit_test(test_payback),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_gap_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
