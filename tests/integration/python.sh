#!/usr/bin/env bash
# The protocol from Python: tests/integration/python_client.py (Debian's python3-zmq and
# python3-msgpack) watches the rows of a real run, changes its CX owner live, has a bad
# change and junk refused, and checks every row it saw against kpis.csv.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, which sees Debian's python3-zmq and python3-msgpack
"$PY" -c "import zmq, msgpack" || fail "python3-zmq or python3-msgpack missing: run scripts/setup"

# Paused at tick 0: the client subscribes, then resumes the run itself, so that
# no row goes by before it listens, however slowly Python starts.
start_session run "$BASELINE" "${SMALL[@]}" --ticks 100 --tick-ms 5 --paused --quiet --out "$T/run"
"$PY" "$(dirname "$0")/python_client.py" "$T/run" 100 || fail "the Python client failed"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the run exited $RC"; }
assert_no_leftovers "$LPID"
at=$(cat "$T/change_tick")
grep -B1 -A2 -- "- at: $at" "$T/run/scenario.resolved.yaml" | grep -q "owner: cx_team" ||
    fail "the change of tick $at is not in scenario.resolved.yaml"
echo ok
