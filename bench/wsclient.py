"""Many websocket clients in one asyncio process: connect, read frames, record slot versions."""

import asyncio
import random
import time
from collections import defaultdict

import websockets

from bench.common import SLOT_FRAGMENT


def ws_connect(port: int, path: str = "/ws/slots/", open_timeout: float = 30):
    return websockets.connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=f"http://127.0.0.1:{port}",
        ping_interval=None,
        max_size=None,
        open_timeout=open_timeout,
        close_timeout=2,
        max_queue=None,
    )


class Fleet:
    """N sockets on /ws/slots/. Records, for one watched slot, when each socket saw each version."""

    def __init__(self, port: int, watch_slot: int | None = None):
        self.port = port
        self.watch = str(watch_slot) if watch_slot is not None else None
        self.sockets: list = []
        self.tasks: list[asyncio.Task] = []
        self.arrivals: dict[int, list[float]] = defaultdict(list)  # version -> perf_counter per socket
        self.per_socket: list[set[int]] = []
        self.closed_seen: dict[str, float] = {}  # slot id -> wall time of first "slot-closed" frame
        self.connect_errors = 0

    async def _reader(self, idx: int, ws) -> None:
        seen = self.per_socket[idx]
        try:
            async for msg in ws:
                t = time.perf_counter()
                for m in SLOT_FRAGMENT.finditer(msg):
                    sid, state, version = m.group(1), m.group(2), int(m.group(3))
                    if sid == self.watch and version not in seen:
                        seen.add(version)
                        self.arrivals[version].append(t)
                    if state == "closed" and sid not in self.closed_seen:
                        self.closed_seen[sid] = time.time()
        except (websockets.ConnectionClosed, OSError):
            pass

    async def _open_one(self, sem: asyncio.Semaphore) -> None:
        async with sem:
            for attempt in range(3):
                try:
                    ws = await ws_connect(self.port)
                    first = await asyncio.wait_for(ws.recv(), 30)  # the current state, sent on connect
                    break
                except (TimeoutError, OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                    self.connect_errors += 1
                    if attempt == 2:
                        return
                    await asyncio.sleep(0.5)
        idx = len(self.sockets)
        self.sockets.append(ws)
        self.per_socket.append(set())
        # the state frame may already hold the watched slot's version: that one is not an update
        for m in SLOT_FRAGMENT.finditer(first):
            if m.group(1) == self.watch:
                self.per_socket[idx].add(int(m.group(3)))
        self.tasks.append(asyncio.create_task(self._reader(idx, ws)))

    async def grow(self, total: int, concurrency: int = 50, timeout: float = 180) -> float:
        """Open sockets until ``total`` are connected; returns the seconds it took."""
        t0 = time.perf_counter()
        sem = asyncio.Semaphore(concurrency)
        need = total - len(self.sockets)
        if need > 0:
            await asyncio.wait_for(asyncio.gather(*(self._open_one(sem) for _ in range(need))), timeout)
        return time.perf_counter() - t0

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.sockets.clear()
        self.tasks.clear()


async def open_idle(port: int, count: int, concurrency: int = 50, timeout: float = 180):
    """Open ``count`` sockets that read nothing but their first frame; returns (sockets, errors, seconds)."""
    sockets, errors = [], 0
    sem = asyncio.Semaphore(concurrency)

    async def one():
        nonlocal errors
        async with sem:
            for attempt in range(3):
                try:
                    ws = await ws_connect(port)
                    await asyncio.wait_for(ws.recv(), 30)
                    sockets.append(ws)
                    return
                except (TimeoutError, OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                    errors += 1
                    await asyncio.sleep(0.5)

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), timeout)
    return sockets, errors, time.perf_counter() - t0


class Browser:
    """One page with the htmx ws extension: connect, take the state, reconnect with its backoff.

    htmx-ext-ws waits ``random() * 1000 * 2**min(retries, 6)`` ms before retry ``retries`` (full jitter).
    """

    def __init__(self, port: int, deadline: float):
        self.port = port
        self.deadline = deadline
        self.synced_at: list[float] = []  # perf_counter of every "received current state"
        self.retries = 0

    async def run(self) -> None:
        while time.perf_counter() < self.deadline:
            try:
                async with ws_connect(self.port, open_timeout=10) as ws:
                    await asyncio.wait_for(ws.recv(), 10)
                    self.synced_at.append(time.perf_counter())
                    self.retries = 0
                    remaining = self.deadline - time.perf_counter()
                    async for _ in ws:
                        if time.perf_counter() > self.deadline:
                            return
                    if remaining <= 0:
                        return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - refused, reset, closed: all mean "retry later"
                pass
            delay = random.random() * 2 ** min(self.retries, 6)
            self.retries += 1
            await asyncio.sleep(min(delay, max(self.deadline - time.perf_counter(), 0)))
