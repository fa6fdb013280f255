/*  cx_doc — a YAML document as a small tree that remembers where every node
 *  came from, built from libyaml's event stream under hard limits.
 *
 *  Why not libyaml's own document API: we need to refuse aliases at the
 *  place they occur (an alias bomb must never be expanded), stop at a depth
 *  limit before libyaml allocates a deep stack, cap the number of nodes, and
 *  graft `--set` values into the tree with their own origin. A tree of our
 *  own makes each of those a few lines.
 *
 *  Ownership: every node lives in the document's arena and is freed by
 *  cx_doc_fini; nodes are never freed one by one.
 *  Errors: functions returning int give 0 on success, -1 after adding a
 *  diagnostic (or on out of memory, also reported as a diagnostic).
 */
#ifndef CX_DOC_H
#define CX_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "cx_load.h"

#define CX_DOC_MAX_DEPTH 32     /* deepest nesting of lists and mappings */
#define CX_DOC_MAX_NODES 200000 /* nodes in one document, overrides included */

typedef enum {
    CX_NODE_SCALAR = 0, /* a scalar; null is a plain "", "~" or "null" */
    CX_NODE_MAP,        /* a mapping: kids are key, value, key, value, ... */
    CX_NODE_SEQ         /* a sequence: kids are the items */
} cx_node_type_t;

typedef struct cx_node cx_node_t;
struct cx_node {
    cx_node_type_t type; /* scalar, mapping or sequence */
    char *text;          /* scalar text, NUL-terminated (may hold NULs before len) */
    size_t len;          /* scalar text length in bytes */
    bool plain;          /* plain (unquoted, not block) scalar */
    int line;            /* 1-based line in its source */
    int column;          /* 1-based column in its source */
    int origin;          /* 0 = the file, k = the k-th override (1-based) */
    cx_node_t **kids;    /* children (see type) */
    int n;               /* entries used in kids */
    int cap;             /* entries allocated in kids */
};

typedef struct cx_doc_chunk cx_doc_chunk_t;

typedef struct {
    cx_node_t *root;        /* the document's root node, NULL for an empty stream */
    cx_doc_chunk_t *chunks; /* arena chunks, newest first */
    int n_nodes;            /* nodes allocated so far */
    bool oom;               /* an allocation failed */
} cx_doc_t;

void cx_doc_init(cx_doc_t *doc);
void cx_doc_fini(cx_doc_t *doc);

/* Parses `text` (len bytes, need not be NUL-terminated) into a tree whose
 * nodes carry `origin`. Refuses aliases, tags other than the standard ones,
 * more than one document, nesting deeper than CX_DOC_MAX_DEPTH and more than
 * CX_DOC_MAX_NODES nodes. On success *root is the document's root (NULL when
 * the stream holds no document). Diagnostics name `file`; when `origin` > 0
 * they carry no line (the text came from a command line) and end with
 * `note`. */
int cx_doc_parse(cx_doc_t *doc, const char *file, const char *text, size_t len, int origin,
                 const char *note, cx_node_t **root, cx_diags_t *diags);

/* A fresh node from the arena, or NULL on out of memory. */
cx_node_t *cx_doc_node(cx_doc_t *doc, cx_node_type_t type, int line, int column, int origin);

/* A fresh scalar holding a copy of text[0..len), or NULL on out of memory. */
cx_node_t *cx_doc_scalar(cx_doc_t *doc, const char *text, size_t len, bool plain, int line,
                         int column, int origin);

/* Appends `kid` to a mapping or sequence. Returns 0, or -1 on out of memory. */
int cx_doc_append(cx_doc_t *doc, cx_node_t *parent, cx_node_t *kid);

/* True for a null node: absent, or a plain "", "~", "null", "Null", "NULL". */
bool cx_node_is_null(const cx_node_t *n);

/* True when the scalar `n` is exactly the string `s`. */
bool cx_node_is(const cx_node_t *n, const char *s);

/* The value of `key` in mapping `map` (the first when repeated), or NULL. */
cx_node_t *cx_node_get(const cx_node_t *map, const char *key);

/* Applies one override "key.path=value" (origin is its 1-based number) to
 * the tree at *root, creating the root and missing mapping keys as needed.
 * Each dotted segment names a mapping key; in a list it picks the item whose
 * `id` is that segment, or the item at that 0-based index ("timeline.0.at"
 * or "timeline[0].at"). The value is parsed as YAML, so it is usually a
 * scalar but may be a flow list ("[it, product]"). Keys that do not exist
 * are created and left for the validator to report, with a suggestion.
 * Returns 0, or -1 after adding a diagnostic with file "--set". */
int cx_doc_set(cx_doc_t *doc, cx_node_t **root, const char *set, int origin, cx_diags_t *diags);

#endif
