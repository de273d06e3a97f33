"""The benchmarks. Each returns a dict of measured figures (and notes); run.py writes the report.

Django is set up by run.py before this module is imported (the harness uses the bench database and
bench.settings). Every web tier here is ChefShop's own: supervisord's `[fcgi-program:web]` with two
`daphne --fd 0` processes sharing one port (bench/webtier.py); the idle and close benchmarks use one
plain daphne process.
"""

import asyncio
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import aiohttp
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench import pyspy
from bench.common import (
    BENCH,
    DB_NAME,
    PY,
    VENV_BIN,
    Proc,
    flush_bench_redis,
    free_port,
    median,
    pct,
    proc_cpu_seconds,
    proc_rss_mb,
    proc_threads,
    ratio,
    redis_client,
    start_daphne,
    wait_port,
)
from bench.webtier import WebTier, client_ports, connection_owners, socket_counts
from bench.wsclient import Browser, Fleet, open_idle

FAR = timedelta(days=60)  # bench-only slots start beyond the 7-day horizon: pages do not list them
WEB_PROCESSES = 2


def make_slot(*, capacity: int, offset: timedelta, cutoff_in: timedelta | None = None):
    """A slot written straight to the table (no service, no push): set-up, not a change to measure."""
    from slots.models import DeliverySlot

    start = timezone.now().replace(microsecond=0) + offset
    return DeliverySlot.objects.create(
        start=start,
        end=start + timedelta(minutes=30),
        capacity=capacity,
        order_cutoff=timezone.now() + (cutoff_in or offset - timedelta(hours=1)),
        owner_edited=True,
    )


def horizon_slot(capacity: int = 10_000_000):
    """A slot inside the picker's horizon (so it is a card on every open /ws/slots/ page), at an odd time
    that no weekly rule uses; cutoff well ahead."""
    return make_slot(capacity=capacity, offset=timedelta(days=3, minutes=7, seconds=13), cutoff_in=timedelta(days=2))


def any_item_id() -> int:
    from catalog.models import MenuItem

    return MenuItem.objects.filter(available=True).order_by("pk").values_list("pk", flat=True).first()


def slot_card_version(slot_id: int) -> int:
    """The version ChefShop's slot picker shows for this slot's card now (``v`` of card ``slot-<id>``),
    read through the live layer's own topic: the card's version is derived from the row, not the row's."""
    from chefshop import live
    from slots import live as slots_live

    versions = live.topic("slots").versions(slots_live.picker_group())
    try:
        return versions[f"slot-{slot_id}"][0]
    except KeyError:
        raise RuntimeError(f"slot {slot_id} is not a card of the slot picker") from None


def _part(res: dict, key: str, fn) -> None:
    try:
        res[key] = fn()
    except Exception as exc:  # noqa: BLE001 - keep the other parts of the benchmark
        res[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}


def _pg_headroom() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        return cur.fetchone()[0]


def _pool_max() -> int:
    return int(settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size") or 0)


def _tier_pids(tier: WebTier) -> list[int]:
    pids = tier.pids()
    if len(pids) < tier.processes:
        raise RuntimeError(f"{tier.name}: only {len(pids)} daphne processes running; see {tier.dir}")
    return pids


# --- HTTP customer ------------------------------------------------------------------------------


class Customer:
    """An anonymous browser session: csrftoken + sessionid cookies, a cart, checkouts. One kept-alive
    connection at a time; :meth:`reconnect` drops it so that the next request opens a new one (the shared
    listening socket then hands it to whichever web process accepts first)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = aiohttp.CookieJar(unsafe=True)  # cookies from 127.0.0.1
        self.http = self._session()
        self.csrf = ""

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            cookie_jar=self.jar,
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=60),
        )

    async def reconnect(self) -> None:
        await self.http.close()
        self.http = self._session()

    async def start(self) -> None:
        for attempt in range(5):
            async with self.http.get(self.base + "/checkout/") as r:
                await r.read()
            token = [c.value for c in self.http.cookie_jar if c.key == "csrftoken"]
            if token:
                self.csrf = token[0]
                return
            await asyncio.sleep(0.5 * (attempt + 1))  # e.g. a 500 while PostgreSQL is out of connections
        raise RuntimeError(f"no csrftoken after 5 tries (last status {r.status})")

    async def add(self, item_id: int) -> int:
        data = {"item": str(item_id), "quantity": "1", "csrfmiddlewaretoken": self.csrf}
        async with self.http.post(self.base + "/cart/add/", data=data, allow_redirects=False) as r:
            await r.read()
            return r.status

    async def checkout(self, slot_id: int) -> tuple[int, str]:
        data = {
            "name": "Bench Customer",
            "email": "bench@example.com",
            "phone": "0123 456789",
            "address": "1 Bench Street",
            "notes": "",
            "slot": str(slot_id),
            "idempotency_key": str(uuid.uuid4()),
            "csrfmiddlewaretoken": self.csrf,
        }
        async with self.http.post(self.base + "/checkout/", data=data, allow_redirects=False) as r:
            body = await r.text()
            location = r.headers.get("Location", "")
            return r.status, (location if r.status == 302 else body)

    async def get(self, path: str) -> int:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            await r.read()
            return r.status

    async def close(self) -> None:
        await self.http.close()


async def _closed_loop_http(base: str, clients: int, seconds: float, warmup: float, prepare, step) -> dict:
    """The load generator of every HTTP figure: ``clients`` sessions, each doing ``step`` again and again
    (the next as soon as the last answered). ``step(customer, i, n)`` returns an error label or None."""
    customers = [Customer(base) for _ in range(clients)]
    try:
        await asyncio.gather(*(c.start() for c in customers))
        await asyncio.gather(*(prepare(c) for c in customers))
        done: list[float] = []
        errors: dict[str, int] = {}
        t0 = time.perf_counter()
        stop_at = t0 + warmup + seconds

        async def client(i: int) -> None:
            n = 0
            while time.perf_counter() < stop_at:
                error = await step(customers[i], i, n)
                n += 1
                if error is None:
                    done.append(time.perf_counter())
                else:
                    errors[error] = errors.get(error, 0) + 1

        await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))), warmup + seconds + 90)
        window = [t for t in done if t0 + warmup <= t <= stop_at]
        return {"per_s": len(window) / seconds, "total": len(done), "errors": errors}
    finally:
        await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)


async def _order_load(base: str, item: int, slot_for, clients: int, seconds: float, warmup: float) -> dict:
    """A client checks out (`POST /checkout/`), then adds a dish again (`POST /cart/add/`) for the next."""

    async def prepare(c: Customer) -> None:
        await c.add(item)

    async def step(c: Customer, i: int, n: int) -> str | None:
        status, info = await c.checkout(slot_for(i, n))
        error = None if status == 302 and "/orders/" in info else f"checkout {status}"
        added = await c.add(item)
        if added != 302:
            return error or f"cart add {added}"
        return error

    out = await _closed_loop_http(base, clients, seconds, warmup, prepare, step)
    return {"orders_per_s": out["per_s"], "orders_total": out["total"], "errors": out["errors"]}


TRIVIAL_PATH = "/bench/trivial/"


async def _trivial_load(base: str, clients: int, seconds: float, warmup: float) -> dict:
    async def prepare(c: Customer) -> None:
        return None

    async def step(c: Customer, i: int, n: int) -> str | None:
        status = await c.get(TRIVIAL_PATH)
        return None if status == 200 else f"GET {status}"

    out = await _closed_loop_http(base, clients, seconds, warmup, prepare, step)
    return {"requests_per_s": out["per_s"], "requests_total": out["total"], "errors": out["errors"]}


def _trivial_queries() -> dict:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(TRIVIAL_PATH)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(TRIVIAL_PATH)
    return {"queries": len(ctx.captured_queries), "status": r.status_code, "bytes": len(r.content)}


def _pgbench_hot_row(clients: int, seconds: int) -> dict:
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_hot_slot")
        cur.execute(
            "CREATE TABLE bench_hot_slot (id int PRIMARY KEY, capacity int NOT NULL, reserved int NOT NULL,"
            " version int NOT NULL, order_cutoff timestamptz NOT NULL, closed bool NOT NULL,"
            " CHECK (reserved <= capacity))"
        )
        cur.execute("INSERT INTO bench_hot_slot VALUES (1, 2000000000, 0, 1, now() + interval '1 day', false)")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(
            "UPDATE bench_hot_slot SET reserved = reserved + 1, version = version + 1 "
            "WHERE id = 1 AND reserved < capacity AND order_cutoff > now() AND NOT closed;\n"
        )
        script = f.name
    try:
        out = subprocess.run(
            [
                "pgbench",
                "-h",
                "127.0.0.1",
                "-n",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script,
                DB_NAME,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if not m:
        raise RuntimeError(f"pgbench failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    return {"tps": float(m.group(1)), "latency_ms": float(lat.group(1)) if lat else None, "clients": clients}


def _profiled_hot_run(tier: WebTier, item: int, slot_id: int, clients: int, seconds: int = 8) -> dict:
    """The hot-slot load again, with py-spy sampling for ``seconds`` after a 1 s warm-up the web process
    that holds most of the clients' connections (the shared socket need not spread them evenly)."""
    pids = _tier_pids(tier)
    out: dict = {"pid": pids[0], "seconds": seconds}

    async def main():
        load = asyncio.create_task(_order_load(tier.base, item, lambda i, n: slot_id, clients, seconds, 1))
        await asyncio.sleep(1.5)  # clients started and warm
        held = Counter(connection_owners(pids, tier.port).values())
        pid = max(pids, key=lambda p: held.get(p, 0))
        out.update(pid=pid, connections_by_pid={str(p): held.get(p, 0) for p in pids})
        try:
            spy = pyspy.record(pid, seconds, "orders-hot")
        except OSError as exc:  # not installed: `make bench` installs bench/requirements.txt
            out["load"] = await load
            return {"error": f"py-spy could not start: {exc}"}
        out["load"] = await load
        return await asyncio.get_running_loop().run_in_executor(None, pyspy.collect, spy, seconds + 30)

    out["profile"] = asyncio.run(main())
    return out


def bench_orders(clients: int = 32, seconds: float = 10, warmup: float = 2) -> dict:
    from orders.models import Order
    from slots.models import DeliverySlot

    res: dict = {"clients": clients, "seconds": seconds, "web_processes": WEB_PROCESSES}
    # Each web process holds at most its pool of PostgreSQL connections, however many requests wait.
    headroom = _pg_headroom()
    pool = _pool_max()
    res["pg_headroom"], res["db_pool_max"] = headroom, pool
    need = WEB_PROCESSES * (pool or clients) + 5
    if headroom < need:
        raise RuntimeError(f"PostgreSQL has {headroom} free connections; the web tier may need {need}")
    racers, race_capacity = 64, 50
    res["racers"], res["race_capacity"] = racers, race_capacity
    item = any_item_id()
    hot = make_slot(capacity=10_000_000, offset=FAR)
    spread = [make_slot(capacity=1_000_000, offset=FAR + timedelta(days=1, hours=i)) for i in range(1000)]
    spread_ids = [s.pk for s in spread]
    race = make_slot(capacity=race_capacity, offset=FAR + timedelta(days=100))
    dish, dish_slot_ids = _hot_dish_setup(item)
    res["trivial_view"] = _trivial_queries()
    flush_bench_redis()
    tier = WebTier("web-orders", WEB_PROCESSES)
    res["tier_start_s"] = tier.start()
    res["web_pids"] = tier.pids()
    base = tier.base
    try:
        _part(res, "hot", lambda: asyncio.run(_order_load(base, item, lambda i, n: hot.pk, clients, seconds, warmup)))
        print(f"  hot slot: {res['hot'].get('orders_per_s', float('nan')):.1f} checkouts/s", flush=True)
        _part(
            res,
            "hot_dish",
            lambda: asyncio.run(
                _order_load(
                    base, dish, lambda i, n: dish_slot_ids[(i * 31 + n) % len(dish_slot_ids)], clients, seconds, warmup
                )
            ),
        )
        print(f"  hot dish: {res['hot_dish'].get('orders_per_s', float('nan')):.1f} checkouts/s", flush=True)
        _part(res, "trivial", lambda: asyncio.run(_trivial_load(base, clients, seconds, warmup)))
        print(f"  trivial view: {res['trivial'].get('requests_per_s', float('nan')):.1f} req/s", flush=True)
        _part(res, "profiled", lambda: _profiled_hot_run(tier, item, hot.pk, clients))
        _part(
            res,
            "spread",
            lambda: asyncio.run(
                _order_load(base, item, lambda i, n: spread_ids[(i * 31 + n) % 1000], clients, seconds, warmup)
            ),
        )

        async def race_run() -> dict:
            customers = [Customer(base) for _ in range(racers)]
            sem = asyncio.Semaphore(8)  # set-up is not the race: keep it gentle

            async def prepare(c):
                async with sem:
                    await c.start()
                    await c.add(item)

            try:
                await asyncio.gather(*(prepare(c) for c in customers))
                results = await asyncio.wait_for(asyncio.gather(*(c.checkout(race.pk) for c in customers)), 120)
            finally:
                await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)
            return {
                "ok_302": sum(1 for s, _ in results if s == 302),
                "full_422": sum(1 for s, b in results if s == 422 and "just filled up" in b),
                "other": sum(1 for s, b in results if not (s == 302 or (s == 422 and "just filled up" in b))),
            }

        _part(res, "race", lambda: asyncio.run(race_run()))
        res["web_alive_after"] = len(tier.pids())
    finally:
        tier.stop()
    res["race"].setdefault("ok_302", 0)
    res["race"]["db_orders"] = Order.objects.filter(slot_id=race.pk).count()
    res["race"]["db_reserved"] = DeliverySlot.objects.get(pk=race.pk).reserved
    r = res["race"]
    r["pass"] = r["db_orders"] == race_capacity and r["db_reserved"] == race_capacity and r["ok_302"] == race_capacity
    r["never_overbooked"] = r["db_orders"] <= race_capacity and r["db_reserved"] == r["db_orders"]
    hot.refresh_from_db()
    if "error" not in res["hot"]:
        res["hot"]["db_reserved"] = hot.reserved
        res["hot"]["db_orders"] = Order.objects.filter(slot_id=hot.pk).count()
    try:
        res["pgbench"] = _pgbench_hot_row(clients, 10)
    except Exception as exc:  # noqa: BLE001 - too many connections: scale down
        res["pgbench_error"] = str(exc)[:300]
        res["pgbench"] = _pgbench_hot_row(16, 10)
    res["ratio_hot_vs_pgbench"] = ratio(res["hot"].get("orders_per_s"), res["pgbench"]["tps"])
    res["ratio_hot_vs_trivial"] = ratio(res["hot"].get("orders_per_s"), res["trivial"].get("requests_per_s"))
    res["ratio_hot_vs_spread"] = ratio(res["hot"].get("orders_per_s"), res["spread"].get("orders_per_s"))
    res["ratio_hot_dish_vs_hot_slot"] = ratio(res["hot_dish"].get("orders_per_s"), res["hot"].get("orders_per_s"))
    if "error" not in res["hot_dish"]:
        from catalog.models import DishDay

        row = DishDay.objects.filter(item_id=dish).first()
        res["hot_dish"]["db_reserved"] = row.reserved if row else 0
        res["hot_dish"]["db_orders"] = Order.objects.filter(slot_id__in=dish_slot_ids).count()
        res["hot_dish"]["db_stock_rows"] = DishDay.objects.filter(item_id=dish).count()
    return res


def _hot_dish_setup(like_item: int, slots: int = 100) -> tuple[int, list[int]]:
    """A dish with a daily number of portions, and ``slots`` roomy slots all on one delivery day: every
    checkout of the "hot dish" load takes that one dish-day row, while the slot rows are spread."""
    from catalog.models import MenuItem

    template = MenuItem.objects.get(pk=like_item)
    dish = MenuItem.objects.create(
        category_id=template.category_id, name="Bench hot dish", price=template.price, daily_portions=2_000_000_000
    )
    now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    first = (now + FAR + timedelta(days=150)).replace(hour=7, minute=0)
    ids = [
        make_slot(
            capacity=1_000_000, offset=first + timedelta(minutes=8 * i) - timezone.now().replace(microsecond=0)
        ).pk
        for i in range(slots)
    ]
    return dish.pk, ids


# --- 2. commit -> screen --------------------------------------------------------------------------


def _reserve_timed(slot_id: int) -> float:
    """Reserve a place through the service; returns perf_counter at the commit (before the push runs)."""
    from slots.services import slot_reserve

    mark = {}
    with transaction.atomic():
        transaction.on_commit(lambda: mark.setdefault("t", time.perf_counter()))  # registered first: runs first
        slot_reserve(slot_id=slot_id)
    return mark["t"]


def _commit_one(slot_id: int) -> tuple[float, int]:
    """One change of the watched card: (time of the commit, the card version it made)."""
    t = _reserve_timed(slot_id)
    return t, slot_card_version(slot_id)


def _commit_many(slot_id: int, count: int) -> dict:
    """``count`` changes back to back, as fast as one writer thread commits them."""
    t_first = _reserve_timed(slot_id)
    v_first = slot_card_version(slot_id)
    t_last = t_first
    for _ in range(count - 1):
        t_last = _reserve_timed(slot_id)
    return {"t_first": t_first, "v_first": v_first, "t_last": t_last, "v_last": slot_card_version(slot_id)}


def _payload(version: int) -> bytes:
    """What the baseline publishes: a frame shaped and sized like one ChefShop card frame."""
    html = f'<li id="slot-1" class="slot slot-open" data-version="{version}" data-sort="1">' + "x" * 600 + "</li>"
    card = {"id": "slot-1", "v": version, "region": "slot-list", "html": html}
    return json.dumps({"cards": [card]}, separators=(",", ":")).encode()


class RedisSubs:
    """N raw Redis pub/sub subscribers in this process: the baseline for the live push."""

    CHANNEL = "chefshop-bench:latency"

    def __init__(self):
        self.arrivals: dict[int, list[float]] = {}
        self.per_sub: list[set[int]] = []
        self.clients, self.tasks = [], []

    async def grow(self, total: int) -> None:
        import redis.asyncio as aredis

        async def one():
            r = aredis.Redis(host="127.0.0.1", port=6379, db=2)
            ps = r.pubsub()
            await ps.subscribe(self.CHANNEL)
            seen: set[int] = set()
            self.per_sub.append(seen)
            self.clients.append((r, ps))
            self.tasks.append(asyncio.create_task(self._read(ps, seen)))

        sem = asyncio.Semaphore(100)

        async def guarded():
            async with sem:
                await one()

        await asyncio.gather(*(guarded() for _ in range(total - len(self.clients))))

    async def _read(self, ps, seen) -> None:
        try:
            async for msg in ps.listen():
                t = time.perf_counter()
                if msg["type"] != "message":
                    continue
                for card in json.loads(msg["data"])["cards"]:
                    v = card["v"]
                    if v not in seen:
                        seen.add(v)
                        self.arrivals.setdefault(v, []).append(t)
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for r, ps in self.clients:
            try:
                await ps.aclose()
                await r.aclose()
            except Exception:  # noqa: BLE001
                pass


async def _redis_rounds(send, arrivals, n: int, rounds: int, first_version: int, wait: float = 3.0) -> dict:
    """Baseline: one PUBLISH at a time; wait until every subscriber has it (or ``wait`` s)."""
    loop = asyncio.get_running_loop()
    lat, missing = [], 0
    t_start = time.perf_counter()
    for k in range(rounds):
        v = first_version + k
        t0 = await loop.run_in_executor(None, send, v)
        deadline = time.perf_counter() + wait
        while len(arrivals.get(v, ())) < n and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        got = arrivals.get(v, [])
        lat.extend((t - t0) * 1000 for t in got)
        missing += n - len(got)
        if time.perf_counter() - t_start > 60:  # bound the round count by time as well
            rounds = k + 1
            break
    return {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "samples": len(lat), "rounds": rounds, "missing": missing}


def _stats(values: list[float]) -> dict:
    return {"p50_ms": pct(values, 50), "p99_ms": pct(values, 99), "samples": len(values)}


async def _app_rounds(fleet: Fleet, commit, rounds: int, owner: list, wait: float = 3.0) -> dict:
    """One change at a time through the service; the clock starts at commit and stops, per socket, at the
    first frame carrying that card version or a newer one. The next change once every socket has it (or
    after ``wait`` s)."""
    loop = asyncio.get_running_loop()
    lat: list[float] = []
    by_pid: dict = {}
    missing = 0
    t_start = time.perf_counter()
    n = len(fleet.sockets)
    for k in range(rounds):
        t0, v = await loop.run_in_executor(None, commit)
        deadline = time.perf_counter() + wait
        while fleet.count_at_least(v) < n and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        for i in range(n):
            t = fleet.reached_at(i, v)
            if t is None:
                missing += 1
                continue
            ms = (t - t0) * 1000
            lat.append(ms)
            by_pid.setdefault(owner[i] if i < len(owner) else None, []).append(ms)
        if time.perf_counter() - t_start > 60:
            rounds = k + 1
            break
    out = {**_stats(lat), "rounds": rounds, "missing": missing}
    out["by_process"] = {str(pid): _stats(ms) for pid, ms in sorted(by_pid.items(), key=lambda kv: str(kv[0]))}
    return out


async def _app_burst(fleet: Fleet, commit_many, count: int, drain: float = 5.0, repair: float = 30.0) -> dict:
    """``count`` changes of one card back to back. Pushes are coalesced per card, so intermediate versions
    are skipped by design ("lost" counts them); what must hold is that every socket shows the last version
    soon after the last commit ("convergence") and none is left on an older one after ``drain`` s
    ("stale": a push dropped somewhere). Stale sockets get up to ``repair`` s more (the periodic digest)."""
    loop = asyncio.get_running_loop()
    n = len(fleet.sockets)
    t0 = time.perf_counter()
    sent = await loop.run_in_executor(None, commit_many, count)
    send_s = time.perf_counter() - t0
    v_first, v_last, t_last = sent["v_first"], sent["v_last"], sent["t_last"]
    end = t_last + drain
    while fleet.count_at_least(v_last) < n and time.perf_counter() < end:
        await asyncio.sleep(0.01)
    await asyncio.sleep(max(0.0, min(0.5, end - time.perf_counter())))  # stragglers of intermediate frames
    stale = n - fleet.count_at_least(v_last)
    reached = [fleet.reached_at(i, v_last) for i in range(n)]
    conv = [(t - t_last) * 1000 for t in reached if t is not None]
    received = [len({v for v in fleet.seen[i] if v_first <= v <= v_last}) for i in range(n)]
    lost = sum(max(count - got, 0) for got in received)
    out = {
        "updates": count,
        "receivers": n,
        "expected": n * count,
        "received": n * count - lost,
        "lost": lost,
        "lost_pct": 100 * lost / (n * count) if n else float("nan"),
        "sockets_missing_some": sum(1 for got in received if got < count),
        "frames_per_socket_median": median(received),
        "send_s": send_s,
        "convergence_ms": max(conv) if conv and stale == 0 else None,
        "convergence_p50_ms": pct(conv, 50),
        "drain_s": drain,
        "stale_sockets": stale,
        "v_first": v_first,
        "v_last": v_last,
    }
    if stale:
        end = t_last + repair
        while fleet.count_at_least(v_last) < n and time.perf_counter() < end:
            await asyncio.sleep(0.05)
        left = n - fleet.count_at_least(v_last)
        out["stale_after_repair"] = left
        out["repair_s"] = repair
        late = [fleet.reached_at(i, v_last) for i in range(n)]
        if left == 0:
            out["repaired_ms"] = max((t - t_last) * 1000 for t in late if t is not None)
    return out


async def _redis_burst(send_many, subs: RedisSubs, versions: range, drain: float = 20.0) -> dict:
    """Baseline burst: every message to every subscriber (no coalescing), so reading them all in this one
    client process takes seconds at 2,000 subscribers: a longer window than ChefShop's 5 s."""
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    t_last = await loop.run_in_executor(None, send_many, versions)
    send_s = time.perf_counter() - t0
    want, last = set(versions), versions[-1]
    n = len(subs.per_sub)
    end = t_last + drain
    # a subscriber gets a channel's messages in order: once every one has the last, the rest came or never will
    while time.perf_counter() < end and len(subs.arrivals.get(last, ())) < n:
        await asyncio.sleep(0.01)
    received = sum(len(want & s) for s in subs.per_sub)
    expected = n * len(want)
    last_at = subs.arrivals.get(last, [])
    return {
        "updates": len(want),
        "receivers": n,
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "send_s": send_s,
        "convergence_ms": (max(last_at) - t_last) * 1000 if len(last_at) == n else None,
        "stale_sockets": n - len(last_at),
    }


def _owners(tier: WebTier, fleet: Fleet) -> list:
    """For each socket of the fleet, the pid of the web process holding it (None: not found)."""
    owners = connection_owners(tier.pids(), tier.port)
    return [owners.get(p) if p is not None else None for p in fleet.local_ports()]


def bench_latency(levels=(100, 500, 2000), rounds=None, burst=None) -> dict:
    rounds = rounds or {100: 100, 500: 100, 2000: 40}  # p99 over enough rounds that one slow round is not it
    burst = burst or {100: 1000, 500: 400, 2000: 100}
    slot = horizon_slot()
    flush_bench_redis()
    tier = WebTier("web-latency", WEB_PROCESSES)
    res: dict = {"levels": {}, "web_processes": WEB_PROCESSES, "tier_start_s": tier.start()}
    res["web_pids"] = tier.pids()
    pub = redis_client()
    executor = ThreadPoolExecutor(max_workers=1)  # the "request thread" that commits and pushes

    def publish(v):
        payload = _payload(v)
        t = time.perf_counter()
        pub.publish(RedisSubs.CHANNEL, payload)
        return t

    def publish_many(versions):
        t = None
        for v in versions:
            payload = _payload(v)
            t = time.perf_counter()
            pub.publish(RedisSubs.CHANNEL, payload)
        return t

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(executor)
        fleet, subs = Fleet(tier.port, watch_card=f"slot-{slot.pk}"), RedisSubs()
        pub_version = 1
        try:
            for n in levels:
                lvl: dict = {}
                lvl["connect_s"] = await fleet.grow(n)
                lvl["connected"] = len(fleet.sockets)
                lvl["connect_errors"] = fleet.connect_errors
                if not fleet.sockets:
                    raise RuntimeError("no socket on /ws/slots/ got its snapshot; see bench/.logs/web-latency/")
                now_v = await loop.run_in_executor(None, slot_card_version, slot.pk)
                lvl["snapshot_without_card"] = sum(1 for v in fleet.snapshot_v if v < 0)
                lvl["showing_current_at_start"] = fleet.count_at_least(now_v)
                owner = _owners(tier, fleet)
                lvl["sockets_by_process"] = {str(k): c for k, c in sorted(Counter(owner).items(), key=str)}
                await subs.grow(n)
                lvl["web_rss_mb"] = {str(p): proc_rss_mb(p) for p in tier.pids()}
                await asyncio.sleep(1)
                lvl["app"] = await _app_rounds(fleet, lambda: _commit_one(slot.pk), rounds[n], owner)
                lvl["redis"] = await _redis_rounds(publish, subs.arrivals, len(subs.clients), rounds[n], pub_version)
                pub_version += lvl["redis"]["rounds"]
                lvl["app_burst"] = await _app_burst(fleet, lambda c: _commit_many(slot.pk, c), burst[n])
                vs = range(pub_version, pub_version + burst[n])
                lvl["redis_burst"] = await _redis_burst(publish_many, subs, vs)
                pub_version += burst[n]
                lvl["ratio_p50"] = ratio(lvl["app"]["p50_ms"], lvl["redis"]["p50_ms"])
                lvl["ratio_p99"] = ratio(lvl["app"]["p99_ms"], lvl["redis"]["p99_ms"])
                lvl["web_alive"] = len(tier.pids())
                lvl["frames"], lvl["bad_frames"] = fleet.frames, fleet.bad_frames
                res["levels"][n] = lvl
                a = lvl["app_burst"]
                print(
                    f"  latency N={n}: {lvl['app']['p50_ms']:.1f}/{lvl['app']['p99_ms']:.1f} ms"
                    f" (redis {lvl['redis']['p99_ms']:.1f}), burst converged in {a['convergence_ms']} ms,"
                    f" stale {a['stale_sockets']}, intermediate not received {a['lost']}/{a['expected']}",
                    flush=True,
                )
        finally:
            await fleet.close()
            await subs.close()

    try:
        asyncio.run(main())
    finally:
        tier.stop()
        executor.shutdown(wait=False)  # asyncio.run already shut it down (it was the default executor)
        pub.close()
    return res


# --- 2b. two web processes ------------------------------------------------------------------------


def bench_processes(sockets: int = 200, rounds: int = 30, wait: float = 3.0) -> dict:
    """Sockets spread over both web processes by the shared listening socket; each change is a checkout
    over HTTP on a new connection (so either process may take it). Latency per socket from the moment
    the checkout request is sent (an upper bound of commit → socket: it includes the checkout itself),
    split by whether the socket sits on the process that took the checkout or on the other one."""
    slot = horizon_slot()
    item = any_item_id()
    flush_bench_redis()
    tier = WebTier("web-processes", WEB_PROCESSES)
    res: dict = {"sockets": sockets, "rounds": rounds, "tier_start_s": tier.start()}
    pids = _tier_pids(tier)
    res["web_pids"] = pids

    async def main():
        loop = asyncio.get_running_loop()
        fleet = Fleet(tier.port, watch_card=f"slot-{slot.pk}")
        customer = Customer(tier.base)
        same: list[float] = []
        other: list[float] = []
        by_pid: dict[str, list[float]] = {}
        served_by: Counter = Counter()
        missing = errors = 0
        try:
            await fleet.grow(sockets)
            owner = _owners(tier, fleet)
            res["connected"] = len(fleet.sockets)
            res["sockets_by_process"] = {str(k): c for k, c in sorted(Counter(owner).items(), key=str)}
            res["socket_fds_by_process"] = {str(k): c for k, c in socket_counts(pids).items()}
            await customer.start()
            ws_ports = set(fleet.local_ports())
            t_start = time.perf_counter()
            for _ in range(rounds):
                await customer.reconnect()  # a new connection: either process may take this checkout
                await customer.get(TRIVIAL_PATH)  # opens it (kept alive for the add and the checkout)
                http_ports = client_ports(tier.port) - ws_ports
                took = connection_owners(pids, tier.port).get(min(http_ports)) if len(http_ports) == 1 else None
                if await customer.add(item) != 302:
                    errors += 1
                    continue
                t0 = time.perf_counter()
                status, _ = await customer.checkout(slot.pk)
                if status != 302:
                    errors += 1
                    continue
                v = await loop.run_in_executor(None, slot_card_version, slot.pk)
                if client_ports(tier.port) - ws_ports != http_ports:
                    took = None  # the kept-alive connection did not last: which process took it is unknown
                served_by[str(took)] += 1
                deadline = time.perf_counter() + wait
                while fleet.count_at_least(v) < len(fleet.sockets) and time.perf_counter() < deadline:
                    await asyncio.sleep(0.002)
                for i in range(len(fleet.sockets)):
                    t = fleet.reached_at(i, v)
                    if t is None:
                        missing += 1
                        continue
                    ms = (t - t0) * 1000
                    by_pid.setdefault(str(owner[i]), []).append(ms)
                    if took is not None and owner[i] is not None:
                        (same if owner[i] == took else other).append(ms)
                if time.perf_counter() - t_start > 60:
                    break
        finally:
            await customer.close()
            await fleet.close()
        res["checkouts_served_by"] = dict(served_by)
        res["same_process"] = _stats(same)
        res["other_process"] = _stats(other)
        res["by_process"] = {pid: _stats(ms) for pid, ms in by_pid.items()}
        res["all"] = _stats([x for ms in by_pid.values() for x in ms])
        res["missing"], res["errors"] = missing, errors

    try:
        asyncio.run(main())
    finally:
        tier.stop()
    held = [pid for pid, c in res.get("sockets_by_process", {}).items() if pid != "None" and c > 0]
    res["both_hold_sockets"] = len(held) >= WEB_PROCESSES
    return res


# --- 3. idle cost --------------------------------------------------------------------------------


def _idle_measure(pid: int, port: int, count: int, idle_s: float) -> dict:
    out = {"rss_before_mb": proc_rss_mb(pid), "threads_before": proc_threads(pid)}

    async def main():
        sockets, errors, took = await open_idle(port, count)
        out.update(connected=len(sockets), connect_errors=errors, connect_s=took)
        await asyncio.sleep(2)
        c0, t0 = proc_cpu_seconds(pid), time.perf_counter()
        await asyncio.sleep(idle_s)
        c1, t1 = proc_cpu_seconds(pid), time.perf_counter()
        out["idle_cpu_pct"] = 100 * (c1 - c0) / (t1 - t0)
        out["rss_mb"] = proc_rss_mb(pid)
        out["threads"] = proc_threads(pid)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    asyncio.run(main())
    out["rss_per_socket_kb"] = (out["rss_mb"] - out["rss_before_mb"]) * 1024 / max(out["connected"], 1)
    return out


def bench_idle(count: int = 2000, idle_s: float = 10) -> dict:
    res: dict = {"count": count, "idle_s": idle_s}
    port = free_port()
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-idle")
    try:
        time.sleep(1)
        res["daphne"] = _idle_measure(daphne.pid, port, count, idle_s)
    finally:
        daphne.stop()
    port = free_port()
    minimal = Proc("minimal-ws", [PY, str(BENCH / "minimal_ws_server.py"), str(port)])
    try:
        wait_port(port, 20)
        time.sleep(0.5)
        res["minimal"] = _idle_measure(minimal.pid, port, count, idle_s)
    finally:
        minimal.stop()
    res["ratio_rss"] = ratio(res["daphne"]["rss_mb"], res["minimal"]["rss_mb"])
    res["ratio_rss_per_socket"] = ratio(res["daphne"]["rss_per_socket_kb"], res["minimal"]["rss_per_socket_kb"])
    res["ratio_idle_cpu"] = ratio(res["daphne"]["idle_cpu_pct"], res["minimal"]["idle_cpu_pct"])
    return res


# --- 4. reconnect storm --------------------------------------------------------------------------


def bench_storm(count: int = 1000, limit_s: float = 60) -> dict:
    """Cold: ``count`` pages open at once. Restart: SIGTERM to every daphne of the web tier; supervisord
    keeps the listening socket and starts them again (autorestart); pages reconnect with their backoff."""
    res: dict = {"count": count, "web_processes": WEB_PROCESSES}
    flush_bench_redis()
    tier = WebTier("web-storm", WEB_PROCESSES)
    res["tier_start_s"] = tier.start()
    target = int(count * 0.99 + 0.999)

    async def until(browsers, since: float, generation: int) -> float | None:
        deadline = since + limit_s
        while time.perf_counter() < deadline:
            if sum(1 for b in browsers if len(b.synced_at) >= generation) >= target:
                times = sorted(b.synced_at[generation - 1] for b in browsers if len(b.synced_at) >= generation)
                return times[target - 1] - since
            await asyncio.sleep(0.01)
        return None

    async def main():
        loop = asyncio.get_running_loop()
        end = time.perf_counter() + 3 * limit_s + 30
        browsers = [Browser(tier.port, end) for _ in range(count)]
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(b.run()) for b in browsers]
        try:
            res["cold_99_s"] = await until(browsers, t0, 1)
            res["cold_all"] = sum(1 for b in browsers if b.synced_at)
            await asyncio.sleep(2)
            old = set(_tier_pids(tier))
            listened = tier.listening_count()
            t_kill = time.perf_counter()
            tier.kill_web()

            def back() -> float:
                tier.wait_ready(old, t_kill + limit_s, listened)
                return time.perf_counter() - t_kill

            ready = loop.run_in_executor(None, back)
            res["restart_99_s"] = await until(browsers, t_kill, 2)
            res["restart_all"] = sum(1 for b in browsers if len(b.synced_at) >= 2)
            try:
                res["web_back_s"] = await ready
            except Exception as exc:  # noqa: BLE001
                res["web_back_error"] = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        tier.stop()
    res["ratio_restart_vs_cold"] = ratio(res.get("restart_99_s"), res.get("cold_99_s"))
    return res


# --- 5. slot close precision ---------------------------------------------------------------------


def bench_close(count: int = 20) -> dict:
    from slots.services import slot_create

    res: dict = {"count": count}
    port = free_port()
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-close")
    worker = Proc(
        "celery-worker",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "chefshop",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
    )
    try:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 60:
            if "ready." in worker.log_path.read_text(errors="replace").rsplit("\n=== ", 1)[-1]:  # this start only
                break
            if not worker.alive():
                raise RuntimeError("celery worker exited; see bench/.logs/celery-worker.log")
            time.sleep(0.2)
        else:
            raise TimeoutError("celery worker not ready in 60 s")
        res["worker_ready_s"] = time.perf_counter() - t0

        async def main():
            import redis.asyncio as aredis

            fleet = Fleet(port, closes=True)
            await fleet.grow(1)
            if not fleet.sockets:
                raise RuntimeError("no socket on /ws/slots/ got its snapshot; see bench/.logs/daphne-close.log")
            # baseline: asyncio timers at the same cutoffs -> Redis PUBLISH -> a subscriber here
            r = aredis.Redis(host="127.0.0.1", port=6379, db=2)
            ps = r.pubsub()
            await ps.subscribe("chefshop-bench:close")
            base_seen: dict[int, float] = {}

            async def read_base():
                async for msg in ps.listen():
                    if msg["type"] == "message":
                        base_seen[int(msg["data"])] = time.time()

            reader = asyncio.create_task(read_base())
            loop = asyncio.get_running_loop()
            now = timezone.now()
            cutoffs = [now + timedelta(seconds=3 + 7 * i / (count - 1)) for i in range(count)]

            def create():
                # inside the horizon (cards of the picker), at odd minutes no weekly rule uses
                ids = []
                for i, cutoff in enumerate(cutoffs):
                    start = timezone.now().replace(microsecond=0) + timedelta(days=5, minutes=3 * i + 1, seconds=17)
                    ids.append(
                        slot_create(start=start, end=start + timedelta(minutes=30), capacity=5, order_cutoff=cutoff).pk
                    )
                return ids

            ids = await loop.run_in_executor(None, create)
            wall_to_loop = time.time() - loop.time()
            for i, cutoff in enumerate(cutoffs):
                loop.call_at(
                    cutoff.timestamp() - wall_to_loop,
                    lambda i=i: asyncio.ensure_future(r.publish("chefshop-bench:close", str(i))),
                )
            deadline = time.time() + 10 + 30
            while time.time() < deadline:
                if all(f"slot-{i}" in fleet.closed_seen for i in ids) and len(base_seen) == count:
                    break
                await asyncio.sleep(0.05)
            app = [
                (fleet.closed_seen[f"slot-{sid}"] - c.timestamp()) * 1000
                for sid, c in zip(ids, cutoffs, strict=True)
                if f"slot-{sid}" in fleet.closed_seen
            ]
            base = [(base_seen[i] - c.timestamp()) * 1000 for i, c in enumerate(cutoffs) if i in base_seen]
            res["frames"], res["bad_frames"] = fleet.frames, fleet.bad_frames
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await ps.aclose()
            await r.aclose()
            await fleet.close()
            return app, base

        app, base = asyncio.run(main())
        res["app"] = {
            "p50_ms": pct(app, 50),
            "p99_ms": pct(app, 99),
            "max_ms": max(app, default=float("nan")),
            "min_ms": min(app, default=float("nan")),
            "seen": len(app),
        }
        res["baseline"] = {"p50_ms": pct(base, 50), "p99_ms": pct(base, 99), "seen": len(base)}
        res["ratio_p50"] = ratio(res["app"]["p50_ms"], res["baseline"]["p50_ms"])
        res["ratio_p99"] = ratio(res["app"]["p99_ms"], res["baseline"]["p99_ms"])
    finally:
        worker.stop(timeout=20)
        daphne.stop()
    return res


# --- 6. page cost --------------------------------------------------------------------------------


def _ensure_owner():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username="owner").first()
    created = user is None
    if created:  # seed_demo makes demo accounts only with DEBUG on
        user = User.objects.create_user("owner", password="chefshop-demo", is_staff=True, is_superuser=True)
    return user, created


def _add_orders(total: int) -> dict:
    """Bring the number of board orders up to ``total`` (bulk, ORM), spread over every upcoming slot of
    the horizon that the weekly rules made, in turn, as a real week would fill them (not all in the next
    two slots). Each slot's
    ``reserved`` counts its orders and its capacity is raised where they would not fit. Returns how many
    orders exist and how they are spread."""
    from django.db.models import F
    from django.db.models.functions import Greatest

    from catalog.models import MenuItem
    from deliveries.models import Delivery
    from deliveries.services import trip_snapshot
    from orders.models import Order, OrderItem
    from slots.models import DeliverySlot
    from slots.selectors import slots_upcoming

    S = Order.Status
    have = Order.objects.filter(name="Page Bench").count()
    need = total - have
    # the week's slots as the weekly rules made them (not the odd ones other benchmarks added)
    slots = list(slots_upcoming().filter(rule__isnull=False)) or list(slots_upcoming())
    if not slots:
        raise RuntimeError("no upcoming slots in the horizon (seed_demo makes them)")
    items = list(MenuItem.objects.all()[:5])
    statuses = [S.CONFIRMED, S.CONFIRMED, S.PREPPING, S.PREPPED, S.PREPPED]
    now = timezone.now()
    orders = [
        Order(
            idempotency_key=uuid.uuid4(),
            slot=slots[(have + i) % len(slots)],
            status=statuses[(have + i) % len(statuses)],
            name="Page Bench",
            email="page@example.com",
            phone="0123 456789",
            address=f"{have + i} Bench Street",
            total=items[0].price * 2,
            confirmed_at=now,
        )
        for i in range(max(need, 0))
    ]
    with transaction.atomic():
        Order.objects.bulk_create(orders)
        for slot_id, n in Counter(o.slot_id for o in orders).items():
            DeliverySlot.objects.filter(pk=slot_id).update(
                reserved=F("reserved") + n, capacity=Greatest(F("capacity"), F("reserved") + n)
            )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=o,
                menu_item=items[j % len(items)],
                name=items[j % len(items)].name,
                unit_price=items[j % len(items)].price,
                quantity=1,
            )
            for o in orders
            for j in range(2)
        )
        prepped = Order.objects.filter(name="Page Bench", status=S.PREPPED, delivery__isnull=True)
        prepped = prepped.select_related("slot").prefetch_related("items")
        Delivery.objects.bulk_create(Delivery(order=o, slot_start=o.slot.start, trip=trip_snapshot(o)) for o in prepped)
    per_slot = Counter(Order.objects.filter(name="Page Bench").values_list("slot_id", flat=True))
    counts = [per_slot.get(s.pk, 0) for s in slots]
    return {
        "orders": sum(per_slot.values()),
        "slots": len(slots),
        "per_slot_min": min(counts),
        "per_slot_max": max(counts),
        "in_first_two_slots": sum(counts[:2]),
    }


PAGES = ["/", "/checkout/", "/owner/kitchen/", "/owner/dispatch/"]
BASELINE_PATH = "/static/css/chefshop.css"


def _query_counts() -> dict:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import MenuItem

    owner, _ = _ensure_owner()
    customer = Client(HTTP_HOST="127.0.0.1")
    customer.post("/cart/add/", {"item": MenuItem.objects.filter(available=True).first().pk})
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(owner)
    out = {}
    for path in PAGES:
        c = staff if path.startswith("/owner/") else customer
        c.get(path)  # warm
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(path)
        out[path] = {"queries": len(ctx.captured_queries), "status": r.status_code, "bytes": len(r.content)}
    return out


async def _page_times(base: str, reps: int) -> dict:
    jar_owner = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    cust = Customer(base)
    try:
        await cust.start()
        await cust.add(any_item_id_async_cache["item"])
        async with jar_owner.get(base + "/accounts/login/") as r:
            await r.read()
        csrf = next(c.value for c in jar_owner.cookie_jar if c.key == "csrftoken")
        async with jar_owner.post(
            base + "/accounts/login/",
            data={"username": "owner", "password": "chefshop-demo", "csrfmiddlewaretoken": csrf},
            allow_redirects=False,
        ) as r:
            await r.read()
            if r.status != 302:
                raise RuntimeError(f"owner login failed: {r.status}")
        out = {}
        for path in [BASELINE_PATH, *PAGES]:
            s = jar_owner if path.startswith("/owner/") else cust.http
            times, status = [], None
            for i in range(reps + 2):
                t0 = time.perf_counter()
                async with s.get(base + path, allow_redirects=False) as r:
                    await r.read()
                    status = r.status
                if i >= 2:  # two warm-up requests
                    times.append((time.perf_counter() - t0) * 1000)
            out[path] = {"median_ms": median(times), "p90_ms": pct(times, 90), "status": status}
        return out
    finally:
        await jar_owner.close()
        await cust.close()


any_item_id_async_cache: dict = {}


def bench_pages(reps: int = 20) -> dict:
    from deliveries.models import Delivery
    from orders.models import Order

    res: dict = {"reps": reps, "levels": {}}
    # orders left by the other benchmarks would show on the boards: start from none
    Delivery.objects.all().delete()
    Order.objects.all().delete()
    _, res["owner_created"] = _ensure_owner()
    any_item_id_async_cache["item"] = any_item_id()
    flush_bench_redis()
    tier = WebTier("web-pages", WEB_PROCESSES)
    res["tier_start_s"] = tier.start()
    res["web_processes"] = WEB_PROCESSES
    try:
        for n in (10, 1000):
            spread = _add_orders(n)
            got = spread["orders"]
            times = asyncio.run(_page_times(tier.base, reps))
            counts = _query_counts()
            base = times[BASELINE_PATH]["median_ms"]
            pages = {}
            for path in PAGES:
                pages[path] = {**times[path], **counts[path], "ratio_vs_static": ratio(times[path]["median_ms"], base)}
            res["levels"][n] = {"orders": got, "spread": spread, "static_ms": base, "pages": pages}
            print(
                f"  pages at {got} orders: kitchen {pages['/owner/kitchen/']['median_ms']:.1f} ms,"
                f" dispatch {pages['/owner/dispatch/']['median_ms']:.1f} ms",
                flush=True,
            )
    finally:
        tier.stop()
    for path in PAGES:
        a, b = res["levels"][1000]["pages"][path], res["levels"][10]["pages"][path]
        a["ratio_time_1000_vs_10"] = ratio(a["median_ms"], b["median_ms"])
        a["ratio_queries_1000_vs_10"] = ratio(a["queries"], b["queries"])
    return res
