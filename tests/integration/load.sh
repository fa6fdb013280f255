#!/usr/bin/env bash
# Load: 64 persona shard processes (--shards 32 on the two-persona baseline) plus every
# department and the coordinator, 71 processes on however few cores, complete a run whose
# files are byte-identical to the one-shard run's.
# Open files: the coordinator holds one connection per agent and each department one per
# shard. The run starts with a soft limit of 64, below what it needs: the processes raise
# their soft limit to the hard one. With a hard limit of 64 as well, the run must be
# refused quickly with a clear reason (libzmq would abort the coordinator otherwise).
# A generous --heartbeat-ms: under AddressSanitizer on 2 cores, 71 processes starting
# at once can leave one without CPU for a while.
. "$(dirname "$0")/lib.sh"

SHARDS=${CX_LOAD_SHARDS:-32}
ARGS=(run "$BASELINE" "${SMALL[@]}" --ticks 10 --quiet --heartbeat-ms 5000)

"$CXSIM" "${ARGS[@]}" --out "$T/one" || fail "the one-shard run failed"

[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 512 ] || fail "hard open-file limit $(ulimit -Hn) < 512"
ulimit -Sn 64
t0=$(date +%s%N)
start_session "${ARGS[@]}" --shards "$SHARDS" --out "$T/many"
peak=0
while kill -0 "$LPID" 2>/dev/null; do
    n=$(session_procs "$LPID" | grep -c 'cxsim-' || true)
    [ "$n" -gt "$peak" ] && peak=$n
    sleep 0.2
done
wait_exit "$LPID" 240
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$RC" -eq 0 ] || { tail -20 "$T/launcher.err" >&2; fail "the $SHARDS-shard run exited $RC"; }
assert_no_leftovers "$LPID"
want=$((2 * SHARDS + $(grep -c '^  - {id:' "$BASELINE") + 1))
grep -q "\"processes\": $want," "$T/many/summary.json" \
    || fail "summary.json does not count $want processes: $(grep processes "$T/many/summary.json")"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/one/$f" "$T/many/$f" || fail "$f differs between 1 and $SHARDS shards per persona"
done
t0=$(date +%s%N)
set +e
bash -c 'ulimit -n 64 && exec "$0" "$@"' "$CXSIM" "${ARGS[@]}" --shards "$SHARDS" --out "$T/nofile" \
    >"$T/nofile.out" 2>"$T/nofile.err"
rc=$?
set -e
nofile_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" -eq 1 ] || { cat "$T/nofile.err" >&2; fail "a hard limit of 64 open files: exit $rc, want 1"; }
grep -q '"reason": "this run needs about [0-9]* open files' "$T/nofile/summary.json" \
    || { cat "$T/nofile.err" >&2; fail "a hard limit of 64 open files: no clear reason in summary.json"; }
grep -q "open files" "$T/nofile.err" || fail "a hard limit of 64 open files: no clear reason on stderr"
echo "load: with a hard limit of 64 open files the run is refused in ${nofile_ms} ms: $(grep -o 'this run needs[^"]*' "$T/nofile/summary.json")"
echo "load: $want processes (up to $peak seen at once, launcher included) completed in ${ms} ms;" \
     "files identical to the one-shard run"
echo ok
