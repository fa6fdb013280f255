# shellcheck shell=bash
# A single-node Slurm for a test (sourced after lib.sh): slurm_up starts it
# with scripts/slurm-local when it is not running, or exits 77 (skip) with
# the reason printed when it cannot be installed. On exit, whatever the path,
# slurm_cleanup cancels the jobs the test recorded with slurm_job and stops
# the daemons slurm_up started (by the pids slurm-local recorded), then runs
# lib_cleanup.
SL=$CX_SOURCE_DIR/scripts/slurm-local
SLURM_STARTED=0
SLURM_JOBS=()
slurm_cleanup() {
    local j
    for j in "${SLURM_JOBS[@]}"; do
        scancel "$j" >/dev/null 2>&1 || true
    done
    if [ "$SLURM_STARTED" -eq 1 ]; then
        "$SL" stop >/dev/null 2>&1 || true
    fi
    lib_cleanup
}
trap slurm_cleanup EXIT

# slurm_job ID: cancel job ID when the test ends.
slurm_job() { SLURM_JOBS+=("$1"); }

slurm_up() {
    "$SL" status >/dev/null 2>&1 && return 0
    local rc=0
    # Also after a start that failed half-way: stop stops only what start recorded.
    SLURM_STARTED=1
    timeout 240 "$SL" start >"$T/slurm-local.out" 2>&1 || rc=$?
    if [ "$rc" -eq 75 ]; then
        cat "$T/slurm-local.out" >&2
        echo "SKIP: Slurm could not be installed: no package registry is reachable"
        exit 77
    fi
    [ "$rc" -eq 0 ] || { cat "$T/slurm-local.out" >&2; fail "scripts/slurm-local start failed ($rc)"; }
}

# slurm_wait_gone JOB SECONDS: until squeue no longer lists JOB.
slurm_wait_gone() {
    local i
    for i in $(seq 1 $(($2 * 2))); do
        [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
        sleep 0.5
    done
    squeue >&2 || true
    fail "Slurm job $1 still queued after $2 s"
}
