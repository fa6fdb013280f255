#!/usr/bin/env bash
# touchpoints.csv's pain and delight counts against an independent oracle.
# 1. A tiny scenario computed by hand: four external touchpoints whose
#    pillar scores are fixed (no spread, no reputation effect: 6 + quality),
#    customers whose expectation cannot move (6.0, drift and fall 0). An
#    experience X is a pain point when X < 6 and a delight when X >= 7
#    (docs/MODEL.md, "Pain points and delights"): bad (4) and meh (5.5) are
#    pain every time, fine (6.5) neither, great (8) a delight every time.
# 2. The baseline with customer service down to two people (a backlog, waits
#    and abandons): per tick, the touchpoints' failed hand-offs sum to
#    kpis.csv's; interactions at department touchpoints minus the abandoned
#    ones equal kpis.csv's interactions (served outcomes); what waited was in
#    a backlog at the previous tick's end; pain + delight <= interactions.
. "$(dirname "$0")/lib.sh"

cat >"$T/tiny.yaml" <<'YAML'
name: pain-oracle
seed: 7
ticks: 30
tick: day
company: {cx_owner: none, governance: centralised}
departments:
  - {id: service, maturity: 3, staff: 5, cost_per_staff: 40000}
personas:
  - id: reader
    customers: 400
    journey: talk
    weights: {integrity: 1, resolution: 1, expectations: 1, time_effort: 1, personalisation: 1, empathy: 1}
    expectation: 6.0
journeys:
  - id: talk
    touchpoints:
      - {id: bad,   owner: external, channel: third_party, gap_days: 2, quality: -2}
      - {id: meh,   owner: external, channel: third_party, gap_days: 2, quality: -0.5}
      - {id: fine,  owner: external, channel: third_party, gap_days: 2, quality: 0.5}
      - {id: great, owner: external, channel: third_party, gap_days: 2, quality: 2}
model: {external_spread: 0, reputation_external: 0, external_quality: 6, expectation_drift: 0, expectation_fall: 0}
YAML
"$CXSIM" run "$T/tiny.yaml" --quiet --out "$T/tiny" || fail "the tiny run failed"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 60 --quiet --out "$T/b" \
    --set departments.customer_service.staff=2 || fail "the baseline run failed"

python3 - "$T/tiny" "$T/b" <<'PY' || fail "the pain and delight counts disagree with the oracle"
import collections, csv, sys

tiny, base = sys.argv[1], sys.argv[2]
rows = lambda d, f: list(csv.DictReader(open(f"{d}/{f}")))
bad = []
# (pain, delight) per interaction, by hand: X = 6 + quality against E = 6.
want = {"bad": (1, 0), "meh": (1, 0), "fine": (0, 0), "great": (0, 1)}
total = collections.Counter()
for r in rows(tiny, "touchpoints.csv"):
    n = int(r["interactions"])
    total[r["touchpoint"]] += n
    p, d = want[r["touchpoint"]]
    got = tuple(int(r[k]) for k in ("pain", "delight", "failed_handoffs", "waited", "abandoned"))
    if got != (p * n, d * n, 0, 0, 0):
        bad.append(("tiny", r["tick"], r["touchpoint"], n, got))
if min(total.values()) < 100:
    bad.append(("tiny: too few interactions to test", dict(total)))

K = {int(r["tick"]): r for r in rows(base, "kpis.csv")}
backlog = collections.Counter()
for r in rows(base, "departments.csv"):
    backlog[int(r["tick"])] += float(r["backlog"])
per = collections.defaultdict(collections.Counter)
for r in rows(base, "touchpoints.csv"):
    t, c = int(r["tick"]), per[int(r["tick"])]
    for k in ("failed_handoffs", "waited", "abandoned"):
        c[k] += int(r[k])
    if r["owner"] != "external":
        c["served"] += int(r["interactions"]) - int(r["abandoned"])
    if int(r["pain"]) + int(r["delight"]) > int(r["interactions"]) or int(r["pain"]) < 0:
        bad.append(("counts exceed interactions", r))
for t, k in K.items():
    c = per[t]
    if c["failed_handoffs"] != int(k["failed_handoffs"]):
        bad.append(("failed_handoffs", t, c["failed_handoffs"], k["failed_handoffs"]))
    if c["served"] != int(k["interactions"]):
        bad.append(("served", t, c["served"], k["interactions"]))
    if t > 0 and c["waited"] > backlog[t - 1]:
        bad.append(("waited > backlog", t, c["waited"], backlog[t - 1]))
waits = sum(c["waited"] for c in per.values())
gone = sum(c["abandoned"] for c in per.values())
pain = sum(int(r["pain"]) for r in rows(base, "touchpoints.csv"))
if waits == 0 or gone == 0 or pain == 0:
    bad.append(("the baseline run exercised nothing", waits, gone, pain))
if bad:
    print("\n".join(map(str, bad[:20])), file=sys.stderr)
    sys.exit(1)
print(f"tiny: {dict(total)}; baseline: {waits} waited, {gone} abandoned, {pain} pain points")
PY
echo ok
