/*  cx_opts — the one command-line option parser of the programs: a table
 *  of long options (each with an optional short or second spelling), read
 *  one argument at a time.
 *
 *      --name VALUE and --name=VALUE   an option that takes a value
 *      --name                          a flag (--name=VALUE is an error)
 *      anything not starting with '-'  a positional argument ("-" alone too)
 *
 *  Names match exactly: no abbreviation (`--replicate` is not
 *  `--replicates`). An unknown option, a missing value or a value given
 *  to a flag is an error, printed on stderr as "PROG: ..." with the
 *  closest option as "did you mean" (cx_suggest, the scenario loader's
 *  edit distance); the caller exits 2. cx_opts_command does the same for
 *  a subcommand name.
 *
 *  Ownership: the parser keeps pointers into argv and the table (the
 *  caller's, alive while it parses). Errors: CX_OPTS_ERROR, message
 *  printed.
 */
#ifndef CX_OPTS_H
#define CX_OPTS_H

#include <stdbool.h>

typedef struct {
    const char *name;  /* "--ticks" */
    const char *alias; /* another spelling ("-q"), or NULL */
    bool value;        /* takes a value */
    int id;            /* what cx_opts_next returns for it (>= 0) */
} cx_opt_t;

#define CX_OPTS_END (-1)        /* no argument left */
#define CX_OPTS_POSITIONAL (-2) /* a positional argument, in `value` */
#define CX_OPTS_ERROR (-3)      /* an error, printed */

typedef struct {
    const char *prog;     /* message prefix: "cxsim run" */
    const cx_opt_t *opts; /* the table */
    int nopts;            /* its entries */
    int argc;             /* arguments */
    char **argv;          /* argv[0] is the program or subcommand: not read */
    int i;                /* next argument to read */
    const char *arg;      /* the argument just read, as given */
    const char *value;    /* its value (an option's, or the positional) */
} cx_opts_t;

void cx_opts_init(cx_opts_t *p, const char *prog, const cx_opt_t *opts, int nopts, int argc,
                  char **argv);

/* The next argument: an option's id (its value in p->value, NULL for a
 * flag), CX_OPTS_POSITIONAL, CX_OPTS_END, or CX_OPTS_ERROR. */
int cx_opts_next(cx_opts_t *p);

/* Index of `word` in names, or -1 after printing "PROG: unknown command
 * 'WORD'" with the closest name as "did you mean". */
int cx_opts_command(const char *prog, const char *word, const char *const *names, int n);

/* Writes into buf the closest option to `arg` ("--tick" -> "--ticks"), or
 * returns false when none is close. */
bool cx_opts_suggest(const cx_opts_t *p, const char *arg, char *buf, int cap);

#endif
