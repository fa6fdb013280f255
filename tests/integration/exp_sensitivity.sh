#!/usr/bin/env bash
# cxsim sensitivity: 3 parameters x 3 replicates with --jobs 2; every
# derivative and elasticity (mean and 95% CI) recomputed with Python from
# the database's kpis table equals sensitivity.csv and the sensitivity
# table; ranks follow |elasticity| of the first KPI; common random
# numbers; a parameter the KPIs do not depend on (cpi_high: cost per
# interaction) has a derivative of exactly 0; a re-run does no new run; a
# parameter at the edge of its range gives a one-sided difference from the
# base point; invalid input exits 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

D="$T/sens"
sens() { # DIR ARGS...
    local d=$1
    shift
    "$CXSIM" sensitivity "$BASELINE" "${EXP_SMALL[@]}" --ticks 30 --replicates 3 --jobs 2 \
        --out "$d" "$@"
}

sens "$D" --params ltr_slope,quality_low,cpi_high >"$T/out1" 2>"$T/err1" \
    || { cat "$T/out1" "$T/err1"; fail "sensitivity exited $?"; }
grep -q "7 points x 3 replicates = 21 runs: 21 to do" "$T/out1" || fail "plan line: $(head -1 "$T/out1")"
grep -q "^elasticity of nps" "$T/out1" || fail "no tornado for nps"
[ "$(grep -c '^   [123]  .*|' "$T/out1")" = 9 ] || fail "tornado rows: $(cat "$T/out1")"

for k in nps churn_rate total_revenue; do
    n=$(awk -F, -v k="$k" 'NR > 1 && $2 == k' "$D/sensitivity.csv" | wc -l)
    expect_eq "csv rows of $k" "$n" 3
done

python3 - "$D" <<'PY'
import csv, math, re, sqlite3, statistics, sys
T975 = [None, 12.706204736, 4.302652730, 3.182446305]
d = sys.argv[1]
con = sqlite3.connect(f"{d}/sensitivity.db")
assert con.execute("SELECT value FROM meta WHERE key = 'kind'").fetchone()[0] == "sensitivity"
# Common random numbers: replicate r has one seed at every point.
for rep, n in con.execute("SELECT replicate, COUNT(DISTINCT seed) FROM runs GROUP BY replicate"):
    assert n == 1, (rep, n)
assert con.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 21
base = con.execute("SELECT point FROM points WHERE label = 'base'").fetchone()[0]
yaml = con.execute("SELECT s.yaml FROM runs r JOIN scenarios s ON s.sha256 = r.scenario_sha256 "
                   "WHERE r.point = ? LIMIT 1", (base,)).fetchone()[0]
model = yaml[yaml.index("\nmodel:"):]

def finals(point, kpi):
    if kpi.startswith("total_"):
        sql = (f"SELECT r.replicate, SUM(k.{kpi[6:]}) FROM runs r JOIN kpis k ON k.run_id = r.run_id "
               "WHERE r.point = ? AND r.status = 'completed' GROUP BY r.run_id")
    else:
        sql = (f"SELECT r.replicate, k.{kpi} FROM runs r JOIN kpis k ON k.run_id = r.run_id "
               "WHERE r.point = ? AND r.status = 'completed' "
               "AND k.tick = (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id)")
    return dict(con.execute(sql, (point,)))

def close(what, got, want):
    assert abs(got - want) <= 1e-8 * max(1.0, abs(want)), (what, got, want)

rows = list(csv.DictReader(open(f"{d}/sensitivity.csv")))
table = {(r[0], r[1]): r for r in con.execute(
    "SELECT parameter, kpi, rank, elasticity_mean, elasticity_ci_low, elasticity_ci_high, "
    "derivative_mean FROM sensitivity")}
assert len(table) == 9 == len(rows), (len(table), len(rows))
first = {}
for row in rows:
    p, kpi = row["parameter"], row["kpi"]
    pv = float(re.search(rf"\n  {p}: (\S+)", model).group(1))   # base value, from the resolved scenario
    close("base_value", float(row["base_value"]), pv)
    pts = {}
    for label, point, num in con.execute(
            "SELECT pt.label, pt.point, pa.num FROM points pt JOIN params pa ON pa.point = pt.point "
            "WHERE pa.key = ?", (f"model.{p}",)):
        pts[label] = (point, num)
    (lo_pt, lo), (hi_pt, hi) = pts["low"], pts["high"]
    close("low", float(row["low"]), lo)
    close("high", float(row["high"]), hi)
    close("relative step", lo, pv * 0.9)
    close("relative step", hi, pv * 1.1)
    kl, kb, kh = finals(lo_pt, kpi), finals(base, kpi), finals(hi_pt, kpi)
    reps = sorted(kb)
    assert len(reps) == 3 and int(row["n"]) == 3
    der = [(kh[r] - kl[r]) / (hi - lo) for r in reps]
    ela = [der[i] * pv / kb[r] for i, r in enumerate(reps) if kb[r] != 0]
    for name, xs in (("derivative", der), ("elasticity", ela)):
        m = statistics.mean(xs)
        half = T975[len(xs) - 1] * statistics.stdev(xs) / math.sqrt(len(xs))
        close(f"{p} {kpi} {name}_mean", float(row[f"{name}_mean"]), m)
        close(f"{p} {kpi} {name}_ci_low", float(row[f"{name}_ci_low"]), m - half)
        close(f"{p} {kpi} {name}_ci_high", float(row[f"{name}_ci_high"]), m + half)
        if name == "elasticity":
            sig = int(m - half > 0 or m + half < 0)
            assert int(row["significant"]) == sig, (p, kpi, row["significant"], sig)
    t = table[(p, kpi)]
    assert int(row["rank"]) == t[2]
    close("db elasticity", t[3], float(row["elasticity_mean"]))
    close("db ci", t[4], float(row["elasticity_ci_low"]))
    close("db ci", t[5], float(row["elasticity_ci_high"]))
    if kpi == "nps":
        first[p] = abs(statistics.mean(ela))
    # Cost per interaction feeds no KPI here: exactly no effect, not a noisy one.
    if p == "cpi_high":
        assert float(row["derivative_mean"]) == 0.0 and float(row["derivative_ci_low"]) == 0.0, row
        assert int(row["significant"]) == 0
# Ranks: by |mean elasticity| of the first KPI (nps), the same in every KPI's rows.
order = sorted(first, key=lambda p: -first[p])
for row in rows:
    assert int(row["rank"]) == order.index(row["parameter"]) + 1, (row["parameter"], row["rank"], order)
PY

# A re-run does no new run.
before=$(q "$D/sensitivity.db" "SELECT COUNT(*), MAX(finished) FROM runs")
sens "$D" --params ltr_slope,quality_low,cpi_high >"$T/out2" 2>&1 || fail "re-run exited $?"
grep -q "21 runs: 0 to do, 21 already done" "$T/out2" || fail "re-run: $(head -1 "$T/out2")"
expect_eq "runs after a re-run" "$(q "$D/sensitivity.db" "SELECT COUNT(*), MAX(finished) FROM runs")" "$before"
cmp -s <(sed 1,2d "$T/out1") <(sed 1,2d "$T/out2") || fail "re-run printed other numbers"

# At the top of its range survey_rate = 1 has no p+: a backward difference
# against the base point's runs (2 points x 2 replicates).
E="$T/edge"
"$CXSIM" sensitivity "$BASELINE" "${EXP_SMALL[@]}" --set model.survey_rate=1 --ticks 10 \
    --replicates 2 --jobs 2 --out "$E" --params survey_rate --kpi nps >"$T/out3" 2>&1 \
    || { cat "$T/out3"; fail "edge run exited $?"; }
grep -q "2 points x 2 replicates = 4 runs" "$T/out3" || fail "edge plan: $(head -1 "$T/out3")"
expect_eq "edge row" "$(awk -F, 'NR == 2 { print $5, $6, $7, $8 }' "$E/sensitivity.csv")" "1 0.9 1 relative"

# Invalid input: exit 2, nothing run.
bad() { # WANT_TEXT ARGS...
    local want=$1 rc=0
    shift
    "$CXSIM" sensitivity "$BASELINE" --out "$T/bad" "$@" >"$T/bad.out" 2>&1 || rc=$?
    expect_eq "exit status of $*" "$rc" 2
    grep -q "$want" "$T/bad.out" || fail "$*: no '$want' in: $(cat "$T/bad.out")"
}
bad "did you mean 'ltr_slope'" --params ltr_slpe
bad "did you mean 'churn_rate'" --kpi churn_rat
bad "0 < D <= 0.5" --delta 0.6
bad "0 < D <= 0.5" --delta 0
bad "not both" --all --params ltr_slope
[ ! -e "$T/bad/runs" ] || fail "invalid input ran something"
echo "ok"
