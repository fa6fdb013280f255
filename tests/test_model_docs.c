/*  test_model_docs — docs/MODEL.md lists every model parameter with the
 *  default, range and unit the code uses, and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_params.h"

#ifndef CX_SOURCE_DIR
#error "CX_SOURCE_DIR must name the source tree"
#endif

/* Splits a table row "| a | b | ... |" into trimmed cells; returns the count. */
static int s_cells(char *line, char **cell, int max)
{
    int n = 0;
    char *p = strchr(line, '|');
    while (p && n < max) {
        char *q = strchr(p + 1, '|');
        if (!q) {
            break;
        }
        *q = '\0';
        char *a = p + 1;
        while (*a == ' ') {
            a++;
        }
        char *b = q - 1;
        while (b > a && *b == ' ') {
            *b-- = '\0';
        }
        cell[n++] = a;
        p = q;
    }
    return n;
}

static void test_parameter_table(void **state)
{
    (void)state;
    FILE *f = fopen(CX_SOURCE_DIR "/docs/MODEL.md", "r");
    assert_non_null(f);
    int count;
    const cx_param_info_t *t = cx_params_table(&count);
    int *seen = calloc((size_t)count, sizeof(int));
    assert_non_null(seen);
    char line[2048];
    int rows = 0;
    int in_table = 0;
    while (fgets(line, sizeof line, f)) {
        /* Only the section "## Parameters" holds the table. */
        if (strncmp(line, "## ", 3) == 0) {
            in_table = strncmp(line, "## Parameters", 13) == 0;
        }
        if (!in_table || strncmp(line, "| `", 3) != 0) {
            continue;
        }
        char *cell[8];
        int n = s_cells(line, cell, 8);
        assert_int_equal(n, 6);
        char name[128];
        assert_int_equal(sscanf(cell[0], "`%127[a-z_0-9]`", name), 1);
        int k = -1;
        for (int i = 0; i < count; i++) {
            if (strcmp(t[i].name, name) == 0) {
                k = i;
            }
        }
        if (k < 0) {
            fail_msg("docs/MODEL.md lists `%s`, which the code does not have", name);
        }
        seen[k]++;
        double def = strtod(cell[1], NULL);
        double lo;
        double hi;
        assert_int_equal(sscanf(cell[2], "%lf .. %lf", &lo, &hi), 2);
        if (def != t[k].def || lo != t[k].lo || hi != t[k].hi || strcmp(cell[3], t[k].unit) != 0) {
            fail_msg("`%s`: docs say %g, %g .. %g, %s; the code %g, %g .. %g, %s", name, def, lo,
                     hi, cell[3], t[k].def, t[k].lo, t[k].hi, t[k].unit);
        }
        assert_true(strlen(cell[5]) > 0);
        rows++;
    }
    fclose(f);
    for (int i = 0; i < count; i++) {
        if (seen[i] != 1) {
            fail_msg("`%s` appears %d times in docs/MODEL.md", t[i].name, seen[i]);
        }
    }
    assert_int_equal(rows, count);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
