#!/usr/bin/env bash
# --backend slurm for the experiments other than a plain sweep, on the
# single-node Slurm that scripts/slurm-local starts: the driving process
# stays here and each batch of runs is one array job. compare, sensitivity,
# calibrate, optimise and sweep --target-ci give the results of the same
# command run locally; running compare again resumes (nothing to do).
#
# Skips (exit 77) only when Slurm cannot be installed (no package registry).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"
. "$(dirname "$0")/slurm_lib.sh"

# Bad input, before any Slurm: exit 2.
rc=0; "$CXSIM" compare "$BASELINE" --slurm-tasks 2 --out "$T/x" >"$T/bad" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "need --backend slurm" "$T/bad" || { cat "$T/bad"; fail "--slurm-tasks without --backend slurm: exit $rc"; }
rc=0; "$CXSIM" compare "$BASELINE" --backend lsf --out "$T/x" >"$T/bad" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$T/bad"; fail "--backend lsf: exit $rc"; }

slurm_up
# Every job this test submits (its script under $T) is cancelled on exit.
cancel_mine() {
    local j
    for j in $(squeue -h -o %A 2>/dev/null); do
        scontrol show job "$j" 2>/dev/null | grep -q "Command=$T/" && scancel "$j"
    done
    slurm_cleanup
}
trap cancel_mine EXIT

both() { # NAME DB QUERY ARGS...: runs ARGS locally and through Slurm, compares QUERY on DB
    local name=$1 db=$2 query=$3
    shift 3
    "$CXSIM" "$@" --out "$T/$name-local" --quiet >"$T/$name-local.out" 2>&1 \
        || { cat "$T/$name-local.out"; fail "$name locally exited $?"; }
    local rc=0
    timeout 240 "$CXSIM" "$@" --out "$T/$name-slurm" --backend slurm --quiet >"$T/$name-slurm.out" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || { cat "$T/$name-slurm.out"; fail "$name --backend slurm exited $rc"; }
    ls "$T/$name-slurm"/slurm/job-*.sh >/dev/null 2>&1 || fail "$name: no array job was written"
    expect_eq "$name: Slurm vs local" "$(q "$T/$name-slurm/$db" "$query" | sha256sum)" \
        "$(q "$T/$name-local/$db" "$query" | sha256sum)"
    [ -n "$(q "$T/$name-slurm/$db" "$query")" ] || fail "$name: nothing to compare"
}
KPIS='SELECT r.scenario_sha256, r.replicate, r.seed, k.tick, k.nps, k.revenue, k.customers FROM runs r JOIN kpis k ON k.run_id = r.run_id ORDER BY 1, 2, 4'

both compare compare.db "$KPIS" compare "$BASELINE" "${EXP_SMALL[@]}" --set-scenario departments.it.maturity=4 \
    --replicates 3 --ticks 20
jobs=$(ls "$T/compare-slurm"/slurm/job-*.sh | wc -l)
expect_eq "compare: array jobs (one batch)" "$jobs" 1
grep -q '^#SBATCH --array=0-0$' "$T/compare-slurm"/slurm/job-*.sh || fail "compare: short runs not grouped into one task"
diff <(sed 1d "$T/compare-slurm.out") <(sed 1d "$T/compare-local.out") >/dev/null \
    || { diff <(sed 1d "$T/compare-slurm.out") <(sed 1d "$T/compare-local.out"); fail "compare: printed results differ"; }
# Again: resumes, nothing to submit.
"$CXSIM" compare "$BASELINE" "${EXP_SMALL[@]}" --set-scenario departments.it.maturity=4 --replicates 3 \
    --ticks 20 --out "$T/compare-slurm" --backend slurm --quiet >"$T/again" 2>&1 || { cat "$T/again"; fail "compare again"; }
grep -q "0 to do, 6 already done" "$T/again" || { cat "$T/again"; fail "compare again did not resume"; }
expect_eq "compare again: array jobs" "$(ls "$T/compare-slurm"/slurm/job-*.sh | wc -l)" 1

both target sweep.db "$KPIS" sweep "$BASELINE" "${EXP_SMALL[@]}" --set departments.it.maturity=1,4 --ticks 20 \
    --target-ci nps=8 --max-replicates 6
[ "$(ls "$T/target-slurm"/slurm/job-*.sh | wc -l)" -ge 2 ] || fail "sweep --target-ci: one array job per round expected"

both sens sensitivity.db "$KPIS" sensitivity "$BASELINE" "${EXP_SMALL[@]}" --params survey_rate,ltr_offset \
    --ticks 15 --replicates 2

both opt optimise.db "$KPIS" optimise "$BASELINE" "${EXP_SMALL[@]}" --ticks 30 --budget 2500 \
    --cost-per-level 1000 --steps 1 --moves departments=it,marketing --replicates 2 --beam 1

"$CXSIM" run "$BASELINE" "${EXP_SMALL[@]}" --set model.ltr_offset=2 --ticks 30 --seed 11 --quiet --out "$T/truth" \
    || fail "truth run"
python3 - "$T/truth/kpis.csv" "$T/obs.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("tick,nps\n")
    for r in rows:
        if int(r["tick"]) % 5 == 0:
            f.write(f"{r['tick']},{r['nps']}\n")
PY
both cal calibration.db "$KPIS" calibrate "$BASELINE" "${EXP_SMALL[@]}" --ticks 30 --seed 11 \
    --observed "$T/obs.csv" --params ltr_offset --kpi nps --replicates 2 --max-evals 4
echo ok
