"""The whole shop the way `make run` starts it: supervisord with the repository's supervisord.conf (web,
worker, beat), with its own port and run directory. Used by the integration tests and by `make soak`."""

import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = str(ROOT / "supervisord.conf")


class SupervisedShop:
    def __init__(self, env: dict[str, str], run_dir: Path, port: int, web_processes: int = 1):
        self.env = {
            "LOCALSTRIPE_AUTOSTART": "false",
            "LOCALSTRIPE_PORT": "8420",
            **env,
            "WEB_PORT": str(port),
            "WEB_PROCESSES": str(web_processes),
            "RUN_DIR": str(run_dir),
        }
        self.run_dir, self.url = run_dir, f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / "console.log", "ab") as out:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv/bin/supervisord"), "-n", "-c", CONF],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ctl(self, *args: str) -> str:
        command = [str(ROOT / ".venv/bin/supervisorctl"), "-c", CONF, *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=30, check=False)
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        try:
            return int(self.ctl("pid", program))
        except ValueError:
            return 0

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-4000:] for path in sorted(self.run_dir.glob("*.log")))

    def stop(self) -> None:
        """What Ctrl-C does to `make run`: supervisord stops every program and exits."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
