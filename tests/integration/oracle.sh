#!/usr/bin/env bash
# Every column of kpis.csv, departments.csv and touchpoints.csv checked against
# an independent computation: the seed's formula of each derived KPI from the
# counts in the same row, the identities that tie the three files together,
# and quantities this test controls through the scenario (staff, costs, the
# persona weights, a noiseless employee survey, a timeline with known costs).
# A swapped, mis-scaled or mis-defined column fails here; see docs/TESTING.md.
. "$(dirname "$0")/lib.sh"

# Both personas weigh the six pillars alike (1..6, all different), so that a
# touchpoint's experience is the same weighted mean of its pillar columns
# whoever met it; the employee survey has no noise, so each department's
# answers follow from its engagement column; IT climbs a level at a known
# cost, and a campaign of a known cost runs; customer service, two people,
# cannot keep up: its backlog grows.
W='{integrity: 1, resolution: 2, expectations: 3, time_effort: 4, personalisation: 5, empathy: 6}'
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 60 --quiet --out "$T/r" \
    --set "personas.bargain_hunter.weights=$W" --set "personas.loyal_family.weights=$W" \
    --set model.employee_noise=0 --set departments.customer_service.staff=2 \
    --set 'timeline=[{at: 10, event: maturity, department: it, to: 3, over: 20, cost: 200000}, {at: 15, event: campaign, department: marketing, value: 2.0, over: 5, cost: 50000}]' \
    || fail "the oracle run failed"

python3 - "$T/r" <<'PY'
import csv, math, sys

d = sys.argv[1]
bad = []


def check(ok, what):
    if not ok and len(bad) < 40:
        bad.append(what)


def close(a, b, rel=1e-7, abs_=1e-6):
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def table(name):
    with open('%s/%s' % (d, name)) as fp:
        rows = list(csv.DictReader(fp))
    assert rows, name + ' is empty'
    return rows


K = table('kpis.csv')
D = table('departments.csv')
P = table('touchpoints.csv')
f = lambda r, k: float(r[k]) if r[k] != '' else float('nan')

# The scenario's figures the test set or the baseline states (read back from
# the baseline file's values, written here: they are inputs, not outputs).
days = 1.0                      # tick: day
marketing_spend = 2400000.0
margin = 0.30
discount = 0.10
horizon = 10.0                  # model.clv_horizon_years (default)
staff = {'marketing': 12, 'sales': 30, 'logistics': 40, 'customer_service': 2,
         'product': 15, 'it': 10}
cost_per_staff = {'marketing': 62000, 'sales': 52000, 'logistics': 41000,
                  'customer_service': 38000, 'product': 70000, 'it': 75000}
weights = [1, 2, 3, 4, 5, 6]
pillars = ['integrity', 'resolution', 'expectations', 'time_effort', 'personalisation', 'empathy']

# ---- kpis.csv: each derived column from the counts of its row (seed 001).
cum = {'revenue': 0.0, 'customer_ticks': 0.0, 'churned': 0.0}
prev_end = None
extra_marketing = 0.0
investment = 0.0
for r in K:
    t = int(r['tick'])
    n, R = f(r, 'customers'), f(r, 'respondents')
    P_, Pa, D_ = f(r, 'promoters'), f(r, 'passives'), f(r, 'detractors')
    check(P_ + Pa + D_ == R, 'tick %d: promoters + passives + detractors != respondents' % t)
    check(close(f(r, 'nps'), 100 * (P_ - D_) / R), 'tick %d: nps' % t)
    check(close(f(r, 'csat'), 100 * f(r, 'satisfied') / R), 'tick %d: csat' % t)
    check(f(r, 'satisfied') <= R, 'tick %d: more satisfied than respondents' % t)
    check(1 <= f(r, 'ces') <= 10, 'tick %d: ces outside 1..10' % t)
    check(0 <= f(r, 'loyalty_index') <= 100, 'tick %d: loyalty_index outside 0..100' % t)
    ch = f(r, 'churned')
    check(close(f(r, 'churn_rate'), 100 * ch / n), 'tick %d: churn_rate' % t)
    check(close(f(r, 'retention_rate'), 100 - 100 * ch / n), 'tick %d: retention_rate' % t)
    check(close(f(r, 'retention_direct'), 100 * (n - ch) / n), 'tick %d: retention_direct' % t)
    # Customers are conserved, tick to tick.
    check(f(r, 'customers_end') == n - ch + f(r, 'acquired'),
          'tick %d: customers_end != customers - churned + acquired' % t)
    check(prev_end is None or prev_end == n, 'tick %d: customers != last customers_end' % t)
    prev_end = f(r, 'customers_end')
    pu, ref = f(r, 'purchases'), f(r, 'referral_purchases')
    check(ref <= pu, 'tick %d: referral purchases exceed purchases' % t)
    check(close(f(r, 'referral_rate'), 100 * ref / pu if pu else 0), 'tick %d: referral_rate' % t)
    check(f(r, 'lost_sales') == max(f(r, 'demand') - pu, 0), 'tick %d: lost_sales' % t)
    rev = f(r, 'revenue')
    check(close(f(r, 'basket'), rev / pu if pu else 0), 'tick %d: basket' % t)
    check(close(f(r, 'gross_profit'), rev * margin), 'tick %d: gross_profit' % t)
    check(close(f(r, 'operating_profit'), f(r, 'gross_profit') - f(r, 'cost')
                - f(r, 'marketing_cost') - f(r, 'investment')), 'tick %d: operating_profit' % t)
    # Sales and marketing cost: the yearly spend prorated, plus campaigns.
    base = marketing_spend * days / 365.0
    check(f(r, 'marketing_cost') >= base - 1e-6, 'tick %d: marketing_cost below the spend' % t)
    extra_marketing += f(r, 'marketing_cost') - base
    investment += f(r, 'investment')
    acq = f(r, 'acquired')
    check(close(f(r, 'cac'), f(r, 'marketing_cost') / acq if acq else 0), 'tick %d: cac' % t)
    # CLV (seed 001, value per year x expected years, discounted; the model's
    # definition in docs/MODEL.md): from the run's cumulative columns.
    cum['revenue'] += rev
    cum['customer_ticks'] += n
    cum['churned'] += ch
    years = cum['customer_ticks'] * days / 365.0
    value = cum['revenue'] / years * margin
    x = math.exp(-cum['churned'] / years) / (1 + discount)
    life = (1 - x ** horizon) / (1 - x) if x < 1 else horizon
    check(close(f(r, 'clv'), value * life, rel=1e-6), 'tick %d: clv %s, expected %.6f'
          % (t, r['clv'], value * life))
check(close(extra_marketing, 50000.0, rel=1e-6), 'campaign costs sum to %.2f, not 50000' % extra_marketing)
check(close(investment, 200000.0, rel=1e-6), 'investment sums to %.2f, not 200000' % investment)

# ---- departments.csv: each row, and its sums against kpis.csv.
by_tick = {}
fixed_cpi = {}
last_backlog = {}
for r in D:
    t, dep = int(r['tick']), r['department']
    by_tick.setdefault(t, []).append(r)
    h, fh = f(r, 'handoffs'), f(r, 'failed_handoffs')
    check(0 <= fh <= h, 'tick %d %s: failed_handoffs %g > handoffs %g' % (t, dep, fh, h))
    served = f(r, 'handled')
    check(0 <= f(r, 'resolution_rate') <= 100, 'tick %d %s: resolution_rate' % (t, dep))
    check(served > 0 or (f(r, 'resolution_rate') == 0 and f(r, 'avg_wait') == 0),
          'tick %d %s: a resolution rate or a wait with nothing handled' % (t, dep))
    check(h <= served, 'tick %d %s: more hand-offs than cases handled' % (t, dep))
    # Requests are conserved: what waits now waited before or arrived now,
    # and was not served (abandonment only removes).
    before = last_backlog.get(dep, 0.0)
    check(f(r, 'backlog') <= before + f(r, 'demand') - served + 1e-9,
          'tick %d %s: backlog %g > %g waiting + %g new - %g handled'
          % (t, dep, f(r, 'backlog'), before, f(r, 'demand'), served))
    last_backlog[dep] = f(r, 'backlog')
    # Cost: staff x yearly cost per head, prorated, plus a cost per case
    # handled that depends only on the maturity.
    per_case = f(r, 'cost') - staff[dep] * cost_per_staff[dep] * days / 365.0
    check(per_case >= -1e-6, 'tick %d %s: cost below the staff cost' % (t, dep))
    if served > 0:
        key = (dep, r['maturity'])
        cpi = per_case / served
        if key in fixed_cpi:
            check(close(cpi, fixed_cpi[key], rel=1e-6),
                  'tick %d %s: cost per case %g, at the same maturity %g before'
                  % (t, dep, cpi, fixed_cpi[key]))
        else:
            fixed_cpi[key] = cpi
    else:
        check(abs(per_case) < 1e-6, 'tick %d %s: a cost per case with none handled' % (t, dep))

# The noiseless survey: every answer of a department is
# round(1 + 9 x engagement / 100), scored 20 x ceil(answer / 2), over its
# employees (staff, at most 50).
for r in K:
    t = int(r['tick'])
    rows = by_tick[t]
    check(len(rows) == len(staff), 'tick %d: %d department rows' % (t, len(rows)))
    tot_w = tot = 0.0
    for x in rows:
        a = min(max(math.floor(1 + 9 * f(x, 'employee_engagement') / 100 + 0.5), 1), 10)
        w = min(max(staff[x['department']], 1), 50)
        tot += w * 20 * ((a + 1) // 2)
        tot_w += w
    check(close(f(r, 'employee_engagement'), tot / tot_w),
          'tick %d: employee_engagement %s, expected %.6f' % (t, r['employee_engagement'], tot / tot_w))
    for col in ('handoffs', 'failed_handoffs', 'cost'):
        s = sum(f(x, col) for x in rows)
        check(close(f(r, col), s, rel=1e-8), 'tick %d: kpis %s %s != departments\' sum %g'
              % (t, col, r[col], s))
    s = sum(f(x, 'handled') for x in rows)
    check(f(r, 'interactions') == s, 'tick %d: interactions %s != cases handled %g'
          % (t, r['interactions'], s))
check(len(by_tick) == len(K), 'departments.csv ticks differ from kpis.csv')
check(any(f(r, 'failed_handoffs') > 0 for r in D) and any(f(r, 'backlog') > 0 for r in D),
      'the run has no failed hand-off or no backlog: the checks above test nothing')

# ---- touchpoints.csv: each pillar a mean score 0..10, the experience their
# weighted mean, the owner the scenario's.
owners = {'ad': 'marketing', 'reviews': 'external', 'browse': 'it', 'checkout': 'sales',
          'delivery': 'logistics', 'support': 'customer_service', 'renewal': 'marketing'}
seen = 0
for r in P:
    t = int(r['tick'])
    check(r['owner'] == owners.get(r['touchpoint']), 'tick %d %s: owner %s' % (t, r['touchpoint'], r['owner']))
    n = f(r, 'interactions')
    if n == 0:
        check(all(r[p] == '' for p in pillars + ['experience']),
              'tick %d %s: scores with no interaction' % (t, r['touchpoint']))
        continue
    s = [f(r, p) for p in pillars]
    check(all(0 <= v <= 10 for v in s), 'tick %d %s: a pillar outside 0..10' % (t, r['touchpoint']))
    # Scores travel at 1/20 resolution and are clamped to 0..10 in the
    # pillar sums only: a tolerance of one step.
    x = sum(w * v for w, v in zip(weights, s)) / sum(weights)
    check(abs(f(r, 'experience') - x) <= 0.05, 'tick %d %s: experience %s, weighted pillars %.4f'
          % (t, r['touchpoint'], r['experience'], x))
    seen += 1
check(seen > 100, 'too few touchpoint rows with interactions')
check(len({int(r['tick']) for r in P}) == len(K), 'touchpoints.csv ticks differ from kpis.csv')

if bad:
    print('\n'.join(bad), file=sys.stderr)
    sys.exit(1)
PY
echo ok
