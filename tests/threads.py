"""Run callables at the same moment, each in its own thread with its own database connection."""

import threading
from collections.abc import Callable
from typing import Any


def at_once(calls: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Start every call behind one barrier; return each call's result, or the exception it raised."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            try:
                outcome = call()
            except Exception as exc:  # noqa: BLE001 - the caller decides what each outcome means
                outcome = exc
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
