#!/usr/bin/env bash
# cxsim report on a sweep directory: the page is well-formed XML (Python's
# xml.etree) with one table row per grid point whose means and CI
# half-widths are summary.csv's, error-bar charts with one point per swept
# value mapping back (through the data-* scale) to the mean, one NPS band
# per grid point over time, and byte-identical output on a second call. A
# sweep of two parameters gets one line per value of the second, with a
# legend.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# ---- one swept parameter: 3 values x 3 replicates --------------------------
S=$T/sweep1
"$CXSIM" sweep "$BASELINE" --set departments.it.maturity=1,3,5 "${EXP_SMALL[@]}" --ticks 15 \
    --replicates 3 --jobs 2 --out "$S" --quiet >"$T/s1.out" 2>&1 || { cat "$T/s1.out"; fail "sweep failed"; }
out=$("$CXSIM" report "$S") || fail "report of a sweep failed"
expect_eq "printed path" "$out" "$S/report.html"
"$CXSIM" report "$S" --out "$T/again.html" >/dev/null || fail "second sweep report failed"
cmp "$S/report.html" "$T/again.html" || fail "the same sweep gave another report"
! grep -qF "$T" "$S/report.html" || fail "the report holds an absolute path"
! grep -Eiq '<script|<img|<link|src=|href=|url\(|@import' "$S/report.html" \
    || fail "the report refers to something outside itself"

"$PY" - "$S" <<'PY' || fail "sweep report does not match summary.csv"
import csv, math, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
root = ET.parse(f"{d}/report.html").getroot()          # well-formed, or this raises
def local(e): return e.tag.rsplit("}", 1)[-1]
def all_(tag): return [e for e in root.iter() if local(e) == tag]
def text(e): return "".join(e.itertext())
summary = {r["point"]: r for r in csv.DictReader(open(f"{d}/summary.csv"))}
KEY = "departments.it.maturity"

assert "baseline" in text(all_("h1")[0])
runs = [e for e in all_("tr") if e.get("id") == "runs"][0]
assert (runs.get("data-completed"), runs.get("data-failed")) == ("9", "0"), runs.attrib
swept = [e for e in all_("tr") if e.get("class") == "swept"]
assert len(swept) == 1 and KEY in text(swept[0]) and "1, 3, 5" in text(swept[0]), [text(e) for e in swept]

# The table: one row per grid point, each mean and CI as summary.csv has it.
# The contract of a cell (cli/cx_exp_summary.h), checked on the text rather
# than by formatting again: "M ± H", both with the same decimals, each the
# value rounded to them, and as many decimals as the half-width's second
# significant digit needs, at most 4.
def check_ci(cell, mean, half):
    m, h = cell.split(" \u00b1 ")
    dec = len(m.split(".")[1]) if "." in m else 0
    assert dec == (len(h.split(".")[1]) if "." in h else 0) and dec <= 4, cell
    step = 10.0 ** -dec
    assert abs(float(m) - mean) <= step / 2 + 1e-9 * abs(mean), (cell, mean)
    assert abs(float(h) - half) <= step / 2 + 1e-9 * abs(mean), (cell, half)
    if half > 1e-9 * abs(mean):
        second = 1 - math.floor(math.log10(half))  # decimals that show 2 significant digits
        assert dec == min(4, max(0, second)), (cell, half, dec)
rows = [e for e in all_("tr") if e.get("class") == "point"]
assert len(rows) == 3 == len(summary), (len(rows), len(summary))
checked = 0
for tr in rows:
    s = summary[tr.get("data-point")]
    tds = list(tr)
    assert tds[1].text == s[KEY] and tds[2].text == s["n"] == "3", (tds[1].text, s[KEY], tds[2].text)
    for td in tds[3:]:
        k = td.get("data-kpi")
        assert td.get("data-mean") == s[f"{k}_mean"], (k, td.get("data-mean"), s[f"{k}_mean"])
        assert td.get("data-low") == s[f"{k}_ci_low"] and td.get("data-high") == s[f"{k}_ci_high"], k
        mean, lo, hi = (float(s[f"{k}_{c}"]) for c in ("mean", "ci_low", "ci_high"))
        half = float(td.get("data-half"))
        assert abs(half - (hi - lo) / 2) <= 1e-8 * max(1, abs(mean)), (k, half, lo, hi)
        assert abs(mean - half - lo) <= 1e-8 * max(1, abs(mean)), (k, mean, half, lo)
        check_ci(td.text, mean, half)
        checked += 1
assert checked >= 3 * 5, checked

# Error-bar charts: one point per swept value, its y the mean within half a pixel.
svgs = {s.get("id"): s for s in all_("svg")}
assert list(svgs) == ["sweep-nps", "sweep-churn", "sweep-customers", "sweep-total-revenue",
                      "sweep-nps-ticks"], list(svgs)
# The sweep has the default window: the per-tick KPIs as their window means.
for sid, k in (("sweep-nps", "window_nps"), ("sweep-churn", "window_churn_rate"),
               ("sweep-customers", "window_customers"), ("sweep-total-revenue", "total_revenue")):
    svg = svgs[sid]
    sc = {a: float(svg.get("data-" + a)) for a in
          ("xmin", "xmax", "ymin", "ymax", "px0", "px1", "py0", "py1")}
    per_px = (sc["ymax"] - sc["ymin"]) / (sc["py1"] - sc["py0"])
    pts = [e for e in svg.iter() if local(e) == "circle" and e.get("class") == "point"]
    bars = [e for e in svg.iter() if local(e) == "path" and e.get("class") == "errorbar"]
    assert len(pts) == 3 and len(bars) == 3, (sid, len(pts), len(bars))
    for c, v in zip(pts, ("1", "3", "5")):
        s = [r for r in summary.values() if r[KEY] == v][0]
        x = sc["xmin"] + (float(c.get("cx")) - sc["px0"]) / (sc["px1"] - sc["px0"]) * (sc["xmax"] - sc["xmin"])
        assert abs(x - float(v)) <= 0.5 * (sc["xmax"] - sc["xmin"]) / (sc["px1"] - sc["px0"]), (sid, x, v)
        y = sc["ymin"] + (sc["py1"] - float(c.get("cy"))) * per_px
        assert abs(y - float(s[f"{k}_mean"])) <= 0.5 * per_px, (sid, v, y, s[f"{k}_mean"])

# Trajectories: one band and one line per grid point.
tr = svgs["sweep-nps-ticks"]
bands = [e for e in tr.iter() if local(e) == "polygon" and e.get("class") == "band"]
lines = [e for e in tr.iter() if local(e) == "polyline" and e.get("data-series")]
assert len(bands) == 3 and len({b.get("data-series") for b in bands}) == 3, len(bands)
assert len(lines) == 3 and all(len(l.get("points").split()) == 15 for l in lines)
for e in root.iter():
    if local(e) == "polyline" and e.get("points"):
        assert len(e.get("points").split()) <= 2000
PY
# The table is never clipped: on screen it scrolls inside its own box, on
# paper the box lets it through at the page's width; long headers can wrap.
grep -q '<div class="scroll">' "$S/report.html" && grep -q '<table class="kpis wide" id="points">' "$S/report.html" ||
    fail "the point table is not in its scrolling box"
grep -q '@media print{body{max-width:none;padding:0}div.scroll{overflow:visible}' "$S/report.html" ||
    fail "printing would clip the table"
grep -q '<th class="num" data-kpi="window_churn_rate">window_<wbr/>churn_<wbr/>rate</th>' "$S/report.html" ||
    fail "long headers cannot wrap"
echo "sweep report (1 parameter): ok ($(wc -c <"$S/report.html") bytes)"

# ---- two swept parameters: 2 x 2, 2 replicates -----------------------------
S2=$T/sweep2
"$CXSIM" sweep "$BASELINE" --set departments.it.maturity=1,5 --set company.cx_owner=none,marketing \
    "${EXP_SMALL[@]}" --ticks 10 --replicates 2 --jobs 2 --out "$S2" --quiet >"$T/s2.out" 2>&1 \
    || { cat "$T/s2.out"; fail "2 x 2 sweep failed"; }
"$CXSIM" report "$S2" >/dev/null || fail "report of a 2 x 2 sweep failed"
"$PY" - "$S2" <<'PY' || fail "2 x 2 sweep report is not as expected"
import sys, xml.etree.ElementTree as ET
root = ET.parse(f"{sys.argv[1]}/report.html").getroot()
def local(e): return e.tag.rsplit("}", 1)[-1]
svg = [e for e in root.iter() if local(e) == "svg" and e.get("id") == "sweep-nps"][0]
legend = [g for g in svg.iter() if local(g) == "g" and g.get("class") == "legend"]
assert len(legend) == 1
entries = ["".join(t.itertext()) for t in legend[0] if local(t) == "text"]
assert entries == ["company.cx_owner=none", "company.cx_owner=marketing"], entries
series = {e.get("data-series") for e in svg.iter() if local(e) == "circle"}
assert len(series) == 2, series
assert len([e for e in svg.iter() if local(e) == "circle"]) == 4
rows = [e for e in root.iter() if local(e) == "tr" and e.get("class") == "point"]
assert len(rows) == 4, len(rows)
tr = [e for e in root.iter() if local(e) == "svg" and e.get("id") == "sweep-nps-ticks"][0]
assert len([e for e in tr.iter() if local(e) == "polygon" and e.get("class") == "band"]) == 4
PY
echo "sweep report (2 parameters): ok"
echo ok
