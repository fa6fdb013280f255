#!/usr/bin/python3
"""A cxsim persona shard written in Python, from docs/PROTOCOL.md alone.

    persona.py --connect ENDPOINT --persona ID [--shard K --of N] [--key FILE]
               [--timeout-ms MS]

Its model is its own and simple. The shard holds the persona's customers
whose local index j has j % N == K: those of the scenario, starting from the
steady state's sampled customers (WELCOME), and those the TICK says were
acquired. A customer walks its journey's touchpoints in order; at a
department's touchpoint it asks that department for service (about once per
touchpoint's gap_days), and waits for the outcome, which moves its
satisfaction, expectation and effort toward what it got. A hand-off sends
the next request to the department named, flagged as a hand-off. Each tick,
every customer served answers the survey; customers leave at the steady
state's churn rate and refer or deter prospects at its rates.

    Per tick (state machine):

      IDLE --TICK t--> acquire, send one REQUESTS t to every department
                       (empty ones too) --> WAITING (n_dept pending)
      WAITING --OUTCOMES t from department d (first time)--> apply; when
                       none is pending: survey, churn, TICK_DONE --> IDLE
      CHECKPOINT --> ERROR (this agent keeps no checkpoints), exit 1
      any --STOP--> BYE, exit 0

A message that does not decode, is for another tick, or comes from a
department that already answered is dropped and counted; so is an outcome
for a customer this shard does not hold or that was not waiting.
"""
import random
import sys

import zmq

import cxagent as cx

USAGE = ("usage: persona.py --connect ENDPOINT --persona ID [--shard K --of N]\n"
         "                  [--key FILE] [--timeout-ms MS]")
PILLARS = ("integrity", "resolution", "expectations", "time_effort", "personalisation", "empathy")
RESOLVED, HANDED_OFF, CONTEXT_LOST, ABANDONED = 1, 2, 4, 8  # OUTCOMES flags
HANDOFF, LOST = 1, 2                                        # REQUESTS flags
MICRO = 1000000
DELIGHT_MARGIN = 1.0  # an experience this far above expectation is a delight (docs/MODEL.md)
SCALARS = ("customers_start customers_end acquired churned respondents promoters passives "
           "detractors satisfied effort_sum loyalty_points purchases referral_purchases "
           "revenue_cents referrals deterred interactions resolved resolution_days_micro "
           "handoffs failed_handoffs satisfaction_micro expectation_micro effort_micro "
           "demand").split()


class Customer:
    __slots__ = ("local", "sat", "expect", "effort", "pos", "waiting", "handoff", "referred",
                 "served")

    def __init__(self, local, state, referred):
        self.local, self.referred = local, referred
        self.sat, self.expect, self.effort, _loyal, _days, self.pos = state[:6]
        self.waiting, self.handoff, self.served = False, None, False


class Shard:
    def __init__(self, s, persona, shard, nshards):
        sc = s.scenario
        self.p, self.k, self.n = persona, shard, nshards
        self.n_dept = len(sc["departments"])
        self.spec = sc["personas"][persona]
        self.journey = self.spec["journey_index"]
        self.tps = sc["journeys"][self.journey]["touchpoints"]
        self.weights = [self.spec["weights"][name] for name in PILLARS]
        self.steady = s.steady["personas"][persona]
        self.sample = self.steady["sample"] or [(5.0, 5.0, 5.0, 0.5, 0.0, 0, 0, 0, 0)]
        self.rng = random.Random(f"{sc['seed']}/{persona}/{shard}")
        self.customers = {}
        for j in range(shard, self.spec["customers"], nshards):
            self.add(j, False)

    def add(self, local, referred):
        state = self.sample[(local // self.n) % len(self.sample)]
        self.customers[local] = Customer(local, state, referred)

    def begin(self, tick, n_dept):
        """Starts tick t: the tally, new customers, and a batch per department."""
        self.t = {name: 0 for name in SCALARS}
        # interactions, 6 pillar sums, experience_micro, then the counts pain, delight,
        # failed_handoffs, waited, abandoned (docs/PROTOCOL.md, the tally)
        self.tp = [[0] * 13 for _ in self.tps]
        self.t["customers_start"] = len(self.customers)
        first, count = tick["acquire_first"][self.p], tick["acquire_count"][self.p]
        for j in range(first, first + count):
            if j % self.n == self.k and j not in self.customers:
                self.add(j, j - first < tick["acquire_referred"][self.p])
                self.t["acquired"] += 1
        batches = [bytearray() for _ in range(n_dept)]
        for c in self.customers.values():
            c.served = False
            if c.waiting:
                continue
            tp = self.tps[c.pos]
            due = tick["days"] / max(tp["gap_days"], tick["days"])  # about once per gap_days
            if c.handoff is None and self.rng.random() >= due:
                continue
            if c.handoff is None and tp["owner_index"] < 0:
                c.pos = (c.pos + 1) % len(self.tps)  # an external touchpoint: no department
                continue
            dept, flags, origin = c.handoff or (tp["owner_index"], 0, cx.NO_DEPT)
            cid = (self.p << cx.CID_LOCAL_BITS) | c.local
            batches[dept] += cx.REQUEST.pack(cid, tick["tick"], self.journey, c.pos, flags, origin)
            c.waiting = True
        return batches

    def apply(self, tick, records):
        """Applies one department's outcomes; returns how many were dropped."""
        dropped = 0
        for cid, wait, _jny, tpi, flags, hto, pillars, dept, _ in cx.OUTCOME.iter_unpack(records):
            c = self.customers.get(cid & ((1 << cx.CID_LOCAL_BITS) - 1))
            if cid >> cx.CID_LOCAL_BITS != self.p or c is None or not c.waiting or tpi != c.pos:
                dropped += 1
                continue
            c.waiting, c.handoff, c.served = False, None, True
            scores = [b / 20.0 for b in pillars]
            x = sum(w * s for w, s in zip(self.weights, scores))
            pain, delight = x < c.expect, x >= c.expect + DELIGHT_MARGIN
            c.sat += 0.3 * (x - c.sat)
            c.expect += 0.05 * (x - c.expect)
            c.effort += 0.3 * (10.0 - scores[3] - c.effort)
            row = self.tp[tpi]
            row[0] += 1
            for i, b in enumerate(pillars):
                row[1 + i] += b
            row[7] += round(x * MICRO)
            row[8] += pain
            row[9] += delight
            row[10] += bool(flags & HANDED_OFF and not flags & RESOLVED and hto < self.n_dept
                            and flags & CONTEXT_LOST)
            row[11] += wait > 0 and not flags & ABANDONED
            row[12] += bool(flags & ABANDONED)
            self.t["interactions"] += not flags & ABANDONED
            if flags & RESOLVED:
                self.t["resolved"] += 1
                self.t["resolution_days_micro"] += round(wait * tick["days"] * MICRO)
            if flags & HANDED_OFF and not flags & RESOLVED and hto < self.n_dept:
                self.t["handoffs"] += 1
                self.t["failed_handoffs"] += bool(flags & CONTEXT_LOST)
                c.handoff = (hto, HANDOFF | (LOST if flags & CONTEXT_LOST else 0), dept)
                continue
            if self.tps[tpi]["purchase"]:
                self.t["demand"] += 1
                if flags & RESOLVED:
                    self.t["purchases"] += 1
                    self.t["revenue_cents"] += round(self.spec["spend"] * tick["price"] * 100)
                    self.t["referral_purchases"] += c.referred
                    c.referred = False
            c.pos = (c.pos + 1) % len(self.tps)
        return dropped

    def end(self, tick):
        """Survey, churn and word of mouth; returns the tally's int64 words."""
        t, days = self.t, tick["days"]
        for c in list(self.customers.values()):
            if c.served:
                t["respondents"] += 1
                ltr = min(max(round(c.sat), 0), 10)
                t["promoters" if ltr >= 9 else "passives" if ltr >= 7 else "detractors"] += 1
                t["satisfied"] += min(max(round(1 + 0.4 * c.sat), 1), 5) >= 4
                t["effort_sum"] += min(max(round(10 - 0.9 * c.effort), 1), 10)
                t["loyalty_points"] += min(max(round(1 + 0.9 * c.sat), 1), 10) - 1
            if not c.waiting and self.rng.random() < self.steady["churn_day"] * days:
                del self.customers[c.local]
                t["churned"] += 1
        active = len(self.customers)
        for word in ("referrals", "deterred"):  # at the steady state's rates, rounded at random
            t[word] = int(self.steady[word + "_day"] * days * active + self.rng.random())
        t["customers_end"] = active
        for c in self.customers.values():
            t["satisfaction_micro"] += round(c.sat * MICRO)
            t["expectation_micro"] += round(c.expect * MICRO)
            t["effort_micro"] += round(c.effort * MICRO)
        words = [t[name] for name in SCALARS] + [self.journey, len(self.tps)]
        for row in self.tp:
            words += row
        return words


def main():
    opts = cx.arguments(sys.argv[1:], USAGE, {"connect": None, "persona": None, "shard": "0",
                                              "of": "1", "timeout-ms": "30000", "key": ""})
    try:
        shard, of, timeout_ms = int(opts["shard"]), int(opts["of"]), int(opts["timeout-ms"])
        assert 0 <= shard < of <= 256 and timeout_ms > 0
    except (ValueError, AssertionError):
        print(f"bad --shard, --of or --timeout-ms\n{USAGE}", file=sys.stderr)
        return 2
    s = cx.Session(opts["connect"], opts["key"])
    s.join("persona", opts["persona"], shard, of, "", timeout_ms)
    ids = [p["id"] for p in s.scenario["personas"]]
    if opts["persona"] not in ids or s.shards[ids.index(opts["persona"])] != of:
        raise cx.AgentError(f"persona {opts['persona']} shard {shard}/{of} is not in this run")
    persona = ids.index(opts["persona"])
    sh = Shard(s, persona, shard, of)
    # One DEALER per department, each carrying this slot's routing id.
    depts = []
    for endpoint in s.endpoints:
        sock = s.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, cx.slot_rid(s.run, persona, shard))
        sock.connect(endpoint)
        depts.append(sock)
    s.ready()

    poller = zmq.Poller()
    for sock in [s.coord] + depts:
        poller.register(sock, zmq.POLLIN)
    tick, words, pending, bye = -1, None, set(), False
    while not bye:
        ready = dict(poller.poll(s.heartbeat_ms // 2 + 1))
        while s.coord in ready and not bye:
            msg = s.recv()
            if msg is None:
                break
            if msg[0] == cx.STOP:
                bye = True
            elif msg[0] == cx.TICK and len(msg) == 3 and msg[1] == tick + 1 and not pending:
                words = cx.read_tick(msg[2])
                if words is None or words["tick"] != tick + 1:
                    s.dropped += 1
                    continue
                tick += 1
                for d, batch in enumerate(sh.begin(words, len(depts))):
                    depts[d].send(cx.pack(cx.REQUESTS, tick, persona, shard,
                                          len(batch) // cx.REQUEST.size, bytes(batch)))
                pending = set(range(len(depts)))
            elif msg[0] == cx.CHECKPOINT:
                s.close(bye=False, error="this agent keeps no checkpoints")
                print("persona.py: error: asked for a checkpoint, which this agent does not keep",
                      file=sys.stderr)
                return 1
            elif msg[0] != cx.HEARTBEAT:
                s.dropped += 1
        if s.lost():  # after reading what it sent: a long model step is no silence
            raise cx.AgentError(f"the coordinator is gone (silent for {2 * s.heartbeat_ms} ms)")
        for d, sock in enumerate(depts):
            for _ in range(64 if sock in ready and not bye else 0):  # bounded per wake-up
                try:
                    msg = cx.unpack(sock.recv(zmq.NOBLOCK))
                except zmq.Again:
                    break
                if (msg is None or msg[0] != cx.OUTCOMES or len(msg) != 5
                        or not cx.ints(*msg[1:4]) or msg[1:3] != [tick, d] or d not in pending
                        or not isinstance(msg[4], bytes)
                        or len(msg[4]) != msg[3] * cx.OUTCOME.size):
                    s.dropped += 1
                    continue
                s.dropped += sh.apply(words, msg[4])
                pending.discard(d)
                if not pending:
                    s.send(cx.TICK_DONE, tick, persona, shard, sh.end(words), s.dropped)
        s.beat(tick)
    s.close(bye=True)
    return 0


if __name__ == "__main__":
    cx.run("persona.py", main)
