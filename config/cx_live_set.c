/*  cx_live_set — the `set KEY=VALUE` shorthand of live changes (see cx_live_set.h). */
#include "cx_live_set.h"

#include <stdio.h>
#include <string.h>

#include "cx_load.h"

int cx_live_set_event(const char *kv, const char *at, const char *over, const char *cost,
                      char *out, size_t cap, char *why, size_t whylen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || !eq[1]) {
        snprintf(why, whylen, "set expects KEY=VALUE, got '%.200s'", kv);
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
        /* A misspelt key gets the loader's kind of suggestion. */
        static const char *const fields[] = {"maturity", "staff"};
        static const char *const company[] = {"company.cx_owner", "company.governance",
                                              "company.price"};
        char hint[200] = "";
        const char *near = NULL;
        if (field) {
            near = cx_suggest(field, fields, 2);
            if (near) {
                snprintf(hint, sizeof hint, "; did you mean 'departments.%s.%s'?", dept, near);
            }
        } else if ((near = cx_suggest(key, company, 3)) != NULL) {
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        }
        snprintf(why, whylen,
                 "'%.200s' cannot be changed while a run goes on: expected "
                 "departments.ID.maturity, departments.ID.staff, company.cx_owner, "
                 "company.governance or company.price (or the verb event for any timeline "
                 "event)%s",
                 key, hint);
        return -1;
    }
    if (over) {
        snprintf(why, whylen, "--over applies to a maturity change only");
        return -1;
    }
    int n = snprintf(out, cap, "{%s%s%s%s%s}", body, at ? ", at: " : "", at ? at : "",
                     cost ? ", cost: " : "", cost ? cost : "");
    if (n < 0 || (size_t)n >= cap) {
        snprintf(why, whylen, "the change is too long");
        return -1;
    }
    return 0;
}

