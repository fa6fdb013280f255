/*  test_json — config/cx_json.c (string literals, numbers, compact
 *  documents, paths and values) and the web's command body parser. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_json.h"
#include "cx_web_json.h"

static void s_str_is(const char *in, size_t n, int flags, const char *want)
{
    cx_buf_t b;
    cx_buf_init(&b);
    cx_json_strn_f(&b, in, n, flags);
    assert_false(b.oom);
    assert_string_equal(cx_buf_str(&b), want);
    cx_buf_fini(&b);
}

static void test_strings(void **state)
{
    (void)state;
    s_str_is("plain", 5, 0, "\"plain\"");
    s_str_is("a\"b\\c", 5, 0, "\"a\\\"b\\\\c\"");
    s_str_is("l1\nl2\tx\r", 8, 0, "\"l1\\nl2\\tx\\r\"");
    s_str_is("\x01\x1f", 2, 0, "\"\\u0001\\u001f\"");
    s_str_is("a\0b", 3, 0, "\"a\\u0000b\"");
    s_str_is("caf\xc3\xa9", 5, 0, "\"caf\xc3\xa9\""); /* UTF-8 kept */
    s_str_is("x\xff"
             "y",
             3, 0, "\"x\xef\xbf\xbdy\""); /* a bad byte: U+FFFD */
    s_str_is("\xed\xa0\x80", 3, 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    s_str_is("</script>&", 10, 0, "\"</script>&\"");
    s_str_is("</script>&\x7f", 11, CX_JSON_HTML, "\"\\u003c/script\\u003e\\u0026\\u007f\"");
    cx_buf_t b;
    cx_buf_init(&b);
    cx_json_text(&b, NULL);
    assert_string_equal(cx_buf_str(&b), "\"\"");
    cx_buf_fini(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    const double v[] = {0.1, 3.0, -0.0, 1e300, 0.605, 1.0 / 3.0, 250000, NAN, INFINITY};
    const char *want[] = {"0.1",    "3",    "0",   "1e+300", "0.605", "0.3333333333333333",
                          "250000", "null", "null"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cx_buf_t b;
        cx_buf_init(&b);
        cx_json_num(&b, v[i]);
        assert_string_equal(cx_buf_str(&b), want[i]);
        cx_buf_fini(&b);
    }
}

static void test_dump_path_value(void **state)
{
    (void)state;
    const char *doc =
        "{\"status\": \"completed\", \"n\": 7, \"x\": 3.0, \"y\": 0.5, \"ok\": true,"
        " \"nil\": null, \"p\": {\"a\": 1, \"b\": [\"s\\n\", 2.5]}, \"arr\": [\"--m\", 4]}";
    json_t *j = json_loads(doc, 0, NULL);
    assert_non_null(j);
    char out[128];
    assert_int_equal(cx_json_value_text(cx_json_path(j, "$.status"), out, sizeof out), 1);
    assert_string_equal(out, "completed");
    assert_int_equal(cx_json_value_text(cx_json_path(j, "$.n"), out, sizeof out), 1);
    assert_string_equal(out, "7");
    cx_json_value_text(cx_json_path(j, "$.x"), out, sizeof out);
    assert_string_equal(out, "3.0"); /* as SQLite writes a REAL */
    cx_json_value_text(cx_json_path(j, "$.y"), out, sizeof out);
    assert_string_equal(out, "0.5");
    cx_json_value_text(cx_json_path(j, "$.ok"), out, sizeof out);
    assert_string_equal(out, "1");
    assert_int_equal(cx_json_value_text(cx_json_path(j, "$.nil"), out, sizeof out), 0);
    assert_int_equal(cx_json_value_text(cx_json_path(j, "$.absent"), out, sizeof out), 0);
    cx_json_value_text(cx_json_path(j, "$.p"), out, sizeof out);
    assert_string_equal(out, "{\"a\":1,\"b\":[\"s\\n\",2.5]}");
    cx_json_value_text(cx_json_path(j, "$.p.b[1]"), out, sizeof out);
    assert_string_equal(out, "2.5");
    cx_json_value_text(cx_json_path(j, "$.arr[0]"), out, sizeof out);
    assert_string_equal(out, "--m");
    assert_null(cx_json_path(j, "$.arr[2]"));
    assert_null(cx_json_path(j, "status"));
    assert_null(cx_json_path(j, "$.arr[x]"));
    json_decref(j);
}

static int s_parse(const char *body, cx_web_cmd_t *cmd, char *err, size_t cap)
{
    return cx_web_cmd_parse(body, strlen(body), cmd, err, cap);
}

static void test_command_body(void **state)
{
    (void)state;
    cx_web_cmd_t *cmd = malloc(sizeof *cmd);
    assert_non_null(cmd);
    char err[256];
    assert_int_equal(s_parse("{\"verb\": \"set\", \"value\": \"departments.it.maturity=4\", "
                             "\"over\": 30, \"cost\": 0.5, \"at\": \"12\"}",
                             cmd, err, sizeof err),
                     0);
    assert_string_equal(cmd->verb, "set");
    assert_string_equal(cmd->value, "departments.it.maturity=4");
    assert_string_equal(cmd->over, "30");
    assert_string_equal(cmd->cost, "0.5");
    assert_string_equal(cmd->at, "12");
    assert_true(cmd->has_value && cmd->has_over && cmd->has_cost && cmd->has_at);
    assert_int_equal(s_parse(" {\"verb\":\"status\"} ", cmd, err, sizeof err), 0);
    assert_false(cmd->has_value);
    static const struct {
        const char *body, *says;
    } bad[] = {
        {"garbage", "invalid JSON"},
        {"{\"verb\": \"status\"", "invalid JSON"},
        {"{\"verb\": \"status\"} x", "invalid JSON"},
        {"[\"verb\"]", "expected an object"},
        {"{\"verb\": \"status\", \"extra\": 1}", "unknown member"},
        {"{\"verb\": \"status\", \"verb\": \"stop\"}", "given twice"},
        {"{\"verb\": \"st\\u0000op\"}", "NUL"},
        {"{\"verb\": 5}", "must be a string"},
        {"{\"verb\": \"set\", \"value\": {\"a\": 1}}", "must be a string or a number"},
        {"{\"value\": \"x\"}", "'verb' is missing"},
        {"{\"verb\": \"\xff\"}", "invalid JSON"},
        {"{\"verb\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "longer than 31 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(s_parse(bad[i].body, cmd, err, sizeof err), -1);
        if (!strstr(err, bad[i].says)) {
            fail_msg("body %s: '%s' does not say '%s'", bad[i].body, err, bad[i].says);
        }
    }
    /* Nesting past Jansson's limit, and a body past the parser's own bound. */
    size_t n = 5000;
    char *deep = malloc(2 * n + 16);
    assert_non_null(deep);
    memcpy(deep, "{\"value\":", 9);
    memset(deep + 9, '[', n);
    memset(deep + 9 + n, ']', n);
    memcpy(deep + 9 + 2 * n, "}", 2);
    assert_int_equal(s_parse(deep, cmd, err, sizeof err), -1);
    free(deep);
    char *big = malloc(CX_WEB_JSON_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', CX_WEB_JSON_MAX + 1);
    big[CX_WEB_JSON_MAX + 1] = '\0';
    assert_int_equal(s_parse(big, cmd, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than"));
    free(big);
    free(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_dump_path_value),
        cmocka_unit_test(test_command_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
