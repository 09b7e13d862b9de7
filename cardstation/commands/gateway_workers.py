"""`cardstation gateway serve --workers N`: N gateway processes on one port over one PostgreSQL.

Why our own supervisor and not uvicorn's `workers=`: uvicorn spawns its workers by pickling the
config, and the gateway's slow-client protocol class (sync/gateway/serve.py) is built at run
time. So the parent binds the listening socket once (a taken port is one clear message), starts
N copies of `gateway serve` that inherit it (`--fd`), and the kernel hands each connection to
whichever worker accepts first. The workers keep no state between requests: envelopes, blob
chunks, the downlink and the keys are all in the database, so any worker takes any request,
including the next PATCH of a blob another worker began. A worker that dies is started again;
SIGTERM/SIGINT to the parent stops them all.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

RESTART_PAUSE_S = 0.5


def worker_argv(args: argparse.Namespace, fd: int) -> list[str]:
    """The `gateway serve` command line of one worker (same options, the inherited socket)."""
    argv = [
        sys.executable,
        "-m",
        "cardstation.cli",
        "gateway",
        "serve",
        "--database",
        args.gw_db,
        "--fd",
        str(fd),
        "--production-days",
        str(args.production_days),
        "--rotation-overlap",
        str(args.rotation_overlap),
        "--header-timeout",
        str(args.header_timeout),
        "--min-body-rate",
        str(args.min_body_rate),
    ]
    if args.kek:
        argv += ["--kek", args.kek]
    if args.demo:
        argv.append("--demo")
    return argv


def supervise(args: argparse.Namespace) -> int:
    """Bind, start the workers, restart any that dies, stop them all on SIGTERM/SIGINT."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(
            f"错误：端口 {args.host}:{args.port} 无法使用（{exc.strerror}）。请换一个端口（--port）。",
            file=sys.stderr,
        )
        return 1
    sock.listen(2048)
    sock.set_inheritable(True)
    fd = sock.fileno()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    env = {**os.environ, "CARDSTATION_DIE_WITH_PARENT": str(os.getpid())}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(worker_argv(args, fd), pass_fds=(fd,), env=env)

    workers = [start() for _ in range(args.workers)]
    print(
        f"卡管网关：{args.workers} 个工作进程（进程号 {'、'.join(str(w.pid) for w in workers)}）",
        file=sys.stderr,
    )
    try:
        while not stopping:
            time.sleep(0.2)
            for i, w in enumerate(workers):
                if w.poll() is not None and not stopping:
                    print(
                        f"工作进程 {w.pid} 已退出（{w.returncode}），正在重新启动。",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(RESTART_PAUSE_S)
                    workers[i] = start()
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait(5)
        sock.close()
    return 0
