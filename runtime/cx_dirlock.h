/*  cx_dirlock — one writer per run directory.
 *
 *  A run (the launcher, a coordinator started by hand, a resume, a fork)
 *  holds flock(LOCK_EX) on its output directory for as long as it writes
 *  there; a second one is refused at once, naming the holder's process id
 *  (read from /proc/locks). The lock lives on the open directory, so it adds
 *  no file to the run; the kernel drops it when the last process holding it
 *  ends, however it ends (kill -9 included), and the next run takes it.
 *
 *  A process keeps the locks it took until it exits: taking the same
 *  directory again (a fork that then resumes its branch) returns the lock it
 *  holds. The launcher hands its lock to the coordinator it starts (the
 *  descriptor inherited, `--lock-fd`), so the directory stays locked while
 *  the coordinator writes, even past the launcher's death.
 */
#ifndef CX_DIRLOCK_H
#define CX_DIRLOCK_H

#include <stddef.h>

/* Locks directory dir. Returns the lock's descriptor (close-on-exec, owned
 * by this module); -1 when another process holds it (err names it), -2 when
 * the directory cannot be opened (err says why). */
int cx_dirlock_take(const char *dir, char *err, size_t errlen);

/* Adopts an inherited descriptor fd that already holds dir's lock (the
 * coordinator's --lock-fd): 0, or -1 when fd is not dir or holds no lock. */
int cx_dirlock_adopt(const char *dir, int fd, char *err, size_t errlen);

#endif
