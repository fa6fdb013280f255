/*  cx_dx_util — a helper shared by the diagnose modules: integers from
 *  YAML scalars. (Text buffers, whole-file reads and atomic writes are the
 *  project's, in config/cx_buf.h.)
 *
 *  Errors: false for anything that is not such an integer.
 */
#ifndef CX_DX_UTIL_H
#define CX_DX_UTIL_H

#include <stdbool.h>

#include "cx_buf.h"
#include "cx_doc.h"

/* An integer lo..hi from a plain scalar (the whole text, decimal). */
bool cx_dx_int(const cx_node_t *n, long lo, long hi, long *v);

#endif
