#!/usr/bin/env bash
# Diagnoses that point the right way:
#  1. a hung coordinator (SIGSTOP) is reported by the agents as the coordinator
#     not answering (exit 4), not as a lost department; the launcher kills it,
#     removes live.endpoints and writes summary.json saying what happened;
#  2. a coordinator killed with -9: the launcher writes summary.json (and only
#     then points to it);
#  3. an out of memory at start (a persona shard's address space limited) is
#     recorded as what it is, status failed, not "interrupted" (skipped under
#     AddressSanitizer, which cannot run under an address-space limit);
#  4. control commands that the run refuses are counted in summary.json.
. "$(dirname "$0")/lib.sh"
HB=200
summary_field() { # file key
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2], d.get("messages", {}).get(sys.argv[2], "")))' "$1" "$2"
}

# ---- 1. the coordinator hung -----------------------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/h"
for _ in $(seq 1 200); do
    [ "$(wc -l <"$T/h/kpis.csv" 2>/dev/null || echo 0)" -ge 6 ] && break
    sleep 0.05
done
coord=$(session_procs "$LPID" | awk '/cxsim-coordinator/ { print $2; exit }')
[ -n "$coord" ] || fail "no coordinator found"
t0=$(date +%s%N)
kill -STOP "$coord"
wait_exit "$LPID" 20
ms=$((($(date +%s%N) - t0) / 1000000))
echo "hung coordinator: the launcher exited $ms ms after the SIGSTOP (exit $RC)"
[ "$RC" = 1 ] || fail "exit $RC after a hung coordinator, want 1"
grep -q "cxsim run: the coordinator (pid $coord) stopped answering (it is stopped" "$T/launcher.err" ||
    { cat "$T/launcher.err" >&2; fail "the launcher does not blame the hung coordinator"; }
grep -q "exited with status\|lost department" "$T/launcher.err" &&
    { cat "$T/launcher.err" >&2; fail "the launcher blames an agent for a hung coordinator"; }
grep -q "the coordinator is not answering" "$T/launcher.err" || fail "the agents do not say why they stop"
[ "$(summary_field "$T/h/summary.json" status)" = failed ] || fail "summary.json: status not failed"
summary_field "$T/h/summary.json" reason | grep -q "^the coordinator (pid $coord) stopped answering" ||
    fail "summary.json does not say the coordinator hung: $(cat "$T/h/summary.json")"
[ ! -e "$T/h/live.endpoints" ] || fail "live.endpoints left behind by a killed coordinator"
[ "$ms" -le 5000 ] || fail "the hung coordinator took $ms ms to be reported, want <= 5000"
[ -z "$(session_procs "$LPID")" ] || fail "processes left: $(session_procs "$LPID")"

# ---- 2. the coordinator killed ---------------------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --heartbeat-ms $HB --quiet --out "$T/k"
for _ in $(seq 1 200); do
    [ "$(wc -l <"$T/k/kpis.csv" 2>/dev/null || echo 0)" -ge 6 ] && break
    sleep 0.05
done
coord=$(session_procs "$LPID" | awk '/cxsim-coordinator/ { print $2; exit }')
kill -9 "$coord"
wait_exit "$LPID" 20
[ "$RC" = 1 ] || fail "exit $RC after the coordinator was killed"
grep -q "coordinator killed by signal 9.*see $T/k/summary.json (written by cxsim run" "$T/launcher.err" ||
    { cat "$T/launcher.err" >&2; fail "the launcher does not say who wrote summary.json"; }
[ "$(summary_field "$T/k/summary.json" written_by)" = "cxsim run" ] || fail "no launcher's summary.json"
rows=$(($(wc -l <"$T/k/kpis.csv") - 1))
[ "$(summary_field "$T/k/summary.json" ticks_completed)" = "$rows" ] ||
    fail "summary.json ticks_completed is not the $rows rows of kpis.csv"

# ---- 3. out of memory at start ---------------------------------------------------------
if grep -qa __asan_init "$(dirname "$CXSIM")/cxsim-persona"; then
    echo "skipped part 3: AddressSanitizer cannot run under an address-space limit"
else
    cat >"$T/wrap.sh" <<'WRAP'
case "$*" in *cxsim-persona*bargain_hunter*) ulimit -v 100000 ;; esac
exec "$@"
WRAP
    set +e
    CXSIM_AGENT_WRAPPER="bash $T/wrap.sh" timeout 60 "$CXSIM" run "$BASELINE" \
        --set personas.bargain_hunter.customers=5000000 --set personas.loyal_family.customers=2000 \
        --ticks 5 --quiet --out "$T/m" 2>"$T/m.err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || { cat "$T/m.err" >&2; fail "out of memory at start: exit $rc, want 1"; }
    [ "$(summary_field "$T/m/summary.json" status)" = failed ] ||
        fail "out of memory at start recorded as $(summary_field "$T/m/summary.json" status)"
    summary_field "$T/m/summary.json" reason |
        grep -q "^persona bargain_hunter shard 0/1 failed: out of memory creating 5000000 customers" ||
        fail "the reason is not the out of memory: $(summary_field "$T/m/summary.json" reason)"
fi

# ---- 4. refused control commands counted -----------------------------------------------
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --tick-ms 20 --quiet --out "$T/c"
for _ in $(seq 1 200); do
    [ -f "$T/c/live.endpoints" ] && break
    sleep 0.05
done
"$CXSIM" ctl "$T/c" status >/dev/null || fail "status refused"
"$CXSIM" ctl "$T/c" set departments.nowhere.maturity=3 >/dev/null 2>&1 && fail "an unknown department taken"
"$CXSIM" ctl "$T/c" set departments.it.maturity=9 >/dev/null 2>&1 && fail "maturity 9 taken"
"$CXSIM" ctl "$T/c" stop >/dev/null || fail "stop refused"
wait_exit "$LPID" 20
[ "$(summary_field "$T/c/summary.json" control_refused)" = 2 ] ||
    fail "refused commands not counted: $(grep messages "$T/c/summary.json")"
[ "$(summary_field "$T/c/summary.json" control_commands)" = 4 ] ||
    fail "commands not counted: $(grep messages "$T/c/summary.json")"
echo ok
