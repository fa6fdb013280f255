#!/usr/bin/env bash
# A checkpoint is trusted only when it is whole, of this format and this run's:
# `cxsim resume` and `cxsim fork` refuse a damaged one (a bit flipped, a
# truncation), a foreign one (another seed, another run of the same seed), one
# of an older format, damaged agent state inside a valid envelope, and a FIFO,
# another roster's, a result file shorter than the checkpoint says, each with
# exit 2 and a clear message before any process starts, leaving the run's
# files exactly as they were.
. "$(dirname "$0")/lib.sh"

ARGS=("$BASELINE" "${SMALL[@]}" --ticks 60 --checkpoint-every 25 --quiet)
"$CXSIM" run "${ARGS[@]}" --out "$T/a" || fail "run a failed"
"$CXSIM" run "${ARGS[@]}" --out "$T/a2" || fail "run a2 failed"
"$CXSIM" run "${ARGS[@]}" --set seed=7 --out "$T/b" || fail "run b failed"
"$CXSIM" run "${ARGS[@]}" --shards 2 --out "$T/c" || fail "run c failed"
for d in a a2 b c; do
    [ -f "$T/$d/checkpoint.msgpack" ] || fail "run $d left no checkpoint"
    [ -f "$T/$d/run.id" ] || fail "run $d left no run.id"
done

# Every process of a resume is started through this wrapper: it leaves a mark.
cat >"$T/wrap.sh" <<WRAP
#!/bin/sh
touch "$T/started"
exec "\$@"
WRAP
chmod +x "$T/wrap.sh"

dir_sum() {
    (cd "$1" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# refused CMD DIR PATTERN: `cxsim CMD DIR ...` exits 2 saying PATTERN, starts
# nothing and leaves DIR as it was.
refused() {
    local cmd=$1 dir=$2 pattern=$3 before rc
    shift 3
    before=$(dir_sum "$dir")
    rm -f "$T/started"
    set +e
    CXSIM_AGENT_WRAPPER="$T/wrap.sh" timeout 60 "$CXSIM" "$cmd" "$dir" "$@" --quiet 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "$cmd of $dir ($pattern) gave exit $rc, not 2"; }
    grep -q "$pattern" "$T/err" || { cat "$T/err" >&2; fail "$cmd of $dir: no message '$pattern'"; }
    [ ! -e "$T/started" ] || fail "$cmd of $dir started a process before refusing"
    [ "$before" = "$(dir_sum "$dir")" ] || fail "$cmd of $dir changed its files"
}

# copy NAME: a copy of run a to tamper with.
copy() {
    rm -rf "${T:?}/$1"
    cp -a "$T/a" "$T/$1"
}

# 1. One bit flipped, in the middle and in the header's checksum.
copy flip
size=$(stat -c %s "$T/flip/checkpoint.msgpack")
python3 - "$T/flip/checkpoint.msgpack" "$((size / 2))" <<'PY'
import sys
p, at = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[at] ^= 0x10; open(p, 'wb').write(b)
PY
refused resume "$T/flip" "damaged: its checksum does not match"
refused fork "$T/flip" "damaged: its checksum does not match" "$T/flip-branch"
[ ! -e "$T/flip-branch" ] || fail "a refused fork made its branch"

# One bit flipped anywhere: the magic, the format, the header's reserved
# bytes, its length, its checksum, the body's first, middle and last bytes.
for at in 0 9 13 17 30 56 $((size / 3)) $((size - 1)); do
    copy flip
    python3 - "$T/flip/checkpoint.msgpack" "$at" <<'PY'
import sys
p, at = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[at] ^= 0x01; open(p, 'wb').write(b)
PY
    refused resume "$T/flip" 'damaged\|truncated\|not a cxsim checkpoint\|checkpoint format'
done

# 2. Truncated: by a little, to the header, to nothing.
for cut in $((size - 100)) $((size - 1)) 56 20 0; do
    copy trunc
    truncate -s "$cut" "$T/trunc/checkpoint.msgpack"
    refused resume "$T/trunc" 'truncated\|not a cxsim checkpoint'
done
copy trunc
truncate -s $((size - 100)) "$T/trunc/checkpoint.msgpack"
refused fork "$T/trunc" "truncated" "$T/trunc-branch"
[ ! -e "$T/trunc-branch" ] || fail "a refused fork made its branch"

# 3. Another seed's checkpoint.
copy seed
cp "$T/b/checkpoint.msgpack" "$T/seed/"
refused resume "$T/seed" "made with seed 7, this run's seed is"

# 4. Another run's checkpoint, same scenario and seed.
copy other
cp "$T/a2/checkpoint.msgpack" "$T/other/"
refused resume "$T/other" "belongs to another run"
refused fork "$T/other" "belongs to another run" "$T/other-branch"

# 4b. Another roster's checkpoint (the same run with its personas in two
# shards): refused by the roster count, not by whatever reading past it does.
copy roster
cp "$T/c/checkpoint.msgpack" "$T/roster/"
refused resume "$T/roster" "another roster"
refused fork "$T/roster" "another roster" "$T/roster-branch"

# 4c. A result file shorter than the checkpoint says (a file restored from
# an older backup): each of the three, alone.
for f in kpis.csv departments.csv touchpoints.csv; do
    copy short
    head -c "$(($(stat -c %s "$T/short/$f") / 3))" "$T/a/$f" >"$T/short/$f"
    refused resume "$T/short" "$f is shorter"
done

# 5. An older format: the bare array of format 1, and the header of format 1.
copy old
printf '\x98\x01\xb0cxsim-checkpoint\xa50.1.0' >"$T/old/checkpoint.msgpack"
refused resume "$T/old" "checkpoint format 1 by an older cxsim"
copy old2
python3 - "$T/old2/checkpoint.msgpack" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read()); b[8] = 1; open(p, 'wb').write(b)
PY
refused resume "$T/old2" "written in checkpoint format 1"

# 6. Damaged agent state inside a whole envelope (the checksum recomputed).
for victim in 0 -1; do
    copy agent
    python3 - "$T/agent/checkpoint.msgpack" "$victim" <<'PY'
import hashlib, struct, sys
# The body is [str, str, uint, bin, int, bin, bin, bin, [bin, ...]]
# (runtime/cx_checkpoint.h): walk it by hand, cut one agent state in half,
# and write a whole envelope around it.
p, victim = sys.argv[1], int(sys.argv[2])
d = open(p, 'rb').read()
assert d[:8] == b'CXSIMCKP'
b, at = d[56:], 0
def item(i):
    t = b[i]
    if t <= 0x7f or t >= 0xe0: return i + 1, None
    if 0xa0 <= t <= 0xbf: return i + 1 + (t & 31), None
    if 0x90 <= t <= 0x9f: return i + 1, t & 15
    n = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8}.get(t)
    if n: return i + 1 + n, None
    if t in (0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb):
        w = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4}[t]
        return i + 1 + w + int.from_bytes(b[i + 1:i + 1 + w], 'big'), None
    if t == 0xdc: return i + 3, int.from_bytes(b[i + 1:i + 3], 'big')
    if t == 0xdd: return i + 5, int.from_bytes(b[i + 1:i + 5], 'big')
    raise SystemExit('unexpected type %x' % t)
at, n = item(0)
for _ in range(8):
    at, _ = item(at)
at, agents = item(at)
spans = []
for _ in range(agents):
    nxt, _ = item(at)
    spans.append((at, nxt))
    at = nxt
s, e = spans[victim]
w = {0xc4: 1, 0xc5: 2, 0xc6: 4}[b[s]]
state = b[s + 1 + w:e][: (e - s - 1 - w) // 2]
nb = b[:s] + bytes([0xc6]) + struct.pack('>I', len(state)) + state + b[e:]
head = d[:16] + struct.pack('<Q', len(nb))
open(p, 'wb').write(head + hashlib.blake2b(head + nb, digest_size=32).digest() + nb)
PY
    refused resume "$T/agent" "is damaged"
done

# 7. A FIFO in the checkpoint's place is refused, not waited on.
copy fifo
rm "$T/fifo/checkpoint.msgpack"
mkfifo "$T/fifo/checkpoint.msgpack"
refused resume "$T/fifo" "not a regular file"

# The untouched copy resumes, and ends as the run did.
copy good
"$CXSIM" resume "$T/good" --quiet || fail "resume of an untouched checkpoint failed"
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/a/$f" "$T/good/$f" || fail "$f differs after a resume"
done
echo ok
