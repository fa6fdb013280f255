#!/usr/bin/env bash
# cxsim-web beyond loopback serves nobody without a secret token: without
# --classroom it prints a trainer's link, and /api/ answers 401 without its
# token and 200 with it. Listens only inside a private network namespace, on
# an address (10.9.9.1, put on its own loopback interface) that nothing
# outside the test can reach: skipped (exit 77, with the reason) where the
# machine forbids such namespaces.
if [ -z "${CX_IN_NETNS:-}" ]; then
    if ! unshare -rn ip addr add 10.9.9.1/32 dev lo 2>/dev/null; then
        echo "skipped: this machine refuses a private network namespace (unshare -rn, ip addr)"
        exit 77
    fi
    exec unshare -rn env CX_IN_NETNS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
ip addr add 10.9.9.1/32 dev lo
ip link set lo up
WEB="$(dirname "$CXSIM")/cxsim-web"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 5 --out "$T/r" --quiet || fail "run failed"

: >"$T/web.out"
"$WEB" "$T/r" --bind 10.9.9.1 --listen 0 >"$T/web.out" 2>"$T/web.err" &
WPID=$!
trap 'kill -TERM "$WPID" 2>/dev/null || true; lib_cleanup' EXIT
link=
for _ in $(seq 1 100); do
    link=$(sed -n 's|^trainer \(http://10\.9\.9\.1:[0-9]*/?t=[A-Za-z0-9_-]*\)$|\1|p' "$T/web.out" || true)
    [ -n "$link" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web exited at start"; }
    sleep 0.05
done
[ -n "$link" ] || { cat "$T/web.out" "$T/web.err" >&2; fail "no trainer link printed"; }
base=${link%%\?t=*}
token=${link#*\?t=}
code=$(curl -s -o /dev/null -w '%{http_code}' "${base}api/scenario")
[ "$code" = 401 ] || fail "GET /api/scenario without a token: $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Cxsim-Token: wrong" "${base}api/scenario")
[ "$code" = 401 ] || fail "GET /api/scenario with a wrong token: $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"verb": "stop"}' "${base}api/command")
[ "$code" = 401 ] || fail "POST /api/command without a token: $code, not 401"
code=$(curl -s -o "$T/s.json" -w '%{http_code}' -H "X-Cxsim-Token: $token" "${base}api/scenario")
[ "$code" = 200 ] || fail "GET /api/scenario with the trainer's token: $code, not 200"
curl -s -H "X-Cxsim-Token: $token" "${base}api/whoami" | grep -q '"role": *"trainer"' ||
    fail "the trainer's token is not the trainer's"
kill -TERM "$WPID"
wait "$WPID" || fail "cxsim-web did not stop cleanly"
echo ok
