"""What every cxsim agent written in Python shares (docs/PROTOCOL.md): the
message codec, the resolved scenario reader, the TICK words and the steady
state blob, the persona shard's routing id, and the session with the
coordinator (HELLO, WELCOME, READY, heartbeats, STOP, BYE).

Only Debian's python3-zmq and python3-msgpack and the standard library.

    Session states (the roles' programs drive them):

      CONNECT --HELLO--> JOINING --WELCOME--> (role sets up) --READY--> RUNNING
      RUNNING --STOP--> BYE, exit 0
      any state: coordinator silent > 2 x heartbeat_ms     -> exit 1
      JOINING: no WELCOME within --timeout-ms, or a STOP    -> exit 1

Errors: a problem the agent cannot go past raises AgentError; the programs
print it and exit 1 (bad arguments exit 2). Malformed or unexpected messages
are never errors: they are dropped and counted in `dropped`, the running
total every TICK_DONE, DEPT_DONE and BYE carries.
"""
import hashlib
import json
import os
import struct
import sys
import time

import msgpack
import zmq

VERSION = 1
(HELLO, WELCOME, READY, TICK, REQUESTS, OUTCOMES, TICK_DONE, DEPT_DONE, HEARTBEAT, STOP, ERROR,
 ROW, BYE, COMMAND, REPLY, CHECKPOINT, SNAPSHOT, RESTORE) = range(1, 19)
MAX_DEPTS = MAX_PERSONAS = 16  # slots in the TICK words
MAX_FRAME = 256 << 20          # ZMQ_MAXMSGSIZE of agents' and data sockets
REQUEST = struct.Struct("<QIBBBB")        # cid, arrival, journey, tp, flags, from: 16 bytes
OUTCOME = struct.Struct("<QIBBBB6sBB")    # cid, wait, journey, tp, flags, handoff_to, pillars,
                                          # dept, reserved: 24 bytes
NO_DEPT = 255
CID_LOCAL_BITS = 40


class AgentError(Exception):
    """The agent cannot go on (the message says why): exit 1."""


class BadInput(AgentError):
    """What the agent was given is wrong (an argument, the key file): exit 2."""


def now_ms():
    return time.monotonic() * 1000.0


def pack(kind, *fields):
    return msgpack.packb([VERSION, kind, *fields], use_bin_type=True)


def unpack(frame):
    """[type, field, ...] of a frame of this version, or None (drop it)."""
    try:
        msg = msgpack.unpackb(frame, raw=False)
    except Exception:  # any malformed frame: msgpack raises several kinds
        return None
    if not isinstance(msg, list) or len(msg) < 2 or msg[0] != VERSION or type(msg[1]) is not int:
        return None
    return msg[1:]


def slot_rid(run, persona, shard):
    """The routing id of persona shard (persona, shard) on every data socket."""
    digest = hashlib.blake2b(f"persona {persona} shard {shard}".encode(), digest_size=16,
                             key=run.encode()[:64])
    return b"s" + digest.hexdigest().encode()


# --- the resolved scenario (WELCOME's `scenario`) --------------------------

def _scalar(text):
    text = text.strip()
    if text.startswith('"'):
        return json.loads(text.replace("\\x", "\\u00"))
    if text.startswith("{") or text.startswith("["):
        items = [i for i in text[1:-1].split(",") if i.strip()]
        if text.startswith("["):
            return [_scalar(i) for i in items]
        return {k.strip(): _scalar(v) for k, v in (i.split(":", 1) for i in items)}
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_scenario(text):
    """The block YAML that cx_scenario_emit writes (`cxsim run` sends it):
    mappings and sequences by indentation, flow {..} and [..] of scalars,
    plain and double-quoted scalars. Not a general YAML reader."""
    lines = []
    for raw in text.splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            lines.append([len(raw) - len(raw.lstrip(" ")), raw.strip()])
    pos = 0

    def block(indent):
        nonlocal pos
        if lines[pos][1].startswith("- "):
            seq = []
            while pos < len(lines) and lines[pos][0] == indent and lines[pos][1].startswith("- "):
                lines[pos] = [indent + 2, lines[pos][1][2:]]  # the item's first key
                seq.append(block(indent + 2))
            return seq
        mapping = {}
        while pos < len(lines) and lines[pos][0] == indent and not lines[pos][1].startswith("- "):
            key, _, value = lines[pos][1].partition(":")
            pos += 1
            if value.strip():
                mapping[key] = _scalar(value)
            elif pos < len(lines) and lines[pos][0] > indent:
                mapping[key] = block(lines[pos][0])
            elif pos < len(lines) and lines[pos][0] == indent and lines[pos][1].startswith("- "):
                mapping[key] = block(indent)  # a sequence at the key's own indentation
            else:
                mapping[key] = None
        return mapping

    try:
        sc = block(0)
        dept_index = {d["id"]: i for i, d in enumerate(sc["departments"])}
        for j in sc["journeys"]:
            for tp in j["touchpoints"]:
                tp["owner_index"] = dept_index.get(tp["owner"], -1)  # -1: external
        journey_index = {j["id"]: i for i, j in enumerate(sc["journeys"])}
        for p in sc["personas"]:
            p["journey_index"] = journey_index[p["journey"]]
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise AgentError(f"the scenario sent by the coordinator does not read: {e!r}")
    return sc


# --- TICK words and the steady state -------------------------------------

def read_tick(words):
    """The company state of a TICK (120 float64) as a dict of its fields."""
    if len(words) != 2 + 4 * MAX_DEPTS + 6 + 3 * MAX_PERSONAS:
        return None
    d, p = MAX_DEPTS, MAX_PERSONAS
    k = 2 + 4 * d
    return {
        "tick": int(words[0]), "days": words[1],
        "maturity": words[2:2 + d], "staff": words[2 + d:2 + 2 * d],
        "capacity_loss": words[2 + 2 * d:2 + 3 * d], "change": words[2 + 3 * d:k],
        "cx_owner": int(words[k]), "governance": int(words[k + 1]), "price": words[k + 2],
        "policy_shock": words[k + 3], "campaign": words[k + 4], "reputation": words[k + 5],
        "acquire_first": [int(x) for x in words[k + 6:k + 6 + p]],
        "acquire_count": [int(x) for x in words[k + 6 + p:k + 6 + 2 * p]],
        "acquire_referred": [int(x) for x in words[k + 6 + 2 * p:k + 6 + 3 * p]],
    }


def read_steady(blob, n_persona, n_dept):
    """WELCOME's steady state (cx_steady_pack), or None when it is not one
    for this many personas and departments. Host byte order: little-endian
    on the machines cxsim runs on."""
    try:
        magic, version, np_, nd = struct.unpack_from("<4sIII", blob, 0)
        if magic != b"CXST" or version != 1 or np_ != n_persona or nd != n_dept:
            return None
        scale, reputation, nps = struct.unpack_from("<3d", blob, 16)
        off, personas = 40, []
        for _ in range(n_persona):
            churn, referrals, deterred, k = struct.unpack_from("<3dI", blob, off)
            off += 28
            sample = [struct.unpack_from("<5f4B", blob, off + 24 * i) for i in range(k)]
            off += 24 * k
            personas.append({"churn_day": churn, "referrals_day": referrals,
                             "deterred_day": deterred, "sample": sample})
        engagement = list(struct.unpack_from(f"<{n_dept}d", blob, off))
        if off + 8 * n_dept != len(blob):
            return None
    except struct.error:
        return None
    return {"scale": scale, "reputation": reputation, "nps": nps, "personas": personas,
            "engagement": engagement}


# --- the run key ----------------------------------------------------------

def read_key(path):
    """The Z85 public and secret keys of a run key file (`cxsim keygen`:
    `public = ...` and `secret = ...` lines; zcert's `public-key = "..."`
    reads too). Refused when others may read it, as cxsim refuses it."""
    try:
        mode, text = os.stat(path).st_mode, open(path, encoding="ascii").read()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read the key file {path}: {e}")
    if mode & 0o077:
        raise BadInput(f"the key file {path} is readable by others: chmod 600 it")
    keys = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            keys[name.strip().removesuffix("-key")] = value.strip().strip('"').encode()
    if len(keys.get("public", b"")) != 40 or len(keys.get("secret", b"")) != 40:
        raise BadInput(f"{path} is not a run key file (no public and secret Z85 keys)")
    return keys["public"], keys["secret"]


def check_listener(endpoint, key):
    """A department's data endpoint is also what it advertises: no wildcard;
    and beyond loopback only with a run key (as cxsim's departments)."""
    if endpoint.startswith("ipc://"):
        return
    host = endpoint.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    if host in ("*", "0.0.0.0", "::"):
        raise BadInput(f"cannot advertise {endpoint} to the persona shards: a wildcard is no "
                       "address to connect to; bind this machine's address")
    if not key and not (host.startswith("127.") or host in ("localhost", "::1")):
        raise BadInput(f"--bind {endpoint} listens beyond this machine without a run key: "
                       "give --key FILE, or listen on 127.0.0.1 or ipc://")


class _RunKeyOnly:
    """ZAP check of this process's CURVE servers: the client holds the run key."""

    def __init__(self, public):
        self.public = public

    def callback(self, domain, client_key):
        return client_key == self.public


# --- the session with the coordinator -------------------------------------

class Session:
    """A DEALER to the coordinator: join, heartbeats, loss detection."""

    def __init__(self, connect, key=None):
        self.connect = connect
        self.ctx = zmq.Context()
        self.key, self.auth = read_key(key) if key else None, None
        if self.key:  # every connection on CURVE; servers admit run-key holders only
            from zmq.auth.thread import ThreadAuthenticator
            self.auth = ThreadAuthenticator(self.ctx)
            self.auth.start()
            self.auth.configure_curve_callback("*", credentials_provider=_RunKeyOnly(self.key[0]))
        self.coord = self.socket(zmq.DEALER, linger=2000)
        try:
            self.coord.connect(connect)
        except zmq.ZMQError as e:
            raise BadInput(f"cannot connect to {connect}: {e}")
        self.heartbeat_ms = 1000
        self.last_heard = self.last_sent = now_ms()
        self.dropped = 0  # running total, sent in every *_DONE and BYE

    def socket(self, kind, server=False, linger=1000):
        """A socket with the protocol's frame bound and, with a run key, CURVE
        (a server binds, a client connects)."""
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, linger)
        s.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME)
        if self.key:
            public, secret = self.key
            s.curve_publickey, s.curve_secretkey = public, secret
            if server:
                s.curve_server = True
            else:
                s.curve_serverkey = public
        return s

    def send(self, kind, *fields):
        self.coord.send(pack(kind, *fields))
        self.last_sent = now_ms()

    def join(self, role, ident, shard, nshards, endpoint, timeout_ms):
        """HELLO, then WELCOME within timeout_ms: sets run, scenario,
        endpoints, shards, heartbeat_ms, steady."""
        self.send(HELLO, role, ident, shard, nshards, endpoint, os.getpid())
        deadline = now_ms() + timeout_ms
        while now_ms() < deadline:
            if not self.coord.poll(max(1, min(200, int(deadline - now_ms())))):
                continue
            msg = self.recv()
            if msg and msg[0] == STOP:
                raise AgentError(f"the coordinator refused this agent: {msg[1]}")
            if not msg or msg[0] != WELCOME or len(msg) != 8:
                continue
            run, yaml, self.endpoints, self.shards, self.heartbeat_ms, start, steady = msg[1:]
            if start != 0:
                raise AgentError("resuming from a checkpoint is not supported by this agent")
            self.run = run
            self.scenario = read_scenario(yaml)
            if (len(self.endpoints) != len(self.scenario["departments"])
                    or len(self.shards) != len(self.scenario["personas"])):
                raise AgentError("the roster does not match the scenario")
            self.steady = read_steady(steady, len(self.shards), len(self.endpoints))
            if self.steady is None:
                raise AgentError("the steady state sent by the coordinator is not one of this "
                                 "scenario")
            return
        raise AgentError(f"no answer from the coordinator at {self.connect} after {timeout_ms} ms")

    def ready(self):
        self.send(READY)
        self.last_heard = now_ms()  # setting up kept us from listening

    def recv(self):
        """One message from the coordinator, or None (nothing, or dropped)."""
        try:
            frame = self.coord.recv(zmq.NOBLOCK)
        except zmq.Again:
            return None
        self.last_heard = now_ms()
        msg = unpack(frame)
        if msg is None:
            self.dropped += 1
        return msg

    def beat(self, tick):
        if now_ms() - self.last_sent >= self.heartbeat_ms:
            self.send(HEARTBEAT, max(tick, -1))

    def lost(self):
        return now_ms() - self.last_heard > 2 * self.heartbeat_ms

    def close(self, bye=True, error=None):
        """Ends the session: BYE after a STOP, or ERROR (the run fails saying why)."""
        if bye:
            self.send(BYE, self.dropped)
        if error:
            self.send(ERROR, error)
        if self.auth:
            self.auth.stop()
        self.ctx.destroy(linger=2000 if bye or error else 0)


def ints(*xs):
    """True when every x is an int (not a bool): fields to compare or index with."""
    return all(type(x) is int for x in xs)


def run(name, main):
    """Runs main() and exits with its code; an AgentError is printed and
    exits 1 at once, dropping whatever is still queued."""
    try:
        code = main()
    except AgentError as e:
        print(f"{name}: error: {e}", file=sys.stderr, flush=True)
        os._exit(2 if isinstance(e, BadInput) else 1)
    sys.exit(code)


def arguments(argv, usage, flags):
    """--name value pairs; flags maps name -> default (None: required)."""
    opts = dict(flags)
    it = iter(argv)
    for arg in it:
        name = arg[2:] if arg.startswith("--") else None
        if arg in ("-h", "--help"):
            print(usage)
            sys.exit(0)
        value = next(it, None)
        if name not in flags or value is None:
            print(f"bad argument '{arg}'\n{usage}", file=sys.stderr)
            sys.exit(2)
        opts[name] = value
    missing = [k for k, v in opts.items() if v is None]
    if missing:
        print(f"missing --{missing[0]}\n{usage}", file=sys.stderr)
        sys.exit(2)
    return opts
