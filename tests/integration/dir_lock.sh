#!/usr/bin/env bash
# One run writes in a directory at a time: while a run holds its directory, a
# second run, a resume, a fork and a hand-started coordinator into it are
# refused with exit 2 naming the holder's process id; once the run is killed
# with kill -9, the next resume takes the directory over and completes.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 300 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/ref" --checkpoint-every 5 || fail "reference run failed"

start_session run "${ARGS[@]}" --out "$T/d" --checkpoint-every 5 --tick-ms 30
for i in $(seq 1 200); do
    [ -f "$T/d/checkpoint.msgpack" ] && break
    kill -0 "$LPID" 2>/dev/null || fail "the run ended before it checkpointed"
    sleep 0.05
done
[ -f "$T/d/checkpoint.msgpack" ] || fail "no checkpoint in $T/d"
"$CXSIM" ctl "$T/d" pause >/dev/null || fail "cannot pause the run"

# expect_busy WHAT CMD...: CMD exits 2 and names the holder (the launcher).
expect_busy() {
    local what=$1 rc
    shift
    set +e
    timeout 60 "$@" 2>"$T/err" >/dev/null
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "$what into a held directory gave exit $rc, not 2"; }
    grep -q "in use by another run (process $LPID holds its lock)" "$T/err" ||
        { cat "$T/err" >&2; fail "$what: the holder $LPID is not named"; }
}
rows_before=$(rows "$T/d/kpis.csv")
expect_busy "a second run" "$CXSIM" run "${ARGS[@]}" --out "$T/d"
expect_busy "a resume" "$CXSIM" resume "$T/d" --quiet
expect_busy "a coordinator" "$(dirname "$CXSIM")/cxsim-coordinator" \
    --scenario "$T/d/scenario.resolved.yaml" --out "$T/d" --bind "ipc://$T/c.sock"
set +e
"$CXSIM" fork "$T/ref" "$T/d" --quiet 2>"$T/err" >/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "a fork into a held directory gave exit $rc, not 2"; }
[ "$(rows "$T/d/kpis.csv")" -eq "$rows_before" ] || fail "a refused run touched the rows"
assert_whole_rows "$T/d/kpis.csv"

# A lock left by kill -9 is taken over.
# A SIGKILLed launcher cannot remove its socket directory.
allow_tmp_leftovers "a launcher killed with SIGKILL"
kill -9 -- "-$LPID" 2>/dev/null || true
wait_exit "$LPID" 10
assert_no_leftovers "$LPID"
"$CXSIM" resume "$T/d" --quiet || fail "resume after kill -9 failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/d/$f" || fail "$f differs from the uninterrupted run"
done
# A finished run's directory is free again: taken with --force (without it,
# its results are refused: it_run_out).
"$CXSIM" run "${ARGS[@]}" --out "$T/d" --force || fail "a second run after the first ended failed"
echo ok
