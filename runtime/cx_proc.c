/*  cx_proc — process management for the launcher (see cx_proc.h). */
#include "cx_proc.h"
#include "cx_signals.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long cx_proc_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return -1;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl.rlim_cur = rl.rlim_max;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 30 ? 1L << 30 : (long)rl.rlim_cur;
}

long long cx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cx_proc_spawn(cx_procs_t *ps, const char *name, char *const argv[])
{
    if (ps->n >= CX_PROC_MAX) {
        errno = EAGAIN;
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        /* Die with the launcher, whatever kills it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(1);
        }
        cx_signals_default();
        execv(argv[0], argv);
        fprintf(stderr, "cxsim: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    cx_child_t *c = &ps->child[ps->n];
    memset(c, 0, sizeof *c);
    c->pid = pid;
    snprintf(c->name, sizeof c->name, "%s", name);
    return ps->n++;
}

int cx_proc_reap(cx_procs_t *ps)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return -1;
        }
        for (int i = 0; i < ps->n; i++) {
            if (ps->child[i].pid == pid && !ps->child[i].exited) {
                ps->child[i].exited = true;
                ps->child[i].status = status;
                return i;
            }
        }
    }
}

void cx_proc_signal_all(cx_procs_t *ps, int sig)
{
    for (int i = 0; i < ps->n; i++) {
        if (ps->child[i].pid > 0 && !ps->child[i].exited) {
            kill(ps->child[i].pid, sig);
        }
    }
}

static int s_running(const cx_procs_t *ps)
{
    int n = 0;
    for (int i = 0; i < ps->n; i++) {
        n += (ps->child[i].pid > 0 && !ps->child[i].exited);
    }
    return n;
}

int cx_proc_stop_all(cx_procs_t *ps, int timeout_ms)
{
    long long deadline = cx_now_ms() + timeout_ms;
    while (s_running(ps) > 0 && cx_now_ms() < deadline) {
        while (cx_proc_reap(ps) >= 0) {
        }
        if (s_running(ps) > 0) {
            usleep(5000);
        }
    }
    int killed = s_running(ps);
    if (killed > 0) {
        cx_proc_signal_all(ps, SIGKILL);
        for (int i = 0; i < ps->n; i++) {
            cx_child_t *c = &ps->child[i];
            if (c->pid > 0 && !c->exited) {
                if (waitpid(c->pid, &c->status, 0) == c->pid) {
                    c->exited = true;
                }
            }
        }
    }
    return killed;
}

void cx_proc_describe(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(buf, cap, "exited with status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == CX_EXIT_COORD_LOST ? " (it lost the coordinator)" : "");
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else {
        snprintf(buf, cap, "stopped (status %d)", status);
    }
}

int cx_proc_socket_dir_remove(const char *dir)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    struct stat st;
    if (lstat(dir, &st) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if (strncmp(base, "cxsim-", 6) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 07777) != 0700) {
        errno = EPERM;
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        int ours = strcmp(n, "coord.sock") == 0 || strcmp(n, "pub.sock") == 0 ||
                   strcmp(n, "control.sock") == 0 || strcmp(n, "scenario.yaml") == 0 ||
                   (strncmp(n, "dept-", 5) == 0 && len > 10 &&
                    strcmp(n + len - 5, ".sock") == 0 &&
                    strspn(n + 5, "0123456789") == len - 10);
        if (ours) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, n);
            unlink(path);
        }
    }
    closedir(d);
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

char cx_proc_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp) {
        return 0;
    }
    size_t n = fread(line, 1, sizeof line - 1, fp);
    fclose(fp);
    line[n] = 0;
    const char *close = strrchr(line, ')'); /* the name may hold spaces and ')' */
    return close && close[1] == ' ' ? close[2] : 0;
}

int cx_proc_self_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) {
        return -1;
    }
    *slash = '\0';
    return 0;
}

int cx_proc_pin_cpus(const char *list, char *err, size_t errlen)
{
    cpu_set_t allowed, want;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        snprintf(err, errlen, "cannot read this process's CPUs: %s", strerror(errno));
        return -1;
    }
    CPU_ZERO(&want);
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long lo = strtol(p, &end, 10);
        long hi = lo;
        if (end == p || errno || lo < 0) {
            snprintf(err, errlen, "'%s' is not a CPU list (such as 0, 0-1 or 0,2)", list);
            return -1;
        }
        p = end;
        if (*p == '-') {
            const char *q = p + 1;
            hi = strtol(q, &end, 10);
            if (end == q || errno || hi < lo) {
                snprintf(err, errlen, "'%s' is not a CPU list (such as 0, 0-1 or 0,2)", list);
                return -1;
            }
            p = end;
        }
        if (*p == ',') {
            p++;
            if (!*p) {
                snprintf(err, errlen, "'%s' is not a CPU list (such as 0, 0-1 or 0,2)", list);
                return -1;
            }
        } else if (*p) {
            snprintf(err, errlen, "'%s' is not a CPU list (such as 0, 0-1 or 0,2)", list);
            return -1;
        }
        for (long c = lo; c <= hi; c++) {
            if (c >= CPU_SETSIZE || !CPU_ISSET((int)c, &allowed)) {
                snprintf(err, errlen, "CPU %ld is not available to this process (%d CPUs)", c,
                         CPU_COUNT(&allowed));
                return -1;
            }
            CPU_SET((int)c, &want);
        }
    }
    if (CPU_COUNT(&want) == 0) {
        snprintf(err, errlen, "'%s' names no CPU", list);
        return -1;
    }
    if (sched_setaffinity(0, sizeof want, &want) != 0) {
        snprintf(err, errlen, "cannot run on CPUs %s: %s", list, strerror(errno));
        return -1;
    }
    return 0;
}
