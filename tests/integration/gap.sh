#!/usr/bin/env bash
# cxsim gap: the numbers of the gap report (printed and gap.csv) equal those
# recomputed here from the runs it cites (runs.csv: side, replicate, seed,
# directory): each run's KPIs from its kpis.csv, the paired differences and
# their Student t interval; replicate r has the same seed on both sides, the
# seed its resolved scenario ran with. From an assessment with a target
# level, and from two scenario files. Invalid input exits 2.
. "$(dirname "$0")/lib.sh"

A="$CX_SOURCE_DIR/scenarios/assess"
SMALL_SETS=(--set personas.bargain_hunter.customers=1500 --set personas.loyal_family.customers=1000)

check() { # DIR REPLICATES
    python3 - "$1" "$2" <<'PY'
import csv, math, re, sys
d, reps = sys.argv[1], int(sys.argv[2])
T975 = {2: 12.706204736174698, 3: 4.302652729749464, 4: 3.182446305284263}[reps]
KPIS = ["nps", "csat", "ces", "churn_rate", "total_revenue", "total_operating_profit", "customers_end"]
def run_kpis(path):
    rows = list(csv.DictReader(open(path)))
    assert rows, path
    mean = lambda c: sum(float(r[c]) for r in rows) / len(rows)
    total = lambda c: sum(float(r[c]) for r in rows)
    return {"nps": mean("nps"), "csat": mean("csat"), "ces": mean("ces"),
            "churn_rate": mean("churn_rate"), "total_revenue": total("revenue"),
            "total_operating_profit": total("operating_profit"),
            "customers_end": float(rows[-1]["customers_end"])}
cited = list(csv.DictReader(open(f"{d}/runs.csv")))
assert len(cited) == 2 * reps, len(cited)
vals = {"current": {}, "target": {}}
seeds = {"current": {}, "target": {}}
for c in cited:
    k = run_kpis(f"{d}/{c['dir']}/kpis.csv")
    for name in KPIS:
        assert math.isclose(k[name], float(c[name]), rel_tol=1e-12, abs_tol=1e-9), (c["dir"], name)
    resolved = open(f"{d}/{c['dir']}/scenario.resolved.yaml").read()
    assert re.search(r"^seed: %s$" % c["seed"], resolved, re.M), c["dir"]
    vals[c["side"]][int(c["replicate"])] = k
    seeds[c["side"]][int(c["replicate"])] = c["seed"]
assert seeds["current"] == seeds["target"], seeds
assert len(set(seeds["current"].values())) == reps
gap = {r["kpi"]: r for r in csv.DictReader(open(f"{d}/gap.csv"))}
printed = open(f"{d}/gap.txt").read()
for name in KPIS:
    c = [vals["current"][r][name] for r in range(reps)]
    t = [vals["target"][r][name] for r in range(reps)]
    diff = [b - a for a, b in zip(c, t)]
    m = sum(diff) / reps
    sd = math.sqrt(sum((x - m) ** 2 for x in diff) / (reps - 1))
    half = T975 * sd / math.sqrt(reps)
    g = gap[name]
    for got, want in [(g["today"], sum(c) / reps), (g["target"], sum(t) / reps),
                      (g["gap"], m), (g["lo"], m - half), (g["hi"], m + half)]:
        assert math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-7), (name, got, want)
    line = "%-24s %16.2f %16.2f %+16.2f  [%.2f, %.2f]" % (name, sum(c) / reps, sum(t) / reps, m, m - half, m + half)
    assert line in printed, (line, printed)
print("checked", d)
PY
}

# From the shipped assessment, every department to level 4 at least.
"$CXSIM" gap "$A/example-answers.yaml" --target-level 4 --replicates 3 --ticks 40 \
    "${SMALL_SETS[@]}" --out "$T/g1" >"$T/g1.out" || fail "gap from an assessment exited $?"
cmp "$T/g1.out" "$T/g1/gap.txt" || fail "printed report differs from gap.txt"
check "$T/g1" 3 || fail "gap report numbers differ from its runs"
grep -q "^logistics .* 1.30 .* 4.00 .* +2.70 .* +2.50 .* +2.67 .* +2.67" "$T/g1.out" \
    || fail "logistics' gap by axis: $(cat "$T/g1.out")"
grep -q "^  - {id: logistics, from: 1.3, to: 4}" "$T/g1/space.yaml" || fail "space.yaml"
"$CXSIM" validate "$T/g1/current.yaml" "$T/g1/target.yaml" >/dev/null || fail "scenarios invalid"

# Two files: the baseline today, IT at 4 and a CX team as target.
"$CXSIM" validate "$BASELINE" --resolved --set departments.it.maturity=4 \
    --set company.cx_owner=cx_team >"$T/target.yaml" 2>/dev/null
"$CXSIM" gap "$BASELINE" "$T/target.yaml" --replicates 2 --ticks 30 "${SMALL_SETS[@]}" \
    --out "$T/g2" >"$T/g2.out" || fail "gap from two files exited $?"
check "$T/g2" 2 || fail "gap report numbers differ from its runs (two files)"
grep -q "^CX owner:   none -> cx_team$" "$T/g2.out" || fail "owner change not reported"
grep -q "^cx_owner: {from: none, to: cx_team, cost: 100000}$" "$T/g2/space.yaml" || fail "owner move missing"
grep -q "^  - {id: it, from: 2, to: 4}$" "$T/g2/space.yaml" || fail "it move missing"

# Resumable: the same command again runs nothing and prints the same report;
# interrupted (SIGINT once a run has finished), it exits 1, and the same
# command again finishes the rest with the uninterrupted gap's numbers.
"$CXSIM" gap "$BASELINE" "$T/target.yaml" --replicates 2 --ticks 30 "${SMALL_SETS[@]}" \
    --out "$T/g2" >"$T/g2b.out" 2>"$T/g2b.err" || fail "gap again exited $?"
grep -q "4 runs: 0 to do, 4 already done" "$T/g2b.err" || fail "no resume: $(cat "$T/g2b.err")"
cmp "$T/g2.out" "$T/g2b.out" || fail "the resumed report differs"
"$CXSIM" gap "$BASELINE" "$T/target.yaml" --replicates 2 --ticks 30 "${SMALL_SETS[@]}" \
    --jobs 1 --out "$T/g3" >/dev/null 2>"$T/g3.err" &
gpid=$!
for _ in $(seq 1 600); do
    [ "$( (find "$T/g3/runs" -name run.json 2>/dev/null || true) | wc -l)" -ge 1 ] && break
    sleep 0.1
done
kill -INT "$gpid"
set +e
wait "$gpid"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q interrupted "$T/g3.err" || fail "an interrupted gap exited $rc: $(cat "$T/g3.err")"
"$CXSIM" gap "$BASELINE" "$T/target.yaml" --replicates 2 --ticks 30 "${SMALL_SETS[@]}" \
    --out "$T/g3" >/dev/null 2>"$T/g3.err" || fail "the resumed gap exited $?"
grep -Eq "4 runs: [0-3] to do, [1-4] already done" "$T/g3.err" || fail "no resume: $(cat "$T/g3.err")"
cmp "$T/g2/gap.csv" "$T/g3/gap.csv" || fail "the resumed gap's numbers differ"

# The gap as the optimiser's search space: IT may go to 4 (a step to 3 or
# straight to 4, two levels' cost) and the owner to cx_team; no other move.
"$CXSIM" optimise "$T/g2/current.yaml" --space "$T/g2/space.yaml" --budget 600000 --steps 2 \
    --replicates 2 --objective nps --out "$T/o2" >"$T/o2.out" 2>&1 || fail "optimise --space: $(cat "$T/o2.out")"
python3 - "$T/o2/optimise.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
moves = {r["moves"] for r in rows}
first = {m for m in moves if ";" not in m}
assert first == {"none", "it@10:2>3", "it@10:2>4", "cx_owner@10:none>cx_team"}, first
for r in rows:
    if r["moves"] == "it@10:2>4":
        assert float(r["cost"]) == 500000, r
    for m in r["moves"].split("; "):
        assert m == "none" or m.startswith("it@") or m.startswith("cx_owner@"), m
PY
printf 'departments:\n  - {id: itt, from: 2, to: 4}\n' >"$T/badspace.yaml"
set +e
"$CXSIM" optimise "$T/g2/current.yaml" --space "$T/badspace.yaml" --budget 600000 --out "$T/o3" \
    >/dev/null 2>"$T/o3.err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "did you mean 'it'" "$T/o3.err" || fail "bad space exited $rc: $(cat "$T/o3.err")"

# Invalid input: exit 2.
for args in "$BASELINE" "$BASELINE $BASELINE --replicates 1" "$BASELINE --target-level 4" \
    "$A/example-answers.yaml --target-level 6" "$BASELINE $BASELINE --bogus" \
    "$BASELINE $CX_SOURCE_DIR/scenarios/saas-b2b.yaml"; do
    set +e
    # shellcheck disable=SC2086
    "$CXSIM" gap $args --out "$T/bad" >/dev/null 2>"$T/bad.err"
    rc=$?
    set -e
    [ "$rc" = 2 ] || fail "gap $args exited $rc: $(cat "$T/bad.err")"
done
echo "gap: ok"
