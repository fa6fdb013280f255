#!/usr/bin/env bash
# A wrong run key is named as such on every side (libzmq's socket monitor:
# the handshake fails before any message gets through). A coordinator with
# one key on 127.0.0.1; a persona with another key and one without, `cxsim
# ctl` with either: each says its handshake failed on the run key within
# seconds (not "no answer after 30000 ms", not "has the run ended?"), and the
# coordinator logs it and adds it to the failed join's reason.
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$CXSIM")
"$CXSIM" keygen "$T/run.key" >/dev/null || fail "keygen failed"
"$CXSIM" keygen "$T/other.key" >/dev/null || fail "keygen failed"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 2 --quiet --out "$T/r" || fail "run failed"
read -r -a P <<<"$(python3 - <<'PYEOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PYEOF
)"
EP="tcp://127.0.0.1:${P[0]}"
CTL="tcp://127.0.0.1:${P[1]}"
"$BIN/cxsim-coordinator" --scenario "$T/r/scenario.resolved.yaml" --out "$T/c" --bind "$EP" \
    --control "$CTL" --key "$T/run.key" --startup-timeout-ms 8000 2>"$T/c.err" &
CPID=$!
trap 'kill -9 "$CPID" 2>/dev/null || true; lib_cleanup' EXIT
sleep 0.3

check() { # name expected-regex command...
    local name=$1 want=$2
    shift 2
    local t0 rc ms
    t0=$(date +%s%N)
    set +e
    timeout 20 "$@" >"$T/o" 2>&1
    rc=$?
    set -e
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "$name: exit $rc after $ms ms: $(tail -1 "$T/o")"
    [ "$rc" -ne 0 ] || fail "$name succeeded"
    [ "$ms" -le 6000 ] || fail "$name took $ms ms to give up"
    grep -q "$want" "$T/o" || { cat "$T/o" >&2; fail "$name does not say the key is wrong"; }
}
check "persona with another key" "handshake failed .* on the run key.*different keys" \
    "$BIN/cxsim-persona" --connect "$EP" --persona bargain_hunter --shard 0 --of 1 --key "$T/other.key"
check "persona without a key" "the peer uses a run key and this process has none: give --key FILE" \
    "$BIN/cxsim-persona" --connect "$EP" --persona bargain_hunter --shard 0 --of 1
check "ctl with another key" "cannot reach $CTL: the handshake failed .* on the run key" \
    "$CXSIM" ctl "$CTL" status --key "$T/other.key"
check "ctl without a key" "this process has none: give --key FILE" "$CXSIM" ctl "$CTL" status
wait_exit "$CPID" 30
[ "$RC" = 1 ] || fail "the coordinator exited $RC"
grep -q "a peer could not connect: the handshake failed .* on the run key" "$T/c.err" ||
    { cat "$T/c.err" >&2; fail "the coordinator does not say a peer's key was wrong"; }
grep -q "meanwhile the handshake failed" "$T/c/summary.json" ||
    fail "the failed join's reason does not mention the handshakes"
echo ok
