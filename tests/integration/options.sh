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
# Every command that talks to a run, the sweep and the coordinator: a misspelt
# option is named with its closest, and --name=VALUE is the same as --name VALUE.
mkdir "$T/none"
expect2 "sweep option" "unknown option '--replicate' (did you mean '--replicates'?)" \
    sweep "$BASELINE" --set seed=1,2 --replicate 3
expect2 "sweep flag given a value" "--no-submit takes no value" \
    sweep "$BASELINE" --set seed=1,2 --no-submit=1
expect2 "ctl option" "unknown option '--kye' (did you mean '--key'?)" \
    ctl "$T/none" status --kye "$T/k"
expect2 "ctl verb" "unknown verb 'stauts' (did you mean 'status'?)" ctl "$T/none" stauts
expect2 "ctl --key=FILE" "--key: cannot read the run key $T/nokey" \
    ctl "$T/none" status --key="$T/nokey"
expect2 "watch option" "unknown option '--evry' (did you mean '--every'?)" \
    watch "$T/none" --evry 3
expect2 "watch --columns=" "no column 'churn' in the rows: did you mean churn_rate?" \
    watch "$T/none" --columns=nps,churn
expect2 "fork option" "unknown option '--evnt' (did you mean '--event'?)" \
    fork "$T/none" "$T/new" --evnt '{event: campaign, value: 1.5}'
expect2 "fork --at=T" "$T/none has no checkpoint" fork "$T/none" "$T/new" --at=3
expect2 "fork --over alone" "--over belongs to a --set" fork "$T/none" "$T/new" --over 3
expect2 "keygen option" "unknown option '--forse'" keygen --forse "$T/k"
expect2 "resume option" "unknown option '--heartbeat-m' (did you mean '--heartbeat-ms'?)" \
    resume "$T/none" --heartbeat-m 500
expect2 "resume flag given a value" "--quiet takes no value" resume "$T/none" --quiet=1
# The optimiser and the assessment: the same parser, the same answers.
expect2 "optimise option" "unknown option '--budjet' (did you mean '--budget'?)" \
    optimise "$BASELINE" --budjet 500000
expect2 "optimise --objective=" "--objective expects net, nps or churn, got 'npss' (did you mean 'nps'?)" \
    optimise "$BASELINE" --budget=500000 --objective=npss
expect2 "optimise flag given a value" "--quiet takes no value" \
    optimise "$BASELINE" --budget 500000 --quiet=yes
QN="$CX_SOURCE_DIR/scenarios/assess/example-answers.yaml"
expect2 "assess option" "unknown option '--interactiv' (did you mean '--interactive'?)" \
    assess "$QN" --interactiv
expect2 "assess flag given a value" "--interactive takes no value" assess "$QN" --interactive=1
"$CXSIM" assess "$QN" --out="$T/assessed.yaml" >/dev/null 2>"$T/err" ||
    fail "assess --out=FILE failed: $(cat "$T/err")"
[ -s "$T/assessed.yaml" ] || fail "assess --out=FILE wrote nothing"
[ ! -e "$T/k" ] && [ ! -e "$T/new" ] || fail "a refused command wrote a file"
# The agents' own options go through the same parser.
BIN=$(dirname "$CXSIM")
set +e
"$BIN/cxsim-persona" --conect tcp://127.0.0.1:1 --persona p >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "cxsim-persona --conect: exit status $rc, want 2"
grep -qF "unknown option '--conect' (did you mean '--connect'?)" "$T/err" ||
    fail "cxsim-persona --conect: $(cat "$T/err")"
coord2() { # description, expected text on stderr, args...
    local what=$1 want=$2
    shift 2
    set +e
    "$BIN/cxsim-coordinator" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "cxsim-coordinator $what: exit status $rc, want 2"
    grep -qF -- "$want" "$T/err" || fail "cxsim-coordinator $what: $(cat "$T/err")"
}
coord2 "misspelt option" "unknown option '--scenaro' (did you mean '--scenario'?)" \
    --scenaro "$BASELINE" --out "$T/c" --bind tcp://127.0.0.1:1
coord2 "--heartbeat-ms=5" "--heartbeat-ms expects an integer from 10 to 600000, got '5'" \
    --scenario "$BASELINE" --out "$T/c" --bind tcp://127.0.0.1:1 --heartbeat-ms=5
[ ! -e runs ] || fail "a refused command created runs/: $(ls -A runs)"
# Both forms of a value are taken.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks=3 --in-process --quiet --out "$T/a"
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --ticks 3 --in-process --quiet --out "$T/b"
cmp "$T/a/kpis.csv" "$T/b/kpis.csv" || fail "--ticks=3 and --ticks 3 differ"
[ "$(wc -l <"$T/a/kpis.csv")" -eq 4 ] || fail "--ticks=3 did not run 3 ticks"
echo ok
