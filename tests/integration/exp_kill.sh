#!/usr/bin/env bash
# A sweep killed part-way (SIGKILL, then SIGTERM) loses no completed run and
# never records a half-finished one as complete; no process outlives it;
# running the same command again completes the database without redoing
# what was recorded. A second sweep in a directory in use is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/exp_lib.sh"

POINTS=3
REPS=12
TICKS=365
TOTAL=$((POINTS * REPS))

# Checks the database is consistent: every completed run has all its ticks,
# no kpis row belongs to a run that is not completed. Prints the completed
# count.
check_db() {
    python3 - "$1" "$TICKS" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
ticks = int(sys.argv[2])
assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
bad = con.execute("""SELECT r.run_id, r.status, COUNT(k.tick) FROM runs r LEFT JOIN kpis k
                     ON k.run_id = r.run_id GROUP BY r.run_id
                     HAVING (r.status = 'completed' AND COUNT(k.tick) <> ?)
                         OR (r.status <> 'completed' AND COUNT(k.tick) <> 0)""", (ticks,)).fetchall()
assert not bad, f"half-recorded runs: {bad}"
orphans = con.execute("SELECT COUNT(*) FROM kpis WHERE run_id NOT IN (SELECT run_id FROM runs)").fetchone()[0]
assert orphans == 0, f"{orphans} kpis rows without a run"
print(con.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetchone()[0])
PY
}

# Completed runs in the database right now (0 while it does not exist).
completed() {
    python3 - "$1" <<'PY' 2>/dev/null || echo 0
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
print(con.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'").fetchone()[0])
PY
}

# kill_midway SIGNAL DIR: starts the sweep in its own session, waits until
# 3 runs are recorded, sends SIGNAL, waits for it to exit; sets RC.
kill_midway() {
    local sig=$1 dir=$2 i n
    start_session sweep "$BASELINE" --set departments.it.maturity=1..$POINTS "${EXP_SMALL[@]}" \
        --ticks $TICKS --replicates $REPS --jobs 2 --out "$dir"
    for i in $(seq 1 600); do
        n=$(completed "$dir/sweep.db")
        [ "$n" -ge 3 ] && break
        kill -0 "$LPID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$LPID" 2>/dev/null || { cat "$T/launcher.out" "$T/launcher.err"; fail "the sweep ended before it could be killed (make it longer)"; }
    [ "$n" -lt $TOTAL ] || fail "the sweep finished before it could be killed"
    # A second sweep in the same directory meanwhile is refused.
    local rc2=0
    "$CXSIM" sweep "$BASELINE" --set departments.it.maturity=1..$POINTS "${EXP_SMALL[@]}" \
        --ticks $TICKS --replicates $REPS --jobs 2 --out "$dir" >"$T/second.out" 2>&1 || rc2=$?
    [ "$rc2" -eq 1 ] && grep -q "another sweep or comparison is running" "$T/second.out" \
        || { cat "$T/second.out"; fail "a second sweep in a busy directory was not refused ($rc2)"; }
    kill "-$sig" "$LPID"
    wait_exit "$LPID" 30
    assert_no_leftovers "$LPID"
}

resume() { # DIR: runs the same command to the end; sets OUT
    "$CXSIM" sweep "$BASELINE" --set departments.it.maturity=1..$POINTS "${EXP_SMALL[@]}" \
        --ticks $TICKS --replicates $REPS --jobs 2 --out "$1" >"$T/resume.out" 2>&1 \
        || { cat "$T/resume.out"; fail "the resumed sweep failed"; }
}

for sig in KILL TERM; do
    D=$T/sweep-$sig
    kill_midway $sig "$D"
    if [ "$sig" = TERM ]; then
        [ "$RC" -eq 1 ] || fail "a sweep stopped by SIGTERM exited $RC, expected 1"
        grep -q "interrupted" "$T/launcher.err" || fail "no 'interrupted' message after SIGTERM"
    fi
    got=$(check_db "$D/sweep.db") || fail "inconsistent database after SIG$sig"
    [ "$got" -ge 3 ] && [ "$got" -lt $TOTAL ] || fail "after SIG$sig: $got completed runs recorded"
    kept=$(q "$D/sweep.db" "SELECT point, replicate, finished FROM runs WHERE status = 'completed' ORDER BY 1, 2")
    resume "$D"
    # The resumed sweep planned only what was missing (runs that finished
    # unrecorded are imported from their run.json, not run again).
    todo=$(sed -n 's/.* runs: \([0-9]*\) to do, \([0-9]*\) already done.*/\1 \2/p' "$T/resume.out")
    set -- $todo
    [ "$(($1 + $2))" -eq $TOTAL ] && [ "$1" -le $((TOTAL - got)) ] \
        || { cat "$T/resume.out"; fail "after SIG$sig: resume planned '$todo' with $got recorded"; }
    expect_eq "completed after resume (SIG$sig)" "$(check_db "$D/sweep.db")" $TOTAL
    # Every run recorded before the kill is still there, untouched.
    now=$(q "$D/sweep.db" "SELECT point, replicate, finished FROM runs WHERE status = 'completed' ORDER BY 1, 2")
    missing=$(comm -23 <(echo "$kept" | LC_ALL=C sort) <(echo "$now" | LC_ALL=C sort))
    [ -z "$missing" ] || fail "runs recorded before SIG$sig changed or vanished: $missing"
    echo "SIG$sig: $got of $TOTAL recorded before the kill; resumed with $1 to do"
done

# Both sweeps ended with the same results as each other (same seeds).
a=$(q "$T/sweep-KILL/sweep.db" "SELECT p.key, r.replicate, r.seed, k.tick, k.nps, k.revenue FROM runs r JOIN points p ON p.point = r.point JOIN kpis k ON k.run_id = r.run_id ORDER BY 1, 2, 4" | sha256sum)
b=$(q "$T/sweep-TERM/sweep.db" "SELECT p.key, r.replicate, r.seed, k.tick, k.nps, k.revenue FROM runs r JOIN points p ON p.point = r.point JOIN kpis k ON k.run_id = r.run_id ORDER BY 1, 2, 4" | sha256sum)
expect_eq "results after two different interruptions" "$a" "$b"
echo ok
