"""ChefShop benchmark harness (`make bench`): measures, compares with same-run baselines, writes
docs/benchmarks.md. Uses its own database (chefshop_bench) and Redis db 2 only.

Usage: .venv/bin/python bench/run.py [--only orders,latency,processes,idle,storm,close,pages]
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DB_NAME,
    LOGS,
    PY,
    ROOT,
    VENV_BIN,
    Proc,
    apply_env,
    flush_bench_redis,
    machine_info,
    run,
)

apply_env()

ALL = ["orders", "latency", "processes", "idle", "storm", "close", "pages"]


def prepare_database() -> None:
    """A fresh chefshop_bench every run: drop (ours only), create, migrate, seed."""
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    run([PY, "scripts/createdb.py"])
    run([PY, "manage.py", "migrate", "--noinput"], timeout=300)
    run([PY, "manage.py", "seed_demo"], timeout=120)


def versions() -> dict:
    import channels
    import channels_redis
    import daphne
    import django
    import redis
    import supervisor.options
    import websockets

    out = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "channels": channels.__version__,
        "channels_redis": getattr(channels_redis, "__version__", "?"),
        "daphne": daphne.__version__,
        "websockets": websockets.version.version,
        "redis-py": redis.__version__,
        "supervisor": supervisor.options.VERSION,
    }
    spy = subprocess.run([str(VENV_BIN / "py-spy"), "--version"], capture_output=True, text=True)
    out["py-spy"] = spy.stdout.strip() or "py-spy not installed"
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        out["postgresql"] = cur.fetchone()[0]
        cur.execute("SHOW max_connections")
        out["pg_max_connections"] = cur.fetchone()[0]
    info = subprocess.run(["redis-cli", "-h", "127.0.0.1", "info", "server"], capture_output=True, text=True).stdout
    out["redis"] = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("redis_version")), "?"
    )
    pgb = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    out["pgbench"] = pgb
    return out


def redis_run_id() -> str | None:
    """Changes whenever the Redis server restarts (another test suite on this machine may restart it)."""
    try:
        from bench.common import redis_client

        r = redis_client()
        try:
            return r.info("server").get("run_id")
        finally:
            r.close()
    except Exception:  # noqa: BLE001 - Redis down right now
        return None


def busy_neighbours() -> list[str]:
    """Other heavy jobs on this machine right now (their CPU use and Redis restarts disturb the figures)."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines()[1:]
    mine = str(os.getpid())
    return [
        line.strip()[:120]
        for line in out
        if any(word in line for word in ("pytest", "soak/run.py")) and not line.strip().startswith(mine)
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(ALL))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    chosen = [b for b in args.only.split(",") if b]
    unknown = [b for b in chosen if b not in ALL]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 20000), hard), hard))

    started = datetime.now(UTC)
    wall0 = time.perf_counter()
    results: dict = {"started": started.isoformat(timespec="seconds"), "machine": machine_info(), "benchmarks": {}}
    print(f"[bench] preparing database {DB_NAME}", flush=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    try:
        flush_bench_redis()
        prepare_database()
        import django

        django.setup()
        from bench import benchmarks as B

        results["versions"] = versions()
        funcs = {
            "orders": B.bench_orders,
            "latency": B.bench_latency,
            "processes": B.bench_processes,
            "idle": B.bench_idle,
            "storm": B.bench_storm,
            "close": B.bench_close,
            "pages": B.bench_pages,
        }
        for name in chosen:
            print(f"[bench] {name} ...", flush=True)
            neighbours = busy_neighbours()
            run_id = redis_run_id()
            t0 = time.perf_counter()
            try:
                out = funcs[name]()
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not lose the others
                traceback.print_exc()
                out = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            finally:
                Proc.stop_all()
            out["duration_s"] = time.perf_counter() - t0
            after = redis_run_id()
            if run_id is None or after != run_id:
                out["disturbed"] = "Redis was restarted (or unreachable) while this benchmark ran"
                print(f"[bench] {name}: {out['disturbed']}", flush=True)
            neighbours = sorted(set(neighbours) | set(busy_neighbours()))
            if neighbours:
                out["neighbours"] = neighbours[:5]
            results["benchmarks"][name] = out
            print(f"[bench] {name} done in {out['duration_s']:.1f}s", flush=True)
    finally:
        Proc.stop_all()
        try:
            flush_bench_redis()
        except Exception:  # noqa: BLE001
            pass
    results["wall_s"] = time.perf_counter() - wall0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    results["rusage"] = {
        "self_user_s": me.ru_utime,
        "self_sys_s": me.ru_stime,
        "self_maxrss_mb": me.ru_maxrss / 1024,
        "children_user_s": kids.ru_utime,
        "children_sys_s": kids.ru_stime,
        "children_maxrss_mb": kids.ru_maxrss / 1024,
    }
    (LOGS / "results.json").write_text(json.dumps(results, indent=2, default=str))
    from bench.report import render

    Path(args.out).write_text(render(results))
    print(f"[bench] wrote {args.out} in {results['wall_s']:.0f}s", flush=True)
    return 0 if all("error" not in b for b in results["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
