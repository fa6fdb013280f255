#!/usr/bin/env bash
# Every listening socket of a run (the coordinator's agents, rows and control
# sockets, each department's data socket) drops a peer that announces a frame
# larger than the protocol allows (ZMQ_MAXMSGSIZE, docs/PROTOCOL.md "Frame
# sizes") before allocating it, instead of waiting for its bytes; a frame of
# the largest legitimate size is still waited for; the run ends as a clean one.
. "$(dirname "$0")/lib.sh"
PROBE="$CX_SOURCE_DIR/tests/integration/zmtp_probe.py"
MAX=$((256 * 1024 * 1024))  # CX_PROTO_MAX_FRAME

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 50 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/ref" || fail "reference run failed"
start_session run "${ARGS[@]}" --out "$T/p" --paused
for i in $(seq 1 100); do
    [ -f "$T/p/live.endpoints" ] && break
    sleep 0.05
done
sleep 0.3
procs=$(session_procs "$LPID")
arg() { # the value of option $2 in the command lines matching $1
    echo "$procs" | awk -v p="$1" -v o="$2" '$0 ~ p { for (i = 1; i < NF; i++) if ($i == o) print $(i + 1) }'
}
coord=$(arg cxsim-coordinator --bind)
pub=$(arg cxsim-coordinator --pub)
ctl=$(arg cxsim-coordinator --control)
depts=$(arg cxsim-department --bind)
[ -n "$coord" ] && [ -n "$pub" ] && [ -n "$ctl" ] && [ "$(echo "$depts" | wc -w)" -ge 2 ] ||
    fail "endpoints not found in: $procs"

probe() { # endpoint, type, size: 0 if dropped
    python3 "$PROBE" "$1" "$2" "$3" 3
}
for ep in "$coord" $depts; do
    probe "$ep" DEALER $((MAX + 1)) || fail "$ep waited for a frame larger than $MAX bytes"
done
probe "$ctl" DEALER $((64 * 1024 + 1)) || fail "the control socket waited for a frame over 64 KB"
probe "$pub" SUB $((64 * 1024 + 1)) || fail "the rows socket waited for a frame over 64 KB"
# The bound is not lower than the largest legitimate frame.
if probe "$coord" DEALER "$MAX"; then fail "the coordinator refused a frame of $MAX bytes"; fi

"$CXSIM" ctl "$T/p" resume >/dev/null || fail "cannot resume the run"
wait_exit "$LPID" 60
[ "$RC" -eq 0 ] || { cat "$T/launcher.err" >&2; fail "the probed run exited $RC"; }
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/ref/$f" "$T/p/$f" || fail "$f differs from the clean run's"
done
echo ok
