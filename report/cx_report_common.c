/*  cx_report_common — the pieces shared by the run page (cx_report_run.c)
 *  and the compare page (cx_report_compare.c): see cx_report_common.h.
 */
#include "cx_report_common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_csv.h"
#include "cx_kpi_cols.h"
#include "cx_report.h"
#include "cx_report_page.h"

/* UTF-8 punctuation, each its own literal so that no hex escape runs on. */
#define S_ARROW "\xe2\x86\x92"
#define S_TIMES "\xc3\x97"

#define S_PATH_MAX 4096 /* longest path built here */

void cx_report_vec_push(cx_report_vec_t *a, double x)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 256;
        double *p = realloc(a->v, (size_t)cap * sizeof *p);
        if (!p) {
            a->oom = true;
            return;
        }
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

void cx_report_vec_free(cx_report_vec_t *a)
{
    free(a->v);
    memset(a, 0, sizeof *a);
}

double cx_report_num(const char *s)
{
    if (!s || !*s) {
        return NAN;
    }
    char *end;
    double v = strtod(s, &end);
    return *end ? NAN : v;
}

bool cx_report_is_file(const char *dir, const char *name)
{
    char p[S_PATH_MAX];
    struct stat st;
    return cx_report_join(p, sizeof p, dir, name) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *cx_report_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b && b[1] ? b + 1 : path;
}

int cx_report_csv(const char *dir, const char *name, const char *const *cols, int ncols,
                  cx_report_row_fn fn, void *ud, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    if (cx_report_join(path, sizeof path, dir, name) != 0) {
        snprintf(err, errlen, "path too long: %.200s/%s", dir, name);
        return CX_REPORT_UNREADABLE;
    }
    return cx_csv_read(path, cols, ncols, fn, ud, err, errlen) == 0 ? 0 : CX_REPORT_UNREADABLE;
}

void cx_report_trailing_mean(const double *v, int n, int w, double *out)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        int k = 0;
        for (int j = i - w + 1 < 0 ? 0 : i - w + 1; j <= i; j++) {
            if (isfinite(v[j])) {
                s += v[j];
                k++;
            }
        }
        out[i] = k ? s / k : NAN;
    }
}

/* What an event does, in a few characters: "it→4", "campaign ×1.5". */
static void s_event_desc(const cx_scenario_t *sc, const cx_event_spec_t *e, char *buf, size_t cap)
{
    const char *dept = e->dept >= 0 && e->dept < sc->n_dept ? sc->dept[e->dept].id : "?";
    char v[40];
    snprintf(v, sizeof v, "%.6g", e->value);
    switch (e->kind) {
    case CX_EV_MATURITY:
        snprintf(buf, cap, "%s" S_ARROW "%s", dept, v);
        break;
    case CX_EV_CX_OWNER:
        snprintf(buf, cap, "CX owner" S_ARROW "%s", cx_owner_name((cx_owner_t)e->owner));
        break;
    case CX_EV_GOVERNANCE:
        snprintf(buf, cap, "governance" S_ARROW "%s",
                 cx_governance_name((cx_governance_t)e->governance));
        break;
    case CX_EV_CAMPAIGN:
        snprintf(buf, cap, "campaign " S_TIMES "%s", v);
        break;
    case CX_EV_OUTAGE:
        snprintf(buf, cap, "%s outage %.6g%%", dept, e->value * 100);
        break;
    case CX_EV_PRICE:
        snprintf(buf, cap, "price " S_TIMES "%s", v);
        break;
    case CX_EV_POLICY:
        snprintf(buf, cap, "policy %s", v);
        break;
    case CX_EV_STAFF:
        snprintf(buf, cap, "%s staff" S_ARROW "%s", dept, v);
        break;
    default:
        snprintf(buf, cap, "%s", cx_event_kind_name(e->kind));
        break;
    }
}

void cx_report_marks(const cx_scenario_t *sc, const bool *keep, cx_report_marks_t *mk)
{
    mk->n = 0;
    for (int i = 0; i < sc->n_event; i++) {
        if (keep && !keep[i]) {
            continue;
        }
        const cx_event_spec_t *e = &sc->event[i];
        char d[96];
        s_event_desc(sc, e, d, sizeof d);
        if (mk->n > 0 && mk->m[mk->n - 1].x == e->tick) {
            char *l = mk->label[mk->n - 1];
            size_t used = strlen(l);
            if (used + 2 + strlen(d) < CX_REPORT_LABEL_MAX) {
                snprintf(l + used, CX_REPORT_LABEL_MAX - used, ", %s", d);
            }
            continue;
        }
        snprintf(mk->label[mk->n], CX_REPORT_LABEL_MAX, "t=%d %s", e->tick, d);
        mk->m[mk->n].x = e->tick;
        mk->m[mk->n].label = mk->label[mk->n];
        mk->m[mk->n].color = NULL;
        mk->n++;
    }
}

const char *cx_report_kpi_label(const char *name)
{
    int i = cx_kpi_col_find(name);
    return i >= 0 ? cx_kpi_cols[i].label : name;
}

const char *cx_report_kpi_axis(const char *name, char *out, size_t cap)
{
    int i = cx_kpi_col_find(name);
    const char *u = i >= 0 ? cx_kpi_cols[i].unit : "";
    snprintf(out, cap, "%.*s", (int)strcspn(u, ","), u);
    return out;
}

const char *cx_report_kpi_title(const char *prefix, const char *name, char *out, size_t cap)
{
    const char *l = cx_report_kpi_label(name);
    bool lower = prefix[0] && l[0] >= 'A' && l[0] <= 'Z' && !(l[1] >= 'A' && l[1] <= 'Z');
    snprintf(out, cap, "%s%s", prefix, l);
    size_t at = strlen(prefix);
    if (lower && at < cap) {
        out[at] = (char)(out[at] - 'A' + 'a');
    }
    return out;
}
