#!/usr/bin/python3
"""A cxsim department written in Python, from docs/PROTOCOL.md alone.

    department.py --connect ENDPOINT --department ID [--bind ENDPOINT]
                  [--key FILE] [--timeout-ms MS] [--pillar SCORE]

Its model is its own and simple: every request of the tick is served at
once and resolved, every pillar scored SCORE (0..10, default 7); no backlog,
no hand-offs. Its figures follow the protocol's units: cost is the staff's
pay for the tick, engagement the steady state's (WELCOME), the employee
survey one answer per employee (at most 50) from that engagement.

    Per tick (state machine):

      COLLECTING t: TICK t from the coordinator and one REQUESTS t from every
                    persona shard of the roster, in any order (a batch may
                    come before the TICK: it is kept)
        --all in--> one OUTCOMES t to every shard (empty ones too), then
                    DEPT_DONE t --> COLLECTING t+1
      CHECKPOINT t-1 (between ticks) --> SNAPSHOT (empty: no state to keep)
      any --STOP--> BYE, exit 0

A batch that does not decode, is for another tick, names a shard outside the
roster, comes from another routing id than that shard's, or comes a second
time in a tick is dropped and counted.
"""
import sys

import zmq

import cxagent as cx

USAGE = ("usage: department.py --connect ENDPOINT --department ID [--bind ENDPOINT]\n"
         "                     [--key FILE] [--timeout-ms MS] [--pillar SCORE]\n"
         "--bind defaults to tcp://127.0.0.1:* (the port chosen is advertised); give\n"
         "an address the persona shards can reach, never a wildcard.")


def stats(sc, d, tick, served, engagement):
    """DEPT_DONE's 13 float64 figures for this tick."""
    dept, days = sc["departments"][d], tick["days"]
    staff = tick["staff"][d]
    answers = int(min(max(round(staff), 1), 50))  # one question per employee, at most 50
    answer = min(max(round(1 + 9 * engagement / 100), 1), 10)
    points = answers * 20 * ((answer + 1) // 2)  # the survey's scoring (cx_kpi_engagement_points)
    return [float(served), float(served), 0.0,  # demand, handled, backlog (requests)
            staff * dept["service_rate"] * days,  # capacity (requests of unit work)
            0.0, 100.0 if served else 0.0,  # average wait (days), resolution rate (%)
            0.0, 0.0,  # hand-offs, failed hand-offs
            staff * dept["cost_per_staff"] * days / 365.0,  # cost (currency)
            engagement, tick["maturity"][d], float(points), float(answers)]


def main():
    opts = cx.arguments(sys.argv[1:], USAGE, {"connect": None, "department": None,
                                              "bind": "tcp://127.0.0.1:*", "timeout-ms": "30000",
                                              "pillar": "7", "key": ""})
    try:
        timeout_ms, pillar = int(opts["timeout-ms"]), float(opts["pillar"])
        assert 0 <= pillar <= 10 and timeout_ms > 0
    except (ValueError, AssertionError):
        print(f"bad --timeout-ms or --pillar\n{USAGE}", file=sys.stderr)
        return 2
    s = cx.Session(opts["connect"], opts["key"])
    data = s.socket(zmq.ROUTER, server=True)
    cx.check_listener(opts["bind"], opts["key"])
    try:
        data.bind(opts["bind"])
    except zmq.ZMQError as e:
        raise cx.BadInput(f"cannot bind {opts['bind']}: {e}")
    endpoint = data.getsockopt_string(zmq.LAST_ENDPOINT)
    s.join("department", opts["department"], 0, 1, endpoint, timeout_ms)
    sc = s.scenario
    ids = [d["id"] for d in sc["departments"]]
    if opts["department"] not in ids:
        raise cx.AgentError(f"department {opts['department']} is not in this run")
    d = ids.index(opts["department"])
    engagement = s.steady["engagement"][d]
    # The roster of persona shards, with the routing id each must send from.
    slots = {(p, k): cx.slot_rid(s.run, p, k) for p, n in enumerate(s.shards) for k in range(n)}
    scores = bytes([round(pillar * 20)] * 6)
    s.ready()

    tick, words, batches, bye = 0, None, {}, False
    poller = zmq.Poller()
    poller.register(s.coord, zmq.POLLIN)
    poller.register(data, zmq.POLLIN)
    while not bye:
        ready = dict(poller.poll(s.heartbeat_ms // 2 + 1))
        while s.coord in ready and not bye:
            msg = s.recv()
            if msg is None:
                break
            if msg[0] == cx.STOP:
                bye = True
            elif msg[0] == cx.TICK and words is None and len(msg) == 3 and msg[1] == tick:
                words = cx.read_tick(msg[2])
                s.dropped += words is None
            elif (msg[0] == cx.CHECKPOINT and msg[1:] == [tick - 1] and words is None
                  and not batches):
                s.send(cx.SNAPSHOT, tick - 1, b"")
            elif msg[0] != cx.HEARTBEAT:
                s.dropped += 1
        if s.lost():  # after reading what it sent: a long model step is no silence
            raise cx.AgentError(f"the coordinator is gone (silent for {2 * s.heartbeat_ms} ms)")
        for _ in range(1024 if data in ready and not bye else 0):  # a flood cannot starve the beat
            try:
                rid, frame = data.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            except ValueError:  # not two frames
                s.dropped += 1
                continue
            msg = cx.unpack(frame)
            ok = (msg is not None and msg[0] == cx.REQUESTS and len(msg) == 6
                  and cx.ints(*msg[1:5]) and msg[1] == tick and slots.get((msg[2], msg[3])) == rid
                  and (msg[2], msg[3]) not in batches
                  and isinstance(msg[5], bytes) and len(msg[5]) == msg[4] * cx.REQUEST.size)
            if not ok:
                s.dropped += 1
                continue
            batches[(msg[2], msg[3])] = msg[5]
        if words is not None and len(batches) == len(slots):
            served = 0
            for (p, k), records in sorted(batches.items()):
                out = bytearray()
                for cid, _arrival, journey, tp, _flags, _from in cx.REQUEST.iter_unpack(records):
                    out += cx.OUTCOME.pack(cid, 0, journey, tp, 1, cx.NO_DEPT, scores, d, 0)
                served += len(records) // cx.REQUEST.size
                data.send_multipart([slots[(p, k)],
                                     cx.pack(cx.OUTCOMES, tick, d, len(out) // cx.OUTCOME.size,
                                             bytes(out))])
            s.send(cx.DEPT_DONE, tick, d, stats(sc, d, words, served, engagement), s.dropped)
            tick, words, batches = tick + 1, None, {}
        s.beat(tick)
    s.close(bye=True)
    return 0


if __name__ == "__main__":
    cx.run("department.py", main)
