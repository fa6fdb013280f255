/*  fuzz_scenario — the scenario loader against arbitrary bytes.
 *
 *  Input: any bytes. Lines at the very start of the form "%set KEY=VALUE"
 *  become --set overrides (at most 4), so the override code is fuzzed too;
 *  the rest is the scenario text.
 *
 *  Oracle, beyond "no crash, no leak, no undefined behaviour": whenever an
 *  input loads, its resolved YAML must load back to an equal scenario and
 *  emit the very same text (the contract the engine relies on when it sends
 *  a resolved scenario to remote agents). A failure aborts.
 *
 *  The same bytes are also a live change (cx_event_load_string) to a small
 *  fixed scenario: it is accepted exactly when no diagnostic is given, an
 *  accepted change starts at or after the next tick, and the scenario with
 *  the change inserted emits text that loads back to the same scenario (the
 *  contract that lets a live run be replayed).
 *
 *  Built with CX_LIBFUZZER it is a libFuzzer target (scripts/fuzz-scenario).
 *  Without it, main() replays every file found in the directories or files
 *  named on the command line, so ctest runs the corpus on every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_load.h"

#define S_MAX_SETS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits leading "%set K=V" lines off into sets[] (copies in setbuf).
 * Returns the offset where the scenario text starts. */
static size_t s_split_sets(const uint8_t *data, size_t size, char setbuf[S_MAX_SETS][256],
                           const char **sets, int *n_sets)
{
    size_t off = 0;
    *n_sets = 0;
    while (*n_sets < S_MAX_SETS && size - off > 5 && memcmp(data + off, "%set ", 5) == 0) {
        size_t start = off + 5;
        size_t end = start;
        while (end < size && data[end] != '\n') {
            end++;
        }
        size_t len = end - start;
        if (len > 255) {
            len = 255;
        }
        memcpy(setbuf[*n_sets], data + start, len);
        setbuf[*n_sets][len] = '\0';
        sets[*n_sets] = setbuf[*n_sets];
        (*n_sets)++;
        off = end < size ? end + 1 : end;
    }
    return off;
}

static const char s_base_text[] =
    "name: live\nseed: 1\nticks: 50\n"
    "departments:\n"
    "  - {id: customer_service, maturity: 2, staff: 2, cost_per_staff: 38000}\n"
    "  - {id: it, maturity: 3, staff: 2, cost_per_staff: 50000}\n"
    "personas:\n"
    "  - {id: member, customers: 10, journey: service}\n"
    "journeys:\n"
    "  - id: service\n"
    "    touchpoints:\n"
    "      - {id: question, owner: customer_service}\n"
    "timeline:\n"
    "  - {at: 5, event: price, value: 1.1}\n"
    "  - {at: 20, event: outage, department: it, value: 0.5, over: 3}\n";

#define S_NEXT_TICK 5

/* The input as a live change to s_base_text's scenario, before tick 5. */
static void s_live_event(const uint8_t *data, size_t size)
{
    static cx_scenario_t *base = NULL;
    static cx_scenario_t *with = NULL, *back = NULL;
    if (!base) {
        base = malloc(sizeof *base);
        with = malloc(sizeof *with);
        back = malloc(sizeof *back);
        cx_diags_t d;
        cx_diags_init(&d);
        if (!base || !with || !back ||
            cx_scenario_load_string("base", s_base_text, sizeof s_base_text - 1, NULL, 0, base,
                                    &d) != 0) {
            cx_diags_print(stderr, &d);
            abort();
        }
        cx_diags_fini(&d);
    }
    cx_event_spec_t ev;
    cx_diags_t d;
    cx_diags_init(&d);
    int rc = cx_event_load_string("live", (const char *)data, size, base, S_NEXT_TICK, &ev, &d);
    if ((rc == 0) != (d.n == 0)) {
        fprintf(stderr, "fuzz_scenario: a live change %s with %d diagnostics\n",
                rc == 0 ? "accepted" : "refused", d.n);
        abort();
    }
    cx_diags_fini(&d);
    if (rc != 0) {
        return;
    }
    if (ev.tick < S_NEXT_TICK || ev.tick >= base->ticks) {
        fprintf(stderr, "fuzz_scenario: a live change accepted for tick %d\n", ev.tick);
        abort();
    }
    *with = *base;
    if (cx_scenario_add_event(with, &ev, S_NEXT_TICK) < 0) {
        abort();
    }
    char *text = NULL;
    size_t len = 0;
    cx_diags_init(&d);
    if (cx_scenario_emit(with, &text, &len) != 0 ||
        cx_scenario_load_string("replay", text, len, NULL, 0, back, &d) != 0 ||
        !cx_scenario_equal(with, back)) {
        fprintf(stderr, "fuzz_scenario: a scenario with a live change does not replay:\n");
        cx_diags_print(stderr, &d);
        abort();
    }
    cx_diags_fini(&d);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_live_event(data, size);

    char setbuf[S_MAX_SETS][256];
    const char *sets[S_MAX_SETS];
    int n_sets = 0;
    size_t off = s_split_sets(data, size, setbuf, sets, &n_sets);

    cx_scenario_t *a = malloc(sizeof *a);
    cx_scenario_t *b = malloc(sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return 0;
    }
    cx_diags_t diags;
    cx_diags_init(&diags);
    int rc = cx_scenario_load_string("fuzz", (const char *)data + off, size - off, sets, n_sets, a,
                                     &diags);
    if (rc == 0 && diags.n != 0) {
        fprintf(stderr, "fuzz_scenario: loaded, yet %d diagnostics\n", diags.n);
        abort();
    }
    if (rc != 0 && diags.n == 0) {
        fprintf(stderr, "fuzz_scenario: failed without a diagnostic\n");
        abort();
    }
    if (rc == 0) {
        char *text1 = NULL;
        char *text2 = NULL;
        size_t len1 = 0;
        size_t len2 = 0;
        if (cx_scenario_emit(a, &text1, &len1) != 0) {
            abort();
        }
        cx_diags_t d2;
        cx_diags_init(&d2);
        if (cx_scenario_load_string("resolved", text1, len1, NULL, 0, b, &d2) != 0) {
            fprintf(stderr, "fuzz_scenario: the resolved scenario does not load:\n");
            cx_diags_print(stderr, &d2);
            fprintf(stderr, "%s", text1);
            abort();
        }
        if (!cx_scenario_equal(a, b)) {
            fprintf(stderr, "fuzz_scenario: the resolved scenario loads to a different one\n");
            abort();
        }
        if (cx_scenario_emit(b, &text2, &len2) != 0 || len1 != len2 ||
            memcmp(text1, text2, len1) != 0) {
            fprintf(stderr, "fuzz_scenario: emitting twice gives different text\n");
            abort();
        }
        cx_diags_fini(&d2);
        free(text1);
        free(text2);
    }
    cx_diags_fini(&diags);
    free(a);
    free(b);
    return 0;
}

#ifndef CX_LIBFUZZER

/* Runs one file through the harness. Returns 1 when it was a file. */
static int s_replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return 0;
    }
    size_t cap = 8u << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return 0;
    }
    size_t len = fread(buf, 1, cap, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            continue; /* an optional corpus directory that does not exist */
        }
        if (!S_ISDIR(st.st_mode)) {
            files += s_replay_file(argv[i]);
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            continue;
        }
        char **names = NULL;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.') {
                continue;
            }
            char **grown = realloc(names, (size_t)(n + 1) * sizeof *names);
            if (!grown) {
                break;
            }
            names = grown;
            size_t len = strlen(argv[i]) + strlen(de->d_name) + 2;
            names[n] = malloc(len);
            if (!names[n]) {
                break;
            }
            snprintf(names[n], len, "%s/%s", argv[i], de->d_name);
            n++;
        }
        closedir(dir);
        qsort(names, (size_t)n, sizeof *names, s_by_name);
        for (int k = 0; k < n; k++) {
            if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
                files += s_replay_file(names[k]);
            }
            free(names[k]);
        }
        free(names);
    }
    if (files == 0) {
        fprintf(stderr, "fuzz_scenario: no input files found\n");
        return 1;
    }
    printf("fuzz_scenario: %d inputs replayed\n", files);
    printf("%d passed, 0 failed\n", files);
    return 0;
}

#endif
