/*  cx_signals — the one signal set-up of the programs: SIGINT and SIGTERM
 *  call a handler that only records the request (the program's loop polls
 *  its flag and stops cleanly), SIGPIPE is ignored so that a peer or a
 *  reader that goes away gives EPIPE instead of killing the process; and,
 *  in a child between fork and exec, the defaults back.
 *
 *  No SA_RESTART: a blocking call returns EINTR, so that a loop waiting in
 *  poll, waitpid or a ZeroMQ call sees the request at once.
 *
 *  Ownership: process-wide state. Errors: none (sigaction on these signals
 *  cannot fail).
 */
#ifndef CX_SIGNALS_H
#define CX_SIGNALS_H

/* SIGINT and SIGTERM -> on_stop (async-signal-safe: set a flag), SIGPIPE
 * ignored. */
void cx_signals_on_stop(void (*on_stop)(int));

/* SIGINT, SIGTERM and SIGPIPE back to their defaults: in a child, before
 * exec, so that the program started gets a clean slate. */
void cx_signals_default(void);

#endif
