#!/usr/bin/env bash
# A FIFO, a device or a directory given where a file is read (the scenario of
# run, validate and a hand-started coordinator, a run key, a checkpoint) is
# refused at once with exit 2: nothing waits for a writer that never comes.
. "$(dirname "$0")/lib.sh"

mkfifo "$T/fifo.yaml" "$T/fifo.key"
mkdir "$T/dir.yaml"
chmod 600 "$T/fifo.key"

# refused WHAT PATTERN CMD...: CMD exits 2 within 20 s, saying PATTERN.
refused() {
    local what=$1 pattern=$2 rc
    shift 2
    set +e
    timeout 20 "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" -ne 124 ] || fail "$what: still waiting after 20 s"
    [ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "$what: exit $rc, not 2"; }
    grep -q -e "$pattern" "$T/err" || { cat "$T/err" >&2; fail "$what: no message '$pattern'"; }
}
refused "run of a FIFO" "a FIFO (named pipe), not a regular" "$CXSIM" run "$T/fifo.yaml" --out "$T/o1" --quiet
refused "run of a FIFO, in process" "a FIFO (named pipe), not a regular" "$CXSIM" run "$T/fifo.yaml" --in-process --out "$T/o2"
refused "validate of a FIFO" "a FIFO (named pipe), not a regular" "$CXSIM" validate "$T/fifo.yaml"
refused "run of a directory" "a directory, not a regular" "$CXSIM" run "$T/dir.yaml" --out "$T/o3" --quiet
refused "run of a device" "a device or a socket, not a regular" "$CXSIM" run /dev/zero --out "$T/o4" --quiet
refused "a coordinator's FIFO scenario" "cannot read" \
    "$(dirname "$CXSIM")/cxsim-coordinator" --scenario "$T/fifo.yaml" --out "$T/o5" --bind "ipc://$T/c.sock"
refused "a FIFO as run key" "not a regular file" "$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 3 --key "$T/fifo.key" \
    --out "$T/o6" --quiet
# A FIFO in a run's checkpoint or scenario file, for resume.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 10 --checkpoint-every 5 --out "$T/r" --quiet ||
    fail "run failed"
mv "$T/r/checkpoint.msgpack" "$T/cp"
mkfifo "$T/r/checkpoint.msgpack"
refused "resume of a FIFO checkpoint" "not a regular file" "$CXSIM" resume "$T/r" --quiet
rm "$T/r/checkpoint.msgpack"
mv "$T/cp" "$T/r/checkpoint.msgpack"
mv "$T/r/scenario.resolved.yaml" "$T/s.yaml"
mkfifo "$T/r/scenario.resolved.yaml"
refused "resume of a FIFO scenario" "a FIFO (named pipe), not a regular" "$CXSIM" resume "$T/r" --quiet
echo ok
