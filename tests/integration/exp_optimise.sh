#!/usr/bin/env bash
# cxsim optimise: a small roadmap search (3 departments, 2 steps, beam 2,
# 2 paired replicates, 60 ticks of a small population, a cheap level so
# that moves can pay back within the run). Checks that best.yaml validates
# and holds the chosen moves; that the printed gain equals the paired
# difference of net (gross profit - cost - investment) recomputed in Python
# from the kpis table; that the best roadmap is at least as good as every
# other roadmap of its step; that its cost is within the budget; that a
# re-run starts no run; and that a misspelt department and a budget that
# buys nothing exit 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

BUDGET=2500
opt() {
    "$CXSIM" optimise "$BASELINE" "${EXP_SMALL[@]}" --ticks 60 --budget $BUDGET \
        --cost-per-level 1000 --steps 2 --moves departments=it,marketing,customer_service \
        --replicates 2 --beam 2 --jobs 2 --out "$T/opt" "$@"
}
opt >"$T/out1" 2>"$T/err1" || { cat "$T/out1" "$T/err1"; fail "optimise exited $?"; }
cat "$T/out1"
grep -q "^gain over doing nothing (net): " "$T/out1" || fail "summary lacks the gain"
grep -q "^evaluations: " "$T/out1" || fail "summary lacks the evaluations"
[ -s "$T/opt/optimise.csv" ] || fail "no optimise.csv"

"$CXSIM" validate "$T/opt/best.yaml" >"$T/val" 2>&1 || { cat "$T/val"; fail "best.yaml does not validate"; }

python3 - "$T/opt" "$T/out1" "$BUDGET" <<'PY'
import csv, re, sqlite3, statistics, sys
d, out_path, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
out = open(out_path, encoding="utf-8").read()
con = sqlite3.connect(f"{d}/optimise.db")
rows = con.execute("SELECT id, step, moves, cost, point, n, mean, kept, best FROM roadmaps "
                   "ORDER BY id").fetchall()
assert rows, "no roadmaps recorded"
best = [r for r in rows if r[8] == 1]
assert len(best) == 1, best
_, bstep, bmoves, bcost, bpoint, bn, bmean, _, _ = best[0]
none = [r for r in rows if r[2] == "none"]
assert len(none) == 1 and none[0][1] == 0, none
npoint = none[0][4]

# The CSV holds the same rows.
crow = list(csv.DictReader(open(f"{d}/optimise.csv")))
assert len(crow) == len(rows), (len(crow), len(rows))
for c, r in zip(crow, rows):
    assert c["moves"] == r[2] and int(c["point"]) == r[4], (c, r)
    assert abs(float(c["mean"]) - r[6]) <= 1e-9 * max(1, abs(r[6])), (c, r)

# The gain, recomputed from the kpis table: net per replicate, paired.
def net(point):
    q = ("SELECT r.replicate, SUM(k.gross_profit) - SUM(k.cost) - COALESCE(SUM(k.investment), 0) "
         "FROM runs r JOIN kpis k ON k.run_id = r.run_id "
         "WHERE r.point = ? AND r.status = 'completed' GROUP BY r.replicate")
    return dict(con.execute(q, (point,)).fetchall())
nb, nn = net(bpoint), net(npoint)
assert sorted(nb) == sorted(nn) == [0, 1], (nb, nn)
gain = statistics.mean(nb[r] - nn[r] for r in nb)
m = re.search(r"^gain over doing nothing \(net\): ([-+0-9.]+) ", out, re.M)
assert m, "no gain line"
printed = float(m.group(1))
assert abs(printed - gain) <= 0.006 + 1e-9 * abs(gain), (printed, gain)
assert abs(bmean - gain) <= 1e-6 * max(1, abs(gain)), (bmean, gain)

# Common random numbers: replicate r has one seed at every point.
seeds = con.execute("SELECT replicate, COUNT(DISTINCT seed) FROM runs GROUP BY replicate").fetchall()
assert all(n == 1 for _, n in seeds), seeds

# The best is at least as good as every other roadmap of its step, and
# as doing nothing; within the budget.
for r in rows:
    if r[1] == bstep:
        assert bmean >= r[6], ("a better roadmap in the best's step", r, best[0])
assert bmean >= 0, bmean
assert bcost <= budget, (bcost, budget)
assert all(r[3] <= budget for r in rows), "a roadmap over the budget"
# Two steps at most, each roadmap one move longer than its step's parent.
assert max(r[1] for r in rows) <= 2
for r in rows:
    assert (0 if r[2] == "none" else len(r[2].split("; "))) == r[1], r

# The printed moves: in best.yaml's timeline, and their costs add up.
moves = re.findall(r"^  \d+\. tick (\d+): (\w+) ([0-9.]+)\u2192([0-9.]+) over (\d+) ticks?, "
                   r"cost ([0-9,]+)$", out, re.M)
assert len(moves) == (0 if bmoves == "none" else len(bmoves.split("; "))), (moves, bmoves)
assert sum(float(c.replace(",", "")) for *_, c in moves) == bcost, (moves, bcost)
yaml = open(f"{d}/best.yaml").read()
tl = yaml[yaml.index("\ntimeline:"):]
events = re.findall(r"- at: (\d+)\n    event: maturity\n    department: (\w+)\n    to: ([0-9.]+)\n"
                    r"    over: (\d+)\n", tl)
for tick, dept, frm, to, over, cost in moves:
    assert (tick, dept, to, over) in events, ((tick, dept, to, over), events)
    assert f"{dept}@{tick}:{frm}>{to}" in bmoves, (dept, tick, bmoves)
print(f"best {bmoves!r} (step {bstep}, cost {bcost:g}): gain {printed} = {gain:.4f} recomputed; "
      f"{len(rows)} roadmaps")
PY
[ $? -eq 0 ] || fail "results check"

# A re-run makes no new run.
runs1=$(q "$T/opt/optimise.db" "SELECT COUNT(*) FROM runs")
opt >"$T/out2" 2>"$T/err2" || { cat "$T/out2" "$T/err2"; fail "re-run exited $?"; }
grep -q "^stopped .*: 0 runs, " "$T/out2" || { cat "$T/out2"; fail "the re-run started runs"; }
expect_eq "runs after the re-run" "$(q "$T/opt/optimise.db" "SELECT COUNT(*) FROM runs")" "$runs1"
expect_eq "same best" "$(grep '^gain over' "$T/out2")" "$(grep '^gain over' "$T/out1")"

# --objective nps: NPS as its mean over the window (--window 10 days = 10
# ticks), recorded as window_nps; every roadmap's gain recomputed from kpis.
"$CXSIM" optimise "$BASELINE" "${EXP_SMALL[@]}" --ticks 40 --budget 1000 --cost-per-level 1000 \
    --steps 1 --moves departments=it,marketing --replicates 2 --beam 1 --jobs 2 \
    --objective nps --window 10 --out "$T/optn" >"$T/outn" 2>&1 || { cat "$T/outn"; fail "--objective nps exited $?"; }
python3 - "$T/optn" <<'PY' || fail "window_nps objective"
import sqlite3, statistics, sys
con = sqlite3.connect(f"{sys.argv[1]}/optimise.db")
meta = dict(con.execute("SELECT key, value FROM meta"))
assert meta["objective"] == "window_nps" and meta["window_ticks"] == "10", meta
def wnps(point):   # the mean over the last 10 ticks of each replicate
    return dict(con.execute(
        "SELECT r.replicate, AVG(k.nps) FROM runs r JOIN kpis k ON k.run_id = r.run_id "
        "WHERE r.point = ? AND r.status = 'completed' "
        "AND k.tick > (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id) - 10 GROUP BY r.replicate",
        (point,)))
rows = con.execute("SELECT moves, point, mean FROM roadmaps ORDER BY id").fetchall()
none = wnps([p for m, p, _ in rows if m == "none"][0])
n = 0
for moves, point, mean in rows:
    if moves != "none":
        w = wnps(point)
        gain = statistics.mean(w[r] - none[r] for r in none)
        assert abs(mean - gain) <= 1e-9 * max(1, abs(gain)), (moves, mean, gain)
        n += 1
assert n == 2, rows
PY

# Bad input: a misspelt department, a budget that buys nothing.
rc=0
"$CXSIM" optimise "$BASELINE" --budget 1000000 --moves departments=it,marketting \
    --out "$T/bad" >"$T/out3" 2>"$T/err3" || rc=$?
expect_eq "exit status of a misspelt department" "$rc" 2
grep -q "unknown department 'marketting'; did you mean 'marketing'" "$T/err3" \
    || { cat "$T/err3"; fail "no suggestion for a misspelt department"; }
rc=0
"$CXSIM" optimise "$BASELINE" --budget 100 --out "$T/bad" >"$T/out4" 2>"$T/err4" || rc=$?
expect_eq "exit status of a budget that buys nothing" "$rc" 2
grep -q "buys nothing" "$T/err4" || { cat "$T/err4"; fail "no message for a budget that buys nothing"; }
[ ! -e "$T/bad" ] || fail "bad input created the directory"
echo "exp_optimise: ok"
