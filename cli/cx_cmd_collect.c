/*  cxsim collect — record the finished runs of a sweep directory in its
 *  sweep.db: runs done by Slurm array tasks (`cxsim sweep --backend
 *  slurm`), or runs that finished while a local sweep was being killed.
 *
 *  Every DIR/runs/X/run.json is imported with cx_exp_db_import (one
 *  transaction per run; a run already recorded is left alone), so collect
 *  is idempotent: a second call records nothing new. Then Slurm is asked
 *  what became of every run listed in the plan files (cx_exp_slurm): the
 *  counts of queued, running, done, failed and lost runs are printed, and
 *  the lost and failed ones are named. Then the summary is recomputed and
 *  printed, as by `cxsim sweep`.
 *
 *  Exit status: 0 no run is failed or lost (some may still be queued or
 *  running, as the message says); 1 a run failed or was lost (its Slurm
 *  task cancelled, failed, or gone without a result), or a write failed;
 *  2 bad arguments or no sweep.db in DIR.
 */
#include "cx_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cx_exp_db.h"
#include "cx_exp_plan.h"
#include "cx_exp_slurm.h"
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
                "exit status: 0 no run failed or lost, 1 a run failed or was lost (named), 2 invalid input\n");
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
    cx_exp_slurm_report_t rep;
    if (cx_exp_slurm_report(db, dir, NULL, &rep, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim collect: %s\n", err);
        rc = 1;
    }
    long long total = cx_exp_db_count_completed(db, -1);
    printf("collect %s: %d new completed run%s recorded, %d new failed, %d already recorded; "
           "sweep.db holds %lld completed runs",
           dir, added, added == 1 ? "" : "s", failed, already, total);
    printf("\n");
    cx_exp_slurm_report_print(&rep, stdout, "collect");
    int gone = rep.count[CX_SLURM_LOST] + rep.count[CX_SLURM_FAILED];
    if (gone) {
        printf("collect: running the sweep command again resubmits the %d lost or failed run%s\n",
               gone, gone == 1 ? "" : "s");
        rc = 1;
    }
    cx_exp_slurm_report_fini(&rep);
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
