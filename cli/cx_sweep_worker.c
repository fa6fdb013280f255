/*  cx_sweep_worker — one Slurm array task of a sweep (see cx_sweep_worker.h). */
#include "cx_sweep_worker.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_exp_exec.h"
#include "cx_exp_plan.h"
#include "cx_exp_util.h"

int cx_sweep_worker(const char *plan_path, int task, int of, int jobs,
                    volatile sig_atomic_t *stop)
{
    char plan[PATH_MAX];
    if (!realpath(plan_path, plan)) {
        fprintf(stderr, "cxsim sweep: cannot read %s: %s\n", plan_path, strerror(errno));
        return 2;
    }
    /* The experiment directory is the plan's grandparent (DIR/slurm/plan),
     * whatever path the cluster mounts it under. */
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s", plan);
    for (int k = 0; k < 2; k++) {
        char *slash = strrchr(root, '/');
        if (slash) {
            *slash = '\0';
        }
    }
    char *text = cx_exp_read_file(plan, 1u << 30, NULL);
    if (!text) {
        fprintf(stderr, "cxsim sweep: cannot read %s: %s\n", plan, strerror(errno));
        return 2;
    }
    char engine[32] = "in-process", err[1024];
    char *nl = strchr(text, '\n');
    if (!nl) {
        fprintf(stderr, "cxsim sweep: %s is not a plan\n", plan);
        free(text);
        return 2;
    }
    *nl = '\0';
    cx_exp_json_text(text, "$.engine", engine, sizeof engine);
    if (strcmp(engine, "processes") != 0) {
        snprintf(engine, sizeof engine, "in-process");
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "cxsim sweep: cannot find my own executable\n");
        free(text);
        return 1;
    }
    exe[n] = '\0';
    cx_exp_exec_t *ex = cx_exp_exec_new(exe, root, engine, jobs, false);
    if (!ex) {
        free(text);
        return 1;
    }
    int idx = 0, mine = 0;
    char *save = NULL;
    for (char *line = strtok_r(nl + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), idx++) {
        if (idx % of != task) {
            continue;
        }
        cx_exp_run_t run;
        if (cx_exp_run_from_json(line, &run, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim sweep: %s line %d: %s\n", plan, idx + 2, err);
            cx_exp_exec_destroy(&ex);
            free(text);
            return 2;
        }
        /* Already finished by an earlier attempt of this task? */
        char path[PATH_MAX + 600];
        snprintf(path, sizeof path, "%s/%s/run.json", root, run.dir);
        char *prev = cx_exp_read_file(path, 1u << 20, NULL);
        char status[32] = "";
        if (prev) {
            cx_exp_json_text(prev, "$.status", status, sizeof status);
            free(prev);
        }
        if (strcmp(status, "completed") != 0) {
            if (cx_exp_exec_add(ex, &run) != 0) {
                fprintf(stderr, "cxsim sweep: out of memory\n");
                cx_exp_run_fini(&run);
                cx_exp_exec_destroy(&ex);
                free(text);
                return 1;
            }
            mine++;
        }
        cx_exp_run_fini(&run);
    }
    free(text);
    printf("cxsim sweep worker %d/%d: %d runs\n", task, of, mine);
    fflush(stdout);
    int rc = cx_exp_exec_loop(ex, NULL, NULL, stop, err, sizeof err);
    int completed, failed;
    cx_exp_exec_counts(ex, &completed, &failed);
    cx_exp_exec_destroy(&ex);
    printf("cxsim sweep worker %d/%d: %d completed, %d failed%s\n", task, of, completed,
           failed, rc == 1 ? ", interrupted" : "");
    if (rc < 0) {
        fprintf(stderr, "cxsim sweep: %s\n", err);
    }
    return rc == 0 && failed == 0 ? 0 : 1;
}
