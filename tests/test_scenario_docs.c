/*  test_scenario_docs — docs/SCENARIOS.md says what the loader does.
 *
 *  Every fenced block of docs/SCENARIOS.md tagged as YAML goes through the
 *  loader, by its info string:
 *    ```yaml            a complete scenario: must load, and round-trip
 *    ```yaml fragment   a part of one: may miss sections or ids defined
 *                       elsewhere, but must hold no unknown key, no wrong
 *                       syntax and no value of the wrong type or range
 *    ```yaml error      must fail; the ```text block right after it is
 *                       the exact output (file name example.yaml)
 *  Also: every key the loader accepts has a row in a reference table, and
 *  the table of kind defaults matches cx_dept_spec_defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cx_load.h"

#define S_DOC CX_SOURCE_DIR "/docs/SCENARIOS.md"
#define S_MAX_BLOCKS 128

typedef struct {
    char info[32]; /* what follows ``` on the opening line */
    char *text;    /* the block's content */
    size_t len;    /* its length */
    int line;      /* line of the opening fence in the document */
} s_block_t;

static char *s_doc;
static s_block_t s_blocks[S_MAX_BLOCKS];
static int s_n_blocks;

static int s_setup(void **state)
{
    (void)state;
    FILE *fp = fopen(S_DOC, "rb");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", S_DOC);
        return -1;
    }
    s_doc = malloc(1 << 20);
    size_t len = fread(s_doc, 1, (1 << 20) - 1, fp);
    s_doc[len] = '\0';
    fclose(fp);

    /* Fenced blocks: a line starting with ``` opens one, the next such line
     * closes it. */
    char *p = s_doc;
    int line = 1;
    s_block_t *open = NULL;
    while (*p) {
        char *eol = strchr(p, '\n');
        if (!eol) {
            eol = p + strlen(p);
        }
        if (strncmp(p, "```", 3) == 0) {
            if (open) {
                open->len = (size_t)(p - open->text);
                open = NULL;
            } else if (s_n_blocks < S_MAX_BLOCKS) {
                open = &s_blocks[s_n_blocks++];
                size_t il = (size_t)(eol - p - 3);
                snprintf(open->info, sizeof open->info, "%.*s", (int)(il < 31 ? il : 31), p + 3);
                open->text = *eol ? eol + 1 : eol;
                open->line = line;
            }
        }
        if (!*eol) {
            break;
        }
        p = eol + 1;
        line++;
    }
    return open ? -1 : 0;
}

static int s_teardown(void **state)
{
    (void)state;
    free(s_doc);
    return 0;
}

static void s_print_block(const s_block_t *b, const cx_diags_t *d)
{
    print_error("docs/SCENARIOS.md:%d: ```%s block:\n%.*s", b->line, b->info, (int)b->len, b->text);
    cx_diags_print(stderr, d);
}

static void test_full_examples_load(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    cx_scenario_t *back = malloc(sizeof *back);
    assert_non_null(sc);
    assert_non_null(back);
    int full = 0;
    for (int i = 0; i < s_n_blocks; i++) {
        const s_block_t *b = &s_blocks[i];
        if (strcmp(b->info, "yaml") != 0) {
            continue;
        }
        full++;
        cx_diags_t d;
        cx_diags_init(&d);
        if (cx_scenario_load_string("example.yaml", b->text, b->len, NULL, 0, sc, &d) != 0) {
            s_print_block(b, &d);
            fail();
        }
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(cx_scenario_emit(sc, &text, &len), 0);
        assert_int_equal(cx_scenario_load_string("resolved", text, len, NULL, 0, back, &d), 0);
        assert_true(cx_scenario_equal(sc, back));
        free(text);
        cx_diags_fini(&d);
    }
    assert_true(full >= 2);
    free(sc);
    free(back);
}

static void test_fragments_are_well_formed(void **state)
{
    (void)state;
    /* What a fragment may not show: errors in the fragment itself. */
    static const char *const bad[] = {
        "unknown key",         "invalid YAML",    "not readable",           "expected a number",
        "expected an integer", "expected one of", "expected true or false", "duplicate key",
        "does not take"};
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    int fragments = 0;
    for (int i = 0; i < s_n_blocks; i++) {
        const s_block_t *b = &s_blocks[i];
        if (strcmp(b->info, "yaml fragment") != 0) {
            continue;
        }
        fragments++;
        cx_diags_t d;
        cx_diags_init(&d);
        cx_scenario_load_string("example.yaml", b->text, b->len, NULL, 0, sc, &d);
        for (int k = 0; k < d.n; k++) {
            for (size_t m = 0; m < sizeof bad / sizeof bad[0]; m++) {
                if (strstr(d.items[k].message, bad[m])) {
                    s_print_block(b, &d);
                    fail();
                }
            }
        }
        cx_diags_fini(&d);
    }
    assert_true(fragments >= 1);
    free(sc);
}

static void test_error_examples_match(void **state)
{
    (void)state;
    cx_scenario_t *sc = malloc(sizeof *sc);
    assert_non_null(sc);
    int errors = 0;
    for (int i = 0; i < s_n_blocks; i++) {
        const s_block_t *b = &s_blocks[i];
        if (strcmp(b->info, "yaml error") != 0) {
            continue;
        }
        errors++;
        if (i + 1 >= s_n_blocks || strcmp(s_blocks[i + 1].info, "text") != 0) {
            fail_msg("docs/SCENARIOS.md:%d: a ```yaml error block must be followed by a ```text "
                     "block with the output",
                     b->line);
        }
        cx_diags_t d;
        cx_diags_init(&d);
        assert_int_equal(cx_scenario_load_string("example.yaml", b->text, b->len, NULL, 0, sc, &d),
                         -1);
        char out[8192] = "";
        size_t o = 0;
        for (int k = 0; k < d.n && o < sizeof out - 1024; k++) {
            o += (size_t)cx_diag_format(&d.items[k], out + o, sizeof out - o);
            out[o++] = '\n';
            out[o] = '\0';
        }
        const s_block_t *t = &s_blocks[i + 1];
        if (t->len != o || memcmp(t->text, out, o) != 0) {
            print_error("docs/SCENARIOS.md:%d: the documented output differs; the loader "
                        "prints:\n%s",
                        t->line, out);
            fail();
        }
        cx_diags_fini(&d);
    }
    assert_true(errors >= 1);
    free(sc);
}

static void test_every_key_documented(void **state)
{
    (void)state;
    int n = 0;
    const char *const *keys = cx_scenario_keys(&n);
    assert_true(n > 40);
    for (int i = 0; i < n; i++) {
        const char *leaf = strrchr(keys[i], '.');
        leaf = leaf ? leaf + 1 : keys[i];
        if (strchr(leaf, '<')) {
            continue; /* model.<parameter>: the table is in docs/MODEL.md */
        }
        char row[80];
        snprintf(row, sizeof row, "| `%s` |", leaf);
        if (!strstr(s_doc, row)) {
            fail_msg("docs/SCENARIOS.md has no table row for %s (expected a line starting %s)",
                     keys[i], row);
        }
    }
}

static void test_kind_defaults_documented(void **state)
{
    (void)state;
    /* Rows "| `KIND` | RATE |" of the kind table. */
    for (int k = 0; k < CX_DEPT_KIND_COUNT; k++) {
        cx_dept_spec_t d;
        memset(&d, 0, sizeof d);
        d.kind = (cx_dept_kind_t)k;
        cx_dept_spec_defaults(&d);
        char row[80];
        snprintf(row, sizeof row, "| `%s` | %g |", cx_dept_kind_name((cx_dept_kind_t)k),
                 d.service_rate);
        if (!strstr(s_doc, row)) {
            fail_msg("docs/SCENARIOS.md: expected the kind table row '%s'", row);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_examples_load),
        cmocka_unit_test(test_fragments_are_well_formed),
        cmocka_unit_test(test_error_examples_match),
        cmocka_unit_test(test_every_key_documented),
        cmocka_unit_test(test_kind_defaults_documented),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
