#!/usr/bin/env bash
# Checkpoints: a run whose processes are all killed resumes with `cxsim resume`,
# (the runs to interrupt are paced with --tick-ms so that none ends before its kill),
# and a run that loses an agent restarts itself with --restart-lost; both end
# byte-identical to an uninterrupted run.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 300 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/ref" || fail "reference run failed"

same_as_ref() {
    for f in kpis.csv departments.csv touchpoints.csv; do
        cmp -s "$T/ref/$f" "$T/$1/$f" || fail "$f of $1 differs from the uninterrupted run"
    done
}

# Wait until a checkpoint exists and at least $2 rows are on disk in $1.
wait_progress() {
    local i
    for i in $(seq 1 600); do
        if [ -f "$T/$1/checkpoint.msgpack" ] && [ -f "$T/$1/kpis.csv" ] &&
            [ "$(rows "$T/$1/kpis.csv")" -ge "$2" ]; then
            return 0
        fi
        kill -0 "$LPID" 2>/dev/null || fail "run $1 ended before it could be interrupted"
        sleep 0.05
    done
    fail "run $1 made no progress"
}

# 1. Kill every process of a run, then resume it.
start_session run "${ARGS[@]}" --out "$T/k" --checkpoint-every 25 --tick-ms 10
wait_progress k 60
# A SIGKILLed launcher cannot remove its socket directory.
allow_tmp_leftovers "a launcher killed with SIGKILL"
kill -9 -- "-$LPID" 2>/dev/null || true
wait_exit "$LPID" 10
assert_no_leftovers "$LPID"
[ "$(rows "$T/k/kpis.csv")" -lt 300 ] || fail "the run finished before it was killed"
"$CXSIM" resume "$T/k" --quiet || fail "resume failed"
same_as_ref k
grep -q '"status": "completed"' "$T/k/summary.json" || fail "resumed summary not completed"

# 2. Lose one agent; --restart-lost carries on from the last checkpoint.
start_session run "${ARGS[@]}" --out "$T/r" --checkpoint-every 25 --restart-lost --heartbeat-ms 200 --tick-ms 10
wait_progress r 60
victim=$(session_procs "$LPID" | awk '/cxsim-department/ && /customer_service/ { print $2; exit }')
[ -n "$victim" ] || fail "no department agent found"
kill -9 "$victim"
wait_exit "$LPID" 120
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "--restart-lost run exited $RC"; }
grep -q "restarting from the last checkpoint" "$T/launcher.err" || fail "no restart happened"
assert_no_leftovers "$LPID"
same_as_ref r

# 3. A damaged checkpoint is refused with exit 2 and a clear message.
mkdir -p "$T/bad" && cp "$T/ref/scenario.resolved.yaml" "$T/bad/" && echo junk >"$T/bad/checkpoint.msgpack"
set +e
"$CXSIM" resume "$T/bad" --quiet 2>"$T/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "a damaged checkpoint gave exit $rc, not 2"
grep -q "cannot resume from .*checkpoint.msgpack" "$T/bad.err" || fail "no message about the checkpoint"
[ ! -e "$T/bad/kpis.csv" ] || fail "a refused resume wrote results"
# A checkpoint of another roster (here: another shard count) is refused the same way.
mkdir -p "$T/other" && cp "$T/k/checkpoint.msgpack" "$T/other/"
sed 's/^\(    shards:\) .*/\1 3/' "$T/ref/scenario.resolved.yaml" >"$T/other/scenario.resolved.yaml"
cmp -s "$T/ref/scenario.resolved.yaml" "$T/other/scenario.resolved.yaml" && fail "test set-up: shards not changed"
set +e
"$CXSIM" resume "$T/other" --quiet 2>"$T/other.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || { cat "$T/other.err" >&2; fail "a checkpoint of another roster gave exit $rc, not 2"; }
echo ok
