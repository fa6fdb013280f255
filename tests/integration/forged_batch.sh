#!/usr/bin/env bash
# Peers are bound at the handshake: while a forger floods every department's
# data socket with well-formed empty REQUESTS batches in every persona shard's
# name, for every tick, a department takes each shard's batch only from the
# shard the roster admitted (its routing id derives from the session's secret
# in WELCOME): the run completes with the clean run's files, the forged
# batches are dropped, counted and logged, and no tick waits for the timeout.
. "$(dirname "$0")/lib.sh"
: "${CX_PEER:?CX_PEER must point to the cx_peer test tool}"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 60 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/ref" || fail "reference run failed"
start_session run "${ARGS[@]}" --out "$T/f" --paused --tick-timeout-ms 30000
for _ in $(seq 1 100); do
    [ -f "$T/f/live.endpoints" ] && break
    sleep 0.05
done
sleep 0.3
depts=$(session_procs "$LPID" | awk '/cxsim-department/ { for (i = 1; i < NF; i++) if ($i == "--bind") print $(i + 1) }')
[ "$(echo "$depts" | wc -w)" -ge 2 ] || fail "department endpoints not found"
FPIDS=()
for ep in $depts; do
    "$CX_PEER" forge "$ep" "$T/f/scenario.resolved.yaml" 60 &
    FPIDS+=("$!")
done
trap 'kill "${FPIDS[@]}" 2>/dev/null || true; lib_cleanup' EXIT
sleep 0.5
start=$(date +%s)
"$CXSIM" ctl "$T/f" resume >/dev/null || fail "cannot resume the run"
wait_exit "$LPID" 60
took=$(($(date +%s) - start))
kill "${FPIDS[@]}" 2>/dev/null || true
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the run under forged batches exited $RC"; }
[ "$took" -lt 25 ] || fail "the run took ${took}s: a tick waited"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/f/$f" || fail "$f differs from the clean run's"
done
grep -q "dropped a REQUESTS batch in the name of persona [a-z_]* shard 0 from a peer that is not that shard" \
    "$T/launcher.err" || { cat "$T/launcher.err" >&2; fail "the forged batches were not logged"; }
dropped=$(sed -n 's/.*"dropped": \([0-9]*\).*/\1/p' "$T/f/summary.json" | head -1)
[ "${dropped:-0}" -gt 0 ] || { cat "$T/f/summary.json" >&2; fail "the forged batches were not counted"; }
echo ok
