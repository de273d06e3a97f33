"""Many websocket clients in one asyncio process: connect, read ChefShop's card frames, record versions.

A frame is JSON: ``{"cards": [{"id": "slot-12", "v": 34, "region": "slot-list", "html": "..."}, ...]}``
plus ``"sync": [regions]`` on the snapshot a socket gets when it connects. ``html`` is null for a card
that left its region. Pushes are coalesced per card, so a socket may skip intermediate versions.
"""

import asyncio
import bisect
import json
import random
import re
import time

import websockets


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


def parse_frame(text) -> dict | None:
    """A frame as a dict, or None when it is not a JSON object (counted as a bad frame)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_sync(text) -> bool:
    data = parse_frame(text)
    return bool(data and "sync" in data)


_OPENING_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_CLASS = re.compile(r'\bclass="([^"]*)"')
_STATE = re.compile(r'\bdata-state="([^"]*)"')


def card_closed(html: str | None) -> bool:
    """Whether a slot card says "closed": a `slot-closed` class or `data-state="closed"` on its root element."""
    if not html:
        return False
    tag = _OPENING_TAG.search(html)
    if tag is None:
        return False
    classes = _CLASS.search(tag.group(0))
    state = _STATE.search(tag.group(0))
    return bool((classes and "slot-closed" in classes.group(1).split()) or (state and state.group(1) == "closed"))


class Fleet:
    """N sockets on /ws/slots/. For one watched card (``slot-<id>``) it records, per socket, every version
    received and when the socket's newest version went up (a version below the newest is never applied by
    a page, so it never counts as "shown")."""

    def __init__(self, port: int, watch_card: str | None = None, closes: bool = False):
        self.port = port
        self.watch = watch_card
        self.closes = closes
        self.sockets: list = []
        self.tasks: list[asyncio.Task] = []
        self.newest: list[int] = []  # per socket: newest version shown of the watched card (-1: none)
        self.hist_v: list[list[int]] = []  # per socket: versions in the order the newest went up
        self.hist_t: list[list[float]] = []  # ... and when (perf_counter)
        self.seen: list[set[int]] = []  # per socket: every version received (snapshot included)
        self.at_version: dict[int, int] = {}  # newest version -> how many sockets show it
        self.snapshot_v: list[int] = []
        self.closed_seen: dict[str, float] = {}  # card id -> wall time of the first frame showing it closed
        self.frames = 0
        self.bad_frames = 0
        self.connect_errors = 0

    # --- frames ---

    def _handle(self, idx: int, text, t: float) -> None:
        self.frames += 1
        data = parse_frame(text)
        if data is None:
            self.bad_frames += 1
            return
        for card in data.get("cards") or ():
            if not isinstance(card, dict):
                continue
            cid = card.get("id")
            if cid == self.watch:
                v = card.get("v")
                if isinstance(v, int):
                    self.seen[idx].add(v)
                    old = self.newest[idx]
                    if v > old:
                        self.newest[idx] = v
                        self.hist_v[idx].append(v)
                        self.hist_t[idx].append(t)
                        left = self.at_version.get(old, 0) - 1
                        if left > 0:
                            self.at_version[old] = left
                        else:
                            self.at_version.pop(old, None)
                        self.at_version[v] = self.at_version.get(v, 0) + 1
            if self.closes and cid not in self.closed_seen and card_closed(card.get("html")):
                self.closed_seen[cid] = time.time()

    async def _reader(self, idx: int, ws) -> None:
        try:
            async for msg in ws:
                self._handle(idx, msg, time.perf_counter())
        except (websockets.ConnectionClosed, OSError):
            pass

    # --- queries ---

    def count_at_least(self, version: int) -> int:
        return sum(n for v, n in self.at_version.items() if v >= version)

    def reached_at(self, idx: int, version: int) -> float | None:
        """perf_counter at which socket ``idx`` first showed ``version`` or newer."""
        k = bisect.bisect_left(self.hist_v[idx], version)
        return self.hist_t[idx][k] if k < len(self.hist_t[idx]) else None

    # --- opening ---

    async def _open_one(self, sem: asyncio.Semaphore) -> None:
        async with sem:
            for attempt in range(3):
                ws = None
                try:
                    ws = await ws_connect(self.port)
                    early = []  # frames before (and including) the snapshot, applied in order
                    deadline = time.perf_counter() + 30
                    while True:
                        msg = await asyncio.wait_for(ws.recv(), max(deadline - time.perf_counter(), 0.01))
                        early.append((msg, time.perf_counter()))
                        if is_sync(msg):
                            break
                    break
                except (TimeoutError, OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                    self.connect_errors += 1
                    if ws is not None:
                        await ws.close()
                    if attempt == 2:
                        return
                    await asyncio.sleep(0.5)
        idx = len(self.sockets)
        self.sockets.append(ws)
        self.newest.append(-1)
        self.hist_v.append([])
        self.hist_t.append([])
        self.seen.append(set())
        self.at_version[-1] = self.at_version.get(-1, 0) + 1
        for msg, t in early:
            self._handle(idx, msg, t)
        self.snapshot_v.append(self.newest[idx])
        self.tasks.append(asyncio.create_task(self._reader(idx, ws)))

    async def grow(self, total: int, concurrency: int = 50, timeout: float = 180) -> float:
        """Open sockets until ``total`` are connected (each with its snapshot); returns the seconds it took."""
        t0 = time.perf_counter()
        sem = asyncio.Semaphore(concurrency)
        need = total - len(self.sockets)
        if need > 0:
            await asyncio.wait_for(asyncio.gather(*(self._open_one(sem) for _ in range(need))), timeout)
        return time.perf_counter() - t0

    def local_ports(self) -> list[int | None]:
        out = []
        for ws in self.sockets:
            try:
                out.append(ws.local_address[1])
            except Exception:  # noqa: BLE001 - closed
                out.append(None)
        return out

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
            for _ in range(3):
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
    """One page with the htmx ws extension: connect, take the snapshot, reconnect with its backoff.

    htmx-ext-ws waits ``random() * 1000 * 2**min(retries, 6)`` ms before retry ``retries`` (full jitter).
    A page counts as synced when it has received the snapshot frame (the one with ``"sync"``).
    """

    def __init__(self, port: int, deadline: float):
        self.port = port
        self.deadline = deadline
        self.synced_at: list[float] = []  # perf_counter of every snapshot received
        self.retries = 0

    async def run(self) -> None:
        while time.perf_counter() < self.deadline:
            try:
                async with ws_connect(self.port, open_timeout=10) as ws:
                    synced = False
                    async for msg in ws:
                        if not synced and is_sync(msg):
                            synced = True
                            self.synced_at.append(time.perf_counter())
                            self.retries = 0
                        if time.perf_counter() > self.deadline:
                            return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - refused, reset, closed: all mean "retry later"
                pass
            delay = random.random() * 2 ** min(self.retries, 6)
            self.retries += 1
            await asyncio.sleep(min(delay, max(self.deadline - time.perf_counter(), 0)))
