#!/usr/bin/env bash
# Processes started by hand over tcp, as on several hosts, with a run key
# (CurveZMQ): the results equal a local run's; peers without the key (no
# CURVE, or another key) cannot join, watch or control the run, and the
# coordinator says so; a key file readable by others is refused.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
BIN=$(dirname "$CXSIM")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    lib_cleanup
}
trap cleanup EXIT
DEPTS=(marketing sales logistics customer_service product it)

"$CXSIM" keygen "$T/run.key" >/dev/null || fail "keygen failed"
"$CXSIM" keygen "$T/other.key" >/dev/null || fail "keygen failed"
[ "$(stat -c %a "$T/run.key")" = 600 ] || fail "the key file is not mode 600"
cp "$T/run.key" "$T/open.key" && chmod 644 "$T/open.key"
set +e
"$CXSIM" run "$BASELINE" --ticks 2 --quiet --out "$T/x" --key "$T/open.key" 2>"$T/open.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "readable by others" "$T/open.err" || fail "a world-readable key gave exit $rc"

# The reference: the same scenario run locally.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 60 --quiet --in-process --out "$T/ref" || fail "reference run failed"

# The launcher with a key: every process, its own progress subscriber included, on CURVE.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 60 --quiet --out "$T/ipckey" --key "$T/run.key" ||
    fail "cxsim run --key failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/ipckey/$f" || fail "$f of the run with a key differs from the local run"
done

# Free tcp ports on 127.0.0.1: the coordinator's three, one per department.
read -r -a P <<<"$("$PY" - <<'PYEOF'
import socket
socks = [socket.socket() for _ in range(9)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PYEOF
)"
COORD=tcp://127.0.0.1:${P[0]}
CTL=tcp://127.0.0.1:${P[2]}
setsid "$BIN/cxsim-coordinator" --scenario "$T/ref/scenario.resolved.yaml" --out "$T/tcp" \
    --bind "$COORD" --pub "tcp://127.0.0.1:${P[1]}" --control "$CTL" --tick-ms 100 \
    --key "$T/run.key" 2>"$T/coord.err" </dev/null >/dev/null &
CPID=$!
PIDS+=("$CPID")

# Strangers try first: a CURVE client with another key (refused by the key
# check) and one without CURVE (refused by the handshake), on every socket.
"$PY" - "$COORD" "$CTL" "$T/run.key" "$T/other.key" <<'PYEOF' || fail "a stranger got through"
import sys, time, msgpack, zmq
coord, ctl, run_key, other_key = sys.argv[1:5]
import zmq.auth
def keys(path):
    # A run key is a CZMQ secret certificate: pyzmq's reader takes it as is.
    return zmq.auth.load_certificate(path)
server_pub, _ = keys(run_key)
opub, osec = keys(other_key)
ctx = zmq.Context()
for ep in (coord, ctl):
    for curve in (True, False):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        if curve:
            s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_pub, opub, osec
        s.connect(ep)
        s.send(msgpack.packb([1, 14, "status", "", ""]))
        if s.poll(1500):
            print(f"stranger (curve={curve}) got an answer from {ep}", file=sys.stderr)
            sys.exit(1)
        s.close()
PYEOF

for i in "${!DEPTS[@]}"; do
    setsid "$BIN/cxsim-department" --connect "$COORD" --department "${DEPTS[$i]}" \
        --bind "tcp://127.0.0.1:${P[$((i + 3))]}" --key "$T/run.key" 2>>"$T/agents.err" </dev/null >/dev/null &
    PIDS+=("$!")
done
for p in bargain_hunter loyal_family; do
    setsid "$BIN/cxsim-persona" --connect "$COORD" --persona "$p" --key "$T/run.key" 2>>"$T/agents.err" </dev/null >/dev/null &
    PIDS+=("$!")
done
# Holders of the key may control and watch it; others get no answer (exit 1).
for _ in $(seq 1 200); do
    [ -f "$T/tcp/live.endpoints" ] && break
    sleep 0.05
done
"$CXSIM" watch "$T/tcp" --key "$T/run.key" --every 20 --columns tick,nps >"$T/watch.out" 2>&1 &
WPID=$!
PIDS+=("$WPID")
(r=0; timeout 20 "$CXSIM" ctl "$CTL" status --key "$T/other.key" >/dev/null 2>&1 || r=$?; echo $r >"$T/rc1") &
(r=0; timeout 20 "$CXSIM" ctl "$CTL" status >/dev/null 2>&1 || r=$?; echo $r >"$T/rc2") &
"$CXSIM" ctl "$CTL" status --key "$T/run.key" | grep -qx "ticks=60" || fail "ctl with the run key got no status"
wait "$WPID" || fail "watch with the run key failed: $(cat "$T/watch.out")"
wait_exit "$CPID" 60
[ "$RC" -eq 0 ] || { cat "$T/coord.err" "$T/agents.err" >&2; fail "the tcp run exited $RC"; }
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/tcp/$f" || fail "$f of the tcp run differs from the local run"
done
grep -q "refused a connection on tcp://.*does not hold the run key" "$T/coord.err" ||
    { cat "$T/coord.err" >&2; fail "the coordinator did not report the refused strangers"; }
grep -q "59 " "$T/watch.out" || fail "watch did not follow the run to its last tick"
wait
[ "$(cat "$T/rc1")" -eq 1 ] && [ "$(cat "$T/rc2")" -eq 1 ] ||
    fail "ctl without the run key gave exits $(cat "$T/rc1") and $(cat "$T/rc2"), not 1"
sleep 0.5
for p in $(pgrep -f "cxsim-(department|persona) --connect $COORD" || true); do
    fail "agent $p left behind"
done
echo ok
