"""Real Celery worker and beat processes against the test database and the real Redis."""

import configparser
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chefshop.celery import app as celery_app
from tests.browser.conftest import ROOT, Daphne, free_port, server_env
from tests.supervised import SupervisedShop


def wait_for(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not met within {timeout}s")


def supervised_command(program: str) -> list[str]:
    """The command line ``supervisord.conf`` runs for ``program``, so a test starts it the way `make run` does."""
    config = configparser.RawConfigParser()
    config.read(ROOT / "supervisord.conf")
    command = config.get(f"program:{program}", "command").replace("%(here)s", str(ROOT))
    return shlex.split(command)


class CeleryProcess:
    def __init__(self, kind: str, env: dict[str, str], log: Path):
        self.kind, self.env, self.log = kind, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.kind in ("worker-as-run", "beat-as-run"):
            command = supervised_command(self.kind.removesuffix("-as-run"))
        else:
            command = [sys.executable, "-m", "celery", "-A", "chefshop", *self._args()]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.kind.startswith("worker"):
            wait_for(lambda: b"ready." in self.log.read_bytes(), 30, message="worker ready")

    def _args(self) -> list[str]:
        return {
            "worker": [
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": ["beat", "--loglevel", "INFO", "--schedule", str(self.log.with_suffix(".schedule"))],
        }[self.kind]

    def kill(self) -> None:
        """SIGKILL the whole process group: no goodbye, no acknowledgement."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


def mails(mail_dir: Path, subject: str) -> int:
    """How many messages with this subject the file backend has written."""
    return sum(f.read_text(errors="replace").count(f"Subject: {subject}") for f in mail_dir.glob("*.log"))


@pytest.fixture
def job_env(mail_dir, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    env = server_env()
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        CELERY_VISIBILITY_TIMEOUT="6",
        NOTIFICATION_SWEEP_AFTER="1",
        ORDER_UNDO_SECONDS=str(settings.ORDER_UNDO_SECONDS),
    )
    return env


@pytest.fixture
def processes(job_env, tmp_path):
    """Start worker / beat / daphne on demand; everything is stopped after the test."""
    celery_app.control.purge()  # tasks queued by earlier tests name rows that no longer exist
    started: list = []

    def start(kind: str, **env_overrides):
        env = {**job_env, **env_overrides}
        if kind == "daphne":
            process = Daphne(env)
        else:
            process = CeleryProcess(kind, env, tmp_path / f"{kind}-{len(started)}.log")
        process.start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture
def supervised_shop(job_env, tmp_path):
    celery_app.control.purge()
    shop = SupervisedShop(job_env, tmp_path, free_port())
    shop.start()
    yield shop
    shop.stop()
