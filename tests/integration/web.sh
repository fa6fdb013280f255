#!/usr/bin/env bash
# cxsim-web: the trainers' live page over a real paced run. The page and its
# API answer, changes go through to the run (and a typo is refused with the
# loader's "did you mean"), rows stream as Server-Sent Events, the rows
# served after the run equal kpis.csv, hostile requests are refused without
# harm, and SIGTERM ends the server cleanly (exit 0: under ASan, no leak).
. "$(dirname "$0")/lib.sh"

WEB="$(dirname "$CXSIM")/cxsim-web"
[ -x "$WEB" ] || fail "no cxsim-web beside $CXSIM"
command -v curl >/dev/null || fail "curl is needed (scripts/setup installs it)"

start_session run "$BASELINE" "${SMALL[@]}" --ticks 200 --tick-ms 10 --quiet --out "$T/run"
for _ in $(seq 1 300); do
    [ -f "$T/run/live.endpoints" ] && [ "$(rows "$T/run/kpis.csv" 2>/dev/null || echo 0)" -ge 5 ] && break
    kill -0 "$LPID" 2>/dev/null || fail "the run ended before it could be watched"
    sleep 0.02
done
[ -f "$T/run/live.endpoints" ] || fail "no live.endpoints"
# Held still while the page is checked, so that a slow (sanitized) build
# cannot miss the run; the page itself pauses and resumes it below. The
# ticks already published reach cxsim-web through kpis.csv.
"$CXSIM" ctl "$T/run" pause >/dev/null || fail "cannot pause the run"

: >"$T/web.out" # exists before the server's shell opens it: the loop below reads it at once
"$WEB" "$T/run" --listen 0 >"$T/web.out" 2>"$T/web.err" &
WPID=$!
stop_web() { kill -TERM "$WPID" 2>/dev/null || true; }
trap 'stop_web; lib_cleanup' EXIT
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/web.out" || true)
    [ -n "$URL" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web exited at start"; }
    sleep 0.05
done
[ -n "$URL" ] || fail "cxsim-web printed no URL: $(cat "$T/web.out")"

# GET: the page (with the scenario's name) and the scenario.
code=$(curl -s -o "$T/page" -w '%{http_code} %{content_type}' "$URL")
[[ "$code" == "200 text/html"* ]] || fail "GET / answered $code"
grep -q "<title>cxsim live: baseline</title>" "$T/page" || fail "the page does not name the scenario"
grep -q "EventSource" "$T/page" && ! grep -qi "<script src\|<link" "$T/page" ||
    fail "the page is not self-contained"
curl -sf "${URL}api/scenario" >"$T/scenario.json" || fail "GET /api/scenario failed"
python3 - "$T/scenario.json" <<'EOF' || fail "unexpected /api/scenario: $(cat "$T/scenario.json")"
import json, sys
sc = json.load(open(sys.argv[1]))
ids = [d["id"] for d in sc["departments"]]
assert sc["name"] == "baseline" and sc["ticks"] == 200, sc
assert ids == ["marketing", "sales", "logistics", "customer_service", "product", "it"], ids
assert all(d["maturity"] == 2 for d in sc["departments"])
assert sc["cx_owner"] == "none" and sc["governance"] == "centralised"
EOF

# POST /api/command: JSON {"verb", "value"[, "over", "cost", "at"]}.
post() { # body [content type] -> HTTP code; the answer in $T/resp
    curl -s -o "$T/resp" -w '%{http_code}' -X POST -H "Content-Type: ${2:-application/json}" \
        --data-binary "$1" "${URL}api/command" || true
}
expect() { # code pattern body [content type]
    local want=$1 pat=$2
    shift 2
    local got
    got=$(post "$@")
    [ "$got" = "$want" ] && grep -q -- "$pat" "$T/resp" ||
        fail "POST $1: expected $want and '$pat', got $got $(cat "$T/resp")"
}
expect 200 '"ok":true,"message":"next_tick=.* state=paused' '{"verb": "status"}'
expect 200 '"ok":true,"message":"running' '{"verb": "resume"}'
expect 200 '"ok":true,"message":"paused before tick' '{"verb": "pause"}'
expect 200 '"ok":true,"message":"at tick [0-9]*: cx_team owns CX' \
    '{"verb": "set", "value": "company.cx_owner=cx_team"}'
expect 200 '"ok":true,"message":"at tick [0-9]*: it moves to maturity 4 over 5 ticks' \
    '{"verb": "set", "value": "departments.it.maturity=4", "over": 5, "cost": "1000"}'
expect 200 "\"ok\":false,.*did you mean 'it'" \
    '{"verb": "set", "value": "departments.itt.maturity=4"}'
expect 200 '"ok":false,.*cannot be changed while a run goes on' '{"verb":"set","value":"seed=3"}'
expect 200 '"ok":false,.*expected milliseconds' '{"verb": "pace", "value": "-5"}'
expect 400 '"ok":false' 'garbage'
expect 400 '"ok":false' '{"verb": "status"' # unterminated
expect 400 'unknown member' '{"verb": "status", "extra": 1}'
expect 400 'given twice' '{"verb": "status", "verb": "stop"}'
expect 400 'NUL' '{"verb": "st\u0000op"}'
expect 400 'unknown verb' '{"verb": "frobnicate"}'
expect 400 'Content-Type' '{"verb": "status"}' 'text/plain'
# The changes taken are listed with their tick.
curl -sf "${URL}api/scenario" >"$T/scenario2.json" || fail "GET /api/scenario failed"
grep -q '"changes":\[{"tick":[0-9]*,"text":"at tick [0-9]*: cx_team owns CX"}' "$T/scenario2.json" ||
    fail "/api/scenario does not list the change taken: $(cat "$T/scenario2.json")"
# The KPI table (models/cx_kpi_cols.c) that the page takes its chart titles from.
grep -q '"kpis":\[{"name":"tick","label":"Tick","unit":"tick"},' "$T/scenario2.json" &&
    grep -q '{"name":"churn_rate","label":"Churn rate","unit":"% of customers per tick"}' \
        "$T/scenario2.json" || fail "/api/scenario has no KPI table: $(cat "$T/scenario2.json")"
# A change taken by another client (cxsim ctl) reaches the page's timeline.
"$CXSIM" ctl "$T/run" set company.governance=hybrid >/dev/null || fail "ctl could not change the governance"
curl -sf "${URL}api/scenario" >"$T/scenario2b.json" || fail "GET /api/scenario failed"
grep -q '"timeline":\[.*"text":"at tick [0-9]*: governance becomes hybrid"' "$T/scenario2b.json" ||
    fail "/api/scenario's timeline lacks the change made with cxsim ctl: $(cat "$T/scenario2b.json")"

# Hostile HTTP: a 1 MB body (declared, then chunked), a foreign Host, odd
# paths and methods; the server goes on answering.
head -c 1048576 /dev/zero | tr '\0' 'a' >"$T/big"
for hdr in "X-Big: declared" "Transfer-Encoding: chunked"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Content-Type: application/json" \
        -H "$hdr" --data-binary @"$T/big" "${URL}api/command" || true)
    [ "$code" = 413 ] || [ "$code" = 400 ] || fail "a 1 MB body ($hdr) got $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example" "${URL}api/scenario")
[ "$code" = 403 ] || fail "a foreign Host header got $code"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${URL}nope")" = 404 ] || fail "GET /nope is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/rows?since=x")" = 400 ] ||
    fail "a bad since is not 400"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "${URL}api/rows")" = 405 ] ||
    fail "DELETE is not refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" = 200 ] || fail "the server stopped answering"

# Rows as they come: Server-Sent Events once the run goes on.
expect 200 '"ok":true' '{"verb": "resume"}'
# Read until the third row arrives, not for a fixed time: 60 s only guards a
# hang (a quiet machine needs well under a second, one under 4x load a few).
curl -s -N --max-time 60 "${URL}api/events" |
    awk '{ print } /^data: {"tick":/ { n++ } n >= 3 { exit }' >"$T/events" || true
n=$(grep -c '^data: {"tick":' "$T/events" || true)
[ "$n" -ge 3 ] || fail "/api/events gave $n rows in 60 s: $(head -c 400 "$T/events")"

wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the run exited $RC"; }
assert_no_leftovers "$LPID"
kill -0 "$WPID" 2>/dev/null || fail "cxsim-web did not outlive the run"

# After the run: every row, equal to kpis.csv; the stream ends with `end`.
for _ in $(seq 1 50); do
    curl -sf "${URL}api/scenario" >"$T/scenario3.json" || true
    grep -q '"run":{"ended":true,"status":"completed"' "$T/scenario3.json" && break
    sleep 0.1
done
grep -q '"run":{"ended":true,"status":"completed"' "$T/scenario3.json" ||
    fail "cxsim-web does not say the run completed: $(cat "$T/scenario3.json")"
curl -sf "${URL}api/rows?since=0" >"$T/rows.json" || fail "GET /api/rows failed"
python3 - "$T/rows.json" "$T/run/kpis.csv" <<'EOF' || fail "/api/rows does not match kpis.csv"
import csv, json, sys
rows = json.load(open(sys.argv[1]))
kpis = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 200 == len(kpis), (len(rows), len(kpis))
for r, k in zip(rows, kpis):
    assert r["tick"] == int(k["tick"]), (r["tick"], k["tick"])
    for col, text in k.items():
        want = float(text)
        assert abs(r[col] - want) <= 1e-6 * max(1.0, abs(want)), (r["tick"], col, r[col], want)
EOF
curl -sf "${URL}api/rows?since=150" >"$T/rows150.json" || fail "GET /api/rows?since=150 failed"
[ "$(grep -o '"tick"' "$T/rows150.json" | wc -l)" -eq 50 ] ||
    fail "/api/rows?since=150 does not hold 50 rows"
curl -s -N --max-time 5 "${URL}api/events?since=195" >"$T/events-end" || true
[ "$(grep -c '^data: {"tick":' "$T/events-end")" -eq 5 ] && grep -q '^event: end$' "$T/events-end" ||
    fail "/api/events after the run: $(cat "$T/events-end")"
grep -q "owner: cx_team" "$T/run/scenario.resolved.yaml" ||
    fail "the change made on the page is not in scenario.resolved.yaml"
[ "$(post '{"verb": "status"}')" = 502 ] || fail "a command to a finished run is not 502"

kill -TERM "$WPID"
wait_exit "$WPID" 10
[ "$RC" -eq 0 ] || { cat "$T/web.err" >&2; fail "cxsim-web exited $RC on SIGTERM"; }
! grep -q "Sanitizer\|runtime error" "$T/web.err" || { cat "$T/web.err" >&2; fail "sanitizer report"; }
trap lib_cleanup EXIT
echo ok
