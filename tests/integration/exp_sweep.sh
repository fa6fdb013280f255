#!/usr/bin/env bash
# cxsim sweep, local backend: a 3-point x 5-replicate sweep of the shipped
# baseline records every run and every tick; the summary's means and 95%
# CIs match an independent computation from the database; seeds follow the
# documented formula; provenance is replayable; a re-run does no new work;
# the multi-process engine gives the same results; --target-ci meets its
# target or its cap; bad input exits 2 before anything runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

D=$T/sweep
ARGS=(sweep "$BASELINE" --set departments.it.maturity=1..3 "${EXP_SMALL[@]}" --ticks 15
      --replicates 5 --jobs 2 --out "$D")

# ---- the sweep ------------------------------------------------------------
"$CXSIM" "${ARGS[@]}" >"$T/out1" 2>"$T/err1" || { cat "$T/out1" "$T/err1" >&2; fail "sweep failed"; }
grep -q "15 runs: 15 to do, 0 already done" "$T/out1" || { cat "$T/out1"; fail "plan line"; }
grep -q "mean ± 95% CI" "$T/out1" || fail "no summary table printed"
DB=$D/sweep.db
[ -f "$DB" ] && [ -f "$D/summary.csv" ] || fail "sweep.db or summary.csv missing"

expect_eq "points" "$(q "$DB" "SELECT COUNT(*) FROM points")" 3
expect_eq "completed runs" "$(q "$DB" "SELECT COUNT(*) FROM runs WHERE status='completed'")" 15
expect_eq "other runs" "$(q "$DB" "SELECT COUNT(*) FROM runs WHERE status<>'completed'")" 0
expect_eq "(point, replicate) pairs" \
    "$(q "$DB" "SELECT COUNT(DISTINCT point || '/' || replicate) FROM runs")" 15
expect_eq "replicates per point" \
    "$(q "$DB" "SELECT group_concat(n) FROM (SELECT COUNT(*) n FROM runs GROUP BY point)")" "5,5,5"
expect_eq "kpis rows (15 runs x 15 ticks)" "$(q "$DB" "SELECT COUNT(*) FROM kpis")" 225
expect_eq "ticks of every run" \
    "$(q "$DB" "SELECT DISTINCT COUNT(*) || ':' || MIN(tick) || ':' || MAX(tick) FROM kpis GROUP BY run_id")" "15:0:14"
# The baseline's departments, counted in the scenario file, not in cxsim's output.
ndept=$(grep -c '^  - {id:' "$BASELINE")
[ "$ndept" -eq 6 ] || fail "the baseline should have 6 departments, found $ndept"
expect_eq "departments rows" "$(q "$DB" "SELECT COUNT(*) FROM departments")" $((225 * ndept))
expect_eq "distinct seeds" "$(q "$DB" "SELECT COUNT(DISTINCT seed) FROM runs")" 15
expect_eq "params of point 2" "$(q "$DB" "SELECT json_extract(params, '\$.\"departments.it.maturity\"') FROM points WHERE point = 2")" 2

# kpis rows are exactly the runs' kpis.csv (every column, every tick).
python3 - "$DB" "$D" <<'PY' || fail "kpis table differs from the runs' kpis.csv"
import csv, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for run_id, run_dir in con.execute("SELECT run_id, run_dir FROM runs"):
    with open(f"{sys.argv[2]}/{run_dir}/kpis.csv") as f:
        rows = list(csv.DictReader(f))
    cols = list(rows[0].keys())
    got = con.execute(f"SELECT {', '.join(cols)} FROM kpis WHERE run_id = ? ORDER BY tick",
                      (run_id,)).fetchall()
    assert len(got) == len(rows), (run_dir, len(got), len(rows))
    for g, r in zip(got, rows):
        for c, v in zip(cols, g):
            want = float(r[c]) if r[c] != "" else None
            assert (v is None and want is None) or abs(float(v) - want) <= 1e-9 * max(1, abs(want)), (run_dir, c, v, r[c])
PY

# ---- the summary against an independent computation -----------------------
python3 - "$DB" "$D/summary.csv" <<'PY' || fail "summary.csv does not match the independent CI computation"
import csv, math, sqlite3, statistics, sys
# Student t 0.975 quantiles, df 1..30 (published tables).
T975 = [None, 12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
        2.364624252, 2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830,
        2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040,
        2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562,
        2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456]
con = sqlite3.connect(sys.argv[1])
summary = {row["point"]: row for row in csv.DictReader(open(sys.argv[2]))}
assert len(summary) == 3, summary.keys()
checked = 0
for kpi in ["nps", "csat", "ces", "churn_rate", "customers", "revenue", "clv",
            "employee_engagement", "total_revenue"]:
    for point in (1, 2, 3):
        if kpi.startswith("total_"):
            col = kpi[6:]
            sql = (f"SELECT SUM(k.{col}) FROM kpis k JOIN runs r ON r.run_id = k.run_id "
                   "WHERE r.point = ? GROUP BY r.run_id")
        else:
            sql = (f"SELECT k.{kpi} FROM kpis k JOIN runs r ON r.run_id = k.run_id WHERE r.point = ? "
                   "AND k.tick = (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id)")
        xs = [float(v) for (v,) in con.execute(sql, (point,))]
        assert len(xs) == 5, (kpi, point, xs)
        m = statistics.mean(xs)
        half = T975[len(xs) - 1] * statistics.stdev(xs) / math.sqrt(len(xs))
        row = summary[str(point)]
        assert row["n"] == "5"
        for name, want in (("mean", m), ("ci_low", m - half), ("ci_high", m + half)):
            got = float(row[f"{kpi}_{name}"])
            tol = 1e-8 * max(1.0, abs(want)) + 1e-9 * max(1.0, abs(m))
            assert abs(got - want) <= tol, (kpi, point, name, got, want)
        # The database's summary table says the same.
        dm, dl, dh, dn = con.execute("SELECT mean, ci_low, ci_high, n FROM summary WHERE point = ? AND kpi = ?",
                                     (point, kpi)).fetchone()
        assert dn == 5 and abs(dm - m) <= 1e-9 * max(1, abs(m)) and abs(dh - (m + half)) <= 1e-7 * max(1, abs(m)), (kpi, point)
        checked += 1
print(f"{checked} means and CIs match")
PY

# ---- seeds follow the documented formula -----------------------------------
python3 - "$DB" <<'PY' || fail "seeds do not follow the documented formula"
import sqlite3, sys
M = (1 << 64) - 1
def splitmix64(x):
    z = (x + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & M
    return h
con = sqlite3.connect(sys.argv[1])
base = int(con.execute("SELECT value FROM meta WHERE key = 'base_seed'").fetchone()[0])
assert base == 42, base  # scenarios/baseline.yaml
for key, rep, seed in con.execute("SELECT p.key, r.replicate, r.seed FROM runs r JOIN points p ON p.point = r.point"):
    h = splitmix64(base)
    h = splitmix64(h ^ fnv1a64(key))
    h = splitmix64(h ^ rep)
    assert seed == h & ((1 << 53) - 1), (key, rep, seed)
PY

# ---- provenance: hash, version, and the recorded command replays the run ----
version=$("$CXSIM" --version | awk '{print $2}')
expect_eq "cxsim_version" "$(q "$DB" "SELECT DISTINCT cxsim_version FROM runs")" "$version"
while IFS='|' read -r dir sha; do
    expect_eq "sha256 of $dir" "$(sha256sum "$D/$dir/scenario.resolved.yaml" | cut -d' ' -f1)" "$sha"
done < <(q "$DB" "SELECT run_dir, scenario_sha256 FROM runs")
mapfile -t cmd < <(q "$DB" "SELECT j.value FROM runs r, json_each(r.command) j WHERE r.point = 3 AND r.replicate = 4 ORDER BY j.key")
# Replace the recorded --out by a fresh directory.
for i in "${!cmd[@]}"; do
    [ "${cmd[$i]}" = "--out" ] && cmd[$((i + 1))]=$T/replay
done
"${cmd[@]}" || fail "the recorded command did not run"
cmp -s "$T/replay/kpis.csv" "$D/runs/p000003-r0004/kpis.csv" || fail "replaying the recorded command gave other results"

# The database alone repeats a run: its resolved scenario is stored by hash.
python3 - "$DB" "$T/from-db.yaml" <<'PY' || fail "scenarios table does not hold every run's resolved scenario"
import hashlib, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT r.scenario_sha256, s.yaml FROM runs r LEFT JOIN scenarios s ON s.sha256 = r.scenario_sha256").fetchall()
assert len(rows) == 15 and all(y is not None for _, y in rows)
for sha, yaml in rows:
    assert hashlib.sha256(yaml.encode()).hexdigest() == sha
(yaml,) = con.execute("SELECT s.yaml FROM runs r JOIN scenarios s ON s.sha256 = r.scenario_sha256 WHERE r.point = 2 AND r.replicate = 1").fetchone()
open(sys.argv[2], "w").write(yaml)
PY
"$CXSIM" run "$T/from-db.yaml" --quiet --in-process --out "$T/replay-db" || fail "the stored scenario does not run"
cmp -s "$T/replay-db/kpis.csv" "$D/runs/p000002-r0001/kpis.csv" || fail "the stored scenario gave other results"

# ---- a re-run does no new work ---------------------------------------------
before=$(q "$DB" "SELECT run_id, finished FROM runs ORDER BY run_id" | sha256sum)
rows_before=$(q "$DB" "SELECT COUNT(*) FROM kpis")
"$CXSIM" "${ARGS[@]}" >"$T/out2" 2>&1 || { cat "$T/out2"; fail "re-run failed"; }
grep -q "15 runs: 0 to do, 15 already done" "$T/out2" || { cat "$T/out2"; fail "re-run planned work"; }
grep -q "ran 0 runs" "$T/out2" || fail "re-run ran something"
expect_eq "runs after re-run" "$(q "$DB" "SELECT run_id, finished FROM runs ORDER BY run_id" | sha256sum)" "$before"
expect_eq "kpis rows after re-run" "$(q "$DB" "SELECT COUNT(*) FROM kpis")" "$rows_before"
# The same summary is printed.
diff <(sed -n '/^final KPIs/,/^results/p' "$T/out1") <(sed -n '/^final KPIs/,/^results/p' "$T/out2") \
    || fail "the re-run printed another summary"

# ---- final KPIs as window means (--window DAYS) ------------------------------
# The same sweep again with a 5-day window (one tick = one day: 5 ticks): no
# run, the summary recomputed. window_<kpi> is the mean of the last 5 ticks of
# each run, recomputed here from the kpis table; <kpi> stays the last tick's.
"$CXSIM" "${ARGS[@]}" --window 5 >"$T/outw" 2>&1 || { cat "$T/outw"; fail "sweep --window 5 failed"; }
grep -q "ran 0 runs" "$T/outw" || fail "--window re-ran runs"
grep -q "window_\*: mean over the last 5 ticks = 5 days" "$T/outw" || { cat "$T/outw"; fail "the table does not state its window"; }
grep -q "window_nps" "$T/outw" || fail "the table does not show window_nps"
expect_eq "meta window" "$(q "$DB" "SELECT group_concat(value) FROM (SELECT value FROM meta WHERE key IN ('window_days', 'window_ticks') ORDER BY key)")" "5,5"
python3 - "$DB" "$D/summary.csv" <<'PY' || fail "the window means do not match an independent computation"
import csv, sqlite3, statistics, sys
con = sqlite3.connect(sys.argv[1])
summary = {row["point"]: row for row in csv.DictReader(open(sys.argv[2]))}
checked = 0
for kpi in ["nps", "churn_rate", "revenue", "csat"]:
    for point in (1, 2, 3):
        per_run = []
        last = []
        for (run,) in con.execute("SELECT run_id FROM runs WHERE point = ? AND status = 'completed'", (point,)):
            ticks = con.execute(f"SELECT tick, {kpi} FROM kpis WHERE run_id = ? ORDER BY tick", (run,)).fetchall()
            assert len(ticks) == 15
            per_run.append(statistics.mean(v for _, v in ticks[-5:]))
            last.append(ticks[-1][1])
        for name, xs in ((f"window_{kpi}", per_run), (kpi, last)):
            m = statistics.mean(xs)
            got = float(summary[str(point)][f"{name}_mean"])
            assert abs(got - m) <= 1e-8 * max(1.0, abs(m)), (name, point, got, m)
            (dm,) = con.execute("SELECT mean FROM summary WHERE point = ? AND kpi = ?", (point, name)).fetchone()
            assert abs(dm - m) <= 1e-8 * max(1.0, abs(m)), (name, point, dm, m)
            checked += 1
        # The window differs from the last tick (a test that could not fail otherwise).
        assert any(abs(a - b) > 1e-12 for a, b in zip(per_run, last)), (kpi, point)
print(f"{checked} window and last-tick means match")
PY
# A database recorded before windows (no window meta) summarises as it did:
# no window_* figure, the last tick's value.
cp "$DB" "$T/old.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"DELETE FROM meta WHERE key LIKE 'window_%'\"); c.commit()" "$T/old.db"
mkdir -p "$T/old" && cp "$T/old.db" "$T/old/sweep.db"
"$CXSIM" report "$T/old" --out "$T/old.html" >/dev/null 2>&1 || fail "report of a database without a window failed"
grep -q "the value at the last tick of each completed run" "$T/old.html" || fail "the old database's report does not say last tick"
"$CXSIM" report "$D" --out "$T/new.html" >/dev/null 2>&1 || fail "report of the windowed sweep failed"
grep -q "the mean over the last 5 ticks (5 days)" "$T/new.html" || fail "the report does not state the window"
set +e
"$CXSIM" sweep "$BASELINE" --set departments.it.maturity=1..3 --window 0 --out "$T/w0" 2>"$T/errw"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "window expects days" "$T/errw" || fail "--window 0: exit $rc, $(cat "$T/errw")"

# ---- the multi-process engine gives the same numbers ------------------------
"$CXSIM" sweep "$BASELINE" --set departments.it.maturity=2 "${EXP_SMALL[@]}" --ticks 15 \
    --replicates 2 --jobs 1 --out "$T/procs" --engine processes --quiet >/dev/null \
    || fail "sweep with --engine processes failed"
"$CXSIM" sweep "$BASELINE" --set departments.it.maturity=2 "${EXP_SMALL[@]}" --ticks 15 \
    --replicates 2 --jobs 1 --out "$T/inproc" --quiet >/dev/null || fail "in-process sweep failed"
dump='SELECT r.replicate, r.seed, r.scenario_sha256, k.* FROM runs r JOIN kpis k ON k.run_id = r.run_id ORDER BY r.replicate, k.tick'
a=$(q "$T/procs/sweep.db" "$dump" | cut -d'|' -f1-3,5- | sha256sum)
b=$(q "$T/inproc/sweep.db" "$dump" | cut -d'|' -f1-3,5- | sha256sum)
expect_eq "processes vs in-process results" "$a" "$b"
expect_eq "engine recorded" "$(q "$T/procs/sweep.db" "SELECT DISTINCT engine FROM runs")" processes

# ---- --target-ci: every point meets the target or reaches the cap ----------
TD=$T/target
"$CXSIM" sweep "$BASELINE" --set departments.customer_service.maturity=1,3 "${EXP_SMALL[@]}" --ticks 10 \
    --target-ci csat=4 --max-replicates 9 --jobs 2 --out "$TD" >"$T/out3" 2>&1 \
    || { cat "$T/out3"; fail "target-ci sweep failed"; }
grep -q "target: 95% CI half-width of csat <= 4" "$T/out3" || { cat "$T/out3"; fail "no target line"; }
python3 - "$TD/sweep.db" <<'PY' || fail "--target-ci stopped before its target and its cap"
import math, sqlite3, statistics, sys
T975 = [None, 12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
        2.364624252, 2.306004135, 2.262157163]
con = sqlite3.connect(sys.argv[1])
for (point,) in con.execute("SELECT point FROM points"):
    xs = [v for (v,) in con.execute(
        "SELECT k.csat FROM kpis k JOIN runs r ON r.run_id = k.run_id WHERE r.point = ? AND "
        "r.status = 'completed' AND k.tick = (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id)", (point,))]
    n = len(xs)
    half = T975[n - 1] * statistics.stdev(xs) / math.sqrt(n)
    assert n >= 3, (point, n)
    assert half <= 4 or n == 9, (point, n, half)
    # Replicates are 0..n-1, none skipped.
    reps = sorted(r for (r,) in con.execute("SELECT replicate FROM runs WHERE point = ?", (point,)))
    assert reps == list(range(n)), reps
    print(f"point {point}: n={n} half-width={half:.2f}")
PY
"$CXSIM" sweep "$BASELINE" --set departments.customer_service.maturity=1,3 "${EXP_SMALL[@]}" --ticks 10 \
    --target-ci csat=4 --max-replicates 9 --jobs 2 --out "$TD" >"$T/out4" 2>&1 || fail "target re-run failed"
grep -q "ran 0 runs" "$T/out4" || { cat "$T/out4"; fail "target-ci re-run did new work"; }

# ---- --ticks shortens a scenario as cxsim run does: later events dropped ----
# (cloud-migration's events start at week 8 and 47; 6 weeks keep none of them,
# and the runs' resolved scenarios must still match the planned hashes.)
CM=$CX_SOURCE_DIR/scenarios/cloud-migration-3-to-4.yaml
"$CXSIM" sweep "$CM" --set departments.it.maturity=3,4 --set personas.digital_native.customers=1500 \
    --set personas.store_regular.customers=1000 --ticks 6 --replicates 2 --out "$T/short" --quiet \
    >"$T/short.out" 2>&1 || { cat "$T/short.out"; fail "a sweep with --ticks before the scenario's events failed"; }
expect_eq "completed short runs" "$(q "$T/short/sweep.db" "SELECT COUNT(*) FROM runs WHERE status = 'completed' AND ticks = 6")" 4

# ---- invalid input: exit 2, nothing run ------------------------------------
bad() {
    local rc=0
    "$CXSIM" sweep "$BASELINE" "$@" --ticks 5 --out "$T/bad" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
    [ "$rc" -eq 2 ] || { cat "$T/bad.out" "$T/bad.err"; fail "sweep $* exited $rc, expected 2"; }
    [ -s "$T/bad.err" ] || fail "sweep $*: no reason on stderr"
    [ ! -d "$T/bad/runs" ] || fail "sweep $*: runs were started"
}
bad --set departments.it.maturity=5..1
bad --set departments.it.maturity=1..3:0
bad --set departments.it.maturity=1..x
bad --set departments.it.maturity=1,,2
bad --set departments.it.maturity=1,9          # 9 is not a maturity level
bad --set departments.nosuch.maturity=1,2      # unknown department
bad --set departments.it.maturity=1 --set departments.it.maturity=2
bad --set departments.it.maturity=1,2 --replicates 0
bad --set departments.it.maturity=1,2 --target-ci nps
bad --set departments.it.maturity=1,2 --target-ci bogus=1
bad --set departments.it.maturity=1,2 --engine threads
bad --set departments.it.maturity=1,2 --backend cloud
bad --set departments.it.maturity=1,2 --target-ci nps=1 --backend slurm --no-submit   # it waits for results
echo ok
