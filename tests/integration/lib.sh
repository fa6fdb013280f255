# Shared helpers for integration tests that start real cxsim processes.
# Each test runs in its own temporary directory and must leave no process.
set -euo pipefail

: "${CXSIM:?CXSIM must point to the cxsim executable}"
: "${CX_SOURCE_DIR:?CX_SOURCE_DIR must point to the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/cxsim-test.XXXXXX")
# Everything the test and the processes it starts put in $TMPDIR (socket
# directories, scratch files) lands in $T/tmp: removed with $T on every
# path, and checked for leftovers when the test passes.
mkdir "$T/tmp"
export TMPDIR="$T/tmp"
# Sessions started by start_session: however the test ends (a failed check
# included, with a run held paused), nothing it started outlives it.
SESSIONS=()
# A test that SIGKILLs a launcher on purpose (it cannot remove its socket
# directory) calls allow_tmp_leftovers "why" before it ends.
TMP_LEFTOVERS_OK=
allow_tmp_leftovers() {
    TMP_LEFTOVERS_OK=$1
}
# Never turns a failure into a pass: it only ever adds a failure (exit 1).
lib_cleanup() {
    local rc=$? s left leak=0
    for s in "${SESSIONS[@]}"; do
        # Only a session that is still this test's (a process naming $T): a
        # finished one's id may since belong to someone else.
        if ps -e -o sid=,args= | awk -v s="$s" -v t="$T" \
            '$1 == s && index($0, t) { found = 1 } END { exit !found }'; then
            kill -KILL -- "-$s" 2>/dev/null || true
        fi
    done
    # The leak check, when the test itself passed: no process of its own
    # still names its directory, and nothing is left in its $TMPDIR.
    if [ "$rc" -eq 0 ]; then
        sleep 0.2
        left=$(ps -e -o pid=,stat=,args= | awk -v t="$T" -v me=$$ \
            'index($0, t) && $1 != me && $2 !~ /^Z/ && !/ps -e -o/ && !/awk -v t=/ { print }')
        if [ -n "$left" ]; then
            echo "FAIL: processes left behind:" >&2
            echo "$left" >&2
            leak=1
        fi
        left=$(find "$T/tmp" -mindepth 1 -maxdepth 2 2>/dev/null | head -20)
        if [ -n "$left" ] && [ -z "$TMP_LEFTOVERS_OK" ]; then
            echo "FAIL: files left behind in TMPDIR:" >&2
            echo "$left" >&2
            leak=1
        elif [ -n "$left" ]; then
            echo "removed what SIGKILLed processes left in TMPDIR ($TMP_LEFTOVERS_OK)"
        fi
    fi
    rm -rf "$T"
    [ "$leak" -eq 0 ] || exit 1
}
trap lib_cleanup EXIT

# A small, fast version of the shipped baseline.
SMALL=(--set personas.bargain_hunter.customers=3000 --set personas.loyal_family.customers=2000)
BASELINE="$CX_SOURCE_DIR/scenarios/baseline.yaml"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Processes in session $1 (a launcher started with setsid).
session_procs() {
    ps -e -o sid=,pid=,args= | awk -v s="$1" '$1 == s { print }'
}

# Runs cxsim in its own session in the background; sets LPID (= session id).
start_session() {
    setsid "$CXSIM" "$@" >"$T/launcher.out" 2>"$T/launcher.err" &
    LPID=$!
    SESSIONS+=("$LPID")
}

# Waits up to $2 seconds for process $1 to exit; sets RC.
wait_exit() {
    local pid=$1 limit=$2 i=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
        if [ "$i" -ge $((limit * 10)) ]; then
            kill -9 "$pid" 2>/dev/null || true
            fail "process $pid did not exit within ${limit}s"
        fi
    done
    set +e
    wait "$pid"
    RC=$?
    set -e
}

# Asserts that nothing of session $1 is left, allowing a moment for exits.
assert_no_leftovers() {
    local sid=$1 i
    for i in $(seq 1 30); do
        [ -z "$(session_procs "$sid")" ] && return 0
        sleep 0.1
    done
    session_procs "$sid" >&2
    fail "processes left behind by session $sid"
}

# Number of data rows of a CSV file.
rows() {
    echo $(($(wc -l <"$1") - 1))
}

# Asserts every line of a CSV file has as many fields as its header.
assert_whole_rows() {
    awk -F, 'NR == 1 { n = NF; next } NF != n { bad = 1; print FILENAME ": line " NR " has " NF " fields, header has " n > "/dev/stderr" } END { exit bad }' "$1" \
        || fail "partial or malformed row in $1"
}
