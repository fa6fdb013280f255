/*  cx_gap — see cx_gap.h. */
#include "cx_gap.h"

#include "cx_csv.h"
#include "cx_doc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_kpi_names[CX_GAP_KPIS] = {
    "nps", "csat", "ces", "churn_rate", "total_revenue", "total_operating_profit", "customers_end"};

/* The kpis.csv column each KPI reads. */
static const char *const s_kpi_cols[CX_GAP_KPIS] = {
    "nps", "csat", "ces", "churn_rate", "revenue", "operating_profit", "customers_end"};

const char *cx_gap_kpi_name(cx_gap_kpi_t k)
{
    return (k >= 0 && k < CX_GAP_KPIS) ? s_kpi_names[k] : "?";
}

bool cx_gap_kpi_higher_better(cx_gap_kpi_t k)
{
    return k != CX_GAP_CHURN_RATE;
}

int cx_gap_between(const cx_scenario_t *cur, const cx_scenario_t *tgt, cx_gap_t *gap, char *err,
                   size_t errlen)
{
    memset(gap, 0, sizeof *gap);
    if (cur->n_dept != tgt->n_dept) {
        snprintf(err, errlen,
                 "the target has %d departments, today's company %d: a gap is "
                 "between two states of the same departments",
                 tgt->n_dept, cur->n_dept);
        return -1;
    }
    for (int i = 0; i < cur->n_dept; i++) {
        int j = cx_scenario_dept_index(tgt, cur->dept[i].id);
        if (j < 0) {
            snprintf(err, errlen, "the target has no department '%s'", cur->dept[i].id);
            return -1;
        }
        cx_gap_dept_t *d = &gap->dept[gap->n_dept++];
        snprintf(d->id, sizeof d->id, "%s", cur->dept[i].id);
        d->from = cur->dept[i].maturity;
        d->to = tgt->dept[j].maturity;
    }
    gap->owner_from = cur->cx_owner;
    gap->owner_to = tgt->cx_owner;
    gap->gov_from = cur->governance;
    gap->gov_to = tgt->governance;
    return 0;
}

void cx_gap_target_level(const cx_scenario_t *cur, double level, cx_scenario_t *tgt)
{
    memcpy(tgt, cur, sizeof *tgt);
    for (int i = 0; i < tgt->n_dept; i++) {
        if (tgt->dept[i].maturity < level) {
            tgt->dept[i].maturity = level;
        }
    }
}

void cx_gap_add_axes(cx_gap_t *gap, const cx_assessment_t *as)
{
    for (int i = 0; i < as->n_dept; i++) {
        if (!as->dept[i].assessed) {
            continue;
        }
        for (int k = 0; k < gap->n_dept; k++) {
            if (strcmp(gap->dept[k].id, as->dept[i].id) == 0) {
                gap->dept[k].has_axes = true;
                for (int a = 0; a < CX_Q_AXES; a++) {
                    gap->dept[k].axis[a] = as->dept[i].axis[a].score;
                }
            }
        }
    }
}

/* cx_gap_run_kpis's state: the columns, the sums. */
typedef struct {
    int col[CX_GAP_KPIS];
    double sum[CX_GAP_KPIS];
    double last[CX_GAP_KPIS];
    int rows;
} s_kpis_t;

static int s_kpis_head(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_kpis_t *kp = ud;
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        if ((kp->col[k] = cx_csv_col(row, s_kpi_cols[k])) < 0) {
            snprintf(err, errlen, "no column '%s'", s_kpi_cols[k]);
            return -1;
        }
    }
    return 0;
}

static int s_kpis_row(void *ud, const cx_csv_row_t *row, char *err, size_t errlen)
{
    s_kpis_t *kp = ud;
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        const char *v = row->fields[kp->col[k]];
        char *stop;
        if (!v[0]) {
            snprintf(err, errlen, "row %d: no value for '%s'", kp->rows + 1, s_kpi_cols[k]);
            return -1;
        }
        errno = 0;
        double x = strtod(v, &stop);
        if (*stop || errno || !isfinite(x)) {
            snprintf(err, errlen, "row %d: '%s' is not a number: '%.60s'", kp->rows + 1,
                     s_kpi_cols[k], v);
            return -1;
        }
        kp->sum[k] += x;
        kp->last[k] = x;
    }
    kp->rows++;
    return 0;
}

int cx_gap_run_kpis(const char *csv, size_t len, double out[CX_GAP_KPIS], char *err, size_t errlen)
{
    s_kpis_t kp = {.rows = 0};
    long rc = cx_csv_parse_copy(csv, len, "kpis.csv", 0, s_kpis_head, s_kpis_row, &kp, err,
                                errlen);
    if (rc < 0) {
        return -1;
    }
    const double *sum = kp.sum, *last = kp.last;
    int rows = kp.rows;
    if (rows == 0) {
        snprintf(err, errlen, "no tick");
        return -1;
    }
    for (int k = 0; k < CX_GAP_KPIS; k++) {
        switch ((cx_gap_kpi_t)k) {
        case CX_GAP_REVENUE:
        case CX_GAP_OPERATING_PROFIT:
            out[k] = sum[k];
            break;
        case CX_GAP_CUSTOMERS:
            out[k] = last[k];
            break;
        default:
            out[k] = sum[k] / rows;
            break;
        }
    }
    return 0;
}

void cx_gap_paired(const double *cur, const double *tgt, int n, double t975, cx_gap_stat_t *st)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    if (n < 1) {
        st->cur = st->tgt = st->delta = st->lo = st->hi = NAN;
        return;
    }
    double sc = 0;
    double stg = 0;
    double sd = 0;
    for (int i = 0; i < n; i++) {
        sc += cur[i];
        stg += tgt[i];
        sd += tgt[i] - cur[i];
    }
    st->cur = sc / n;
    st->tgt = stg / n;
    st->delta = sd / n;
    if (n < 2) {
        st->lo = st->hi = NAN;
        return;
    }
    double ss = 0;
    for (int i = 0; i < n; i++) {
        double e = tgt[i] - cur[i] - st->delta;
        ss += e * e;
    }
    double half = t975 * sqrt(ss / (n - 1)) / sqrt((double)n);
    st->lo = st->delta - half;
    st->hi = st->delta + half;
}

void cx_gap_report_orgs(cx_buf_t *b, const cx_gap_t *gap)
{
    bool axes = false;
    for (int i = 0; i < gap->n_dept; i++) {
        axes = axes || gap->dept[i].has_axes;
    }
    cx_buf_printf(b, "%-18s %7s %7s %7s", "department", "today", "target", "gap");
    if (axes) {
        cx_buf_printf(b, " %10s %10s %10s", "strategy", "control", "tactics");
    }
    cx_buf_printf(b, "\n");
    for (int i = 0; i < gap->n_dept; i++) {
        const cx_gap_dept_t *d = &gap->dept[i];
        cx_buf_printf(b, "%-18s %7.2f %7.2f %+7.2f", d->id, d->from, d->to, d->to - d->from);
        if (d->has_axes) {
            for (int a = 0; a < CX_Q_AXES; a++) {
                cx_buf_printf(b, " %+10.2f", d->to - d->axis[a]);
            }
        }
        cx_buf_printf(b, "\n");
    }
    if (axes) {
        cx_buf_printf(b, "(axis columns: target - the axis score today)\n");
    }
    cx_buf_printf(b, "CX owner:   %s -> %s%s\n", cx_owner_name((cx_owner_t)gap->owner_from),
                  cx_owner_name((cx_owner_t)gap->owner_to),
                  gap->owner_from == gap->owner_to ? " (no change)" : "");
    cx_buf_printf(b, "governance: %s -> %s%s\n", cx_governance_name((cx_governance_t)gap->gov_from),
                  cx_governance_name((cx_governance_t)gap->gov_to),
                  gap->gov_from == gap->gov_to ? " (no change)" : "");
}

void cx_gap_space_text(cx_buf_t *b, const cx_gap_t *gap, const char *scenario)
{
    cx_buf_printf(b,
                  "# The gap as cxsim optimise's search space (written by cxsim gap):\n"
                  "#   cxsim optimise %s --space THIS_FILE --budget AMOUNT\n"
                  "# Each department may rise from its level today to its target, one level\n"
                  "# or straight to the target per move; the owner and governance may change\n"
                  "# once each, to the target's.\n",
                  scenario);
    cx_buf_printf(b, "scenario: %s\n", scenario);
    int n = 0;
    for (int i = 0; i < gap->n_dept; i++) {
        n += gap->dept[i].to > gap->dept[i].from;
    }
    cx_buf_printf(b, "departments:%s\n", n ? "" : " []");
    for (int i = 0; i < gap->n_dept; i++) {
        const cx_gap_dept_t *d = &gap->dept[i];
        if (d->to > d->from) {
            cx_buf_printf(b, "  - {id: %s, from: %.15g, to: %.15g}\n", d->id, d->from, d->to);
        }
    }
    if (gap->owner_from != gap->owner_to) {
        cx_buf_printf(b, "cx_owner: {from: %s, to: %s, cost: %.0f}\n",
                      cx_owner_name((cx_owner_t)gap->owner_from),
                      cx_owner_name((cx_owner_t)gap->owner_to), CX_GAP_ORG_COST);
    }
    if (gap->gov_from != gap->gov_to) {
        cx_buf_printf(b, "governance: {from: %s, to: %s, cost: %.0f}\n",
                      cx_governance_name((cx_governance_t)gap->gov_from),
                      cx_governance_name((cx_governance_t)gap->gov_to), CX_GAP_ORG_COST);
    }
}

/* ---- the search space read back ----------------------------------------- */

static bool s_num(const cx_node_t *n, double lo, double hi, double *v)
{
    if (!n || n->type != CX_NODE_SCALAR || !n->plain || !n->len || strlen(n->text) != n->len) {
        return false;
    }
    char *end;
    errno = 0;
    double x = strtod(n->text, &end);
    if (*end || errno || !isfinite(x) || x < lo || x > hi) {
        return false;
    }
    *v = x;
    return true;
}

/* An org move {from, to, cost}: the `to` name's index, or -1 after a
 * diagnostic. */
static int s_org(const char *file, const cx_node_t *n, const char *key, int count,
                 const char *(*name_of)(int), double *cost, cx_diags_t *d)
{
    const cx_node_t *to = n && n->type == CX_NODE_MAP ? cx_node_get(n, "to") : NULL;
    const cx_node_t *c = n && n->type == CX_NODE_MAP ? cx_node_get(n, "cost") : NULL;
    int v = -1;
    for (int i = 0; to && to->type == CX_NODE_SCALAR && i < count; i++) {
        if (cx_node_is(to, name_of(i))) {
            v = i;
        }
    }
    if (v < 0) {
        cx_diags_add(d, file, n ? n->line : 0, n ? n->column : 0, key,
                     "expected {from: NAME, to: NAME, cost: AMOUNT} with a valid `to`");
        return -1;
    }
    *cost = 0;
    if (c && !s_num(c, 0, 1e15, cost)) {
        cx_diags_add(d, file, c->line, c->column, key, "expected a cost from 0");
        return -1;
    }
    return v;
}

static const char *s_owner_of(int i)
{
    return cx_owner_name((cx_owner_t)i);
}

static const char *s_gov_of(int i)
{
    return cx_governance_name((cx_governance_t)i);
}

int cx_gap_space_load_file(const char *path, cx_gap_space_t *sp, cx_diags_t *diags)
{
    memset(sp, 0, sizeof *sp);
    size_t len = 0;
    char *text = NULL;
    if (cx_read_file(path, CX_SCENARIO_MAX_BYTES, &text, &len) != 0) {
        cx_diags_add(diags, path, 0, 0, "", "cannot read: %s", strerror(errno));
        return -1;
    }
    int first = diags->n;
    cx_doc_t doc;
    cx_doc_init(&doc);
    cx_node_t *root = NULL;
    if (cx_doc_parse(&doc, path, text, len, 0, "", &root, diags) != 0) {
        goto done;
    }
    if (!root || root->type != CX_NODE_MAP) {
        cx_diags_add(diags, path, root ? root->line : 0, root ? root->column : 0, "",
                     "expected a search space written by cxsim gap (departments, cx_owner, "
                     "governance)");
        goto done;
    }
    static const char *const keys[] = {"scenario", "departments", "cx_owner", "governance"};
    for (int i = 0; i + 1 < root->n; i += 2) {
        const cx_node_t *k = root->kids[i];
        bool ok = false;
        for (int j = 0; j < 4; j++) {
            ok = ok || cx_node_is(k, keys[j]);
        }
        if (!ok) {
            const char *hint = k->type == CX_NODE_SCALAR ? cx_suggest(k->text, keys, 4) : NULL;
            cx_diags_add(diags, path, k->line, k->column, k->type == CX_NODE_SCALAR ? k->text : "",
                         "unknown key%s%s%s", hint ? "; did you mean '" : "", hint ? hint : "",
                         hint ? "'?" : "");
        }
    }
    const cx_node_t *de = cx_node_get(root, "departments");
    if (de && de->type != CX_NODE_SEQ) {
        cx_diags_add(diags, path, de->line, de->column, "departments",
                     "expected a list of {id, from, to}");
    }
    for (int i = 0; de && de->type == CX_NODE_SEQ && i < de->n; i++) {
        const cx_node_t *it = de->kids[i];
        char p[64];
        snprintf(p, sizeof p, "departments[%d]", i);
        const cx_node_t *id = it->type == CX_NODE_MAP ? cx_node_get(it, "id") : NULL;
        const cx_node_t *from = it->type == CX_NODE_MAP ? cx_node_get(it, "from") : NULL;
        const cx_node_t *to = it->type == CX_NODE_MAP ? cx_node_get(it, "to") : NULL;
        double f = 0;
        double t = 0;
        if (!id || id->type != CX_NODE_SCALAR || !id->len || id->len >= CX_ID_MAX ||
            (from && !s_num(from, 1, 5, &f)) || !s_num(to, 1, 5, &t)) {
            cx_diags_add(diags, path, it->line, it->column, p,
                         "expected {id: DEPARTMENT, from: LEVEL, to: LEVEL}, levels 1 to 5");
            continue;
        }
        if (sp->n >= CX_MAX_DEPTS) {
            cx_diags_add(diags, path, it->line, it->column, p, "at most %d departments",
                         CX_MAX_DEPTS);
            break;
        }
        snprintf(sp->id[sp->n], CX_ID_MAX, "%s", id->text);
        sp->from[sp->n] = f;
        sp->to[sp->n] = t;
        sp->line[sp->n] = id->line;
        sp->column[sp->n] = id->column;
        sp->n++;
    }
    const cx_node_t *o = cx_node_get(root, "cx_owner");
    if (o) {
        sp->owner_to =
            s_org(path, o, "cx_owner", CX_OWNER_COUNT, s_owner_of, &sp->owner_cost, diags);
        sp->owner_move = sp->owner_to >= 0;
    }
    const cx_node_t *g = cx_node_get(root, "governance");
    if (g) {
        sp->gov_to = s_org(path, g, "governance", CX_GOV_COUNT, s_gov_of, &sp->gov_cost, diags);
        sp->gov_move = sp->gov_to >= 0;
    }
done:
    cx_doc_fini(&doc);
    free(text);
    return diags->n > first ? -1 : 0;
}
