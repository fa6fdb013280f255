#!/usr/bin/env bash
# Every shipped scenario runs a few ticks as real processes and completes.
# (The bench-* scenarios are exercised by the benchmark smoke test.)
. "$(dirname "$0")/lib.sh"

n=0
for f in "$CX_SOURCE_DIR"/scenarios/*.yaml; do
    name=$(basename "$f" .yaml)
    case "$name" in bench-*) continue ;; esac
    "$CXSIM" run "$f" --ticks 3 --quiet --out "$T/$name" 2>"$T/$name.err" \
        || { cat "$T/$name.err" >&2; fail "$name did not run"; }
    [ "$(rows "$T/$name/kpis.csv")" -eq 3 ] || fail "$name: kpis.csv does not hold 3 rows"
    grep -q '"status": "completed"' "$T/$name/summary.json" || fail "$name: not completed"
    n=$((n + 1))
done
[ "$n" -ge 9 ] || fail "only $n shipped scenarios found"
echo "ok ($n scenarios)"
