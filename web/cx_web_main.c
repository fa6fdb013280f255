/*  cxsim-web — a live web page for trainers: a running simulation's KPIs
 *  as charts, and its controls (pause, pace, maturity, CX owner,
 *  governance), served on HTTP from one run directory.
 *
 *      cxsim-web RUN_DIR [--listen PORT] [--bind ADDR] [--key FILE]
 *
 *  Threads: main (arguments, signals, start and stop), the rows feed
 *  (cx_web_feed: the process's only ZeroMQ sockets), and libmicrohttpd's
 *  (one per connection, cx_web_http). They share cx_web_store, which holds
 *  its own mutex. SIGINT and SIGTERM are blocked in every thread and taken
 *  by main with sigwait, which then stops the server, the feed and frees
 *  everything: exit 0.
 *
 *  Exit status: 0 stopped by a signal, 1 could not serve (port in use,
 *  thread), 2 invalid command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cx_web_feed.h"
#include "cx_web_http.h"
#include "cx_web_store.h"

static void s_usage(FILE *fp)
{
    fprintf(fp, "usage: cxsim-web RUN_DIR [--listen PORT] [--bind ADDR] [--key FILE]\n"
                "\n"
                "Serves a live page of the simulation running (or run) in RUN_DIR: KPI charts\n"
                "updated tick by tick, and controls that change the run as `cxsim ctl` does.\n"
                "Open the address it prints in a browser.\n"
                "\n"
                "  --listen PORT   TCP port (default 8080; 0: any free port)\n"
                "  --bind ADDR     numeric IPv4 or IPv6 address to listen on (default 127.0.0.1).\n"
                "                  Anyone who reaches the page can change the run: bind to\n"
                "                  another address than loopback only on a trusted network.\n"
                "  --key FILE      the run key of a run started with --key (cxsim keygen)\n"
                "\n"
                "It keeps serving the final data after the run ends, until SIGINT or SIGTERM.\n"
                "HTTP API: docs/PROTOCOL.md, \"cxsim-web\".\n"
                "\n"
                "exit status: 0 stopped by a signal, 1 could not serve, 2 invalid input\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        s_usage(stdout);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        s_usage(stderr);
        return 2;
    }
    const char *dir = argv[1];
    const char *addr = "127.0.0.1";
    const char *key = NULL;
    long port = 8080;
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--listen") == 0 && v) {
            char *end = NULL;
            errno = 0;
            port = strtol(v, &end, 10);
            if (errno || end == v || *end || port < 0 || port > 65535) {
                fprintf(stderr, "cxsim-web: --listen expects a port from 0 to 65535, got '%s'\n",
                        v);
                return 2;
            }
            i++;
        } else if (strcmp(argv[i], "--bind") == 0 && v) {
            addr = v;
            i++;
        } else if (strcmp(argv[i], "--key") == 0 && v) {
            key = v;
            i++;
        } else {
            fprintf(stderr, "cxsim-web: unexpected argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cxsim-web: %s: %s\n", dir, errno ? strerror(errno) : "not a directory");
        return 2;
    }

    static cx_curve_t curve;
    char err[512];
    if (key && cx_curve_load(&curve, key, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        return 2;
    }

    /* Signals go to main's sigwait only: every thread started from here on
     * inherits the mask. A peer that closes early must not kill us. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    static cx_web_store_t store;
    static cx_web_feed_t feed;
    static cx_web_http_t http;
    if (cx_web_store_init(&store, CX_WEB_KEEP_ROWS) != 0) {
        fprintf(stderr, "cxsim-web: cannot set up: out of memory\n");
        return 1;
    }
    if (cx_web_http_start(&http, dir, &store, &curve, addr, (unsigned)port, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        cx_web_store_fini(&store);
        return strstr(err, "not a numeric") ? 2 : 1;
    }
    if (cx_web_feed_start(&feed, dir, &store, &curve, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        cx_web_store_close(&store);
        cx_web_http_stop(&http);
        cx_web_store_fini(&store);
        return 1;
    }
    if (!http.loopback) {
        fprintf(stderr,
                "cxsim-web: warning: listening on %s, not loopback: whoever reaches this address "
                "can pause, change and stop the run\n",
                addr);
    }
    int v6 = strchr(addr, ':') != NULL;
    printf("cxsim-web: http://%s%s%s:%u/\n", v6 ? "[" : "", addr, v6 ? "]" : "", http.port);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    cx_web_store_close(&store); /* streaming responses end now */
    cx_web_http_stop(&http);
    cx_web_feed_stop(&feed);
    cx_web_store_fini(&store);
    return 0;
}
