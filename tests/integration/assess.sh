#!/usr/bin/env bash
# cxsim assess: the shipped example scores, flags product's conflicting
# strategy answers, and writes a scenario that validates, carries the
# assessed maturities, owner and governance, and runs; answers typed on a
# terminal give the same scenario as the same answers in the file; invalid
# input exits 2 with FILE:LINE:COLUMN.
. "$(dirname "$0")/lib.sh"

A="$CX_SOURCE_DIR/scenarios/assess"
"$CXSIM" assess "$A/example-answers.yaml" --out "$T/assessed.yaml" >"$T/out.txt" \
    || fail "assess exited $?"
grep -q "^product .*4 (3.50)!" "$T/out.txt" || fail "product's strategy not flagged: $(cat "$T/out.txt")"
grep -q "^conflict: product, strategy: the statements of level 2 and level 5" "$T/out.txt" \
    || fail "no conflict line"
grep -q "^axes disagree: product" "$T/out.txt" || fail "no disagreement line"
"$CXSIM" validate "$T/assessed.yaml" >/dev/null || fail "the assessed scenario does not validate"
python3 - "$T/assessed.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# The header's axis scores; maturity = the tactics score to 0.1.
want = {}
for m in re.finditer(r"^#\s+(\w+)\s+strategy ([\d.]+)\s+control ([\d.]+)\s+tactics ([\d.]+)\s+-> ([\d.]+)$", text, re.M):
    assert abs(round(float(m[4]) + 1e-9, 1) - float(m[5])) < 0.051, m.group(0)
    want[m[1]] = float(m[5])
assert len(want) == 6, want
got = {}
for m in re.finditer(r"id: (\w+)\n\s+kind: \w+\n\s+maturity: ([\d.]+)", text):
    got[m[1]] = float(m[2])
assert got == want, (got, want)
assert re.search(r"cx_owner: marketing", text) and re.search(r"governance: centralised", text)
# Control sets the speed of change, strategy the budget, from the baseline's 2
# (0.6..1.5 and 1500000): V(c) / V(2) and s / 2 with the means of the header.
m = re.search(r"^#\s+means: strategy ([\d.]+)\s+control ([\d.]+)", text, re.M)
s, c = float(m[1]), float(m[2])
V = lambda x: 0.6 + 0.9 * (x - 1) / 4
lo = float(re.search(r"^  change_speed_low: ([\d.]+)$", text, re.M)[1])
hi = float(re.search(r"^  change_speed_high: ([\d.]+)$", text, re.M)[1])
budget = float(re.search(r"^  budget: ([\d.]+)$", text, re.M)[1])
assert abs(lo - 0.6 * V(c) / V(2)) < 0.004 and abs(hi - 1.5 * V(c) / V(2)) < 0.004, (lo, hi, c)  # c to 0.01
assert abs(budget / 1500000 - s / 2) < 0.003, (budget, s)
PY
"$CXSIM" run "$T/assessed.yaml" --ticks 20 --in-process --quiet --out "$T/run" \
    --set personas.bargain_hunter.customers=3000 --set personas.loyal_family.customers=2000 \
    || fail "the assessed scenario does not run"
grep -q '"status": "completed"' "$T/run/summary.json" || fail "run not completed"

# The same answers typed: the shipped questionnaire (no answers), asked for
# each department of the baseline in order, then the owner and governance.
printf '%s\n' \
    "1 3 3 1 0" "0 2 4 1 0" "1 3 2 0 0" \
    "0 4 2 0 0" "0 4 1 0 0" "1 4 1 0 0" \
    "3 3 0 0 0" "4 2 0 0 0" "4 2 0 0 0" \
    "0 2 4 1 0" "0 1 4 0 0" "0 4 1 0 0" \
    "0 3 0 0 3" "0 3 2 0 0" "0 2 4 2 0" \
    "nine" "0 4 1 0 0" "0 4 0 0 0" "0 3 3 1 0" \
    marketing centralised \
    | "$CXSIM" assess "$A/questionnaire.yaml" --interactive --out "$T/typed.yaml" \
        >"$T/typed.txt" 2>"$T/typed.err" || fail "interactive assess: $(cat "$T/typed.err")"
grep -q "expected five numbers" "$T/typed.err" || fail "an invalid answer was not refused"
diff <(grep -v '^# baseline-assessed\|^description' "$T/assessed.yaml") \
     <(grep -v '^# baseline-assessed\|^description' "$T/typed.yaml") \
    || fail "typed answers gave another scenario"
# End of input before every question is answered: exit 2.
set +e
printf '1 1 1 1 1\n' | "$CXSIM" assess "$A/questionnaire.yaml" --interactive >/dev/null 2>"$T/eof.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "end of input exited $rc"

# Invalid answers: every problem at once, exit 2.
cat >"$T/bad.yaml" <<YAML
questionnaire: $A/questionnaire.yaml
scenario: $CX_SOURCE_DIR/scenarios/baseline.yaml
company: {governance: hybird}
departments:
  it: {strategy: [0, 9, 0, 0, 0], control: [0, 4, 0, 0, 0], tactics: [0, 4, 0, 0, 0]}
YAML
set +e
"$CXSIM" assess "$T/bad.yaml" 2>"$T/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "bad answers exited $rc"
grep -q "bad.yaml:3:23: error: company.governance: .*did you mean 'hybrid'" "$T/bad.err" \
    || fail "governance: $(cat "$T/bad.err")"
grep -q "bad.yaml:5:22: error: departments.it.strategy\[1\]" "$T/bad.err" || fail "agreement 9"
set +e
"$CXSIM" assess >/dev/null 2>&1; rc1=$?
"$CXSIM" assess "$A/example-answers.yaml" --bogus >/dev/null 2>&1; rc2=$?
set -e
[ "$rc1" = 2 ] && [ "$rc2" = 2 ] || fail "bad command lines exited $rc1, $rc2"
echo "assess: ok"
