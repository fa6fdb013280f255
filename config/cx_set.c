/*  cx_set — `--set key.path=value` overrides, applied to the YAML tree
 *  before validation so that an override is checked exactly like the file.
 *
 *  Why on the tree and not on cx_scenario_t: the tree has the same shape as
 *  the file, so the dotted key mirrors what the user reads in the file, a
 *  missing key can simply be created and then reported by the validator as
 *  an unknown key with a suggestion, and every cross-reference check sees the
 *  overridden value.
 */
#include "cx_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_STEPS 16 /* segments in one key path */

typedef struct {
    const char *text; /* segment text (not NUL-terminated) */
    size_t len;       /* its length */
    bool index;       /* written as [N] */
    size_t end;       /* offset in the key just past this segment */
} s_step_t;

/* Parses the key into steps. Returns the number of steps, or -1 with *why
 * set. */
static int s_steps(const char *key, size_t klen, s_step_t *steps, const char **why)
{
    int n = 0;
    size_t i = 0;
    while (i < klen) {
        if (n == S_MAX_STEPS) {
            *why = "too many segments";
            return -1;
        }
        if (key[i] == '[') {
            size_t j = i + 1;
            while (j < klen && isdigit((unsigned char)key[j])) {
                j++;
            }
            if (j == i + 1 || j >= klen || key[j] != ']' || j - i - 1 > 6) {
                *why = "expected [N] with N a number";
                return -1;
            }
            steps[n++] = (s_step_t){key + i + 1, j - i - 1, true, j + 1};
            i = j + 1;
            if (i < klen && key[i] == '.') {
                i++;
                if (i == klen) {
                    *why = "ends with '.'";
                    return -1;
                }
            }
            continue;
        }
        size_t j = i;
        while (j < klen && key[j] != '.' && key[j] != '[') {
            j++;
        }
        if (j == i) {
            *why = "has an empty segment";
            return -1;
        }
        steps[n++] = (s_step_t){key + i, j - i, false, j};
        i = j;
        if (i < klen && key[i] == '.') {
            i++;
            if (i == klen) {
                *why = "ends with '.'";
                return -1;
            }
        }
    }
    if (n == 0) {
        *why = "is empty";
        return -1;
    }
    return n;
}

static bool s_is(const cx_node_t *n, const char *text, size_t len)
{
    return n && n->type == CX_NODE_SCALAR && n->len == len && memcmp(n->text, text, len) == 0;
}

/* Index of the item of `seq` picked by `st` (by id, or by number), or -1. */
static int s_pick(const cx_node_t *seq, const s_step_t *st)
{
    if (!st->index) {
        for (int i = 0; i < seq->n; i++) {
            if (s_is(cx_node_get(seq->kids[i], "id"), st->text, st->len)) {
                return i;
            }
        }
    }
    bool digits = st->len > 0 && st->len <= 6;
    for (size_t k = 0; k < st->len && digits; k++) {
        digits = isdigit((unsigned char)st->text[k]) != 0;
    }
    if (!digits) {
        return -1;
    }
    int idx = atoi(st->text);
    return idx < seq->n ? idx : -1;
}

/* No item of the list cur answers step st: says which ids and indexes
 * would (where: the key before this step). */
static void s_no_item(cx_diags_t *diags, const cx_node_t *cur, const s_step_t *st,
                      const char *where, const char *note)
{
    /* List the ids the user could have meant. */
    const char *ids[64];
    char idbuf[64][40];
    int n_ids = 0;
    char list[300] = "";
    size_t used = 0;
    for (int i = 0; i < cur->n && n_ids < 64; i++) {
        const cx_node_t *id = cx_node_get(cur->kids[i], "id");
        if (id && id->type == CX_NODE_SCALAR && id->len < sizeof idbuf[0]) {
            memcpy(idbuf[n_ids], id->text, id->len + 1);
            ids[n_ids] = idbuf[n_ids];
            if (used + id->len + 3 < sizeof list) {
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         n_ids ? ", " : "", idbuf[n_ids]);
            }
            n_ids++;
        }
    }
    char word[40];
    snprintf(word, sizeof word, "%.*s", (int)(st->len > 39 ? 39 : st->len), st->text);
    const char *hint = st->index ? NULL : cx_suggest(word, ids, n_ids);
    char mean[80] = "";
    if (hint) {
        snprintf(mean, sizeof mean, "; did you mean '%s'?", hint);
    }
    if (n_ids) {
        cx_diags_add(diags, "--set", 0, 0, where,
                     "expected the id of an item of %s (%s) or an index below %d, "
                     "found '%.*s'%s%s",
                     where, list, cur->n, (int)(st->len > 60 ? 60 : st->len), st->text,
                     mean, note);
    } else {
        cx_diags_add(diags, "--set", 0, 0, where,
                     "expected an index below %d, found '%.*s'%s", cur->n,
                     (int)(st->len > 60 ? 60 : st->len), st->text, note);
    }
}

/* What a step of the key walks with. */
typedef struct {
    cx_doc_t *doc;     /* the document */
    int origin;        /* the origin of new nodes */
    cx_diags_t *diags; /* where problems go */
    cx_node_t *vnode;  /* the value set */
    const char *set;   /* the KEY=VALUE text */
    const char *note;  /* " (from --set KEY=VALUE)" */
} s_walk_t;

/* One step st into the mapping cur (the last step when last): -1 an error
 * (added), 0 the value is set, 1 go on from *curp. */
static int s_map_step(const s_walk_t *w, cx_node_t *cur, const s_step_t *st, bool last,
                      const char *where, cx_node_t **curp)
{
    cx_doc_t *doc = w->doc;
    cx_diags_t *diags = w->diags;
    cx_node_t *vnode = w->vnode;
    const char *set = w->set, *note = w->note;
    int origin = w->origin;
    if (st->index) {
        cx_diags_add(diags, "--set", 0, 0, where,
                     "expected a key name after '%s', found [%.*s]: it is a mapping, "
                     "not a list%s",
                     where, (int)st->len, st->text, note);
        return -1;
    }
    int found = -1;
    for (int i = 0; i + 1 < cur->n; i += 2) {
        if (s_is(cur->kids[i], st->text, st->len)) {
            found = i;
            break;
        }
    }
    if (found < 0) {
        cx_node_t *k = cx_doc_scalar(doc, st->text, st->len, true, 1, 1, origin);
        cx_node_t *v = last ? vnode : cx_doc_node(doc, CX_NODE_MAP, 1, 1, origin);
        if (!k || !v || cx_doc_append(doc, cur, k) < 0 || cx_doc_append(doc, cur, v) < 0) {
            cx_diags_add(diags, "--set", 0, 0, "", "out of memory%s", note);
            return -1;
        }
        *curp = v;
        return 1;
    }
    if (last) {
        cur->kids[found + 1] = vnode;
        return 0;
    }
    cx_node_t *next = cur->kids[found + 1];
    if (cx_node_is_null(next)) {
        /* `company:` left empty in the file: make it a section. */
        next = cx_doc_node(doc, CX_NODE_MAP, next->line, next->column, next->origin);
        if (!next) {
            cx_diags_add(diags, "--set", 0, 0, "", "out of memory%s", note);
            return -1;
        }
        cur->kids[found + 1] = next;
    } else if (next->type == CX_NODE_SCALAR) {
        cx_diags_add(diags, "--set", 0, 0, "",
                     "expected '%.*s' to be a section, found a "
                     "single value: nothing can be set below it%s",
                     (int)(st->end > 150 ? 150 : st->end), set, note);
        return -1;
    }
    *curp = next;
    return 1;
}

int cx_doc_set(cx_doc_t *doc, cx_node_t **root, const char *set, int origin, cx_diags_t *diags)
{
    char note[320];
    snprintf(note, sizeof note, " (from --set %s)", set);
    const char *eq = strchr(set, '=');
    if (!eq || eq == set) {
        cx_diags_add(diags, "--set", 0, 0, "", "expected KEY=VALUE, found '%.200s'", set);
        return -1;
    }
    size_t klen = (size_t)(eq - set);
    s_step_t steps[S_MAX_STEPS];
    const char *why = "";
    int n = s_steps(set, klen, steps, &why);
    if (n < 0) {
        cx_diags_add(diags, "--set", 0, 0, "",
                     "expected a dotted key such as departments.it.maturity, "
                     "found '%.*s' which %s",
                     (int)(klen > 200 ? 200 : klen), set, why);
        return -1;
    }

    const char *value = eq + 1;
    cx_node_t *vnode = NULL;
    if (cx_doc_parse(doc, "--set", value, strlen(value), origin, note, &vnode, diags) < 0) {
        return -1;
    }
    if (!vnode) {
        vnode = cx_doc_scalar(doc, "", 0, true, 1, 1, origin);
    }
    if (!*root) {
        *root = cx_doc_node(doc, CX_NODE_MAP, 1, 1, 0);
    }
    if (!vnode || !*root) {
        cx_diags_add(diags, "--set", 0, 0, "", "out of memory%s", note);
        return -1;
    }

    s_walk_t w = {doc, origin, diags, vnode, set, note};
    cx_node_t *cur = *root;
    for (int s = 0; s < n; s++) {
        const s_step_t *st = &steps[s];
        bool last = s == n - 1;
        /* The key up to (not including) this step, for messages. */
        size_t before = s ? steps[s - 1].end : 0;
        char where[200];
        snprintf(where, sizeof where, "%.*s", (int)(before > 190 ? 190 : before), set);
        if (cur->type == CX_NODE_MAP) {
            int r = s_map_step(&w, cur, st, last, where, &cur);
            if (r <= 0) {
                return r;
            }
        } else if (cur->type == CX_NODE_SEQ) {
            int idx = s_pick(cur, st);
            if (idx < 0) {
                s_no_item(diags, cur, st, where, note);
                return -1;
            }
            if (last) {
                cur->kids[idx] = vnode;
                return 0;
            }
            cur = cur->kids[idx];
            if (cur->type == CX_NODE_SCALAR) {
                cx_diags_add(diags, "--set", 0, 0, "",
                             "expected '%.*s' to be a section, found a "
                             "single value: nothing can be set below it%s",
                             (int)(st->end > 150 ? 150 : st->end), set, note);
                return -1;
            }
        } else {
            cx_diags_add(diags, "--set", 0, 0, "",
                         "expected the scenario to be a mapping of keys, found a single "
                         "value%s",
                         note);
            return -1;
        }
    }
    return 0;
}
