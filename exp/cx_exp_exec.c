/*  cx_exp_exec — runs of an experiment as subprocesses (see cx_exp_exec.h). */
#include "cx_exp_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cx_exp_db.h"
#include "cx_exp_util.h"
#include "cx_output.h"
#include "cx_proc.h"
#include "cx_signals.h"
#include "cx_version.h"

/* A run in flight. */
typedef struct {
    cx_exp_run_t run;   /* what it is */
    pid_t pid;          /* its process, 0 when the slot is free */
    char started[32];   /* ISO time it started */
    long long start_ms; /* monotonic start */
} s_slot_t;

struct cx_exp_exec {
    char exe[4096];         /* cxsim */
    char root[4096];        /* experiment directory */
    char engine[16];        /* "in-process" or "processes" */
    int jobs;               /* runs at once */
    bool progress;          /* show a progress line (stderr is a terminal) */
    cx_exp_run_t *queue;    /* runs waiting, FIFO from head */
    int q_head, q_n, q_cap; /* queue window and capacity */
    s_slot_t *slot;         /* jobs slots */
    int running;            /* slots in use */
    int completed, failed;  /* runs finished this session */
    long long start_ms;     /* when the loop started */
    long long shown_ms;     /* last progress line */
};

static void s_free_str(char **s)
{
    free(*s);
    *s = NULL;
}

void cx_exp_run_fini(cx_exp_run_t *r)
{
    s_free_str(&r->point_key);
    s_free_str(&r->label);
    s_free_str(&r->params_json);
    s_free_str(&r->scenario);
    s_free_str(&r->sets_json);
    for (int i = 0; i < r->n_arg; i++) {
        s_free_str(&r->arg[i]);
    }
    r->n_arg = 0;
}

static int s_dup(char **dst, const char *src)
{
    *dst = NULL;
    if (!src) {
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

int cx_exp_run_copy(cx_exp_run_t *dst, const cx_exp_run_t *src)
{
    *dst = *src;
    int bad = 0;
    bad |= s_dup(&dst->point_key, src->point_key);
    bad |= s_dup(&dst->label, src->label);
    bad |= s_dup(&dst->params_json, src->params_json);
    bad |= s_dup(&dst->scenario, src->scenario);
    bad |= s_dup(&dst->sets_json, src->sets_json);
    for (int i = 0; i < src->n_arg; i++) {
        bad |= s_dup(&dst->arg[i], src->arg[i]);
    }
    if (bad) {
        cx_exp_run_fini(dst);
        return -1;
    }
    return 0;
}

cx_exp_exec_t *cx_exp_exec_new(const char *exe, const char *root, const char *engine, int jobs,
                               bool progress)
{
    cx_exp_exec_t *ex = calloc(1, sizeof *ex);
    if (!ex) {
        return NULL;
    }
    snprintf(ex->exe, sizeof ex->exe, "%s", exe);
    snprintf(ex->root, sizeof ex->root, "%s", root);
    snprintf(ex->engine, sizeof ex->engine, "%s", engine);
    ex->jobs = jobs > 0 ? jobs : 1;
    ex->progress = progress;
    ex->slot = calloc((size_t)ex->jobs, sizeof *ex->slot);
    if (!ex->slot) {
        free(ex);
        return NULL;
    }
    return ex;
}

void cx_exp_exec_destroy(cx_exp_exec_t **ex_p)
{
    cx_exp_exec_t *ex = ex_p ? *ex_p : NULL;
    if (!ex) {
        return;
    }
    for (int i = ex->q_head; i < ex->q_head + ex->q_n; i++) {
        cx_exp_run_fini(&ex->queue[i]);
    }
    for (int i = 0; i < ex->jobs; i++) {
        cx_exp_run_fini(&ex->slot[i].run);
    }
    free(ex->queue);
    free(ex->slot);
    free(ex);
    *ex_p = NULL;
}

int cx_exp_exec_add(cx_exp_exec_t *ex, const cx_exp_run_t *run)
{
    if (ex->q_head + ex->q_n == ex->q_cap) {
        if (ex->q_head > 0) {
            memmove(ex->queue, ex->queue + ex->q_head, (size_t)ex->q_n * sizeof *ex->queue);
            ex->q_head = 0;
        } else {
            int cap = ex->q_cap ? ex->q_cap * 2 : 64;
            cx_exp_run_t *q = realloc(ex->queue, (size_t)cap * sizeof *q);
            if (!q) {
                return -1;
            }
            ex->queue = q;
            ex->q_cap = cap;
        }
    }
    if (cx_exp_run_copy(&ex->queue[ex->q_head + ex->q_n], run) != 0) {
        return -1;
    }
    ex->q_n++;
    return 0;
}

int cx_exp_exec_take(cx_exp_exec_t *ex, cx_exp_run_t **runs)
{
    *runs = NULL;
    if (ex->q_n == 0) {
        return 0;
    }
    cx_exp_run_t *out = malloc((size_t)ex->q_n * sizeof *out);
    if (!out) {
        return -1;
    }
    memcpy(out, ex->queue + ex->q_head, (size_t)ex->q_n * sizeof *out);
    int n = ex->q_n;
    ex->q_head = ex->q_n = 0;
    *runs = out;
    return n;
}

void cx_exp_exec_note(cx_exp_exec_t *ex, bool ok)
{
    if (ok) {
        ex->completed++;
    } else {
        ex->failed++;
    }
}

const char *cx_exp_exec_root(const cx_exp_exec_t *ex)
{
    return ex->root;
}

const char *cx_exp_exec_exe(const cx_exp_exec_t *ex)
{
    return ex->exe;
}

const char *cx_exp_exec_engine(const cx_exp_exec_t *ex)
{
    return ex->engine;
}

void cx_exp_exec_counts(const cx_exp_exec_t *ex, int *completed, int *failed)
{
    *completed = ex->completed;
    *failed = ex->failed;
}

/* The last non-empty line of a file, into buf. */
static void s_last_line(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    char *text = cx_exp_read_file(path, 64u << 20, NULL);
    if (!text) {
        return;
    }
    char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) {
        end--;
    }
    *end = '\0';
    char *start = end;
    while (start > text && start[-1] != '\n') {
        start--;
    }
    /* Progress lines use carriage returns: keep the last segment. */
    char *cr = strrchr(start, '\r');
    snprintf(buf, cap, "%s", cr ? cr + 1 : start);
    free(text);
}

static void s_json_array(cx_buf_t *b, char *const *v, int n)
{
    cx_buf_printf(b, "[");
    for (int i = 0; i < n; i++) {
        cx_buf_printf(b, "%s", i ? ", " : "");
        cx_json_text(b, v[i]);
    }
    cx_buf_printf(b, "]");
}

/* The argv of a run: exe run ARGS... --out DIR --quiet [--in-process]. */
static int s_argv(const char *exe, const char *root, const char *engine, const cx_exp_run_t *run,
                  char *outdir, size_t outcap, char **argv)
{
    snprintf(outdir, outcap, "%s/%s", root, run->dir);
    int n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = "run";
    for (int i = 0; i < run->n_arg; i++) {
        argv[n++] = run->arg[i];
    }
    argv[n++] = "--out";
    argv[n++] = outdir;
    argv[n++] = "--quiet";
    if (strcmp(engine, "in-process") == 0) {
        argv[n++] = "--in-process";
    }
    argv[n] = NULL;
    return n;
}

int cx_exp_write_run_json(const char *root, const cx_exp_run_t *run, const char *exe,
                          const char *engine, int exit_status, const char *started,
                          const char *finished, double wall, bool *ok, char *reason,
                          size_t reasonlen)
{
    char dir[4700], path[4800];
    snprintf(dir, sizeof dir, "%s/%s", root, run->dir);
    char status[32] = "";
    char sum_reason[1024] = "";
    reason[0] = '\0';
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *summary = cx_exp_read_file(path, 16u << 20, NULL);
    if (summary) {
        cx_exp_json_text(summary, "$.status", status, sizeof status);
        cx_exp_json_text(summary, "$.reason", sum_reason, sizeof sum_reason);
        free(summary);
    }
    bool exited0 = exit_status >= 0 && WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0;
    *ok = exited0 && strcmp(status, "completed") == 0;
    if (!*ok) {
        char how[128], last[768];
        if (exit_status < 0) {
            snprintf(how, sizeof how, "could not start");
        } else {
            cx_proc_describe(exit_status, how, sizeof how);
        }
        snprintf(path, sizeof path, "%s/log.txt", dir);
        s_last_line(path, last, sizeof last);
        if (exited0) {
            snprintf(reason, reasonlen, "exited 0 but summary.json says status '%s'", status);
        } else {
            snprintf(reason, reasonlen, "cxsim run %s: %s", how,
                     sum_reason[0] ? sum_reason
                     : last[0]     ? last
                                   : "(no message)");
        }
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char outdir[4700];
    char *argv[CX_EXP_MAX_ARGS + 8];
    int argc = s_argv(exe, root, engine, run, outdir, sizeof outdir, argv);

    cx_buf_t b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "{\n  \"point_key\": ");
    cx_json_text(&b, run->point_key ? run->point_key : "");
    cx_buf_printf(&b, ",\n  \"label\": ");
    cx_json_text(&b, run->label ? run->label : "");
    cx_buf_printf(&b, ",\n  \"params\": %s", run->params_json ? run->params_json : "{}");
    cx_buf_printf(&b, ",\n  \"replicate\": %d,\n  \"seed\": %llu", run->replicate,
                      (unsigned long long)run->seed);
    cx_buf_printf(&b, ",\n  \"scenario\": ");
    cx_json_text(&b, run->scenario ? run->scenario : "");
    cx_buf_printf(&b, ",\n  \"sets\": %s", run->sets_json ? run->sets_json : "[]");
    cx_buf_printf(&b, ",\n  \"expected_sha256\": ");
    cx_json_text(&b, run->sha);
    cx_buf_printf(&b, ",\n  \"status\": \"%s\",\n  \"reason\": ", *ok ? "completed" : "failed");
    cx_json_text(&b, reason);
    cx_buf_printf(&b, ",\n  \"exit_status\": %d",
                      exit_status >= 0 && WIFEXITED(exit_status) ? WEXITSTATUS(exit_status) : -1);
    cx_buf_printf(&b, ",\n  \"command\": ");
    s_json_array(&b, argv, argc);
    cx_buf_printf(&b, ",\n  \"engine\": ");
    cx_json_text(&b, engine);
    cx_buf_printf(&b, ",\n  \"host\": ");
    cx_json_text(&b, host);
    cx_buf_printf(&b, ",\n  \"cxsim_version\": \"%s\"", CX_VERSION);
    cx_buf_printf(&b, ",\n  \"started\": \"%s\",\n  \"finished\": \"%s\"", started, finished);
    cx_buf_printf(&b, ",\n  \"wall_seconds\": %.3f\n}\n", wall);
    int rc = -1;
    if (b.oom) {
        errno = ENOMEM;
    } else {
        snprintf(path, sizeof path, "%s/run.json", dir);
        rc = cx_write_atomic(path, b.p, b.n);
    }
    cx_buf_fini(&b);
    return rc;
}

static pid_t s_spawn(cx_exp_exec_t *ex, const cx_exp_run_t *run, char *err, size_t errlen)
{
    char outdir[4700], path[4800];
    char *argv[CX_EXP_MAX_ARGS + 8];
    s_argv(ex->exe, ex->root, ex->engine, run, outdir, sizeof outdir, argv);
    if (cx_mkdirs(outdir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", outdir, strerror(errno));
        return -1;
    }
    /* The directory is this run's: an earlier attempt's files (its run.json
     * must not pass for this one's, and `cxsim run` refuses a directory
     * holding results) go before the attempt starts. */
    if (cx_output_clear_dir(outdir) != 0) {
        snprintf(err, errlen, "cannot empty %s for a new attempt: %s", outdir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/log.txt", outdir);
    int log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start cxsim run: %s", strerror(errno));
        close(log);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(1);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
        }
        dup2(log, 1);
        dup2(log, 2);
        cx_signals_default();
        execv(argv[0], argv);
        fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(log);
    return pid;
}

static void s_fmt_dur(char *buf, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) {
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    } else {
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
    }
}

static void s_progress(cx_exp_exec_t *ex, bool force)
{
    if (!ex->progress) {
        return;
    }
    long long now = cx_now_ms();
    if (!force && now - ex->shown_ms < 250) {
        return;
    }
    ex->shown_ms = now;
    int done = ex->completed + ex->failed;
    int total = done + ex->running + ex->q_n;
    double el = (double)(now - ex->start_ms) / 1000.0;
    char elapsed[32], eta[32] = "--";
    s_fmt_dur(elapsed, sizeof elapsed, el);
    if (done > 0) {
        double per = el / done;
        s_fmt_dur(eta, sizeof eta, per * (total - done));
    }
    char failed[32] = "";
    if (ex->failed) {
        snprintf(failed, sizeof failed, ", %d failed", ex->failed);
    }
    fprintf(stderr, "\r\033[Kruns %d/%d done%s, %d running, elapsed %s, ETA %s", done, total,
            failed, ex->running, elapsed, eta);
    fflush(stderr);
}

/* Stops every running run: SIGTERM, up to 5 s, then SIGKILL. A run that
 * still exits 0 (it had finished) gets its run.json, so that the next
 * sweep imports it instead of running it again. */
static void s_stop_all(cx_exp_exec_t *ex)
{
    for (int i = 0; i < ex->jobs; i++) {
        if (ex->slot[i].pid > 0) {
            kill(ex->slot[i].pid, SIGTERM);
        }
    }
    long long deadline = cx_now_ms() + 5000;
    while (ex->running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (int i = 0; i < ex->jobs; i++) {
                s_slot_t *sl = &ex->slot[i];
                if (sl->pid == pid) {
                    sl->pid = 0;
                    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                        char finished[32], reason[1536];
                        bool ok;
                        cx_exp_now_iso(finished);
                        cx_exp_write_run_json(ex->root, &sl->run, ex->exe, ex->engine, status,
                                              sl->started, finished,
                                              (double)(cx_now_ms() - sl->start_ms) / 1000.0, &ok,
                                              reason, sizeof reason);
                    }
                    cx_exp_run_fini(&sl->run);
                    ex->running--;
                }
            }
            continue;
        }
        if (pid < 0 && errno == ECHILD) {
            break;
        }
        if (cx_now_ms() > deadline) {
            for (int i = 0; i < ex->jobs; i++) {
                if (ex->slot[i].pid > 0) {
                    kill(ex->slot[i].pid, SIGKILL);
                }
            }
            deadline = cx_now_ms() + 60000;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int cx_exp_exec_loop(cx_exp_exec_t *ex, cx_exp_done_fn *on_done, void *ud,
                     volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    err[0] = '\0';
    ex->start_ms = cx_now_ms();
    bool dirty = true;
    for (;;) {
        if (stop && *stop) {
            s_stop_all(ex);
            if (ex->progress) {
                fprintf(stderr, "\r\033[K");
            }
            return 1;
        }
        while (ex->running < ex->jobs && ex->q_n > 0) {
            int s = 0;
            while (ex->slot[s].pid != 0) {
                s++;
            }
            s_slot_t *sl = &ex->slot[s];
            sl->run = ex->queue[ex->q_head];
            memset(&ex->queue[ex->q_head], 0, sizeof ex->queue[0]);
            ex->q_head++;
            ex->q_n--;
            cx_exp_now_iso(sl->started);
            sl->start_ms = cx_now_ms();
            pid_t pid = s_spawn(ex, &sl->run, err, errlen);
            if (pid < 0) {
                cx_exp_run_fini(&sl->run);
                s_stop_all(ex);
                return -1;
            }
            sl->pid = pid;
            ex->running++;
        }
        if (ex->running == 0 && ex->q_n == 0) {
            break;
        }
        /* After a run ended and its successor started: show it at once. */
        s_progress(ex, dirty);
        dirty = false;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pid < 0) {
            snprintf(err, errlen, "waiting for runs: %s", strerror(errno));
            s_stop_all(ex);
            return -1;
        }
        int s = -1;
        for (int i = 0; i < ex->jobs; i++) {
            if (ex->slot[i].pid == pid) {
                s = i;
            }
        }
        if (s < 0) {
            continue; /* not ours */
        }
        s_slot_t *sl = &ex->slot[s];
        sl->pid = 0;
        ex->running--;
        bool exited0 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (stop && *stop && !exited0) {
            /* Stopped with the rest: not a result, run again next time. */
            cx_exp_run_fini(&sl->run);
            continue;
        }
        char finished[32], reason[1536];
        cx_exp_now_iso(finished);
        bool ok = false;
        double wall = (double)(cx_now_ms() - sl->start_ms) / 1000.0;
        if (cx_exp_write_run_json(ex->root, &sl->run, ex->exe, ex->engine, status, sl->started,
                                  finished, wall, &ok, reason, sizeof reason) != 0) {
            snprintf(err, errlen, "cannot write %s/%s/run.json: %s", ex->root, sl->run.dir,
                     strerror(errno));
            cx_exp_run_fini(&sl->run);
            s_stop_all(ex);
            return -1;
        }
        if (ok) {
            ex->completed++;
        } else {
            ex->failed++;
        }
        cx_exp_run_t run = sl->run;
        memset(&sl->run, 0, sizeof sl->run);
        int rc = on_done ? on_done(ud, ex, &run, ok, reason) : 0;
        cx_exp_run_fini(&run);
        if (rc != 0) {
            if (!err[0]) {
                snprintf(err, errlen, "stopped");
            }
            s_stop_all(ex);
            return -1;
        }
        dirty = true;
    }
    if (ex->progress) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    return 0;
}
