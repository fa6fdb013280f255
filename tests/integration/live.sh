#!/usr/bin/env bash
# Live control: a running simulation is paused, paced, changed and stopped
# with `cxsim ctl`; bad changes are refused with the loader's messages; the
# changes land in scenario.resolved.yaml, which replays the run byte for byte.
. "$(dirname "$0")/lib.sh"

CTL() { "$CXSIM" ctl "$T/live" "$@"; }
ARGS=("$BASELINE" "${SMALL[@]}" --ticks 200 --quiet --heartbeat-ms 400)

start_session run "${ARGS[@]}" --out "$T/live" --tick-ms 10
for _ in $(seq 1 1200); do
    [ -f "$T/live/live.endpoints" ] && [ -f "$T/live/kpis.csv" ] && [ "$(rows "$T/live/kpis.csv")" -ge 5 ] && break
    kill -0 "$LPID" 2>/dev/null || fail "the run ended before it could be controlled"
    sleep 0.05
done
# A live table beside the run: one line a tick, to the run's last.
"$CXSIM" watch "$T/live" --every=1 --columns tick,nps,customers >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!
set +e
"$CXSIM" watch "$T/live" --columns tick,nps,nope >/dev/null 2>"$T/watch-bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "no column 'nope'" "$T/watch-bad.err" || fail "watch with a bad column gave exit $rc"
CTL status >"$T/status" || fail "status failed"
grep -qx "ticks=200" "$T/status" || fail "status lacks ticks=200: $(cat "$T/status")"
grep -qx "state=running" "$T/status" || fail "status lacks state=running"
grep -q "^nps=" "$T/status" || fail "status lacks the last row's KPIs"

# Paused: no tick for two seconds (five heartbeat intervals: nobody is lost).
CTL pause | grep -q "^paused before tick" || fail "pause not acknowledged"
n0=$(rows "$T/live/kpis.csv")
sleep 2
[ "$(rows "$T/live/kpis.csv")" -eq "$n0" ] || fail "ticks ran while paused"
CTL status | grep -qx "state=paused" || fail "status does not say paused"
next=$(CTL status | sed -n 's/^next_tick=//p')
[ "$next" -eq "$n0" ] || fail "next tick $next, but $n0 rows are on disk"

# Changes, for the next tick; refusals name what is wrong, exit 2.
CTL set departments.it.maturity=4.5 --over=5 --cost 1000 >"$T/ok1" || fail "maturity change refused"
grep -q "at tick $next: it moves to maturity 4.5 over 5 ticks" "$T/ok1" || fail "unexpected answer: $(cat "$T/ok1")"
CTL set company.cx_owner=cx_team >/dev/null || fail "owner change refused"
expect_refusal() { # stderr pattern, ctl arguments...
    local pat=$1
    shift
    set +e
    CTL "$@" 2>"$T/refused"
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "ctl $* gave exit $rc, not 2"
    grep -q -- "$pat" "$T/refused" || fail "ctl $*: expected '$pat', got: $(cat "$T/refused")"
}
expect_refusal "did you mean 'it'" set departments.itt.maturity=4
expect_refusal "event.to: expected a number from 1 to 5, found '7'" set departments.it.maturity=7
expect_refusal "the past cannot change" event '{event: price, value: 1.1, at: 1}'
expect_refusal "cannot be changed while a run goes on" set seed=3
expect_refusal "did you mean 'departments.it.maturity'" set departments.it.maturty=4
expect_refusal "unknown verb" frobnicate
expect_refusal "expected milliseconds" pace -5

CTL pace 0 >/dev/null && CTL resume >/dev/null || fail "resume failed"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the live run exited $RC"; }
assert_no_leftovers "$LPID"
[ "$(rows "$T/live/kpis.csv")" -eq 200 ] || fail "the live run did not finish its 200 ticks"
[ ! -e "$T/live/live.endpoints" ] || fail "live.endpoints left after the run"
wait "$WPID" || { cat "$T/watch.err" >&2; fail "watch did not end with the run's last tick"; }
# Every line watch printed is the row of kpis.csv for that tick (printed to 6
# digits), and from the first row it received to the run's last, none is
# missing. (When it subscribed depends on the scheduler, so the first tick it
# shows is not asserted: only that it caught up and lost nothing after.)
awk -F, 'NR == FNR { if (FNR > 1) { nps[$1] = $6; cust[$1] = $2 } next }
    FNR > 1 { seen++; if (!($1 in nps)) bad++; else {
        d = $2 - nps[$1]; if (d < 0) d = -d; if (d > 1e-5 * (1 + (nps[$1] < 0 ? -nps[$1] : nps[$1]))) bad++
        if ($3 != cust[$1]) bad++ }; if (seen > 1 && $1 != last + 1) gap++; last = $1 }
    END { if (bad || gap || seen < 1 || last != 199) {
        print "watch: " seen " lines, " bad " wrong, " gap " gaps, last tick " last; exit 1 } }' \
    "$T/live/kpis.csv" <(sed 's/^ *//; s/  */,/g' "$T/watch.out") || fail "watch lines do not match kpis.csv"
set +e
CTL status 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "ctl on a finished run gave exit $rc, not 1"

# The changes are in the run's scenario, at the tick they took effect...
grep -A4 -- "- at: $next" "$T/live/scenario.resolved.yaml" | grep -q "event: maturity" ||
    fail "the maturity change is not in scenario.resolved.yaml"
grep -q "owner: cx_team" "$T/live/scenario.resolved.yaml" || fail "the owner change is not recorded"
# ... which replays the run byte for byte (here in-process, itself identical),
"$CXSIM" run "$T/live/scenario.resolved.yaml" --quiet --in-process --out "$T/replay" || fail "replay failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/live/$f" "$T/replay/$f" || fail "$f of the replay differs from the live run"
done
# ... and the changes mattered: the same run untouched agrees up to them only.
"$CXSIM" run "${ARGS[@]}" --in-process --out "$T/still" || fail "reference run failed"
cmp -s <(head -n $((next + 1)) "$T/live/kpis.csv") <(head -n $((next + 1)) "$T/still/kpis.csv") ||
    fail "ticks before the change differ from the untouched run"
cmp -s "$T/live/kpis.csv" "$T/still/kpis.csv" && fail "the live changes changed nothing"

# --paused: every process joins, and tick 0 waits for `resume`.
start_session run "${ARGS[@]}" --out "$T/held" --paused
for _ in $(seq 1 1200); do
    [ -f "$T/held/live.endpoints" ] && "$CXSIM" ctl "$T/held" status >"$T/held.status" 2>/dev/null && break
    sleep 0.05
done
grep -qx "state=paused" "$T/held.status" && grep -qx "next_tick=0" "$T/held.status" ||
    fail "a --paused run is not paused before tick 0: $(cat "$T/held.status")"
sleep 0.5
[ "$(rows "$T/held/kpis.csv")" -eq 0 ] || fail "a --paused run ticked before resume"
grep -q "cxsim ctl $T/held resume" "$T/launcher.err" || fail "the launcher did not say how to start the clock"
"$CXSIM" ctl "$T/held" resume >/dev/null || fail "resume failed"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] && [ "$(rows "$T/held/kpis.csv")" -eq 200 ] || fail "the resumed run did not complete"
cmp -s "$T/held/kpis.csv" "$T/still/kpis.csv" || fail "a run held at tick 0 differs from one that was not"

# stop: the run ends after the current tick, status stopped, exit 0, whole rows.
start_session run "${ARGS[@]}" --out "$T/stop" --tick-ms 20
for _ in $(seq 1 1200); do
    [ -f "$T/stop/live.endpoints" ] && [ "$(rows "$T/stop/kpis.csv" 2>/dev/null || echo 0)" -ge 3 ] && break
    sleep 0.05
done
"$CXSIM" ctl "$T/stop" stop | grep -q "^stopping before tick" || fail "stop not acknowledged"
wait_exit "$LPID" 30
[ "$RC" -eq 0 ] || fail "a stopped run exited $RC"
grep -q '"status": "stopped"' "$T/stop/summary.json" || fail "summary.json does not say stopped"
n=$(rows "$T/stop/kpis.csv")
[ "$n" -gt 0 ] && [ "$n" -lt 200 ] || fail "a stopped run has $n rows"
assert_no_leftovers "$LPID"
echo ok
