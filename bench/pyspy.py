"""Sample one ChefShop web process with py-spy while it works, and sum the stacks by function and by area."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/pyspy.py FILE
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import LOGS, ROOT, VENV_BIN

SITE = "site-packages/"

# Where a frame's file says the time went (first match wins).
AREAS = [
    ("psycopg", "PostgreSQL driver (psycopg, pool)"),
    ("django/db/", "Django ORM (queries, models)"),
    ("django/template", "templates"),
    ("django/contrib/sessions", "sessions"),
    ("django/middleware", "middleware"),
    ("django/", "Django (other)"),
    ("channels_redis", "channel layer (channels_redis)"),
    ("redis/", "redis-py"),
    ("channels/", "Channels"),
    ("asgiref/", "asgiref (sync ↔ async threads)"),
    ("daphne/", "daphne (HTTP/websocket server)"),
    ("twisted/", "Twisted reactor"),
    ("autobahn/", "autobahn (websocket protocol)"),
    ("whitenoise/", "whitenoise"),
    ("asyncio/", "asyncio event loop"),
    ("concurrent/futures", "thread pool"),
    ("threading.py", "threads"),
    ("selectors.py", "waiting in the selector"),
    ("json/", "json"),
]


def _short(frame: str) -> str:
    """`func (path:line)` → `func (short/path)`; py-spy's --function makes `line` the function's first line."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    if SITE in path:
        path = path.split(SITE, 1)[1]
    elif path.startswith(str(ROOT)):
        path = path[len(str(ROOT)) + 1 :]
    elif "/lib/python" in path:
        path = path.split("/lib/python", 1)[1].split("/", 1)[-1]
    return f"{name} ({path})"


def _area(frame: str) -> str:
    path = frame.partition(" (")[2]
    for needle, label in AREAS:
        if needle in path:
            return label
    if path.startswith(tuple(f"{d}/" for d in ("chefshop", "slots", "orders", "catalog", "deliveries", "bench"))):
        return "ChefShop code"
    return "other"


# Innermost frames that mean "this thread is blocked", not running Python.
WAIT_LEAVES = {
    "Condition.wait",
    "Connection.wait",
    "EpollSelector.select",
    "_worker",
    "Thread._wait_for_tstate_lock",
    "Queue.get",
    "Event.wait",
    "SocketBuffer._read_from_socket",
    "untilConcludes",
    "Lock.acquire",
}
APPS = ("chefshop/", "slots/", "orders/", "catalog/", "deliveries/")


def _wait_kind(names: list[str]) -> str:
    """What a blocked thread waits for, from its stack (innermost last)."""
    stack = " ".join(names)
    leaf = names[-1]
    if "ConnectionPool.getconn" in stack:
        return "waiting for a pooled PostgreSQL connection (psycopg pool)"
    if leaf == "Connection.wait":
        return "waiting on PostgreSQL (a query's answer or a row lock)"
    if "ConnectionPool.worker" in stack:
        return "psycopg pool's own worker thread, idle"
    if "CurrentThreadExecutor.run_until_future" in stack:
        hops = [i for i, name in enumerate(names) if name == "AsyncToSync.__call__"]
        caller = names[hops[-1] - 1] if hops and hops[-1] > 0 else "?"
        return f"sync thread in {caller} waiting for what it handed to the event loop (async_to_sync)"
    if leaf == "SocketBuffer._read_from_socket":
        return "waiting on Redis"
    if leaf in ("_worker", "Queue.get"):
        return "idle thread-pool worker"
    if leaf == "EpollSelector.select":
        return "event loop waiting for I/O"
    return "other waits"


def summarize(raw_text: str, top: int = 15) -> dict:
    own: Counter = Counter()
    total: Counter = Counter()
    areas: Counter = Counter()
    waits: Counter = Counter()
    app: dict[str, Counter] = {}
    samples = running = 0
    for line in raw_text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        samples += n
        names = [fr.partition(" (")[0] for fr in frames]
        waiting = names[-1] in WAIT_LEAVES
        kind = _wait_kind(names) if waiting else "running Python"
        waits[kind] += n
        mine = [fr for fr in frames if fr.partition(" (")[2].startswith(APPS)]
        if mine:
            app.setdefault(mine[-1], Counter())[kind] += n
        for fr in set(frames):
            total[fr] += n
        if not waiting:
            running += n
            own[frames[-1]] += n
            areas[_area(frames[-1])] += n

    def rows(counter, of):
        return [{"function": k, "samples": v, "pct": 100 * v / of} for k, v in counter.most_common(top)]

    by_app = sorted(app.items(), key=lambda kv: -sum(kv[1].values()))[:top]
    return {
        "samples": samples,
        "running": running,
        "threads": [{"what": k, "samples": v, "pct": 100 * v / samples} for k, v in waits.most_common()],
        "own": rows(own, max(running, 1)),
        "total": rows(total, samples),
        "areas": [{"area": k, "samples": v, "pct": 100 * v / max(running, 1)} for k, v in areas.most_common()],
        "chefshop": [
            {"function": k, "samples": sum(c.values()), "pct": 100 * sum(c.values()) / samples, "by": dict(c)}
            for k, c in by_app
        ],
    }


def record(pid: int, seconds: int, name: str, rate: int = 100) -> subprocess.Popen:
    """Start py-spy on ``pid`` (returns at once); pass the result to :func:`collect`."""
    out = LOGS / f"{name}.pyspy.txt"
    if out.exists():
        out.unlink()
    args = [
        str(VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--function",
        "--output",
        str(out),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.out_path = out  # type: ignore[attr-defined]
    return proc


def collect(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        log, _ = proc.communicate(timeout=5)
        return {"error": "py-spy did not finish in time", "log": " ".join((log or "").split())[:400]}
    out: Path = proc.out_path  # type: ignore[attr-defined]
    if proc.returncode != 0 or not out.exists():
        hint = ""
        if "ermission" in (log or "") or "ptrace" in (log or "").lower():
            hint = " (ptrace not permitted on this machine)"
        return {"error": f"py-spy exited {proc.returncode}{hint}", "log": " ".join((log or "").split())[:400]}
    result = summarize(out.read_text(errors="replace"))
    result["raw_file"] = str(out.relative_to(ROOT))
    return result


if __name__ == "__main__":  # summarize a saved raw profile: python bench/pyspy.py FILE
    import json

    print(json.dumps(summarize(Path(sys.argv[1]).read_text()), indent=2))
