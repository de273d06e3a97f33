"""Render docs/benchmarks.md from the harness's results dict. Every number comes from the run."""

import json


def g(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k, d.get(str(k)) if not isinstance(k, str) else None)
    return d


def f(x, nd=1, unit=""):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        if x != x:
            return "n/a"
        return f"{x:,.{nd}f}{unit}"
    return f"{x}{unit}"


def r(x):
    """A ratio: ChefShop ÷ baseline."""
    if x is None or (isinstance(x, float) and x != x):
        return "n/a"
    return f"**{x:.3g}×**"


def render(res: dict) -> str:
    m, v, b = res.get("machine", {}), res.get("versions", {}), res.get("benchmarks", {})
    ru = res.get("rusage", {})
    out = []
    w = out.append
    w("# ChefShop benchmarks\n")
    w("Written by `make bench` (`.venv/bin/python bench/run.py`). Do not edit by hand: run it again.\n")
    w(
        "Every figure is a ratio of ChefShop to a baseline measured **in the same run on the same machine**;"
        " absolute numbers are given for context only. The load generator runs on the same 2 cores as the"
        " server, PostgreSQL and Redis, so absolute figures are pessimistic; the ratios compare like with like.\n"
    )
    w("## Run\n")
    w(f"- date (UTC): {res.get('started')}; wall time of the whole harness: {f(res.get('wall_s'), 0, ' s')}")
    w(
        f"- machine: {m.get('nproc')} CPUs (`nproc`), {f(m.get('mem_gb'), 1, ' GiB')} RAM, CPU `{m.get('cpu')}`, kernel {m.get('kernel')}; shared machine (another test suite may run at the same time)"
    )
    w(
        f"- Python {v.get('python')}, Django {v.get('django')}, Channels {v.get('channels')}, channels_redis {v.get('channels_redis')},"
        f" daphne {v.get('daphne')}, websockets {v.get('websockets')}, redis-py {v.get('redis-py')}"
    )
    w(
        f"- PostgreSQL {v.get('postgresql')} (max_connections {v.get('pg_max_connections')}), Redis {v.get('redis')}, {v.get('pgbench')}"
    )
    w(
        f"- harness CPU (getrusage): self {f(ru.get('self_user_s'), 1)} s user + {f(ru.get('self_sys_s'), 1)} s sys"
        f" (max RSS {f(ru.get('self_maxrss_mb'), 0)} MB); children it started and reaped (daphne, Celery, pgbench,"
        f" manage.py, minimal server) {f(ru.get('children_user_s'), 1)} s user + {f(ru.get('children_sys_s'), 1)} s sys"
    )
    w(
        "- isolation: database `chefshop_bench` (dropped and re-created each run), Redis db 2, `DEBUG=false`,"
        " `ORDER_UNDO_SECONDS=0`; one daphne process per benchmark.\n"
    )

    behind = []

    # 1
    o = b.get("orders", {})
    w("## 1. Hot-slot orders\n")
    if "error" in o:
        w(f"FAILED: {o['error']}\n")
    else:
        w(
            f"{o.get('clients')} HTTP clients against one daphne, each its own session; a client adds one dish"
            f" (`POST /cart/add/`) then checks out (`POST /checkout/`), again and again, for {f(o.get('seconds'), 0)} s after a"
            " 2 s warm-up. Baseline: `pgbench -n -c 32 -j 2 -T 10` running only the conditional `UPDATE` on one row.\n"
        )
        if o.get("clients_scaled") or o.get("race_scaled"):
            w(f"Scaled down: PostgreSQL headroom was {o.get('pg_headroom')} connections.\n")
        w("| figure | value | baseline | ratio |\n|---|---|---|---|")
        w(
            f"| hot slot: completed checkouts/s | {f(g(o, 'hot', 'orders_per_s'))} | pgbench {f(g(o, 'pgbench', 'tps'), 0)} UPDATE/s"
            f" ({g(o, 'pgbench', 'clients')} clients) | {r(o.get('ratio_hot_vs_pgbench'))} |"
        )
        w(
            f"| hot slot vs the same load over 1,000 slots | {f(g(o, 'hot', 'orders_per_s'))}/s | {f(g(o, 'spread', 'orders_per_s'))}/s"
            f" | {r(o.get('ratio_hot_vs_spread'))} |"
        )
        w("")
        w(
            f"Errors during the hot run: `{json.dumps(g(o, 'hot', 'errors'))}`; over 1,000 slots: `{json.dumps(g(o, 'spread', 'errors'))}`."
            f" Hot slot in the database afterwards: reserved {g(o, 'hot', 'db_reserved')}, orders {g(o, 'hot', 'db_orders')}.\n"
        )
        race = o.get("race", {})
        w(
            f"**Correctness:** {o.get('racers')} clients race for one slot of capacity {o.get('race_capacity')}: "
            f'{race.get("ok_302")} got 302 (order), {race.get("full_422")} got 422 "just filled up", {race.get("other")} got something else;'
            f" database: {race.get('db_orders')} orders, reserved = {race.get('db_reserved')}. "
            f"{'PASS (exactly the capacity)' if race.get('pass') else 'FAIL: not exactly the capacity'}"
            f"{'; never overbooked' if race.get('never_overbooked') else ''}. {race.get('error', '')}\n"
        )
        if not race.get("pass"):
            behind.append(
                f"Race for the last places: {race.get('ok_302')} orders for {o.get('race_capacity')} places, "
                f"{race.get('other')} requests failed otherwise (not overbooked: {race.get('never_overbooked')})."
            )
        x = o.get("ratio_hot_vs_pgbench")
        if x is not None and x == x:
            behind.append(
                f"Checkout throughput on one hot slot is {x:.3g}× of what PostgreSQL does with the bare UPDATE"
                f" ({f(g(o, 'hot', 'orders_per_s'))} vs {f(g(o, 'pgbench', 'tps'), 0)} per second)."
            )

    # 2
    lat = b.get("latency", {})
    w("## 2. Commit → screen latency\n")
    if "error" in lat:
        w(f"FAILED: {lat['error']}\n")
    else:
        w(
            "N sockets on `/ws/slots/`. The harness calls `slots.services.slot_reserve` in a thread; the clock starts in an"
            " `on_commit` hook registered before the service's own push (so: at commit) and stops when a socket receives the"
            " fragment with the new `data-version`. One update at a time, the next after every socket has it (or 3 s)."
            " Baseline: N raw Redis pub/sub subscribers in the same client process, `PUBLISH` of a fragment of the same size."
            " Loss: a burst of updates sent back to back, then up to 20 s to drain; counted per socket by `data-version`.\n"
        )
        w(
            "| N sockets | ChefShop p50 / p99 (ms) | Redis PUBLISH p50 / p99 (ms) | ratio p50 | ratio p99 | samples |\n|---|---|---|---|---|---|"
        )
        for n, lv in (lat.get("levels") or {}).items():
            w(
                f"| {n} ({g(lv, 'connected')} connected) | {f(g(lv, 'app', 'p50_ms'))} / {f(g(lv, 'app', 'p99_ms'))} |"
                f" {f(g(lv, 'redis', 'p50_ms'), 2)} / {f(g(lv, 'redis', 'p99_ms'), 2)} | {r(lv.get('ratio_p50'))} | {r(lv.get('ratio_p99'))} |"
                f" {g(lv, 'app', 'samples')} ({g(lv, 'app', 'missing')} not received within 3 s) |"
            )
        w("")
        w(
            "| N sockets | burst | ChefShop lost | sockets missing some | Redis lost | ChefShop send time / drain |\n|---|---|---|---|---|---|"
        )
        for n, lv in (lat.get("levels") or {}).items():
            a, z = lv.get("app_burst", {}), lv.get("redis_burst", {})
            w(
                f"| {n} | {a.get('updates')} updates × {a.get('receivers')} sockets | {a.get('lost')} of {a.get('expected')}"
                f" ({f(a.get('lost_pct'), 2)} %) | {a.get('sockets_missing_some')} | {z.get('lost')} of {z.get('expected')} |"
                f" {f(a.get('send_s'))} s / {f(a.get('until_all_or_timeout_s'))} s |"
            )
            if a.get("lost"):
                behind.append(
                    f"Live updates lost: {a.get('lost')} of {a.get('expected')} fragments ({f(a.get('lost_pct'), 1)} %) with {n} sockets"
                    f" (Redis pub/sub baseline lost {z.get('lost')})."
                )
        w("")
        w("Burst sizes shrink with N (1,000 / 400 / 100 updates) to keep the run to tens of seconds per level.\n")
        for n, lv in (lat.get("levels") or {}).items():
            x = lv.get("ratio_p99")
            if x is not None and x == x:
                behind.append(
                    f"Commit → screen p99 with {n} sockets: {f(g(lv, 'app', 'p99_ms'))} ms, {x:.3g}× raw Redis pub/sub."
                )

    # 3
    idle = b.get("idle", {})
    w("## 3. Idle cost\n")
    if "error" in idle:
        w(f"FAILED: {idle['error']}\n")
    else:
        d, mn = idle.get("daphne", {}), idle.get("minimal", {})
        w(
            f"One server process holding {idle.get('count')} idle `/ws/slots/` sockets; CPU from `/proc/<pid>/stat` over"
            f" {f(idle.get('idle_s'), 0)} s of idleness, RSS from `/proc/<pid>/status`. Baseline: `bench/minimal_ws_server.py`"
            " (websockets, greets and holds).\n"
        )
        w("| figure | daphne (ChefShop) | minimal websockets | ratio |\n|---|---|---|---|")
        w(f"| sockets held | {d.get('connected')} | {mn.get('connected')} | |")
        w(f"| RSS with sockets (MB) | {f(d.get('rss_mb'))} | {f(mn.get('rss_mb'))} | {r(idle.get('ratio_rss'))} |")
        w(
            f"| RSS per socket (KB) | {f(d.get('rss_per_socket_kb'))} | {f(mn.get('rss_per_socket_kb'))} | {r(idle.get('ratio_rss_per_socket'))} |"
        )
        w(
            f"| idle CPU (% of one core) | {f(d.get('idle_cpu_pct'), 2)} | {f(mn.get('idle_cpu_pct'), 2)} | {r(idle.get('ratio_idle_cpu'))} |"
        )
        if not mn.get("idle_cpu_pct"):
            w("| (idle CPU ratio) | | | n/a: the baseline used no measurable CPU (0 clock ticks) |")
        w(f"| threads | {d.get('threads')} | {mn.get('threads')} | |")
        w(
            f"| time to open all (50 at a time) | {f(d.get('connect_s'))} s | {f(mn.get('connect_s'))} s | {r((d.get('connect_s') or 0) / (mn.get('connect_s') or float('nan')))} |"
        )
        w("")
        x = idle.get("ratio_rss")
        if x is not None and x == x:
            behind.append(
                f"Idle sockets: daphne uses {x:.3g}× the memory of a minimal websockets server for {idle.get('count')} sockets"
                f" and {f(d.get('idle_cpu_pct'), 2)} % vs {f(mn.get('idle_cpu_pct'), 2)} % CPU while idle."
            )

    # 4
    st = b.get("storm", {})
    w("## 4. Reconnect storm\n")
    if "error" in st:
        w(f"FAILED: {st['error']}\n")
    else:
        w(
            f"{st.get('count')} simulated pages, each reconnecting like htmx-ext-ws (full-jitter backoff, random × 2^retries s)."
            " Cold: all open at once against a running daphne; time until 99 % hold a socket and have received the current"
            " state. Restart: SIGTERM to daphne, start it again on the same port; time from SIGTERM until 99 % are back"
            " with their state.\n"
        )
        w("| figure | value |\n|---|---|")
        w(f"| cold connect, 99 % synced | {f(st.get('cold_99_s'), 2)} s ({st.get('cold_all')} synced) |")
        w(f"| restart, 99 % re-synced | {f(st.get('restart_99_s'), 2)} s ({st.get('restart_all')} re-synced) |")
        w(f"| of which daphne stop / start | {f(st.get('daphne_stop_s'), 2)} s / {f(st.get('daphne_start_s'), 2)} s |")
        w(f"| ratio restart ÷ cold | {r(st.get('ratio_restart_vs_cold'))} |")
        w("")
        x = st.get("ratio_restart_vs_cold")
        if x is not None and x == x and x > 1:
            behind.append(
                f"After a restart pages need {x:.3g}× the cold-connect time to re-sync ({f(st.get('restart_99_s'), 1)} s)."
            )

    # 5
    cl = b.get("close", {})
    w("## 5. Slot close precision\n")
    if "error" in cl:
        w(f"FAILED: {cl['error']}\n")
    else:
        w(
            f"{cl.get('count')} slots made with `slots.services.slot_create`, cutoffs 3–10 s ahead; a Celery worker"
            " (`--concurrency 1`) closes them with its ETA task; lag from cutoff to the `slot-closed` frame on an open"
            " `/ws/slots/` socket. Baseline, at the same time: asyncio timers in the harness at the same cutoffs →"
            f" Redis `PUBLISH` → a subscriber in the harness. Worker ready after {f(cl.get('worker_ready_s'))} s.\n"
        )
        a, z = cl.get("app", {}), cl.get("baseline", {})
        w("| figure | ChefShop | baseline | ratio |\n|---|---|---|---|")
        w(f"| p50 lag (ms) | {f(a.get('p50_ms'))} | {f(z.get('p50_ms'), 2)} | {r(cl.get('ratio_p50'))} |")
        w(f"| p99 lag (ms) | {f(a.get('p99_ms'))} | {f(z.get('p99_ms'), 2)} | {r(cl.get('ratio_p99'))} |")
        w(
            f"| seen | {a.get('seen')} of {cl.get('count')} (min {f(a.get('min_ms'))} ms, max {f(a.get('max_ms'))} ms) | {z.get('seen')} | |"
        )
        w("")
        if a.get("seen") != cl.get("count"):
            behind.append(
                f"Slot closing: only {a.get('seen')} of {cl.get('count')} closes reached the socket within 30 s of the last cutoff."
            )
        x = cl.get("ratio_p99")
        if x is not None and x == x:
            behind.append(f"Slot close lag p99 {f(a.get('p99_ms'))} ms ({x:.3g}× a plain timer + Redis publish).")

    # 6
    pg = b.get("pages", {})
    w("## 6. Page cost\n")
    if "error" in pg:
        w(f"FAILED: {pg['error']}\n")
    else:
        w(
            f"Median of {pg.get('reps')} sequential GETs over HTTP against daphne (after 2 warm-ups), client-side round trip on"
            " loopback. Query count: Django's test client in the harness with `CaptureQueriesContext`. Orders bulk-created"
            " with the ORM (confirmed / prepping / prepped with a pending delivery). Baseline for time: the same daphne serving"
            " `/static/css/chefshop.css` (whitenoise, middleware, no database); baseline for growth: the same page with 10 orders."
            f"{' The owner account was created by the harness (seed_demo makes demo accounts only with DEBUG on).' if pg.get('owner_created') else ''}\n"
        )
        w(
            "| page | orders | median ms | ratio vs static | queries | KB | 1,000 ÷ 10 time | 1,000 ÷ 10 queries |\n|---|---|---|---|---|---|---|---|"
        )
        for n, lv in (pg.get("levels") or {}).items():
            for path, p in (lv.get("pages") or {}).items():
                w(
                    f"| `{path}` | {lv.get('orders')} | {f(p.get('median_ms'))} | {r(p.get('ratio_vs_static'))} | {p.get('queries')} |"
                    f" {f((p.get('bytes') or 0) / 1024)} | {r(p.get('ratio_time_1000_vs_10')) if 'ratio_time_1000_vs_10' in p else ''} |"
                    f" {r(p.get('ratio_queries_1000_vs_10')) if 'ratio_queries_1000_vs_10' in p else ''} |"
                )
            w(f"| static baseline | {lv.get('orders')} | {f(lv.get('static_ms'), 2)} | 1× | 0 | | | |")
        w("")
        for path, p in (g(pg, "levels", 1000, "pages") or {}).items():
            x = p.get("ratio_time_1000_vs_10")
            if x is not None and x == x and x > 2:
                behind.append(
                    f"`{path}` takes {x:.3g}× longer with 1,000 orders than with 10 ({f(p.get('median_ms'))} ms, {p.get('queries')} queries)."
                )
            q = p.get("ratio_queries_1000_vs_10")
            if q is not None and q == q and q > 1.5:
                behind.append(f"`{path}` runs {q:.3g}× more queries with 1,000 orders than with 10 (N+1).")

    w("## Where ChefShop is behind its baseline\n")
    for line in behind or ["Nothing measured here was behind its baseline."]:
        w(f"- {line}")
    w("")
    w("## Durations\n")
    w(" · ".join(f"{k}: {f(x.get('duration_s'), 0)} s" for k, x in b.items()) + "\n")
    errs = {k: x["error"] for k, x in b.items() if "error" in x}
    if errs:
        w("## Benchmarks that failed in this run\n")
        for k, e in errs.items():
            w(f"- {k}: `{e}`")
        w("")
    w("Raw results of this run: `bench/.logs/results.json` (not committed); server logs in `bench/.logs/`.\n")
    return "\n".join(out)
