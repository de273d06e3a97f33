"""localstripe for the tests: its own process (it is GPL software), on a free port, through the shop's
launcher ``scripts/run_localstripe.py`` (as supervisord runs it)."""

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.browser.conftest import free_port, wait_http

LAUNCHER = Path(__file__).resolve().parent.parent / "scripts" / "run_localstripe.py"


class LocalStripe:
    """One localstripe server; ``store`` keeps its data across restarts (None: memory only)."""

    def __init__(self, store: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = store
        self.process: subprocess.Popen | None = None

    def start(self) -> "LocalStripe":
        command = [sys.executable, str(LAUNCHER), "--port", str(self.port), "--quiet"]
        if self.store is not None:
            command += ["--store", str(self.store)]
        self.log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would stall the server
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_http(self.url + "/js.stripe.com/v3/")
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop the process; returns what it wrote to stderr."""
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.log.seek(0)
        errors = self.log.read()
        self.log.close()
        return errors
