#!/usr/bin/env bash
# Invalid input exits 2 with the reason on stderr, and starts nothing.
. "$(dirname "$0")/lib.sh"

# From an empty directory, so that a refused run that wrote its default
# runs/ directory anyway is seen.
mkdir "$T/cwd"
cd "$T/cwd"

expect2() { # description, args...
    local what=$1
    shift
    set +e
    "$CXSIM" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$what: exit status $rc, want 2"
    [ -s "$T/err" ] || fail "$what: nothing on stderr"
}
expect2 "missing file" run "$T/nope.yaml"
grep -q "nope.yaml" "$T/err" || fail "missing file not named"
expect2 "bad option" run "$BASELINE" --frobnicate
expect2 "bad --ticks" run "$BASELINE" --ticks -3
expect2 "bad --shards" run "$BASELINE" --shards 0
expect2 "unknown --set key" run "$BASELINE" --set departments.it.maturty=4
grep -qi "maturity" "$T/err" || fail "no suggestion for a misspelt key"
expect2 "out of range --set" run "$BASELINE" --set departments.it.maturity=9
expect2 "out of range --set=K=V" run "$BASELINE" --set=departments.it.maturity=9
grep -q "departments.it.maturity" "$T/err" || fail "--set=K=V: the key is not named"
expect2 "unknown command" frobnicate
[ ! -e runs ] || fail "a refused command created runs/: $(ls -A runs)"
# Both forms of --set take effect: the resolved scenario says so.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 1 --quiet --out "$T/eq" \
    --set=seed=7 --set=departments.it.staff=11 || fail "a run with --set=K=V failed"
grep -q '^seed: 7$' "$T/eq/scenario.resolved.yaml" || fail "--set=seed=7 ignored"
awk '/- id: it$/ { it = 1 } it && /staff:/ { print; exit }' "$T/eq/scenario.resolved.yaml" \
    | grep -q 'staff: 11$' || fail "--set=departments.it.staff=11 ignored"
"$CXSIM" --version | grep -q '^cxsim ' || fail "--version"
"$CXSIM" run --help | grep -q -- '--shards' || fail "run --help"
echo ok
