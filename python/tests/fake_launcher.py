#!/usr/bin/env python3
"""A stand-in for `./pyfleet` that tests of deploy/local-cluster.sh run as PYFLEET_LAUNCHER.

`fake_launcher.py node --help` prints the cluster options; `fake_launcher.py node --name NAME ...` acts as a
cluster node on stdout (the lines the real node prints) and starts one "worker": a child in a session of its
own that exits when its pipe from the node closes, as a pyfleet worker does. FAKE_NODE_MODE chooses how the
node behaves (for node FAKE_NODE_TARGET, or every node when that is unset):
  ok        prints `cluster members up: FAKE_NODE_MEMBERS`, stops itself and its worker on SIGTERM
  crash     writes a line to stderr and exits 3
  hang      never reports the cluster up
  stubborn  ignores SIGTERM (needs SIGKILL); its worker still exits when the pipe closes
  orphan    ignores SIGTERM, and its worker ignores the closed pipe (needs SIGKILL too)
Each node writes its pid to FAKE_NODE_PIDS/NAME.node and its worker's to NAME.worker when that is set,
and the time it got SIGTERM to NAME.stopped.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

WORKER = """
import os, signal, sys, time
if sys.argv[1] == "orphan":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
while os.read(0, 1):
    pass
"""


def main() -> int:
    if sys.argv[1:3] == ["node", "--help"]:
        print("Usage: pyfleet node [--name NAME] [--bind HOST] [--port PORT] [--cluster-port PORT] [--seed HOST:PORT]")
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    for option in ("--name", "--bind", "--port", "--workers", "--token-file", "--cluster-port"):
        parser.add_argument(option)
    parser.add_argument("--seed", action="append")
    args, _ = parser.parse_known_args()
    target = os.environ.get("FAKE_NODE_TARGET")
    mode = os.environ.get("FAKE_NODE_MODE", "ok") if target in (None, args.name) else "ok"

    if mode == "crash":
        print(f"{args.name}: cannot start, the fake was told to crash", file=sys.stderr)
        return 3
    # The write end stays open, unused, for the node's life: the worker sees EOF only when the node is gone.
    read_end, _write_end = os.pipe()
    worker = subprocess.Popen([sys.executable, "-c", WORKER, mode], stdin=read_end, start_new_session=True)
    os.close(read_end)
    pids = os.environ.get("FAKE_NODE_PIDS")
    if pids:
        with open(os.path.join(pids, f"{args.name}.worker"), "w") as out:
            out.write(str(worker.pid))
        with open(os.path.join(pids, f"{args.name}.node"), "w") as out:
            out.write(str(os.getpid()))

    if mode in ("stubborn", "orphan"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        def stop(_signum: int, _frame: object) -> None:
            if pids:
                with open(os.path.join(pids, f"{args.name}.stopped"), "w") as out:
                    out.write(str(time.time()))
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)

    # A real node picks a free port for --port 0; any number does for the script.
    port = 40000 + os.getpid() % 20000
    print(f"pyfleet node {args.name} listening on {args.bind}:{port}", flush=True)
    print(f"token: token file {args.token_file}", flush=True)
    print(f"cluster: {args.name} at {args.bind}:{args.cluster_port}", flush=True)
    print(f"{args.name}: seeds {args.seed}", file=sys.stderr, flush=True)
    if mode != "hang":
        print("cluster members up: 1", flush=True)
        time.sleep(0.2)
        print(f"cluster members up: {os.environ.get('FAKE_NODE_MEMBERS', '1')}", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
