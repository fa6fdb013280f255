#!/usr/bin/env bash
# An agent killed mid-run: the launcher exits 1 naming it, completed ticks are
# whole on disk, no process is left. SIGTERM to the launcher: exit 1, nothing left.
. "$(dirname "$0")/lib.sh"

start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms 200 --out "$T/k"
for i in $(seq 1 300); do
    [ -f "$T/k/kpis.csv" ] && [ "$(rows "$T/k/kpis.csv")" -ge 5 ] && break
    sleep 0.1
done
[ "$(rows "$T/k/kpis.csv")" -ge 5 ] || fail "the run did not get going"
victim=$(session_procs "$LPID" | awk '/cxsim-persona/ && /loyal_family/ { print $2; exit }')
[ -n "$victim" ] || fail "no persona agent found"
kill -9 "$victim"
wait_exit "$LPID" 30
[ "$RC" -eq 1 ] || fail "exit status $RC after a killed agent, want 1"
grep -q "persona loyal_family shard 0/1" "$T/launcher.err" || { cat "$T/launcher.err" >&2; fail "the message does not name the agent"; }
assert_no_leftovers "$LPID"
for f in kpis departments touchpoints; do assert_whole_rows "$T/k/$f.csv"; done
grep -q '"status": "failed"' "$T/k/summary.json" || fail "summary does not say failed"
grep -q 'loyal_family' "$T/k/summary.json" || fail "summary does not name the agent"
n=$(rows "$T/k/kpis.csv")
grep -q "\"ticks_completed\": $n" "$T/k/summary.json" || fail "summary ticks_completed != rows ($n)"

start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --out "$T/s"
for i in $(seq 1 300); do
    [ -f "$T/s/kpis.csv" ] && [ "$(rows "$T/s/kpis.csv")" -ge 3 ] && break
    sleep 0.1
done
kill -TERM "$LPID"
wait_exit "$LPID" 30
[ "$RC" -eq 1 ] || fail "exit status $RC after SIGTERM, want 1"
assert_no_leftovers "$LPID"
grep -q '"status": "interrupted"' "$T/s/summary.json" || fail "summary does not say interrupted"
assert_whole_rows "$T/s/kpis.csv"
echo ok
