#!/usr/bin/env bash
# The reference department in Python (agents/python/department.py) joins a
# real run in place of the C department `it`: the run completes (exit 0, a row
# for every tick, nothing dropped), the C persona shards took its outcomes,
# and departments.csv shows its own model (every request served at once and
# resolved) with the protocol's units (cost: the staff's pay for the tick).
. "$(dirname "$0")/python_agents_lib.sh"
check_agent_refusals department.py

"$CXSIM" run "$BASELINE" "${SMALL[@]}" --set personas.bargain_hunter.shards=2 --ticks "$TICKS" \
    --quiet --in-process --out "$T/ref" || fail "reference run failed"
start_coordinator run "$T/ref/scenario.resolved.yaml"
for d in marketing sales logistics customer_service product; do
    start_agent "$BIN/cxsim-department" --connect "$COORD" --department "$d"
done
setsid "$PY" "$AGENTS/department.py" --connect "$COORD" --department it --pillar 8 \
    2>>"$T/agents.err" </dev/null >/dev/null &
PYPID=$!
PIDS+=("$PYPID")
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona bargain_hunter --shard 0 --of 2
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona bargain_hunter --shard 1 --of 2
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona loyal_family
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
