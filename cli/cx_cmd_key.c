/*  cxsim keygen, and the --key option of the commands that talk to a run
 *  (ctl, watch, fork): see runtime/cx_curve.h for what a run key is.
 */
#include <stdio.h>
#include <string.h>

#include "cx_cmd.h"

int cx_cmd_keygen(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: cxsim keygen FILE\n"
               "\n"
               "Writes a new run key (a CurveZMQ key pair) to FILE, readable by you only.\n"
               "Copy it to every host of a run and start every process with --key FILE:\n"
               "connections are then encrypted, and only holders of the key can join,\n"
               "watch or control the run. FILE is never overwritten.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: cxsim keygen FILE\n");
        return 2;
    }
    char err[512];
    if (cx_curve_keygen(argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "cxsim keygen: %s\n", err);
        return 2;
    }
    printf("%s\n", argv[1]);
    return 0;
}

int cx_take_key_option(int *argc, char **argv, cx_curve_t *k, const char *who)
{
    memset(k, 0, sizeof *k);
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--key") != 0) {
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "%s: --key expects a run key file\n", who);
            return -1;
        }
        char err[512];
        if (cx_curve_load(k, argv[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "%s: --key: %s\n", who, err);
            return -1;
        }
        memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2 + 1) * sizeof argv[0]);
        *argc -= 2;
        i--;
    }
    return 0;
}
