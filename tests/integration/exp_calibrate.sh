#!/usr/bin/env bash
# cxsim calibrate: recovers a known value of ltr_offset (the intercept of
# likelihood to recommend, one of the parameters that the sensitivity
# screening found to move NPS: docs/EXPERIMENTS.md) from an "observed" NPS series
# that the real model produced at that value. The recovered value must be
# much closer to the truth than the start; the objective must fall;
# calibrated.yaml must validate and hold the best value; the database and
# the CSV must agree with each other and with the objective recomputed in
# Python from the kpis table; a re-run must start no run; bad observed
# files exit 2 naming file:line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

TRUTH=2.55
START=0.2
# Small populations, many respondents per tick (survey_rate 0.3: about
# 750 answers per tick), 60 ticks.
RUNSET=(--set personas.bargain_hunter.customers=1500 --set personas.loyal_family.customers=1000
    --set model.survey_rate=0.3)

"$CXSIM" run "$BASELINE" "${RUNSET[@]}" --set model.ltr_offset=$TRUTH --ticks 60 --seed 11 \
    --quiet --out "$T/truth" || fail "truth run exited $?"
# Observed: every 5th tick, NPS and churn rate (only NPS is fitted).
python3 - "$T/truth/kpis.csv" "$T/obs.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("tick,nps,churn_rate\n")
    for r in rows:
        if int(r["tick"]) % 5 == 0:
            f.write(f"{r['tick']},{r['nps']},{r['churn_rate']}\n")
PY

cal() {
    "$CXSIM" calibrate "$BASELINE" "${RUNSET[@]}" --set model.ltr_offset=$START --ticks 60 \
        --seed 11 --observed "$T/obs.csv" --params ltr_offset --kpi nps --replicates 2 \
        --max-evals 14 --jobs 2 --out "$T/cal" "$@"
}
start_s=$(date +%s)
cal >"$T/out1" 2>"$T/err1" || { cat "$T/out1" "$T/err1"; fail "calibrate exited $?"; }
cat "$T/out1"
grep -q "^ltr_offset  *$START  " "$T/out1" || fail "summary lacks the start value"
grep -q "^objective .* at the start, .* at the best" "$T/out1" || fail "summary lacks the objective"
grep -q "^nps  " "$T/out1" || fail "summary lacks the RMSE of nps"

# The uncertainty of the fitted value, recomputed from calibration.csv:
# a quadratic fitted by least squares to the 7 distinct evaluations
# nearest the best (distance in units of the range, 20), H = 2 c2,
# s2 = J^ / (N - 1) with N the 12 observed NPS values, se = sqrt(2 s2 / H),
# 95% interval best -/+ t(0.975, 11) se. It must hold the planted value.
python3 - "$T/cal" "$TRUTH" <<'PY' || fail "uncertainty of the fitted parameter"
import csv, math, sqlite3, sys
d, truth = sys.argv[1], float(sys.argv[2])
con = sqlite3.connect(f"{d}/calibration.db")
best_eval = con.execute("SELECT best_eval FROM result").fetchone()[0]
ev = [(float(r["ltr_offset"]), float(r["objective"])) for r in csv.DictReader(open(f"{d}/calibration.csv"))
      if r["objective"] != ""]
rows = list(csv.DictReader(open(f"{d}/calibration.csv")))
xb = float(rows[best_eval - 1]["ltr_offset"]); jb = float(rows[best_eval - 1]["objective"])
seen, pts = set(), []
for x, f in ev:
    if x not in seen:
        seen.add(x)
        pts.append((abs(x - xb) / 20, len(pts), x, f))
pts = sorted(pts)[:7]
# least squares for f = c0 + c1 z + c2 z^2, z = (x - best) / 20
A = [[0.0] * 3 for _ in range(3)]; b = [0.0] * 3
for _, _, x, f in pts:
    z = (x - xb) / 20; phi = [1, z, z * z]
    for i in range(3):
        b[i] += phi[i] * f
        for j in range(3):
            A[i][j] += phi[i] * phi[j]
def solve(A, b):
    n = len(b); M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c])); M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c:
                m = M[r][c] / M[c][c]
                M[r] = [M[r][k] - m * M[c][k] for k in range(n + 1)]
    return [M[i][n] / M[i][i] for i in range(n)]
c = solve(A, b)
H = 2 * c[2]
assert H > 0, c
s2 = jb / (12 - 1)
se = math.sqrt(2 * s2 / H) * 20
T11 = 2.200985160
par, best, method, nv, dse, lo, hi = con.execute("SELECT * FROM uncertainty").fetchone()
assert (par, method, nv) == ("ltr_offset", "curvature", 12), (par, method, nv)
assert abs(dse - se) <= 1e-6 * se, (dse, se)
assert abs(lo - (xb - T11 * se)) <= 1e-6 and abs(hi - (xb + T11 * se)) <= 1e-6, (lo, hi, xb, se)
assert lo <= truth <= hi, f"the planted value {truth} is outside [{lo}, {hi}]"
print(f"ltr_offset {xb} se {se:.4f}: [{lo:.4f}, {hi:.4f}] holds {truth}")
PY
grep -q "^ltr_offset .* \[[0-9.]*, [0-9.]*\] *\[-10, 10\]" "$T/out1" || fail "summary lacks the interval"

# Recovery. Tolerance 0.35 around the truth, against a start 2.35 away:
# with 2 replicates and about 750 answers a tick, NPS at a given
# ltr_offset scatters by about 2 points per tick between seeds, while one
# point of ltr_offset moves NPS by about 20, so the noise alone blurs the
# optimum by a few hundredths; 14 evaluations of Nelder-Mead from a 2.0
# initial step bracket and halve the interval about five times
# (2.0 / 2^5 ~ 0.06). 0.35 leaves a margin for both and still demands the
# error shrink by a factor of more than 5.
python3 - "$T/cal" "$T/obs.csv" "$TRUTH" "$START" <<'PY'
import csv, json, math, sqlite3, sys
d, obs_path, truth, start = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
con = sqlite3.connect(f"{d}/calibration.db")
best_eval, obj, start_obj, n_eval, stop, theta = con.execute(
    "SELECT best_eval, objective, start_objective, evaluations, stop_reason, theta FROM result").fetchone()
best = json.loads(theta)["ltr_offset"]
print(f"truth {truth}, start {start}, recovered {best} after {n_eval} evaluations ({stop}); "
      f"objective {start_obj:.4g} -> {obj:.4g}")
assert abs(best - truth) <= 0.35, ("not recovered", best, truth)
assert abs(best - truth) < abs(start - truth) / 5, (best, truth, start)
assert obj < start_obj, (obj, start_obj)
assert stop in ("max_evals", "converged"), stop
assert n_eval <= 14, n_eval

# The evaluations: CSV and tables agree; eval 1 is the start.
rows = list(csv.DictReader(open(f"{d}/calibration.csv")))
assert len(rows) == n_eval == con.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
assert float(rows[0]["ltr_offset"]) == start, rows[0]
assert min(float(r["objective"]) for r in rows) == float(rows[best_eval - 1]["objective"])
for r in rows:
    v = con.execute("SELECT value FROM eval_params WHERE eval = ? AND parameter = 'ltr_offset'",
                    (int(r["eval"]),)).fetchone()[0]
    assert v == float(r["ltr_offset"]), (v, r)
    assert 0 < float(r["objective"]), r

# Common random numbers: replicate r has one seed at every point.
for rep, n in con.execute("SELECT replicate, COUNT(DISTINCT seed) FROM runs GROUP BY replicate"):
    assert n == 1, (rep, n)

# The objective of each evaluation, recomputed from the kpis table and the
# observed file: (mean over replicates - observed)^2, averaged over the
# observed ticks, divided by the observed series' population variance.
obs = {int(r["tick"]): float(r["nps"]) for r in csv.DictReader(open(obs_path))}
ys = list(obs.values())
mu = sum(ys) / len(ys)
var = sum((y - mu) ** 2 for y in ys) / len(ys)
for r in rows:
    point = int(r["point"])
    sims = {}
    for rep, tick, nps in con.execute(
            "SELECT r.replicate, k.tick, k.nps FROM runs r JOIN kpis k ON k.run_id = r.run_id "
            "WHERE r.point = ? AND r.status = 'completed'", (point,)):
        sims.setdefault(tick, []).append(nps)
    se = sum((sum(sims[t]) / len(sims[t]) - y) ** 2 for t, y in obs.items())
    want = se / len(obs) / var
    got = float(r["objective"])
    assert abs(got - want) <= 1e-8 * max(1, want), (r["eval"], got, want)
    assert all(len(sims[t]) == 2 for t in obs)
PY
[ $? = 0 ] || fail "recovery check"
echo "first calibration: $(($(date +%s) - start_s)) s"

# calibrated.yaml loads and holds the best value.
best=$(q "$T/cal/calibration.db" "SELECT json_extract(theta, '$.ltr_offset') FROM result")
"$CXSIM" validate "$T/cal/calibrated.yaml" >/dev/null || fail "calibrated.yaml does not validate"
grep -q "^  ltr_offset: $best\$" "$T/cal/calibrated.yaml" \
    || fail "calibrated.yaml lacks ltr_offset: $best ($(grep ltr_offset "$T/cal/calibrated.yaml"))"

# A re-run starts no run and finds the same result.
runs1=$(q "$T/cal/calibration.db" "SELECT COUNT(*) FROM runs")
cal >"$T/out2" 2>"$T/err2" || { cat "$T/out2" "$T/err2"; fail "re-run exited $?"; }
grep -q " 0 runs, " "$T/out2" || fail "re-run started runs: $(grep evaluation "$T/out2")"
expect_eq "runs after the re-run" "$(q "$T/cal/calibration.db" "SELECT COUNT(*) FROM runs")" "$runs1"
expect_eq "best after the re-run" \
    "$(q "$T/cal/calibration.db" "SELECT json_extract(theta, '$.ltr_offset') FROM result")" "$best"
cmp -s <(grep -v "in [0-9.]* s" "$T/out1" | grep -v "^eval\|^calibrate") \
    <(grep -v "in [0-9.]* s" "$T/out2" | grep -v "^eval\|^calibrate") || fail "re-run summary differs"

# Invalid input: exit 2, file:line named.
bad() { # NAME CONTENT EXPECTED
    printf '%b' "$2" >"$T/$1.csv"
    set +e
    "$CXSIM" calibrate "$BASELINE" "${RUNSET[@]}" --ticks 60 --observed "$T/$1.csv" \
        --params ltr_offset --out "$T/bad" >"$T/bad.out" 2>"$T/bad.err"
    local rc=$?
    set -e
    expect_eq "exit status for $1" "$rc" 2
    grep -qF "$3" "$T/bad.err" || fail "$1: '$3' not in: $(cat "$T/bad.err")"
}
bad unknown 'tick,np\n0,1\n' "$T/unknown.csv:1: unknown column 'np' (column 2): not a kpis.csv column (did you mean 'nps'?)"
bad number 'tick,nps\n0,1\n5,x\n' "$T/number.csv:3: column 'nps': 'x' is not a number"
bad range 'tick,nps\n0,1\n60,2\n' "$T/range.csv:3: tick 60 is outside the run's ticks 0..59"
bad dup 'tick,nps\n5,1\n5,2\n' "$T/dup.csv:3: tick 5 already given on line 2"
set +e
"$CXSIM" calibrate "$BASELINE" --observed "$T/obs.csv" --params ltr_ofset --out "$T/bad" 2>"$T/bad.err"
rc=$?
set -e
expect_eq "exit status for an unknown parameter" "$rc" 2
grep -q "did you mean 'ltr_offset'" "$T/bad.err" || fail "no suggestion: $(cat "$T/bad.err")"
echo "exp_calibrate: ok"
