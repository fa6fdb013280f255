/*  cx_run_slurm — one run as one Slurm job (see cx_run_slurm.h).
 *
 *  What the submitting `cxsim run --backend slurm` does:
 *
 *      WRITE OUT/slurm-run/: scenario.yaml (resolved), run.key (unless
 *            --key), tasks.conf (srun --multi-prog: task 0 the coordinator,
 *            then one task per department, then one per persona shard),
 *            role.sh (starts one process on its node), job.sh, options
 *        --> SUBMIT  sbatch --parsable job.sh           (exit 1 when refused)
 *        --> --no-wait: print the job id, the key and the commands; exit 0
 *        --> WAIT    every second: squeue for the job's state, the ticks in
 *                    OUT/kpis.csv for the progress line
 *              SIGINT/SIGTERM               --> scancel the job, exit 1
 *              squeue no longer lists it    --> REPORT
 *        --> REPORT  OUT/summary.json's status; OUT/slurm-run/lost (the
 *                    process that died first: role, node, exit status) on
 *                    stderr; exit 0 only when the run completed
 *
 *  In the job (job.sh, on the job's first node): the coordinator's address
 *  is that node's NodeAddr as Slurm knows it, its three ports 20000 +
 *  (job id % 1000) * 40 and the next two; department d listens on its own
 *  node's NodeAddr, port base + 3 + d, and advertises that. Every process
 *  runs with the run key (CurveZMQ), since they talk over the network.
 *  `srun --kill-on-bad-exit` stops every process when one fails; each
 *  role.sh records its process's exit status, time-stamped, in
 *  slurm-run/exit-TASK, so job.sh can name the first to die, in
 *  slurm-run/lost and in summary.json ("lost_process").
 *
 *  Why srun --multi-prog and not a heterogeneous job: one allocation, one
 *  step, one table that names each task's role, and Slurm's block
 *  distribution puts task 0 (the coordinator) on the node that runs job.sh.
 */
#include "cx_run_slurm.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx_curve.h"
#include "cx_exp_db.h"
#include "cx_exp_slurm.h"
#include "cx_exp_util.h"
#include "cx_output.h"
#include "cx_proc.h"

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* "--opt V" or "--opt=V" at argv[*i]: the value (consuming it), else NULL. */
static const char *s_opt(const char *opt, int argc, char **argv, int *i, int *used, bool *missing)
{
    size_t n = strlen(opt);
    *used = 0;
    if (strncmp(argv[*i], opt, n) != 0) {
        return NULL;
    }
    if (argv[*i][n] == '=') {
        *used = 1;
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    *used = 2;
    return argv[*i + 1];
}

int cx_run_slurm_take(int *argc, char **argv, cx_run_slurm_t *sl)
{
    memset(sl, 0, sizeof *sl);
    sl->nodes = 1;
    bool slurm_only = false;
    int w = 0;
    for (int i = 0; i < *argc;) {
        bool missing = false;
        int used = 0;
        const char *v;
        if ((v = s_opt("--backend", *argc, argv, &i, &used, &missing))) {
            if (strcmp(v, "local") != 0 && strcmp(v, "slurm") != 0) {
                fprintf(stderr, "cxsim run: --backend expects local or slurm, got '%s'\n", v);
                return 2;
            }
            sl->on = strcmp(v, "slurm") == 0;
        } else if ((v = s_opt("--nodes", *argc, argv, &i, &used, &missing))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || n < 1 || n > 10000) {
                fprintf(stderr, "cxsim run: --nodes expects a number of nodes (1..10000), got '%s'\n", v);
                return 2;
            }
            sl->nodes = (int)n;
            slurm_only = true;
        } else if ((v = s_opt("--slurm-opt", *argc, argv, &i, &used, &missing))) {
            if (sl->n_opt == CX_RUN_SLURM_MAX_OPTS || strchr(v, '\n')) {
                fprintf(stderr, "cxsim run: too many --slurm-opt, or a line break in one\n");
                return 2;
            }
            sl->opt[sl->n_opt++] = v;
            slurm_only = true;
        } else if (strcmp(argv[i], "--no-wait") == 0) {
            sl->no_wait = true;
            slurm_only = true;
            used = 1;
        }
        if (missing) {
            fprintf(stderr, "cxsim run: %s needs a value\n", argv[i]);
            return 2;
        }
        if (used) {
            i += used;
            continue;
        }
        argv[w++] = argv[i++];
    }
    argv[w] = NULL;
    *argc = w;
    if (slurm_only && !sl->on) {
        fprintf(stderr, "cxsim run: --nodes, --slurm-opt and --no-wait need --backend slurm\n");
        return 2;
    }
    /* What a job cannot honour: said before anything is written. */
    static const char *const local_only[] = {"--in-process", "--cpus", "--paused",
                                             "--restart-lost"};
    for (int i = 0; sl->on && i < *argc; i++) {
        for (size_t k = 0; k < sizeof local_only / sizeof local_only[0]; k++) {
            size_t n = strlen(local_only[k]);
            if (strncmp(argv[i], local_only[k], n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '=')) {
                fprintf(stderr, "cxsim run: %s is not for --backend slurm (%s)\n", local_only[k],
                        k == 3 ? "after a lost process, `cxsim resume DIR` resubmits the run"
                               : "the job starts the processes on its nodes");
                return 2;
            }
        }
    }
    return 0;
}

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

static int s_write(const char *path, cx_exp_buf_t *b, mode_t mode)
{
    if (b->oom || cx_write_atomic(path, b->p ? b->p : "", b->n) != 0 || chmod(path, mode) != 0) {
        fprintf(stderr, "cxsim run: cannot write %s: %s\n", path, b->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

/* The role script: starts one process of the run on the node it runs on. */
static void s_role_script(cx_exp_buf_t *b, const char *rdir, const char *out, const char *bindir,
                          const char *key, const cx_run_slurm_run_t *run)
{
    cx_exp_buf_printf(b, "#!/bin/bash\n"
                         "# One process of a cxsim run in a Slurm job (written by cxsim run\n"
                         "# --backend slurm): role.sh coordinator | department ID D | persona ID SHARD OF\n"
                         "set -u\nR=");
    s_shq(b, rdir);
    cx_exp_buf_printf(b, "\nBIN=");
    s_shq(b, bindir);
    cx_exp_buf_printf(b, "\nKEY=");
    s_shq(b, key);
    cx_exp_buf_printf(b, "\nOUT=");
    s_shq(b, out);
    cx_exp_buf_printf(b,
                      "\nnode=${SLURMD_NODENAME:-$(hostname -s)}\n"
                      "me=$(scontrol show node \"$node\" 2>/dev/null | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p' | head -1)\n"
                      "[ -n \"$me\" ] || me=$(hostname -i | cut -d' ' -f1)\n"
                      "agents=\"tcp://$CX_HEAD:$CX_BASE\"\n"
                      "case \"$1\" in\n"
                      "coordinator)\n"
                      "    what=coordinator\n"
                      "    set -- \"$BIN/cxsim-coordinator\" --scenario \"$R/scenario.yaml\" --out \"$OUT\" \\\n"
                      "        --bind \"$agents\" --pub \"tcp://$CX_HEAD:$((CX_BASE + 1))\" \\\n"
                      "        --control \"tcp://$CX_HEAD:$((CX_BASE + 2))\" --heartbeat-ms %lld \\\n"
                      "        --checkpoint-every %lld --keep-checkpoints %lld --tick-timeout-ms %lld \\\n"
                      "        --tick-ms %lld --key \"$KEY\"",
                      run->heartbeat_ms, run->checkpoint_every, run->keep_checkpoints,
                      run->tick_timeout_ms, run->tick_ms);
    if (run->resume) {
        char cp[PATH_MAX];
        cx_exp_buf_printf(b, " --resume ");
        s_shq(b, realpath(run->resume, cp) ? cp : run->resume);
    }
    cx_exp_buf_printf(b,
                      " ;;\n"
                      "department)\n"
                      "    what=\"department $2\"\n"
                      "    port=$((CX_BASE + 3 + $3))\n"
                      "    set -- \"$BIN/cxsim-department\" --connect \"$agents\" --department \"$2\" \\\n"
                      "        --bind \"tcp://$me:$port\" --advertise \"tcp://$me:$port\" --key \"$KEY\" ;;\n"
                      "persona)\n"
                      "    what=\"persona $2 shard $3/$4\"\n"
                      "    set -- \"$BIN/cxsim-persona\" --connect \"$agents\" --persona \"$2\" --shard \"$3\" \\\n"
                      "        --of \"$4\" --key \"$KEY\" ;;\n"
                      "*) echo \"role.sh: unknown role $1\" >&2; exit 2 ;;\n"
                      "esac\n"
                      "\"$@\" &\n"
                      "pid=$!\n"
                      "trap 'kill -TERM $pid 2>/dev/null' TERM INT\n"
                      "wait $pid\n"
                      "rc=$?\n"
                      "while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done\n"
                      "echo \"$(date +%%s.%%N) $rc $node $what\" >\"$R/exit-$SLURM_PROCID\"\n"
                      "exit $rc\n");
}

/* The job script: finds the coordinator's address, starts every process
 * with srun --multi-prog, names the first process lost. */
static void s_job_script(cx_exp_buf_t *b, const cx_run_slurm_t *sl, const char *rdir,
                         const char *out, int ntasks, const char *name)
{
    cx_exp_buf_printf(b,
                      "#!/bin/bash\n"
                      "# cxsim run of %s through Slurm: %d processes on %d node%s.\n"
                      "#SBATCH --job-name=cxsim-run\n"
                      "#SBATCH --nodes=%d\n"
                      "#SBATCH --ntasks=%d\n"
                      "#SBATCH --overcommit\n"
                      "#SBATCH --output=%s/job-%%j.out\n",
                      name, ntasks, sl->nodes, sl->nodes == 1 ? "" : "s", sl->nodes, ntasks, rdir);
    for (int i = 0; i < sl->n_opt; i++) {
        cx_exp_buf_printf(b, "#SBATCH %s\n", sl->opt[i]);
    }
    cx_exp_buf_printf(b, "set -u\nR=");
    s_shq(b, rdir);
    cx_exp_buf_printf(b, "\nOUT=");
    s_shq(b, out);
    cx_exp_buf_printf(
        b,
        "\nnode=${SLURMD_NODENAME:-$(hostname -s)}\n"
        "CX_HEAD=$(scontrol show node \"$node\" 2>/dev/null | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p' | head -1)\n"
        "[ -n \"$CX_HEAD\" ] || CX_HEAD=$(hostname -i | cut -d' ' -f1)\n"
        "CX_BASE=$((20000 + SLURM_JOB_ID %% 1000 * 40))\n"
        "export CX_HEAD CX_BASE\n"
        "rm -f \"$R\"/exit-* \"$R/lost\"\n"
        "echo \"cxsim: coordinator on $node, tcp://$CX_HEAD:$CX_BASE\"\n"
        "srun --kill-on-bad-exit=1 --wait=60 --overcommit --multi-prog \"$R/tasks.conf\"\n"
        "rc=$?\n"
        "if [ \"$rc\" -ne 0 ]; then\n"
        "    first=$(cat \"$R\"/exit-* 2>/dev/null | awk '$2 != 0' | sort -n | head -1)\n"
        "    if [ -n \"$first\" ]; then\n"
        "        read -r _ code where what <<<\"$first\"\n"
        "        echo \"cxsim: lost $what on node $where (exit status $code)\" >&2\n"
        "        printf '%%s\\n%%s\\n%%s\\n' \"$what\" \"$where\" \"$code\" >\"$R/lost\"\n"
        "        if [ -f \"$OUT/summary.json\" ] && ! grep -q '\"lost_process\"' \"$OUT/summary.json\"; then\n"
        "            sed -i \"1s|^{\\$|{\\n  \\\"lost_process\\\": {\\\"role\\\": \\\"$what\\\", \\\"node\\\": \\\"$where\\\", \\\"exit_status\\\": $code},|\" \"$OUT/summary.json\"\n"
        "        fi\n"
        "    fi\n"
        "fi\n"
        "exit $rc\n");
}

/* Runs sbatch on script; the job id into job. Returns 0 or -1. */
static int s_sbatch(const char *script, char *job, size_t cap)
{
    char out[512];
    char *argv[] = {"sbatch", "--parsable", (char *)script, NULL};
    int rc = cx_exp_slurm_capture(argv, out, sizeof out, 1);
    if (rc != 0) {
        out[strcspn(out, "\n")] = '\0';
        fprintf(stderr, "cxsim run: sbatch %s: %s\n", script,
                rc < 0 ? strerror(errno) : out[0] ? out : "failed");
        return -1;
    }
    out[strcspn(out, ";\n")] = '\0';
    snprintf(job, cap, "%.40s", out);
    return 0;
}

/* The job's state from squeue into state: returns 0 (state "" when the
 * job is no longer listed), or -1 when squeue did not answer (a busy
 * controller: ask again later). */
static int s_job_state(const char *job, char *state, size_t cap)
{
    char out[256], jid[64];
    snprintf(jid, sizeof jid, "%s", job);
    char *argv[] = {"squeue", "-h", "-j", jid, "-o", "%T", NULL};
    state[0] = '\0';
    int rc = cx_exp_slurm_capture(argv, out, sizeof out, 1);
    if (strstr(out, "Invalid job id")) {
        return 0; /* forgotten: it ended long ago */
    }
    if (rc != 0) {
        return -1;
    }
    out[strcspn(out, " \n")] = '\0';
    snprintf(state, cap, "%.40s", out);
    return 0;
}

/* Ticks written so far: the rows of OUT/kpis.csv. */
static int s_ticks_done(const char *out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/kpis.csv", out);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        return 0;
    }
    int lines = 0, c;
    while ((c = getc(fp)) != EOF) {
        lines += c == '\n';
    }
    fclose(fp);
    return lines > 0 ? lines - 1 : 0;
}

/* Waits for the job's end, then reports. */
static int s_wait(const char *job, const char *out, const char *rdir, const cx_scenario_t *sc,
                  bool quiet)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    bool tty = isatty(2) && !quiet;
    char state[64], last[64] = "";
    double t0 = cx_exp_now_s();
    for (;;) {
        if (s_stop) {
            char jid[64];
            snprintf(jid, sizeof jid, "%s", job);
            char *argv[] = {"scancel", jid, NULL};
            char sink[256];
            cx_exp_slurm_capture(argv, sink, sizeof sink, 1);
            fprintf(stderr, "%scxsim run: interrupted; cancelled Slurm job %s\n",
                    tty ? "\r\033[K" : "", job);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            return 1;
        }
        if (s_job_state(job, state, sizeof state) == 0 && !state[0]) {
            break;
        }
        if (!state[0]) {
            snprintf(state, sizeof state, "%s", last[0] ? last : "(squeue does not answer)");
        }
        int done = s_ticks_done(out);
        if (tty) {
            fprintf(stderr, "\r\033[Kslurm job %s %s: tick %d/%d, %.0f s", job, state, done,
                    sc->ticks, cx_exp_now_s() - t0);
        } else if (!quiet && strcmp(state, last) != 0) {
            fprintf(stderr, "slurm job %s: %s\n", job, state);
        }
        snprintf(last, sizeof last, "%s", state);
        sleep(1);
    }
    if (tty) {
        fprintf(stderr, "\r\033[K");
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    char path[4300];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *sum = cx_exp_read_file(path, 1u << 24, NULL);
    char status[32] = "", reason[512] = "", wall[32] = "";
    if (sum) {
        cx_exp_json_text(sum, "$.status", status, sizeof status);
        cx_exp_json_text(sum, "$.reason", reason, sizeof reason);
        cx_exp_json_text(sum, "$.wall_seconds", wall, sizeof wall);
        free(sum);
    }
    snprintf(path, sizeof path, "%s/lost", rdir);
    char *lost = cx_exp_read_file(path, 4096, NULL);
    if (lost) {
        char *what = strtok(lost, "\n"), *where = strtok(NULL, "\n"), *code = strtok(NULL, "\n");
        fprintf(stderr, "cxsim run: lost %s on node %s (exit status %s)\n", what ? what : "?",
                where ? where : "?", code ? code : "?");
        free(lost);
    }
    if (strcmp(status, "completed") == 0) {
        if (!quiet) {
            printf("run completed through Slurm job %s: %d ticks in %s s (coordinator's wall "
                   "time), results in %s\n",
                   job, sc->ticks, wall[0] ? wall : "?", out);
        }
        return 0;
    }
    fprintf(stderr, "cxsim run: the run failed in Slurm job %s (%s%s%s); see %s/summary.json and "
                    "%s/job-%s.out\n",
            job, status[0] ? status : "no summary.json", reason[0] ? ": " : "", reason, out, rdir,
            job);
    return 1;
}

int cx_run_slurm_submit(const cx_run_slurm_t *sl, const cx_run_slurm_run_t *run,
                        const cx_scenario_t *sc, const char *yaml, size_t yaml_len,
                        const char *out_arg)
{
    char out[PATH_MAX], bindir[4096], rdir[PATH_MAX + 32], path[PATH_MAX + 64], key[PATH_MAX + 64];
    if (!realpath(out_arg, out)) {
        fprintf(stderr, "cxsim run: %s: %s\n", out_arg, strerror(errno));
        return 1;
    }
    /* srun --multi-prog splits its lines at blanks. */
    if (strpbrk(out, " \t\n'\"\\")) {
        fprintf(stderr, "cxsim run: --backend slurm needs an output directory without blanks or "
                        "quotes in its path, got '%s'\n", out);
        return 2;
    }
    if (cx_proc_self_dir(bindir, sizeof bindir) != 0) {
        fprintf(stderr, "cxsim run: cannot find my own directory\n");
        return 1;
    }
    snprintf(rdir, sizeof rdir, "%s/slurm-run", out);
    if (cx_mkdirs(rdir) != 0) {
        fprintf(stderr, "cxsim run: cannot create %s: %s\n", rdir, strerror(errno));
        return 1;
    }
    if (run->key) {
        if (!realpath(run->key, key)) {
            fprintf(stderr, "cxsim run: --key %s: %s\n", run->key, strerror(errno));
            return 2;
        }
    } else {
        snprintf(key, sizeof key, "%s/run.key", rdir);
        char err[512];
        if (access(key, R_OK) != 0 && cx_curve_keygen(key, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim run: cannot create the run key %s: %s\n", key, err);
            return 1;
        }
    }
    cx_exp_buf_t b;
    cx_exp_buf_init(&b);
    int rc = 1;
    /* The resolved scenario, as every process reads it. */
    snprintf(path, sizeof path, "%s/scenario.yaml", rdir);
    if (cx_write_atomic(path, yaml, yaml_len) != 0) {
        fprintf(stderr, "cxsim run: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    /* The task table: coordinator, departments, persona shards. */
    int ntasks = 0;
    cx_exp_buf_printf(&b, "%d /bin/bash %s/role.sh coordinator\n", ntasks++, rdir);
    for (int d = 0; d < sc->n_dept; d++) {
        cx_exp_buf_printf(&b, "%d /bin/bash %s/role.sh department %s %d\n", ntasks++, rdir,
                          sc->dept[d].id, d);
    }
    for (int p = 0; p < sc->n_persona; p++) {
        for (int s = 0; s < sc->persona[p].shards; s++) {
            cx_exp_buf_printf(&b, "%d /bin/bash %s/role.sh persona %s %d %d\n", ntasks++, rdir,
                              sc->persona[p].id, s, sc->persona[p].shards);
        }
    }
    snprintf(path, sizeof path, "%s/tasks.conf", rdir);
    if (s_write(path, &b, 0644) != 0) {
        goto done;
    }
    if (ntasks < sl->nodes) {
        fprintf(stderr, "cxsim run: --nodes %d for %d processes: at most one node per process\n",
                sl->nodes, ntasks);
        rc = 2;
        goto done;
    }
    cx_exp_buf_reset(&b);
    s_role_script(&b, rdir, out, bindir, key, run);
    snprintf(path, sizeof path, "%s/role.sh", rdir);
    if (s_write(path, &b, 0755) != 0) {
        goto done;
    }
    /* What `cxsim resume` passes again (the resumed job keeps as many
     * checkpoints as the first). */
    cx_exp_buf_reset(&b);
    cx_exp_buf_printf(&b, "--backend=slurm\n--nodes=%d\n--keep-checkpoints=%lld\n", sl->nodes,
                      run->keep_checkpoints);
    for (int i = 0; i < sl->n_opt; i++) {
        cx_exp_buf_printf(&b, "--slurm-opt=%s\n", sl->opt[i]);
    }
    if (run->key) {
        cx_exp_buf_printf(&b, "--key=%s\n", key);
    }
    snprintf(path, sizeof path, "%s/options", rdir);
    if (s_write(path, &b, 0644) != 0) {
        goto done;
    }
    cx_exp_buf_reset(&b);
    s_job_script(&b, sl, rdir, out, ntasks, sc->name);
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/job.sh", rdir);
    if (s_write(script, &b, 0755) != 0) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/lost", rdir);
    unlink(path);
    char job[64];
    if (s_sbatch(script, job, sizeof job) != 0) {
        goto done;
    }
    cx_exp_buf_reset(&b);
    cx_exp_buf_printf(&b, "%s\n", job);
    snprintf(path, sizeof path, "%s/job", rdir);
    s_write(path, &b, 0644);
    printf("submitted Slurm job %s: %d processes on %d node%s (%s)\n", job, ntasks, sl->nodes,
           sl->nodes == 1 ? "" : "s", script);
    fflush(stdout);
    if (sl->no_wait) {
        printf("the run key is %s; once the job runs, %s/live.endpoints holds its endpoints:\n"
               "  cxsim watch %s --key %s\n  cxsim ctl %s status --key %s\n"
               "the job's log: %s/job-%s.out\n",
               key, out, out, key, out, key, rdir, job);
        rc = 0;
        goto done;
    }
    rc = s_wait(job, out, rdir, sc, run->quiet);
done:
    cx_exp_buf_fini(&b);
    return rc;
}

bool cx_run_slurm_recorded(const char *dir, char *store, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/slurm-run/options", dir);
    char *text = cx_exp_read_file(path, cap - 1, NULL);
    if (!text) {
        return false;
    }
    snprintf(store, cap, "%s", text);
    free(text);
    return true;
}
