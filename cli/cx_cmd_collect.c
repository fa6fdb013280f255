/*  cxsim collect — record the finished runs of a sweep directory in its
 *  sweep.db: runs done by Slurm array tasks (`cxsim sweep --backend
 *  slurm`), or runs that finished while a local sweep was being killed.
 *
 *  Every DIR/runs/X/run.json is imported with cx_exp_db_import (one
 *  transaction per run; a run already recorded is left alone), so collect
 *  is idempotent: a second call records nothing new. Runs listed in the
 *  Slurm plan files that have no run.json yet are counted as not finished.
 *  Then the summary is recomputed and printed, as by `cxsim sweep`.
 *
 *  Exit status: 0 no recorded run is failed (some runs may still be
 *  unfinished, as the message says); 1 a recorded run failed or a write failed; 2 bad arguments or
 *  no sweep.db in DIR.
 */
#include "cx_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_exp_db.h"
#include "cx_exp_plan.h"
#include "cx_exp_summary.h"
#include "cx_exp_util.h"
#include "cx_opts.h"

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim collect DIR [--quiet]\n"
                "\n"
                "Records the finished runs of the sweep in DIR (Slurm array tasks, or a sweep\n"
                "that was killed) in DIR/sweep.db, then prints the summary. Idempotent.\n"
                "\n"
                "exit status: 0 no run failed, 1 a run failed, 2 invalid input\n");
}

/* Runs listed in DIR/slurm/plan-*.jsonl without a run.json, and runs
 * listed in total. */
static int s_unfinished(const char *root, int *listed)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/slurm", root);
    *listed = 0;
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    int missing = 0;
    struct dirent *e;
    char err[256];
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "plan-", 5) != 0 || len < 6 ||
            strcmp(e->d_name + len - 6, ".jsonl") != 0) {
            continue;
        }
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = cx_exp_read_file(path, 1u << 30, NULL);
        if (!text) {
            continue;
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cx_exp_run_t run;
            if (cx_exp_run_from_json(line, &run, err, sizeof err) != 0) {
                continue; /* the header line */
            }
            (*listed)++;
            char rj[4800];
            snprintf(rj, sizeof rj, "%s/%s/run.json", root, run.dir);
            missing += access(rj, F_OK) != 0;
            cx_exp_run_fini(&run);
        }
        free(text);
    }
    closedir(d);
    return missing;
}

int cx_cmd_collect(int argc, char **argv)
{
    const char *dir = NULL;
    bool quiet = false;
    enum { O_HELP, O_QUIET };
    static const cx_opt_t opts[] = {{"--help", "-h", false, O_HELP},
                                    {"--quiet", "-q", false, O_QUIET}};
    cx_opts_t op;
    cx_opts_init(&op, "cxsim collect", opts, 2, argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        if (id == O_HELP) {
            s_usage(stdout);
            return 0;
        } else if (id == O_QUIET) {
            quiet = true;
        } else if (id == CX_OPTS_POSITIONAL && !dir) {
            dir = op.value;
        } else {
            if (id == CX_OPTS_POSITIONAL) {
                fprintf(stderr, "cxsim collect: unexpected argument '%s'\n", op.value);
            }
            s_usage(stderr);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "cxsim collect: no directory given\n");
        s_usage(stderr);
        return 2;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.db", dir);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "cxsim collect: %s: no sweep.db here (not a sweep directory)\n", dir);
        return 2;
    }
    char err[2048] = "";
    cx_exp_db_t *db = cx_exp_db_open(path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "cxsim collect: %s\n", err);
        return 1;
    }
    int added = 0, failed = 0, already = 0, rc = 0;
    if (cx_exp_plan_collect_dir(db, dir, &added, &failed, &already, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim collect: %s\n", err);
        rc = 1;
    }
    int listed = 0;
    int missing = s_unfinished(dir, &listed);
    long long total = cx_exp_db_count_completed(db, -1);
    printf("collect %s: %d new completed run%s recorded, %d new failed, %d already recorded; "
           "sweep.db holds %lld completed runs",
           dir, added, added == 1 ? "" : "s", failed, already, total);
    if (missing) {
        printf("; %d of %d runs submitted to Slurm have not finished yet", missing, listed);
    }
    printf("\n");
    /* A failed run stays failed until a later attempt completes it. */
    long long nfailed = cx_exp_db_count_failed(db);
    if (nfailed > 0) {
        printf("%lld run%s failed (see the runs table's reason column); running the sweep "
               "command again retries them\n",
               nfailed, nfailed == 1 ? "" : "s");
        rc = 1;
    }
    if (cx_exp_summary(db, dir, quiet ? NULL : stdout, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim collect: %s\n", err);
        rc = 1;
    }
    cx_exp_db_close(&db);
    return rc;
}
