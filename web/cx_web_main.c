/*  cxsim-web — a live web page for trainers: a running simulation's KPIs
 *  as charts, and its controls (pause, pace, maturity, CX owner,
 *  governance), served on HTTP from one run directory.
 *
 *      cxsim-web RUN_DIR [--classroom] [--listen PORT] [--bind ADDR] [--key FILE]
 *      cxsim-web --assess FILE [--listen PORT] [--bind ADDR]
 *
 *  --assess: the maturity questionnaire FILE (as `cxsim assess` reads it)
 *  served for a workshop without a run (cx_web_assess): one form per
 *  department, the scores and the assessed scenario to download.
 *
 *  --classroom: one seat per department of the run's scenario plus the
 *  trainer's (cx_web_seats), each with a secret token; their links are
 *  printed on stdout and written to RUN_DIR/classroom.txt (mode 0600),
 *  which this server holds a lock on while it serves (a second --classroom
 *  server on the run exits 2 naming the first one's pid; a dead one's file
 *  is replaced) and removes on exit.
 *
 *  Threads: main (arguments, signals, start and stop), the rows feed
 *  (cx_web_feed: the process's only ZeroMQ sockets), the do-nothing
 *  replay (cx_web_shadow: its own store, RUN_DIR/shadow/), and libmicrohttpd's
 *  (one per connection, cx_web_http). They share cx_web_store, which holds
 *  its own mutex. SIGINT and SIGTERM are blocked in every thread and taken
 *  by main with sigwait, which then stops the server, the feed and frees
 *  everything: exit 0.
 *
 *  Exit status: 0 stopped by a signal, 1 could not serve (port in use,
 *  thread, classroom.txt not writable), 2 invalid command line (or, with
 *  --classroom, no readable scenario.resolved.yaml within 10 s, or another
 *  --classroom server on the run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx_load.h"
#include "cx_opts.h"
#include "cx_web_assess.h"
#include "cx_web_feed.h"
#include "cx_web_http.h"
#include "cx_web_shadow.h"
#include "cx_web_store.h"

static void s_usage(FILE *fp)
{
    fprintf(fp,
            "usage: cxsim-web RUN_DIR [--classroom] [--listen PORT] [--bind ADDR] [--key FILE]\n"
            "       cxsim-web --assess FILE [--listen PORT] [--bind ADDR]\n"
            "\n"
            "Serves a live page of the simulation running (or run) in RUN_DIR: KPI charts\n"
            "updated tick by tick, and controls that change the run as `cxsim ctl` does.\n"
            "Open the address it prints in a browser.\n"
            "\n"
            "  --listen PORT   TCP port (default 8080; 0: any free port)\n"
            "  --bind ADDR     numeric IPv4 or IPv6 address to listen on (default 127.0.0.1).\n"
            "                  Beyond loopback every request needs a secret token: the\n"
            "                  classroom's links with --classroom, else a trainer's link\n"
            "                  printed at start (the page with ?t=TOKEN).\n"
            "  --key FILE      the run key of a run started with --key (cxsim keygen)\n"
            "  --assess FILE   serve the self-assessment questionnaire FILE (cxsim assess)\n"
            "                  for a workshop, without a run: one form per department,\n"
            "                  the scores and the assessed scenario to download\n"
            "  --classroom     one secret link per department and one for the trainer\n"
            "                  (printed, and in RUN_DIR/classroom.txt while serving): a\n"
            "                  department's page changes that department only\n"
            "\n"
            "Beside the run, it replays the same scenario and seed without the live changes\n"
            "(the page's \"had nothing changed\" line), into RUN_DIR/shadow/.\n"
            "It keeps serving the final data after the run ends, until SIGINT or SIGTERM.\n"
            "HTTP API: docs/PROTOCOL.md, \"cxsim-web\".\n"
            "\n"
            "exit status: 0 stopped by a signal, 1 could not serve, 2 invalid input\n");
}

/* The department ids of RUN_DIR's scenario.resolved.yaml, waiting up to
 * 10 s for a run that is starting. Returns the count, or -1 with a message. */
static int s_dept_ids(const char *dir, char ids[][64], int max, char *err, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/scenario.resolved.yaml", dir);
    for (int i = 0; i < 100 && access(path, R_OK) != 0; i++) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    cx_scenario_t *sc = malloc(sizeof *sc);
    if (!sc) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    cx_diags_t d;
    cx_diags_init(&d);
    int n = -1;
    if (cx_scenario_load_file(path, NULL, 0, sc, &d) != 0) {
        char first[700] = "cannot be read (has the run started?)";
        if (d.n > 0) {
            cx_diag_format(&d.items[0], first, sizeof first);
        }
        snprintf(err, cap, "--classroom needs the run's departments: %.200s: %.240s", path, first);
    } else {
        n = sc->n_dept < max ? sc->n_dept : max;
        for (int i = 0; i < n; i++) {
            snprintf(ids[i], 64, "%s", sc->dept[i].id);
        }
    }
    cx_diags_fini(&d);
    free(sc);
    return n;
}

/* The seats' links, one a line: "trainer URL", "department ID URL". */
static void s_links(const cx_web_seats_t *seats, const char *base, FILE *fp)
{
    for (int i = 0; i < seats->n; i++) {
        const cx_web_seat_t *t = &seats->seat[i];
        if (t->role == CX_WEB_ROLE_TRAINER) {
            fprintf(fp, "trainer %s?t=%s\n", base, t->token);
        } else {
            fprintf(fp, "department %s %s?t=%s\n", t->dept, base, t->token);
        }
    }
}

/* Takes RUN_DIR/classroom.txt for this server: a fresh file (mode 0600,
 * never written through a planted link) that this process holds a write
 * lock on for as long as it serves, so that a second --classroom server on
 * the same run is refused instead of deleting the first one's links. A
 * file nobody holds is a dead server's and is replaced. The file is made
 * under a private name, locked, then linked into place (link(2) fails when
 * the name exists, so two servers starting at once cannot both win).
 * Returns 0 with *fd_out (open, locked, empty), -2 when a live server
 * holds it (its pid in err), -1 on an I/O error. */
static int s_claim_links(const char *path, int *fd_out, char *err, size_t cap)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    unlink(tmp);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fd < 0 || fcntl(fd, F_SETLK, &lk) != 0) {
        snprintf(err, cap, "%.400s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        if (link(tmp, path) == 0) {
            unlink(tmp);
            *fd_out = fd;
            return 0;
        }
        if (errno != EEXIST) {
            break;
        }
        int old = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (old >= 0) {
            struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            struct stat st;
            int held = fstat(old, &st) == 0 && S_ISREG(st.st_mode) &&
                       fcntl(old, F_GETLK, &q) == 0 && q.l_type != F_UNLCK;
            close(old);
            if (held) {
                snprintf(err, cap,
                         "another cxsim-web --classroom (pid %ld) serves this run: its links are "
                         "in %.400s; stop it first",
                         (long)q.l_pid, path);
                close(fd);
                unlink(tmp);
                return -2;
            }
        }
        unlink(path); /* a dead server's, or a planted link: replaced */
    }
    snprintf(err, cap, "%.400s: %s", path, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
}

/* Removes the claimed file (path "" or fd < 0: nothing claimed). It is
 * still ours: nobody replaces a file while its lock is held. */
static void s_release_links(const char *path, int fd)
{
    if (fd >= 0) {
        unlink(path);
        close(fd);
    }
}

/* Writes the links into the claimed file. Returns 0, or -1. */
static int s_fill_links(int fd, const cx_web_seats_t *seats, const char *base, char *err,
                        size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    s_links(seats, base, mem);
    int bad = fclose(mem) != 0;
    size_t off = 0;
    while (!bad && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            bad = 1;
            break;
        }
        off += (size_t)w;
    }
    if (bad) {
        snprintf(err, cap, "%s", strerror(errno ? errno : ENOMEM));
    }
    free(text);
    return bad ? -1 : 0;
}

typedef struct {
    const char *dir;    /* RUN_DIR */
    const char *assess; /* --assess FILE, or NULL */
    const char *addr;   /* --bind */
    const char *key;    /* --key FILE, or NULL */
    int classroom;      /* --classroom */
    long port;          /* --listen */
} s_opts_t;

/* Reads the command line. 0, 1 (help printed: exit 0), or 2 (printed). */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->addr = "127.0.0.1";
    o->port = 8080;
    enum { O_HELP, O_LISTEN, O_BIND, O_CLASSROOM, O_KEY, O_ASSESS };
    static const cx_opt_t opts[] = {
        {"--help", "-h", false, O_HELP}, {"--listen", NULL, true, O_LISTEN},
        {"--bind", NULL, true, O_BIND},  {"--classroom", NULL, false, O_CLASSROOM},
        {"--key", NULL, true, O_KEY},    {"--assess", NULL, true, O_ASSESS},
    };
    cx_opts_t op;
    cx_opts_init(&op, "cxsim-web", opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
    for (int id; (id = cx_opts_next(&op)) != CX_OPTS_END;) {
        const char *v = op.value;
        char *end = NULL;
        if (id == O_HELP) {
            s_usage(stdout);
            return 1;
        } else if (id == O_LISTEN) {
            errno = 0;
            o->port = strtol(v, &end, 10);
            if (errno || end == v || *end || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "cxsim-web: --listen expects a port from 0 to 65535, got '%s'\n",
                        v);
                return 2;
            }
        } else if (id == O_BIND || id == O_KEY || id == O_ASSESS) {
            *(id == O_BIND ? &o->addr : id == O_KEY ? &o->key : &o->assess) = v;
        } else if (id == O_CLASSROOM) {
            o->classroom = 1;
        } else if (id == CX_OPTS_POSITIONAL && !o->dir) {
            o->dir = v;
        } else {
            if (id == CX_OPTS_POSITIONAL) {
                fprintf(stderr, "cxsim-web: unexpected argument '%s'\n", v);
            }
            s_usage(stderr); /* CX_OPTS_ERROR: printed */
            return 2;
        }
    }
    if (o->assess && (o->dir || o->classroom || o->key)) {
        fprintf(stderr, "cxsim-web: --assess serves a questionnaire without a run: no RUN_DIR, "
                        "--classroom or --key\n");
        return 2;
    }
    if (!o->dir && !o->assess) {
        s_usage(stderr);
        return 2;
    }
    return 0;
}

/* Blocks SIGINT and SIGTERM in every thread started from here on (main
 * takes them with sigwait); a peer that closes early must not kill us. */
static void s_block_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The base address of the server, "http://ADDR:PORT/". */
static void s_base(char *base, size_t cap, const char *addr, unsigned port)
{
    int v6 = strchr(addr, ':') != NULL;
    snprintf(base, cap, "http://%s%s%s:%u/", v6 ? "[" : "", addr, v6 ? "]" : "", port);
}

/* --assess FILE: the questionnaire for a workshop, until a signal. */
static int s_serve_assess(const s_opts_t *o)
{
    sigset_t sigs;
    s_block_signals(&sigs);
    static cx_web_assess_t a;
    char err[512];
    int rc = cx_web_assess_start(&a, o->assess, o->addr, (unsigned)o->port, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        return rc == -2 ? 2 : 1;
    }
    char base[256];
    s_base(base, sizeof base, o->addr, a.port);
    if (a.token[0]) {
        fprintf(stderr,
                "cxsim-web: listening on %s, not loopback: every request needs the "
                "secret link\n",
                o->addr);
        printf("cxsim-web: %s?t=%s\n", base, a.token);
    } else {
        printf("cxsim-web: %s\n", base);
    }
    fflush(stdout);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    cx_web_assess_stop(&a);
    return 0;
}

/* Seats: a classroom's, or beyond loopback a single trainer's (a classroom
 * of no department), whose link is printed. 0, or an exit status. */
static int s_seats(const s_opts_t *o, cx_web_seats_t *seats, int *trainer_only)
{
    char err[512];
    *trainer_only = !o->classroom && !cx_web_is_loopback(o->addr);
    if (*trainer_only &&
        cx_web_seats_init(seats, NULL, 0, CX_WEB_SEAT_GAP_MS, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        return 1;
    }
    if (o->classroom) {
        static char ids[CX_WEB_SEATS_MAX - 1][64];
        const char *idp[CX_WEB_SEATS_MAX - 1];
        int n = s_dept_ids(o->dir, ids, CX_WEB_SEATS_MAX - 1, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "cxsim-web: %s\n", err);
            return 2;
        }
        for (int i = 0; i < n; i++) {
            idp[i] = ids[i];
        }
        if (cx_web_seats_init(seats, idp, n, CX_WEB_SEAT_GAP_MS, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim-web: %s\n", err);
            return 1;
        }
    }
    return 0;
}

/* RUN_DIR: the live page, until a signal. */
static int s_serve_run(const s_opts_t *o)
{
    const char *dir = o->dir;
    static cx_curve_t curve;
    char err[512];
    if (o->key && cx_curve_load(&curve, o->key, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        return 2;
    }
    static cx_web_seats_t seats;
    int trainer_only = 0;
    int rc = s_seats(o, &seats, &trainer_only);
    if (rc != 0) {
        return rc;
    }
    /* classroom.txt is claimed before anything listens: a second server on
     * the run is refused with the first one's pid, and the first keeps its
     * links. */
    char links[4200] = "";
    int links_fd = -1;
    if (o->classroom) {
        snprintf(links, sizeof links, "%s/classroom.txt", dir);
        int r = s_claim_links(links, &links_fd, err, sizeof err);
        if (r != 0) {
            fprintf(stderr, "cxsim-web: cannot write the classroom's links: %s\n", err);
            cx_web_seats_fini(&seats);
            return r == -2 ? 2 : 1;
        }
    }
    sigset_t sigs;
    s_block_signals(&sigs);
    static cx_web_store_t store, shadow_store;
    static cx_web_feed_t feed;
    static cx_web_shadow_t shadow;
    static cx_web_http_t http;
    if (cx_web_store_init(&store, CX_WEB_KEEP_ROWS) != 0 ||
        cx_web_store_init(&shadow_store, CX_WEB_KEEP_ROWS) != 0) {
        fprintf(stderr, "cxsim-web: cannot set up: out of memory\n");
        return 1;
    }
    store.shadow = &shadow_store;
    if (cx_web_http_start(&http, dir, &store, o->classroom || trainer_only ? &seats : NULL, &curve,
                          o->addr, (unsigned)o->port, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        cx_web_store_fini(&store);
        cx_web_seats_fini(&seats);
        s_release_links(links, links_fd);
        return strstr(err, "not a numeric") ? 2 : 1;
    }
    if (cx_web_feed_start(&feed, dir, &store, &curve, err, sizeof err) != 0 ||
        cx_web_shadow_start(&shadow, dir, &shadow_store, err, sizeof err) != 0) {
        fprintf(stderr, "cxsim-web: %s\n", err);
        cx_web_store_close(&store);
        cx_web_store_close(&shadow_store);
        cx_web_http_stop(&http);
        cx_web_feed_stop(&feed);
        cx_web_store_fini(&store);
        cx_web_store_fini(&shadow_store);
        cx_web_seats_fini(&seats);
        s_release_links(links, links_fd);
        return 1;
    }
    if (!http.loopback) {
        fprintf(stderr,
                "cxsim-web: listening on %s, not loopback: every request needs a seat's secret "
                "token; whoever holds a link can use it\n",
                o->addr);
    }
    char base[256];
    s_base(base, sizeof base, o->addr, http.port);
    printf("cxsim-web: %s\n", base);
    if (o->classroom) {
        if (s_fill_links(links_fd, &seats, base, err, sizeof err) != 0) {
            fprintf(stderr, "cxsim-web: cannot write the classroom's links: %s: %s\n", links, err);
            rc = 1;
        } else {
            s_links(&seats, base, stdout);
        }
    } else if (trainer_only) {
        s_links(&seats, base, stdout);
    }
    fflush(stdout);

    int sig = 0;
    while (rc == 0 && sigwait(&sigs, &sig) != 0) {
    }
    s_release_links(links, links_fd); /* the tokens die with the server */
    cx_web_store_close(&store);       /* streaming responses end now */
    cx_web_store_close(&shadow_store);
    cx_web_http_stop(&http);
    cx_web_feed_stop(&feed);
    cx_web_shadow_stop(&shadow);
    cx_web_store_fini(&store);
    cx_web_store_fini(&shadow_store);
    cx_web_seats_fini(&seats);
    return rc;
}

int main(int argc, char **argv)
{
    s_opts_t o;
    int pr = s_parse(argc, argv, &o);
    if (pr != 0) {
        return pr == 1 ? 0 : 2;
    }
    if (o.assess) {
        return s_serve_assess(&o);
    }
    struct stat st;
    if (stat(o.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cxsim-web: %s: %s\n", o.dir, errno ? strerror(errno) : "not a directory");
        return 2;
    }
    return s_serve_run(&o);
}
