/*  cx_questionnaire — see cx_questionnaire.h. */
#include "cx_questionnaire.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_doc.h"
#include "cx_dx_util.h"

static const char *const s_axis_names[CX_Q_AXES] = {"strategy", "control", "tactics"};

const char *cx_axis_name(cx_axis_t a)
{
    return (a >= 0 && a < CX_Q_AXES) ? s_axis_names[a] : "?";
}

typedef struct {
    const char *file; /* name in diagnostics */
    cx_diags_t *d;    /* where problems go */
    int errors;       /* problems added */
} s_ctx_t;

static void s_err(s_ctx_t *x, const cx_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_err(s_ctx_t *x, const cx_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_diags_add(x->d, x->file, at ? at->line : 0, at ? at->column : 0, path, "%s", msg);
    x->errors++;
}

static bool s_scalar(const cx_node_t *n)
{
    return n && n->type == CX_NODE_SCALAR && !cx_node_is_null(n);
}

static const char *s_show(const cx_node_t *n, char *buf, size_t cap)
{
    if (!n) {
        snprintf(buf, cap, "nothing");
    } else if (n->type == CX_NODE_MAP) {
        snprintf(buf, cap, "a mapping");
    } else if (n->type == CX_NODE_SEQ) {
        snprintf(buf, cap, "a list");
    } else if (cx_node_is_null(n)) {
        snprintf(buf, cap, "null");
    } else {
        snprintf(buf, cap, "'%.*s'", (int)(n->len > 80 ? 80 : n->len), n->text);
    }
    return buf;
}

/* Copies a string scalar into out (cut to fit); false after a message. */
static bool s_text(s_ctx_t *x, const cx_node_t *n, const char *path, char *out, size_t cap)
{
    char shown[100];
    if (!s_scalar(n) || strlen(n->text) != n->len) {
        s_err(x, n, path, "expected text, found %s", s_show(n, shown, sizeof shown));
        return false;
    }
    snprintf(out, cap, "%s", n->text);
    return true;
}

/* Reports every key of map not in keys[], with a suggestion. */
static void s_known_keys(s_ctx_t *x, const cx_node_t *map, const char *path,
                         const char *const *keys, int n_keys)
{
    char shown[100];
    char p[200];
    for (int i = 0; i + 1 < map->n; i += 2) {
        const cx_node_t *k = map->kids[i];
        bool ok = false;
        for (int j = 0; j < n_keys && s_scalar(k); j++) {
            ok = ok || cx_node_is(k, keys[j]);
        }
        if (ok) {
            continue;
        }
        const char *hint = s_scalar(k) ? cx_suggest(k->text, keys, n_keys) : NULL;
        snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", s_scalar(k) ? k->text : "?");
        s_err(x, k, p, "unknown key %s%s%s%s", s_show(k, shown, sizeof shown),
              hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    }
}

static const cx_node_t *s_map(s_ctx_t *x, const cx_node_t *n, const char *path, const char *what)
{
    char shown[100];
    if (!n || n->type != CX_NODE_MAP) {
        s_err(x, n, path, "expected %s (a mapping), found %s", what,
              s_show(n, shown, sizeof shown));
        return NULL;
    }
    return n;
}

/* ---- statements ------------------------------------------------------------ */

static void s_axes(s_ctx_t *x, const cx_node_t *list, cx_questionnaire_t *q)
{
    char shown[100];
    char path[120];
    bool seen[CX_Q_AXES] = {false, false, false};
    if (!list || list->type != CX_NODE_SEQ) {
        s_err(x, list, "axes",
              "expected a list of the three axes (strategy, control, tactics), "
              "found %s",
              s_show(list, shown, sizeof shown));
        return;
    }
    for (int i = 0; i < list->n; i++) {
        snprintf(path, sizeof path, "axes[%d]", i);
        const cx_node_t *ax = s_map(x, list->kids[i], path, "an axis");
        if (!ax) {
            continue;
        }
        static const char *const keys[] = {"id", "question", "source", "levels"};
        s_known_keys(x, ax, path, keys, 4);
        const cx_node_t *id = cx_node_get(ax, "id");
        int a = -1;
        for (int k = 0; k < CX_Q_AXES && s_scalar(id); k++) {
            if (cx_node_is(id, s_axis_names[k])) {
                a = k;
            }
        }
        if (a < 0) {
            const char *hint = s_scalar(id) ? cx_suggest(id->text, s_axis_names, CX_Q_AXES) : NULL;
            s_err(x, id ? id : ax, path, "expected id strategy, control or tactics, found %s%s%s%s",
                  s_show(id, shown, sizeof shown), hint ? "; did you mean '" : "", hint ? hint : "",
                  hint ? "'?" : "");
            continue;
        }
        if (seen[a]) {
            s_err(x, id, path, "axis '%s' appears twice", s_axis_names[a]);
            continue;
        }
        seen[a] = true;
        cx_q_axis_t *qa = &q->axis[a];
        char p2[160];
        snprintf(p2, sizeof p2, "%s.question", path);
        s_text(x, cx_node_get(ax, "question"), p2, qa->question, sizeof qa->question);
        snprintf(p2, sizeof p2, "%s.source", path);
        s_text(x, cx_node_get(ax, "source"), p2, qa->source, sizeof qa->source);
        const cx_node_t *lv = cx_node_get(ax, "levels");
        snprintf(p2, sizeof p2, "%s.levels", path);
        if (!lv || lv->type != CX_NODE_SEQ || lv->n != CX_Q_LEVELS) {
            s_err(x, lv ? lv : ax, p2,
                  "expected a list of %d statements, one per level 1 to 5, "
                  "found %s",
                  CX_Q_LEVELS,
                  lv && lv->type == CX_NODE_SEQ ? "another count"
                                                : s_show(lv, shown, sizeof shown));
            continue;
        }
        for (int k = 0; k < CX_Q_LEVELS; k++) {
            char p3[200];
            snprintf(p3, sizeof p3, "%s[%d]", p2, k);
            const cx_node_t *st = s_map(x, lv->kids[k], p3, "a statement");
            if (!st) {
                continue;
            }
            static const char *const skeys[] = {"statement", "source"};
            s_known_keys(x, st, p3, skeys, 2);
            char p4[240];
            snprintf(p4, sizeof p4, "%s.statement", p3);
            s_text(x, cx_node_get(st, "statement"), p4, qa->statement[k], sizeof qa->statement[k]);
            snprintf(p4, sizeof p4, "%s.source", p3);
            s_text(x, cx_node_get(st, "source"), p4, qa->st_source[k], sizeof qa->st_source[k]);
        }
    }
    for (int a = 0; a < CX_Q_AXES; a++) {
        if (!seen[a]) {
            s_err(x, list, "axes", "the axis '%s' is missing", s_axis_names[a]);
        }
    }
}

/* organisation.cx_owner / organisation.governance: question, source, options. */
static void s_choice(s_ctx_t *x, const cx_node_t *n, const char *path, char *question, size_t qcap,
                     char (*opt)[256], int n_opt, const char *(*name_of)(int))
{
    const cx_node_t *m = s_map(x, n, path, "a question with options");
    if (!m) {
        return;
    }
    static const char *const keys[] = {"question", "source", "options"};
    s_known_keys(x, m, path, keys, 3);
    char p[160];
    snprintf(p, sizeof p, "%s.question", path);
    s_text(x, cx_node_get(m, "question"), p, question, qcap);
    snprintf(p, sizeof p, "%s.options", path);
    const cx_node_t *o = s_map(x, cx_node_get(m, "options"), p, "the options");
    if (!o) {
        return;
    }
    const char *names[8];
    for (int i = 0; i < n_opt && i < 8; i++) {
        names[i] = name_of(i);
    }
    s_known_keys(x, o, p, names, n_opt);
    for (int i = 0; i < n_opt; i++) {
        char p2[200];
        snprintf(p2, sizeof p2, "%s.%s", p, names[i]);
        const cx_node_t *v = cx_node_get(o, names[i]);
        if (!v) {
            s_err(x, o, p2, "the option '%s' is missing", names[i]);
        } else {
            s_text(x, v, p2, opt[i], 256);
        }
    }
}

static const char *s_owner_name(int i)
{
    return cx_owner_name((cx_owner_t)i);
}

static const char *s_gov_name(int i)
{
    return cx_governance_name((cx_governance_t)i);
}

/* ---- answers ------------------------------------------------------------- */

/* One choice answer: null (unanswered, -1) or a name. */
static int s_answer_name(s_ctx_t *x, const cx_node_t *n, const char *path, int count,
                         const char *(*name_of)(int))
{
    char shown[100];
    if (!n || cx_node_is_null(n)) {
        return -1;
    }
    const char *names[8];
    char list[200] = "";
    size_t used = 0;
    for (int i = 0; i < count && i < 8; i++) {
        names[i] = name_of(i);
        if (s_scalar(n) && cx_node_is(n, names[i])) {
            return i;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    }
    const char *hint = s_scalar(n) ? cx_suggest(n->text, names, count) : NULL;
    s_err(x, n, path, "expected one of %s, found %s%s%s%s", list, s_show(n, shown, sizeof shown),
          hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    return -1;
}

static void s_dept_answers(s_ctx_t *x, const cx_node_t *k, const cx_node_t *v,
                           cx_questionnaire_t *q)
{
    char shown[100];
    char path[120];
    if (!s_scalar(k) || strlen(k->text) >= CX_ID_MAX) {
        s_err(x, k, "departments", "expected a department id (at most %d characters), found %s",
              CX_ID_MAX - 1, s_show(k, shown, sizeof shown));
        return;
    }
    snprintf(path, sizeof path, "departments.%s", k->text);
    if (cx_questionnaire_dept(q, k->text)) {
        s_err(x, k, path, "the department '%s' appears twice", k->text);
        return;
    }
    cx_q_dept_t *d = cx_questionnaire_add_dept(q, k->text);
    if (!d) {
        s_err(x, k, path, "expected at most %d departments", CX_MAX_DEPTS);
        return;
    }
    d->line = k->line;
    d->column = k->column;
    if (cx_node_is_null(v)) {
        return; /* nothing answered */
    }
    const cx_node_t *m = s_map(x, v, path, "the answers on strategy, control and tactics");
    if (!m) {
        return;
    }
    s_known_keys(x, m, path, s_axis_names, CX_Q_AXES);
    for (int a = 0; a < CX_Q_AXES; a++) {
        char p[160];
        snprintf(p, sizeof p, "%s.%s", path, s_axis_names[a]);
        const cx_node_t *l = cx_node_get(m, s_axis_names[a]);
        if (!l || cx_node_is_null(l)) {
            if (l) {
                d->axis_line[a] = l->line;
                d->axis_column[a] = l->column;
            }
            continue;
        }
        d->axis_line[a] = l->line;
        d->axis_column[a] = l->column;
        if (l->type != CX_NODE_SEQ || l->n != CX_Q_LEVELS) {
            s_err(x, l, p,
                  "expected %d agreements from 0 (not at all) to 4 (fully), one per "
                  "level's statement, such as [0, 3, 4, 1, 0], found %s",
                  CX_Q_LEVELS,
                  l->type == CX_NODE_SEQ ? "a list of another length"
                                         : s_show(l, shown, sizeof shown));
            continue;
        }
        bool ok = true;
        int sum = 0;
        for (int i = 0; i < CX_Q_LEVELS; i++) {
            long val;
            if (!cx_dx_int(l->kids[i], 0, CX_Q_MAX_AGREE, &val)) {
                char p2[200];
                snprintf(p2, sizeof p2, "%s[%d]", p, i);
                s_err(x, l->kids[i], p2,
                      "expected an agreement from 0 (not at all) to 4 (fully) "
                      "with the level-%d statement, found %s",
                      i + 1, s_show(l->kids[i], shown, sizeof shown));
                ok = false;
                continue;
            }
            d->agree[a][i] = (int)val;
            sum += (int)val;
        }
        if (ok && sum == 0) {
            s_err(x, l, p,
                  "no statement describes this department at all (every agreement is 0): "
                  "give at least one statement some agreement");
            ok = false;
        }
        d->answered[a] = ok;
    }
}

/* ---- the file ------------------------------------------------------------ */

static void s_dirname(const char *path, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        slash[slash == dir ? 1 : 0] = '\0';
    } else {
        dir[0] = '\0';
    }
}

static void s_resolve(const char *dir, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/' || !dir[0]) {
        snprintf(out, cap, "%s", rel);
    } else {
        snprintf(out, cap, "%s/%s", dir, rel);
    }
}

static int s_load(const char *name, const char *dir, const char *text, size_t len,
                  cx_questionnaire_t *q, cx_diags_t *diags, int depth, bool answers);

/* Statements from another file (the `questionnaire` key). */
static void s_include(s_ctx_t *x, const cx_node_t *n, const char *dir, cx_questionnaire_t *q,
                      int depth)
{
    char rel[1024];
    if (!s_text(x, n, "questionnaire", rel, sizeof rel)) {
        return;
    }
    if (depth > 0) {
        s_err(x, n, "questionnaire", "the statements file must hold the statements itself");
        return;
    }
    char path[4096];
    s_resolve(dir, rel, path, sizeof path);
    size_t len = 0;
    char *text = NULL;
    if (cx_read_file(path, CX_SCENARIO_MAX_BYTES, &text, &len) != 0) {
        s_err(x, n, "questionnaire", "cannot read '%s': %s", path,
              errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
        return;
    }
    char sub[4096];
    s_dirname(path, sub, sizeof sub);
    if (s_load(path, sub, text, len, q, x->d, depth + 1, false) != 0) {
        x->errors++;
    }
    snprintf(q->statements_file, sizeof q->statements_file, "%s", path);
    free(text);
}

static int s_load(const char *name, const char *dir, const char *text, size_t len,
                  cx_questionnaire_t *q, cx_diags_t *diags, int depth, bool answers)
{
    s_ctx_t x = {name, diags, 0};
    cx_doc_t doc;
    cx_doc_init(&doc);
    cx_node_t *root = NULL;
    char shown[100];
    if (cx_doc_parse(&doc, name, text, len, 0, "", &root, diags) != 0) {
        cx_doc_fini(&doc);
        return -1;
    }
    if (!root || root->type != CX_NODE_MAP) {
        s_err(&x, root, "",
              "expected a mapping (axes, organisation, scenario, company, "
              "departments), found %s",
              s_show(root, shown, sizeof shown));
        cx_doc_fini(&doc);
        return -1;
    }
    static const char *const keys[] = {"title",        "scale",    "questionnaire", "axes",
                                       "organisation", "scenario", "company",       "departments"};
    s_known_keys(&x, root, "", keys, 8);
    const cx_node_t *inc = cx_node_get(root, "questionnaire");
    const cx_node_t *axes = cx_node_get(root, "axes");
    if (inc && axes) {
        s_err(&x, inc, "questionnaire",
              "give either the statements (axes, organisation) or "
              "questionnaire: FILE naming them, not both");
    } else if (inc) {
        s_include(&x, inc, dir, q, depth);
    } else {
        const cx_node_t *t = cx_node_get(root, "title");
        if (t) {
            s_text(&x, t, "title", q->title, sizeof q->title);
        }
        s_axes(&x, axes, q);
        const cx_node_t *org = s_map(&x, cx_node_get(root, "organisation"), "organisation",
                                     "the organisation questions (cx_owner, governance)");
        if (org) {
            static const char *const okeys[] = {"cx_owner", "governance"};
            s_known_keys(&x, org, "organisation", okeys, 2);
            s_choice(&x, cx_node_get(org, "cx_owner"), "organisation.cx_owner", q->owner_question,
                     sizeof q->owner_question, q->owner_option, CX_OWNER_COUNT, s_owner_name);
            s_choice(&x, cx_node_get(org, "governance"), "organisation.governance", q->gov_question,
                     sizeof q->gov_question, q->gov_option, CX_GOV_COUNT, s_gov_name);
        }
        snprintf(q->statements_file, sizeof q->statements_file, "%s", name);
    }
    if (answers) {
        const cx_node_t *sc = cx_node_get(root, "scenario");
        char rel[1024];
        if (!sc) {
            s_err(&x, root, "scenario",
                  "missing: the company's scenario file (departments, "
                  "personas, journeys), relative to this file");
        } else if (s_text(&x, sc, "scenario", rel, sizeof rel)) {
            s_resolve(dir, rel, q->scenario, sizeof q->scenario);
            q->scenario_line = sc->line;
        }
        const cx_node_t *co = cx_node_get(root, "company");
        if (co && !cx_node_is_null(co) && s_map(&x, co, "company", "cx_owner and governance")) {
            static const char *const ckeys[] = {"cx_owner", "governance"};
            s_known_keys(&x, co, "company", ckeys, 2);
            q->cx_owner = s_answer_name(&x, cx_node_get(co, "cx_owner"), "company.cx_owner",
                                        CX_OWNER_COUNT, s_owner_name);
            q->governance = s_answer_name(&x, cx_node_get(co, "governance"), "company.governance",
                                          CX_GOV_COUNT, s_gov_name);
        }
        const cx_node_t *de = cx_node_get(root, "departments");
        if (de && !cx_node_is_null(de) &&
            s_map(&x, de, "departments", "one entry per department id")) {
            for (int i = 0; i + 1 < de->n; i += 2) {
                s_dept_answers(&x, de->kids[i], de->kids[i + 1], q);
            }
        }
    }
    /* A statements file may carry a template of answers: they are not read. */
    cx_doc_fini(&doc);
    return x.errors ? -1 : 0;
}

static int s_cmp_diag(const void *a, const void *b)
{
    const cx_diag_t *x = a;
    const cx_diag_t *y = b;
    int c = strcmp(x->file, y->file);
    if (c) {
        return c;
    }
    if (x->line != y->line) {
        return x->line < y->line ? -1 : 1;
    }
    return x->column < y->column ? -1 : x->column > y->column;
}

int cx_questionnaire_load_string(const char *name, const char *dir, const char *text, size_t len,
                                 cx_questionnaire_t *q, cx_diags_t *diags)
{
    memset(q, 0, sizeof *q);
    q->cx_owner = -1;
    q->governance = -1;
    snprintf(q->file, sizeof q->file, "%s", name);
    int first = diags->n;
    int rc = s_load(name, dir, text, len, q, diags, 0, true);
    if (diags->n > first) {
        qsort(diags->items + first, (size_t)(diags->n - first), sizeof *diags->items, s_cmp_diag);
    }
    return rc;
}

int cx_questionnaire_load_file(const char *path, cx_questionnaire_t *q, cx_diags_t *diags)
{
    size_t len = 0;
    char *text = NULL;
    if (cx_read_file(path, CX_SCENARIO_MAX_BYTES, &text, &len) != 0) {
        cx_diags_add(diags, path, 0, 0, "", "cannot read: %s",
                     errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
        return -1;
    }
    char dir[4096];
    s_dirname(path, dir, sizeof dir);
    int rc = cx_questionnaire_load_string(path, dir, text, len, q, diags);
    free(text);
    return rc;
}

cx_q_dept_t *cx_questionnaire_dept(cx_questionnaire_t *q, const char *id)
{
    for (int i = 0; i < q->n_dept; i++) {
        if (strcmp(q->dept[i].id, id) == 0) {
            return &q->dept[i];
        }
    }
    return NULL;
}

cx_q_dept_t *cx_questionnaire_add_dept(cx_questionnaire_t *q, const char *id)
{
    if (q->n_dept >= CX_MAX_DEPTS || strlen(id) >= CX_ID_MAX) {
        return NULL;
    }
    cx_q_dept_t *d = &q->dept[q->n_dept++];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    return d;
}
