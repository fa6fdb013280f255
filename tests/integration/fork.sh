#!/usr/bin/env bash
# cxsim fork: a branch of a run from its last checkpoint, with changes, equals a
# fresh run of the branch's own scenario; its ticks before the branch point are
# the original's; a fork without changes is the original; bad forks exit 2.
. "$(dirname "$0")/lib.sh"

"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 100 --checkpoint-every 40 --quiet --out "$T/a" ||
    fail "the original run failed"
# The last checkpoint is after tick 79: the branch starts at tick 80.
"$CXSIM" fork "$T/a" "$T/b" --set departments.it.maturity=5 --at=85 --over=3 \
    --event '{event: cx_owner, owner: cx_team}' --quiet 2>"$T/fork.err" ||
    { cat "$T/fork.err" >&2; fail "fork failed"; }
grep -q "branches from .* after tick 79 with 2 changes" "$T/fork.err" || fail "fork did not say where it branched"
[ "$(rows "$T/b/kpis.csv")" -eq 100 ] || fail "the branch did not run to the end"
grep -q '"status": "completed"' "$T/b/summary.json" || fail "the branch's summary is not completed"
cmp -s <(head -n 81 "$T/a/kpis.csv") <(head -n 81 "$T/b/kpis.csv") || fail "ticks 0-79 of the branch differ"
cmp -s "$T/a/kpis.csv" "$T/b/kpis.csv" && fail "the branch's changes changed nothing"
grep -A2 -- "- at: 80" "$T/b/scenario.resolved.yaml" | grep -q "owner: cx_team" || fail "the owner change is not at tick 80"
grep -A3 -- "- at: 85" "$T/b/scenario.resolved.yaml" | grep -q "department: it" || fail "the maturity change is not at tick 85"
"$CXSIM" run "$T/b/scenario.resolved.yaml" --in-process --quiet --out "$T/fresh" || fail "fresh run failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/b/$f" "$T/fresh/$f" || fail "$f of the branch differs from a fresh run of its scenario"
done
# Without changes, a branch is the original.
"$CXSIM" fork "$T/a" "$T/same" --quiet 2>/dev/null || fail "fork without changes failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/a/$f" "$T/same/$f" || fail "$f of an unchanged branch differs from the original"
done

# A run still going: fork asks it for a checkpoint and branches there; the
# original goes on, unchanged by the snapshot.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 100 --tick-ms 15 --quiet --out "$T/live"
for _ in $(seq 1 300); do
    [ -f "$T/live/live.endpoints" ] && [ "$(rows "$T/live/kpis.csv")" -ge 20 ] && break
    sleep 0.05
done
"$CXSIM" fork "$T/live" "$T/lb" --set company.governance=hybrid --quiet 2>"$T/lfork.err" ||
    { cat "$T/lfork.err" >&2; fail "fork of a running run failed"; }
at=$(sed -n 's/.*took a checkpoint after tick \([0-9]*\).*/\1/p' "$T/lfork.err")
[ -n "$at" ] || fail "fork did not ask the running run for a checkpoint: $(cat "$T/lfork.err")"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || fail "the original run exited $RC after being forked"
assert_no_leftovers "$LPID"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 100 --quiet --in-process --out "$T/plain" || fail "plain run failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/live/$f" "$T/plain/$f" || fail "$f of the forked-from run differs from a plain run"
done
cmp -s <(head -n $((at + 2)) "$T/live/kpis.csv") <(head -n $((at + 2)) "$T/lb/kpis.csv") ||
    fail "ticks 0-$at of the live branch differ"
cmp -s "$T/live/kpis.csv" "$T/lb/kpis.csv" && fail "the live branch's change changed nothing"
"$CXSIM" run "$T/lb/scenario.resolved.yaml" --in-process --quiet --out "$T/lfresh" || fail "fresh run failed"
cmp -s "$T/lb/kpis.csv" "$T/lfresh/kpis.csv" || fail "the live branch differs from a fresh run of its scenario"

refused() { # stderr pattern, fork arguments...
    local pat=$1
    shift
    set +e
    "$CXSIM" fork "$@" 2>"$T/refused"
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "fork $* gave exit $rc, not 2"
    grep -q -- "$pat" "$T/refused" || fail "fork $*: expected '$pat', got: $(cat "$T/refused")"
}
refused "the past cannot change" "$T/a" "$T/c" --event '{event: price, value: 1.2, at: 50}'
[ ! -e "$T/c" ] || fail "a refused fork created its directory"
refused "did you mean 'it'" "$T/a" "$T/c" --set departments.itt.maturity=4
refused "already holds a run" "$T/a" "$T/b"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 5 --quiet --out "$T/nocp" || fail "short run failed"
refused "has no checkpoint" "$T/nocp" "$T/c"
echo ok
