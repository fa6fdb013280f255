#!/usr/bin/env bash
# --keep-checkpoints N keeps the last N checkpoints as DIR/checkpoint-T.msgpack
# (default 3), and `cxsim fork RUN NEW --at T` branches from the latest kept one
# starting at T or before: the branch's ticks before it are the original's, its
# changes land at T, and it equals a fresh run of its own scenario. --at before
# every kept checkpoint is refused with exit 2, naming those kept.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 100 --checkpoint-every 10 --quiet)
kept() { (cd "$1" && ls checkpoint-*.msgpack 2>/dev/null | sed 's/checkpoint-\([0-9]*\).msgpack/\1/' | sort -n | tr '\n' ' '); }

# Checkpoints after ticks 9, 19, ... 89: they start ticks 10 .. 90.
"$CXSIM" run "${ARGS[@]}" --out "$T/a" || fail "the default run failed"
[ "$(kept "$T/a")" = "70 80 90 " ] || fail "default: kept '$(kept "$T/a")', not the last 3 (70 80 90)"
cmp -s "$T/a/checkpoint.msgpack" "$T/a/checkpoint-90.msgpack" || fail "checkpoint.msgpack is not the latest"
"$CXSIM" run "${ARGS[@]}" --keep-checkpoints 5 --out "$T/five" || fail "--keep-checkpoints 5 failed"
[ "$(kept "$T/five")" = "50 60 70 80 90 " ] || fail "5: kept '$(kept "$T/five")'"
"$CXSIM" run "${ARGS[@]}" --keep-checkpoints 1 --out "$T/one" || fail "--keep-checkpoints 1 failed"
[ "$(kept "$T/one")" = "90 " ] || fail "1: kept '$(kept "$T/one")'"
set +e
"$CXSIM" run "${ARGS[@]}" --keep-checkpoints 0 --out "$T/zero" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "keep-checkpoints expects 1" "$T/err" || fail "--keep-checkpoints 0: exit $rc"

# fork --at 75: the checkpoint starting tick 70; the change at 75.
"$CXSIM" fork "$T/a" "$T/b" --at 75 --set departments.it.maturity=5 --quiet 2>"$T/fork.err" ||
    { cat "$T/fork.err" >&2; fail "fork --at 75 failed"; }
grep -q "branches from .* after tick 69 with 1 change" "$T/fork.err" || fail "fork --at 75: $(cat "$T/fork.err")"
grep -A3 -- "- at: 75" "$T/b/scenario.resolved.yaml" | grep -q "department: it" ||
    fail "the change is not at tick 75"
[ "$(rows "$T/b/kpis.csv")" -eq 100 ] || fail "the branch did not run to the end"
cmp -s <(head -n 76 "$T/a/kpis.csv") <(head -n 76 "$T/b/kpis.csv") || fail "ticks 0-74 of the branch differ"
cmp -s "$T/a/kpis.csv" "$T/b/kpis.csv" && fail "the branch's change changed nothing"
"$CXSIM" run "$T/b/scenario.resolved.yaml" --in-process --quiet --out "$T/fresh" || fail "fresh run failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/b/$f" "$T/fresh/$f" || fail "$f of the branch differs from a fresh run of its scenario"
done
# Exactly at a kept tick: that one.
"$CXSIM" fork "$T/a" "$T/c" --at 80 --quiet 2>"$T/fork.err" || fail "fork --at 80 failed"
grep -q "after tick 79 with 0 changes" "$T/fork.err" || fail "fork --at 80: $(cat "$T/fork.err")"
cmp -s "$T/a/kpis.csv" "$T/c/kpis.csv" || fail "an unchanged branch from tick 80 differs from the original"
# Before every kept one: refused, naming them; nothing created.
set +e
"$CXSIM" fork "$T/a" "$T/x" --at 65 --set departments.it.maturity=5 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "fork --at 65 gave exit $rc, not 2"
grep -q "no kept checkpoint .* tick 65 or before (kept: ticks 70, 80, 90)" "$T/err" || fail "fork --at 65: $(cat "$T/err")"
[ ! -e "$T/x" ] || fail "a refused fork created its directory"
echo ok
