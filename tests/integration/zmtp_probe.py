#!/usr/bin/env python3
"""Speaks raw ZMTP 3.0 (NULL mechanism) to a ZeroMQ listener and announces one
frame of SIZE bytes, then sends only a few of them. Exit 0 when the listener
drops the connection within TIMEOUT seconds (its ZMQ_MAXMSGSIZE refused the
frame before reading it), 1 when it keeps waiting for the bytes.

usage: zmtp_probe.py ENDPOINT SOCKET_TYPE SIZE [TIMEOUT]
ENDPOINT is ipc://PATH or tcp://HOST:PORT; SOCKET_TYPE is the type this probe
claims (DEALER for a ROUTER, SUB for a PUB)."""
import socket
import struct
import sys
import time


def main():
    ep, kind, size = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    if ep.startswith("ipc://"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(ep[6:])
    elif ep.startswith("tcp://"):
        host, port = ep[6:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    else:
        sys.exit("bad endpoint " + ep)
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\x00" * 16 + b"\x00" + b"\x00" * 31
    body = b"\x05READY" + bytes([11]) + b"Socket-Type" + struct.pack(">I", len(kind)) + kind
    ready = b"\x04" + bytes([len(body)]) + body
    frame = b"\x02" + struct.pack(">Q", size) + b"x" * 64
    s.sendall(greeting + ready + frame)
    s.settimeout(0.2)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            return 0
        if not data:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
