# shellcheck shell=bash
# Helpers for the experiment tests (sourced after lib.sh).
# Queries go through Python's sqlite3 module, so the tests read sweep.db
# with code independent of cxsim's own.

python3 -c 'import sqlite3, statistics' 2>/dev/null \
    || fail "python3 with the sqlite3 module is needed to check sweep.db independently"

# Small populations and a short horizon: fast runs.
EXP_SMALL=(--set personas.bargain_hunter.customers=1500 --set personas.loyal_family.customers=1000)

# q DB SQL: prints the result rows, fields separated by '|'.
q() {
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
