"""The six benchmarks. Each returns a dict of measured figures (and notes); run.py writes the report.

Django is set up by run.py before this module is imported (the harness uses the bench database).
"""

import asyncio
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import aiohttp
from django.db import connection, transaction
from django.utils import timezone

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
from bench.wsclient import Browser, Fleet, open_idle

FAR = timedelta(days=60)  # bench-only slots start beyond the 7-day horizon: pages do not list them


def make_slot(*, capacity: int, offset: timedelta, cutoff_in: timedelta | None = None):
    from slots.models import DeliverySlot

    start = timezone.now().replace(microsecond=0) + offset
    return DeliverySlot.objects.create(
        start=start,
        end=start + timedelta(minutes=30),
        capacity=capacity,
        order_cutoff=timezone.now() + (cutoff_in or offset - timedelta(hours=1)),
        owner_edited=True,
    )


def any_item_id() -> int:
    from catalog.models import MenuItem

    return MenuItem.objects.filter(available=True).order_by("pk").values_list("pk", flat=True).first()


# --- HTTP customer ------------------------------------------------------------------------------


class Customer:
    """An anonymous browser session: csrftoken + sessionid cookies, a cart, checkouts."""

    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        self.csrf = ""

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

    async def close(self) -> None:
        await self.http.close()


async def _order_load(base: str, item: int, slot_for, clients: int, seconds: float, warmup: float) -> dict:
    customers = [Customer(base) for _ in range(clients)]
    try:
        await asyncio.gather(*(c.start() for c in customers))
        await asyncio.gather(*(c.add(item) for c in customers))
        done: list[float] = []
        errors: dict[str, int] = {}
        t0 = time.perf_counter()
        stop_at = t0 + warmup + seconds

        async def client(i: int) -> None:
            n = 0
            while time.perf_counter() < stop_at:
                status, info = await customers[i].checkout(slot_for(i, n))
                n += 1
                if status == 302 and "/orders/" in info:
                    done.append(time.perf_counter())
                else:
                    key = f"checkout {status}"
                    errors[key] = errors.get(key, 0) + 1
                if time.perf_counter() >= stop_at:
                    break
                status = await customers[i].add(item)
                if status != 302:
                    errors[f"cart add {status}"] = errors.get(f"cart add {status}", 0) + 1

        await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))), warmup + seconds + 90)
        window = [t for t in done if t0 + warmup <= t <= stop_at]
        return {"orders_per_s": len(window) / seconds, "orders_total": len(done), "errors": errors}
    finally:
        await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)


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


def _part(res: dict, key: str, fn) -> None:
    try:
        res[key] = fn()
    except Exception as exc:  # noqa: BLE001 - keep the other parts of the benchmark
        res[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}


def _pg_headroom() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        return cur.fetchone()[0]


def bench_orders(clients: int = 32, seconds: float = 10, warmup: float = 2) -> dict:
    from orders.models import Order
    from slots.models import DeliverySlot

    res: dict = {"clients": clients, "seconds": seconds}
    # Every in-flight request holds its own PostgreSQL connection (one thread per request under
    # ASGI): leave room for the other users of this server, scale down if needed.
    headroom = _pg_headroom()
    res["pg_headroom"] = headroom
    racers, race_capacity = 64, 50
    if headroom < racers + 10:
        racers = max(headroom - 10, 8)
        race_capacity = racers * 50 // 64
        res["race_scaled"] = True
    if headroom < clients + 10:
        clients = max(headroom - 10, 4)
        res["clients_scaled"] = True
    res["clients"], res["racers"], res["race_capacity"] = clients, racers, race_capacity
    item = any_item_id()
    hot = make_slot(capacity=10_000_000, offset=FAR)
    spread = [make_slot(capacity=1_000_000, offset=FAR + timedelta(days=1, hours=i)) for i in range(1000)]
    spread_ids = [s.pk for s in spread]
    race = make_slot(capacity=race_capacity, offset=FAR + timedelta(days=100))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-orders")
    try:
        _part(res, "hot", lambda: asyncio.run(_order_load(base, item, lambda i, n: hot.pk, clients, seconds, warmup)))
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
    finally:
        daphne.stop()
    res["race"].setdefault("ok_302", 0)
    res["race"]["db_orders"] = Order.objects.filter(slot_id=race.pk).count()
    res["race"]["db_reserved"] = DeliverySlot.objects.get(pk=race.pk).reserved
    r = res["race"]
    r["pass"] = r["db_orders"] == race_capacity and r["db_reserved"] == race_capacity and r["ok_302"] == race_capacity
    r["never_overbooked"] = r["db_orders"] <= race_capacity and r["db_reserved"] == r["db_orders"]
    hot.refresh_from_db()
    res["hot"]["db_reserved"] = hot.reserved
    res["hot"]["db_orders"] = Order.objects.filter(slot_id=hot.pk).count()
    try:
        res["pgbench"] = _pgbench_hot_row(clients, 10)
    except Exception as exc:  # noqa: BLE001 - too many connections: scale down
        res["pgbench_error"] = str(exc)[:300]
        res["pgbench"] = _pgbench_hot_row(16, 10)
    res["ratio_hot_vs_pgbench"] = ratio(res["hot"].get("orders_per_s"), res["pgbench"]["tps"])
    res["ratio_hot_vs_spread"] = ratio(res["hot"].get("orders_per_s"), res["spread"].get("orders_per_s"))
    return res


# --- 2. commit -> screen --------------------------------------------------------------------------


def _reserve_timed(slot_id: int) -> float:
    """Reserve a place through the service; returns perf_counter at the commit (before the push runs)."""
    from slots.services import slot_reserve

    mark = {}
    with transaction.atomic():
        transaction.on_commit(lambda: mark.setdefault("t", time.perf_counter()))  # registered first: runs first
        slot_reserve(slot_id=slot_id)
    return mark["t"]


def _fragment(version: int) -> bytes:
    return (
        f'<li id="slot-1" class="slot slot-open" data-version="{version}" hx-swap-oob="true">' + "x" * 600 + "</li>"
    ).encode()


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
                m = re.search(rb'data-version="(\d+)"', msg["data"])
                v = int(m.group(1))
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


async def _closed_loop(send, arrivals, n: int, rounds: int, first_version: int, wait: float = 3.0) -> dict:
    """One update at a time; wait until every receiver has it (or ``wait`` s). Latencies of all."""
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


async def _burst(send_many, per_receiver: list[set[int]], versions: range, settle: float = 20.0) -> dict:
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    await loop.run_in_executor(None, send_many, versions)
    send_s = time.perf_counter() - t0
    want = set(versions)
    n = len(per_receiver)
    deadline = time.perf_counter() + settle
    while time.perf_counter() < deadline:
        if all(want <= s for s in per_receiver):
            break
        await asyncio.sleep(0.1)
    drain_s = time.perf_counter() - t0
    received = sum(len(want & s) for s in per_receiver)
    expected = n * len(want)
    return {
        "updates": len(want),
        "receivers": n,
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "lost_pct": 100 * (expected - received) / expected if expected else float("nan"),
        "sockets_missing_some": sum(1 for s in per_receiver if not want <= s),
        "send_s": send_s,
        "until_all_or_timeout_s": drain_s,
    }


def bench_latency(levels=(100, 500, 2000), rounds=None, burst=None) -> dict:
    rounds = rounds or {100: 100, 500: 40, 2000: 20}
    burst = burst or {100: 1000, 500: 400, 2000: 100}
    slot = make_slot(capacity=10_000_000, offset=FAR + timedelta(days=200))
    port = free_port()
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-latency")
    pub = redis_client()
    res: dict = {"levels": {}}
    executor = ThreadPoolExecutor(max_workers=1)  # the "request thread" that commits and pushes

    def reserve(_v):
        return _reserve_timed(slot.pk)

    def reserve_many(versions):
        for _ in versions:
            _reserve_timed(slot.pk)

    def publish(v):
        payload = _fragment(v)
        t = time.perf_counter()
        pub.publish(RedisSubs.CHANNEL, payload)
        return t

    def publish_many(versions):
        for v in versions:
            pub.publish(RedisSubs.CHANNEL, _fragment(v))

    async def main():
        asyncio.get_running_loop().set_default_executor(executor)
        fleet, subs = Fleet(port, watch_slot=slot.pk), RedisSubs()
        version = await asyncio.get_running_loop().run_in_executor(
            None, lambda: type(slot).objects.get(pk=slot.pk).version
        )
        pub_version = 1
        try:
            for n in levels:
                lvl: dict = {}
                lvl["connect_s"] = await fleet.grow(n)
                lvl["connected"] = len(fleet.sockets)
                lvl["connect_errors"] = fleet.connect_errors
                await subs.grow(n)
                lvl["daphne_rss_mb"] = proc_rss_mb(daphne.pid)
                await asyncio.sleep(1)
                lvl["app"] = await _closed_loop(reserve, fleet.arrivals, len(fleet.sockets), rounds[n], version + 1)
                version += lvl["app"]["rounds"]
                lvl["redis"] = await _closed_loop(publish, subs.arrivals, len(subs.clients), rounds[n], pub_version)
                pub_version += lvl["redis"]["rounds"]
                vs = range(version + 1, version + 1 + burst[n])
                lvl["app_burst"] = await _burst(reserve_many, fleet.per_socket, vs)
                version += burst[n]
                vs = range(pub_version, pub_version + burst[n])
                lvl["redis_burst"] = await _burst(publish_many, subs.per_sub, vs)
                pub_version += burst[n]
                lvl["ratio_p50"] = ratio(lvl["app"]["p50_ms"], lvl["redis"]["p50_ms"])
                lvl["ratio_p99"] = ratio(lvl["app"]["p99_ms"], lvl["redis"]["p99_ms"])
                lvl["daphne_alive"] = daphne.alive()
                res["levels"][n] = lvl
                print(
                    f"  latency N={n}: {lvl['app']['p50_ms']:.1f}/{lvl['app']['p99_ms']:.1f} ms, "
                    f"lost {lvl['app_burst']['lost']}/{lvl['app_burst']['expected']}",
                    flush=True,
                )
        finally:
            await fleet.close()
            await subs.close()

    try:
        asyncio.run(main())
    finally:
        daphne.stop()
        executor.shutdown(wait=False)  # asyncio.run already shut it down (it was the default executor)
        pub.close()
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
    res: dict = {"count": count}
    port = free_port()
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-storm")
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
        nonlocal daphne
        end = time.perf_counter() + 3 * limit_s + 30
        browsers = [Browser(port, end) for _ in range(count)]
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(b.run()) for b in browsers]
        try:
            res["cold_99_s"] = await until(browsers, t0, 1)
            res["cold_all"] = sum(1 for b in browsers if b.synced_at)
            await asyncio.sleep(2)
            t_kill = time.perf_counter()
            os.kill(daphne.pid, signal.SIGTERM)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, daphne.stop)
            res["daphne_stop_s"] = time.perf_counter() - t_kill
            daphne, startup = await loop.run_in_executor(None, start_daphne, port, "daphne-storm")
            res["daphne_start_s"] = startup
            res["restart_99_s"] = await until(browsers, t_kill, 2)
            res["restart_all"] = sum(1 for b in browsers if len(b.synced_at) >= 2)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        daphne.stop()
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
            if "ready." in worker.log_path.read_text(errors="replace"):
                break
            if not worker.alive():
                raise RuntimeError("celery worker exited; see bench/.logs/celery-worker.log")
            time.sleep(0.2)
        else:
            raise TimeoutError("celery worker not ready in 60 s")
        res["worker_ready_s"] = time.perf_counter() - t0

        async def main():
            import redis.asyncio as aredis

            fleet = Fleet(port)
            await fleet.grow(1)
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
                ids = []
                for i, cutoff in enumerate(cutoffs):
                    start = timezone.now().replace(microsecond=0) + FAR + timedelta(days=300, minutes=i)
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
                if all(str(i) in fleet.closed_seen for i in ids) and len(base_seen) == count:
                    break
                await asyncio.sleep(0.05)
            app = [
                (fleet.closed_seen[str(sid)] - c.timestamp()) * 1000
                for sid, c in zip(ids, cutoffs)
                if str(sid) in fleet.closed_seen
            ]
            base = [(base_seen[i] - c.timestamp()) * 1000 for i, c in enumerate(cutoffs) if i in base_seen]
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


def _add_orders(total: int) -> int:
    """Bring the number of board orders up to ``total`` (bulk, ORM); returns how many exist."""
    from catalog.models import MenuItem
    from deliveries.models import Delivery
    from deliveries.services import trip_snapshot
    from orders.models import Order, OrderItem
    from slots.selectors import slots_upcoming

    S = Order.Status
    have = Order.objects.filter(name="Page Bench").count()
    need = total - have
    if need <= 0:
        return have
    slots = list(slots_upcoming())
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
        for i in range(need)
    ]
    with transaction.atomic():
        Order.objects.bulk_create(orders)
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
    return Order.objects.filter(name="Page Bench").count()


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
    port = free_port()
    flush_bench_redis()
    daphne, _ = start_daphne(port, "daphne-pages")
    try:
        for n in (10, 1000):
            got = _add_orders(n)
            times = asyncio.run(_page_times(f"http://127.0.0.1:{port}", reps))
            counts = _query_counts()
            base = times[BASELINE_PATH]["median_ms"]
            pages = {}
            for path in PAGES:
                pages[path] = {**times[path], **counts[path], "ratio_vs_static": ratio(times[path]["median_ms"], base)}
            res["levels"][n] = {"orders": got, "static_ms": base, "pages": pages}
    finally:
        daphne.stop()
    for path in PAGES:
        a, b = res["levels"][1000]["pages"][path], res["levels"][10]["pages"][path]
        a["ratio_time_1000_vs_10"] = ratio(a["median_ms"], b["median_ms"])
        a["ratio_queries_1000_vs_10"] = ratio(a["queries"], b["queries"])
    return res
