/*  cx_live_set — the `set KEY=VALUE` shorthand of live changes (see cx_live_set.h). */
#include "cx_live_set.h"

#include <stdio.h>
#include <string.h>

int cx_live_set_event(const char *who, const char *kv, const char *at, const char *over,
                      const char *cost, char *out, size_t cap)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || !eq[1]) {
        fprintf(stderr, "%s: set expects KEY=VALUE, got '%s'\n", who, kv);
        return -1;
    }
    char key[256], val[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    snprintf(val, sizeof val, "%s", eq + 1);
    char body[700];
    char dept[128] = "";
    const char *field = NULL;
    if (strncmp(key, "departments.", 12) == 0) {
        const char *dot = strrchr(key, '.');
        if (dot > key + 12) {
            snprintf(dept, sizeof dept, "%.*s", (int)(dot - key - 12), key + 12);
            field = dot + 1;
        }
    }
    /* Values go in quotes only when they are names; numbers stay plain so
     * that the coordinator's checks report them as numbers. */
    if (field && strcmp(field, "maturity") == 0) {
        snprintf(body, sizeof body, "event: maturity, department: \"%s\", to: %s, over: %s", dept,
                 val, over ? over : "1");
        over = NULL;
    } else if (field && strcmp(field, "staff") == 0) {
        snprintf(body, sizeof body, "event: staff, department: \"%s\", value: %s", dept, val);
    } else if (strcmp(key, "company.cx_owner") == 0) {
        snprintf(body, sizeof body, "event: cx_owner, owner: \"%s\"", val);
    } else if (strcmp(key, "company.governance") == 0) {
        snprintf(body, sizeof body, "event: governance, governance: \"%s\"", val);
    } else if (strcmp(key, "company.price") == 0) {
        snprintf(body, sizeof body, "event: price, value: %s", val);
    } else {
        fprintf(stderr,
                "%s: '%s' cannot be changed while a run goes on: expected "
                "departments.ID.maturity, departments.ID.staff, company.cx_owner, "
                "company.governance or company.price (or `event` for any timeline event)\n",
                who, key);
        return -1;
    }
    if (over) {
        fprintf(stderr, "%s: --over applies to a maturity change only\n", who);
        return -1;
    }
    int n = snprintf(out, cap, "{%s%s%s%s%s}", body, at ? ", at: " : "", at ? at : "",
                     cost ? ", cost: " : "", cost ? cost : "");
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "%s: the change is too long\n", who);
        return -1;
    }
    return 0;
}

