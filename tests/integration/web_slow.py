#!/usr/bin/env python3
"""Slow clients against cxsim-web (tests/integration/web_slow.sh).

usage: web_slow.py PORT

A classroom behind one NAT address (127.0.0.3) opens 40 event streams; then
130 connections from 127.0.0.2 send a request's headers one line a second
(reopened a second after the server closes one, like a patient attacker).
Meanwhile normal requests from 127.0.0.2, 127.0.0.1 and 127.0.0.3 must be
answered (200) within 2 s each, and the 40 streams must stay open. Bounded:
at most 1500 slow connections opened, 16 s of attack. Exit 0 ok, 1 failed,
77 when the machine does not let a socket bind 127.0.0.2 or 127.0.0.3.
"""
import select
import socket
import sys
import time

PORT = int(sys.argv[1])
SERVER = ("127.0.0.1", PORT)
SLOW, SEATS, ATTACK_S, MAX_OPENED = 130, 40, 16.0, 1500


def connect(src, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(SERVER)
    return s


def get(src, path):
    """One whole request; returns (status, seconds) or (error text, seconds)."""
    t0 = time.monotonic()
    try:
        s = connect(src)
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
                   % (path, PORT)).encode())
        data = b""
        while time.monotonic() - t0 < 2.0:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        return (line.split(" ")[1] if line.startswith("HTTP/1.1 ") else "no answer (%r)" % line,
                time.monotonic() - t0)
    except OSError as e:
        return ("error: %s" % e, time.monotonic() - t0)


for src in ("127.0.0.2", "127.0.0.3"):
    try:
        socket.socket().bind((src, 0))
    except OSError as e:
        print("skipped: cannot bind %s on this machine: %s" % (src, e))
        sys.exit(77)

# The classroom: one event stream per page, all from one address.
streams = []
for i in range(SEATS):
    s = connect("127.0.0.3")
    s.sendall(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % PORT).encode())
    head = b""
    while b"retry:" not in head:
        chunk = s.recv(4096)
        if not chunk:
            print("FAIL: event stream %d closed at once: %r" % (i, head))
            sys.exit(1)
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        print("FAIL: event stream %d: %r" % (i, head[:80]))
        sys.exit(1)
    s.setblocking(False)
    streams.append(s)
print("40 event streams open from 127.0.0.3")

# The attack: each slot holds a connection sending one header line a second.
slots = [None] * SLOW  # (socket, lines sent, next send time) or (None, 0, reopen time)
opened = closed_by_server = 0
t_start = time.monotonic()
checks = []  # (source, status, seconds)
next_check = t_start + 3.0
failed = []


def open_slot(i, now):
    global opened
    if opened >= MAX_OPENED:
        slots[i] = (None, 0, float("inf"))
        return
    opened += 1
    try:
        s = connect("127.0.0.2", 1.0)
        s.sendall(b"GET / HTTP/1.1\r\n")
        s.setblocking(False)
        slots[i] = (s, 1, now + 1.0)
    except OSError:
        slots[i] = (None, 0, now + 1.0)


for i in range(SLOW):
    open_slot(i, time.monotonic())
sources = ["127.0.0.2", "127.0.0.1", "127.0.0.3"]
while time.monotonic() - t_start < ATTACK_S:
    now = time.monotonic()
    for i, (s, n, due) in enumerate(slots):
        if s is None:
            if now >= due:
                open_slot(i, now)
            continue
        r, _, _ = select.select([s], [], [], 0)
        if r:
            try:
                gone = s.recv(4096) == b""
            except OSError:
                gone = True
            if gone:
                s.close()
                closed_by_server += 1
                slots[i] = (None, 0, now + 1.0)
                continue
        if now >= due:
            try:
                s.send(b"X-Slow-%d: %d\r\n" % (n, i))
                slots[i] = (s, n + 1, now + 1.0)
            except OSError:
                s.close()
                closed_by_server += 1
                slots[i] = (None, 0, now + 1.0)
    if now >= next_check:
        src = sources[len(checks) % len(sources)]
        status, secs = get(src, "/api/scenario")
        checks.append((src, status, secs))
        print("GET /api/scenario from %s during the attack: %s in %.3f s" % (src, status, secs))
        if status != "200" or secs > 2.0:
            failed.append("a normal request from %s: %s after %.2f s" % (src, status, secs))
        next_check = now + 1.0
    time.sleep(0.02)

held = sum(1 for s, _, _ in slots if s is not None)
for s, _, _ in slots:
    if s is not None:
        s.close()
lost = 0
for s in streams:
    try:
        if s.recv(65536) == b"":
            lost += 1
    except BlockingIOError:
        pass
    except OSError:
        lost += 1
    s.close()
print("slow connections opened %d, closed by the server %d, held at the end %d"
      % (opened, closed_by_server, held))
print("normal requests %d, slowest %.3f s" % (len(checks), max(c[2] for c in checks)))
if lost:
    failed.append("%d of the classroom's 40 event streams were closed" % lost)
if len(checks) < 10:
    failed.append("only %d normal requests were tried" % len(checks))
for f in failed:
    print("FAIL: " + f)
sys.exit(1 if failed else 0)
