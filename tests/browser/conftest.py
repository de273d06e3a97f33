"""A real daphne serving the test database, and headless Chromium driven by Playwright."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# plain synchronous calls made between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


class Daphne:
    """One daphne process on a free loopback port, using the test database."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"chefshop-daphne-{self.port}.log"

    def start(self) -> None:
        with open(self.log, "ab") as log:  # a file, not a pipe: nobody reads a pipe and it would fill up
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "chefshop.asgi:application"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_http(f"{self.url}/accounts/login/")
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    @classmethod
    def running(cls):
        """A started server for a fixture to yield; stopped when the fixture ends."""
        server = cls(server_env())
        server.start()
        try:
            yield server
        finally:
            server.stop()


def server_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db.get('USER') or ''}@{db.get('HOST') or ''}:{db.get('PORT') or 5432}/{db['NAME']}"
        if db.get("HOST")
        else f"postgres:///{db['NAME']}",
        DJANGO_SETTINGS_MODULE="chefshop.settings_test",
        DB_POOL_IN_TESTS="true",
        DEBUG="false",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
]


def _postgres(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def postgres_stopped():
    """PostgreSQL is down inside the block (every connection dropped) and up again after it; this
    process's own connections are closed so they reconnect."""
    from django.db import connections

    _postgres("stop")
    try:
        yield
    finally:
        _postgres("start")
        for connection in connections.all():
            connection.close()


def restart_redis(down_for: float = 0) -> None:
    """Shut the local Redis down (dropping every connection), keep it down ``down_for`` seconds, and
    start it again."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it goes down
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            time.sleep(0.1)
        except redis.ConnectionError:
            break
    time.sleep(down_for)
    subprocess.run(REDIS_START, check=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("Redis did not come back")


def add_to_cart(page, base_url: str, dish: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("button", name=f"Add {dish} to cart").click()
    page.locator(".add-status .ok").first.wait_for()


def fill_checkout(page, name: str = "Ada Lovelace") -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone").fill("+44 7700 900123")
    page.get_by_label("Address").fill("1 High Street")


def off_loop(fn, *args, **kwargs):
    """Run a domain change outside Playwright's event loop (its on-commit pushes need a thread
    without a running loop), the way a request or a worker would, and return its result."""
    import threading

    from django.db import connection

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def order_in_browser(page, base_url: str, slot, dish: str = "Risotto") -> str:
    """A customer adds a dish, checks out into ``slot`` and lands on the order page; returns its id."""
    add_to_cart(page, base_url, dish)
    page.goto(base_url + "/checkout/")
    fill_checkout(page)
    page.locator(f"#slot-input-{slot.pk}").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r".*/orders/[0-9a-f-]{36}/$"))
    return page.url.rstrip("/").rsplit("/", 1)[1]
