#!/usr/bin/env bash
# Garbage at the sockets during a run: cx_garbage (tests/cx_garbage.c) connects to the
# coordinator's ROUTER and to every department's data socket of a running run and sends
# random bytes, truncated frames, wrong versions, unknown types, multi-part junk, hostile
# size claims, HELLOs for taken slots, and well-formed messages for stale or impossible
# ticks and unknown shards; and at the control socket junk and every kind of change that
# must be refused (tests/cx_garbage.c). The run must exit 0 with result files byte-identical to a
# clean run's, and summary.json must count the dropped frames.
# Then a flood of junk as fast as it can be sent: the run must still complete, identical.
# The attacked run is held before tick 0 (--paused) until the attacker says its
# first burst went out (--ready), then paced at 1 ms a tick at least: on a
# loaded machine a starved attacker cannot miss the run.
. "$(dirname "$0")/lib.sh"
: "${CX_GARBAGE:?CX_GARBAGE must point to the cx_garbage executable}"

TICKS=${CX_GARBAGE_TICKS:-1000}
ARGS=(run "$BASELINE" "${SMALL[@]}" --ticks "$TICKS" --quiet)

"$CXSIM" "${ARGS[@]}" --out "$T/clean" || fail "the clean run failed"

# Waits for the session's coordinator and every department to be started; prints
# "COORD PUB CONTROL DEPT..." (their endpoints, from their command lines).
endpoints() {
    local sid=$1 want i procs coord pub depts
    want=$(grep -c '^  - {id:' "$BASELINE")
    for i in $(seq 1 2000); do
        procs=$(session_procs "$sid")
        coord=$(awk '/cxsim-coordinator/ { for (i = 1; i < NF; i++) if ($i == "--bind") print $(i + 1) }' <<<"$procs")
        pub=$(awk '/cxsim-coordinator/ { for (i = 1; i < NF; i++) if ($i == "--pub") print $(i + 1) }' <<<"$procs")
        ctl=$(awk '/cxsim-coordinator/ { for (i = 1; i < NF; i++) if ($i == "--control") print $(i + 1) }' <<<"$procs")
        depts=$(awk '/cxsim-department/ { for (i = 1; i < NF; i++) if ($i == "--bind") print $(i + 1) }' <<<"$procs")
        if [ -n "$coord" ] && [ -n "$pub" ] && [ -n "$ctl" ] && [ "$(wc -w <<<"$depts")" -eq "$want" ]; then
            echo "$coord" "$pub" "$ctl" $depts
            return 0
        fi
        sleep 0.01
    done
    fail "the run's processes did not appear"
}

attack() { # out dir, extra cx_garbage options...
    local out=$1
    shift
    start_session "${ARGS[@]}" --out "$T/$out" --paused --tick-ms 1
    read -r -a eps <<<"$(endpoints "$LPID")"
    case ${eps[0]} in ipc:///*/cxsim-*/coord.sock) ;; *) fail "unexpected endpoint ${eps[0]}" ;; esac
    dargs=()
    for ep in "${eps[@]:3}"; do dargs+=(--dept "$ep"); done
    "$CX_GARBAGE" --coord "${eps[0]}" --pub "${eps[1]}" --control "${eps[2]}" "${dargs[@]}" --ticks "$TICKS" \
        --persona loyal_family --of 1 --department customer_service --ready "$T/$out.ready" "$@" \
        >"$T/$out.garbage" 2>&1 &
    gpid=$!
    # Events, not time: the attack is under way and the run is ready for its clock.
    for _ in $(seq 1 1200); do
        [ -e "$T/$out.ready" ] && [ -f "$T/$out/live.endpoints" ] && break
        kill -0 "$gpid" 2>/dev/null || { cat "$T/$out.garbage" >&2; fail "cx_garbage ($out) ended at start"; }
        sleep 0.05
    done
    [ -e "$T/$out.ready" ] || fail "cx_garbage ($out) sent no burst in 60 s"
    "$CXSIM" ctl "$T/$out" resume >/dev/null || fail "cannot start the $out run's clock"
    wait_exit "$LPID" 120
    LRC=$RC
    kill -TERM "$gpid" 2>/dev/null || true
    wait_exit "$gpid" 30
    cat "$T/$out.garbage"
    [ "$LRC" -eq 0 ] || { tail -5 "$T/launcher.err" >&2; fail "the attacked run ($out) exited $LRC, want 0"; }
    [ "$RC" -eq 0 ] || fail "cx_garbage ($out) exited $RC: the attack did not happen during the run"
    assert_no_leftovers "$LPID"
    for f in kpis.csv departments.csv touchpoints.csv; do
        cmp -s "$T/clean/$f" "$T/$out/$f" || fail "$f differs between the clean run and the $out run"
    done
    grep -q '"status": "completed"' "$T/$out/summary.json" || fail "$out: summary does not say completed"
    dropped=$(sed -n 's/.*"dropped": \([0-9]*\).*/\1/p' "$T/$out/summary.json")
    bycoord=$(sed -n 's/.*"dropped_by_coordinator": \([0-9]*\).*/\1/p' "$T/$out/summary.json")
    [ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "$out: messages.dropped is '${dropped}', want > 0"
    [ "$bycoord" -gt 0 ] || fail "$out: nothing dropped by the coordinator"
    [ "$dropped" -gt "$bycoord" ] || fail "$out: the departments reported no drops ($dropped total, $bycoord by the coordinator)"
    # Drops are counted, not logged one by one: junk must not flood stderr.
    errlines=$(wc -l <"$T/launcher.err")
    [ "$errlines" -le 100 ] || { head -20 "$T/launcher.err" >&2; fail "$out: $errlines lines on stderr"; }
    wall() { sed -n 's/.*"wall_seconds": \([0-9.]*\).*/\1/p' "$1/summary.json"; }
    echo "$out: dropped $dropped frames ($bycoord by the coordinator); run took $(wall "$T/$out") s, clean run $(wall "$T/clean") s"
}

attack hostile --burst-ms 5
grep -q "HELLOs refused with STOP" "$T/hostile.garbage" || fail "no cx_garbage report"
grep -q "control: [1-9][0-9]* refused" "$T/hostile.garbage" || fail "the control socket refused nothing"
attack flood --flood --seed 7
echo ok
