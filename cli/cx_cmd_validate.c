/*  cx_cmd_validate — `cxsim validate FILE... [--set KEY=VALUE]... [--resolved]`
 *
 *  Loads each file through the same loader the run uses, after the same
 *  overrides, so "validate says ok" means "run will accept it".
 */
#include "cx_cmd_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_load.h"
#include "cx_opts.h"

#define S_EXIT_OK 0
#define S_EXIT_FAILED 1
#define S_EXIT_INVALID 2

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim validate FILE... [--set KEY=VALUE]... [--resolved]\n"
            "\n"
            "Checks scenario files and reports every problem at once, each as\n"
            "FILE:LINE:COLUMN: error: KEY.PATH: what was expected, what was found.\n"
            "\n"
            "  --set KEY=VALUE  override a value before checking (repeatable), with a\n"
            "                   dotted key that mirrors the file, e.g.\n"
            "                   --set departments.it.maturity=4 --set company.cx_owner=cx_team\n"
            "  --resolved       print the resolved scenario (every default explicit) as YAML\n"
            "                   on stdout; the ok line then goes to stderr (one FILE only)\n"
            "  -h, --help       show this help\n"
            "\n"
            "Exit status: 0 every file is valid, 2 invalid input (1 out of memory).\n"
            "The format is described in docs/SCENARIOS.md.\n");
}

static const char *s_plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cx_cmd_validate(int argc, char **argv)
{
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    cx_scenario_t *sc = malloc(sizeof *sc);
    int n_files = 0;
    int n_sets = 0;
    int resolved = 0;
    int rc = S_EXIT_OK;
    if (!files || !sets || !sc) {
        fprintf(stderr, "cxsim validate: out of memory\n");
        rc = S_EXIT_FAILED;
        goto done;
    }
    enum { O_HELP, O_SET, O_RESOLVED };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP},
        {"--set", NULL, true, O_SET},
        {"--resolved", NULL, false, O_RESOLVED},
    };
    cx_opts_t op;
    cx_opts_init(&op, "cxsim validate", opts, 3, argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        if (id == O_HELP) {
            s_usage(stdout);
            goto done;
        } else if (id == O_SET) {
            sets[n_sets++] = op.value;
        } else if (id == O_RESOLVED) {
            resolved = 1;
        } else if (id == CX_OPTS_ERROR) {
            fprintf(stderr, "see cxsim validate --help\n");
            rc = S_EXIT_INVALID;
            goto done;
        } else {
            files[n_files++] = op.value;
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "cxsim validate: expected a scenario FILE (see cxsim validate --help)\n");
        rc = S_EXIT_INVALID;
        goto done;
    }
    if (resolved && n_files > 1) {
        fprintf(stderr, "cxsim validate: --resolved takes one FILE, found %d\n", n_files);
        rc = S_EXIT_INVALID;
        goto done;
    }
    for (int f = 0; f < n_files; f++) {
        cx_diags_t diags;
        cx_diags_init(&diags);
        if (cx_scenario_load_file(files[f], sets, n_sets, sc, &diags) != 0) {
            cx_diags_print(stderr, &diags);
            fprintf(stderr, "%s: invalid (%d %s)\n", files[f], diags.n,
                    s_plural(diags.n, "error", "errors"));
            rc = S_EXIT_INVALID;
        } else {
            FILE *out = resolved ? stderr : stdout;
            fprintf(out, "%s: ok (%d %s, %d %s, %d %s, %d %s, %d %s)\n", files[f], sc->n_dept,
                    s_plural(sc->n_dept, "department", "departments"), sc->n_persona,
                    s_plural(sc->n_persona, "persona", "personas"), sc->n_journey,
                    s_plural(sc->n_journey, "journey", "journeys"), sc->n_event,
                    s_plural(sc->n_event, "event", "events"), sc->ticks,
                    s_plural(sc->ticks, "tick", "ticks"));
            if (resolved) {
                char *text = NULL;
                size_t len = 0;
                if (cx_scenario_emit(sc, &text, &len) != 0) {
                    fprintf(stderr, "cxsim validate: out of memory\n");
                    rc = S_EXIT_FAILED;
                } else {
                    fwrite(text, 1, len, stdout);
                    free(text);
                }
            }
        }
        cx_diags_fini(&diags);
    }
    fflush(stdout);
done:
    free(files);
    free(sets);
    free(sc);
    return rc;
}
