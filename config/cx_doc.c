/*  cx_doc — YAML text to a tree of cx_node_t, from libyaml's event stream.
 *
 *  The event stream (not yaml_parser_load) is used so that every limit is
 *  enforced before the offending structure is built: an alias is refused at
 *  its first occurrence, nesting stops at CX_DOC_MAX_DEPTH, and the node
 *  count at CX_DOC_MAX_NODES. The input size is capped by the caller.
 */
#include "cx_doc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define S_CHUNK 65536 /* arena chunk size; larger requests get their own chunk */

struct cx_doc_chunk {
    cx_doc_chunk_t *next; /* older chunk */
    size_t used;          /* bytes handed out */
    size_t cap;           /* bytes in data[] */
    max_align_t data[];   /* the memory */
};

void cx_doc_init(cx_doc_t *doc)
{
    memset(doc, 0, sizeof *doc);
}

void cx_doc_fini(cx_doc_t *doc)
{
    if (!doc) {
        return;
    }
    cx_doc_chunk_t *c = doc->chunks;
    while (c) {
        cx_doc_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    memset(doc, 0, sizeof *doc);
}

/* size bytes from the arena, aligned for any type; NULL (and doc->oom) on
 * out of memory. */
static void *s_alloc(cx_doc_t *doc, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    cx_doc_chunk_t *c = doc->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > S_CHUNK ? size : S_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c) {
            doc->oom = true;
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        if (size > S_CHUNK / 4 && doc->chunks) {
            /* A big block goes behind the current chunk, so the current
             * chunk's free space is still used for small requests. */
            c->next = doc->chunks->next;
            doc->chunks->next = c;
        } else {
            c->next = doc->chunks;
            doc->chunks = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

cx_node_t *cx_doc_node(cx_doc_t *doc, cx_node_type_t type, int line, int column, int origin)
{
    cx_node_t *n = s_alloc(doc, sizeof *n);
    if (!n) {
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    n->line = line;
    n->column = column;
    n->origin = origin;
    doc->n_nodes++;
    return n;
}

cx_node_t *cx_doc_scalar(cx_doc_t *doc, const char *text, size_t len, bool plain, int line,
                         int column, int origin)
{
    cx_node_t *n = cx_doc_node(doc, CX_NODE_SCALAR, line, column, origin);
    if (!n) {
        return NULL;
    }
    n->text = s_alloc(doc, len + 1);
    if (!n->text) {
        return NULL;
    }
    if (len) {
        memcpy(n->text, text, len);
    }
    n->text[len] = '\0';
    n->len = len;
    n->plain = plain;
    return n;
}

int cx_doc_append(cx_doc_t *doc, cx_node_t *parent, cx_node_t *kid)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? parent->cap * 2 : 8;
        cx_node_t **kids = s_alloc(doc, (size_t)cap * sizeof *kids);
        if (!kids) {
            return -1;
        }
        if (parent->n) {
            memcpy(kids, parent->kids, (size_t)parent->n * sizeof *kids);
        }
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

bool cx_node_is_null(const cx_node_t *n)
{
    if (!n) {
        return true;
    }
    if (n->type != CX_NODE_SCALAR || !n->plain) {
        return false;
    }
    return n->len == 0 || cx_node_is(n, "~") || cx_node_is(n, "null") || cx_node_is(n, "Null") ||
           cx_node_is(n, "NULL");
}

bool cx_node_is(const cx_node_t *n, const char *s)
{
    size_t len = strlen(s);
    return n && n->type == CX_NODE_SCALAR && n->len == len && memcmp(n->text, s, len) == 0;
}

cx_node_t *cx_node_get(const cx_node_t *map, const char *key)
{
    if (!map || map->type != CX_NODE_MAP) {
        return NULL;
    }
    for (int i = 0; i + 1 < map->n; i += 2) {
        if (cx_node_is(map->kids[i], key)) {
            return map->kids[i + 1];
        }
    }
    return NULL;
}

/* Where an error is reported: a file position, or (for an override) none. */
typedef struct {
    const char *file;  /* file name for diagnostics */
    int origin;        /* 0 = file, else override number */
    const char *note;  /* appended to messages for overrides */
    cx_diags_t *diags; /* where diagnostics go */
} s_where_t;

static void s_err(const s_where_t *w, int line, int column, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->origin) {
        cx_diags_add(w->diags, w->file, 0, 0, "", "%s%s", msg, w->note ? w->note : "");
    } else {
        cx_diags_add(w->diags, w->file, line, column, "", "%s", msg);
    }
}

/* Line and column (1-based) of byte `offset` in text. */
static void s_locate(const char *text, size_t len, size_t offset, int *line, int *column)
{
    int l = 1;
    size_t start = 0;
    if (offset > len) {
        offset = len;
    }
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *column = (int)(offset - start) + 1;
}

/* What usually causes libyaml's terser complaints, as "; hint". */
static const char *s_hint(const char *problem)
{
    static const struct {
        const char *problem; /* start of libyaml's message */
        const char *hint;    /* what to look at */
    } hints[] = {
        {"mapping values are not allowed", "; check this line's indentation, or quote a value "
                                           "that contains ': '"},
        {"did not find expected key", "; check this line's indentation"},
        {"did not find expected '-' indicator", "; check this line's indentation"},
        {"did not find expected ',' or '}'", "; close the '{' or separate entries with ','"},
        {"did not find expected ',' or ']'", "; close the '[' or separate items with ','"},
        {"found character that cannot start any token",
         "; indent with spaces, not tabs, and quote values starting with '@', '`' or '%'"},
        {"found a tab character", "; indent with spaces, not tabs"},
        {"found unexpected end of stream", "; close the quote or bracket"},
    };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        if (strncmp(problem, hints[i].problem, strlen(hints[i].problem)) == 0) {
            return hints[i].hint;
        }
    }
    return "";
}

static void s_yaml_error(const s_where_t *w, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown error";
    int line;
    int column;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        s_err(w, 0, 0, "out of memory while reading YAML");
        break;
    case YAML_READER_ERROR:
        s_locate(text, len, p->problem_offset, &line, &column);
        if (p->problem_value >= 0) {
            s_err(w, line, column, "not readable as YAML text: %s (byte 0x%02x)", problem,
                  (unsigned)p->problem_value & 0xffu);
        } else {
            s_err(w, line, column, "not readable as YAML text: %s", problem);
        }
        break;
    default:
        line = (int)p->problem_mark.line + 1;
        column = (int)p->problem_mark.column + 1;
        const char *hint = s_hint(problem);
        if (p->context) {
            s_err(w, line, column, "invalid YAML: %s (%s at line %d)%s", problem, p->context,
                  (int)p->context_mark.line + 1, hint);
        } else {
            s_err(w, line, column, "invalid YAML: %s%s", problem, hint);
        }
        break;
    }
}

int cx_doc_parse(cx_doc_t *doc, const char *file, const char *text, size_t len, int origin,
                 const char *note, cx_node_t **root, cx_diags_t *diags)
{
    s_where_t w = {file, origin, note, diags};
    yaml_parser_t p;
    yaml_event_t ev;
    cx_node_t *stack[CX_DOC_MAX_DEPTH];
    int depth = 0;
    int docs = 0;
    int rc = 0;
    bool done = false;

    *root = NULL;
    if (!yaml_parser_initialize(&p)) {
        s_err(&w, 0, 0, "out of memory while reading YAML");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            s_yaml_error(&w, &p, text, len);
            rc = -1;
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        int column = (int)ev.start_mark.column + 1;
        cx_node_t *node = NULL;
        const yaml_char_t *tag = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                s_err(&w, line, column,
                      "expected one YAML document, found a second one (a scenario is one "
                      "document: remove the extra '---')");
                rc = -1;
                done = true;
            }
            break;
        case YAML_ALIAS_EVENT:
            s_err(&w, line, column,
                  "aliases ('*%s') are not supported: write the value out in full",
                  ev.data.alias.anchor ? (const char *)ev.data.alias.anchor : "");
            rc = -1;
            done = true;
            break;
        case YAML_SCALAR_EVENT:
            tag = ev.data.scalar.tag;
            node = cx_doc_scalar(doc, (const char *)ev.data.scalar.value, ev.data.scalar.length,
                                 ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE, line, column,
                                 origin);
            break;
        case YAML_SEQUENCE_START_EVENT:
            tag = ev.data.sequence_start.tag;
            node = cx_doc_node(doc, CX_NODE_SEQ, line, column, origin);
            break;
        case YAML_MAPPING_START_EVENT:
            tag = ev.data.mapping_start.tag;
            node = cx_doc_node(doc, CX_NODE_MAP, line, column, origin);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                depth--;
            }
            break;
        default:
            break;
        }
        if (!done && tag) {
            /* Show a standard tag the way it was written: "!!binary". */
            const char *t = (const char *)tag;
            const char *std = "tag:yaml.org,2002:";
            bool is_std = strncmp(t, std, strlen(std)) == 0;
            s_err(&w, line, column, "tags ('%s%.40s') are not supported: remove the tag",
                  is_std ? "!!" : "", is_std ? t + strlen(std) : t);
            rc = -1;
            done = true;
        }
        if (!done && node) {
            if (depth == 0) {
                *root = node;
            } else {
                cx_node_t *parent = stack[depth - 1];
                if (parent->type == CX_NODE_MAP && parent->n % 2 == 0 &&
                    node->type != CX_NODE_SCALAR) {
                    s_err(&w, line, column, "expected a key name, found a %s used as a key",
                          node->type == CX_NODE_MAP ? "mapping" : "list");
                    rc = -1;
                    done = true;
                } else if (cx_doc_append(doc, parent, node) < 0) {
                    done = true;
                }
            }
            if (!done && node->type != CX_NODE_SCALAR) {
                if (depth == CX_DOC_MAX_DEPTH) {
                    s_err(&w, line, column,
                          "expected at most %d levels of nesting, found more (a scenario "
                          "needs 7)",
                          CX_DOC_MAX_DEPTH);
                    rc = -1;
                    done = true;
                } else {
                    stack[depth++] = node;
                }
            }
        }
        yaml_event_delete(&ev);
        if (!done && doc->n_nodes > CX_DOC_MAX_NODES) {
            s_err(&w, line, column,
                  "expected at most %d YAML nodes, found more (is this a scenario file?)",
                  CX_DOC_MAX_NODES);
            rc = -1;
            done = true;
        }
        if (doc->oom) {
            s_err(&w, 0, 0, "out of memory while reading YAML");
            rc = -1;
            done = true;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}
