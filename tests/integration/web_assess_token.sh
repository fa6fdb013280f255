#!/usr/bin/env bash
# cxsim-web --assess beyond loopback serves nobody without its secret token:
# it prints the link with ?t=TOKEN; the page, the scores and a form answer
# 401 without the token (or with another) and 200 with it, as a query or as
# the X-Cxsim-Token header. Listens only inside a private network namespace,
# on an address (10.9.9.1, on its own loopback interface) nothing outside
# the test can reach: skipped (exit 77) where such namespaces are refused.
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
"$WEB" --assess "$CX_SOURCE_DIR/scenarios/assess/example-answers.yaml" --bind 10.9.9.1 --listen 0 \
    >"$T/web.out" 2>"$T/web.err" &
WPID=$!
trap 'kill -TERM "$WPID" 2>/dev/null || true; lib_cleanup' EXIT
link=
for _ in $(seq 1 100); do
    link=$(sed -n 's|^cxsim-web: \(http://10\.9\.9\.1:[0-9]*/?t=[A-Za-z0-9_-]*\)$|\1|p' "$T/web.out" || true)
    [ -n "$link" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web exited at start"; }
    sleep 0.05
done
[ -n "$link" ] || fail "no secret link printed: $(cat "$T/web.out")"
grep -q "not loopback" "$T/web.err" || fail "no warning about serving beyond loopback"
python3 - "$link" <<'PY' || fail "the token rules do not hold"
import sys, urllib.error, urllib.parse, urllib.request
link = sys.argv[1]
base, token = link.split("?t=")
def code(path, data=None, header=None):
    r = urllib.request.Request(base.rstrip("/") + path, data=data)
    if header:
        r.add_header("X-Cxsim-Token", header)
    try:
        with urllib.request.urlopen(r, timeout=10) as f:
            return f.status, f.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
for path in ("/", "/scores.txt", "/scenario.yaml"):
    assert code(path)[0] == 401, path
    assert code(path + "?t=" + "A" * len(token))[0] == 401, path
    assert code(path + "?t=" + token)[0] == 200, path
assert code("/", header=token)[0] == 200
assert code("/company", b"cx_owner=cx_team")[0] == 401
c, page = code("/company?t=" + token, b"cx_owner=cx_team")
assert c == 200 and 'action="/department?t=%s"' % token in page, c
PY
echo ok
