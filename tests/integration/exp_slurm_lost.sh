#!/usr/bin/env bash
# What became of each run handed to Slurm: on the single-node Slurm that
# scripts/slurm-local starts, a sweep's array task is cancelled; `cxsim
# collect` names its runs as lost and exits 1, the other runs done. Running
# the sweep again resubmits exactly those runs (one array task by default:
# they are short) and `--wait` then exits 0 with results equal to a local
# sweep's. A task whose program fails is named as failed with its exit code.
#
# Skips (exit 77) only when Slurm cannot be installed (no package registry).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"
. "$(dirname "$0")/slurm_lib.sh"

slurm_up

D=$T/lost
ARGS=(sweep "$BASELINE" --set departments.it.maturity=1,3 "${EXP_SMALL[@]}" --ticks 15 --replicates 3)
"$CXSIM" "${ARGS[@]}" --out "$D" --backend slurm --slurm-tasks 3 --slurm-opt=--hold \
    >"$T/submit.out" 2>&1 || { cat "$T/submit.out"; fail "submission failed"; }
job=$(sed -n 's/^submitted Slurm job \([0-9]*\):.*/\1/p' "$T/submit.out")
[ -n "$job" ] || { cat "$T/submit.out"; fail "no job id"; }
slurm_job "$job"

# Held: every run is queued, none lost, exit 0.
"$CXSIM" collect "$D" --quiet >"$T/c0" 2>&1 || { cat "$T/c0"; fail "collect of a queued job failed"; }
grep -q "collect: 6 runs handed to Slurm: 6 queued, 0 running, 0 done$" "$T/c0" \
    || { cat "$T/c0"; fail "collect does not say 6 queued"; }

# Task 1 holds plan lines 1 and 4 (run i goes to task i % 3).
plan=$(ls "$D"/slurm/plan-*.jsonl)
mapfile -t lost < <(python3 - "$plan" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[1:]]
for i, r in enumerate(runs):
    if i % 3 == 1:
        print(r["dir"])
PY
)
[ "${#lost[@]}" -eq 2 ] || fail "expected 2 runs in task 1, got ${#lost[@]}"
scancel "${job}_1" || fail "scancel ${job}_1 failed"
scontrol release "$job" || fail "cannot release job $job"
slurm_wait_gone "$job" 90

rc=0
"$CXSIM" collect "$D" --quiet >"$T/c1" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$T/c1"; fail "collect with a cancelled task exited $rc, expected 1"; }
grep -q "collect: 6 runs handed to Slurm: 0 queued, 0 running, 4 done, 2 lost$" "$T/c1" \
    || { cat "$T/c1"; fail "collect does not count 4 done and 2 lost"; }
line=$(grep "^collect: lost:" "$T/c1") || { cat "$T/c1"; fail "collect names no lost run"; }
for r in "${lost[@]}"; do
    case "$line" in *"$r (Slurm no longer lists task ${job}_1; no result)"*) ;;
    *) cat "$T/c1"; fail "the lost run $r is not named with its task" ;; esac
done
[ "$(grep -o 'runs/p[0-9]*-r[0-9]*' <<<"$line" | wc -l)" -eq 2 ] || fail "collect names other runs as lost: $line"
grep -q "resubmits the 2 lost or failed runs" "$T/c1" || { cat "$T/c1"; fail "no hint to resubmit"; }
expect_eq "completed runs after the cancel" "$(q "$D/sweep.db" "SELECT COUNT(*) FROM runs WHERE status = 'completed'")" 4

# Re-running resubmits exactly the lost runs, in one array task (short runs).
rc=0
"$CXSIM" "${ARGS[@]}" --out "$D" --backend slurm --wait --quiet >"$T/again" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$T/again"; fail "the resubmitted sweep exited $rc"; }
grep -q "6 runs: 2 to do, 4 already done" "$T/again" || { cat "$T/again"; fail "not exactly the lost runs resubmitted"; }
grep -q "^1 array task of about [0-9]* s each (measured from 4 finished runs" "$T/again" \
    || { cat "$T/again"; fail "default grouping: not one task measured from the finished runs"; }
plan2=$(ls -t "$D"/slurm/plan-*.jsonl | head -1)
expect_eq "runs in the second plan" "$(python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["dir"] for l in open(sys.argv[1]).read().splitlines()[1:])))' "$plan2")" \
    "$(printf '%s\n' "${lost[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
grep -q "2 runs handed to Slurm: 0 queued, 0 running, 2 done$" "$T/again" || { cat "$T/again"; fail "--wait report"; }
"$CXSIM" collect "$D" --quiet >"$T/c2" 2>&1 || { cat "$T/c2"; fail "collect after the resubmission failed"; }
grep -q "collect: 6 runs handed to Slurm: 0 queued, 0 running, 6 done$" "$T/c2" || { cat "$T/c2"; fail "collect after the resubmission"; }

"$CXSIM" "${ARGS[@]}" --out "$T/local" --quiet >/dev/null 2>&1 || fail "local sweep failed"
dump='SELECT p.key, r.replicate, r.seed, r.scenario_sha256, k.tick, k.nps, k.csat, k.revenue, k.customers FROM runs r JOIN points p ON p.point = r.point JOIN kpis k ON k.run_id = r.run_id ORDER BY 1, 2, 5'
expect_eq "Slurm (with a resubmission) vs local results" "$(q "$D/sweep.db" "$dump" | sha256sum)" "$(q "$T/local/sweep.db" "$dump" | sha256sum)"

# A task whose program fails: named as failed, with its exit code.
F=$T/failed
rc=0
"$CXSIM" sweep "$BASELINE" "${EXP_SMALL[@]}" --ticks 5 --replicates 1 --out "$F" --backend slurm --cxsim /bin/false \
    --wait --quiet >"$T/f" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$T/f"; fail "a failing task: --wait exited $rc, expected 1"; }
grep -q "^slurm job [0-9]*: failed: runs/p000001-r0000 (task [0-9]*_0 FAILED, exit 1)$" "$T/f" \
    || { cat "$T/f"; fail "the failed run is not named with its exit code"; }
echo ok
