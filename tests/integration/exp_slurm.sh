#!/usr/bin/env bash
# cxsim sweep --backend slurm against a real single-node Slurm: installs and
# starts it with scripts/slurm-local (apt-get), submits a small sweep as an
# sbatch array job, waits for it, collects the results into sweep.db (twice:
# idempotent), checks the database, and that the results equal a local
# sweep's. Stops the daemons it started.
#
# Skips (exit 77) only when the packages cannot be installed because no
# package registry is reachable; any other problem fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

SL=$CX_SOURCE_DIR/scripts/slurm-local
started=0
tried=0
cleanup() {
    # Also after a start that failed half-way: stop stops only what start recorded.
    if [ "$started" -eq 1 ] || [ "$tried" -eq 1 ]; then
        "$SL" stop >/dev/null 2>&1 || true
    fi
    lib_cleanup
}
trap cleanup EXIT

if ! "$SL" status >/dev/null 2>&1; then
    rc=0
    tried=1
    timeout 240 "$SL" start >"$T/slurm-local.out" 2>&1 || rc=$?
    if [ "$rc" -eq 75 ]; then
        cat "$T/slurm-local.out" >&2
        echo "SKIP: Slurm could not be installed: no package registry is reachable"
        exit 77
    fi
    [ "$rc" -eq 0 ] || { cat "$T/slurm-local.out" >&2; fail "scripts/slurm-local start failed ($rc)"; }
    started=1
fi
# Idempotent: a second start on a running Slurm starts nothing.
"$SL" start >/dev/null 2>&1 || fail "a second scripts/slurm-local start failed"
"$SL" status >/dev/null 2>&1 || fail "scripts/slurm-local status says Slurm is not up"

D=$T/slurm-sweep
ARGS=(sweep "$BASELINE" --set departments.it.maturity=1,3 "${EXP_SMALL[@]}" --ticks 15 --replicates 3)
"$CXSIM" "${ARGS[@]}" --out "$D" --backend slurm --slurm-tasks 3 --slurm-opt=--time=5 \
    --slurm-opt=--hold >"$T/submit.out" 2>&1 || { cat "$T/submit.out"; fail "submission failed"; }
grep -q "6 runs: 6 to do" "$T/submit.out" || { cat "$T/submit.out"; fail "plan line"; }
job=$(sed -n 's/^submitted Slurm job \([0-9]*\):.*/\1/p' "$T/submit.out")
[ -n "$job" ] || { cat "$T/submit.out"; fail "no job id"; }
script=$(ls "$D"/slurm/job-*.sh)
grep -q '^#SBATCH --array=0-2$' "$script" || fail "job script has no array line"
grep -q '^#SBATCH --time=5$' "$script" && grep -q '^#SBATCH --hold$' "$script" \
    || fail "--slurm-opt not passed to the job script"
[ -z "$(ls "$D/runs" 2>/dev/null)" ] || [ "$(q "$D/sweep.db" "SELECT COUNT(*) FROM runs")" = 0 ] \
    || fail "runs recorded before collect"

# Held (--slurm-opt=--hold): while the job is queued, sweeping the same
# directory again (locally or through Slurm) is refused: it would run the
# same runs twice.
[ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] || fail "the held job is not in the queue"
for backend in local slurm; do
    rc=0
    "$CXSIM" "${ARGS[@]}" --out "$D" --backend $backend >"$T/busy.out" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] && grep -q "Slurm job $job of .* is still queued or running" "$T/busy.out" \
        || { cat "$T/busy.out"; fail "a $backend sweep while job $job is queued was not refused ($rc)"; }
done
scontrol release "$job" || fail "cannot release job $job"

# Wait for the job: squeue empty and every run.json written (90 s at most).
for i in $(seq 1 180); do
    left=$(squeue -h -j "$job" 2>/dev/null | wc -l)
    done_runs=$(compgen -G "$D/runs/*/run.json" | wc -l || true)
    [ "$left" -eq 0 ] && [ "$done_runs" -eq 6 ] && break
    sleep 0.5
done
[ "$done_runs" -eq 6 ] || { squeue; cat "$D"/slurm/logs/* 2>/dev/null; fail "the Slurm job did not finish its 6 runs in 90 s ($done_runs)"; }
grep -h "completed, 0 failed" "$D"/slurm/logs/*.out | wc -l | grep -qx 3 \
    || { cat "$D"/slurm/logs/*; fail "not every array task reported success"; }

"$CXSIM" collect "$D" >"$T/collect1" 2>&1 || { cat "$T/collect1"; fail "collect failed"; }
grep -q "6 new completed runs recorded, 0 new failed, 0 already recorded" "$T/collect1" \
    || { cat "$T/collect1"; fail "first collect"; }
DB=$D/sweep.db
expect_eq "completed runs" "$(q "$DB" "SELECT COUNT(*) FROM runs WHERE status = 'completed'")" 6
expect_eq "kpis rows" "$(q "$DB" "SELECT COUNT(*) FROM kpis")" 90
expect_eq "hosts" "$(q "$DB" "SELECT DISTINCT host FROM runs")" "$(hostname)"
grep -q "mean ± 95% CI" "$T/collect1" || fail "collect printed no summary"
[ -f "$D/summary.csv" ] || fail "no summary.csv after collect"

# Idempotent.
before=$(q "$DB" "SELECT run_id, finished FROM runs ORDER BY run_id" | sha256sum)
"$CXSIM" collect "$D" --quiet >"$T/collect2" 2>&1 || { cat "$T/collect2"; fail "second collect failed"; }
grep -q "0 new completed runs recorded, 0 new failed, 6 already recorded" "$T/collect2" \
    || { cat "$T/collect2"; fail "second collect recorded something"; }
expect_eq "runs after the second collect" "$(q "$DB" "SELECT run_id, finished FROM runs ORDER BY run_id" | sha256sum)" "$before"

# The same sweep run locally in that directory has nothing left to do...
"$CXSIM" "${ARGS[@]}" --out "$D" --quiet >"$T/local1" 2>&1 || { cat "$T/local1"; fail "local re-run failed"; }
grep -q "6 runs: 0 to do, 6 already done" "$T/local1" || { cat "$T/local1"; fail "local re-run planned work"; }
# ...and run locally from scratch it gives the same results.
"$CXSIM" "${ARGS[@]}" --out "$T/local" --quiet >/dev/null 2>&1 || fail "local sweep failed"
dump='SELECT p.key, r.replicate, r.seed, r.scenario_sha256, k.tick, k.nps, k.csat, k.revenue, k.customers FROM runs r JOIN points p ON p.point = r.point JOIN kpis k ON k.run_id = r.run_id ORDER BY 1, 2, 5'
expect_eq "Slurm vs local results" "$(q "$DB" "$dump" | sha256sum)" "$(q "$T/local/sweep.db" "$dump" | sha256sum)"
echo ok
