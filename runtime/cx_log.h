/*  cx_log — one-line diagnostics on stderr, prefixed with the process's
 *  name ("cxsim-persona[bargain_hunter 1/2]: ..."). Debug lines appear only
 *  when CXSIM_LOG=debug. Not for results: those go to files. On a terminal
 *  each line first clears the line it starts on (the launcher's progress
 *  line), so that it stands on a line of its own.
 */
#ifndef CX_LOG_H
#define CX_LOG_H

void cx_log_init(const char *who);
void cx_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cx_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A notable event the user should see (e.g. a live change taken). */
void cx_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cx_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
