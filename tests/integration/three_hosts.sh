#!/usr/bin/env bash
# One run across three "hosts": three network namespaces (10.77.N.1-3 on a
# bridge in a fourth, none reachable from outside), the processes started by
# hand with a run key and placed as srun's block distribution places a job's
# tasks (coordinator and the first departments on host 1, ...). Every
# department binds and advertises its own host's address. The result files
# equal a local run's, byte for byte. Needs root (ip netns): skipped (exit 77,
# with the reason) otherwise. The namespaces and processes are removed on
# every exit path.
. "$(dirname "$0")/lib.sh"

BIN=$(dirname "$CXSIM")
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
    echo "skipped: creating network namespaces needs root and ip (iproute2)"
    exit 77
fi
NS=cx3h$$ # unique per test run
NET=10.77.$(($$ % 250))
PIDS=()
ns_cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    for n in ${NS}1 ${NS}2 ${NS}3 ${NS}b; do
        ip netns del "$n" 2>/dev/null || true
    done
    lib_cleanup
}
trap ns_cleanup EXIT
if ! ip netns add "${NS}b" 2>"$T/ns.err"; then
    echo "skipped: this machine refuses network namespaces ($(cat "$T/ns.err"))"
    exit 77
fi
ip netns exec "${NS}b" ip link add br0 type bridge && ip netns exec "${NS}b" ip link set br0 up \
    || fail "cannot create the bridge"
for i in 1 2 3; do
    ip netns add "$NS$i" || fail "ip netns add $NS$i"
    ip link add "${NS}v$i" type veth peer name "${NS}p$i" || fail "veth $i"
    ip link set "${NS}v$i" netns "$NS$i" && ip link set "${NS}p$i" netns "${NS}b" || fail "veth $i into the namespaces"
    ip netns exec "${NS}b" ip link set "${NS}p$i" master br0 && ip netns exec "${NS}b" ip link set "${NS}p$i" up \
        || fail "bridge port $i"
    ip netns exec "$NS$i" ip addr add "$NET.$i/24" dev "${NS}v$i" && ip netns exec "$NS$i" ip link set "${NS}v$i" up \
        && ip netns exec "$NS$i" ip link set lo up || fail "address of host $i"
done

# The local run, and its resolved scenario for the hand-started processes.
"$CXSIM" run "$BASELINE" "${SMALL[@]}" --shards 2 --ticks 40 --out "$T/local" --quiet >/dev/null 2>&1 \
    || fail "local run failed"
"$CXSIM" keygen "$T/run.key" >/dev/null || fail "keygen"
K=(--key "$T/run.key")
C=tcp://$NET.1:5555
mapfile -t depts < <(sed -n '/^departments:/,/^[a-z]/s/^  - id: //p' "$T/local/scenario.resolved.yaml")
mapfile -t personas < <(sed -n '/^personas:/,/^[a-z]/s/^  - id: //p' "$T/local/scenario.resolved.yaml")
total=$((1 + ${#depts[@]} + 2 * ${#personas[@]}))
per=$(((total + 2) / 3)) # block distribution: ceil(total / 3) tasks a host
host() { echo $(($1 / per + 1)); }

ip netns exec "${NS}1" "$BIN/cxsim-coordinator" --scenario "$T/local/scenario.resolved.yaml" --out "$T/three" \
    --bind "$C" --pub "tcp://$NET.1:5556" --control "tcp://$NET.1:5557" "${K[@]}" >"$T/coord.log" 2>&1 &
coord=$!
PIDS+=("$coord")
t=1
for d in "${!depts[@]}"; do
    h=$(host $t)
    ep=tcp://$NET.$h:$((6001 + d))
    ip netns exec "$NS$h" "$BIN/cxsim-department" --connect "$C" --department "${depts[$d]}" \
        --bind "$ep" --advertise "$ep" "${K[@]}" >"$T/dept$d.log" 2>&1 &
    PIDS+=("$!")
    t=$((t + 1))
done
for p in "${personas[@]}"; do
    for s in 0 1; do
        h=$(host $t)
        ip netns exec "$NS$h" "$BIN/cxsim-persona" --connect "$C" --persona "$p" --shard $s --of 2 \
            "${K[@]}" >"$T/persona$t.log" 2>&1 &
        PIDS+=("$!")
        t=$((t + 1))
    done
done
[ "$(host $((t - 1)))" -eq 3 ] || fail "the processes do not reach the third host"
wait_exit "$coord" 120
[ "$RC" -eq 0 ] || { cat "$T/coord.log"; fail "the coordinator across three hosts exited $RC"; }
for f in kpis.csv departments.csv touchpoints.csv; do
    cmp -s "$T/three/$f" "$T/local/$f" || fail "$f across three hosts differs from the local run's"
done
echo "ok: $total processes on 3 hosts ($per a host), byte-identical"
