"""The shop as `make run` runs it: a process that dies is brought back by supervisord and the rest
keep serving; Ctrl-C stops everything, with no process left behind."""

import json
import os
import signal
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings

from chefshop.celery import HEARTBEAT_KEY
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PROGRAMS = ("web:web-0", "worker", "beat")


def _health(url: str) -> dict:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=3) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)
    except OSError:
        return {}


def _processes_of(run_dir) -> list[int]:
    """Every process started for this run (they all carry its RUN_DIR in their environment)."""
    marker = f"RUN_DIR={run_dir}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if marker in environ.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_a_killed_worker_is_brought_back_and_ctrl_c_leaves_nothing(supervised_shop):
    shop = supervised_shop
    wait_for(lambda: _health(shop.url).get("status") == "ok", 60, interval=0.5, message=f"shop up\n{shop.log()}")
    pids = {program: shop.pid(program) for program in PROGRAMS}
    assert all(pids.values()), pids
    # when: the worker dies without a goodbye (and its last heartbeat is forgotten, so only a new
    # worker can make /healthz say "ok" again)
    os.kill(pids["worker"], signal.SIGKILL)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(HEARTBEAT_KEY)
    # then: supervisord starts a new one and /healthz reports it within 30 s; web and beat never stopped
    wait_for(
        lambda: shop.pid("worker") not in (0, pids["worker"]) and _health(shop.url).get("worker") == "ok",
        30,
        interval=0.5,
        message=f"worker back\n{shop.log()}",
    )
    assert shop.pid("web:web-0") == pids["web:web-0"] and shop.pid("beat") == pids["beat"]
    assert "exited: worker (terminated by SIGKILL; not expected)" in (shop.run_dir / "supervisord.log").read_text()
    # and Ctrl-C stops every process
    assert len(_processes_of(shop.run_dir)) >= 4  # supervisord, daphne, the worker and its pool, beat
    shop.stop()
    assert shop.process.returncode == 0
    wait_for(lambda: not _processes_of(shop.run_dir), 10, message="every process of the run gone")
