# Shared by python_department.sh and python_persona.sh: a run of processes
# started by hand (as on several hosts) in which one agent is the Python
# reference agent of agents/python/ (Debian's python3-zmq and python3-msgpack).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, which sees Debian's python3-zmq and python3-msgpack
"$PY" -c "import zmq, msgpack" || fail "python3-zmq or python3-msgpack missing: run scripts/setup"
AGENTS="$CX_SOURCE_DIR/agents/python"
export PYTHONDONTWRITEBYTECODE=1 # leave the source tree as it is
BIN=$(dirname "$CXSIM")
TICKS=30
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    lib_cleanup
}
trap cleanup EXIT

# The reference agents refuse bad arguments (exit 2) and give up on a
# coordinator that does not answer (exit 1, saying so), within the timeout.
check_agent_refusals() {
    local agent=$1 rc
    set +e
    timeout 20 "$PY" "$AGENTS/$agent" --bogus 1 2>"$T/args.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$agent with a bad argument exited $rc, not 2"
    local flag=--department
    [ "$agent" = persona.py ] && flag=--persona
    set +e
    timeout 20 "$PY" "$AGENTS/$agent" --connect "ipc://$T/nobody.sock" --timeout-ms 300 \
        "$flag" x 2>"$T/alone.err" </dev/null
    rc=$?
    set -e
    [ "$rc" -eq 1 ] && grep -q "no answer from the coordinator at ipc://$T/nobody.sock after 300 ms" "$T/alone.err" ||
        fail "$agent without a coordinator exited $rc: $(cat "$T/alone.err")"
}

# free_ports N: N free tcp ports on 127.0.0.1, in the array PORTS.
free_ports() {
    read -r -a PORTS <<<"$("$PY" - "$1" <<'PYEOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PYEOF
)"
}

# start_coordinator NAME SCENARIO [ENDPOINT [ARGS...]]: the coordinator of run
# NAME (on ipc unless ENDPOINT is given), its endpoint in COORD.
start_coordinator() {
    local name=$1 scen=$2
    COORD=${3:-ipc://$T/$name.sock}
    shift $(($# < 3 ? $# : 3))
    setsid "$BIN/cxsim-coordinator" --scenario "$scen" --out "$T/$name" --bind "$COORD" \
        --startup-timeout-ms 30000 --tick-timeout-ms 30000 "$@" 2>"$T/$name.coord.err" </dev/null >/dev/null &
    CPID=$!
    PIDS+=("$CPID")
}

# start_agent ARGS...: one agent process (a C program or the Python one).
start_agent() {
    setsid "$@" 2>>"$T/agents.err" </dev/null >/dev/null &
    PIDS+=("$!")
}

# finish_run NAME PYPID: the coordinator and the Python agent exit 0, every
# tick has its row, nothing was dropped anywhere, no agent is left.
finish_run() {
    wait_exit "$CPID" 120
    [ "$RC" -eq 0 ] || { cat "$T/$1.coord.err" "$T/agents.err" >&2; fail "the coordinator exited $RC"; }
    wait_exit "$2" 20
    [ "$RC" -eq 0 ] || { cat "$T/agents.err" >&2; fail "the Python agent exited $RC"; }
    [ "$(rows "$T/$1/kpis.csv")" -eq "$TICKS" ] || fail "kpis.csv has $(rows "$T/$1/kpis.csv") rows, not $TICKS"
    assert_whole_rows "$T/$1/kpis.csv"
    grep -q '"status": "completed"' "$T/$1/summary.json" || fail "the run did not complete"
    grep -q '"dropped": 0,' "$T/$1/summary.json" ||
        { cat "$T/$1/summary.json" "$T/agents.err" >&2; fail "messages were dropped"; }
    local i
    for i in $(seq 1 50); do
        pgrep -f "$COORD" >/dev/null || return 0
        sleep 0.1
    done
    fail "agents of $COORD left behind: $(pgrep -af "$COORD")"
}
