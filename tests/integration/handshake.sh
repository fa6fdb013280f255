#!/usr/bin/env bash
# The coordinator says why it drops what a peer sends: a HELLO of another
# protocol version is answered with a STOP giving the reason (and logged); a
# malformed DEPT_DONE from a member of the roster (too few stats, another
# tick, another department's index) is logged at once, naming the agent, and
# the tick timeout's reason says that agent's DEPT_DONE was dropped and why.
. "$(dirname "$0")/lib.sh"
: "${CX_PEER:?CX_PEER must point to the cx_peer test tool}"
BIN=$(dirname "$CXSIM")
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 3 --out "$T/r" --quiet || fail "run failed"
SCEN="$T/r/scenario.resolved.yaml"

# 1. A HELLO of protocol version 2 gets a STOP with the reason.
"$BIN/cxsim-coordinator" --scenario "$SCEN" --out "$T/v" --bind "ipc://$T/v.sock" \
    --startup-timeout-ms 4000 2>"$T/v.err" &
CPID=$!
out=$(timeout 20 "$CX_PEER" hello-version "ipc://$T/v.sock" 2) || fail "no STOP answered a version-2 HELLO"
echo "$out" | grep -q "^STOP: protocol version 2 is not this coordinator's (version 1" ||
    fail "the STOP does not give the reason: $out"
kill "$CPID" 2>/dev/null || true
wait "$CPID" 2>/dev/null || true
grep -q "refused a HELLO: protocol version 2" "$T/v.err" || { cat "$T/v.err" >&2; fail "not logged"; }

# 2. A malformed DEPT_DONE from the roster's first department is logged.
for bad in words tick dept; do
    case $bad in
    words) why="3 stats, expected [0-9][0-9]*" ;;
    tick) why="for tick 5 while tick 0 runs" ;;
    dept) why="it names department 1, not its own 0" ;;
    esac
    "$BIN/cxsim-coordinator" --scenario "$SCEN" --out "$T/$bad" --bind "ipc://$T/$bad.sock" \
        --tick-timeout-ms 1500 2>"$T/$bad.err" &
    CPID=$!
    timeout 30 "$CX_PEER" roster "ipc://$T/$bad.sock" "$SCEN" "$bad" 10 || fail "cx_peer failed"
    wait_exit "$CPID" 20
    [ "$RC" -eq 1 ] || fail "the stalled tick ended with exit $RC, not 1"
    grep -q "dropped a DEPT_DONE from department [a-z_]* (pid [0-9]*): $why" "$T/$bad.err" ||
        { cat "$T/$bad.err" >&2; fail "the malformed DEPT_DONE ($bad) was not logged"; }
    grep -q "its DEPT_DONE was dropped: $why" "$T/$bad/summary.json" ||
        { cat "$T/$bad/summary.json" >&2; fail "the stall's reason ($bad) does not say why"; }
done
echo ok
