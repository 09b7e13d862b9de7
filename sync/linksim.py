"""Link simulator: a loopback TCP proxy with bandwidth, latency and drops (no `tc netem` here).

    python -m sync.linksim --listen 127.0.0.1:9001 --target 127.0.0.1:8000 --kbps 64 --rtt-ms 600 --drop-every 30

Controls (all changeable while running, thread-safe):
- `kbps`: link rate per direction, shared by all connections (a token bucket each way);
- `rtt_ms`: round trip; each direction delivers data rtt/2 after the link serialised it;
- `cut_after(n)`: close every connection once n more bytes (both directions) have crossed;
- `drop_every_s`: close every connection every T seconds;
- `drop_all()`: close every connection now.
Counters: `bytes_up`, `bytes_down` (bytes the link serialised, including those a drop lost in
flight), `connections`, `drops`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time
from collections import deque


class _Bucket:
    """Token bucket: `take(n)` waits until n bytes may pass at `rate` bytes/s."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next_free = time.monotonic()

    async def take(self, n: int) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        start = max(now, self.next_free)
        self.next_free = start + n / self.rate
        wait = self.next_free - now
        if wait > 0.0005:
            await asyncio.sleep(wait)


class LinkSim:
    """The proxy. `start()` runs it in a daemon thread; `.port` is where to connect."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        kbps: float = 0.0,
        rtt_ms: float = 0.0,
        drop_every_s: float = 0.0,
        chunk: int = 1024,
    ) -> None:
        self.target = (target_host, target_port)
        self.listen = (listen_host, listen_port)
        self.kbps = kbps
        self.rtt_ms = rtt_ms
        self.drop_every_s = drop_every_s
        self.chunk = chunk
        self.port = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0
        self.drops = 0
        self._cut_left: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._buckets: dict[str, _Bucket] = {}
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ control (any thread)

    def start(self) -> LinkSim:
        self._thread = threading.Thread(target=self._run, name="linksim", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("link simulator did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def cut_after(self, nbytes: int | None) -> None:
        """Close every connection after `nbytes` more bytes have crossed (None: never)."""
        with self._lock:
            self._cut_left = nbytes

    def drop_all(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._close_all)

    def set(
        self, *, kbps: float | None = None, rtt_ms: float | None = None, drop_every_s: float | None = None
    ) -> None:
        if kbps is not None:
            self.kbps = kbps
            for b in self._buckets.values():
                b.rate = kbps * 1000 / 8
        if rtt_ms is not None:
            self.rtt_ms = rtt_ms
        if drop_every_s is not None:
            self.drop_every_s = drop_every_s

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        rate = self.kbps * 1000 / 8
        self._buckets = {"up": _Bucket(rate), "down": _Bucket(rate)}
        self._server = loop.run_until_complete(asyncio.start_server(self._handle, *self.listen))
        self.port = self._server.sockets[0].getsockname()[1]
        dropper = loop.create_task(self._dropper())
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            dropper.cancel()
            self._close_all()
            self._server.close()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0.05))
            loop.close()

    async def _dropper(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            if self.drop_every_s > 0 and time.monotonic() - last >= self.drop_every_s:
                last = time.monotonic()
                if self._writers:
                    self._close_all()

    def _close_all(self) -> None:
        if self._writers:
            self.drops += 1
        for w in list(self._writers):
            with contextlib.suppress(Exception):
                w.transport.abort()
        self._writers.clear()

    def _count(self, n: int) -> int:
        """Bytes allowed through before a scheduled cut (n when no cut is pending)."""
        with self._lock:
            if self._cut_left is None:
                return n
            allowed = min(n, self._cut_left)
            self._cut_left -= allowed
            if self._cut_left <= 0:
                self._cut_left = None
                return -allowed - 1  # signal: pass `allowed`, then cut
            return allowed

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_w})
        tasks = [
            asyncio.create_task(self._pipe(reader, up_w, "up", writer)),
            asyncio.create_task(self._pipe(up_r, writer, "down", up_w)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        for w in (writer, up_w):
            self._writers.discard(w)
            with contextlib.suppress(Exception):
                w.transport.abort()

    async def _pipe(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        direction: str,
        other: asyncio.StreamWriter,
    ) -> None:
        """Read → pace at the link rate → propagate for rtt/2 → write, as a real link does.

        A byte is on the wire (and counted in `bytes_up`/`bytes_down`) once the bucket has
        serialised it; it arrives rtt/2 later. A drop loses what is still waiting for the link
        (never counted) and what is still propagating (counted: the link carried it). Until
        2026-12 the pipe delayed first and paced second, so a drop lost only uncounted bytes and
        everything serialised before the drop arrived: up to rate × rtt/2 bytes per drop and
        direction (2.4 KB at 64 kbit/s, 600 ms) were neither counted nor lost (docs/benchmarks.md).
        """
        waiting: deque[bytes] = deque()  # read from the sender, not yet on the link
        flying: deque[tuple[float, bytes]] = deque()  # serialised; arrives at the time given
        more_in, more_out = asyncio.Event(), asyncio.Event()
        state = {"read_done": False, "paced_done": False}

        async def feeder() -> None:
            while True:
                data = await src.read(self.chunk)
                if not data:
                    break
                waiting.append(data)
                more_in.set()
            state["read_done"] = True
            more_in.set()

        async def pacer() -> None:
            while True:
                if not waiting:
                    if state["read_done"]:
                        break
                    more_in.clear()
                    await more_in.wait()
                    continue
                data = waiting.popleft()
                await self._buckets[direction].take(len(data))
                if dst.transport.is_closing():  # dropped while it waited: never on the wire
                    break
                if direction == "up":
                    self.bytes_up += len(data)
                else:
                    self.bytes_down += len(data)
                flying.append((time.monotonic() + self.rtt_ms / 2000, data))
                more_out.set()
            state["paced_done"] = True
            more_out.set()

        feed = asyncio.create_task(feeder())
        pace = asyncio.create_task(pacer())
        try:
            while True:
                if not flying:
                    if state["paced_done"]:
                        break
                    more_out.clear()
                    await more_out.wait()
                    continue
                due, data = flying.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                allowed = self._count(len(data))
                cut = allowed < 0
                n = -allowed - 1 if cut else allowed
                if n:
                    dst.write(data[:n])
                    await dst.drain()
                if cut:
                    self._close_all()
                    return
            with contextlib.suppress(Exception):
                dst.write_eof()
        except (ConnectionError, OSError):
            return
        finally:
            feed.cancel()
            pace.cancel()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sync.linksim", description="slow, lossy loopback link")
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--target", required=True)
    p.add_argument("--kbps", type=float, default=0.0, help="per direction; 0 = unlimited")
    p.add_argument("--rtt-ms", type=float, default=0.0)
    p.add_argument("--drop-every", type=float, default=0.0, help="seconds; 0 = never")
    a = p.parse_args(argv)
    lh, lp = a.listen.rsplit(":", 1)
    th, tp = a.target.rsplit(":", 1)
    sim = LinkSim(
        th,
        int(tp),
        listen_host=lh,
        listen_port=int(lp),
        kbps=a.kbps,
        rtt_ms=a.rtt_ms,
        drop_every_s=a.drop_every,
    ).start()
    print(f"linksim listening on {lh}:{sim.port} → {a.target}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
