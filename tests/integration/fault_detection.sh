#!/usr/bin/env bash
# How fast faults are noticed, with --heartbeat-ms 200.
#  1. kill -9 of a department mid-run: the coordinator declares it lost after two silent
#     heartbeats (summary.json: "silent for N ms", 2 x 200 <= N <= 2 x 200 + slack), and the
#     launcher exits 1 well before its own fallback (2 heartbeats + 5 s).
#  2. kill -9 of the coordinator mid-run, the launcher held with SIGSTOP so that it cannot
#     help: every agent notices the silence and exits on its own within about two
#     heartbeats; once resumed, the launcher exits 1 naming the coordinator.
# Both leave whole rows only, and no process. The measured times are printed.
# CX_DETECT_SLACK_MS (default 400) is the scheduling slack allowed beyond 2 heartbeats.
. "$(dirname "$0")/lib.sh"

HB=200
SLACK=${CX_DETECT_SLACK_MS:-400}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_rows() { # file, rows
    local i
    for i in $(seq 1 300); do
        [ -f "$1" ] && [ "$(rows "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "the run did not get going ($1)"
}

# ---- 1. an agent killed -------------------------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/a"
wait_rows "$T/a/kpis.csv" 5
victim=$(session_procs "$LPID" | awk '/cxsim-department/ && / it( |$)/ { print $2; exit }')
[ -n "$victim" ] || fail "no department 'it' found"
t0=$(now_ms)
kill -9 "$victim"
wait_exit "$LPID" 30
elapsed=$(($(now_ms) - t0))
[ "$RC" -eq 1 ] || fail "exit status $RC after a killed department, want 1"
assert_no_leftovers "$LPID"
for f in kpis departments touchpoints; do assert_whole_rows "$T/a/$f.csv"; done
grep -q '"status": "failed"' "$T/a/summary.json" || fail "summary does not say failed"
reason=$(sed -n 's/^  "reason": "\(.*\)",$/\1/p' "$T/a/summary.json")
case $reason in
    "lost department it (pid $victim) during tick "*": silent for "*" ms") ;;
    *) fail "summary reason '$reason' does not name the lost department and its silence" ;;
esac
silent=$(sed -n 's/.*silent for \([0-9]*\) ms.*/\1/p' <<<"$reason")
echo "agent killed: coordinator declared it lost after $silent ms of silence" \
     "(bound $((2 * HB))..$((2 * HB + SLACK))); launcher exited ${elapsed} ms after the kill"
[ "$silent" -ge $((2 * HB)) ] || fail "declared lost after $silent ms, before two heartbeats"
[ "$silent" -le $((2 * HB + SLACK)) ] || fail "declared lost after $silent ms, want <= $((2 * HB + SLACK))"
# The launcher's own fallback would stop the run 2 x HB + 5 s after it saw the death:
# finishing well before proves the coordinator's detection did the work.
[ "$elapsed" -le $((2 * HB + SLACK + 2000)) ] || fail "the launcher took $elapsed ms to exit"
grep -q "department it (pid $victim) killed by signal 9" "$T/launcher.err" \
    || { cat "$T/launcher.err" >&2; fail "the launcher does not name the killed department"; }

# ---- 2. the coordinator killed --------------------------------------------------------
# Agents of session $1 that still run (zombies have exited: the stopped launcher has not
# reaped them yet).
live_agents() {
    ps -e -o sid=,pid=,stat=,args= | awk -v s="$1" '$1 == s && $3 !~ /^Z/ && /cxsim-(persona|department)/ { print }'
}
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/c"
wait_rows "$T/c/kpis.csv" 5
coord=$(session_procs "$LPID" | awk '/cxsim-coordinator/ { print $2; exit }')
[ -n "$coord" ] || fail "no coordinator found"
[ "$(live_agents "$LPID" | wc -l)" -eq 8 ] || fail "want 8 agents running"
kill -STOP "$LPID"
t0=$(now_ms)
kill -9 "$coord"
gone=
for i in $(seq 1 400); do
    if [ -z "$(live_agents "$LPID")" ]; then
        gone=$(($(now_ms) - t0))
        break
    fi
    sleep 0.02
done
kill -CONT "$LPID"
if [ -z "$gone" ]; then
    live_agents "$LPID" >&2
    fail "agents still running 8 s after the coordinator was killed"
fi
echo "coordinator killed: every agent had exited on its own $gone ms later" \
     "(bound $((2 * HB + SLACK + HB)) ms)"
[ "$gone" -le $((2 * HB + SLACK + HB)) ] || fail "agents took $gone ms to notice, want <= $((2 * HB + SLACK + HB))"
wait_exit "$LPID" 30
[ "$RC" -eq 1 ] || fail "exit status $RC after the coordinator was killed, want 1"
grep -q "coordinator killed by signal 9" "$T/launcher.err" \
    || { cat "$T/launcher.err" >&2; fail "the launcher does not say the coordinator was killed"; }
assert_no_leftovers "$LPID"
for f in kpis departments touchpoints; do assert_whole_rows "$T/c/$f.csv"; done
[ ! -e "$T/c/summary.json" ] || ! grep -q '"completed"' "$T/c/summary.json" \
    || fail "a killed run's summary.json says completed"
echo ok
