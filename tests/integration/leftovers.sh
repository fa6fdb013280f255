#!/usr/bin/env bash
# Nothing of a run outlives a kill -9 of its launcher: the kernel's
# PR_SET_PDEATHSIG stops every child, and the coordinator, as it ends,
# removes live.endpoints and the launcher's private socket directory
# (--socket-dir). Also: a coordinator killed with -9 leaves no live.endpoints
# (the launcher removes it), and the private directory is gone after a
# normal run.
. "$(dirname "$0")/lib.sh"
sockdir_of() { sed -n 's|^control ipc://\(.*\)/control.sock$|\1|p' "$1/live.endpoints"; }
wait_live() {
    for _ in $(seq 1 200); do
        [ -s "$1/live.endpoints" ] && [ "$(wc -l <"$1/kpis.csv" 2>/dev/null || echo 0)" -ge 4 ] && return 0
        sleep 0.05
    done
    fail "the run in $1 did not start"
}

# 1. kill -9 of the launcher.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --tick-ms 10 --quiet --out "$T/l"
wait_live "$T/l"
SD=$(sockdir_of "$T/l")
[ -d "$SD" ] || fail "no socket directory $SD"
kill -9 "$LPID"
gone=
for i in $(seq 1 100); do
    if [ ! -e "$SD" ] && [ ! -e "$T/l/live.endpoints" ] && [ -z "$(session_procs "$LPID")" ]; then
        gone=$((i * 50))
        break
    fi
    sleep 0.05
done
[ -n "$gone" ] || {
    ls -la "$SD" "$T/l" >&2 || true
    fail "after a kill -9 of the launcher: socket directory, live.endpoints or processes left"
}
echo "launcher killed: socket directory, live.endpoints and processes gone within $gone ms"

# 2. kill -9 of the coordinator.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 1000000 --tick-ms 10 --quiet --out "$T/c"
wait_live "$T/c"
SD=$(sockdir_of "$T/c")
coord=$(session_procs "$LPID" | awk '/cxsim-coordinator/ { print $2; exit }')
kill -9 "$coord"
wait_exit "$LPID" 20
[ ! -e "$T/c/live.endpoints" ] || fail "a killed coordinator's live.endpoints left behind"
[ ! -e "$SD" ] || fail "the socket directory $SD left behind"

# 3. A normal run.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 20 --tick-ms 100 --quiet --out "$T/n" &
RPID=$!
SD=
for _ in $(seq 1 200); do
    [ -s "$T/n/live.endpoints" ] && SD=$(sockdir_of "$T/n") && [ -n "$SD" ] && break
    sleep 0.05
done
[ -n "$SD" ] || fail "no live.endpoints in the normal run"
wait "$RPID" || fail "the normal run failed"
[ ! -e "$SD" ] || fail "the socket directory $SD left after a normal run"
echo ok
