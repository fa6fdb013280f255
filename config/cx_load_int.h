/*  cx_load_int — what the scenario loader's files share (private to
 *  cx_load.c: the sections and the entry points; cx_load_read.c: reading
 *  keys, numbers, enums and ids with their diagnostics; cx_load_event.c:
 *  timeline events). No other module includes it.
 *
 *  Errors: every reader reports into the context's diagnostics (one
 *  message per problem, with the key path) and returns -1 or false.
 */
#ifndef CX_LOAD_INT_H
#define CX_LOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_doc.h"
#include "cx_load.h"

#define CX_LOAD_PATH 200       /* room for a key path */
#define CX_LOAD_SHOW 48        /* longest found-value shown in a message */
#define CX_LOAD_MAX_MONEY 1e12 /* any amount of money */
#define CX_LOAD_MAX_STAFF 1e6  /* staff of one department */
#define CX_LOAD_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct {
    cx_diags_t *diags;       /* where diagnostics go */
    const char *file;        /* file name for diagnostics */
    const char *const *sets; /* the overrides, to quote them in messages */
    int n_sets;              /* entries in sets */
    int errors;              /* errors reported by this load */
    double maturity;         /* company.maturity, for departments without their own; 0 = none */
} cx_load_ctx_t;

/* An enum value's name (cx_owner_name ...), for the enum readers. */
typedef const char *(*cx_load__name_fn)(int v);

/* The keys an event may have (cx_load.c). The readers below are described
 * where they are defined (cx_load_read.c, cx_load.c, cx_load_event.c). */
extern const char *const cx_load__event_keys[];
extern const int cx_load__n_event_keys;

void cx_load__err(cx_load_ctx_t *c, const cx_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool cx_load__flooded(const cx_load_ctx_t *c);
void cx_load__printable(char *dst, size_t size, const char *src, size_t len, size_t max);
const char *cx_load__show(const cx_node_t *n, char *buf, size_t size);
const char *cx_load__mean(const char *word, const char *const *cands, int n, char *buf,
                          size_t size);
const char *cx_load__join(const char *const *names, int n, char *buf, size_t size);
const char *cx_load__key_path(char *buf, const char *parent, const char *key);
const char *cx_load__index_path(char *buf, const char *parent, int i);
bool cx_load__map(cx_load_ctx_t *c, const cx_node_t *node, const char *path,
                  const char *const *keys, int n, const char *what);
const cx_node_t *cx_load__list(cx_load_ctx_t *c, const cx_node_t *map, const char *path,
                               const char *key, const char *what);
void cx_load__missing(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                      const char *what);
bool cx_load__digits_text(const cx_node_t *v, char *buf, size_t size);
bool cx_load__parse_double(const cx_node_t *v, double *out);
bool cx_load__parse_int(const cx_node_t *v, int64_t *out);
void cx_load__num_text(char *buf, size_t size, double x);
const char *cx_load__range_text(char *buf, size_t size, const char *noun, double lo, double hi,
                                bool lo_open);
int cx_load__read_num(cx_load_ctx_t *c, const cx_node_t *v, const char *path, double lo, double hi,
                      bool lo_open, double *out);
int cx_load__num(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                 double lo, double hi, bool lo_open, double *out);
int cx_load__read_int(cx_load_ctx_t *c, const cx_node_t *v, const char *path, int64_t lo,
                      int64_t hi, const char *noun, int64_t *out);
int cx_load__int(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key, int lo,
                 int hi, int *out);
int cx_load__bool(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                  bool *out);
const char *cx_load__text(const cx_node_t *v, char *buf, size_t size);
const char *cx_load__owner_nm(int v);
const char *cx_load__gov_nm(int v);
const char *cx_load__unit_nm(int v);
const char *cx_load__kind_nm(int v);
const char *cx_load__channel_nm(int v);
const char *cx_load__event_nm(int v);
int cx_load__read_enum(cx_load_ctx_t *c, const cx_node_t *v, const char *path,
                       cx_load__name_fn name, int count, int *out);
int cx_load__enum(cx_load_ctx_t *c, const cx_node_t *map, const char *path, const char *key,
                  cx_load__name_fn name, int count, int *out);
bool cx_load__is_id(const char *s);
int cx_load__read_id(cx_load_ctx_t *c, const cx_node_t *v, const char *path, const char *what,
                     char *out);
int cx_load__read_ref(cx_load_ctx_t *c, const cx_node_t *v, const char *path, const char *what,
                      const char *const *ids, int n, int *out);
void cx_load__dept_ids(const cx_scenario_t *sc, const char **ids, int *n);
void cx_load__sort_diags(cx_diags_t *d, int start);
void cx_load__timeline(cx_load_ctx_t *c, const cx_node_t *root, cx_scenario_t *sc);

#endif
