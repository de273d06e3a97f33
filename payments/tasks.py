"""Celery entry points of the payments app, and the receivers that queue them after commit.

Each task takes ids, calls a service and is safe to run twice. If the broker is down when one is
queued it is lost quietly: the sweep (every 15 s) and the orders app's own undo-window sweep cover it.
No task here is queued with a countdown: far deadlines (a payment hold) are kept by the orders app's
short re-checking timer and by the sweep, as ``chefshop/jobs.py`` requires.
"""

from typing import Any

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_status_changed, undo_window_ended
from payments import services
from payments.models import PaymentAttempt
from payments.signals import attempt_checked, attempt_started, event_stored, intent_release_wanted, release_wanted

# Order steps after which an order will not be paid for: its live attempts are cancelled or refunded.
ENDS_PAYMENT = {"undo", "cancel", "shop_cancel", "abandon", "expire", "payment_void"}


@shared_task(acks_late=True)
def attempt_send_job(attempt_id: int) -> str:
    return services.attempt_send(attempt_id=attempt_id)


@shared_task(acks_late=True)
def attempt_resolve_job(attempt_id: int) -> str:
    return services.attempt_resolve(attempt_id=attempt_id)


@shared_task(acks_late=True)
def payment_capture_job(order_id: int) -> str:
    return services.payment_capture(order_id=order_id)


@shared_task(acks_late=True)
def payment_release_job(order_id: int) -> list[str]:
    return [str(outcome) for outcome in services.payment_release(order_id=order_id)]


@shared_task(acks_late=True)
def intent_release_job(intent_id: str) -> str:
    return services.intent_release(intent_id=intent_id)


@shared_task(acks_late=True)
def event_apply_job(event_id: int) -> str:
    return services.event_apply(event_id=event_id)


@shared_task(acks_late=True)
def payments_sweep_job() -> dict[str, int]:
    return services.payments_sweep()


def _after_commit(task: Any, *args: Any) -> None:
    """Queue the task once the transaction commits. If the broker is down that fails quietly (logged); the
    sweep does the work instead. (A named function: Django's robust hook logs the callable's __qualname__,
    which a functools.partial lacks, so a partial turned a broker outage into a 500 after commit.)"""

    def queue() -> None:
        task.apply_async(args)

    transaction.on_commit(queue, robust=True)


@receiver(attempt_started, dispatch_uid="payments.send_attempt")
def send_attempt(sender: Any, attempt_id: int, **kwargs: Any) -> None:
    _after_commit(attempt_send_job, attempt_id)


@receiver(attempt_checked, dispatch_uid="payments.check_attempt")
def check_attempt(sender: Any, attempt_id: int, **kwargs: Any) -> None:
    _after_commit(attempt_resolve_job, attempt_id)


@receiver(undo_window_ended, dispatch_uid="payments.capture_when_window_ends")
def capture_when_window_ends(sender: Any, order_id: int, **kwargs: Any) -> None:
    if services.payment_capture_wanted(order_id=order_id):
        _after_commit(payment_capture_job, order_id)


@receiver(release_wanted, dispatch_uid="payments.release_when_wanted")
def release_when_wanted(sender: Any, order_id: int, **kwargs: Any) -> None:
    _after_commit(payment_release_job, order_id)


@receiver(intent_release_wanted, dispatch_uid="payments.release_late_intent")
def release_late_intent(sender: Any, intent_id: str, **kwargs: Any) -> None:
    _after_commit(intent_release_job, intent_id)


@receiver(event_stored, dispatch_uid="payments.apply_event")
def apply_event(sender: Any, event_id: int, **kwargs: Any) -> None:
    _after_commit(event_apply_job, event_id)


@receiver(order_status_changed, dispatch_uid="payments.follow_order_steps")
def follow_order_steps(sender: Any, order_id: int, step: str, **kwargs: Any) -> None:
    """An order that will not be paid for gets its payment released."""
    if step in ENDS_PAYMENT and PaymentAttempt.objects.filter(order_id=order_id).exists():
        _after_commit(payment_release_job, order_id)
