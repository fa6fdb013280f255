/*  cx_load — scenario files: YAML in, a validated cx_scenario_t out, and
 *  the resolved scenario back out as YAML.
 *
 *  Every error is collected (one pass reports them all) as a diagnostic with
 *  file, line, column, key path, what was expected and what was found, and a
 *  "did you mean" for a misspelt key or id. Overrides (`--set a.b=v`) are
 *  applied to the document before validation, so they are checked exactly
 *  like the file. Never crashes or hangs on any input (size, depth and alias
 *  limits are enforced).
 *
 *  Ownership: the caller owns sc and diags; cx_diags_fini frees diags.
 *  Errors: functions return 0 on success, -1 when at least one error was
 *  added to diags.
 */
#ifndef CX_LOAD_H
#define CX_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cx_scenario.h"

typedef struct {
    char file[256];    /* file name as given ("--set" for an override) */
    int line;          /* 1-based; 0 when not tied to a place */
    int column;        /* 1-based; 0 when not tied to a place */
    char path[160];    /* key path, e.g. departments[2].maturity */
    char message[512]; /* what was expected, what was found, did you mean */
} cx_diag_t;

typedef struct {
    cx_diag_t *items; /* diagnostics, in file order */
    int n;            /* entries used */
    int cap;          /* entries allocated */
} cx_diags_t;

#define CX_SCENARIO_MAX_BYTES (4 * 1024 * 1024) /* largest scenario file accepted */
#define CX_DIAGS_MAX 200                        /* diagnostics kept; the last says more were cut */

void cx_diags_init(cx_diags_t *d);
void cx_diags_fini(cx_diags_t *d);
/* Prints each as "file:line:column: error: path: message" (without
 * ":line:column" when line is 0, without "path: " when path is empty). */
void cx_diags_print(FILE *fp, const cx_diags_t *d);

/* Formats one diagnostic as cx_diags_print does, without the newline, into
 * buf (always NUL-terminated). Returns the length it needed, like snprintf. */
int cx_diag_format(const cx_diag_t *diag, char *buf, size_t size);

/* Appends a diagnostic; the message is printf-formatted. Long fields are
 * cut to fit. Past CX_DIAGS_MAX entries, the last one says so and the rest
 * are dropped. Returns 0, or -1 when dropped (limit or out of memory). */
int cx_diags_add(cx_diags_t *d, const char *file, int line, int column, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The candidate closest to `word` by edit distance (case-insensitive, with
 * transpositions), or NULL when none is close enough to be a likely typo.
 * The return value points into candidates. */
const char *cx_suggest(const char *word, const char *const *candidates, int n);

/* Loads and validates the file at `path`, after applying `n_sets`
 * overrides of the form "key.path=value" (docs/SCENARIOS.md). Every
 * problem found is appended to diags, sorted by position. On error, sc
 * holds whatever could be read and must not be used. */
int cx_scenario_load_file(const char *path, const char *const *sets, int n_sets, cx_scenario_t *sc,
                          cx_diags_t *diags);

/* The same from memory; `name` is used in diagnostics. */
int cx_scenario_load_string(const char *name, const char *text, size_t len, const char *const *sets,
                            int n_sets, cx_scenario_t *sc, cx_diags_t *diags);

/* The resolved scenario (every default made explicit) as YAML text that
 * loads back to an identical cx_scenario_t. *text is malloc'ed, the
 * caller's to free. Returns 0, or -1 on out of memory. */
int cx_scenario_emit(const cx_scenario_t *sc, char **text, size_t *len);

/* True when a and b are byte-identical except for their `line` fields
 * (which say where each item sat in its file, so differ between a file and
 * its resolved form). */
bool cx_scenario_equal(const cx_scenario_t *a, const cx_scenario_t *b);

/* Sets every `line` field to 0. */
void cx_scenario_clear_lines(cx_scenario_t *sc);

/* Sets the length of a loaded scenario to `ticks` (1 .. CX_MAX_TICKS),
 * dropping the timeline events that would start at or after it: what
 * `cxsim run --ticks N` means ("run only the first N ticks", or more).
 * A `--set ticks=N` instead checks the file against N and so rejects the
 * events past it, which is right for an edit and wrong for a quick run.
 * Returns the number of events dropped, or -1 when ticks is out of range
 * (sc unchanged). */
int cx_scenario_set_ticks(cx_scenario_t *sc, int ticks);

/* Loads one timeline event from `text`: a YAML mapping with the keys of an
 * item of `timeline` (docs/SCENARIOS.md), usually in flow form such as
 * "{event: maturity, department: it, to: 4, over: 6}". It is checked
 * against sc exactly like an item of the file's timeline; `at` may be
 * omitted and then means `first_tick`, and an `at` before first_tick is an
 * error (the past cannot change). This is how a running simulation takes
 * live changes. Returns 0, or -1 with diagnostics naming `name`. */
int cx_event_load_string(const char *name, const char *text, size_t len, const cx_scenario_t *sc,
                         int first_tick, cx_event_spec_t *ev, cx_diags_t *diags);

/* Every key a scenario file may hold, as documented paths such as
 * "company.cx_owner" or "departments[].maturity" (model parameters appear
 * once as "model.<parameter>"). Static storage; *count gets the length. */
const char *const *cx_scenario_keys(int *count);

#endif
