#!/usr/bin/env python3
"""Hot-path figure: round trips of ``operator.add(1, 2)`` through a real worker's pipes.

    python/.venv/bin/python python/tools/bench_hotpath.py [--calls 20000] [--profile]

Prints µs per call for the echo floor (`python -m pyfleet.echo`) and the
worker, one request in flight at a time, and with --profile the top of a
cProfile of the worker's serve loop (worker in this process, client in a child).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
sys.path.insert(0, SRC)

from pyfleet.codec import encode  # noqa: E402

REQUEST = [0, 7, "operator", "add", [1, 2], None, None]


def read_exact(fd: int, n: int) -> bytes:
    parts = []
    while n:
        data = os.read(fd, n)
        if not data:
            raise EOFError
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def read_frame(fd: int) -> bytes:
    (n,) = struct.unpack(">I", read_exact(fd, 4))
    return read_exact(fd, n)


def round_trips(argv: list, calls: int, skip_hello: bool) -> float:
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0)
    wfd, rfd = proc.stdin.fileno(), proc.stdout.fileno()
    try:
        if skip_hello:
            read_frame(rfd)
        payload = encode(REQUEST)
        frame = struct.pack(">I", len(payload)) + payload
        expected = encode([1, 7, 3])
        for _ in range(500):  # warm-up
            os.write(wfd, frame)
            read_frame(rfd)
        start = time.perf_counter()
        for _ in range(calls):
            os.write(wfd, frame)
            reply = read_frame(rfd)
        elapsed = time.perf_counter() - start
        assert reply in (expected, payload), reply
        return elapsed / calls * 1e6
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()


CLIENT = r"""
import os, struct, sys
sys.path.insert(0, sys.argv[1])
from pyfleet.codec import encode  # noqa: E402
calls, wfd, rfd = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def read_exact(n):
    out = b""
    while len(out) < n:
        d = os.read(rfd, n - len(out))
        if not d: raise EOFError
        out += d
    return out
def read_frame():
    return read_exact(struct.unpack(">I", read_exact(4))[0])
read_frame()  # hello
p = encode([0, 7, "operator", "add", [1, 2], None, None])
frame = struct.pack(">I", len(p)) + p
for _ in range(calls):
    os.write(wfd, frame)
    read_frame()
"""


def profile(calls: int) -> None:
    from pyfleet.worker import Worker
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    os.set_inheritable(req_w, True)
    os.set_inheritable(rep_r, True)
    client = subprocess.Popen([sys.executable, "-c", CLIENT, SRC, str(calls), str(req_w), str(rep_r)],
                              close_fds=False)
    os.close(req_w)
    os.close(rep_r)
    worker = Worker(req_r, rep_w, 64 * 1024 * 1024)
    prof = cProfile.Profile()
    prof.enable()
    worker.serve()  # returns at EOF, when the client exits
    prof.disable()
    client.wait()
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    floor = round_trips([sys.executable, "-m", "pyfleet.echo"], args.calls, skip_hello=False)
    worker = round_trips([sys.executable, "-m", "pyfleet.worker"], args.calls, skip_hello=True)
    print(f"echo floor : {floor:6.1f} µs per round trip ({args.calls} calls)")
    print(f"worker     : {worker:6.1f} µs per operator.add(1, 2) ({args.calls} calls)")
    print(f"overhead   : {worker - floor:6.1f} µs per call over the floor")
    if args.profile:
        profile(args.calls)


if __name__ == "__main__":
    main()
