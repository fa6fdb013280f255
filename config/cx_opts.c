/*  cx_opts — table-driven option parsing (see cx_opts.h). */
#include "cx_opts.h"

#include <stdio.h>
#include <string.h>

#include "cx_load.h" /* cx_suggest */

#define S_MAX_NAMES 128 /* options of one table at most, for suggestions */

void cx_opts_init(cx_opts_t *p, const char *prog, const cx_opt_t *opts, int nopts, int argc,
                  char **argv)
{
    memset(p, 0, sizeof *p);
    p->prog = prog;
    p->opts = opts;
    p->nopts = nopts;
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
}

/* The name without its leading dashes: suggestions compare what differs. */
static const char *s_bare(const char *s)
{
    while (*s == '-') {
        s++;
    }
    return s;
}

bool cx_opts_suggest(const cx_opts_t *p, const char *arg, char *buf, int cap)
{
    const char *bare[S_MAX_NAMES];
    const char *full[S_MAX_NAMES];
    int n = 0;
    for (int k = 0; k < p->nopts && n < S_MAX_NAMES; k++) {
        bare[n] = s_bare(p->opts[k].name);
        full[n++] = p->opts[k].name;
    }
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(s_bare(arg), "="), s_bare(arg));
    const char *hit = cx_suggest(word, bare, n);
    if (!hit) {
        return false;
    }
    for (int k = 0; k < n; k++) {
        if (bare[k] == hit) {
            snprintf(buf, (size_t)cap, "%s", full[k]);
        }
    }
    return true;
}

int cx_opts_next(cx_opts_t *p)
{
    if (p->i >= p->argc) {
        return CX_OPTS_END;
    }
    const char *a = p->argv[p->i++];
    p->arg = a;
    p->value = NULL;
    if (a[0] != '-' || a[1] == '\0') {
        p->value = a;
        return CX_OPTS_POSITIONAL;
    }
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    for (int k = 0; k < p->nopts; k++) {
        const cx_opt_t *o = &p->opts[k];
        bool hit = (strlen(o->name) == len && strncmp(o->name, a, len) == 0) ||
                   (o->alias && strlen(o->alias) == len && strncmp(o->alias, a, len) == 0);
        if (!hit) {
            continue;
        }
        if (!o->value) {
            if (eq) {
                fprintf(stderr, "%s: %s takes no value\n", p->prog, o->name);
                return CX_OPTS_ERROR;
            }
            return o->id;
        }
        if (eq) {
            p->value = eq + 1;
        } else if (p->i < p->argc) {
            p->value = p->argv[p->i++];
        } else {
            fprintf(stderr, "%s: %s expects a value\n", p->prog, o->name);
            return CX_OPTS_ERROR;
        }
        return o->id;
    }
    char near[128];
    if (cx_opts_suggest(p, a, near, sizeof near)) {
        fprintf(stderr, "%s: unknown option '%.*s' (did you mean '%s'?)\n", p->prog, (int)len, a,
                near);
    } else {
        fprintf(stderr, "%s: unknown option '%.*s'\n", p->prog, (int)len, a);
    }
    return CX_OPTS_ERROR;
}

int cx_opts_command(const char *prog, const char *word, const char *const *names, int n)
{
    for (int k = 0; k < n; k++) {
        if (strcmp(names[k], word) == 0) {
            return k;
        }
    }
    const char *hit = cx_suggest(word, names, n);
    if (hit) {
        fprintf(stderr, "%s: unknown command '%s' (did you mean '%s'?)\n", prog, word, hit);
    } else {
        fprintf(stderr, "%s: unknown command '%s'\n", prog, word);
    }
    return -1;
}
