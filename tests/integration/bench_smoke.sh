#!/usr/bin/env bash
# scripts/bench --quick works end to end and its JSON parses and is complete. No timing
# is asserted (a loaded CI machine proves nothing about speed).
set -euo pipefail
: "${CX_BUILD_DIR:?CX_BUILD_DIR must point to the build directory}"
: "${CX_SOURCE_DIR:?CX_SOURCE_DIR must point to the source tree}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cxsim-bench-smoke.XXXXXX")
trap 'rm -rf "$T"' EXIT

"$CX_SOURCE_DIR/scripts/bench" --quick --build "$CX_BUILD_DIR" --json "$T/bench.json" \
    >"$T/table.txt" 2>"$T/stderr.txt" || {
    cat "$T/stderr.txt" >&2
    echo "FAIL: scripts/bench --quick failed" >&2
    exit 1
}
grep -q 'bench-ticks' "$T/table.txt" || { echo "FAIL: no table" >&2; exit 1; }
python3 - "$T/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def need(cond, what):
    if not cond:
        sys.exit(f"FAIL: bench.json: {what}")
names = [b["name"] for b in r["benchmarks"]]
need(names == ["bench-small", "bench-large", "bench-ticks"], f"benchmarks {names}")
for b in r["benchmarks"]:
    for mode in ("multi_process", "in_process"):
        m = b[mode]
        for k in ("wall_s", "ticks_per_s", "customer_ticks_per_s", "interactions_per_s",
                  "peak_rss_max_mib", "cpu_user_s"):
            need(isinstance(m.get(k), (int, float)) and m[k] >= 0, f"{b['name']} {mode} {k}")
        need(m["wall_s"] > 0 and m["ticks_per_s"] > 0, f"{b['name']} {mode} ran")
    mp = b["multi_process"]
    for k in ("coord_messages_per_tick", "coord_bytes_per_tick", "data_bytes_per_tick"):
        need(mp.get(k, -1) >= 0, f"{b['name']} {k}")
    need(len(mp["processes"]) == b["process_count"] + 1, f"{b['name']} processes sampled")
    need(b["mp_over_ip"] > 0, f"{b['name']} mp_over_ip")
    need("ticks_vs_barrier" in b["vs_ceilings"], f"{b['name']} vs_ceilings")
c = r["ceilings"]
for k in ("barrier", "pattern", "batch", "codec"):
    need(c.get(k) and all(x.get("ticks_per_s", 1) > 0 for x in c[k]), f"ceilings {k}")
need(r["bytes_per_customer"] > 0, "bytes_per_customer")
PY
echo ok
