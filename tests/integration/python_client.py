"""A client of a running cxsim run written in Python, with nothing but
Debian's python3-zmq and python3-msgpack: it subscribes to the rows, asks
the status, takes one live change, has a bad one refused, sends junk, and
checks every row it receives against kpis.csv once the run is over.

    python_client.py RUN_DIR TICKS     (exit 0 when every check holds)
"""
import csv
import os
import sys
import time

import msgpack
import zmq

VERSION, ROW, COMMAND, REPLY = 1, 12, 14, 15


def fail(msg):
    print(f"python client: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    run_dir, ticks = sys.argv[1], int(sys.argv[2])
    path = os.path.join(run_dir, "live.endpoints")
    deadline = time.time() + 30
    while not os.path.exists(path):
        if time.time() > deadline:
            fail(f"{path} never appeared")
        time.sleep(0.02)
    eps = dict(line.split(" ", 1) for line in open(path).read().splitlines())

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(eps["rows"])
    ctl = ctx.socket(zmq.DEALER)
    ctl.setsockopt(zmq.LINGER, 0)
    ctl.connect(eps["control"])

    def call(verb, value="", raw=None):
        ctl.send(raw if raw is not None else msgpack.packb([VERSION, COMMAND, verb, "", value]))
        if not ctl.poll(10000):
            fail(f"no reply to {verb!r}")
        version, kind, ok, message = msgpack.unpackb(ctl.recv(), raw=False)
        if (version, kind) != (VERSION, REPLY):
            fail(f"a reply of kind {kind}, version {version}")
        return ok, message

    ok, status = call("status")
    fields = dict(kv.split("=", 1) for kv in status.split())
    if not ok or int(fields["ticks"]) != ticks or fields["state"] != "paused":
        fail(f"status: {status}")
    time.sleep(0.3)  # the subscription reaches the publisher
    ok, msg = call("resume")
    if not ok:
        fail(f"resume: {msg}")

    rows, change_tick = {}, None
    deadline = time.time() + 120
    while ticks - 1 not in rows:
        if time.time() > deadline:
            fail(f"the last row never came ({len(rows)} rows)")
        if sub.poll(200):
            version, kind, tick, row = msgpack.unpackb(sub.recv(), raw=False)
            if (version, kind) == (VERSION, ROW):
                rows[tick] = row
        if change_tick is None and len(rows) >= 3:
            ok, msg = call("event", "{event: cx_owner, owner: cx_team}")
            if not ok or not msg.startswith("at tick "):
                fail(f"the change was refused: {msg}")
            change_tick = int(msg.split()[2].rstrip(":"))
            ok, msg = call("event", "{event: governance, governance: centralized}")
            if ok or "did you mean 'centralised'" not in msg:
                fail(f"a misspelt governance was not refused as expected: {ok} {msg}")
            ok, msg = call("", raw=b"\xc1 not msgpack")
            if ok:
                fail("junk was accepted")

    time.sleep(0.5)  # the coordinator writes summary.json after the last row
    with open(os.path.join(run_dir, "kpis.csv")) as f:
        table = {int(r["tick"]): r for r in csv.DictReader(f)}
    if len(rows) != ticks:
        fail(f"only {len(rows)} of {ticks} rows arrived")
    for tick, row in rows.items():
        for col in ("customers", "nps", "revenue", "churned", "employee_engagement"):
            want = float(table[tick][col])
            if abs(row[col] - want) > 1e-6 * max(1.0, abs(want)):
                fail(f"tick {tick} {col}: row {row[col]} vs kpis.csv {want}")
    print(f"python client: {len(rows)} rows match kpis.csv; cx_owner changed at tick {change_tick}")
    with open(os.path.join(run_dir, "..", "change_tick"), "w") as f:
        f.write(f"{change_tick}\n")


if __name__ == "__main__":
    main()
