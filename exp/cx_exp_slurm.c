/*  cx_exp_slurm — what became of the runs an experiment handed to Slurm
 *  (see cx_exp_slurm.h for the classification table).
 *
 *  Each Slurm job is asked once per report: sacct first (it remembers jobs
 *  for good, but only with an accounting database), then `scontrol -o show
 *  job`, which lists every array task the controller still holds, one
 *  record a line, pending tasks folded into one record with a range
 *  ("ArrayTaskId=3-5"). "Invalid job id" from either means the controller
 *  has forgotten the job: its runs without run.json are lost.
 */
#include "cx_exp_slurm.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_util.h"
#include "cx_output.h"
#include "cx_version.h"

#define S_STATE_LEN 32 /* a Slurm job state name */
#define S_EXIT_LEN 16  /* "EXIT:SIGNAL" */

typedef struct {
    char state[S_STATE_LEN]; /* Slurm state, "" when Slurm does not list the task */
    char exitc[S_EXIT_LEN];  /* Slurm exit code "EXIT:SIGNAL" */
} s_task_t;

const char *cx_exp_slurm_state_name(cx_exp_slurm_state_t s)
{
    static const char *const names[CX_SLURM_NSTATES] = {"queued", "running", "done",
                                                        "failed", "lost",    "unknown"};
    return s >= 0 && s < CX_SLURM_NSTATES ? names[s] : "?";
}

int cx_exp_slurm_capture(char *const argv[], char *out, size_t cap, int with_stderr)
{
    int fd[2];
    out[0] = '\0';
    if (pipe(fd) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        if (with_stderr) {
            dup2(fd[1], 2);
        }
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t got;
    char sink[512];
    while ((got = read(fd[0], n + 1 < cap ? out + n : sink,
                       n + 1 < cap ? cap - n - 1 : sizeof sink)) != 0) {
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (n + 1 < cap) {
            n += (size_t)got;
        }
    }
    out[n] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        errno = ENOENT;
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Sets tasks[i] for every i in a task list "3", "0-5", "1,4-6", "0-9%2". */
static void s_set_tasks(const char *list, s_task_t *tasks, int n, const char *state,
                        const char *exitc)
{
    const char *p = list;
    while (*p && *p != '%' && *p != ']' && *p != ' ' && *p != '|' && *p != '\n') {
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p) {
            return;
        }
        long b = a;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1) {
                return;
            }
            p = end;
        }
        for (long i = a; i <= b && i < n; i++) {
            if (i >= 0) {
                snprintf(tasks[i].state, sizeof tasks[i].state, "%s", state);
                snprintf(tasks[i].exitc, sizeof tasks[i].exitc, "%s", exitc);
            }
        }
        if (*p == ',') {
            p++;
        }
    }
}

/* The value of "Key=" in a scontrol record, up to the next space, into v. */
static bool s_field(const char *rec, const char *key, char *v, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = rec; (p = strstr(p, key)); p += kl) {
        if (p != rec && p[-1] != ' ') {
            continue;
        }
        if (p[kl] != '=') {
            continue;
        }
        p += kl + 1;
        size_t len = strcspn(p, " \n");
        if (len >= cap) {
            len = cap - 1;
        }
        memcpy(v, p, len);
        v[len] = '\0';
        return true;
    }
    return false;
}

/* Asks Slurm about job `job`'s tasks 0..n-1. Returns 0 (tasks filled; a
 * task Slurm no longer lists keeps state ""), 1 (Slurm does not know the
 * job any more), -1 (Slurm cannot be asked: why in why). */
static int s_ask(const char *job, s_task_t *tasks, int n, char *why, size_t whylen)
{
    static char out[1 << 20];
    for (int i = 0; i < n; i++) {
        tasks[i].state[0] = tasks[i].exitc[0] = '\0';
    }
    char jid[64];
    snprintf(jid, sizeof jid, "%s", job);
    char *sacct[] = {"sacct", "-n", "-P", "-X", "-j", jid, "-o", "JobID,State,ExitCode", NULL};
    /* Its stderr captured too: without accounting it says so there. */
    int rc = cx_exp_slurm_capture(sacct, out, sizeof out, 1);
    if (rc == 0 && strchr(out, '|')) {
        char *save = NULL;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *bar = strchr(line, '|');
            if (!bar) {
                continue;
            }
            *bar = '\0';
            char *state = bar + 1;
            char *bar2 = strchr(state, '|');
            const char *exitc = "";
            if (bar2) {
                *bar2 = '\0';
                exitc = bar2 + 1;
            }
            state[strcspn(state, " ")] = '\0'; /* "CANCELLED by 0" */
            char *us = strchr(line, '_');
            if (!us) {
                continue;
            }
            s_set_tasks(us[1] == '[' ? us + 2 : us + 1, tasks, n, state, exitc);
        }
        return 0;
    }
    char *sc[] = {"scontrol", "-o", "show", "job", jid, NULL};
    rc = cx_exp_slurm_capture(sc, out, sizeof out, 1);
    if (rc < 0) {
        snprintf(why, whylen, "cannot run scontrol: %s", strerror(errno));
        return -1;
    }
    if (rc != 0) {
        if (strstr(out, "Invalid job id")) {
            return 1;
        }
        out[strcspn(out, "\n")] = '\0';
        snprintf(why, whylen, "scontrol show job %s: %.100s", job, out);
        return -1;
    }
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char list[256], state[S_STATE_LEN], exitc[S_EXIT_LEN] = "";
        if (!s_field(line, "JobState", state, sizeof state)) {
            continue;
        }
        s_field(line, "ExitCode", exitc, sizeof exitc);
        if (s_field(line, "ArrayTaskId", list, sizeof list)) {
            s_set_tasks(list, tasks, n, state, exitc);
        } else if (n == 1) {
            s_set_tasks("0", tasks, n, state, exitc); /* not an array job */
        }
    }
    return 0;
}

/* "exit 3", "signal 9" or "" from Slurm's "EXIT:SIGNAL". */
static void s_exit_text(const char *exitc, char *buf, size_t cap)
{
    int e = 0, s = 0;
    buf[0] = '\0';
    if (sscanf(exitc, "%d:%d", &e, &s) == 2) {
        if (s) {
            snprintf(buf, cap, ", signal %d", s);
        } else {
            snprintf(buf, cap, ", exit %d", e);
        }
    }
}

static void s_classify(cx_exp_slurm_run_t *r, const char *job, int task, int asked,
                       const s_task_t *t, const char *ask_why)
{
    snprintf(r->job, sizeof r->job, "%.48s_%d", job, task);
    if (asked < 0) {
        r->state = CX_SLURM_UNKNOWN;
        snprintf(r->why, sizeof r->why, "%s", ask_why);
        return;
    }
    if (asked == 1 || t->state[0] == '\0') {
        r->state = CX_SLURM_LOST;
        snprintf(r->why, sizeof r->why, "Slurm no longer lists task %s; no result", r->job);
        return;
    }
    const char *st = t->state;
    char ex[40];
    s_exit_text(t->exitc, ex, sizeof ex);
    if (!strcmp(st, "PENDING") || !strcmp(st, "REQUEUED") || !strcmp(st, "SUSPENDED") ||
        !strcmp(st, "REQUEUE_HOLD") || !strcmp(st, "REQUEUE_FED") || !strcmp(st, "RESV_DEL_HOLD")) {
        r->state = CX_SLURM_QUEUED;
    } else if (!strcmp(st, "RUNNING") || !strcmp(st, "CONFIGURING") || !strcmp(st, "COMPLETING") ||
               !strcmp(st, "STAGE_OUT") || !strcmp(st, "SIGNALING") || !strcmp(st, "RESIZING")) {
        r->state = CX_SLURM_RUNNING;
    } else if (!strncmp(st, "CANCELLED", 9)) {
        r->state = CX_SLURM_LOST;
        snprintf(r->why, sizeof r->why, "task %s cancelled, no result", r->job);
    } else if (!strcmp(st, "COMPLETED")) {
        r->state = CX_SLURM_LOST;
        snprintf(r->why, sizeof r->why, "task %s ended without writing its result", r->job);
    } else {
        r->state = CX_SLURM_FAILED;
        snprintf(r->why, sizeof r->why, "task %s %s%s", r->job, st, ex);
    }
}

static int s_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* By directory, then by plan: the latest plan's entry comes last. */
static int s_cmp_run(const void *a, const void *b)
{
    const cx_exp_slurm_run_t *x = a, *y = b;
    int c = strcmp(x->dir, y->dir);
    return c ? c : (x->plan > y->plan) - (x->plan < y->plan);
}

/* Adds plan file `path` (index pi) to rep. */
static int s_add_plan(cx_exp_db_t *db, const char *root, const char *path, int pi,
                      cx_exp_slurm_report_t *rep, char *err, size_t errlen)
{
    char *text = cx_exp_read_file(path, 1u << 30, NULL);
    if (!text) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *nl = strchr(text, '\n');
    char tasks_s[32] = "";
    if (nl) {
        *nl = '\0';
        cx_exp_json_text(text, "$.tasks", tasks_s, sizeof tasks_s);
    }
    int ntasks = atoi(tasks_s);
    if (!nl || ntasks <= 0) {
        free(text); /* not a plan: ignore it */
        return 0;
    }
    /* plan-STAMP.jsonl -> meta slurm_job_STAMP. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char key[256], job[64] = "";
    snprintf(key, sizeof key, "slurm_job_%.*s", (int)(strlen(base) - 11), base + 5);
    int have_job = cx_exp_db_meta_get(db, key, job, sizeof job) == 1 && job[0];
    s_task_t *tasks = calloc((size_t)ntasks, sizeof *tasks);
    if (!tasks) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char why[160] = "no Slurm job recorded for this plan (--no-submit?)";
    int asked = have_job ? s_ask(job, tasks, ntasks, why, sizeof why) : -1;
    char *save = NULL;
    int idx = 0, rc = 0;
    for (char *line = strtok_r(nl + 1, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cx_exp_run_t run;
        char e2[256];
        if (cx_exp_run_from_json(line, &run, e2, sizeof e2) != 0) {
            continue;
        }
        if (rep->n % 256 == 0) {
            cx_exp_slurm_run_t *grow = realloc(rep->run, (size_t)(rep->n + 256) * sizeof *grow);
            if (!grow) {
                cx_exp_run_fini(&run);
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            rep->run = grow;
        }
        cx_exp_slurm_run_t *r = &rep->run[rep->n++];
        memset(r, 0, sizeof *r);
        snprintf(r->dir, sizeof r->dir, "%s", run.dir);
        r->plan = pi;
        int task = idx % ntasks;
        idx++;
        cx_exp_run_fini(&run);
        char rj[4800];
        snprintf(rj, sizeof rj, "%s/%s/run.json", root, r->dir);
        char *prev = cx_exp_read_file(rj, 1u << 20, NULL);
        if (prev) {
            char status[32] = "", reason[160] = "";
            cx_exp_json_text(prev, "$.status", status, sizeof status);
            cx_exp_json_text(prev, "$.reason", reason, sizeof reason);
            free(prev);
            snprintf(r->job, sizeof r->job, "%.48s_%d", have_job ? job : "?", task);
            if (!strcmp(status, "completed")) {
                r->state = CX_SLURM_DONE;
            } else {
                r->state = CX_SLURM_FAILED;
                snprintf(r->why, sizeof r->why, "%s", reason[0] ? reason : "failed");
            }
            continue;
        }
        s_classify(r, have_job ? job : "?", task, asked, &tasks[task], why);
    }
    free(tasks);
    free(text);
    return rc;
}

int cx_exp_slurm_report(cx_exp_db_t *db, const char *root, const char *only_plan,
                        cx_exp_slurm_report_t *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    if (only_plan) {
        if (s_add_plan(db, root, only_plan, 0, rep, err, errlen) != 0) {
            return -1;
        }
        rep->plans = 1;
    } else {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/slurm", root);
        DIR *d = opendir(dir);
        if (!d) {
            return 0; /* nothing was handed to Slurm */
        }
        char **names = NULL;
        int nn = 0, rc = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (strncmp(e->d_name, "plan-", 5) != 0 || len < 12 ||
                strcmp(e->d_name + len - 6, ".jsonl") != 0) {
                continue;
            }
            char **grow = realloc(names, (size_t)(nn + 1) * sizeof *grow);
            char *copy = strdup(e->d_name);
            if (!grow || !copy) {
                free(copy);
                names = grow ? grow : names;
                rc = -1;
                snprintf(err, errlen, "out of memory");
                break;
            }
            names = grow;
            names[nn++] = copy;
        }
        closedir(d);
        /* The stamps (UTC time, then pid) sort in submission order. */
        if (nn > 1) {
            qsort(names, (size_t)nn, sizeof *names, s_cmp_name);
        }
        for (int i = 0; i < nn && rc == 0; i++) {
            char path[4500];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            rc = s_add_plan(db, root, path, i, rep, err, errlen);
        }
        for (int i = 0; i < nn; i++) {
            free(names[i]);
        }
        free(names);
        rep->plans = nn;
        if (rc != 0) {
            return -1;
        }
    }
    /* Keep each run's latest entry. */
    if (rep->n > 1) {
        qsort(rep->run, (size_t)rep->n, sizeof *rep->run, s_cmp_run);
        int w = 0;
        for (int i = 0; i < rep->n; i++) {
            if (i + 1 < rep->n && !strcmp(rep->run[i].dir, rep->run[i + 1].dir)) {
                continue;
            }
            rep->run[w++] = rep->run[i];
        }
        rep->n = w;
    }
    for (int i = 0; i < rep->n; i++) {
        rep->count[rep->run[i].state]++;
    }
    return 0;
}

void cx_exp_slurm_report_fini(cx_exp_slurm_report_t *rep)
{
    free(rep->run);
    memset(rep, 0, sizeof *rep);
}

static void s_name_runs(const cx_exp_slurm_report_t *rep, FILE *fp, const char *who,
                        cx_exp_slurm_state_t s)
{
    if (!rep->count[s]) {
        return;
    }
    fprintf(fp, "%s: %s:", who, cx_exp_slurm_state_name(s));
    int shown = 0;
    for (int i = 0; i < rep->n && shown < 20; i++) {
        if (rep->run[i].state == s) {
            fprintf(fp, "%s %s (%s)", shown ? ";" : "", rep->run[i].dir, rep->run[i].why);
            shown++;
        }
    }
    if (rep->count[s] > shown) {
        fprintf(fp, "; and %d more", rep->count[s] - shown);
    }
    fprintf(fp, "\n");
}

void cx_exp_slurm_report_print(const cx_exp_slurm_report_t *rep, FILE *fp, const char *who)
{
    if (rep->n == 0) {
        return;
    }
    fprintf(fp, "%s: %d run%s handed to Slurm:", who, rep->n, rep->n == 1 ? "" : "s");
    const char *sep = " ";
    for (int s = 0; s < CX_SLURM_NSTATES; s++) {
        if (rep->count[s] || s <= CX_SLURM_DONE) {
            fprintf(fp, "%s%d %s", sep, rep->count[s], cx_exp_slurm_state_name(s));
            sep = ", ";
        }
    }
    fprintf(fp, "\n");
    s_name_runs(rep, fp, who, CX_SLURM_LOST);
    s_name_runs(rep, fp, who, CX_SLURM_FAILED);
    if (rep->count[CX_SLURM_UNKNOWN]) {
        for (int i = 0; i < rep->n; i++) {
            if (rep->run[i].state == CX_SLURM_UNKNOWN) {
                fprintf(fp, "%s: %d run%s not finished, state unknown: %s\n", who,
                        rep->count[CX_SLURM_UNKNOWN],
                        rep->count[CX_SLURM_UNKNOWN] == 1 ? "" : "s", rep->run[i].why);
                break;
            }
        }
    }
}

/* Customers at tick 0 and ticks of point pi's runs; -1 when it cannot be
 * loaded. */
static int s_point_size(cx_exp_plan_t *pl, int pi, double *customers, double *ticks)
{
    char err[512];
    const cx_scenario_t *sc = cx_exp_plan_scenario(pl, pi, err, sizeof err);
    if (!sc) {
        return -1;
    }
    *customers = 0;
    for (int i = 0; i < sc->n_persona; i++) {
        *customers += (double)sc->persona[i].customers;
    }
    *ticks = sc->ticks;
    return 0;
}

int cx_exp_slurm_tasks(cx_exp_plan_t *pl, const cx_exp_run_t *runs, int n, double target_s,
                       double *task_s, char *how, size_t howlen)
{
    int np = pl->n_point;
    double *per_tick = calloc((size_t)(np ? np : 1), sizeof *per_tick); /* measured s/tick */
    double *size = calloc((size_t)(np ? np : 1), sizeof *size);         /* customers */
    double *ticks = calloc((size_t)(np ? np : 1), sizeof *ticks);       /* ticks per run */
    int cap = n < 100 ? n : 100;
    *task_s = 0;
    if (!per_tick || !size || !ticks || n <= 0) {
        free(per_tick);
        free(size);
        free(ticks);
        snprintf(how, howlen, "one run per task");
        return cap > 0 ? cap : 1;
    }
    /* What this directory measured: s/tick per point, s/customer-tick overall. */
    double sum_wall = 0, sum_work = 0;
    int measured = 0;
    for (int pi = 0; pi < np; pi++) {
        double w, t;
        if (s_point_size(pl, pi, &size[pi], &ticks[pi]) != 0) {
            size[pi] = ticks[pi] = 0;
        }
        int k = cx_exp_db_point_cost(pl->db, pl->point[pi].id, &w, &t);
        if (k > 0 && t > 0) {
            per_tick[pi] = w / t;
            sum_wall += w;
            sum_work += t * size[pi];
            measured += k;
        }
    }
    double rate = sum_work > 0 ? sum_wall / sum_work : CX_EXP_SLURM_RATE;
    double total = 0;
    for (int i = 0; i < n; i++) {
        int pi = cx_exp_plan_find(pl, runs[i].point);
        if (pi < 0) {
            total += CX_EXP_SLURM_START;
        } else if (per_tick[pi] > 0) {
            total += per_tick[pi] * ticks[pi];
        } else {
            total += CX_EXP_SLURM_START + rate * size[pi] * ticks[pi];
        }
    }
    free(per_tick);
    free(size);
    free(ticks);
    int tasks = (int)(total / target_s);
    if (tasks < 1) {
        tasks = 1;
    }
    if (tasks > cap) {
        tasks = cap;
    }
    *task_s = total / tasks;
    if (measured) {
        snprintf(how, howlen, "measured from %d finished run%s", measured,
                 measured == 1 ? "" : "s");
    } else {
        snprintf(how, howlen, "estimated from customers x ticks");
    }
    return tasks;
}

/* ---- submitting batches of runs ----------------------------------------- */

/* Appends s single-quoted for a POSIX shell. */
static void s_shq(cx_exp_buf_t *b, const char *s)
{
    cx_exp_buf_printf(b, "'");
    for (; *s; s++) {
        if (*s == '\'') {
            cx_exp_buf_printf(b, "'\\''");
        } else {
            cx_exp_buf_printf(b, "%c", *s);
        }
    }
    cx_exp_buf_printf(b, "'");
}

int cx_exp_slurm_write(const char *root, const char *engine, const cx_exp_run_t *runs, int n,
                       int tasks, const cx_exp_slurm_job_t *job, char *stamp, char *plan,
                       char *script, size_t cap, char *err, size_t errlen)
{
    char dir[4200], logs[4300];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, 64, "%Y%m%d-%H%M%S", &tm);
    size_t sl = strlen(stamp);
    snprintf(stamp + sl, 64 - sl, "-%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/slurm", root);
    snprintf(logs, sizeof logs, "%s/logs", dir);
    /* Two batches within a second from one process: a fresh stamp each. */
    snprintf(plan, cap, "%s/plan-%s.jsonl", dir, stamp);
    for (int k = 2; access(plan, F_OK) == 0 && k < 1000; k++) {
        snprintf(stamp + sl, 64 - sl, "-%d-%d", (int)getpid(), k);
        snprintf(plan, cap, "%s/plan-%s.jsonl", dir, stamp);
    }
    snprintf(script, cap, "%s/job-%s.sh", dir, stamp);
    if (cx_mkdirs(logs) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", logs, strerror(errno));
        return -1;
    }
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    cx_exp_buf_printf(&b, "{\"cxsim_plan\": 1, \"root\": ");
    cx_json_text(&b, root);
    cx_exp_buf_printf(&b, ", \"engine\": \"%s\", \"runs\": %d, \"tasks\": %d}\n", engine, n, tasks);
    for (int i = 0; i < n; i++) {
        cx_exp_run_to_json(&b, &runs[i]);
        cx_exp_buf_printf(&b, "\n");
    }
    if (b.oom || cx_write_atomic(plan, b.p, b.n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", plan, strerror(errno));
        cx_exp_buf_fini(&b);
        return -1;
    }
    cx_exp_buf_reset(&b);
    cx_exp_buf_printf(&b,
                      "#!/bin/bash\n"
                      "# cxsim %s %s of %s: %d runs in %d array tasks.\n"
                      "# Each task runs its share of the plan into runs/; then:\n"
                      "#   cxsim collect %s\n",
                      CX_VERSION, job->kind, root, n, tasks, root);
    cx_exp_buf_printf(&b, "#SBATCH --job-name=cxsim-%s\n#SBATCH --array=0-%d\n", job->kind,
                      tasks - 1);
    cx_exp_buf_printf(&b, "#SBATCH --output=%s/%s-%%a.out\n", logs, stamp);
    cx_exp_buf_printf(&b, "#SBATCH --cpus-per-task=%d\n", job->jobs);
    for (int i = 0; i < job->n_opt; i++) {
        cx_exp_buf_printf(&b, "#SBATCH %s\n", job->opt[i]);
    }
    cx_exp_buf_printf(&b, "set -eu\nexec ");
    s_shq(&b, job->exe);
    cx_exp_buf_printf(&b, " sweep --worker ");
    s_shq(&b, plan);
    cx_exp_buf_printf(&b, " --task \"$SLURM_ARRAY_TASK_ID\" --of %d --jobs %d\n", tasks,
                      job->jobs);
    if (b.oom || cx_write_atomic(script, b.p, b.n) != 0 || chmod(script, 0755) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", script, strerror(errno));
        cx_exp_buf_fini(&b);
        return -1;
    }
    cx_exp_buf_fini(&b);
    return 0;
}

int cx_exp_slurm_sbatch(cx_exp_db_t *db, const char *script, const char *stamp, char *job,
                        size_t cap, char *err, size_t errlen)
{
    char out[512];
    char *argv[] = {"sbatch", "--parsable", (char *)script, NULL};
    int rc = cx_exp_slurm_capture(argv, out, sizeof out, 1);
    if (rc != 0) {
        out[strcspn(out, "\n")] = '\0';
        snprintf(err, errlen, "sbatch %s: %s; the job script is %s", script,
                 rc < 0 ? strerror(errno) : out[0] ? out : "failed", script);
        return -1;
    }
    out[strcspn(out, ";\n")] = '\0';
    snprintf(job, cap, "%.40s", out);
    char key[128], e2[512];
    snprintf(key, sizeof key, "slurm_job_%s", stamp);
    cx_exp_db_meta_set(db, key, job, e2, sizeof e2);
    return 0;
}

/* Run.json files of runs[0..n-1] written so far. */
static int s_finished(const char *root, const cx_exp_run_t *runs, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        char p[4800];
        snprintf(p, sizeof p, "%s/%s/run.json", root, runs[i].dir);
        k += access(p, F_OK) == 0;
    }
    return k;
}

int cx_exp_slurm_loop(cx_exp_exec_t *ex, cx_exp_plan_t *pl, const cx_exp_slurm_job_t *job,
                      cx_exp_done_fn *on_done, void *ud, volatile sig_atomic_t *stop, char *err,
                      size_t errlen)
{
    const char *root = cx_exp_exec_root(ex);
    bool tty = isatty(2) != 0;
    err[0] = '\0';
    for (;;) {
        cx_exp_run_t *runs;
        int n = cx_exp_exec_take(ex, &runs);
        if (n < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (n == 0) {
            return 0;
        }
        int rc = 0;
        /* A run.json from an earlier attempt must not pass for this one's. */
        for (int i = 0; i < n; i++) {
            char p[4800];
            snprintf(p, sizeof p, "%s/%s/run.json", root, runs[i].dir);
            unlink(p);
        }
        double task_s = 0;
        char how[128] = "", stamp[64], plan[4400], script[4400], jobid[64];
        int tasks = job->tasks ? (job->tasks < n ? job->tasks : n)
                               : cx_exp_slurm_tasks(pl, runs, n, 60.0, &task_s, how, sizeof how);
        if (cx_exp_slurm_write(root, cx_exp_exec_engine(ex), runs, n, tasks, job, stamp, plan,
                               script, sizeof plan, err, errlen) != 0 ||
            cx_exp_slurm_sbatch(pl->db, script, stamp, jobid, sizeof jobid, err, errlen) != 0) {
            rc = -1;
            goto next;
        }
        if (tty) {
            fprintf(stderr, "\r\033[Ksubmitted Slurm job %s: %d runs in %d array task%s\n", jobid,
                    n, tasks, tasks == 1 ? "" : "s");
        }
        /* Wait: the run.json files every 0.2 s, and every 5 s whether a task is left. */
        for (int round = 0;; round++) {
            if (stop && *stop) {
                char *argv[] = {"scancel", jobid, NULL};
                char sink[256];
                cx_exp_slurm_capture(argv, sink, sizeof sink, 1);
                if (tty) {
                    fprintf(stderr, "\r\033[K");
                }
                fprintf(stderr, "cancelled Slurm job %s; the same command again resumes\n",
                        jobid);
                rc = 1;
                goto next;
            }
            int done = s_finished(root, runs, n);
            if (tty) {
                fprintf(stderr, "\r\033[Kslurm job %s: %d/%d runs finished", jobid, done, n);
            }
            if (done >= n) {
                break;
            }
            if (round % 25 == 24) {
                cx_exp_slurm_report_t rep;
                int active = 1;
                if (cx_exp_slurm_report(pl->db, root, plan, &rep, err, errlen) == 0) {
                    active = rep.count[CX_SLURM_QUEUED] + rep.count[CX_SLURM_RUNNING] +
                             rep.count[CX_SLURM_UNKNOWN];
                }
                cx_exp_slurm_report_fini(&rep);
                if (!active) {
                    break;
                }
            }
            struct timespec ts = {0, 200 * 1000 * 1000}; /* 5 looks a second */
            nanosleep(&ts, NULL);
        }
        if (tty) {
            fprintf(stderr, "\r\033[K");
        }
        /* What became of each run. */
        cx_exp_slurm_report_t rep;
        if (cx_exp_slurm_report(pl->db, root, plan, &rep, err, errlen) != 0) {
            memset(&rep, 0, sizeof rep);
        }
        if (rep.count[CX_SLURM_LOST] || rep.count[CX_SLURM_FAILED]) {
            char who[128];
            snprintf(who, sizeof who, "slurm job %s", jobid);
            cx_exp_slurm_report_print(&rep, stderr, who);
        }
        for (int i = 0; i < n && rc == 0; i++) {
            char p[4800];
            snprintf(p, sizeof p, "%s/%s/run.json", root, runs[i].dir);
            if (access(p, F_OK) != 0) {
                /* Lost: a run.json that says so, as a run that could not start. */
                const char *why = "lost in Slurm, no result";
                for (int k = 0; k < rep.n; k++) {
                    if (!strcmp(rep.run[k].dir, runs[i].dir) && rep.run[k].why[0]) {
                        why = rep.run[k].why;
                    }
                }
                char rd[4700], lp[4800];
                snprintf(rd, sizeof rd, "%s/%s", root, runs[i].dir);
                snprintf(lp, sizeof lp, "%s/log.txt", rd);
                FILE *fp = cx_mkdirs(rd) == 0 ? fopen(lp, "a") : NULL;
                if (fp) {
                    fprintf(fp, "lost in Slurm: %s\n", why);
                    fclose(fp);
                }
                char now[32], reason[1536];
                bool ok;
                cx_exp_now_iso(now);
                cx_exp_write_run_json(root, &runs[i], cx_exp_exec_exe(ex), cx_exp_exec_engine(ex),
                                      -1, now, now, 0, &ok, reason, sizeof reason);
            }
            char *text = cx_exp_read_file(p, 1u << 20, NULL);
            char status[32] = "", reason[1024] = "";
            if (text) {
                cx_exp_json_text(text, "$.status", status, sizeof status);
                cx_exp_json_text(text, "$.reason", reason, sizeof reason);
                free(text);
            }
            bool ok = strcmp(status, "completed") == 0;
            cx_exp_exec_note(ex, ok);
            if (on_done && on_done(ud, ex, &runs[i], ok, reason) != 0) {
                if (!err[0]) {
                    snprintf(err, errlen, "stopped");
                }
                rc = -1;
            }
        }
        cx_exp_slurm_report_fini(&rep);
    next:
        for (int i = 0; i < n; i++) {
            cx_exp_run_fini(&runs[i]);
        }
        free(runs);
        if (rc != 0) {
            return rc;
        }
    }
}
