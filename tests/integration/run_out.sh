#!/usr/bin/env bash
# cxsim run --out DIR where DIR holds another run's results (kpis.csv or
# summary.json): refused with exit 2, DIR byte-identical; with --force, DIR is
# emptied first (a stale report.html goes with it) and holds exactly what a run
# into a new directory writes. A directory held by a running run is refused
# even with --force, and left as it was. A resume of the run's own directory
# is not refused.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 20 --quiet --in-process)
snap() { (cd "$1" && find . -type f -printf '%p %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort); }

"$CXSIM" run "${ARGS[@]}" --seed 5 --out "$T/d" || fail "first run failed"
echo "<html>old report</html>" >"$T/d/report.html"
mkdir "$T/d/sub" && echo x >"$T/d/sub/file"
before=$(snap "$T/d")
set +e
"$CXSIM" run "${ARGS[@]}" --seed 6 --out "$T/d" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "a run into another run's directory gave exit $rc, not 2"
grep -q "holds another run's results (kpis.csv).*--force" "$T/err" || fail "unclear refusal: $(cat "$T/err")"
[ "$(snap "$T/d")" = "$before" ] || fail "a refused run changed the directory"

# Only summary.json (a run that failed before its first row) counts too.
mkdir "$T/s" && echo '{"status": "failed"}' >"$T/s/summary.json"
set +e
"$CXSIM" run "${ARGS[@]}" --out "$T/s" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "(summary.json)" "$T/err" || fail "summary.json alone: exit $rc, $(cat "$T/err")"

# A directory with other files but no results is used as before.
mkdir "$T/e" && echo notes >"$T/e/notes.txt"
"$CXSIM" run "${ARGS[@]}" --out "$T/e" || fail "a directory without results was refused"
[ -f "$T/e/notes.txt" ] || fail "a run without --force removed a file"

# --force: emptied, then exactly a fresh run's files.
"$CXSIM" run "${ARGS[@]}" --seed 6 --out "$T/d" --force || fail "--force run failed"
"$CXSIM" run "${ARGS[@]}" --seed 6 --out "$T/fresh" || fail "fresh run failed"
[ ! -e "$T/d/report.html" ] || fail "--force left the stale report.html"
[ ! -e "$T/d/sub" ] || fail "--force left a subdirectory"
[ "$(cd "$T/d" && ls)" = "$(cd "$T/fresh" && ls)" ] ||
    fail "files after --force: $(cd "$T/d" && ls | tr '\n' ' '), not those of a fresh run"
for f in kpis.csv departments.csv touchpoints.csv scenario.resolved.yaml; do
    cmp -s "$T/d/$f" "$T/fresh/$f" || fail "$f after --force differs from a fresh run's"
done

# A running run's directory: the lock refuses first; nothing is removed.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 300 --quiet --tick-ms 30 --out "$T/live"
for _ in $(seq 1 200); do
    [ -f "$T/live/kpis.csv" ] && [ "$(rows "$T/live/kpis.csv")" -ge 3 ] && break
    sleep 0.05
done
set +e
"$CXSIM" run "${ARGS[@]}" --out "$T/live" --force 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--force into a running run's directory gave exit $rc, not 2"
grep -q "in use by another run" "$T/err" || fail "not refused by the lock: $(cat "$T/err")"
[ -f "$T/live/kpis.csv" ] && [ -f "$T/live/scenario.resolved.yaml" ] || fail "the running run lost its files"
"$CXSIM" ctl "$T/live" stop >/dev/null || fail "cannot stop the run"
wait_exit "$LPID" 60
assert_no_leftovers "$LPID"

# The run's own directory: resume is not refused.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 40 --checkpoint-every 10 --quiet --out "$T/r" ||
    fail "checkpointed run failed"
"$CXSIM" resume "$T/r" --quiet || fail "a resume of the run's own directory was refused"
[ "$(rows "$T/r/kpis.csv")" -eq 40 ] || fail "the resumed run did not end at tick 40"
echo ok
