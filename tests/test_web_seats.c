/* cx_web_seats: tokens, roles, the permission check of a command, and the
 * rate limit of a department seat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cx_web_seats.h"

static const char *const s_depts[] = {"marketing", "sales", "it", "it_ops"};
#define S_N 4
#define S_IT 3 /* seat index of it: the trainer is 0 */

static int s_setup(void **state)
{
    static cx_web_seats_t seats;
    char err[256];
    assert_int_equal(cx_web_seats_init(&seats, s_depts, S_N, 2000, err, sizeof err), 0);
    *state = &seats;
    return 0;
}

static int s_teardown(void **state)
{
    cx_web_seats_fini(*state);
    return 0;
}

static cx_web_permit_t s_permit(cx_web_seats_t *s, int seat, const char *verb, const char *value,
                                char *out, char *why)
{
    return cx_web_seats_permit(s, seat, verb, value, out, CX_WEB_VALUE_MAX, why, 512);
}

static void test_tokens(void **state)
{
    cx_web_seats_t *s = *state;
    assert_int_equal(s->n, S_N + 1);
    assert_int_equal(s->seat[0].role, CX_WEB_ROLE_TRAINER);
    for (int i = 0; i < s->n; i++) {
        const char *t = s->seat[i].token;
        assert_true(strlen(t) >= 22);
        assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_"),
                         strlen(t));
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(t, s->seat[j].token);
        }
        assert_int_equal(cx_web_seats_find(s, t), i);
    }
    assert_string_equal(s->seat[S_IT].dept, "it");
    /* Unknown, missing, truncated or extended tokens find no seat. */
    char bad[64];
    snprintf(bad, sizeof bad, "%s", s->seat[1].token);
    bad[5] ^= 1;
    assert_int_equal(cx_web_seats_find(s, bad), -1);
    /* Every character counts: a token that differs in its last one only. */
    snprintf(bad, sizeof bad, "%s", s->seat[1].token);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(cx_web_seats_find(s, bad), -1);
    assert_int_equal(cx_web_seats_find(s, NULL), -1);
    assert_int_equal(cx_web_seats_find(s, ""), -1);
    snprintf(bad, sizeof bad, "%.21s", s->seat[1].token);
    assert_int_equal(cx_web_seats_find(s, bad), -1);
    snprintf(bad, sizeof bad, "%sA", s->seat[1].token);
    assert_int_equal(cx_web_seats_find(s, bad), -1);
    /* The encoding: 16 zero bytes, 16 0xff bytes. */
    uint8_t raw[16] = {0};
    char tok[CX_WEB_TOKEN_LEN + 1];
    cx_web_token_encode(raw, tok);
    assert_string_equal(tok, "AAAAAAAAAAAAAAAAAAAAAA");
    memset(raw, 0xff, sizeof raw);
    cx_web_token_encode(raw, tok);
    assert_string_equal(tok, "_____________________w");
}

static void test_seat_own_department(void **state)
{
    cx_web_seats_t *s = *state;
    char out[CX_WEB_VALUE_MAX], why[512];
    assert_int_equal(s_permit(s, S_IT, "set", "departments.it.maturity=4", out, why),
                     CX_WEB_PERMIT_CHANGE);
    assert_string_equal(out, "departments.it.maturity=4");
    assert_int_equal(s_permit(s, S_IT, "set", "departments.it.staff=6", out, why),
                     CX_WEB_PERMIT_CHANGE);
    assert_int_equal(s_permit(s, S_IT, "status", "", out, why), CX_WEB_PERMIT_READ);
    /* An event of its own, re-written from what was checked. */
    assert_int_equal(s_permit(s, S_IT, "event",
                              "{event: maturity, department: 'it', to: 4, over: 6, cost: 5e4}", out,
                              why),
                     CX_WEB_PERMIT_CHANGE);
    assert_string_equal(out, "{event: maturity, department: \"it\", to: 4, over: 6, cost: 5e4}");
    assert_int_equal(
        s_permit(s, S_IT, "event", "{at: 9, value: 5, department: it, event: staff}", out, why),
        CX_WEB_PERMIT_CHANGE);
    assert_string_equal(out, "{event: staff, department: \"it\", value: 5, at: 9}");
}

static void test_seat_forbidden(void **state)
{
    cx_web_seats_t *s = *state;
    char out[CX_WEB_VALUE_MAX], why[512];
    static const char *const sets[] = {
        "departments.marketing.maturity=4",
        "departments.it_ops.maturity=4",
        "departments.it.cost_per_staff=1",
        "departments.it.maturity.x=4",
        "company.cx_owner=cx_team",
        "company.governance=hybrid",
        "company.price=2",
        "departments.it=4",
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        assert_int_equal(s_permit(s, S_IT, "set", sets[i], out, why), CX_WEB_PERMIT_FORBIDDEN);
        assert_non_null(strstr(why, "the it seat may change only department it"));
    }
    static const char *const verbs[] = {"pause", "resume", "pace", "stop", "checkpoint", "frob"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        assert_int_equal(s_permit(s, S_IT, verbs[i], i == 2 ? "10" : "", out, why),
                         CX_WEB_PERMIT_FORBIDDEN);
        assert_non_null(strstr(why, "the it seat may change only department it"));
    }
    static const char *const events[] = {
        "{event: maturity, department: marketing, to: 4}",
        "{event: outage, department: it, value: 0.5, over: 3}",
        "{event: campaign, value: 2}",
        "{event: cx_owner, owner: cx_team}",
        "{event: maturity, department: it, to: 4, department: marketing}", /* repeated */
        "{event: maturity, department: it, to: 4, owner: cx_team}",
        "{event: staff, department: it, to: 4}",
        "{event: maturity, department: [it], to: 4}",
        "{event: maturity, department: it, to: 4} trailing",
        "{event: maturity, department: it, to: \"4\\n\"}",
        "event: maturity",
        "{event: maturity, department: &a it, to: 4}",
        "",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        assert_int_equal(s_permit(s, S_IT, "event", events[i], out, why), CX_WEB_PERMIT_FORBIDDEN);
    }
}

static void test_trainer_everything(void **state)
{
    cx_web_seats_t *s = *state;
    char out[CX_WEB_VALUE_MAX], why[512];
    assert_int_equal(s_permit(s, 0, "status", "", out, why), CX_WEB_PERMIT_READ);
    static const char *const verbs[] = {"pause",      "resume", "pace", "stop",
                                        "checkpoint", "set",    "event"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        assert_int_equal(s_permit(s, 0, verbs[i], "company.cx_owner=cx_team", out, why),
                         CX_WEB_PERMIT_CHANGE);
        assert_string_equal(out, "company.cx_owner=cx_team"); /* passed on as it is */
    }
    assert_int_equal(s_permit(s, 0, "event", "{event: outage, department: it, value: 1}", out, why),
                     CX_WEB_PERMIT_CHANGE);
    char who[80];
    cx_web_seats_who(s, 0, who, sizeof who);
    assert_string_equal(who, "trainer");
    cx_web_seats_who(s, S_IT, who, sizeof who);
    assert_string_equal(who, "it seat");
}

static void test_rate_limit(void **state)
{
    cx_web_seats_t *s = *state;
    int64_t retry = 0;
    assert_int_equal(cx_web_seats_take(s, S_IT, 10000, &retry), 0);
    assert_int_equal(cx_web_seats_take(s, S_IT, 10500, &retry), 1);
    assert_int_equal(retry, 1500);
    assert_int_equal(cx_web_seats_take(s, S_IT, 11999, &retry), 1);
    assert_int_equal(cx_web_seats_take(s, 1, 11999, &retry), 0); /* another seat: its own limit */
    assert_int_equal(cx_web_seats_take(s, S_IT, 12000, &retry), 0);
    assert_int_equal(s->seat[S_IT].changes, 2);
    for (int i = 0; i < 10; i++) { /* the trainer is never limited */
        assert_int_equal(cx_web_seats_take(s, 0, 12000, &retry), 0);
    }
    assert_int_equal(cx_web_seats_take(s, 99, 12000, &retry), 1);
    cx_wbuf_t b = {0};
    cx_web_seats_json(s, 13000, &b);
    assert_false(b.oom);
    assert_non_null(strstr(b.p, "\"department\":\"it\""));
    assert_non_null(strstr(b.p, "\"changes\":2,\"seen_ms_ago\":-1,\"change_ms_ago\":1000}"));
    cx_wbuf_reset(&b);
    cx_web_seats_whoami_json(s, S_IT, &b);
    assert_string_equal(b.p, "{\"role\":\"department\",\"department\":\"it\",\"classroom\":true}");
    cx_wbuf_free(&b);
}

static void test_bad_ids(void **state)
{
    (void)state;
    cx_web_seats_t s;
    char err[256];
    const char *bad[] = {"it", "a b"};
    assert_int_equal(cx_web_seats_init(&s, bad, 2, 2000, err, sizeof err), -1);
    assert_non_null(strstr(err, "a b"));
    assert_int_equal(cx_web_seats_init(&s, bad, 1, 2000, err, sizeof err), 0);
    cx_web_seats_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),         cmocka_unit_test(test_seat_own_department),
        cmocka_unit_test(test_seat_forbidden), cmocka_unit_test(test_trainer_everything),
        cmocka_unit_test(test_rate_limit),     cmocka_unit_test(test_bad_ids),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
