/*  cx_proc — starting, watching and stopping the processes of a run.
 *
 *  Children are started with fork+exec; each gets PR_SET_PDEATHSIG(SIGTERM)
 *  so that it dies with the launcher even if the launcher is SIGKILLed, and
 *  its own process group is the launcher's, so a terminal's Ctrl-C reaches
 *  all of them. cx_proc_reap collects exits without blocking.
 *
 *  Ownership: a cx_procs_t is caller storage; the entries' names are copies.
 *  Errors: -1 with errno.
 */
#ifndef CX_PROC_H
#define CX_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#define CX_PROC_MAX 1100
/* Exit status of an agent that stopped because its coordinator stopped
 * answering (hung or gone): the launcher then blames the coordinator, not
 * the agent. */
#define CX_EXIT_COORD_LOST 4

typedef struct {
    pid_t pid;       /* process id, 0 when not started */
    char name[128];  /* what it is, e.g. "persona bargain_hunter shard 1/2" */
    bool exited;     /* reaped */
    int status;      /* waitpid status once exited */
} cx_child_t;

typedef struct {
    cx_child_t child[CX_PROC_MAX]; /* started processes */
    int n;                         /* entries used */
} cx_procs_t;

/* Starts argv[0] (a path) with argv; records it under `name`. Returns the
 * child's index, or -1. */
int cx_proc_spawn(cx_procs_t *ps, const char *name, char *const argv[]);

/* Reaps children that have exited, without blocking. Returns the index of
 * one newly exited child, or -1 when none exited. Call until -1. */
int cx_proc_reap(cx_procs_t *ps);

/* The state letter of process pid in /proc/PID/stat ('R', 'S', 'T' for
 * stopped, ...), or 0 when it cannot be read. */
char cx_proc_state(pid_t pid);

/* Removes a run's private socket directory (`cxsim run`'s mkdtemp
 * "cxsim-XXXXXX": its ipc sockets, its scenario copy, then the directory),
 * only when it is one: named cxsim-*, a directory (not a link) of this
 * user, mode 0700. Entries of other names are left, and so then is the
 * directory. Returns 0 (removed, or already gone), or -1 (not such a
 * directory, or not empty). The coordinator calls it as it exits, so that a
 * kill -9 of the launcher leaves nothing behind. */
int cx_proc_socket_dir_remove(const char *dir);

/* Sends sig to every child still running. */
void cx_proc_signal_all(cx_procs_t *ps, int sig);

/* Waits up to timeout_ms for every child to exit, then SIGKILLs the rest
 * and reaps them. Returns the number that had to be killed. */
int cx_proc_stop_all(cx_procs_t *ps, int timeout_ms);

/* "exited with status 3", "killed by signal 9 (Killed)" */
void cx_proc_describe(int status, char *buf, size_t cap);

/* Directory holding the running executable (for sibling executables). */
int cx_proc_self_dir(char *buf, size_t cap);

/* Raises this process's soft limit of open files to its hard limit (a run
 * holds one connection per agent, and Debian's default soft limit is 1024
 * while the hard one is much higher; ZeroMQ polls, so no select() limit
 * applies). Returns the soft limit now in force, or -1 if unknown. */
long cx_proc_raise_nofile(void);

/* Restricts this process, and every child it starts from now on, to the
 * CPUs of `list` ("0", "0,2", "0-3", "1,4-5"). Returns 0, or -1 with a
 * message in err (a malformed list, or a CPU this process may not use). */
int cx_proc_pin_cpus(const char *list, char *err, size_t errlen);

/* Milliseconds on a monotonic clock. */
long long cx_now_ms(void);

#endif
