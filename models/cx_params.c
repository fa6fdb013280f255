/*  cx_params — defaults and lookup for the model parameter table. */
#include "cx_params.h"

#include <stddef.h>
#include <string.h>

static const cx_param_info_t s_table[] = {
#define CX_PARAM_ROW(name, def, lo, hi, unit, doc)                                                 \
    {#name, def, lo, hi, unit, doc, (unsigned)offsetof(cx_params_t, name)},
    CX_PARAMS_LIST(CX_PARAM_ROW)
#undef CX_PARAM_ROW
};

void cx_params_defaults(cx_params_t *p)
{
#define CX_PARAM_DEF(name, def, lo, hi, unit, doc) p->name = def;
    CX_PARAMS_LIST(CX_PARAM_DEF)
#undef CX_PARAM_DEF
}

const cx_param_info_t *cx_params_table(int *count)
{
    if (count) {
        *count = (int)(sizeof s_table / sizeof s_table[0]);
    }
    return s_table;
}

double *cx_params_field(cx_params_t *p, const char *name)
{
    for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++) {
        if (strcmp(s_table[i].name, name) == 0) {
            return (double *)((char *)p + s_table[i].offset);
        }
    }
    return NULL;
}
