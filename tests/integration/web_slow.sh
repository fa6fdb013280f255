#!/usr/bin/env bash
# Slow clients cannot lock a classroom out of cxsim-web: while 130
# connections from one address send headers one line a second, normal
# requests from that address and from others are answered within 2 s, and a
# 40-seat room behind one NAT address keeps its event streams
# (tests/integration/web_slow.py). Loopback only (127.0.0.1-3); skipped
# (exit 77, with the reason) where 127.0.0.2 cannot be bound.
. "$(dirname "$0")/lib.sh"
WEB="$(dirname "$CXSIM")/cxsim-web"
[ -x "$WEB" ] || fail "no cxsim-web beside $CXSIM"

# A run held paused, so that the event streams stay open.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 100000 --tick-ms 20 --quiet --out "$T/run"
for _ in $(seq 1 300); do
    [ -f "$T/run/live.endpoints" ] && break
    kill -0 "$LPID" 2>/dev/null || fail "the run ended before it could be watched"
    sleep 0.05
done
"$CXSIM" ctl "$T/run" pause >/dev/null || fail "cannot pause the run"

: >"$T/web.out"
"$WEB" "$T/run" --listen 0 >"$T/web.out" 2>"$T/web.err" &
WPID=$!
trap 'kill -TERM "$WPID" 2>/dev/null || true; lib_cleanup' EXIT
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/web.out" || true)
    [ -n "$URL" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web exited at start"; }
    sleep 0.05
done
[ -n "$URL" ] || fail "cxsim-web printed no URL"
port=${URL#http://127.0.0.1:}
port=${port%/}
set +e
timeout 60 python3 "$(dirname "$0")/web_slow.py" "$port"
rc=$?
set -e
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { cat "$T/web.err" >&2; fail "slow clients locked cxsim-web (exit $rc)"; }
grep -q "still sending their headers" "$T/web.err" || fail "the evictions were not reported"
"$CXSIM" ctl "$T/run" stop >/dev/null 2>&1 || true
kill -TERM "$WPID"
wait "$WPID" || fail "cxsim-web did not stop cleanly"
echo ok
