#!/usr/bin/env bash
# A misspelt subcommand or option exits 2 with "did you mean", and starts nothing;
# an abbreviation is not taken for the option it abbreviates.
. "$(dirname "$0")/lib.sh"
mkdir "$T/cwd"
cd "$T/cwd"

expect2() { # description, expected text on stderr, args...
    local what=$1 want=$2
    shift 2
    set +e
    "$CXSIM" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$what: exit status $rc, want 2"
    grep -qF -- "$want" "$T/err" || fail "$what: stderr lacks '$want': $(cat "$T/err")"
}
expect2 "misspelt subcommand" "unknown command 'runn' (did you mean 'run'?)" runn "$BASELINE"
expect2 "misspelt option" "unknown option '--tick' (did you mean '--ticks'?)" \
    run "$BASELINE" --tick 5
expect2 "abbreviated option" "unknown option '--in-proc' (did you mean '--in-process'?)" \
    run "$BASELINE" --in-proc
expect2 "missing value" "--ticks expects a value" run "$BASELINE" --ticks
expect2 "value to a flag" "--quiet takes no value" run "$BASELINE" --quiet=1
expect2 "experiment option" "unknown option '--replicate' (did you mean '--replicates'?)" \
    compare "$BASELINE" --replicate 3
expect2 "check option" "unknown option '--quik' (did you mean '--quick'?)" check --quik
# The agents' own options go through the same parser.
BIN=$(dirname "$CXSIM")
set +e
"$BIN/cxsim-persona" --conect tcp://127.0.0.1:1 --persona p >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "cxsim-persona --conect: exit status $rc, want 2"
grep -qF "unknown option '--conect' (did you mean '--connect'?)" "$T/err" ||
    fail "cxsim-persona --conect: $(cat "$T/err")"
[ ! -e runs ] || fail "a refused command created runs/: $(ls -A runs)"
# Both forms of a value are taken.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks=3 --in-process --quiet --out "$T/a"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 3 --in-process --quiet --out "$T/b"
cmp "$T/a/kpis.csv" "$T/b/kpis.csv" || fail "--ticks=3 and --ticks 3 differ"
[ "$(wc -l <"$T/a/kpis.csv")" -eq 4 ] || fail "--ticks=3 did not run 3 ticks"
echo ok
