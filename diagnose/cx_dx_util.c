/*  cx_dx_util — see cx_dx_util.h. */
#include "cx_dx_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cx_dx_int(const cx_node_t *n, long lo, long hi, long *v)
{
    if (!n || n->type != CX_NODE_SCALAR || !n->plain || n->len == 0 || n->len > 18 ||
        strlen(n->text) != n->len) {
        return false;
    }
    char *end;
    errno = 0;
    long x = strtol(n->text, &end, 10);
    if (*end || errno || x < lo || x > hi) {
        return false;
    }
    *v = x;
    return true;
}
