/*  test_model_determinism — the model's results do not depend on how a
 *  persona is split over shards, nor on a snapshot and restore in the
 *  middle of a run: summed tallies and department figures are the same
 *  bits tick by tick. */
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
#define S_TICKS 150

/* The reference scenario with a timeline that touches every event kind,
 * weekly ticks for one variant. */
static cx_scenario_t *s_scenario(cx_tick_unit_t unit)
{
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    cx_world_example_scenario(sc, S_CUSTOMERS, 2.5, S_TICKS);
    sc->tick_unit = unit;
    sc->seed = 20240607;
    const cx_event_spec_t ev[] = {
        {.tick = 10, .kind = CX_EV_MATURITY, .dept = 3, .value = 4.0, .duration = 30, .cost = 3e5},
        {.tick = 20, .kind = CX_EV_OUTAGE, .dept = 5, .value = 0.6, .duration = 5},
        {.tick = 30, .kind = CX_EV_CAMPAIGN, .dept = -1, .value = 2.0, .duration = 10, .cost = 5e4},
        {.tick = 40, .kind = CX_EV_PRICE, .dept = -1, .value = 1.1, .duration = 1},
        {.tick = 50, .kind = CX_EV_POLICY, .dept = -1, .value = 0.7, .duration = 1},
        {.tick = 60, .kind = CX_EV_CX_OWNER, .dept = -1, .owner = CX_OWNER_CX_TEAM, .duration = 1},
        {.tick = 70,
         .kind = CX_EV_GOVERNANCE,
         .dept = -1,
         .governance = CX_GOV_HYBRID,
         .duration = 1},
        {.tick = 80, .kind = CX_EV_STAFF, .dept = 1, .value = 5.0, .duration = 1},
    };
    sc->n_event = (int)(sizeof ev / sizeof ev[0]);
    memcpy(sc->event, ev, sizeof ev);
    return sc;
}

/* Packs what a tick produced: the summed tally and the departments'
 * figures, as bytes to compare. */
static size_t s_pack(cx_world_t *w, const cx_scenario_t *sc, const cx_tally_t *t, uint8_t *buf)
{
    int64_t words[CX_TALLY_WORDS];
    int n = cx_tally_pack(t, words);
    size_t off = 0;
    memcpy(buf, words, (size_t)n * sizeof(int64_t));
    off += (size_t)n * sizeof(int64_t);
    for (int d = 0; d < sc->n_dept; d++) {
        double s[CX_DEPT_STATS_WORDS];
        cx_dept_stats_pack(cx_world_dept_stats(w, d), s);
        memcpy(buf + off, s, sizeof s);
        off += sizeof s;
    }
    return off;
}

#define S_BUF (CX_TALLY_WORDS * 8 + CX_MAX_DEPTS * CX_DEPT_STATS_WORDS * 8)

static void s_shards(cx_tick_unit_t unit)
{
    cx_scenario_t *sc = s_scenario(unit);
    const int splits[] = {1, 2, 3, 4};
    cx_world_t *w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = cx_world_new(sc, splits[i]);
        assert_non_null(w[i]);
    }
    static uint8_t ref[S_BUF];
    static uint8_t got[S_BUF];
    int64_t interactions = 0;
    for (int t = 0; t < S_TICKS; t++) {
        cx_tally_t tally;
        assert_int_equal(cx_world_step(w[0], &tally, NULL), 0);
        interactions += tally.interactions;
        size_t n = s_pack(w[0], sc, &tally, ref);
        for (int i = 1; i < 4; i++) {
            assert_int_equal(cx_world_step(w[i], &tally, NULL), 0);
            size_t m = s_pack(w[i], sc, &tally, got);
            if (m != n || memcmp(ref, got, n) != 0) {
                fail_msg("tick %d: %d shards differ from 1", t, splits[i]);
            }
        }
    }
    /* The run did something: customers met departments. */
    assert_true(interactions > S_CUSTOMERS);
    for (int i = 0; i < 4; i++) {
        cx_world_destroy(&w[i]);
    }
    free(sc);
}

static void test_shards_daily(void **state)
{
    (void)state;
    s_shards(CX_TICK_DAY);
}

static void test_shards_weekly(void **state)
{
    (void)state;
    s_shards(CX_TICK_WEEK);
}

/* Moves every part of world a into world b through snapshots. */
static void s_transfer(cx_world_t *a, cx_world_t *b, const cx_scenario_t *sc, int nshards)
{
    *cx_world_company(b) = *cx_world_company(a);
    for (int d = 0; d < sc->n_dept; d++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal(cx_dept_snapshot(cx_world_dept(a, d), &buf, &len), 0);
        assert_int_equal(cx_dept_restore(cx_world_dept(b, d), buf, len), 0);
        /* A truncated snapshot is refused. */
        assert_int_equal(cx_dept_restore(cx_world_dept(b, d), buf, len - 1), -1);
        free(buf);
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < nshards; s++) {
            uint8_t *buf;
            size_t len;
            assert_int_equal(cx_shard_snapshot(cx_world_shard(a, p, s), &buf, &len), 0);
            assert_int_equal(cx_shard_restore(cx_world_shard(b, p, s), buf, len - 1), -1);
            assert_int_equal(cx_shard_restore(cx_world_shard(b, p, s), buf, len), 0);
            free(buf);
        }
    }
    cx_world_set_tick(b, cx_world_tick(a));
}

static void test_snapshot_restore(void **state)
{
    (void)state;
    cx_scenario_t *sc = s_scenario(CX_TICK_DAY);
    const int nshards = 2;
    cx_world_t *a = cx_world_new(sc, nshards);
    assert_non_null(a);
    for (int t = 0; t < 45; t++) {
        assert_int_equal(cx_world_step(a, NULL, NULL), 0);
    }
    /* b starts from scratch, takes a's state, and both run on. */
    cx_world_t *b = cx_world_new(sc, nshards);
    assert_non_null(b);
    for (int t = 0; t < 3; t++) {
        assert_int_equal(cx_world_step(b, NULL, NULL), 0);
    }
    s_transfer(a, b, sc, nshards);
    static uint8_t ra[S_BUF];
    static uint8_t rb[S_BUF];
    for (int t = 45; t < S_TICKS; t++) {
        cx_tally_t ta;
        cx_tally_t tb;
        assert_int_equal(cx_world_step(a, &ta, NULL), 0);
        assert_int_equal(cx_world_step(b, &tb, NULL), 0);
        size_t na = s_pack(a, sc, &ta, ra);
        size_t nb = s_pack(b, sc, &tb, rb);
        if (na != nb || memcmp(ra, rb, na) != 0) {
            fail_msg("tick %d: the restored run differs", t);
        }
    }
    cx_world_destroy(&a);
    cx_world_destroy(&b);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_daily),
        cmocka_unit_test(test_shards_weekly),
        cmocka_unit_test(test_snapshot_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
