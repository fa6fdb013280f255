#!/usr/bin/env bash
# The control socket is served during a tick: while a tick is stuck (a persona
# shard stopped with SIGSTOP), `cxsim ctl status` answers at once, saying how
# long the tick has run and how many agents it waits for; a change sent then
# (pause) is held, unanswered, until the tick ends, and taken between two
# ticks as always; the run then ends as a clean one.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 80 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/ref" || fail "reference run failed"
start_session run "${ARGS[@]}" --out "$T/s" --tick-ms 40 --heartbeat-ms 10000 --tick-timeout-ms 60000
for _ in $(seq 1 200); do
    [ -f "$T/s/kpis.csv" ] && [ "$(rows "$T/s/kpis.csv")" -ge 5 ] && break
    sleep 0.05
done
victim=$(session_procs "$LPID" | awk '/cxsim-persona/ { print $2; exit }')
[ -n "$victim" ] || fail "no persona shard found"
kill -STOP "$victim"
trap 'kill -CONT "$victim" 2>/dev/null || true; lib_cleanup' EXIT
sleep 0.6 # the next tick begins (40 ms pace) and waits for the stopped shard
rows_stuck=$(rows "$T/s/kpis.csv")

t0=$(date +%s%N)
timeout 10 "$CXSIM" ctl "$T/s" status >"$T/status" 2>"$T/status.err" ||
    { cat "$T/status.err" >&2; fail "no status during a stuck tick"; }
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "^tick_running_ms=[0-9]*$" "$T/status" || { cat "$T/status" >&2; fail "status does not say the tick runs"; }
grep -q "^waiting_for=[1-9][0-9]*$" "$T/status" || { cat "$T/status" >&2; fail "status does not say whom it waits for"; }
echo "status during a stuck tick answered in ${ms} ms"
[ "$ms" -lt 3000 ] || fail "status took ${ms} ms"

# A change sent now is held until the tick ends.
"$CXSIM" ctl "$T/s" pause >"$T/pause" 2>&1 &
PPID_=$!
sleep 0.5
kill -0 "$PPID_" 2>/dev/null || fail "pause was answered during the stuck tick: $(cat "$T/pause")"
[ "$(rows "$T/s/kpis.csv")" -eq "$rows_stuck" ] || fail "the tick moved while the shard was stopped"
kill -CONT "$victim"
wait "$PPID_" || fail "pause failed once the tick ended: $(cat "$T/pause")"
grep -q "paused before tick" "$T/pause" || fail "pause answered: $(cat "$T/pause")"
"$CXSIM" ctl "$T/s" status | grep -qx "state=paused" || fail "the run did not pause"
"$CXSIM" ctl "$T/s" resume >/dev/null || fail "cannot resume"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the run exited $RC"; }
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/s/$f" || fail "$f differs from the clean run's"
done
echo ok
