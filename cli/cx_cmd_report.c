/*  cxsim report — an offline, self-contained HTML report (inline SVG
 *  charts and CSS, no script, no network) of a run, compare, sweep,
 *  sensitivity, calibration or optimise directory, for reading in a
 *  browser or forwarding by e-mail.
 *
 *      PARSE DIR [--out FILE] --> cx_report_build (cx_report.c) into a
 *      buffer --> FILE written atomically (default DIR/report.html) -->
 *      its path on stdout
 *
 *  The same directory gives a byte-identical report (no time stamp, no
 *  absolute path in it).
 *
 *  Exit status: 0 written; 1 a file could not be read or the report could
 *  not be written; 2 bad arguments, or DIR does not exist or is none of
 *  those (kpis.csv, compare.db, sweep.db, sensitivity.db, calibration.db,
 *  optimise.db, check.db). The reason goes to stderr.
 */
#include "cx_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cx_exp_util.h"
#include "cx_opts.h"
#include "cx_output.h"
#include "cx_report.h"

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim report DIR [--out FILE]\n"
                "\n"
                "Writes a self-contained HTML report with charts of DIR, a run directory\n"
                "(cxsim run --out DIR), a compare directory (cxsim compare --out DIR), a\n"
                "sweep, sensitivity, calibration, optimise, check or attribution directory\n"
                "(sweep.db, sensitivity.db, calibration.db, optimise.db, check.db, shares.csv):\n"
                "one file with inline SVG\n"
                "charts and CSS, no script, no network needed.\n"
                "Prints the path written.\n"
                "\n"
                "  --out FILE   where to write it (default DIR/report.html)\n"
                "  -h, --help   show this help\n"
                "\n"
                "exit status: 0 written, 1 cannot read DIR's files or write FILE,\n"
                "2 invalid arguments, or DIR is none of the directories above\n");
}

int cx_cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    enum { O_HELP, O_OUT };
    static const cx_opt_t opts[] = {{"--help", "-h", false, O_HELP}, {"--out", NULL, true, O_OUT}};
    cx_opts_t op;
    cx_opts_init(&op, "cxsim report", opts, 2, argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        if (id == O_HELP) {
            s_usage(stdout);
            return 0;
        } else if (id == O_OUT) {
            if (!*v) {
                fprintf(stderr, "cxsim report: --out needs a file name\n");
                return 2;
            }
            out = v;
        } else if (id == CX_OPTS_ERROR) {
            fprintf(stderr, "see cxsim report --help\n");
            return 2;
        } else if (dir) {
            fprintf(stderr, "cxsim report: unexpected argument '%s' (one DIR only)\n", v);
            return 2;
        } else {
            dir = v;
        }
    }
    if (!dir || !*dir) {
        fprintf(stderr, "cxsim report: expected a run, compare or sweep DIR (see cxsim report "
                        "--help)\n");
        return 2;
    }
    char def[4200];
    if (!out) {
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/') {
            n--;
        }
        int w = snprintf(def, sizeof def, "%.*s/report.html", (int)n, dir);
        if (w < 0 || (size_t)w >= sizeof def) {
            fprintf(stderr, "cxsim report: directory name too long\n");
            return 2;
        }
        out = def;
    }
    char err[4200] = "";
    cx_buf_t html;
    cx_buf_init(&html);
    int rc = cx_report_build(dir, &html, err, sizeof err);
    if (rc != CX_REPORT_OK) {
        fprintf(stderr, "cxsim report: %s\n", err);
        cx_buf_fini(&html);
        return rc == CX_REPORT_NOT_A_RESULT ? 2 : 1;
    }
    if (html.oom || cx_write_atomic(out, html.p, html.n) != 0) {
        fprintf(stderr, "cxsim report: cannot write %s: %s\n", out,
                html.oom ? "out of memory" : strerror(errno));
        cx_buf_fini(&html);
        return 1;
    }
    cx_buf_fini(&html);
    printf("%s\n", out);
    return 0;
}
