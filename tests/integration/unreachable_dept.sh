#!/usr/bin/env bash
# A department that advertises an address nobody listens on (127.0.1.1, as a
# default tcp://HOSTNAME:PORT resolves to on Debian) is named within seconds:
# which department, which address, in the persona's error and in the run's
# reason (summary.json), instead of a tick 0 stalled until the tick timeout.
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$CXSIM")
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 2 --quiet --out "$T/r" || fail "run failed"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(("127.0.1.1",int(sys.argv[1]))) == 0)' "$PORT"; then
    : # refused or unreachable, as wanted
else
    echo "skipped: something listens on 127.0.1.1:$PORT"
    exit 77
fi
EP="ipc://$T/c.sock"
"$BIN/cxsim-coordinator" --scenario "$T/r/scenario.resolved.yaml" --out "$T/u" --bind "$EP" \
    --startup-timeout-ms 20000 --tick-timeout-ms 600000 2>"$T/c.err" &
CPID=$!
PIDS=()
trap 'kill -9 "${PIDS[@]}" "$CPID" 2>/dev/null || true; lib_cleanup' EXIT
t0=$(date +%s%N)
"$BIN/cxsim-department" --connect "$EP" --department marketing --bind "tcp://127.0.0.1:$PORT" \
    --advertise "tcp://127.0.1.1:$PORT" 2>"$T/d-marketing.err" &
PIDS+=($!)
for d in sales logistics customer_service product it; do
    "$BIN/cxsim-department" --connect "$EP" --department "$d" --bind "ipc://$T/d-$d.sock" \
        2>"$T/d-$d.err" &
    PIDS+=($!)
done
for p in bargain_hunter loyal_family; do
    "$BIN/cxsim-persona" --connect "$EP" --persona "$p" --shard 0 --of 1 2>"$T/p-$p.err" &
    PIDS+=($!)
done
wait_exit "$CPID" 40
ms=$((($(date +%s%N) - t0) / 1000000))
reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"])' "$T/u/summary.json")
echo "the run failed after $ms ms: $reason"
[ "$RC" = 1 ] || fail "exit $RC, want 1"
echo "$reason" | grep -q "cannot reach department marketing's data socket at tcp://127.0.1.1:$PORT: the connection was refused" ||
    fail "the reason does not name the department and its address"
[ "$ms" -le 15000 ] || fail "took $ms ms, want <= 15000"
grep -q "cannot reach department marketing's data socket at tcp://127.0.1.1:$PORT" "$T"/p-*.err ||
    fail "no persona says which department it cannot reach"
for p in "${PIDS[@]}"; do wait_exit "$p" 20; done
echo ok
