/*  cxsim keygen, and the --key option of the commands that talk to a run
 *  (ctl, watch, fork): see runtime/cx_curve.h for what a run key is.
 */
#include <stdio.h>
#include <string.h>

#include "cx_cmd.h"
#include "cx_opts.h"

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim keygen FILE\n"
                "\n"
                "Writes a new run key (a CurveZMQ key pair) to FILE, readable by you only.\n"
                "Copy it to every host of a run and start every process with --key FILE:\n"
                "connections are then encrypted, and only holders of the key can join,\n"
                "watch or control the run. FILE is never overwritten.\n");
}

int cx_cmd_keygen(int argc, char **argv)
{
    enum { O_HELP };
    static const cx_opt_t opts[] = {{"--help", "-h", false, O_HELP}};
    cx_opts_t p;
    cx_opts_init(&p, "cxsim keygen", opts, 1, argc, argv);
    const char *file = NULL;
    for (int id; (id = cx_opts_next(&p)) != CX_OPTS_END;) {
        if (id == O_HELP) {
            s_usage(stdout);
            return 0;
        }
        if (id == CX_OPTS_ERROR || file || strcmp(p.value, "-") == 0) {
            fprintf(stderr, "usage: cxsim keygen FILE\n");
            return 2;
        }
        file = p.value;
    }
    if (!file) {
        fprintf(stderr, "usage: cxsim keygen FILE\n");
        return 2;
    }
    char err[512];
    if (cx_curve_keygen(file, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim keygen: %s\n", err);
        return 2;
    }
    printf("%s\n", file);
    return 0;
}

int cx_cmd_key_load(const char *who, const char *path, cx_curve_t *k)
{
    char err[512];
    if (cx_curve_load(k, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s: --key: %s\n", who, err);
        return -1;
    }
    return 0;
}
