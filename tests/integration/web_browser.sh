#!/usr/bin/env bash
# cxsim-web's page in a real browser: headless Chromium (Debian's chromium,
# driven over the DevTools protocol by web_browser.py) loads the page of a
# paced run after live changes made with `cxsim ctl` (and one tick stepped),
# and the rendered DOM must show the charts with data, the departments'
# maturity chart, the do-nothing line, the change labels without overlap,
# the current state in the controls, room-sized text and ticks, four charts
# within 1024x768, and a 1024x768 screenshot; then the same page loaded
# right after the run's end must show all of its rows, "finished" and
# disabled clock buttons, as must a second server started on the finished
# run's files; the do-nothing replay equals the run until its first change.
# Where Chromium cannot start, exit 77 (skipped), saying why.
. "$(dirname "$0")/lib.sh"

WEB="$(dirname "$CXSIM")/cxsim-web"
PY=/usr/bin/python3 # Debian's, which sees Debian's python3-websocket
DRIVER="$(dirname "$0")/web_browser.py"
[ -x "$WEB" ] || fail "no cxsim-web beside $CXSIM"
if ! command -v chromium >/dev/null; then
    echo "SKIP: no chromium (scripts/setup installs Debian's chromium for this test)" >&2
    exit 77
fi
"$PY" -c "import websocket" 2>/dev/null || {
    echo "SKIP: no python3-websocket (scripts/setup installs it)" >&2
    exit 77
}
TICKS=120
start_session run "$BASELINE" "${SMALL[@]}" --ticks "$TICKS" --tick-ms 100 --paused --quiet \
    --out "$T/run"
for _ in $(seq 1 300); do
    [ -f "$T/run/live.endpoints" ] && break
    kill -0 "$LPID" 2>/dev/null || fail "the run ended before it could be watched"
    sleep 0.05
done
[ -f "$T/run/live.endpoints" ] || fail "no live.endpoints"

: >"$T/web.out"
"$WEB" "$T/run" --listen 0 >"$T/web.out" 2>"$T/web.err" &
WPID=$!
trap 'kill -TERM "$WPID" 2>/dev/null || true; lib_cleanup' EXIT
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/web.out" || true)
    [ -n "$URL" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web exited at start"; }
    sleep 0.05
done
[ -n "$URL" ] || fail "cxsim-web printed no URL"

# Step: one tick while paused, then the clock holds again.
reply=$("$CXSIM" ctl "$T/run" step) || fail "step refused: $reply"
[ "$reply" = "tick 0, then paused" ] || fail "step answered '$reply'"
for _ in $(seq 1 200); do
    [ "$(rows "$T/run/kpis.csv")" -ge 1 ] && break
    sleep 0.05
done
sleep 0.5 # time for a second tick, which must not come
[ "$(rows "$T/run/kpis.csv")" -eq 1 ] || fail "step ran $(rows "$T/run/kpis.csv") ticks, not 1"
"$CXSIM" ctl "$T/run" status >"$T/status" || fail "no status"
grep -qx "next_tick=1" "$T/status" && grep -qx "state=paused" "$T/status" ||
    fail "after a step the run is not paused before tick 1: $(head -3 "$T/status")"

# Live changes from the terminal, which the page must show as the current state.
"$CXSIM" ctl "$T/run" set company.cx_owner=cx_team >/dev/null || fail "cx_owner refused"
"$CXSIM" ctl "$T/run" set departments.it.maturity=4 --over 10 >/dev/null || fail "maturity refused"
"$CXSIM" ctl "$T/run" set departments.it.staff=14 >/dev/null || fail "staff refused"
"$CXSIM" ctl "$T/run" resume >/dev/null || fail "resume refused"
for _ in $(seq 1 300); do
    [ "$(rows "$T/run/kpis.csv")" -ge 15 ] && break
    sleep 0.05
done

browse() { # browse OUT.json SHOT.png [--expect-ended]
    set +e
    "$PY" "$DRIVER" "$URL" "$@" --timeout 60
    local rc=$?
    set -e
    [ "$rc" -eq 77 ] && exit 77 # said why on stderr
    [ "$rc" -eq 0 ] || fail "the browser did not show the page (driver exit $rc)"
}
browse "$T/live.json" "$T/live.png"
"$PY" - "$T/live.json" "$T/live.png" live <<'PYEOF' || fail "the live page: see above"
import json, struct, sys
m = json.load(open(sys.argv[1]))
png = open(sys.argv[2], "rb").read()
bad = []
def check(ok, what):
    if not ok:
        bad.append(what)
charts = {c["id"]: c for c in m["charts"]}
check("running" in m["status"] or "paused" in m["status"], "status: " + m["status"])
nps, mat = charts.get("chart-nps"), charts.get("chart-maturity")
check(nps and nps["series"] and nps["series"][0] >= 10, "the NPS chart has no data: %s" % nps)
check(nps and nps["shadow"] and nps["shadow"][0] >= 10, "no do-nothing line on the NPS chart")
check(mat and sorted(mat["depts"]) == sorted(["marketing", "sales", "logistics", "customer_service",
      "product", "it"]), "the maturity chart's departments: %s" % (mat and mat["depts"]))
check(m["owner"] == "cx_team" and "cx_team" in m["owner_now"], "the owner shown: %s / %s" % (m["owner"], m["owner_now"]))
it = [r for r in m["dept_now"] if r[0] == "it"]
check(it and it[0][2] == "4" and it[0][3] == "14", "it's target and staff shown: %s" % it)
labels = [l["text"] for c in m["charts"] for l in c["labels"]]
check(any(l.startswith("cx_team owns CX") for l in labels), "no 'cx_team owns CX' label: %s" % labels)
check(any(l.startswith("it → 4") for l in labels), "no 'it → 4' label: %s" % labels)
for c in m["charts"]:
    check(c["font"] >= 16, "%s: axis text of %s px" % (c["id"], c["font"]))
    check(4 <= c["ylabels"] <= 5 and c["grid"] == c["ylabels"], "%s: %d y ticks, %d gridlines" % (c["id"], c["ylabels"], c["grid"]))
    check(c["xunit"] in ("days", "months"), "%s: x axis unit '%s'" % (c["id"], c["xunit"]))
    check(not c["title_cut"], "%s: its title '%s' is cut at 1024 px" % (c["id"], c["title"]))
    check(c["plot_height"] >= 0.6 * c["height"], "%s: a plot of %d px in a card of %d px" % (c["id"], c["plot_height"], c["height"]))
    ls = c["labels"]
    for i in range(len(ls)):
        for j in range(i + 1, len(ls)):
            a, b = ls[i], ls[j]
            check(a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or
                  a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"],
                  "%s: labels '%s' and '%s' overlap" % (c["id"], a["text"], b["text"]))
check(m["visible"] >= 4, "%d charts wholly visible at %s" % (m["visible"], m["viewport"]))
w, h = struct.unpack(">II", png[16:24])
check(png[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == (1024, 768), "screenshot %dx%d" % (w, h))
for b in bad:
    print("FAIL: %s page: %s" % (sys.argv[3], b), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# The rest at full speed; the page loaded just after the end shows it all.
"$CXSIM" ctl "$T/run" pace 0 >/dev/null || fail "pace refused"
wait_exit "$LPID" 120
[ "$RC" -eq 0 ] || fail "the run failed (exit $RC): $(cat "$T/launcher.err")"
browse "$T/end.json" "$T/end.png" --expect-ended
"$PY" - "$T/end.json" "$TICKS" <<'PYEOF' || fail "the page after the run: see above"
import json, sys
m = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
charts = {c["id"]: c for c in m["charts"]}
bad = []
if "finished" not in m["status"]:
    bad.append("status: " + m["status"])
if not all(m["disabled"][k] for k in ("pause", "step", "stop")):
    bad.append("clock buttons still enabled: %s" % m["disabled"])
if charts["chart-nps"]["series"] != [n]:
    bad.append("NPS drawn with %s points, not %d" % (charts["chart-nps"]["series"], n))
if charts["chart-nps"]["shadow"] != [n]:
    bad.append("do-nothing line of %s points, not %d" % (charts["chart-nps"]["shadow"], n))
if charts["chart-maturity"]["series"] != [n] * 6:
    bad.append("maturity lines of %s points" % charts["chart-maturity"]["series"])
for b in bad:
    print("FAIL: ended page: %s" % b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
# The do-nothing replay: the run's scenario and seed without its live
# changes, the same rows as the run before the first change (tick 1), and
# not after it.
for _ in $(seq 1 200); do
    [ -f "$T/run/shadow/summary.json" ] && break
    sleep 0.1
done
[ "$(rows "$T/run/shadow/kpis.csv")" -eq "$TICKS" ] || fail "the replay has not every tick"
[ "$(sed -n 2p "$T/run/kpis.csv")" = "$(sed -n 2p "$T/run/shadow/kpis.csv")" ] ||
    fail "the replay differs from the run before the first change"
[ "$(tail -n 1 "$T/run/kpis.csv")" != "$(tail -n 1 "$T/run/shadow/kpis.csv")" ] ||
    fail "the replay took the live changes too"
grep -q "owner: cx_team" "$T/run/scenario.resolved.yaml" &&
    ! grep -q "owner: cx_team" "$T/run/scenario.planned.yaml" ||
    fail "scenario.planned.yaml is not the scenario before the live changes"
# A server started after the run's end reads it all from the files
# (departments.csv for the maturities).
kill -TERM "$WPID"
wait_exit "$WPID" 10
[ "$RC" -eq 0 ] || fail "cxsim-web exited $RC on SIGTERM"
: >"$T/web.out"
"$WEB" "$T/run" --listen 0 >"$T/web.out" 2>>"$T/web.err" &
WPID=$!
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/web.out" || true)
    [ -n "$URL" ] && break
    sleep 0.05
done
[ -n "$URL" ] || fail "the second cxsim-web printed no URL"
browse "$T/files.json" "$T/files.png" --expect-ended
"$PY" - "$T/files.json" "$TICKS" <<'PYEOF' || fail "the page of a finished run's files: see above"
import json, sys
m = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
charts = {c["id"]: c for c in m["charts"]}
ok = charts["chart-maturity"]["series"] == [n] * 6 and charts["chart-nps"]["series"] == [n]
ok = ok and m["owner"] == "cx_team" and "finished" in m["status"]
if not ok:
    print("FAIL: from the files: %s %s %s" % (charts["chart-maturity"]["series"], m["owner"], m["status"]), file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF

kill -TERM "$WPID"
wait_exit "$WPID" 10
[ "$RC" -eq 0 ] || fail "cxsim-web exited $RC on SIGTERM"
! grep -q "Sanitizer\|runtime error" "$T/web.err" || { cat "$T/web.err" >&2; fail "sanitizer report"; }
echo "web_browser: ok"
