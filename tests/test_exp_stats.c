/*  Experiments: Student t quantiles against published table values, the
 *  confidence interval of a mean, and SHA-256 test vectors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_exp_sha256.h"
#include "cx_exp_stats.h"
#include "cx_exp_summary.h"

static void s_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "got %.12g, want %.12g (tolerance %g)\n", got, want, tol);
    }
    assert_true(fabs(got - want) <= tol);
}

static void test_t_quantiles(void **state)
{
    (void)state;
    /* Two-sided 95% critical values t(0.975, df) (e.g. NIST/SEMATECH
     * e-Handbook, table 1.3.6.7.2, more digits from R's qt). */
    static const struct {
        double df, t;
    } tab[] = {{1, 12.7062047362},   {2, 4.30265272975},   {3, 3.18244630528},  {4, 2.77644510520},
               {5, 2.57058183661},   {6, 2.44691185114},   {9, 2.26215716280},  {10, 2.22813885196},
               {19, 2.09302405441},  {29, 2.04522964213},  {30, 2.04227245630}, {49, 2.00957524170},
               {100, 1.98397151852}, {1000, 1.96233908082}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        s_close(cx_exp_t_quantile(0.975, tab[i].df), tab[i].t, 1e-8);
    }
    /* Other levels, the normal limit, symmetry. */
    s_close(cx_exp_t_quantile(0.995, 10), 3.16927267262, 1e-8);
    s_close(cx_exp_t_quantile(0.95, 4), 2.13184678632, 1e-8);
    s_close(cx_exp_t_quantile(0.975, 1e7), 1.95996398454, 1e-6);
    s_close(cx_exp_t_quantile(0.025, 4), -2.77644510520, 1e-8);
    assert_true(cx_exp_t_quantile(0.5, 3) == 0.0);
    /* Non-integer degrees of freedom (Welch) lie between their neighbours. */
    double t45 = cx_exp_t_quantile(0.975, 4.5);
    assert_true(t45 < 2.77644510520 && t45 > 2.57058183661);
    /* Out of range. */
    assert_true(isnan(cx_exp_t_quantile(0.0, 3)));
    assert_true(isnan(cx_exp_t_quantile(1.0, 3)));
    assert_true(isnan(cx_exp_t_quantile(0.975, 0)));
    assert_true(isnan(cx_exp_t_quantile(0.975, -1)));
}

static void test_t_cdf(void **state)
{
    (void)state;
    s_close(cx_exp_t_cdf(0, 5), 0.5, 1e-15);
    s_close(cx_exp_t_cdf(2.57058183661, 5), 0.975, 1e-10);
    s_close(cx_exp_t_cdf(-2.57058183661, 5), 0.025, 1e-10);
    /* df = 1 is Cauchy: F(t) = 1/2 + atan(t)/pi. */
    for (double t = -20; t <= 20; t += 0.7) {
        s_close(cx_exp_t_cdf(t, 1), 0.5 + atan(t) / M_PI, 1e-12);
    }
    /* df = 2 has a closed form: F(t) = 1/2 + t / (2 sqrt(2 + t^2)). */
    for (double t = -10; t <= 10; t += 0.3) {
        s_close(cx_exp_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)), 1e-12);
    }
}

static void test_ci(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 5};
    cx_exp_ci_t ci;
    cx_exp_ci(x, 5, 0.95, &ci);
    assert_int_equal(ci.n, 5);
    s_close(ci.mean, 3.0, 1e-15);
    s_close(ci.sd, sqrt(2.5), 1e-15);
    s_close(ci.half, 2.77644510520 * sqrt(2.5) / sqrt(5.0), 1e-9);
    s_close(ci.lo, ci.mean - ci.half, 1e-15);
    s_close(ci.hi, ci.mean + ci.half, 1e-15);

    /* Large values with a small spread keep their precision. */
    double big[] = {1e12 + 1, 1e12 + 2, 1e12 + 3};
    cx_exp_ci(big, 3, 0.95, &ci);
    s_close(ci.sd, 1.0, 1e-6);
    s_close(ci.half, 4.30265272975 / sqrt(3.0), 1e-6);

    /* Identical values: zero width. */
    double same[] = {7, 7, 7, 7};
    cx_exp_ci(same, 4, 0.95, &ci);
    assert_true(ci.half == 0.0 && ci.mean == 7.0);

    /* One value: a mean, no interval. */
    cx_exp_ci(x, 1, 0.95, &ci);
    assert_true(ci.mean == 1.0);
    assert_true(isnan(ci.sd) && isnan(ci.half) && isnan(ci.lo) && isnan(ci.hi));
    /* None. */
    cx_exp_ci(NULL, 0, 0.95, &ci);
    assert_int_equal(ci.n, 0);
    assert_true(isnan(ci.mean));
    /* A NaN poisons everything rather than passing for a number. */
    double bad[] = {1, NAN, 3};
    cx_exp_ci(bad, 3, 0.95, &ci);
    assert_true(isnan(ci.mean) && isnan(ci.half));
}

static void test_fmt_ci(void **state)
{
    (void)state;
    char b[64];
    cx_exp_fmt_ci(b, sizeof b, 12.345, 1.234);
    assert_string_equal(b, "12.3 ± 1.2");
    cx_exp_fmt_ci(b, sizeof b, 2481.6, 8.64);
    assert_string_equal(b, "2481.6 ± 8.6");
    cx_exp_fmt_ci(b, sizeof b, 34739.2, 1203.7);
    assert_string_equal(b, "34739 ± 1204");
    cx_exp_fmt_ci(b, sizeof b, 0.0644, 0.0571);
    assert_string_equal(b, "0.064 ± 0.057");
    cx_exp_fmt_ci(b, sizeof b, 5.0, NAN);
    assert_string_equal(b, "5.00");
}

static void s_sha(const char *data, size_t len, const char *want)
{
    char hex[CX_SHA256_HEX];
    cx_exp_sha256_hex(data, len, hex);
    assert_string_equal(hex, want);
}

static void test_sha256(void **state)
{
    (void)state;
    /* FIPS 180-4 examples and the usual extra vectors. */
    s_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    s_sha(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    s_sha(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Fed in odd pieces, the same digest. */
    cx_sha256_t s;
    cx_sha256_init(&s);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1) {
        size_t n = off + step > 1000000 ? 1000000 - off : step;
        cx_sha256_update(&s, million + off, n);
    }
    char hex[CX_SHA256_HEX];
    cx_sha256_final_hex(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t_quantiles), cmocka_unit_test(test_t_cdf),
        cmocka_unit_test(test_ci),          cmocka_unit_test(test_fmt_ci),
        cmocka_unit_test(test_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
