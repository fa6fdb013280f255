#!/usr/bin/env bash
# How fast faults are noticed, with --heartbeat-ms 200.
#  1. kill -9 of a department mid-run: the coordinator declares it lost after two silent
#     heartbeats (summary.json: "silent for N ms", 2 x 200 <= N <= 2 x 200 + slack), and the
#     launcher exits 1 well before its own fallback (2 heartbeats + 5 s).
#  2. SIGSTOP of a persona shard mid-run (hung, not dead: the launcher's waitpid cannot
#     see it): the heartbeat alone finds it, within the same bound, and the launcher
#     exits 1 leaving no process (the stopped one is killed).
#  3. kill -9 of the coordinator mid-run, the launcher held with SIGSTOP so that it cannot
#     help: every agent notices the silence and exits on its own within about two
#     heartbeats; once resumed, the launcher exits 1 naming the coordinator.
#  4. kill -9 of the launcher: every process it started gets SIGTERM from the kernel
#     (PR_SET_PDEATHSIG) and exits; summary.json says interrupted.
# All leave whole rows only, and no process. The measured times are printed.
# CX_DETECT_SLACK_MS (default 1600) is the scheduling slack allowed beyond 2 heartbeats:
# a quiet machine needs about 0-250 ms of it (406 ms measured for detection, 439 ms for
# the agents' exit, bounds 2 x 200 ms + slack); 1600 ms holds on a two-core machine under
# 4x CPU load, and still tells a heartbeat-driven detection from the 10 s ones of
# section 2.
. "$(dirname "$0")/lib.sh"

HB=200
SLACK=${CX_DETECT_SLACK_MS:-1600}
# Sections 3 and 4 SIGKILL the coordinator and the launcher: the launcher's
# socket directory stays behind (removed with the test's directory).
allow_tmp_leftovers "the coordinator and a launcher killed with SIGKILL"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_rows() { # file, rows
    local i
    for i in $(seq 1 300); do
        [ -f "$1" ] && [ "$(rows "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "the run did not get going ($1)"
}

# ---- 1. an agent killed ---------------------------------------------------------------
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

# ---- 2. an agent hung ------------------------------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/h"
wait_rows "$T/h/kpis.csv" 5
victim=$(session_procs "$LPID" | awk '/cxsim-persona/ && /bargain_hunter/ { print $2; exit }')
[ -n "$victim" ] || fail "no persona bargain_hunter found"
t0=$(now_ms)
kill -STOP "$victim"
wait_exit "$LPID" 30
elapsed=$(($(now_ms) - t0))
[ "$RC" -eq 1 ] || fail "exit status $RC after a hung persona, want 1"
assert_no_leftovers "$LPID"
for f in kpis departments touchpoints; do assert_whole_rows "$T/h/$f.csv"; done
reason=$(sed -n 's/^  "reason": "\(.*\)",$/\1/p' "$T/h/summary.json")
case $reason in
    "lost persona bargain_hunter shard 0/1 (pid $victim) during tick "*": silent for "*" ms") ;;
    *) fail "summary reason '$reason' does not name the hung persona" ;;
esac
silent=$(sed -n 's/.*silent for \([0-9]*\) ms.*/\1/p' <<<"$reason")
echo "agent hung: coordinator declared it lost after $silent ms of silence;" \
     "launcher exited ${elapsed} ms after the SIGSTOP"
[ "$silent" -ge $((2 * HB)) ] && [ "$silent" -le $((2 * HB + SLACK)) ] \
    || fail "declared lost after $silent ms, want $((2 * HB))..$((2 * HB + SLACK))"

# ---- 2b. a tick that does not finish, while heartbeats would still allow it -----------
# Heartbeats every 5 s (an agent is lost after 10 s) and --tick-timeout-ms 1000: the
# stalled tick fails the run first, naming whom it waited for.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms 5000 \
    --tick-timeout-ms 1000 --quiet --out "$T/s"
wait_rows "$T/s/kpis.csv" 5
victim=$(session_procs "$LPID" | awk '/cxsim-persona/ && /loyal_family/ { print $2; exit }')
[ -n "$victim" ] || fail "no persona loyal_family found"
t0=$(now_ms)
kill -STOP "$victim"
wait_exit "$LPID" 30
elapsed=$(($(now_ms) - t0))
[ "$RC" -eq 1 ] || fail "exit status $RC after a stalled tick, want 1"
assert_no_leftovers "$LPID"
for f in kpis departments touchpoints; do assert_whole_rows "$T/s/$f.csv"; done
reason=$(sed -n 's/^  "reason": "\(.*\)",$/\1/p' "$T/s/summary.json")
case $reason in
    "tick "*" made no progress for "*" ms; still waiting for"*"persona loyal_family shard 0/1 (pid $victim)"*) ;;
    *) fail "summary reason '$reason' does not name the stalled persona" ;;
esac
echo "stalled tick: the run failed ${elapsed} ms after the SIGSTOP ($reason)"
[ "$elapsed" -lt 9000 ] || fail "the stalled tick took ${elapsed} ms to fail: heartbeats did it, not the timeout"

# ---- 3. the coordinator killed --------------------------------------------------------
# Processes of session $1 that still run, agents only or all (zombies have exited: a
# stopped or dead launcher has not reaped them yet).
live_procs() {
    ps -e -o sid=,pid=,stat=,args= | awk -v s="$1" '$1 == s && $3 !~ /^Z/ { print }'
}
live_agents() {
    live_procs "$1" | grep -E 'cxsim-(persona|department)' || true
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

# ---- 4. the launcher killed ------------------------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/l"
wait_rows "$T/l/kpis.csv" 5
t0=$(now_ms)
kill -9 "$LPID"
{ wait "$LPID"; } 2>/dev/null || true
gone=
for i in $(seq 1 250); do
    if [ -z "$(live_procs "$LPID")" ]; then
        gone=$(($(now_ms) - t0))
        break
    fi
    sleep 0.02
done
[ -n "$gone" ] || { live_procs "$LPID" >&2; fail "processes left 5 s after the launcher was killed"; }
echo "launcher killed: every process had exited $gone ms later (bound 2000 ms)"
[ "$gone" -le 2000 ] || fail "processes took $gone ms to exit after the launcher was killed"
for f in kpis departments touchpoints; do assert_whole_rows "$T/l/$f.csv"; done
grep -q '"status": "interrupted"' "$T/l/summary.json" || fail "summary does not say interrupted"
echo ok
