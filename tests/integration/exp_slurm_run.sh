#!/usr/bin/env bash
# cxsim run --backend slurm on the single-node Slurm that scripts/slurm-local
# starts: one run as one job (coordinator, departments and persona shards
# started by srun --multi-prog, over tcp with a run key) gives files
# byte-identical to a local run; with --no-wait, `cxsim ctl` reaches it from
# here through live.endpoints and the key; a persona shard killed mid-run is
# named with its node in summary.json and the job's log; `cxsim resume`
# resubmits it from its checkpoint and ends byte-identical too;
# --keep-checkpoints reaches the job's coordinator (and its resubmission):
# it keeps 2 numbered checkpoints where the default keeps 3.
#
# Skips (exit 77) only when Slurm cannot be installed (no package registry).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"
. "$(dirname "$0")/slurm_lib.sh"

job_of() { sed -n 's/^submitted Slurm job \([0-9]*\):.*/\1/p' "$1"; }
same_files() { # DIR_A DIR_B WHAT
    local f
    for f in kpis.csv departments.csv touchpoints.csv scenario.resolved.yaml; do
        cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs from the local run's"
    done
}

# Bad input first (no Slurm needed): exit 2.
rc=0; "$CXSIM" run "$BASELINE" --nodes 2 --out "$T/x" >"$T/bad" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "need --backend slurm" "$T/bad" || { cat "$T/bad"; fail "--nodes without --backend slurm: exit $rc"; }
rc=0; "$CXSIM" run "$BASELINE" --backend slurm --nodes 0 --out "$T/x" >"$T/bad" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$T/bad"; fail "--nodes 0: exit $rc"; }
rc=0; "$CXSIM" run "$BASELINE" --backend slurm --in-process --out "$T/x" >"$T/bad" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "not for --backend slurm" "$T/bad" || { cat "$T/bad"; fail "--backend slurm --in-process: exit $rc"; }
[ ! -e "$T/x" ] || fail "a refused run created its directory"

slurm_up

SMALL_RUN=("$BASELINE" "${EXP_SMALL[@]}" --shards 2)
# One run, waited for: byte-identical to a local run.
"$CXSIM" run "${SMALL_RUN[@]}" --ticks 40 --out "$T/local" --quiet >/dev/null 2>&1 || fail "local run failed"
rc=0
timeout 120 "$CXSIM" run "${SMALL_RUN[@]}" --ticks 40 --out "$T/slurm" --backend slurm \
    --slurm-opt=--time=5 >"$T/s.out" 2>&1 || rc=$?
job=$(job_of "$T/s.out"); [ -n "$job" ] && slurm_job "$job"
[ "$rc" -eq 0 ] || { cat "$T/s.out" "$T"/slurm/slurm-run/job-*.out; fail "run --backend slurm exited $rc"; }
grep -q "submitted Slurm job [0-9]*: 11 processes on 1 node" "$T/s.out" || { cat "$T/s.out"; fail "submission line"; }
grep -q "^run completed through Slurm job $job: 40 ticks" "$T/s.out" || { cat "$T/s.out"; fail "completion line"; }
grep -q '^#SBATCH --time=5$' "$T/slurm/slurm-run/job.sh" || fail "--slurm-opt not in job.sh"
[ "$(stat -c %a "$T/slurm/slurm-run/run.key")" = 600 ] || fail "the run key is not mode 0600"
grep -q -- "--key" "$T/slurm/slurm-run/role.sh" || fail "the processes do not use the key"
same_files "$T/slurm" "$T/local" "run --backend slurm"

# --no-wait, live: ctl from here; then a persona shard is killed.
"$CXSIM" run "${SMALL_RUN[@]}" --ticks 150 --out "$T/full" --quiet >/dev/null 2>&1 || fail "local run failed"
D=$T/live
"$CXSIM" run "${SMALL_RUN[@]}" --ticks 150 --out "$D" --backend slurm --no-wait --tick-ms 40 \
    --checkpoint-every 10 --keep-checkpoints 2 >"$T/nw.out" 2>&1 || { cat "$T/nw.out"; fail "--no-wait submission failed"; }
grep -q -- "--keep-checkpoints 2 " "$D/slurm-run/role.sh" || fail "--keep-checkpoints not passed to the job"
job=$(job_of "$T/nw.out"); [ -n "$job" ] || { cat "$T/nw.out"; fail "no job id"; }
slurm_job "$job"
KEY=$D/slurm-run/run.key
grep -q "cxsim ctl $D status --key $KEY" "$T/nw.out" || { cat "$T/nw.out"; fail "--no-wait does not say how to reach the run"; }
for i in $(seq 1 100); do
    "$CXSIM" ctl "$D" status --key "$KEY" >"$T/ctl" 2>/dev/null && grep -q "^state=running" "$T/ctl" \
        && [ "$(sed -n 's/^tick=//p' "$T/ctl")" -ge 30 ] 2>/dev/null && break
    sleep 0.3
done
grep -q "^state=running" "$T/ctl" || { cat "$T/ctl" "$D"/slurm-run/job-*.out; fail "cxsim ctl cannot reach the Slurm run"; }
grep -q "^rows tcp://" "$D/live.endpoints" || fail "live.endpoints has no tcp endpoint"
pid=$(pgrep -f -- "--persona loyal_family --shard 1 --of 2 --key $KEY" | head -1)
[ -n "$pid" ] || fail "no persona process of the job found"
kill -KILL "$pid"
slurm_wait_gone "$job" 60
grep -q "^cxsim: lost persona loyal_family shard 1/2 on node $(hostname -s) (exit status 137)$" "$D/slurm-run/job-$job.out" \
    || { cat "$D/slurm-run/job-$job.out"; fail "the job's log does not name the lost process and its node"; }
python3 - "$D/summary.json" "$(hostname -s)" <<'PY' || fail "summary.json does not name the lost process"
import json, sys
s = json.load(open(sys.argv[1]))
lp = s["lost_process"]
assert s["status"] == "interrupted", s["status"]
assert lp == {"role": "persona loyal_family shard 1/2", "node": sys.argv[2], "exit_status": 137}, lp
PY
# Killed at tick 30 or later with a checkpoint every 10 ticks: 3 or more written, 2 kept.
n=$(find "$D" -maxdepth 1 -name 'checkpoint-*.msgpack' | wc -l)
expect_eq "numbered checkpoints kept by the Slurm job" "$n" 2

# Resume resubmits it, from its checkpoint, to the same end.
rc=0
timeout 180 "$CXSIM" resume "$D" --quiet >"$T/r.out" 2>&1 || rc=$?
job=$(job_of "$T/r.out"); [ -n "$job" ] && slurm_job "$job"
[ "$rc" -eq 0 ] || { cat "$T/r.out" "$D"/slurm-run/job-*.out; fail "resume exited $rc"; }
grep -q "submitted Slurm job" "$T/r.out" || { cat "$T/r.out"; fail "resume did not resubmit to Slurm"; }
same_files "$D" "$T/full" "resumed Slurm run"
n=$(find "$D" -maxdepth 1 -name 'checkpoint-*.msgpack' | wc -l)
expect_eq "numbered checkpoints kept by the resubmitted job" "$n" 2
echo ok
