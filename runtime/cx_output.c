/*  cx_output — result files of a run (see cx_output.h). */
#include "cx_output.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "cx_buf.h"
#include "cx_json.h"
#include "cx_kpi_cols.h"
#include "cx_records.h"
#include "cx_version.h"

struct cx_output {
    const cx_scenario_t *sc;     /* scenario (caller keeps it alive) */
    char dir[4096];              /* run directory */
    int fd_kpis;                 /* kpis.csv */
    int fd_depts;                /* departments.csv */
    int fd_tps;                  /* touchpoints.csv */
    cx_buf_t buf;                /* scratch for one file's rows */
    cx_output_state_t st;        /* offsets, first and last rows, totals */
};

/* Prints a double the same way on every run: %.10g, and "" for NaN. */
static void s_num(cx_buf_t *b, double v, char sep)
{
    if (v != v) {
        cx_buf_printf(b, "%c", sep);
    } else {
        if (v == 0) {
            v = 0; /* no "-0" */
        }
        cx_buf_printf(b, "%.10g%c", v, sep);
    }
}

int cx_mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
        return -1;
    }
    struct stat st;
    if (stat(tmp, &st) != 0) {
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

const char *cx_output_run_file(const char *dir)
{
    static const char *const names[] = {"kpis.csv", "summary.json"};
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st; /* results are regular files (not, say, a link to /dev/full) */
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            return names[i];
        }
    }
    return NULL;
}

int cx_output_clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char path[4200];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            errno = ENAMETOOLONG;
            rc = -1;
            break;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = cx_output_clear_dir(path) == 0 && rmdir(path) == 0 ? 0 : -1;
        } else if (unlink(path) != 0) {
            rc = -1;
        }
    }
    if (rc == 0 && errno != 0) {
        rc = -1;
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return rc;
}

void cx_tick_totals_zero(cx_tick_totals_t *t)
{
    memset(t, 0, sizeof *t);
    cx_tally_zero(&t->total);
}

void cx_tick_totals_add(cx_tick_totals_t *t, const cx_tally_t *s)
{
    cx_tally_add(&t->total, s);
    if (s->journey >= 0 && s->journey < CX_MAX_JOURNEYS) {
        for (int i = 0; i < s->n_tp && i < CX_MAX_TOUCHPOINTS; i++) {
            cx_tp_tally_add(&t->tp[s->journey][i], &s->tp[i]);
        }
    }
}

/* kpis.csv columns: the table of models/cx_kpi_cols.c, in its order. */
int cx_kpi_row_columns(const cx_kpi_row_t *r, const char **names, double *values, int cap)
{
    for (int i = 0; i < cx_kpi_ncols && i < cap; i++) {
        names[i] = cx_kpi_cols[i].name;
        values[i] = cx_kpi_col_value(r, i);
    }
    return cx_kpi_ncols;
}

#define S_DEPTS_HEADER                                                                             \
    "tick,department,maturity,demand,handled,backlog,avg_wait,resolution_rate,handoffs,"           \
    "failed_handoffs,cost,employee_engagement,capacity\n"
#define S_TPS_HEADER                                                                               \
    "tick,journey,touchpoint,owner,interactions,integrity,resolution,expectations,time_effort,"    \
    "personalisation,empathy,experience,pain,delight,failed_handoffs,waited,abandoned\n"

static int s_open_csv(cx_output_t *o, const char *name, const char *header, char *err,
                      size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || cx_write_all(fd, header, strlen(header)) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* Room kept for summary.json: a full disk must still let the run say why
 * it stopped. DIR/.summary-room holds S_ROOM bytes from the start of the
 * output until summary.json is written, when it is removed first: the
 * space it frees is the summary's. Best effort (a disk already full at the
 * start has no room to keep). */
#define S_ROOM 8192
static void s_room_keep(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.summary-room", dir);
    static const char zeros[S_ROOM];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        (void)cx_write_all(fd, zeros, sizeof zeros); /* what could be kept is kept */
        close(fd);
    }
}

static void s_room_free(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.summary-room", dir);
    unlink(path);
}

cx_output_t *cx_output_open(const char *dir, const cx_scenario_t *sc, const char *resolved,
                            size_t resolved_len, char *err, size_t errlen)
{
    cx_output_t *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->sc = sc;
    o->fd_kpis = o->fd_depts = o->fd_tps = -1;
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    /* A file-size limit (ulimit -f) must come back as EFBIG from write(2),
     * reported like a full disk, not kill the process with SIGXFSZ before
     * it can say why and write summary.json. */
    signal(SIGXFSZ, SIG_IGN);
    if (cx_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create output directory %s: %s", dir, strerror(errno));
        free(o);
        return NULL;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", dir);
    if (cx_write_atomic(path, resolved, resolved_len) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(o);
        return NULL;
    }
    /* A summary from an earlier run in the same directory must not pass for
     * this one's: it is replaced only when this run closes. */
    snprintf(path, sizeof path, "%s/summary.json", dir);
    unlink(path);
    s_room_keep(dir);

    cx_buf_t h = {0};
    const char *names[64];
    double vals[64];
    cx_kpi_row_t zero = {0};
    int nc = cx_kpi_row_columns(&zero, names, vals, 64);
    for (int i = 0; i < nc; i++) {
        cx_buf_printf(&h, "%s%c", names[i], i + 1 < nc ? ',' : '\n');
    }
    if (h.oom) {
        free(h.p);
        free(o);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->fd_kpis = s_open_csv(o, "kpis.csv", h.p, err, errlen);
    o->st.offset[0] = (int64_t)h.n;
    free(h.p);
    if (o->fd_kpis >= 0) {
        o->fd_depts = s_open_csv(o, "departments.csv", S_DEPTS_HEADER, err, errlen);
    }
    if (o->fd_depts >= 0) {
        o->fd_tps = s_open_csv(o, "touchpoints.csv", S_TPS_HEADER, err, errlen);
    }
    o->st.offset[1] = (int64_t)strlen(S_DEPTS_HEADER);
    o->st.offset[2] = (int64_t)strlen(S_TPS_HEADER);
    if (o->fd_tps < 0) {
        if (o->fd_kpis >= 0) {
            close(o->fd_kpis);
        }
        if (o->fd_depts >= 0) {
            close(o->fd_depts);
        }
        free(o);
        return NULL;
    }
    return o;
}

static int s_flush(cx_output_t *o, int fd, const char *name, char *err, size_t errlen)
{
    int k = fd == o->fd_kpis ? 0 : fd == o->fd_depts ? 1 : 2;
    if (o->buf.oom) {
        snprintf(err, errlen, "out of memory formatting %s", name);
        return -1;
    }
    if (cx_write_all(fd, o->buf.p, o->buf.n) != 0) {
        snprintf(err, errlen, "cannot write %s/%s: %s", o->dir, name, strerror(errno));
        return -1;
    }
    o->st.offset[k] += (int64_t)o->buf.n;
    o->buf.n = 0;
    return 0;
}

static int s_write_tick(cx_output_t *o, const cx_kpi_row_t *row, const cx_tick_totals_t *t,
                        char *err, size_t errlen)
{
    const cx_scenario_t *sc = o->sc;
    cx_buf_t *b = &o->buf;
    const char *names[64];
    double vals[64];
    int nc = cx_kpi_row_columns(row, names, vals, 64);

    b->n = 0;
    for (int i = 0; i < nc; i++) {
        s_num(b, vals[i], i + 1 < nc ? ',' : '\n');
    }
    if (s_flush(o, o->fd_kpis, "kpis.csv", err, errlen) != 0) {
        return -1;
    }
    for (int d = 0; d < sc->n_dept; d++) {
        const cx_dept_stats_t *s = &t->dept[d];
        cx_buf_printf(b, "%d,%s,", row->tick, sc->dept[d].id);
        s_num(b, s->maturity, ',');
        s_num(b, s->demand, ',');
        s_num(b, s->handled, ',');
        s_num(b, s->backlog, ',');
        s_num(b, s->avg_wait_days, ',');
        s_num(b, s->resolution_rate, ',');
        s_num(b, s->handoffs, ',');
        s_num(b, s->failed_handoffs, ',');
        s_num(b, s->cost, ',');
        s_num(b, s->engagement, ',');
        s_num(b, s->capacity, '\n');
    }
    if (s_flush(o, o->fd_depts, "departments.csv", err, errlen) != 0) {
        return -1;
    }
    for (int j = 0; j < sc->n_journey; j++) {
        const cx_journey_spec_t *js = &sc->journey[j];
        for (int k = 0; k < js->n_tp; k++) {
            const cx_tp_tally_t *tp = &t->tp[j][k];
            int owner = js->tp[k].owner;
            cx_buf_printf(b, "%d,%s,%s,%s,%lld,", row->tick, js->id, js->tp[k].id,
                      owner >= 0 ? sc->dept[owner].id : "external", (long long)tp->interactions);
            double n = (double)tp->interactions;
            for (int p = 0; p < CX_PILLARS; p++) {
                s_num(b, n > 0 ? (double)tp->pillar_sum[p] / ((double)CX_SCORE_SCALE * n) : 0.0 / 0.0,
                      ',');
            }
            s_num(b, n > 0 ? (double)tp->experience_micro / (CX_MICRO * n) : 0.0 / 0.0, ',');
            cx_buf_printf(b, "%lld,%lld,%lld,%lld,%lld\n", (long long)tp->pain,
                          (long long)tp->delight, (long long)tp->failed_handoffs,
                          (long long)tp->waited, (long long)tp->abandoned);
        }
    }
    if (s_flush(o, o->fd_tps, "touchpoints.csv", err, errlen) != 0) {
        return -1;
    }
    cx_output_state_t *st = &o->st;
    if (st->ticks == 0) {
        st->first = *row;
    }
    st->last = *row;
    st->ticks++;
    st->revenue += row->revenue;
    st->cost += row->cost;
    st->investment += row->investment;
    st->acquired += row->acquired;
    st->churned += row->churned;
    st->purchases += row->purchases;
    st->referral_purchases += row->referral_purchases;
    st->interactions += row->interactions;
    st->gross_profit += row->gross_profit;
    st->marketing_cost += row->marketing_cost;
    st->operating_profit += row->operating_profit;
    st->customer_ticks += (double)row->customers;
    return 0;
}

int cx_output_tick(cx_output_t *o, const cx_kpi_row_t *row, const cx_tick_totals_t *t, char *err,
                   size_t errlen)
{
    int64_t before[3] = {o->st.offset[0], o->st.offset[1], o->st.offset[2]};
    if (s_write_tick(o, row, t, err, errlen) == 0) {
        return 0;
    }
    /* A tick is in all three files or in none: cut back the partial row a
     * short write leaves (a full disk, a file-size limit) and this tick's
     * rows already written to the other files, so that the files end with
     * the last whole tick, as ticks_completed in summary.json says. */
    int fds[3] = {o->fd_kpis, o->fd_depts, o->fd_tps};
    for (int i = 0; i < 3; i++) {
        if (ftruncate(fds[i], (off_t)before[i]) != 0 ||
            lseek(fds[i], (off_t)before[i], SEEK_SET) < 0) {
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, " (and cannot cut it back to whole rows: %s)",
                     strerror(errno));
        }
        o->st.offset[i] = before[i];
    }
    return -1;
}

static void s_json_row(cx_buf_t *b, const char *key, const cx_kpi_row_t *r, int present)
{
    cx_buf_printf(b, "  \"%s\": ", key);
    if (!present) {
        cx_buf_printf(b, "null,\n");
        return;
    }
    cx_buf_printf(b, "{\"tick\": %d, \"customers\": %lld, \"nps\": %.10g, \"csat\": %.10g, "
                 "\"ces\": %.10g, \"churn_rate\": %.10g, \"revenue\": %.10g, "
                 "\"employee_engagement\": %.10g, \"satisfaction\": %.10g},\n",
              r->tick, (long long)r->customers, r->nps, r->csat, r->ces, r->churn_rate,
              r->revenue, r->employee_engagement, r->satisfaction);
}

int cx_output_close(cx_output_t **o_p, const cx_run_info_t *info, char *err, size_t errlen)
{
    cx_output_t *o = *o_p;
    if (!o) {
        return 0;
    }
    *o_p = NULL;
    int rc = 0;
    int fds[3] = {o->fd_kpis, o->fd_depts, o->fd_tps};
    for (int i = 0; i < 3; i++) {
        if (fsync(fds[i]) != 0 && rc == 0 && errno != EINVAL) {
            snprintf(err, errlen, "cannot sync results in %s: %s", o->dir, strerror(errno));
            rc = -1;
        }
        if (close(fds[i]) != 0 && rc == 0) {
            snprintf(err, errlen, "cannot close results in %s: %s", o->dir, strerror(errno));
            rc = -1;
        }
    }
    const cx_scenario_t *sc = o->sc;
    cx_buf_t b = {0};
    const char *status = rc == 0 ? info->status : "failed";
    cx_buf_printf(&b, "{\n  \"cxsim_version\": \"%s\",\n  \"scenario\": ", CX_VERSION);
    cx_json_text(&b, sc->name);
    cx_buf_printf(&b, ",\n  \"status\": ");
    cx_json_text(&b, status);
    cx_buf_printf(&b, ",\n  \"reason\": ");
    cx_json_text(&b, rc == 0 ? info->reason : err);
    cx_buf_printf(&b, ",\n  \"mode\": ");
    cx_json_text(&b, info->mode);
    cx_buf_printf(&b, ",\n  \"seed\": %llu,\n  \"ticks\": %d,\n  \"ticks_completed\": %d,\n",
              (unsigned long long)sc->seed, sc->ticks, o->st.ticks);
    cx_buf_printf(&b, "  \"tick_unit\": \"%s\",\n", cx_tick_unit_name(sc->tick_unit));
    cx_buf_printf(&b, "  \"processes\": %d,\n  \"wall_seconds\": %.3f,\n", info->processes,
              info->wall_seconds);
    const cx_output_state_t *st = &o->st;
    s_json_row(&b, "first", &st->first, st->ticks > 0);
    s_json_row(&b, "last", &st->last, st->ticks > 0);
    cx_buf_printf(&b,
              "  \"totals\": {\"revenue\": %.10g, \"cost\": %.10g, \"investment\": %.10g, "
              "\"acquired\": %lld, \"churned\": %lld, \"purchases\": %lld, "
              "\"referral_purchases\": %lld, \"interactions\": %lld},\n",
              st->revenue, st->cost, st->investment, (long long)st->acquired,
              (long long)st->churned, (long long)st->purchases, (long long)st->referral_purchases,
              (long long)st->interactions);
    /* Yearly figures: churn as the share of customers lost in a year at
     * the run's average hazard, 1 - exp(-churned / customer-years), and
     * profit per year of the run. */
    double years = (double)st->ticks * cx_tick_days(sc->tick_unit) / 365.0;
    double cyears = st->customer_ticks * cx_tick_days(sc->tick_unit) / 365.0;
    double annual_churn = cyears > 0.0 ? 100.0 * (1.0 - exp(-(double)st->churned / cyears)) : 0.0;
    cx_buf_printf(&b,
              "  \"yearly\": {\"churn_rate\": %.10g, \"revenue\": %.10g, \"gross_profit\": %.10g, "
              "\"marketing_cost\": %.10g, \"cost\": %.10g, \"investment\": %.10g, "
              "\"operating_profit\": %.10g, \"operating_margin\": %.10g},\n",
              annual_churn, years > 0 ? st->revenue / years : 0.0,
              years > 0 ? st->gross_profit / years : 0.0,
              years > 0 ? st->marketing_cost / years : 0.0, years > 0 ? st->cost / years : 0.0,
              years > 0 ? st->investment / years : 0.0,
              years > 0 ? st->operating_profit / years : 0.0,
              st->revenue > 0 ? 100.0 * st->operating_profit / st->revenue : 0.0);
    /* Maturity transitions: planned against effective duration (the speed
     * of change stretches a ramp) and the cost booked within the run. */
    cx_buf_printf(&b, "  \"transitions\": [");
    const cx_company_t *co = info->company;
    for (int i = 0; co && i < co->n_trans; i++) {
        const cx_transition_t *tr = &co->trans[i];
        double dd = cx_tick_days(sc->tick_unit);
        int done = st->ticks - tr->tick;
        done = done < 0 ? 0 : (done > tr->effective ? tr->effective : done);
        cx_buf_printf(&b, "%s\n    {\"department\": ", i ? "," : "");
        cx_json_text(&b, tr->dept >= 0 && tr->dept < sc->n_dept ? sc->dept[tr->dept].id : "?");
        cx_buf_printf(&b,
                  ", \"at\": %d, \"from\": %.10g, \"to\": %.10g, \"planned_ticks\": %d, "
                  "\"effective_ticks\": %d, \"planned_days\": %.10g, \"effective_days\": %.10g, "
                  "\"cost\": %.10g, \"cost_booked\": %.10g}",
                  tr->tick, tr->from, tr->to, tr->planned, tr->effective, tr->planned * dd,
                  tr->effective * dd, tr->cost,
                  tr->effective > 0 ? tr->cost * done / tr->effective : 0.0);
    }
    cx_buf_printf(&b, "%s],\n", co && co->n_trans ? "\n  " : "");
    cx_buf_printf(&b,
              "  \"messages\": {\"received\": %lld, \"bytes\": %lld, \"dropped\": %lld, "
              "\"dropped_by_coordinator\": %lld, \"control_commands\": %lld, "
              "\"control_refused\": %lld}\n}\n",
              (long long)info->messages, (long long)info->bytes, (long long)info->dropped,
              (long long)info->dropped_coordinator, (long long)info->control_commands,
              (long long)info->control_refused);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", o->dir);
    s_room_free(o->dir);
    if (b.oom) {
        snprintf(err, errlen, "out of memory writing the summary");
        rc = -1;
    } else if (cx_write_atomic(path, b.p, b.n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(b.p);
    free(o->buf.p);
    free(o);
    return rc;
}

void cx_output_get_state(const cx_output_t *o, cx_output_state_t *st)
{
    *st = o->st;
}

int cx_output_check_lengths(const char *dir, const cx_output_state_t *st, char *err,
                            size_t errlen)
{
    static const char *names[3] = {"kpis.csv", "departments.csv", "touchpoints.csv"};
    for (int i = 0; i < 3; i++) {
        char path[4200];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &sb) != 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        if (sb.st_size < st->offset[i]) {
            snprintf(err, errlen, "%s is shorter (%lld bytes) than the checkpoint says (%lld)",
                     path, (long long)sb.st_size, (long long)st->offset[i]);
            return -1;
        }
    }
    return 0;
}

cx_output_t *cx_output_reopen(const char *dir, const cx_scenario_t *sc,
                              const cx_output_state_t *st, char *err, size_t errlen)
{
    static const char *names[3] = {"kpis.csv", "departments.csv", "touchpoints.csv"};
    cx_output_t *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->sc = sc;
    o->st = *st;
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    s_room_keep(dir);
    int fds[3] = {-1, -1, -1};
    for (int i = 0; i < 3; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        fds[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (fds[i] < 0 || fstat(fds[i], &sb) != 0) {
            snprintf(err, errlen, "cannot reopen %s: %s", path, strerror(errno));
        } else if (sb.st_size < st->offset[i]) {
            snprintf(err, errlen, "%s is shorter (%lld bytes) than the checkpoint says (%lld)",
                     path, (long long)sb.st_size, (long long)st->offset[i]);
        } else if (ftruncate(fds[i], st->offset[i]) != 0 ||
                   lseek(fds[i], st->offset[i], SEEK_SET) < 0) {
            snprintf(err, errlen, "cannot cut %s back to the checkpoint: %s", path,
                     strerror(errno));
        } else {
            continue;
        }
        for (int k = 0; k <= i; k++) {
            if (fds[k] >= 0) {
                close(fds[k]);
            }
        }
        free(o);
        return NULL;
    }
    o->fd_kpis = fds[0];
    o->fd_depts = fds[1];
    o->fd_tps = fds[2];
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    unlink(path);
    return o;
}

int cx_output_summary_amend(const char *dir, const char *scenario, const char *status,
                            const char *reason)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *old = NULL;
    size_t old_len = 0;
    cx_buf_t b;
    cx_buf_init(&b);
    if (cx_read_file(path, 16 << 20, &old, &old_len) == 0) {
        /* Our own layout (cx_output_close): the status and reason lines sit
         * between the scenario's and the mode's. */
        const char *from = strstr(old, ",\n  \"status\": ");
        const char *to = from ? strstr(from, ",\n  \"mode\": ") : NULL;
        if (!from || !to) {
            free(old);
            cx_buf_fini(&b);
            errno = EINVAL;
            return -1;
        }
        cx_buf_printf(&b, "%.*s,\n  \"status\": ", (int)(from - old), old);
        cx_json_text(&b, status);
        cx_buf_printf(&b, ",\n  \"reason\": ");
        cx_json_text(&b, reason);
        cx_buf_printf(&b, ",\n  \"amended_by\": \"cxsim run\"%s", to);
        free(old);
    } else if (errno == ENOENT) {
        /* Whole rows only: a tick is in kpis.csv entirely or not at all. */
        char kp[4200];
        snprintf(kp, sizeof kp, "%s/kpis.csv", dir);
        long rows = 0;
        /* A regular file only, read up to its size: kpis.csv may be a link
         * to a device (/dev/full, /dev/zero) that never ends. */
        int fd = open(kp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            char chunk[65536];
            off_t left = st.st_size;
            ssize_t n;
            while (left > 0 && (n = read(fd, chunk, sizeof chunk)) > 0) {
                for (ssize_t i = 0; i < n; i++) {
                    rows += chunk[i] == '\n';
                }
                left -= n;
            }
        }
        if (fd >= 0) {
            close(fd);
        }
        cx_buf_printf(&b, "{\n  \"cxsim_version\": \"%s\",\n  \"scenario\": ", CX_VERSION);
        cx_json_text(&b, scenario);
        cx_buf_printf(&b, ",\n  \"status\": ");
        cx_json_text(&b, status);
        cx_buf_printf(&b, ",\n  \"reason\": ");
        cx_json_text(&b, reason);
        cx_buf_printf(&b, ",\n  \"written_by\": \"cxsim run\",\n  \"ticks_completed\": %ld\n}\n",
                  rows > 0 ? rows - 1 : 0);
    } else {
        cx_buf_fini(&b);
        return -1;
    }
    if (b.oom) {
        cx_buf_fini(&b);
        errno = ENOMEM;
        return -1;
    }
    int rc = cx_write_atomic(path, b.p, b.n);
    cx_buf_fini(&b);
    return rc;
}
