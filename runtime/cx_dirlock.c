/*  cx_dirlock — one writer per run directory (see cx_dirlock.h). */
#include "cx_dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define S_MAX_HELD 8 /* directories one process locks: a fork's two at most */

static struct {
    dev_t dev; /* the directory */
    ino_t ino; /* ... */
    int fd;    /* its locked descriptor */
} s_held[S_MAX_HELD];
static int s_n_held;

/* The process that took the flock on (dev, ino), from /proc/locks, or 0. */
static long s_holder(dev_t dev, ino_t ino)
{
    FILE *fp = fopen("/proc/locks", "re");
    if (!fp) {
        return 0;
    }
    char line[512];
    long found = 0;
    while (!found && fgets(line, sizeof line, fp)) {
        /* "1: FLOCK  ADVISORY  WRITE 1234 08:02:131 0 EOF" (a "->" line
         * is a waiter, not a holder). */
        char kind[16], mode[16], rw[16];
        long pid;
        unsigned maj, min;
        unsigned long long i;
        if (strstr(line, "->") == NULL &&
            sscanf(line, "%*d: %15s %15s %15s %ld %x:%x:%llu", kind, mode, rw, &pid, &maj, &min,
                   &i) == 7 &&
            strcmp(kind, "FLOCK") == 0 && i == (unsigned long long)ino && maj == major(dev) &&
            min == minor(dev)) {
            found = pid;
        }
    }
    fclose(fp);
    return found;
}

int cx_dirlock_take(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -2;
    }
    for (int i = 0; i < s_n_held; i++) {
        if (s_held[i].dev == st.st_dev && s_held[i].ino == st.st_ino) {
            close(fd);
            return s_held[i].fd;
        }
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock %s: %s", dir, strerror(e));
            return -2;
        }
        long pid = s_holder(st.st_dev, st.st_ino);
        if (pid > 0) {
            snprintf(err, errlen, "%s is in use by another run (process %ld holds its lock)", dir,
                     pid);
        } else {
            snprintf(err, errlen, "%s is in use by another run (another process holds its lock)",
                     dir);
        }
        return -1;
    }
    if (s_n_held < S_MAX_HELD) {
        s_held[s_n_held].dev = st.st_dev;
        s_held[s_n_held].ino = st.st_ino;
        s_held[s_n_held].fd = fd;
        s_n_held++;
    }
    return fd;
}

int cx_dirlock_adopt(const char *dir, int fd, char *err, size_t errlen)
{
    struct stat a, b;
    if (fstat(fd, &a) != 0 || stat(dir, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        snprintf(err, errlen, "--lock-fd %d is not the directory %s", fd, dir);
        return -1;
    }
    /* Taking the lock again through the same open description succeeds
     * only if it is that description which holds it (or nobody does). */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        long pid = s_holder(a.st_dev, a.st_ino);
        snprintf(err, errlen, "%s is in use by another run (process %ld holds its lock)", dir, pid);
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (s_n_held < S_MAX_HELD) {
        s_held[s_n_held].dev = a.st_dev;
        s_held[s_n_held].ino = a.st_ino;
        s_held[s_n_held].fd = fd;
        s_n_held++;
    }
    return 0;
}
