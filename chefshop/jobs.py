"""The one rule for Celery jobs, both halves (DESIGN §5).

The Redis broker hands any message not acknowledged within its visibility timeout (300 s) to a worker
again. So:

1. **No countdown or ETA longer than the timeout.** A job queued further ahead would run two or three
   times. A far deadline (a payment hold of 10 minutes, a slot's cutoff tomorrow) is kept by a sweep, or
   by a short timer that checks the deadline and queues itself again: ``countdown()`` caps every delay.
2. **No job running longer than the timeout.** Long work is a chain of short jobs, each well inside it:
   a sweep handles at most a few hundred rows a run, and every provider call has its own connect and read
   timeouts. (No Celery time limit enforces it: a task stopped by one during a broker outage acked on a
   dead channel and took the worker down with it, in the fault run.)

The tests check the first half on every job they publish (``tests/conftest.py``: ``published_jobs``).
"""

from django.conf import settings

SHARE = 0.8  # of the visibility timeout: the longest delay, with room for a busy worker to pick the job up


def longest_delay() -> float:
    """The longest countdown any job may be queued with."""
    return float(settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]) * SHARE


def countdown(seconds: float) -> float:
    """``seconds``, or the longest delay allowed if that is shorter: the job then checks its deadline and
    queues itself again for the rest."""
    return max(0.0, min(float(seconds), longest_delay()))
