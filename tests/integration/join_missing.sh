#!/usr/bin/env bash
# When one agent never joins, the coordinator's error names only that one:
# seven of the baseline's eight agents are started by hand (the department
# "it" is not), and the failed join lists "department it" and nobody else.
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$CXSIM")
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 3 --out "$T/r" --quiet || fail "run failed"
SCEN="$T/r/scenario.resolved.yaml"
EP="ipc://$T/c.sock"
"$BIN/cxsim-coordinator" --scenario "$SCEN" --out "$T/j" --bind "$EP" \
    --startup-timeout-ms 3000 --heartbeat-ms 200 2>"$T/c.err" &
CPID=$!
PIDS=()
trap 'kill "${PIDS[@]}" "$CPID" 2>/dev/null || true; lib_cleanup' EXIT
for d in marketing sales logistics customer_service product; do
    "$BIN/cxsim-department" --connect "$EP" --department "$d" --bind "ipc://$T/d-$d.sock" \
        2>"$T/d-$d.err" &
    PIDS+=($!)
done
for p in bargain_hunter loyal_family; do
    "$BIN/cxsim-persona" --connect "$EP" --persona "$p" --shard 0 --of 1 2>"$T/p-$p.err" &
    PIDS+=($!)
done
wait_exit "$CPID" 30
[ "$RC" = 1 ] || fail "the join without department it ended with exit $RC, not 1"
reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"])' "$T/j/summary.json")
echo "reason: $reason"
[[ "$reason" == "agents did not connect within 3000 ms: department it;" ]] ||
    fail "the join's error does not name only the missing agent: $reason"
for p in "${PIDS[@]}"; do
    wait_exit "$p" 20
done
echo ok
