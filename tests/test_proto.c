/*  Protocol codec: round trips of every message type, and frames that must
 *  be refused (truncated, garbage, wrong version, unknown type, hostile
 *  sizes) without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_proto.h"
#include "cx_records.h"

static cx_msg_t *s_msg;
static cx_enc_t s_enc;

static int s_setup(void **state)
{
    (void)state;
    s_msg = malloc(sizeof *s_msg);
    cx_msg_init(s_msg);
    cx_enc_init(&s_enc);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    cx_msg_fini(s_msg);
    free(s_msg);
    cx_enc_fini(&s_enc);
    return 0;
}

static int s_decode(void)
{
    return cx_msg_decode(s_msg, cx_enc_data(&s_enc), cx_enc_size(&s_enc));
}

/* Every strict prefix of a valid frame is refused. */
static void s_assert_prefixes_refused(void)
{
    size_t n = cx_enc_size(&s_enc);
    char *copy = malloc(n);
    memcpy(copy, cx_enc_data(&s_enc), n);
    for (size_t k = 0; k < n; k++) {
        cx_msg_t *m = malloc(sizeof *m);
        cx_msg_init(m);
        assert_true(cx_msg_decode(m, copy, k) < 0);
        cx_msg_fini(m);
        free(m);
    }
    free(copy);
}

static void test_hello(void **state)
{
    (void)state;
    assert_int_equal(cx_enc_hello(&s_enc, "persona", "bargain_hunter", 3, 4, "", 4242), 0);
    assert_int_equal(s_decode(), CX_MSG_HELLO);
    assert_true(cx_str_eq(s_msg->role, "persona"));
    assert_true(cx_str_eq(s_msg->id, "bargain_hunter"));
    assert_int_equal(s_msg->shard, 3);
    assert_int_equal(s_msg->nshards, 4);
    assert_int_equal(s_msg->pid, 4242);
    s_assert_prefixes_refused();
    /* shard must be below nshards */
    assert_int_equal(cx_enc_hello(&s_enc, "persona", "x", 4, 4, "", 1), 0);
    assert_int_equal(s_decode(), CX_PROTO_ESHAPE);
}

static void test_welcome(void **state)
{
    (void)state;
    const char *eps[] = {"ipc:///tmp/a", "tcp://h:5"};
    int32_t shards[] = {2, 1, 4};
    const char *yaml = "name: x\n";
    const uint8_t steady[5] = {1, 2, 3, 4, 5};
    assert_int_equal(cx_enc_welcome(&s_enc, "run-1", yaml, strlen(yaml), eps, 2, shards, 3, 750, 12,
                                    steady, sizeof steady),
                     0);
    assert_int_equal(s_decode(), CX_MSG_WELCOME);
    assert_true(cx_str_eq(s_msg->run, "run-1"));
    assert_int_equal(s_msg->scenario.len, strlen(yaml));
    assert_memory_equal(s_msg->scenario.ptr, yaml, strlen(yaml));
    assert_int_equal(s_msg->n_endpoints, 2);
    assert_true(cx_str_eq(s_msg->endpoints[1], "tcp://h:5"));
    assert_int_equal(s_msg->n_shards, 3);
    assert_int_equal(s_msg->shards[2], 4);
    assert_int_equal(s_msg->heartbeat_ms, 750);
    assert_int_equal(s_msg->start_tick, 12);
    assert_int_equal(s_msg->records_len, sizeof steady);
    assert_memory_equal(s_msg->records, steady, sizeof steady);
    s_assert_prefixes_refused();
}

static void test_small_messages(void **state)
{
    (void)state;
    assert_int_equal(cx_enc_ready(&s_enc), 0);
    assert_int_equal(s_decode(), CX_MSG_READY);
    assert_int_equal(cx_enc_heartbeat(&s_enc, 17), 0);
    assert_int_equal(s_decode(), CX_MSG_HEARTBEAT);
    assert_int_equal(s_msg->tick, 17);
    assert_int_equal(cx_enc_stop(&s_enc, "done"), 0);
    assert_int_equal(s_decode(), CX_MSG_STOP);
    assert_true(cx_str_eq(s_msg->text, "done"));
    assert_int_equal(cx_enc_error(&s_enc, "boom"), 0);
    assert_int_equal(s_decode(), CX_MSG_ERROR);
    assert_true(cx_str_eq(s_msg->text, "boom"));
    assert_int_equal(cx_enc_bye(&s_enc, 9), 0);
    assert_int_equal(s_decode(), CX_MSG_BYE);
    assert_int_equal(s_msg->dropped, 9);
    assert_int_equal(cx_enc_command(&s_enc, "set", "departments.it.maturity", "4"), 0);
    assert_int_equal(s_decode(), CX_MSG_COMMAND);
    assert_true(cx_str_eq(s_msg->text, "set"));
    assert_true(cx_str_eq(s_msg->key, "departments.it.maturity"));
    assert_true(cx_str_eq(s_msg->value, "4"));
    assert_int_equal(cx_enc_checkpoint(&s_enc, 30), 0);
    assert_int_equal(s_decode(), CX_MSG_CHECKPOINT);
    assert_int_equal(s_msg->tick, 30);
    const char blob[] = "\x01\x02state";
    assert_int_equal(cx_enc_snapshot(&s_enc, 30, blob, sizeof blob), 0);
    assert_int_equal(s_decode(), CX_MSG_SNAPSHOT);
    assert_int_equal(s_msg->records_len, sizeof blob);
    assert_memory_equal(s_msg->records, blob, sizeof blob);
    assert_int_equal(cx_enc_restore(&s_enc, 30, blob, sizeof blob), 0);
    assert_int_equal(s_decode(), CX_MSG_RESTORE);
    assert_int_equal(s_msg->tick, 30);
    assert_int_equal(cx_enc_reply(&s_enc, 1, "ok"), 0);
    assert_int_equal(s_decode(), CX_MSG_REPLY);
    assert_int_equal(s_msg->ok, 1);
}

static void test_tick_and_done(void **state)
{
    (void)state;
    double w[5] = {1.5, -2.25, 1e300, 0.1, 42};
    assert_int_equal(cx_enc_tick(&s_enc, 123, w, 5), 0);
    assert_int_equal(s_decode(), CX_MSG_TICK);
    assert_int_equal(s_msg->tick, 123);
    assert_int_equal(s_msg->n_words, 5);
    assert_memory_equal(s_msg->words, w, sizeof w); /* doubles travel bit-exact */
    s_assert_prefixes_refused();

    int64_t t[4] = {1, -1, INT64_MAX, INT64_MIN};
    assert_int_equal(cx_enc_tick_done(&s_enc, 5, 1, 2, t, 4, 3), 0);
    assert_int_equal(s_decode(), CX_MSG_TICK_DONE);
    assert_int_equal(s_msg->persona, 1);
    assert_int_equal(s_msg->shard, 2);
    assert_int_equal(s_msg->n_iwords, 4);
    assert_memory_equal(s_msg->iwords, t, sizeof t);
    assert_int_equal(s_msg->dropped, 3);

    assert_int_equal(cx_enc_dept_done(&s_enc, 5, 3, w, 5, 0), 0);
    assert_int_equal(s_decode(), CX_MSG_DEPT_DONE);
    assert_int_equal(s_msg->dept, 3);
    assert_memory_equal(s_msg->words, w, sizeof w);

    const char *names[2] = {"nps", "csat"};
    assert_int_equal(cx_enc_row(&s_enc, 9, names, w, 2), 0);
    assert_int_equal(s_decode(), CX_MSG_ROW);
    assert_int_equal(s_msg->n_words, 2);
    assert_true(cx_str_eq(s_msg->names[1], "csat"));
    assert_true(s_msg->words[1] == -2.25);
}

static void test_batches(void **state)
{
    (void)state;
    cx_request_t r[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        r[i].cid = CX_CID(1, 1000 + i);
        r[i].arrival = 7;
        r[i].tp = (uint8_t)i;
        r[i].from = CX_NO_DEPT;
    }
    assert_int_equal(cx_enc_requests(&s_enc, 7, 1, 0, r, 3, sizeof *r), 0);
    assert_int_equal(s_decode(), CX_MSG_REQUESTS);
    assert_int_equal(s_msg->count, 3);
    assert_int_equal(s_msg->records_len, sizeof r);
    assert_memory_equal(s_msg->records, r, sizeof r);
    s_assert_prefixes_refused();

    cx_outcome_t o[2];
    memset(o, 0, sizeof o);
    o[1].cid = 99;
    o[1].pillar[5] = 200;
    assert_int_equal(cx_enc_outcomes(&s_enc, 7, 4, o, 2, sizeof *o), 0);
    assert_int_equal(s_decode(), CX_MSG_OUTCOMES);
    assert_int_equal(s_msg->dept, 4);
    assert_memory_equal(s_msg->records, o, sizeof o);

    /* An empty batch is valid (it completes the roster). */
    assert_int_equal(cx_enc_outcomes(&s_enc, 7, 4, NULL, 0, sizeof *o), 0);
    assert_int_equal(s_decode(), CX_MSG_OUTCOMES);
    assert_int_equal(s_msg->count, 0);

    /* A count that disagrees with the payload size is refused. */
    assert_int_equal(cx_enc_outcomes(&s_enc, 7, 4, o, 2, sizeof *o - 1), 0);
    assert_int_equal(s_decode(), CX_PROTO_ESHAPE);
}

static void test_wrong_version_and_type(void **state)
{
    (void)state;
    /* [2, 9, 0] : version 2 */
    const unsigned char v2[] = {0x93, 0x02, 0x09, 0x00};
    assert_int_equal(cx_msg_decode(s_msg, v2, sizeof v2), CX_PROTO_EVERSION);
    /* [1, 99, 0] : unknown type */
    const unsigned char t99[] = {0x93, 0x01, 0x63, 0x00};
    assert_int_equal(cx_msg_decode(s_msg, t99, sizeof t99), CX_PROTO_ETYPE);
    /* [1, 9] : heartbeat without its tick */
    const unsigned char short_hb[] = {0x92, 0x01, 0x09};
    assert_int_equal(cx_msg_decode(s_msg, short_hb, sizeof short_hb), CX_PROTO_ESHAPE);
    /* [1, 9, "x"] : heartbeat with a string tick */
    const unsigned char bad_hb[] = {0x93, 0x01, 0x09, 0xa1, 'x'};
    assert_int_equal(cx_msg_decode(s_msg, bad_hb, sizeof bad_hb), CX_PROTO_ESHAPE);
    /* not an array */
    const unsigned char scalar[] = {0x05};
    assert_int_equal(cx_msg_decode(s_msg, scalar, sizeof scalar), CX_PROTO_EGARBAGE);
    /* valid frame followed by a stray byte */
    const unsigned char extra[] = {0x93, 0x01, 0x09, 0x00, 0x00};
    assert_int_equal(cx_msg_decode(s_msg, extra, sizeof extra), CX_PROTO_EGARBAGE);
    assert_int_equal(cx_msg_decode(s_msg, NULL, 0), CX_PROTO_EGARBAGE);
}

static void test_hostile_sizes(void **state)
{
    (void)state;
    /* array32 claiming 4 billion elements in a 5-byte frame */
    const unsigned char huge_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(cx_msg_decode(s_msg, huge_array, sizeof huge_array), CX_PROTO_EGARBAGE);
    /* map32 likewise, nested */
    const unsigned char huge_map[] = {0x92, 0x01, 0xdf, 0x7f, 0xff, 0xff, 0xff};
    assert_int_equal(cx_msg_decode(s_msg, huge_map, sizeof huge_map), CX_PROTO_EGARBAGE);
    /* bin32 claiming 4 GiB */
    const unsigned char huge_bin[] = {0x92, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
    assert_int_equal(cx_msg_decode(s_msg, huge_bin, sizeof huge_bin), CX_PROTO_EGARBAGE);
    /* nesting deeper than allowed */
    unsigned char deep[64];
    memset(deep, 0x91, sizeof deep);
    deep[63] = 0x00;
    assert_int_equal(cx_msg_decode(s_msg, deep, sizeof deep), CX_PROTO_EGARBAGE);
    /* the never-used byte 0xc1 */
    const unsigned char never[] = {0x92, 0x01, 0xc1};
    assert_int_equal(cx_msg_decode(s_msg, never, sizeof never), CX_PROTO_EGARBAGE);
}

static void test_garbage(void **state)
{
    (void)state;
    /* Deterministic pseudo-random frames: none may crash, few are valid. */
    uint64_t x = 88172645463325252ULL;
    unsigned char buf[512];
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = 1 + (size_t)(round % 511);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)x;
        }
        if (round % 3 == 0) {
            buf[0] = 0x94; /* plausible header */
            if (n > 1) {
                buf[1] = 0x01;
            }
        }
        accepted += cx_msg_decode(s_msg, buf, n) > 0;
    }
    assert_true(accepted < 20000 / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_welcome),
        cmocka_unit_test(test_small_messages),
        cmocka_unit_test(test_tick_and_done),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_wrong_version_and_type),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
