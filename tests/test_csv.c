/*  The project's CSV reader (config/cx_csv.c): a file by named columns,
 *  text in memory by the header's names, one line split; a last line cut
 *  short left out or refused, rows of the wrong width refused with the
 *  file and line, a callback's own message passed on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cx_csv.h"

/* What the callbacks saw: the header's width, the sum of column "b", the rows. */
typedef struct {
    int ncols;
    int b;
    long rows;
    char seen[256];
} s_seen_t;

static int s_head(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_seen_t *s = ud;
    assert_null(row->fields);
    s->ncols = row->ncols;
    s->b = cx_csv_col(row, "b");
    if (s->b < 0) {
        snprintf(err, errlen, "%s: no b", row->file);
        return -1;
    }
    return 0;
}

static int s_row(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_seen_t *s = ud;
    (void)err;
    (void)errlen;
    size_t n = strlen(s->seen);
    snprintf(s->seen + n, sizeof s->seen - n, "%ld:%s;", row->line, row->fields[s->b]);
    s->rows++;
    return 0;
}

static long s_parse(const char *text, int flags, s_seen_t *s, char *err, size_t errlen)
{
    char *t = strdup(text);
    assert_non_null(t);
    memset(s, 0, sizeof *s);
    err[0] = '\0';
    long rc = cx_csv_parse(t, "f.csv", flags, s_head, s_row, s, err, errlen);
    free(t);
    return rc;
}

static void test_parse(void **state)
{
    (void)state;
    s_seen_t s;
    char err[256];
    assert_int_equal(s_parse("a,b,c\r\n1,2,3\r\n4,,6\n", 0, &s, err, sizeof err), 2);
    assert_int_equal(s.ncols, 3);
    assert_string_equal(s.seen, "2:2;3:;");
    /* A last line still being written: left out, or an error when whole files are wanted. */
    assert_int_equal(s_parse("a,b\n1,2\n3,4", 0, &s, err, sizeof err), 1);
    assert_string_equal(s.seen, "2:2;");
    assert_int_equal(s_parse("a,b\n1,2\n3,4", CX_CSV_WHOLE, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv:3: cut short (no line end)");
    assert_int_equal(s_parse("a,b", CX_CSV_WHOLE, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv: empty file, no header");
    assert_int_equal(s_parse("a,b", 0, &s, err, sizeof err), 0);
    assert_int_equal(s_parse("", 0, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv: empty file, no header");
    assert_int_equal(s_parse("a,b\n1,2\n1,2,3\n", 0, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv:3: 3 fields, the header has 2");
    assert_int_equal(s_parse("a,b\n1\n", 0, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv:2: 1 fields, the header has 2");
    assert_int_equal(s_parse("a,c\n1,2\n", 0, &s, err, sizeof err), -1);
    assert_string_equal(err, "f.csv: no b");
}

static void test_split(void **state)
{
    (void)state;
    char line[] = "7,x,,9\r\n";
    char *f[3];
    assert_int_equal(cx_csv_split(line, f, 3), 4);
    assert_string_equal(f[0], "7");
    assert_string_equal(f[1], "x");
    assert_string_equal(f[2], "");
}

static int s_pick(void *ud, char **fields)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 64 - n, "%s/%s;", fields[0], fields[1]);
    return 0;
}

static void test_read(void **state)
{
    (void)state;
    char path[] = "/tmp/cx-test-csv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "tick,nps,csat\n0,1,2\n1,3,4\n2,5";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *cols[] = {"csat", "tick"};
    char out[64] = "", err[256];
    assert_int_equal(cx_csv_read(path, cols, 2, s_pick, out, err, sizeof err), 0);
    assert_string_equal(out, "2/0;4/1;");
    const char *bad[] = {"ces"};
    assert_int_equal(cx_csv_read(path, bad, 1, s_pick, out, err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s: no column 'ces'", path);
    assert_string_equal(err, want);
    unlink(path);
    assert_int_equal(cx_csv_read(path, cols, 2, s_pick, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
