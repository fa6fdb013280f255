#!/usr/bin/env bash
# Listening beyond this machine needs the run key: the coordinator's agents,
# rows and control sockets and a department's data socket on a wildcard or
# another address than loopback, without --key, exit 2 naming --key before
# binding anything; --insecure is accepted and logged loudly; a department
# started without --bind and without a key binds loopback only; a wildcard
# address to advertise is refused at start. ipc:// and loopback are unchanged
# (every other integration test). Runs in a private network namespace when
# the machine allows one, so that nothing can be reached even if a check broke.
if [ -z "${CX_IN_NETNS:-}" ] && unshare -rn true 2>/dev/null; then
    exec unshare -rn env CX_IN_NETNS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
command -v ss >/dev/null || fail "ss is needed (scripts/setup installs iproute2)"
if [ -n "${CX_IN_NETNS:-}" ]; then
    ip link set lo up
else
    echo "note: no private network namespace here (unshare -rn refused); running in the host's"
fi
BIN=$(dirname "$CXSIM")
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 2 --out "$T/r" --quiet || fail "run failed"
SCEN="$T/r/scenario.resolved.yaml"
"$CXSIM" keygen "$T/run.key" >/dev/null 2>&1 || fail "keygen failed"

# refused WHAT PATTERN CMD...: CMD exits 2 within 10 s saying PATTERN.
refused() {
    local what=$1 pattern=$2 rc
    shift 2
    set +e
    timeout 10 "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "$what: exit $rc, not 2"; }
    grep -q -e "$pattern" "$T/err" || { cat "$T/err" >&2; fail "$what: no message '$pattern'"; }
}
C=("$BIN/cxsim-coordinator" --scenario "$SCEN" --out "$T/c" --startup-timeout-ms 500)
refused "coordinator --bind tcp://*" "--bind tcp://\*:15555 listens beyond this machine without a run key.*--key FILE" \
    "${C[@]}" --bind 'tcp://*:15555'
refused "coordinator --pub 0.0.0.0" "--pub tcp://0.0.0.0:15556 .*--key" \
    "${C[@]}" --bind "ipc://$T/c.sock" --pub 'tcp://0.0.0.0:15556'
refused "coordinator --control [::]" "--control tcp://\[::\]:15557 .*--key" \
    "${C[@]}" --bind "ipc://$T/c.sock" --control 'tcp://[::]:15557'
refused "coordinator --bind another address" "--bind tcp://192.0.2.1:15555 .*--key" \
    "${C[@]}" --bind 'tcp://192.0.2.1:15555'
[ ! -e "$T/c" ] || fail "a refused coordinator wrote $T/c"
# --insecure: allowed and logged loudly (192.0.2.1 is not this machine's:
# the bind then fails, so nothing listens).
set +e
timeout 10 "${C[@]}" --bind 'tcp://192.0.2.1:15555' --insecure >/dev/null 2>"$T/err"
set -e
grep -q "WARNING: --insecure: --bind tcp://192.0.2.1:15555 listens beyond this machine WITHOUT a run key" \
    "$T/err" || { cat "$T/err" >&2; fail "--insecure not logged loudly"; }
# With the key, the same address passes the rule (and fails only to bind).
set +e
timeout 10 "${C[@]}" --bind 'tcp://192.0.2.1:15555' --key "$T/run.key" >/dev/null 2>"$T/err"
set -e
grep -q -e "--key" "$T/err" && { cat "$T/err" >&2; fail "a keyed coordinator was refused for its key"; }

D=("$BIN/cxsim-department" --connect "ipc://$T/nobody.sock" --department it --timeout-ms 3000)
refused "department --bind tcp://*" "--bind tcp://\*:16001 .*--key" "${D[@]}" --bind 'tcp://*:16001'
refused "department --bind 0.0.0.0 --insecure without --advertise" "cannot advertise tcp://0.0.0.0:16001" \
    "${D[@]}" --bind 'tcp://0.0.0.0:16001' --insecure
refused "department with a key, wildcard bind, no --advertise" "cannot advertise tcp://\*:16001.*--advertise" \
    "${D[@]}" --bind 'tcp://*:16001' --key "$T/run.key"
refused "department advertising a wildcard" "cannot advertise tcp://\*:16002" \
    "${D[@]}" --bind 'tcp://127.0.0.1:16002' --advertise 'tcp://*:16002'

# Without --bind and without a key, a department binds loopback only.
"${D[@]}" 2>"$T/dept.err" &
DPID=$!
listen=
for _ in $(seq 1 50); do
    listen=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$DPID," 'index($0, p) { print $4 }')
    [ -n "$listen" ] && break
    sleep 0.05
done
kill "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
[ -n "$listen" ] || fail "the department listened nowhere (ss found no socket)"
echo "$listen" | grep -qv '^127\.0\.0\.1:' && fail "a keyless department listened on $listen"
echo ok
