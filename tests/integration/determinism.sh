#!/usr/bin/env bash
# Same seed: byte-identical files. Another seed: different. Shards 1, 2, 4 and
# the in-process engine: byte-identical.
. "$(dirname "$0")/lib.sh"

run() { # out, extra args...
    local out=$1
    shift
    "$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 20 --quiet --out "$T/$out" "$@" \
        || fail "run $out failed"
}
same() {
    for f in kpis.csv departments.csv touchpoints.csv; do
        cmp -s "$T/$1/$f" "$T/$2/$f" || fail "$f differs between $1 and $2"
    done
}

run a --seed 7
run b --seed 7
same a b
run c --seed 8
cmp -s "$T/a/kpis.csv" "$T/c/kpis.csv" && fail "seeds 7 and 8 gave identical kpis.csv"
run s2 --seed 7 --shards 2
run s4 --seed 7 --shards 4
same a s2
same a s4
run ip --seed 7 --shards 3 --in-process
same a ip
# Every process on one CPU (--cpus): placement changes timing, never results.
cpu0=$(taskset -pc $$ 2>/dev/null | sed 's/.*: *//; s/[,-].*//')
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 20 --quiet --out "$T/pin" --seed 7 --shards 2 \
    --cpus "${cpu0:-0}" &
pin=$!
for _ in $(seq 1 100); do
    kids=$(pgrep -P "$pin" || true)
    [ -n "$kids" ] && break
    sleep 0.02
done
for k in $kids; do # still running ones must be held to that one CPU
    m=$(taskset -pc "$k" 2>/dev/null | sed 's/.*: *//') || continue
    [ -z "$m" ] || [ "$m" = "${cpu0:-0}" ] || fail "process $k runs on CPUs $m, not ${cpu0:-0}"
done
wait "$pin" || fail "run with --cpus failed"
same a pin
for bad in x 0-x 99999 1,; do
    set +e
    "$CXSIM" run "$BASELINE" --ticks 2 --quiet --out "$T/badcpu" --cpus "$bad" 2>"$T/cpus.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "--cpus $bad gave exit $rc, not 2"
    grep -q -- "--cpus" "$T/cpus.err" || fail "--cpus $bad: no message naming the option"
done
echo ok
