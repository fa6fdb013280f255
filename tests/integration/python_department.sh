#!/usr/bin/env bash
# The reference department in Python (agents/python/department.py) joins a
# real run in place of the C department `it`, over tcp with a run key (its
# data socket refuses strangers): the run completes (exit 0, a row
# for every tick, nothing dropped), the C persona shards took its outcomes,
# and departments.csv shows its own model (every request served at once and
# resolved) with the protocol's units (cost: the staff's pay for the tick).
. "$(dirname "$0")/python_agents_lib.sh"
check_agent_refusals department.py

# Over tcp with a run key, as on several hosts: every process holds the key.
"$CXSIM" keygen "$T/run.key" >/dev/null || fail "keygen failed"
"$CXSIM" keygen "$T/other.key" >/dev/null || fail "keygen failed"
KEY=(--key "$T/run.key")
free_ports 7 # the coordinator's, five C departments', the Python department's
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --set personas.bargain_hunter.shards=2 --ticks "$TICKS" \
    --quiet --in-process --out "$T/ref" || fail "reference run failed"
start_coordinator run "$T/ref/scenario.resolved.yaml" "tcp://127.0.0.1:${PORTS[0]}" "${KEY[@]}"
DATA="tcp://127.0.0.1:${PORTS[6]}"
setsid "$PY" "$AGENTS/department.py" --connect "$COORD" --department it --pillar 8 --bind "$DATA" \
    "${KEY[@]}" 2>>"$T/agents.err" </dev/null >/dev/null &
PYPID=$!
PIDS+=("$PYPID")
# Strangers at its data socket first: a CURVE client with another key (refused
# by its key check) and one without CURVE (refused by the handshake). Had a
# batch of theirs got through, it would be counted in messages.dropped.
"$PY" - "$DATA" "$T/run.key" "$T/other.key" <<'PYEOF' || fail "a stranger got an answer"
import sys, time, msgpack, zmq
data, run_key, other_key = sys.argv[1:4]
import zmq.auth
def keys(path):
    # A run key is a CZMQ secret certificate: pyzmq's reader takes it as is.
    return zmq.auth.load_certificate(path)
server_pub, _ = keys(run_key)
opub, osec = keys(other_key)
ctx = zmq.Context()
for curve in (True, False):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if curve:
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_pub, opub, osec
    s.connect(data)
    s.send(msgpack.packb([1, 5, 0, 0, 0, 0, b""]))
    if s.poll(1500):
        sys.exit(1)
    s.close()
PYEOF
for i in 0 1 2 3 4; do
    d=(marketing sales logistics customer_service product)
    start_agent "$BIN/cxsim-department" --connect "$COORD" --department "${d[$i]}" \
        --bind "tcp://127.0.0.1:${PORTS[$((i + 1))]}" "${KEY[@]}"
done
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona bargain_hunter --shard 0 --of 2 "${KEY[@]}"
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona bargain_hunter --shard 1 --of 2 "${KEY[@]}"
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona loyal_family "${KEY[@]}"
finish_run run "$PYPID"

# Its rows: served = demand, no backlog or wait, all resolved, cost = 10 staff
# x 75,000 a year for a day; some tick had requests; other departments differ.
awk -F, -v ticks="$TICKS" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["department"] == "it" {
        n++
        if ($col["demand"] != $col["handled"] || $col["backlog"] != 0 || $col["avg_wait"] != 0 ||
            ($col["demand"] > 0 && $col["resolution_rate"] != 100) ||
            sprintf("%.4f", $col["cost"]) != sprintf("%.4f", 10 * 75000 / 365)) bad = bad " tick " $1
        served += $col["handled"]
    }
    END {
        if (bad) { print "rows of it that are not the Python model:" bad > "/dev/stderr"; exit 1 }
        if (n != ticks || served == 0) { print "it: " n " rows, " served " served" > "/dev/stderr"; exit 1 }
    }' "$T/run/departments.csv" || fail "departments.csv does not show the Python department"
# Its pillar score (8) reached the customers: the touchpoints it owns (browse)
# score 8 on every pillar.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["touchpoint"] == "browse" && $col["interactions"] > 0 {
        n++; if ($col["integrity"] != 8 || $col["empathy"] != 8) bad = 1 }
    END { exit bad || !n }' "$T/run/touchpoints.csv" ||
    { head -3 "$T/run/touchpoints.csv" >&2; fail "the Python department's scores did not reach touchpoints.csv"; }
echo ok
