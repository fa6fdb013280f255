#!/usr/bin/env bash
# cxsim compare: paired runs with common random numbers (the same seed on
# both sides for each replicate), KPI deltas with 95% CIs from the paired
# differences, and the payback tick, all checked against an independent
# computation from compare.db; a case without payback says so; a re-run
# does no new work; invalid input exits 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

# The scenario raises IT from 2 to 4 over ticks 2..11 at a one-off cost.
project() { # COST
    echo "timeline=[{at: 2, event: maturity, department: it, to: 4, over: 10, cost: $1}]"
}

compare() { # DIR COST
    "$CXSIM" compare "$BASELINE" --set personas.bargain_hunter.customers=1500 \
        --set personas.loyal_family.customers=1000 --set-scenario "$(project "$2")" \
        --ticks 40 --replicates 5 --jobs 2 --out "$1"
}

# check DIR: the printed deltas, compare.csv and the payback tick against
# Python's own computation from the database. Prints the payback tick.
check() {
    python3 - "$1" <<'PY'
import csv, math, sqlite3, statistics, sys
T975 = [None, 12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836]
M = (1 << 64) - 1
def splitmix64(x):
    z = (x + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
d = sys.argv[1]
con = sqlite3.connect(f"{d}/compare.db")
pts = dict(con.execute("SELECT label, point FROM points"))
b, s = pts["baseline"], pts["scenario"]
# Common random numbers: replicate r has the same seed on both sides, from
# the baseline's seed by the documented formula (no point in the hash).
base = int(con.execute("SELECT value FROM meta WHERE key = 'base_seed'").fetchone()[0])
assert base == 42
seeds = {}
for point, rep, seed in con.execute("SELECT point, replicate, seed FROM runs WHERE status = 'completed'"):
    assert seed == splitmix64(splitmix64(base) ^ rep) & ((1 << 53) - 1), (point, rep, seed)
    seeds.setdefault(rep, set()).add(seed)
assert len(seeds) == 5 and all(len(v) == 1 for v in seeds.values()), seeds

def final(point, col):
    return dict(con.execute(
        f"SELECT r.replicate, k.{col} FROM runs r JOIN kpis k ON k.run_id = r.run_id "
        "WHERE r.point = ? AND k.tick = (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id)", (point,)))
def total(point, col):
    return dict(con.execute(
        f"SELECT r.replicate, SUM(k.{col}) FROM runs r JOIN kpis k ON k.run_id = r.run_id "
        "WHERE r.point = ? GROUP BY r.run_id", (point,)))
# The window of the final KPIs: 30 days by default, one tick = one day.
W = 30
assert con.execute("SELECT value FROM meta WHERE key = 'window_ticks'").fetchone()[0] == str(W)
def window(point, col):
    out = {}
    for r, run in con.execute("SELECT replicate, run_id FROM runs WHERE point = ? AND status = 'completed'", (point,)):
        vals = [v for (v,) in con.execute(f"SELECT {col} FROM kpis WHERE run_id = ? ORDER BY tick", (run,))]
        out[r] = statistics.mean(vals[-W:])
    return out
rows = {r["kpi"]: r for r in csv.DictReader(open(f"{d}/compare.csv"))}
for kpi in ["nps", "csat", "ces", "churn_rate", "customers", "revenue", "clv",
            "employee_engagement", "total_revenue", "total_cost", "total_investment",
            "window_nps", "window_churn_rate", "window_revenue", "window_csat"]:
    f = total if kpi.startswith("total_") else window if kpi.startswith("window_") else final
    col = kpi[6:] if kpi.startswith("total_") else kpi[7:] if kpi.startswith("window_") else kpi
    vb, vs = f(b, col), f(s, col)
    diffs = [vs[r] - vb[r] for r in sorted(vb)]
    m = statistics.mean(diffs)
    half = T975[len(diffs) - 1] * statistics.stdev(diffs) / math.sqrt(len(diffs))
    row = rows[kpi]
    assert int(row["n"]) == 5
    for name, want in (("delta_mean", m), ("delta_ci_low", m - half), ("delta_ci_high", m + half),
                       ("baseline_mean", statistics.mean(vb.values())),
                       ("scenario_mean", statistics.mean(vs.values()))):
        got = float(row[name])
        assert abs(got - want) <= 1e-8 * max(1, abs(want)) + 1e-9 * max(1, abs(m)), (kpi, name, got, want)

# Payback: the first tick from which the mean cumulative net (extra revenue
# - extra cost - extra investment) stays >= 0 to the end.
# The return of a sale is its gross profit: by default the baseline's gross
# margin, read here from the scenario file itself; marketing spend (campaigns)
# counts as spending.
import os, re
margin = float(re.search(r"^  gross_margin: (\S+)", open(os.environ["CX_SOURCE_DIR"] +
                         "/scenarios/baseline.yaml").read(), re.M).group(1))
def series(point, rep):
    return con.execute("SELECT k.tick, k.revenue, k.cost, k.investment + k.marketing_cost "
                       "FROM runs r JOIN kpis k ON k.run_id = r.run_id "
                       "WHERE r.point = ? AND r.replicate = ? ORDER BY k.tick",
                       (point, rep)).fetchall()
reps = sorted(seeds)
ticks = [t for t, *_ in series(b, reps[0])]
net = [0.0] * len(ticks)
for rep in reps:
    acc = 0.0
    for i, (x, y) in enumerate(zip(series(b, rep), series(s, rep))):
        acc += margin * (y[1] - x[1]) - ((y[2] + y[3]) - (x[2] + x[3]))
        net[i] += acc / len(reps)
pay = None
if net[-1] >= 0:
    i = len(net) - 1
    while i > 0 and net[i - 1] >= 0:
        i -= 1
    pay = ticks[i]
recorded = con.execute("SELECT value FROM meta WHERE key = 'payback_tick'").fetchone()[0]
assert recorded == ("none" if pay is None else str(pay)), (recorded, pay)
for line in csv.DictReader(open(f"{d}/payback.csv")):
    i = ticks.index(int(line["tick"]))
    assert abs(float(line["net_mean"]) - net[i]) <= 1e-6 * max(1, abs(net[i])), (line, net[i])
print("none" if pay is None else pay)
PY
}

D=$T/cmp
compare "$D" 2000 >"$T/out1" 2>&1 || { cat "$T/out1"; fail "compare failed"; }
grep -q "10 runs: 10 to do" "$T/out1" || { cat "$T/out1"; fail "plan line"; }
expect_eq "completed runs" "$(q "$D/compare.db" "SELECT COUNT(*) FROM runs WHERE status = 'completed'")" 10
pay=$(check "$D") || fail "compare results do not match the independent computation"
[ "$pay" != none ] || { cat "$T/out1"; fail "the cheap project should pay back within 40 ticks"; }
# Daily ticks: the payback's month is the end of that tick, in months of 30.4375 days.
month=$(python3 -c "print(f'{($pay + 1) / 30.4375:.1f}')")
grep -q "^payback: tick $pay, month $month " "$T/out1" || { cat "$T/out1"; fail "printed payback differs from tick $pay (month $month)"; }
# Printed deltas: the window_nps row (the window mean in place of the last
# tick's) with a bracketed interval, under a heading that states the window.
grep -q "final KPIs as the mean over the last 30 days (30 ticks) of each run" "$T/out1" || fail "the window is not stated"
grep -Eq '^  nps ' "$T/out1" && fail "the last tick's nps is printed beside its window mean"
grep -Eq '^  window_nps +-?[0-9.]+ +-?[0-9.]+ +[-+][0-9.]+  \[[-+][0-9.]+, [-+][0-9.]+\]' "$T/out1" \
    || { cat "$T/out1"; fail "no nps delta row"; }
# The ramp, planned against effective: the scenario asks IT 2 -> 4 over 10
# ticks from tick 2 at a cost of 2000; the effective length is what its runs
# record (summary.json, checked against the maturity column of departments.csv
# here: the first tick IT reaches 4, less the start); the investment booked
# is the kpis' investment column summed. Printed and recorded for the report;
# the baseline has no ramp.
python3 - "$D" "$T/out1" <<'PY' || fail "the printed ramp does not match the runs"
import csv, json, sqlite3, sys
d, out = sys.argv[1], open(sys.argv[2]).read()
con = sqlite3.connect(f"{d}/compare.db")
(point,) = con.execute("SELECT point FROM points WHERE label = 'scenario'").fetchone()
runs = con.execute("SELECT replicate, run_dir, run_id FROM runs WHERE point = ? AND status = 'completed' ORDER BY replicate", (point,)).fetchall()
effs = set()
for rep, rd, rid in runs:
    tr = json.load(open(f"{d}/{rd}/summary.json"))["transitions"]
    assert len(tr) == 1 and tr[0]["department"] == "it" and tr[0]["planned_ticks"] == 10, tr
    it = [float(r["maturity"]) for r in csv.DictReader(open(f"{d}/{rd}/departments.csv")) if r["department"] == "it"]
    reach = next(t for t, m in enumerate(it) if m >= 4 - 1e-9)
    assert reach - 2 in (tr[0]["effective_ticks"], tr[0]["effective_ticks"] - 1), (reach, tr)
    (booked,) = con.execute("SELECT SUM(investment) FROM kpis WHERE run_id = ?", (rid,)).fetchone()
    assert abs(booked - tr[0]["cost_booked"]) < 1e-6, (booked, tr)
    effs.add((tr[0]["effective_ticks"], round(booked)))
eff, booked = sorted(effs)[0]
line = [l for l in out.splitlines() if l.startswith("  it 2 -> 4 from tick 2: planned 10 ticks")]
assert line, out
want = f"effective {eff} ticks ({eff} days)"
assert want in line[0] and f"investment 2000, {booked} booked within the run" in line[0], (line, want, booked)
assert ("stretched by the speed of change" in line[0]) == (eff > 10), line
assert "ramps of the scenario" in out and "ramps of the baseline" not in out, out
meta = dict(con.execute("SELECT key, value FROM meta WHERE key LIKE 'transitions_%'"))
assert meta["transitions_baseline"] == "" and line[0] in meta["transitions_scenario"], meta
print("ramp:", line[0].strip())
PY
"$CXSIM" report "$D" --out "$T/ramp.html" >/dev/null 2>&1 || fail "compare report failed"
grep -q "Ramps of the scenario" "$T/ramp.html" && grep -q "it 2 -&gt; 4 from tick 2: planned 10 ticks" "$T/ramp.html" ||
    fail "the compare report does not state the ramp"
# The investment is booked on the scenario side only.
expect_eq "baseline investment" "$(q "$D/compare.db" "SELECT SUM(k.investment) FROM kpis k JOIN runs r ON r.run_id = k.run_id JOIN points p ON p.point = r.point WHERE p.label = 'baseline'")" 0
echo "cheap project: payback at tick $pay"

# Re-run: nothing new.
compare "$D" 2000 >"$T/out2" 2>&1 || fail "compare re-run failed"
grep -q "10 runs: 0 to do, 10 already done" "$T/out2" || { cat "$T/out2"; fail "re-run planned work"; }
diff <(sed -n '/paired replicates (/,$p' "$T/out1") <(sed -n '/paired replicates (/,$p' "$T/out2") \
    || fail "the re-run printed other results"

# Ten times dearer: no payback within 40 ticks, and it says so.
E=$T/dear
compare "$E" 200000 >"$T/out3" 2>&1 || { cat "$T/out3"; fail "compare (dear) failed"; }
pay=$(check "$E") || fail "compare (dear) does not match the independent computation"
expect_eq "payback of the dear project" "$pay" none
grep -q "^payback: no payback within the horizon" "$T/out3" || { cat "$T/out3"; fail "no 'no payback' line"; }

# Invalid input: exit 2, nothing run.
rc=0
"$CXSIM" compare "$BASELINE" --set-scenario departments.it.maturity=9 --out "$T/bad" >/dev/null 2>"$T/bad.err" || rc=$?
expect_eq "exit status for an invalid override" "$rc" 2
[ ! -d "$T/bad/runs" ] || fail "runs were started for invalid input"
rc=0
"$CXSIM" compare "$BASELINE" --replicates 1 >/dev/null 2>&1 || rc=$?
expect_eq "exit status for --replicates 1" "$rc" 2
echo ok
