/*  cx_live_set — the `set KEY=VALUE` shorthand of live changes: turns
 *  departments.ID.maturity, departments.ID.staff, company.cx_owner,
 *  company.governance and company.price into the text of a timeline event
 *  ("{event: maturity, department: \"it\", to: 4, over: 6}"). It checks the
 *  shape only; the loader (cx_event_load_string) checks ids and ranges where
 *  the change is taken, so a typo gets the loader's message.
 *
 *  Errors: -1 with the reason in why (one line, no prefix).
 */
#ifndef CX_LIVE_SET_H
#define CX_LIVE_SET_H

#include <stddef.h>

/* kv "KEY=VALUE"; at, over, cost: the --at, --over, --cost texts or NULL.
 * Writes the event's YAML (flow mapping) into out. Returns 0 or -1. */
int cx_live_set_event(const char *kv, const char *at, const char *over, const char *cost,
                      char *out, size_t cap, char *why, size_t whylen);

#endif
