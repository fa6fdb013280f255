#!/usr/bin/env bash
# The shipped reality checks (scenarios/checks/*.yaml) hold on the model: the
# seeds' behaviour and the published figures, written down before the model was
# tuned. `cxsim check` exits 1 when any check fails; its table says which.
. "$(dirname "$0")/lib.sh"

set +e
"$CXSIM" check "$CX_SOURCE_DIR"/scenarios/checks/*.yaml --jobs 2 --out "$T/checks" >"$T/out" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    grep -B1 -A1 "FAILS\|error" "$T/out" >&2 || cat "$T/out" >&2
    fail "cxsim check exited $rc: $(tail -1 "$T/out")"
fi
n=$(grep -c '^  holds ' "$T/out")
[ "$n" -ge 25 ] || fail "only $n shipped checks ran (at least 25 expected)"
tail -1 "$T/out"
echo ok
