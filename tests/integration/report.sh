#!/usr/bin/env bash
# cxsim report: the HTML report of a run directory and of a compare
# directory is well-formed XML (parsed with Python's xml.etree), holds the
# expected charts, and its numbers agree with the result files read
# independently: the NPS line's last point maps back through the chart's
# scale to the last NPS of kpis.csv, timeline events are labelled markers,
# the headline table and the delta table show the files' values, the
# compare bands are the Student t 95% intervals of the replicates in
# compare.db, and long series are decimated. The same directory gives a
# byte-identical report; bad arguments and directories exit 2, an
# unwritable output 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SCEN="$CX_SOURCE_DIR/scenarios/cloud-migration-3-to-4.yaml"
CLOUD_SMALL=(--set personas.digital_native.customers=1500 --set personas.store_regular.customers=1000)

# ---- a run directory -------------------------------------------------------
R=$T/run
# The scenario's events at ticks 8 (IT and marketing to level 4) and 47 (an
# IT outage) fall inside 60 ticks.
"$CXSIM" run "$SCEN" --ticks 60 "${CLOUD_SMALL[@]}" --in-process --quiet --out "$R" >"$T/run.out" 2>&1 \
    || { cat "$T/run.out"; fail "run failed"; }
out=$("$CXSIM" report "$R") || fail "report of a run failed"
expect_eq "printed path" "$out" "$R/report.html"
[ -s "$R/report.html" ] || fail "no report.html"

"$PY" - "$R" <<'PY' || fail "run report does not match the run's files"
import csv, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()        # well-formed, or this raises
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag): return [e for e in root.iter() if local(e) == tag]
def text(e): return "".join(e.itertext())
rows = list(csv.DictReader(open(f"{d}/kpis.csv")))

title = [e for e in all_("title") if e.tag.endswith("xhtml}title")][0]
assert "cloud-migration-3-to-4" in title.text, title.text
assert "cloud-migration-3-to-4" in text(all_("h1")[0])
assert not all_("script"), "a script in the report"

svgs = all_("svg")
ids = [s.get("id") for s in svgs]
assert ids == ["chart-nps", "chart-csat", "chart-churn", "chart-customers", "chart-revenue",
               "chart-cumulative", "chart-profit", "chart-engagement", "chart-maturity",
               "chart-wait"], ids

def scale(svg):
    return {k: float(svg.get("data-" + k)) for k in
            ("xmin", "xmax", "ymin", "ymax", "px0", "px1", "py0", "py1")}
def points(poly):
    return [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
def px_y(s, v): return s["py1"] - (v - s["ymin"]) / (s["ymax"] - s["ymin"]) * (s["py1"] - s["py0"])
def px_x(s, t): return s["px0"] + (t - s["xmin"]) / (s["xmax"] - s["xmin"]) * (s["px1"] - s["px0"])

nps_svg = svgs[0]
s = scale(nps_svg)
lines = [e for e in nps_svg.iter() if local(e) == "polyline" and e.get("data-series") == "nps"]
assert len(lines) == 1, len(lines)
pts = points(lines[0])
assert len(pts) == len(rows) == 60, (len(pts), len(rows))
last_nps = float(rows[-1]["nps"])
assert abs(pts[-1][1] - px_y(s, last_nps)) <= 0.5, (pts[-1], px_y(s, last_nps))
assert abs(pts[-1][0] - px_x(s, int(rows[-1]["tick"]))) <= 0.5
# ... and back: the pixel's value is the NPS within half a pixel's worth.
per_px = (s["ymax"] - s["ymin"]) / (s["py1"] - s["py0"])
back = s["ymin"] + (s["py1"] - pts[-1][1]) * per_px
assert abs(back - last_nps) <= 0.5 * per_px, (back, last_nps)
for (x, y), r in zip(pts, rows):
    assert abs(y - px_y(s, float(r["nps"]))) <= 0.5

# Timeline events: labelled markers on every chart.
for svg in svgs:
    marks = {float(g.get("data-x")): text(g) for g in svg.iter()
             if local(g) == "g" and g.get("class") == "marker"}
    assert set(marks) == {8.0, 47.0}, (svg.get("id"), marks)
    assert "t=8 it\u21924" in marks[8.0] and "marketing\u21924" in marks[8.0], marks
    assert "t=47 it outage 40%" in marks[47.0], marks
    assert svg.findall(".//{http://www.w3.org/2000/svg}title"), "chart without a title"

# Headline table: the last tick's NPS as formatted (one decimal).
tr = [e for e in all_("tr") if e.get("id") == "row-nps"][0]
last = [td for td in tr if "last" in (td.get("class") or "").split()][0]
assert last.text == f"{last_nps:.1f}", (last.text, last_nps)
assert float(last.get("data-value")) == last_nps
first = [td for td in tr if "first" in (td.get("class") or "").split()][0]
assert first.text == f"{float(rows[0]['nps']):.1f}"
# Per-department charts: one line per department, with a legend.
# Operating profit, recomputed from its parts (docs/MODEL.md, "Economics"): gross profit
# at the scenario's gross margin less the departments, marketing and investment.
import re as _re
margin = float(_re.search(r"^  gross_margin: (\S+)", open(d + "/scenario.resolved.yaml").read(), _re.M).group(1))
for r in rows:
    want = float(r["revenue"]) * margin - float(r["cost"]) - float(r["marketing_cost"]) - float(r["investment"])
    assert abs(float(r["operating_profit"]) - want) <= 1e-6 * max(1.0, abs(want)), (r["tick"], r["operating_profit"], want)
prof = svgs[6]
s = scale(prof)
lines = [e for e in prof.iter() if local(e) == "polyline" and e.get("data-series") == "operating_profit"]
assert len(lines) == 1, len(lines)
assert abs(points(lines[0])[-1][1] - px_y(s, float(rows[-1]["operating_profit"]))) <= 0.5
mat = svgs[8]
depts = {e.get("data-series") for e in mat.iter() if local(e) == "polyline" and e.get("data-series")}
assert depts == {"maturity"}
assert len([e for e in mat.iter() if local(e) == "polyline" and e.get("data-series")]) == 6
legend = [g for g in mat.iter() if local(g) == "g" and g.get("class") == "legend"][0]
assert "customer_service" in text(legend)
PY
echo "run report: ok ($(wc -c <"$R/report.html") bytes)"

# Deterministic, self-contained, no absolute path.
"$CXSIM" report "$R" --out "$T/again.html" >/dev/null || fail "second report failed"
cmp "$R/report.html" "$T/again.html" || fail "the same run gave another report"
cp -r "$R" "$T/moved"
"$CXSIM" report "$T/moved" >/dev/null || fail "report of the copied run failed"
cmp "$R/report.html" "$T/moved/report.html" || fail "the report depends on the directory's path"
! grep -qF "$T" "$R/report.html" || fail "the report holds an absolute path"
! grep -Eiq '<script|<img|<link|src=|href=|url\(|@import' "$R/report.html" \
    || fail "the report refers to something outside itself"
[ "$(grep -o 'http://[^"]*' "$R/report.html" | sort -u | tr '\n' ' ')" = \
  "http://www.w3.org/1999/xhtml http://www.w3.org/2000/svg " ] || fail "a URL other than XML namespaces"

# A long run is decimated: at most 2000 points per line, extremes kept.
L=$T/long
"$CXSIM" run "$SCEN" --ticks 2500 --set personas.digital_native.customers=150 \
    --set personas.store_regular.customers=100 --in-process --quiet --out "$L" >/dev/null 2>&1 \
    || fail "long run failed"
"$CXSIM" report "$L" >/dev/null || fail "report of a long run failed"
"$PY" - "$L" <<'PY' || fail "long series are not decimated as they should be"
import csv, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()
local = lambda e: e.tag.rsplit("}", 1)[-1]
rows = list(csv.DictReader(open(f"{d}/kpis.csv")))
nps = [float(r["nps"]) for r in rows]
for e in root.iter():
    if local(e) == "polyline" and e.get("points"):
        assert len(e.get("points").split()) <= 2000, len(e.get("points").split())
svg = [e for e in root.iter() if local(e) == "svg" and e.get("id") == "chart-nps"][0]
s = {k: float(svg.get("data-" + k)) for k in ("ymin", "ymax", "py0", "py1", "px1")}
line = [e for e in svg.iter() if local(e) == "polyline" and e.get("data-series") == "nps"][0]
pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
assert 500 < len(pts) < len(rows), len(pts)
px = lambda v: s["py1"] - (v - s["ymin"]) / (s["ymax"] - s["ymin"]) * (s["py1"] - s["py0"])
assert abs(min(y for _, y in pts) - px(max(nps))) <= 0.5      # highest NPS kept
assert abs(max(y for _, y in pts) - px(min(nps))) <= 0.5      # lowest NPS kept
assert abs(pts[-1][1] - px(nps[-1])) <= 0.5 and abs(pts[-1][0] - s["px1"]) <= 0.5
PY

# ---- bad arguments and directories ----------------------------------------
mkdir "$T/empty"
rc=0
"$CXSIM" report "$T/empty" >/dev/null 2>"$T/err" || rc=$?
expect_eq "exit status for an empty directory" "$rc" 2
grep -q "neither a run directory" "$T/err" || { cat "$T/err"; fail "no reason for an empty directory"; }
[ ! -e "$T/empty/report.html" ] || fail "a report was written for an empty directory"
rc=0
"$CXSIM" report "$T/does-not-exist" >/dev/null 2>"$T/err" || rc=$?
expect_eq "exit status for a missing directory" "$rc" 2
grep -q "does-not-exist" "$T/err" || { cat "$T/err"; fail "no reason for a missing directory"; }
rc=0
"$CXSIM" report >/dev/null 2>&1 || rc=$?
expect_eq "exit status without DIR" "$rc" 2
rc=0
"$CXSIM" report "$R" --bogus >/dev/null 2>&1 || rc=$?
expect_eq "exit status for an unknown option" "$rc" 2
rc=0
"$CXSIM" report "$R" --out "$T/no/such/dir/r.html" >/dev/null 2>"$T/err" || rc=$?
expect_eq "exit status for an unwritable output" "$rc" 1
grep -q "cannot write" "$T/err" || { cat "$T/err"; fail "no reason for an unwritable output"; }
mkdir "$T/broken" && printf 'tick,nps\n0,1\n' >"$T/broken/kpis.csv"
rc=0
"$CXSIM" report "$T/broken" >/dev/null 2>"$T/err" || rc=$?
expect_eq "exit status for an unreadable run directory" "$rc" 1
[ -s "$T/err" ] || fail "no reason for an unreadable run directory"

# ---- a compare directory ---------------------------------------------------
C=$T/cmp
"$CXSIM" compare "$BASELINE" "${EXP_SMALL[@]}" --ticks 40 --replicates 3 --jobs 2 --quiet \
    --set-scenario 'timeline=[{at: 2, event: maturity, department: it, to: 4, over: 10, cost: 2000}]' \
    --out "$C" >"$T/cmp.out" 2>&1 || { cat "$T/cmp.out"; fail "compare failed"; }
out=$("$CXSIM" report "$C") || fail "report of a comparison failed"
expect_eq "printed path" "$out" "$C/report.html"
"$CXSIM" report "$C" --out "$T/cmp-again.html" >/dev/null || fail "second compare report failed"
cmp "$C/report.html" "$T/cmp-again.html" || fail "the same comparison gave another report"

"$PY" - "$C" <<'PY' || fail "compare report does not match compare.db, compare.csv, payback.csv"
import csv, math, sqlite3, statistics, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag): return [e for e in root.iter() if local(e) == tag]
def text(e): return "".join(e.itertext())
T975 = {2: 4.302652730}                      # Student t, 0.975 quantile, 2 degrees of freedom

svgs = {s.get("id"): s for s in all_("svg")}
assert list(svgs) == ["cmp-nps", "cmp-churn", "cmp-revenue", "cmp-customers", "delta-nps",
                      "delta-cumulative-revenue", "payback"], list(svgs)
def bands(svg): return [e for e in svg.iter() if local(e) == "polygon" and e.get("class") == "band"]
for k in ("cmp-nps", "cmp-churn", "cmp-revenue", "cmp-customers"):
    assert sorted(b.get("data-series") for b in bands(svgs[k])) == ["baseline", "scenario"], k
for k in ("delta-nps", "delta-cumulative-revenue"):
    assert len(bands(svgs[k])) == 1, k

# The scenario's final mean NPS and its band, against compare.db.
con = sqlite3.connect(f"{d}/compare.db")
pts = dict(con.execute("SELECT label, point FROM points"))
def finals(label, col):
    return [v for (v,) in con.execute(
        f"SELECT k.{col} FROM runs r JOIN kpis k ON k.run_id = r.run_id WHERE r.point = ? "
        "AND k.tick = (SELECT MAX(tick) FROM kpis WHERE run_id = r.run_id) ORDER BY r.replicate",
        (pts[label],))]
v = finals("scenario", "nps")
mean = statistics.mean(v)
half = T975[len(v) - 1] * statistics.stdev(v) / math.sqrt(len(v))
svg = svgs["cmp-nps"]
s = {k: float(svg.get("data-" + k)) for k in ("ymin", "ymax", "py0", "py1")}
px = lambda v: s["py1"] - (v - s["ymin"]) / (s["ymax"] - s["ymin"]) * (s["py1"] - s["py0"])
line = [e for e in svg.iter() if local(e) == "polyline" and e.get("data-series") == "scenario"][0]
last = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
assert len(last) == 40, len(last)
assert abs(last[-1][1] - px(mean)) <= 0.5, (last[-1], px(mean))
band = [b for b in bands(svg) if b.get("data-series") == "scenario"][0]
bp = [tuple(map(float, p.split(","))) for p in band.get("points").split()]
assert len(bp) == 80
assert abs(bp[39][1] - px(mean + half)) <= 0.5, (bp[39], px(mean + half))   # upper edge, last tick
assert abs(bp[40][1] - px(mean - half)) <= 0.5, (bp[40], px(mean - half))   # lower edge, last tick

# Final-KPI table: the NPS delta as compare.csv has it.
rows = {r["kpi"]: r for r in csv.DictReader(open(f"{d}/compare.csv"))}
tr = [e for e in all_("tr") if e.get("id") == "kpi-nps"][0]
delta = [td for td in tr if "delta" in (td.get("class") or "").split()][0]
assert delta.get("data-value") == rows["nps"]["delta_mean"], (delta.get("data-value"), rows["nps"])
shown = delta.text
dec = len(shown.split(".")[1]) if "." in shown else 0
assert abs(float(shown) - float(rows["nps"]["delta_mean"])) <= 0.5 * 10 ** -dec + 1e-12, shown
assert len([e for e in all_("tr") if (e.get("id") or "").startswith("kpi-")]) == len(rows)

# Payback: the marker sits at the tick where payback.csv's net turns >= 0 for good.
net = [(int(r["tick"]), float(r["net_mean"])) for r in csv.DictReader(open(f"{d}/payback.csv"))]
i = len(net) - 1
assert net[-1][1] >= 0, "the cheap project should pay back"
while i > 0 and net[i - 1][1] >= 0:
    i -= 1
marks = [g for g in svgs["payback"].iter() if local(g) == "g" and g.get("class") == "marker"]
assert len(marks) == 1 and float(marks[0].get("data-x")) == net[i][0], (net[i], marks)
assert text(marks[0]).strip() == f"payback t={net[i][0]}", text(marks[0])
# The scenario's event (not the baseline's) is marked on the time charts.
m = [g for g in svgs["cmp-nps"].iter() if local(g) == "g" and g.get("class") == "marker"]
assert len(m) == 1 and text(m[0]).strip() == "t=2 it\u21924", [text(g) for g in m]
PY
echo "compare report: ok ($(wc -c <"$C/report.html") bytes)"
echo ok
