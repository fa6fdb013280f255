/*  fuzz_web_cmd — cxsim-web's parser of POST /api/command bodies
 *  (cx_web_cmd_parse over Jansson) against arbitrary bytes: the one JSON
 *  reader that takes input from the network.
 *
 *  Oracle, beyond "no crash, no leak, no undefined behaviour" (ASan/UBSan):
 *    - the result is 0 or -1, and -1 comes with a message;
 *    - parsing is deterministic (twice, from two copies: same result, same
 *      fields);
 *    - every field of an accepted body is NUL-terminated inside its array;
 *    - an accepted body written back as JSON (cx_json_strn_f) parses again
 *      to the same fields.
 *
 *  Built with CX_LIBFUZZER it is a libFuzzer target (scripts/fuzz). Without
 *  it, main() replays the files and directories named on the command line
 *  (tests/fuzz/corpus_web: seeds and every crash ever found), each file
 *  also truncated at every length, so each ctest run does a small
 *  deterministic pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_json.h"
#include "cx_web_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_web_cmd: %s: ", #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int s_same(const cx_web_cmd_t *a, const cx_web_cmd_t *b)
{
    return strcmp(a->verb, b->verb) == 0 && strcmp(a->value, b->value) == 0 &&
           strcmp(a->over, b->over) == 0 && strcmp(a->cost, b->cost) == 0 &&
           strcmp(a->at, b->at) == 0 && a->has_value == b->has_value &&
           a->has_over == b->has_over && a->has_cost == b->has_cost && a->has_at == b->has_at;
}

/* The fields written back as a JSON body. */
static void s_write(cx_buf_t *b, const cx_web_cmd_t *c)
{
    const char *name[] = {"verb", "value", "over", "cost", "at"};
    const char *text[] = {c->verb, c->value, c->over, c->cost, c->at};
    int has[] = {1, c->has_value, c->has_over, c->has_cost, c->has_at};
    cx_buf_add(b, "{", 1);
    for (int i = 0, n = 0; i < 5; i++) {
        if (has[i]) {
            cx_buf_printf(b, "%s\"%s\":", n++ ? "," : "", name[i]);
            cx_json_strn_f(b, text[i], strlen(text[i]), 0);
        }
    }
    cx_buf_add(b, "}", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = malloc(size + 1), *b = malloc(size + 1);
    cx_web_cmd_t *c1 = malloc(sizeof *c1), *c2 = malloc(sizeof *c2);
    S_CHECK(a && b && c1 && c2, "out of memory");
    memcpy(a, data, size);
    memcpy(b, data, size);
    char e1[512] = "", e2[512] = "";
    int r1 = cx_web_cmd_parse(a, size, c1, e1, sizeof e1);
    int r2 = cx_web_cmd_parse(b, size, c2, e2, sizeof e2);
    S_CHECK(r1 == 0 || r1 == -1, "result %d", r1);
    S_CHECK(r1 == r2 && strcmp(e1, e2) == 0, "two parses differ: %d '%s' / %d '%s'", r1, e1, r2,
            e2);
    if (r1 != 0) {
        S_CHECK(e1[0] != '\0', "refused without a message");
    } else {
        S_CHECK(s_same(c1, c2), "two parses give different fields");
        S_CHECK(memchr(c1->verb, 0, sizeof c1->verb) && memchr(c1->value, 0, sizeof c1->value) &&
                    memchr(c1->over, 0, sizeof c1->over) && memchr(c1->cost, 0, sizeof c1->cost) &&
                    memchr(c1->at, 0, sizeof c1->at),
                "a field without its NUL");
        cx_buf_t w;
        cx_buf_init(&w);
        s_write(&w, c1);
        S_CHECK(!w.oom, "out of memory");
        int r3 = cx_web_cmd_parse(cx_buf_str(&w), w.n, c2, e2, sizeof e2);
        S_CHECK(r3 == 0 && s_same(c1, c2), "written back as %s, read back differently (%s)",
                cx_buf_str(&w), e2);
        cx_buf_fini(&w);
    }
    free(a);
    free(b);
    free(c1);
    free(c2);
    return 0;
}

#ifndef CX_LIBFUZZER

static long s_runs;

static int s_replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return 0;
    }
    uint8_t buf[70000];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    for (size_t len = 0; len <= n; len++) { /* every prefix, the whole file last */
        LLVMFuzzerTestOneInput(buf, len);
        s_runs++;
    }
    return 1;
}

static int s_replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        files += s_replay_file(p);
    }
    closedir(d);
    return files;
}

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_web_cmd: %s: no such file or directory\n", argv[i]);
            return 1;
        }
        files += S_ISDIR(st.st_mode) ? s_replay_dir(argv[i]) : s_replay_file(argv[i]);
    }
    if (files == 0) {
        fprintf(stderr, "usage: fuzz_web_cmd_replay FILE|DIR...\n"
                        "fuzz_web_cmd: no input files found\n");
        return 1;
    }
    printf("fuzz_web_cmd: %d inputs replayed, %ld runs with their prefixes, no failure\n", files,
           s_runs);
    return 0;
}

#endif
