#!/usr/bin/env bash
# A trainer's terminal: `cxsim watch --columns` is checked before anything
# else (exit 2, with "did you mean", even when no run goes on), a
# department's maturity is a column (maturity.ID, from ROW), and on a
# terminal a live change's message stands on a line of its own instead of
# being glued to the launcher's progress line.
. "$(dirname "$0")/lib.sh"

# --columns checked up front: no run is needed to be told.
mkdir -p "$T/none"
set +e
"$CXSIM" watch "$T/none" --columns nps,churn >/dev/null 2>"$T/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "no column 'churn'.*did you mean churn_rate?" "$T/bad.err" ||
    fail "watch --columns nps,churn gave exit $rc: $(cat "$T/bad.err")"

# On a terminal (script(1) gives the run one): the progress line, then a
# live change taken, then the progress again.
command -v script >/dev/null || fail "script(1) is needed (util-linux)"
RUN="$CXSIM run $BASELINE ${SMALL[*]} --ticks 120 --tick-ms 40 --out $T/tty"
setsid script -qfec "$RUN" "$T/tty.out" >/dev/null 2>&1 </dev/null &
SPID=$!
SESSIONS+=("$SPID")
for _ in $(seq 1 300); do
    [ -f "$T/tty/live.endpoints" ] && [ "$(rows "$T/tty/kpis.csv" 2>/dev/null || echo 0)" -ge 5 ] && break
    sleep 0.05
done
[ -f "$T/tty/live.endpoints" ] || fail "the run on a terminal did not start"

# maturity.it is a column of the rows: watched while IT ramps up.
"$CXSIM" watch "$T/tty" --every 1 --columns tick,maturity.it,nps >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!
sleep 0.5
"$CXSIM" ctl "$T/tty" set departments.it.maturity=4 --over 10 >/dev/null || fail "change refused"
wait_exit "$SPID" 60
wait_exit "$WPID" 30
[ "$RC" -eq 0 ] || fail "watch exited $RC: $(cat "$T/watch.err")"
/usr/bin/python3 - "$T/tty.out" "$T/watch.out" <<'PYEOF' || fail "see above"
import sys
out = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
i = out.find("live change taken")
bad = []
if i < 0:
    bad.append("no live change message on the terminal")
else:
    start = out.rfind("cxsim-coordinator:", 0, i)
    before = out[max(0, start - 4):start]
    if not before.endswith("\r\x1b[K"):
        bad.append("the message is glued to %r" % out[max(0, start - 60):start])
    end = out.find("\n", i)
    if end < 0 or "ticks/s" in out[i:end]:
        bad.append("the progress line goes on the message's line: %r" % out[i:i + 120])
rows = [l.split() for l in open(sys.argv[2]) if l.strip() and l.split()[0].isdigit()]
mats = [float(r[1]) for r in rows]
if not mats or mats[0] != 2 or max(mats) != 4:
    bad.append("maturity.it watched as %s" % mats[:5] + ["..."] + mats[-3:])
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
echo "watch_terminal: ok"
