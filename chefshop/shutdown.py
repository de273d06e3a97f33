"""A web process that is told to stop does stop.

Daphne stops its event loop on SIGTERM. A request still running in a worker thread at that moment may
be waiting for that loop (Django hands a sync middleware's call back to the loop through async_to_sync),
and Python's exit joins every worker thread first: the process would wait for ever, and supervisord (or
systemd) would have to SIGKILL it after its stop timeout. So, once Python starts shutting the process
down, a watchdog gives the threads WEB_EXIT_GRACE_SECONDS to finish, then ends the process.
"""

import logging
import os
import threading

logger = logging.getLogger(__name__)


def _end_after(seconds: float) -> None:
    def watchdog() -> None:
        threading.Event().wait(seconds)
        logger.warning("web process: requests still waiting on the stopped event loop after %ss; exiting", seconds)
        os._exit(0)

    threading.Thread(target=watchdog, name="chefshop-exit-watchdog", daemon=True).start()


def install(grace_seconds: float) -> None:
    """Arm the watchdog for when the process exits. CPython calls these hooks before it joins the
    worker threads (the same hook concurrent.futures uses to join its own)."""
    threading._register_atexit(_end_after, grace_seconds)  # type: ignore[attr-defined]
