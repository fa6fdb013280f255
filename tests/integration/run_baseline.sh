#!/usr/bin/env bash
# A short multi-process baseline run writes every output with the contract's columns.
. "$(dirname "$0")/lib.sh"

start_session run "$BASELINE" "${SMALL[@]}" --ticks 25 --out "$T/run"
wait_exit "$LPID" 120
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "exit status $RC"; }
assert_no_leftovers "$LPID"

for f in kpis.csv departments.csv touchpoints.csv summary.json scenario.resolved.yaml; do
    [ -s "$T/run/$f" ] || fail "missing or empty $f"
done
head=$(head -n 1 "$T/run/kpis.csv")
for col in tick customers promoters passives detractors nps respondents satisfied csat ces \
    churned churn_rate retention_rate acquired purchases referral_purchases referral_rate \
    revenue clv cac employee_engagement avg_resolution_time; do
    echo ",$head," | grep -q ",$col," || fail "kpis.csv lacks column $col"
done
head=$(head -n 1 "$T/run/departments.csv")
for col in tick department maturity demand handled backlog avg_wait resolution_rate handoffs \
    failed_handoffs cost employee_engagement; do
    echo ",$head," | grep -q ",$col," || fail "departments.csv lacks column $col"
done
head=$(head -n 1 "$T/run/touchpoints.csv")
for col in tick journey touchpoint owner interactions integrity resolution expectations \
    time_effort personalisation empathy experience; do
    echo ",$head," | grep -q ",$col," || fail "touchpoints.csv lacks column $col"
done
[ "$(rows "$T/run/kpis.csv")" -eq 25 ] || fail "kpis.csv has $(rows "$T/run/kpis.csv") rows, want 25"
[ "$(rows "$T/run/departments.csv")" -eq $((25 * 6)) ] || fail "departments.csv rows"
[ "$(rows "$T/run/touchpoints.csv")" -eq $((25 * 7)) ] || fail "touchpoints.csv rows"
for f in kpis departments touchpoints; do assert_whole_rows "$T/run/$f.csv"; done
grep -q '"status": "completed"' "$T/run/summary.json" || fail "summary status"
grep -q '"ticks_completed": 25' "$T/run/summary.json" || fail "summary ticks"
# The customers column is the population that started each tick: 5000 at tick 0.
awk -F, 'NR == 2 && $2 != 5000 { exit 1 }' "$T/run/kpis.csv" || fail "tick 0 customers != 5000"
# Interactions happened and were served by departments.
awk -F, 'NR > 1 { s += $5 } END { exit !(s > 0) }' "$T/run/departments.csv" || fail "no department handled anything"
# The resolved scenario holds the seed and loads back.
grep -q '^seed: 42' "$T/run/scenario.resolved.yaml" || fail "resolved scenario lacks the seed"
"$CXSIM" validate "$T/run/scenario.resolved.yaml" >/dev/null || fail "resolved scenario does not validate"
echo ok
