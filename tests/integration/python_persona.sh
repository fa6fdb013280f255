#!/usr/bin/env bash
# The reference persona shard in Python (agents/python/persona.py) joins a
# real run in place of a C shard (bargain_hunter shard 0 of 2, beside the C
# shard 1): the run completes (exit 0, a row for every tick, nothing dropped:
# the C departments took every request it sent, the coordinator every tally),
# the tallies add up (customers at tick 0 are the scenario's), and customers of
# the Python shard were served at every department-owned touchpoint.
. "$(dirname "$0")/python_agents_lib.sh"
check_agent_refusals persona.py

"$CXSIM" run "$BASELINE" "${SMALL[@]}" --set personas.bargain_hunter.shards=2 --ticks "$TICKS" \
    --quiet --in-process --out "$T/ref" || fail "reference run failed"
start_coordinator run "$T/ref/scenario.resolved.yaml"
for d in marketing sales logistics customer_service product it; do
    start_agent "$BIN/cxsim-department" --connect "$COORD" --department "$d"
done
setsid "$PY" "$AGENTS/persona.py" --connect "$COORD" --persona bargain_hunter --shard 0 --of 2 \
    2>>"$T/agents.err" </dev/null >/dev/null &
PYPID=$!
PIDS+=("$PYPID")
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona bargain_hunter --shard 1 --of 2
start_agent "$BIN/cxsim-persona" --connect "$COORD" --persona loyal_family
finish_run run "$PYPID"

# Tick 0 starts with the scenario's 5,000 customers (1,500 of them the Python
# shard's), and the rows differ from the all-C reference (the Python model's).
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    NR == 2 && $col["customers"] != 5000 { exit 1 }
    $col["respondents"] > 0 && $col["interactions"] > 0 { n++ }
    END { exit n < 20 }' "$T/run/kpis.csv" || fail "kpis.csv does not add up the Python shard's tallies"
! cmp -s "$T/ref/kpis.csv" "$T/run/kpis.csv" || fail "the rows equal the all-C run's: was the Python shard there?"
# Every touchpoint a department owns had interactions over the run.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["owner"] != "external" { seen[$col["touchpoint"]] += $col["interactions"] }
    END { for (t in seen) if (seen[t] == 0) { print t > "/dev/stderr"; bad = 1 } exit bad }' \
    "$T/run/touchpoints.csv" || fail "a touchpoint had no interactions"
echo ok
