#!/usr/bin/env bash
# cxsim-web refuses what it cannot trust to be what it seems: a request with
# two Content-Length headers gets 400 (a proxy in front may have believed the
# other one); a second --classroom server on a run exits 2 naming the first
# one's pid and leaves its classroom.txt as it was, while a dead server's
# file (nobody holds its lock) is replaced.
. "$(dirname "$0")/lib.sh"
WEB="$(dirname "$CXSIM")/cxsim-web"
[ -x "$WEB" ] || fail "no cxsim-web beside $CXSIM"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 5 --out "$T/r" --quiet || fail "run failed"

start_web() { # $1: output prefix; sets WPID and URL
    : >"$T/$1.out"
    "$WEB" "$T/r" --classroom --listen 0 >"$T/$1.out" 2>"$T/$1.err" &
    WPID=$!
    URL=
    for _ in $(seq 1 100); do
        URL=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/$1.out" || true)
        [ -n "$URL" ] && grep -q "^trainer " "$T/$1.out" && return 0
        kill -0 "$WPID" 2>/dev/null || { cat "$T/$1.err" >&2; fail "cxsim-web exited at start"; }
        sleep 0.05
    done
    fail "cxsim-web printed no URL"
}
start_web a
APID=$WPID
trap 'kill -TERM "$APID" 2>/dev/null || true; lib_cleanup' EXIT
cp "$T/r/classroom.txt" "$T/links.a"
token=$(sed -n 's|^trainer .*?t=\(.*\)$|\1|p' "$T/links.a")
port=${URL#http://127.0.0.1:}
port=${port%/}

# 1. Two Content-Length headers.
reply=$(python3 - "$port" "$token" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
body = b'{"verb": "status"}'
s.sendall(b"POST /api/command HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Cxsim-Token: " + sys.argv[2].encode()
          + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: 0\r\n\r\n"
          % len(body) + body)
data = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    data += c
    if b"\r\n\r\n" in data and data.endswith(b"}\n"):
        break
print(data.decode(errors="replace").replace("\r", ""))
PY
)
echo "$reply" | head -1 | grep -q "^HTTP/1.1 400" || fail "two Content-Length headers: $(echo "$reply" | head -1)"
echo "$reply" | grep -q "more than one Content-Length" || fail "the 400 does not say why: $reply"

# 2. A second --classroom server on the same run.
set +e
timeout 20 "$WEB" "$T/r" --classroom --listen 0 >"$T/b.out" 2>"$T/b.err"
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/b.err" >&2; fail "a second --classroom server exited $rc, not 2"; }
grep -q "another cxsim-web --classroom (pid $APID) serves this run" "$T/b.err" ||
    { cat "$T/b.err" >&2; fail "the refusal does not name the first server"; }
cmp -s "$T/r/classroom.txt" "$T/links.a" || fail "the first server's classroom.txt was changed"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Cxsim-Token: $token" "${URL}api/whoami")
[ "$code" = 200 ] || fail "the first server's trainer link no longer works ($code)"

# 3. A dead server's file is replaced; a stopped one's is removed.
kill -KILL "$APID"
wait "$APID" 2>/dev/null || true
[ -f "$T/r/classroom.txt" ] || fail "kill -9 removed classroom.txt?"
start_web c
APID=$WPID
cmp -s "$T/r/classroom.txt" "$T/links.a" && fail "a dead server's classroom.txt was not replaced"
grep -q "^trainer http://127.0.0.1:[0-9]*/?t=" "$T/r/classroom.txt" || fail "no links in the new file"
kill -TERM "$APID"
wait "$APID" || fail "cxsim-web did not stop cleanly"
[ ! -e "$T/r/classroom.txt" ] || fail "classroom.txt left behind after a clean stop"
ls "$T/r" | grep -q "classroom.txt\." && fail "a temporary links file was left behind"
echo ok
