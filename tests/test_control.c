/*  The control socket and run keys, without a run: cx_control serves a
 *  command and answers junk with a refusal; cx_control_call times out when
 *  nobody listens; run keys are written 0600, never overwritten, loaded back,
 *  and refused when damaged or readable by others; a CURVE client without
 *  the key gets nothing from a server that has it (the key check of a
 *  stranger who knows the server's public key is in tests/integration/remote.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>
#include <zmq.h>

#include <cmocka.h>

#include "cx_agent.h"
#include "cx_control.h"
#include "cx_curve.h"
#include "cx_net.h"
#include "cx_proto.h"

static char s_dir[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/cx-test-control-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int s_calls;
static char s_last[3][256];

static int s_echo(void *user, const char *verb, const char *key, const char *value, char *reply,
                  size_t cap)
{
    (void)user;
    s_calls++;
    snprintf(s_last[0], sizeof s_last[0], "%s", verb);
    snprintf(s_last[1], sizeof s_last[1], "%s", key);
    snprintf(s_last[2], sizeof s_last[2], "%s", value);
    snprintf(reply, cap, "did %s", verb);
    return strcmp(verb, "refuse") != 0;
}

static char s_reply_text[512];

/* Sends raw bytes from a DEALER (a CURVE client when curve is on) and
 * serves until an answer arrives or wait_ms pass. Returns the REPLY's ok,
 * -1 without an answer; the reply's text goes to s_reply_text. */
static int s_exchange(void *ctx, cx_control_t *ctl, const char *ep, const cx_curve_t *curve,
                      const void *data, size_t len, int wait_ms)
{
    void *c = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(cx_curve_client(curve, c), 0);
    assert_int_equal(zmq_connect(c, ep), 0);
    assert_true(zmq_send(c, data, len, 0) >= 0);
    int got = -1;
    char buf[4096];
    cx_msg_t *m = malloc(sizeof *m);
    cx_msg_init(m);
    s_reply_text[0] = 0;
    for (int i = 0; i < wait_ms / 10 && got < 0; i++) {
        cx_control_serve(ctl, s_echo, NULL);
        zmq_pollitem_t it = {c, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 10) > 0) {
            int n = zmq_recv(c, buf, sizeof buf, 0);
            assert_true(n > 0);
            assert_int_equal(cx_msg_decode(m, buf, (size_t)n), CX_MSG_REPLY);
            got = m->ok;
            cx_str_copy(s_reply_text, sizeof s_reply_text, m->text);
        }
    }
    cx_msg_fini(m);
    free(m);
    zmq_close(c);
    return got;
}

static void test_serves_and_refuses(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    cx_control_t ctl;
    char err[256], ep[128];
    snprintf(ep, sizeof ep, "ipc://%s/ctl.sock", s_dir);
    assert_int_equal(cx_control_open(&ctl, ctx, ep, NULL, err, sizeof err), 0);
    cx_enc_t e;
    cx_enc_init(&e);

    s_calls = 0;
    assert_int_equal(cx_enc_command(&e, "status", "k", "v=1"), 0);
    assert_int_equal(s_exchange(ctx, &ctl, ep, NULL, cx_enc_data(&e), cx_enc_size(&e), 2000), 1);
    assert_int_equal(s_calls, 1);
    assert_string_equal(s_last[0], "status");
    assert_string_equal(s_last[1], "k");
    assert_string_equal(s_last[2], "v=1");
    assert_string_equal(s_reply_text, "did status");

    /* The callback's refusal travels as ok = false. */
    assert_int_equal(cx_enc_command(&e, "refuse", "", ""), 0);
    assert_int_equal(s_exchange(ctx, &ctl, ep, NULL, cx_enc_data(&e), cx_enc_size(&e), 2000), 0);

    /* Junk and other message types: refused, counted, never handed over. */
    s_calls = 0;
    int64_t dropped = ctl.dropped;
    assert_int_equal(s_exchange(ctx, &ctl, ep, NULL, "\xc1junk", 5, 2000), 0);
    assert_int_equal(cx_enc_heartbeat(&e, 3), 0);
    assert_int_equal(s_exchange(ctx, &ctl, ep, NULL, cx_enc_data(&e), cx_enc_size(&e), 2000), 0);
    assert_int_equal(s_calls, 0);
    assert_int_equal(ctl.dropped, dropped + 2);

    cx_enc_fini(&e);
    cx_control_close(&ctl);
    zmq_ctx_term(ctx);
}

/* Holds every verb but "status" while s_busy is set, as a coordinator
 * does during a tick. */
static int s_busy;

static int s_holding(void *user, const char *verb, const char *key, const char *value, char *reply,
                     size_t cap)
{
    (void)user;
    (void)key;
    (void)value;
    if (s_busy && strcmp(verb, "status") != 0) {
        return -1;
    }
    snprintf(reply, cap, "did %s", verb);
    return 1;
}

static void test_holds_until_asked_again(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    cx_control_t ctl;
    char err[256], ep[128], buf[4096];
    snprintf(ep, sizeof ep, "ipc://%s/hold.sock", s_dir);
    assert_int_equal(cx_control_open(&ctl, ctx, ep, NULL, err, sizeof err), 0);
    void *c = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(c, ep), 0);
    cx_enc_t e;
    cx_enc_init(&e);
    cx_msg_t *m = malloc(sizeof *m);
    cx_msg_init(m);
    s_busy = 1;
    assert_int_equal(cx_enc_command(&e, "pause", "", ""), 0);
    assert_true(zmq_send(c, cx_enc_data(&e), cx_enc_size(&e), 0) >= 0);
    assert_int_equal(cx_enc_command(&e, "status", "", ""), 0);
    assert_true(zmq_send(c, cx_enc_data(&e), cx_enc_size(&e), 0) >= 0);
    /* Busy: status is answered, pause is held. */
    int answered = 0;
    for (int i = 0; i < 200 && answered < 1; i++) {
        answered += cx_control_serve(&ctl, s_holding, NULL);
        usleep(5000);
    }
    assert_int_equal(answered, 1);
    assert_int_equal(ctl.n_held, 1);
    int n = zmq_recv(c, buf, sizeof buf, 0);
    assert_true(n > 0);
    assert_int_equal(cx_msg_decode(m, buf, (size_t)n), CX_MSG_REPLY);
    cx_str_copy(s_reply_text, sizeof s_reply_text, m->text);
    assert_string_equal(s_reply_text, "did status");
    zmq_pollitem_t it = {c, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&it, 1, 100), 0);
    /* Idle again: the held command is taken and answered. */
    s_busy = 0;
    assert_int_equal(cx_control_serve(&ctl, s_holding, NULL), 1);
    assert_int_equal(ctl.n_held, 0);
    n = zmq_recv(c, buf, sizeof buf, 0);
    assert_true(n > 0);
    assert_int_equal(cx_msg_decode(m, buf, (size_t)n), CX_MSG_REPLY);
    cx_str_copy(s_reply_text, sizeof s_reply_text, m->text);
    assert_string_equal(s_reply_text, "did pause");
    cx_msg_fini(m);
    free(m);
    cx_enc_fini(&e);
    zmq_close(c);
    cx_control_close(&ctl);
    zmq_ctx_term(ctx);
}

static void test_listener_rule(void **state)
{
    (void)state;
    static const char *const local[] = {
        "ipc:///tmp/x.sock", "inproc://x",       "tcp://127.0.0.1:5555", "tcp://127.1.2.3:*",
        "tcp://localhost:1", "tcp://[::1]:5555", "tcp://lo:5555"};
    static const char *const wide[] = {
        "tcp://*:5555",    "tcp://0.0.0.0:5555",  "tcp://[::]:1",     "tcp://10.0.0.1:5555",
        "tcp://eth0:5555", "tcp://example.org:1", "ws://127.0.0.1:1", "pgm://x"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        assert_true(cx_net_is_local(local[i]));
        assert_int_equal(cx_net_check_listener("--bind", local[i], false, false), 0);
    }
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        assert_false(cx_net_is_local(wide[i]));
        assert_int_equal(cx_net_check_listener("--bind", wide[i], false, false), -1);
        assert_int_equal(cx_net_check_listener("--bind", wide[i], true, false), 0);
        assert_int_equal(cx_net_check_listener("--bind", wide[i], false, true), 0);
    }
    assert_true(cx_net_is_wildcard("tcp://*:1"));
    assert_true(cx_net_is_wildcard("tcp://0.0.0.0:1"));
    assert_true(cx_net_is_wildcard("tcp://[::]:1"));
    assert_false(cx_net_is_wildcard("tcp://127.0.0.1:1"));
    assert_false(cx_net_is_wildcard("ipc:///tmp/x"));
}

static void test_slot_rid(void **state)
{
    (void)state;
    char a[CX_SLOT_RID_LEN + 1], b[CX_SLOT_RID_LEN + 1], c[CX_SLOT_RID_LEN + 1];
    cx_slot_rid("0123456789abcdef0123456789abcdef", 1, 2, a);
    cx_slot_rid("0123456789abcdef0123456789abcdef", 1, 2, b);
    assert_int_equal(strlen(a), CX_SLOT_RID_LEN);
    assert_int_equal(a[0], 's');
    assert_string_equal(a, b);
    cx_slot_rid("0123456789abcdef0123456789abcdee", 1, 2, c);
    assert_string_not_equal(a, c);
    cx_slot_rid("0123456789abcdef0123456789abcdef", 2, 1, c);
    assert_string_not_equal(a, c);
}

static void test_call_without_listener(void **state)
{
    (void)state;
    char ep[128], reply[256];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.sock", s_dir);
    assert_int_equal(cx_control_call(ep, "status", "", "", 200, reply, sizeof reply), -1);
    assert_non_null(strstr(reply, "no answer"));
}

static void test_keys(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/run.key", s_dir);
    assert_int_equal(cx_curve_keygen(path, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Never overwritten. */
    assert_int_equal(cx_curve_keygen(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "File exists"));
    cx_curve_t k;
    assert_int_equal(cx_curve_load(&k, path, err, sizeof err), 0);
    assert_true(k.on);
    assert_int_equal(strlen(k.pub), 40);

    /* Readable by others: refused. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(cx_curve_load(&k, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "readable by others"));
    assert_false(k.on);

    /* A secret that does not match the public key: refused. */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad.key", s_dir);
    FILE *fp = fopen(bad, "w");
    assert_non_null(fp);
    fprintf(fp, "public = %s\nsecret = %s\n", "0000000000000000000000000000000000000000",
            "1111111111111111111111111111111111111111");
    fclose(fp);
    assert_int_equal(chmod(bad, 0600), 0);
    assert_int_equal(cx_curve_load(&k, bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a run key"));
    snprintf(bad, sizeof bad, "%s/missing.key", s_dir);
    assert_int_equal(cx_curve_load(&k, bad, err, sizeof err), -1);

    /* The file is a CZMQ secret certificate: zcert reads the same pair. */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(cx_curve_load(&k, path, err, sizeof err), 0);
    zcert_t *cert = zcert_load(path);
    assert_non_null(cert);
    assert_string_equal(zcert_public_txt(cert), k.pub);
    assert_string_equal(zcert_secret_txt(cert), k.sec);
    zcert_destroy(&cert);

    /* Key files of the earlier format still load. */
    char old[128], pub[41], sec[41];
    snprintf(old, sizeof old, "%s/old.key", s_dir);
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    fp = fopen(old, "w");
    assert_non_null(fp);
    fprintf(fp, "# cxsim run key\npublic = %s\nsecret = %s\n", pub, sec);
    fclose(fp);
    assert_int_equal(chmod(old, 0600), 0);
    assert_int_equal(cx_curve_load(&k, old, err, sizeof err), 0);
    assert_string_equal(k.pub, pub);
}

/* A server with the key answers a client with the key, not one with another. */
static void test_curve_admits_key_holders_only(void **state)
{
    (void)state;
    char p1[128], p2[128], err[512], ep[128];
    snprintf(p1, sizeof p1, "%s/a.key", s_dir);
    snprintf(p2, sizeof p2, "%s/b.key", s_dir);
    assert_int_equal(cx_curve_keygen(p1, err, sizeof err), 0);
    assert_int_equal(cx_curve_keygen(p2, err, sizeof err), 0);
    cx_curve_t a, b;
    assert_int_equal(cx_curve_load(&a, p1, err, sizeof err), 0);
    assert_int_equal(cx_curve_load(&b, p2, err, sizeof err), 0);
    /* A plain context is refused: zauth serves CZMQ's. */
    void *plain = zmq_ctx_new();
    assert_int_equal(cx_curve_start(&a, plain, err, sizeof err), -1);
    zmq_ctx_term(plain);
    void *ctx = cx_curve_context();
    assert_non_null(ctx);
    assert_int_equal(cx_curve_start(&a, ctx, err, sizeof err), 0);
    cx_control_t ctl;
    snprintf(ep, sizeof ep, "ipc://%s/curve.sock", s_dir);
    assert_int_equal(cx_control_open(&ctl, ctx, ep, &a, err, sizeof err), 0);
    /* Clients in a context of their own, as another process would be. */
    void *cctx = zmq_ctx_new();
    cx_enc_t e;
    cx_enc_init(&e);
    assert_int_equal(cx_enc_command(&e, "status", "", ""), 0);
    assert_int_equal(s_exchange(cctx, &ctl, ep, &a, cx_enc_data(&e), cx_enc_size(&e), 3000), 1);
    assert_int_equal(s_exchange(cctx, &ctl, ep, &b, cx_enc_data(&e), cx_enc_size(&e), 500), -1);
    assert_int_equal(s_exchange(cctx, &ctl, ep, NULL, cx_enc_data(&e), cx_enc_size(&e), 500), -1);
    cx_enc_fini(&e);
    zmq_ctx_term(cctx);
    cx_control_close(&ctl);
    cx_curve_stop(&a);
    cx_curve_context_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serves_and_refuses),
        cmocka_unit_test(test_holds_until_asked_again),
        cmocka_unit_test(test_listener_rule),
        cmocka_unit_test(test_slot_rid),
        cmocka_unit_test(test_call_without_listener),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_curve_admits_key_holders_only),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
