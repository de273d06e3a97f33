"""Shared plumbing of the benchmark harness: environment, processes, /proc readings, statistics."""

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LOGS = BENCH / ".logs"
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")

DB_NAME = "chefshop_bench"
REDIS_DB = 2
BENCH_ENV = {
    "DATABASE_URL": f"postgres:///{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "DJANGO_SETTINGS_MODULE": "bench.settings",  # ChefShop's settings plus /bench/trivial/
    "DEBUG": "false",
    "ORDER_UNDO_SECONDS": "0",
    "SECRET_KEY": "bench-not-secret",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "PYTHONUNBUFFERED": "1",
}


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(BENCH_ENV)
    env.update(extra or {})
    return env


def apply_env() -> None:
    """Make this (harness) process use the isolated database and Redis db before Django loads."""
    os.environ.update(BENCH_ENV)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> float:
    """Seconds until the port accepts a TCP connection; raises on timeout."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"port {port} did not open within {timeout}s")


def run(args, timeout=300, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=timeout, check=check)


class Proc:
    """A process the harness started (own session, log file); stopped only by its own pid/group."""

    registry: list["Proc"] = []

    def __init__(self, name: str, args: list[str], env: dict | None = None):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        self.log = open(self.log_path, "ab")
        self.log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(args)}\n".encode())
        self.log.flush()
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=child_env(env), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.pid = self.popen.pid
        Proc.registry.append(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)  # the process group this harness created
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=5)
        # children of a group leader (celery's pool) that outlived it
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()
        if self in Proc.registry:
            Proc.registry.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for proc in list(cls.registry):
            try:
                proc.stop()
            except Exception as exc:  # noqa: BLE001
                print(f"could not stop {proc.name}: {exc}", file=sys.stderr)


def start_daphne(port: int, name: str = "daphne") -> tuple[Proc, float]:
    t0 = time.perf_counter()
    proc = Proc(name, [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "chefshop.asgi:application"])
    try:
        wait_port(port, 40)
    except TimeoutError:
        proc.stop()
        raise
    return proc, time.perf_counter() - t0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def proc_threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def pct(values, p: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    if b is None or a is None or b == 0 or b != b or a != a:
        return float("nan")
    return a / b


def redis_client():
    import redis

    return redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)


def flush_bench_redis() -> None:
    """Empty Redis db 2 only (the harness's own channel layer and broker)."""
    r = redis_client()
    assert r.connection_pool.connection_kwargs["db"] == REDIS_DB
    r.flushdb()
    r.close()


def machine_info() -> dict:
    info = {"nproc": os.cpu_count()}
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except Exception:  # noqa: BLE001
        pass
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    info["cpu"] = cpu
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            info["mem_gb"] = int(line.split()[1]) / 1024 / 1024
    info["kernel"] = os.uname().release
    return info
