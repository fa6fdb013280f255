#!/usr/bin/env bash
# cxsim-web --assess FILE serves the self-assessment questionnaire without a
# run, with a real HTTP client (Python's urllib): one form per department of
# the scenario, pre-filled from FILE; a department's form saved changes its
# scores; /scores.txt and the downloaded /scenario.yaml are what `cxsim
# assess` prints and writes for the same answers in a file (the same scoring
# code); bad answers, an unknown department, a wrong method or path and a
# foreign Host header are refused; SIGTERM stops it with exit 0.
. "$(dirname "$0")/lib.sh"
WEB="$(dirname "$CXSIM")/cxsim-web"
A="$CX_SOURCE_DIR/scenarios/assess"

"$WEB" --assess "$A/example-answers.yaml" --listen 0 >"$T/web.out" 2>"$T/web.err" &
WPID=$!
trap 'kill -TERM "$WPID" 2>/dev/null || true; lib_cleanup' EXIT
url=
for _ in $(seq 1 100); do
    url=$(sed -n 's|^cxsim-web: \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$T/web.out" || true)
    [ -n "$url" ] && break
    kill -0 "$WPID" 2>/dev/null || { cat "$T/web.err" >&2; fail "cxsim-web --assess exited at start"; }
    sleep 0.05
done
[ -n "$url" ] || fail "no address printed"

# The same answers as a file: logistics rated anew, cxsim assess on it.
cp "$A/example-answers.yaml" "$T/answers.yaml"
sed -i 's|^questionnaire: questionnaire.yaml|questionnaire: '"$A"'/questionnaire.yaml|; s|^scenario: ../baseline.yaml|scenario: '"$CX_SOURCE_DIR"'/scenarios/baseline.yaml|' "$T/answers.yaml"
sed -i 's|^  logistics: .*$|  logistics:        {strategy: [0, 0, 1, 4, 2], control: [0, 0, 0, 4, 4], tactics: [0, 1, 3, 4, 0]}|' "$T/answers.yaml"
"$CXSIM" assess "$T/answers.yaml" --out "$T/assessed.yaml" >"$T/assess.out" || fail "cxsim assess failed"

python3 - "$url" "$T" <<'PY' || fail "cxsim-web --assess answered wrongly"
import re, sys, urllib.error, urllib.parse, urllib.request
url, t = sys.argv[1], sys.argv[2]

def req(path, data=None, host=None, method=None):
    r = urllib.request.Request(url.rstrip("/") + path, data=data, method=method)
    if host:
        r.add_header("Host", host)
    try:
        with urllib.request.urlopen(r, timeout=10) as f:
            return f.status, f.read().decode(), dict(f.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)

code, page, _ = req("/")
assert code == 200, code
forms = re.findall(r'<form class="dept" method="post" action="/department\?t=">', page)
assert len(forms) == 6, len(forms)
# Pre-filled: marketing's strategy is [1, 3, 3, 1, 0] in the file.
m = page.index('value="marketing"')
sel = re.findall(r'<select name="strategy(\d)">.*?<option selected>(\d)</option>', page[m:m + 20000])[:5]
assert [int(v) for _, v in sel] == [1, 3, 3, 1, 0], sel
code, before, _ = req("/scores.txt")
assert code == 200 and "logistics" in before, (code, before)
ans = {"id": "logistics"}
for axis, vals in (("strategy", [0, 0, 1, 4, 2]), ("control", [0, 0, 0, 4, 4]), ("tactics", [0, 1, 3, 4, 0])):
    for k, v in enumerate(vals):
        ans[f"{axis}{k + 1}"] = str(v)
code, page, _ = req("/department", urllib.parse.urlencode(ans).encode())
assert code == 200 and "saved logistics" in page, (code, page[:300])
code, scores, _ = req("/scores.txt")
printed = open(f"{t}/assess.out").read()
body = lambda s: s.split("\n", 1)[1]  # the first line names the scenario file as given
assert body(scores) != body(before) and body(scores) in printed, (scores, printed)
code, yaml, hdr = req("/scenario.yaml")
assert code == 200 and "attachment" in hdr.get("Content-Disposition", ""), (code, hdr)
# Comments and the description name the answers file as given: left out.
strip = lambda s: [l for l in s.splitlines() if not l.startswith("#") and "answers" not in l and "description" not in l]
assert strip(yaml) == strip(open(f"{t}/assessed.yaml").read()), "the scenario differs from cxsim assess's"
# Refusals.
bad = dict(ans, strategy3="5")
assert req("/department", urllib.parse.urlencode(bad).encode())[0] == 400
assert req("/department", b"id=nobody&strategy1=1")[0] == 400
half = {k: v for k, v in ans.items() if k != "tactics5"}
assert req("/department", urllib.parse.urlencode(half).encode())[0] == 400
assert req("/department")[0] == 405
assert req("/", b"x=1")[0] == 405
assert req("/api/rows")[0] == 404
assert req("/", host="evil.example")[0] == 403
assert req("/company", b"cx_owner=cx_team&governance=hybrid")[0] == 200
assert "cx_owner: cx_team" in req("/scenario.yaml")[1]
assert req("/company", b"cx_owner=nobody")[0] == 400
print("web assess: ok")
PY
kill -TERM "$WPID"
set +e
wait "$WPID"
rc=$?
set -e
[ "$rc" = 0 ] || fail "cxsim-web --assess exited $rc on SIGTERM"
set +e
"$WEB" --assess "$T/nowhere.yaml" --listen 0 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "a missing questionnaire exited $rc"
echo ok
