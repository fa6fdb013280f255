#!/usr/bin/env bash
# cxsim report on the directories of cxsim sensitivity, optimise and
# calibrate (tiny runs, the settings of their own tests): each page is
# well-formed XML (Python's xml.etree) with the expected charts; its tables'
# numbers are the CSV files' (each cell's data-value is the CSV's text, the
# shown number that value rounded); a second call gives identical bytes and
# no absolute path. Sensitivity: one tornado bar per parameter whose width
# maps back through the data-* scale to the elasticity within half a pixel.
# Optimise: the best roadmap's moves listed are optimise.csv's best row.
# Calibration: every observed point is drawn, and the best value in the
# table is calibrated.yaml's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# report DIR: writes DIR/report.html twice, checks identity and self-containment.
report() {
    local d=$1
    out=$("$CXSIM" report "$d") || fail "report of $d failed"
    expect_eq "printed path" "$out" "$d/report.html"
    "$CXSIM" report "$d" --out "$T/again.html" >/dev/null || fail "second report of $d failed"
    cmp "$d/report.html" "$T/again.html" || fail "the same $d gave another report"
    ! grep -qF "$T" "$d/report.html" || fail "the report of $d holds an absolute path"
    ! grep -qF "$CX_SOURCE_DIR" "$d/report.html" || fail "the report of $d holds the source path"
    ! grep -Eiq '<script|<img|<link|src=|href=|url\(|@import' "$d/report.html" \
        || fail "the report of $d refers to something outside itself"
}

# ---- sensitivity: 3 parameters x 2 replicates ------------------------------
S=$T/sens
"$CXSIM" sensitivity "$BASELINE" "${EXP_SMALL[@]}" --ticks 30 --replicates 2 --jobs 2 \
    --params ltr_slope,quality_low,cpi_high --out "$S" --quiet >"$T/s.out" 2>&1 \
    || { cat "$T/s.out"; fail "sensitivity failed"; }
report "$S"
"$PY" - "$S" <<'PY' || fail "sensitivity report does not match sensitivity.csv"
import csv, math, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag, under=root): return [e for e in under.iter() if local(e) == tag]
def text(e): return "".join(e.itertext())
rows = list(csv.DictReader(open(f"{d}/sensitivity.csv")))
kpis = list(dict.fromkeys(r["kpi"] for r in rows))
assert kpis == ["window_nps", "window_churn_rate", "total_revenue"], kpis
svgs = all_("svg")
assert len(svgs) == len(kpis), len(svgs)
facts = text([e for e in all_("table") if e.get("id") == "facts"][0])
assert "baseline" in facts and "window_nps, window_churn_rate, total_revenue" in facts, facts
assert "last 30 days" in facts, facts
delta = [e for e in all_("tr") if e.get("id") == "delta"][0]
assert delta.get("data-delta") == "0.1", delta.attrib
assert [e for e in all_("tr") if e.get("id") == "replicates"][0].get("data-n") == "2"

def shown_ok(cell, want):
    """data-value is the CSV's text; the shown number is it rounded."""
    assert cell.get("data-value") == want, (cell.attrib, want)
    t = text(cell)
    if want == "":
        return
    dec = len(t.split(".")[1]) if "." in t else 0
    assert abs(float(t) - float(want)) <= 0.5 * 10 ** -dec + 1e-12, (t, want)

trs = [e for e in all_("tr") if (e.get("class") or "").startswith("row")]
assert len(trs) == len(rows), (len(trs), len(rows))
for tr, r in zip(trs, rows):
    assert tr.get("data-parameter") == r["parameter"] and tr.get("data-kpi") == r["kpi"]
    assert tr.get("data-rank") == r["rank"] and tr.get("data-kpi-rank") == r["kpi_rank"]
    cells = {tuple(c.get("class").split()[1:]): c for c in all_("td", tr) if c.get("data-value") is not None}
    for col in ("base_value", "low", "high"):
        shown_ok(cells[(col,)], r[col])
    for what in ("change", "derivative", "elasticity"):
        if what == "elasticity" and r["elasticity_mean"] == "":   # not shown: n/a
            assert cells[(what, "mean")].get("data-value") == "" and "n/a" in text(cells[(what, "mean")])
            continue
        for part, key in (("mean", "mean"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            shown_ok(cells[(what, part)], r[f"{what}_{key}"])
    assert ("sig" in tr.get("class")) == (r["significant"] == "1")

for svg in svgs:
    kpi = svg.get("id").removeprefix("tornado-")
    mine = [r for r in rows if r["kpi"] == kpi]
    assert mine, kpi
    xmin, xmax = float(svg.get("data-xmin")), float(svg.get("data-xmax"))
    px0, px1 = float(svg.get("data-px0")), float(svg.get("data-px1"))
    scale = (px1 - px0) / (xmax - xmin)
    x0 = px0 + (0 - xmin) * scale
    bars = [e for e in all_("rect", svg) if e.get("class") == "bar"]
    # One bar per parameter, its change in the KPI's units, in the KPI's rank order.
    assert [b.get("data-key") for b in bars] == [r["parameter"] for r in sorted(mine, key=lambda r: int(r["kpi_rank"]))], bars
    for b in bars:
        r = [r for r in mine if r["parameter"] == b.get("data-key")][0]
        e = float(r["change_mean"])
        x, w = float(b.get("x")), float(b.get("width"))
        assert abs(w - abs(e) * scale) <= 0.5, (kpi, r["parameter"], w, e * scale)
        end = x + w if e >= 0 else x
        assert abs(xmin + (end - px0) / scale - e) * scale <= 0.5, (kpi, r["parameter"], end)
        assert abs((x if e >= 0 else x + w) - x0) <= 0.5
    wh = [e for e in all_("path", svg) if e.get("class") == "whisker"]
    assert len(wh) == sum(1 for r in mine if r["change_ci_low"] != ""), len(wh)
print("sensitivity ok")
PY

# ---- optimise: 3 departments, 2 steps, beam 2, 2 replicates ----------------
O=$T/opt
"$CXSIM" optimise "$BASELINE" "${EXP_SMALL[@]}" --ticks 40 --budget 2500 --cost-per-level 1000 \
    --steps 2 --moves departments=it,marketing,customer_service --replicates 2 --beam 2 \
    --jobs 2 --out "$O" --quiet >"$T/o.out" 2>&1 || { cat "$T/o.out"; fail "optimise failed"; }
report "$O"
"$PY" - "$O" <<'PY' || fail "optimise report does not match optimise.csv"
import csv, sqlite3, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag, under=root): return [e for e in under.iter() if local(e) == tag]
def text(e): return "".join(e.itertext())
rows = list(csv.DictReader(open(f"{d}/optimise.csv")))
best = [r for r in rows if r["best"] == "1"]
assert len(best) == 1, best
best = best[0]
svgs = all_("svg")
assert [s.get("id") for s in svgs] == ["opt-steps", "opt-net"], [s.get("id") for s in svgs]
# The best roadmap's moves, listed in order.
ol = [e for e in all_("ol") if e.get("id") == "best-roadmap"][0]
moves = [li.get("data-move") for li in all_("li", ol) if li.get("class") == "move"]
want = [] if best["moves"] == "none" else best["moves"].split("; ")
assert moves == want, (moves, want)
for li, m in zip([li for li in all_("li", ol) if li.get("class") == "move"], want):
    dept, rest = m.split("@")
    tick, lv = rest.split(":")
    a, b = lv.split(">")
    assert text(li) == f"tick {tick}: {dept} {a} \u2192 {b}", text(li)
gain = [e for e in all_("tr") if e.get("id") == "gain"][0]
assert (gain.get("data-mean"), gain.get("data-low"), gain.get("data-high")) == \
    (best["mean"], best["ci_low"], best["ci_high"]), gain.attrib
# The table: one row per roadmap, its numbers optimise.csv's.
trs = [e for e in all_("tr") if (e.get("class") or "").startswith("roadmap")]
assert len(trs) == len(rows), (len(trs), len(rows))
for tr, r in zip(trs, rows):
    assert tr.get("data-id") == r["id"]
    assert text([c for c in all_("td", tr) if c.get("class") == "moves"][0]) == r["moves"]
    for c in all_("td", tr):
        col = (c.get("class") or "").split()[1:]
        if c.get("data-value") is None or not col:
            continue
        assert c.get("data-value") == r[col[0]], (col, c.get("data-value"), r[col[0]])
        t = text(c).replace(",", "")
        dec = len(t.split(".")[1]) if "." in t else 0
        assert abs(float(t) - float(r[col[0]])) <= 0.5 * 10 ** -dec + 1e-9, (t, r[col[0]])
# The steps chart: a point per roadmap, one of them the best.
steps = svgs[0]
pts = [c for c in all_("circle", steps) if c.get("class") == "point"]
assert len(pts) == len(rows), len(pts)
assert sum(1 for c in pts if c.get("data-series") == "best") == 1
# The net chart: the best roadmap and doing nothing with bands, the moves and the payback marked.
net = svgs[1]
series = {p.get("data-series") for p in all_("polyline", net) if p.get("class") == "series"}
bands = {p.get("data-series") for p in all_("polygon", net) if p.get("class") == "band"}
assert series == ({"best", "nothing"} if want else {"best"}), series
assert bands == series, bands
con = sqlite3.connect(f"{d}/optimise.db")
pay = con.execute("SELECT value FROM meta WHERE key = 'payback_tick'").fetchone()
marks = sorted(float(g.get("data-x")) for g in all_("g", net) if g.get("class") == "marker")
want_marks = sorted([float(m.split("@")[1].split(":")[0]) for m in want] +
                    ([float(pay[0])] if pay and pay[0].isdigit() else []))
assert marks == want_marks, (marks, want_marks)
# The mean cumulative net of the best roadmap at the last tick, back through the scale.
ymin, ymax = float(net.get("data-ymin")), float(net.get("data-ymax"))
py0, py1 = float(net.get("data-py0")), float(net.get("data-py1"))
line = [p for p in all_("polyline", net) if p.get("data-series") == "best"][-1]
ly = float(line.get("points").split()[-1].split(",")[1])
got = ymin + (py1 - ly) / (py1 - py0) * (ymax - ymin)
vals = [v for (v,) in con.execute(
    "SELECT SUM(k.gross_profit - k.cost - k.investment) FROM runs r JOIN kpis k USING (run_id) "
    "WHERE r.point = ? AND r.status = 'completed' GROUP BY r.run_id", (int(best["point"]),))]
want_y = sum(vals) / len(vals)
assert abs(got - want_y) <= (ymax - ymin) / (py1 - py0), (got, want_y)
print("optimise ok")
PY

# ---- calibration: 1 parameter, a few evaluations ---------------------------
C=$T/cal
RUNSET=(--set personas.bargain_hunter.customers=1500 --set personas.loyal_family.customers=1000
    --set model.survey_rate=0.3)
"$CXSIM" run "$BASELINE" "${RUNSET[@]}" --set model.ltr_offset=2.55 --ticks 40 --seed 11 \
    --quiet --out "$T/truth" || fail "truth run failed"
"$PY" - "$T/truth/kpis.csv" "$T/obs.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("tick,nps\n")
    for r in rows:
        if int(r["tick"]) % 5 == 0:
            f.write(f"{r['tick']},{r['nps']}\n")
PY
"$CXSIM" calibrate "$BASELINE" "${RUNSET[@]}" --set model.ltr_offset=0.2 --ticks 40 --seed 11 \
    --observed "$T/obs.csv" --params ltr_offset --kpi nps --replicates 2 --max-evals 6 \
    --jobs 2 --out "$C" --quiet >"$T/c.out" 2>&1 || { cat "$T/c.out"; fail "calibrate failed"; }
cmp -s "$T/obs.csv" "$C/observed.csv" || fail "calibrate did not keep a copy of the observed series"
mv "$T/obs.csv" "$T/obs.moved" # the report needs only the directory
report "$C"
"$PY" - "$C" "$T/obs.moved" <<'PY' || fail "calibration report does not match calibration.db"
import csv, math, sqlite3, sys, xml.etree.ElementTree as ET
d, obs = sys.argv[1], sys.argv[2]
root = ET.parse(f"{d}/report.html").getroot()
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag, under=root): return [e for e in under.iter() if local(e) == tag]
con = sqlite3.connect(f"{d}/calibration.db")
best_eval, n_eval = con.execute("SELECT best_eval, evaluations FROM result").fetchone()
best = con.execute("SELECT value FROM eval_params WHERE eval = ? AND parameter = 'ltr_offset'",
                   (best_eval,)).fetchone()[0]
svgs = all_("svg")
assert len(svgs) == 2, len(svgs)                      # objective, and the nps fit
objective, fit = svgs
# One point per evaluation on the objective line.
line = [p for p in all_("polyline", objective) if p.get("data-series") == "objective"][0]
assert len(line.get("points").split()) == n_eval, (line.get("points"), n_eval)
# Every observed point drawn, at its value.
ymin, ymax = float(fit.get("data-ymin")), float(fit.get("data-ymax"))
py0, py1 = float(fit.get("data-py0")), float(fit.get("data-py1"))
pts = [c for c in all_("circle", fit) if c.get("data-series") == "observed"]
rows = list(csv.DictReader(open(obs)))
assert len(pts) == len(rows), (len(pts), len(rows))
for c, r in zip(pts, rows):
    got = ymin + (py1 - float(c.get("cy"))) / (py1 - py0) * (ymax - ymin)
    assert abs(got - float(r["nps"])) <= 0.5 * (ymax - ymin) / (py1 - py0), (got, r)
# The best value of the table is calibrated.yaml's and the database's.
cell = [e for e in all_("td") if e.get("class", "").endswith("best")][0]
assert math.isclose(float(cell.get("data-value")), best, rel_tol=1e-11), (cell.attrib, best)
yaml = open(f"{d}/calibrated.yaml").read()
line = [l for l in yaml.splitlines() if l.strip().startswith("ltr_offset:")][0]
assert math.isclose(float(line.split(":")[1]), best, rel_tol=1e-9), (line, best)
# The scenario is named with its file, as every other experiment page does.
facts = [e for e in all_("table") if e.get("id") == "facts"][0]
scen = ["".join(tr.itertext()) for tr in all_("tr", facts) if "".join(tr.itertext()).startswith("Scenario")]
assert scen == ["Scenariobaseline (baseline.yaml)"], scen
# The interval of each parameter: the uncertainty table's.
lo, hi = con.execute("SELECT ci_low, ci_high FROM uncertainty WHERE parameter = 'ltr_offset'").fetchone()
for cls, want in (("ci_low", lo), ("ci_high", hi)):
    cell = [e for e in all_("td") if e.get("class", "") == f"num {cls}"][0]
    assert want is not None and math.isclose(float(cell.get("data-value")), want, rel_tol=1e-9), (cell.attrib, want)
# The band of the best values: the range of its replicates at each tick (lowest to highest),
# not a Student t band (which, with 2 replicates, is 12.7 standard errors wide).
bpoint = con.execute("SELECT point FROM evaluations WHERE eval = ?", (best_eval,)).fetchone()[0]
per_tick = {}
for t, v in con.execute("SELECT k.tick, k.nps FROM runs r JOIN kpis k ON k.run_id = r.run_id "
                        "WHERE r.point = ? AND r.status = 'completed'", (bpoint,)):
    per_tick.setdefault(t, []).append(v)
band = [p for p in all_("polygon", fit) if p.get("data-series") == "best"][0]
ys = [ymin + (py1 - float(xy.split(",")[1])) / (py1 - py0) * (ymax - ymin) for xy in band.get("points").split()]
nt = len(per_tick)
assert len(ys) == 2 * nt, (len(ys), nt)
ticks = sorted(per_tick)
px = 0.5 * (ymax - ymin) / (py1 - py0) + 1e-9
for i, t in enumerate(ticks):   # the upper edge left to right, then the lower one back
    assert abs(ys[i] - max(per_tick[t])) <= px, (t, ys[i], per_tick[t])
    assert abs(ys[2 * nt - 1 - i] - min(per_tick[t])) <= px, (t, ys[2 * nt - 1 - i], per_tick[t])
print("calibration ok")
PY

echo "ok"
