"""Celery entry points of the payments app, and the receivers that queue them after commit.

Each task takes ids, calls a service and is safe to run twice. If the broker is down when one is
queued it is lost quietly: the sweep (every 15 s) and the orders app's own undo-window sweep cover it.
"""

from typing import Any

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_status_changed, undo_window_ended
from payments import services
from payments.models import PaymentAttempt
from payments.signals import attempt_checked, attempt_started, release_wanted

# Order steps after which an order will not be paid for: its live attempts are cancelled or refunded.
ENDS_PAYMENT = {"undo", "cancel", "shop_cancel", "abandon", "expire"}


@shared_task(acks_late=True)
def attempt_send_job(attempt_id: int) -> str:
    return services.attempt_send(attempt_id=attempt_id)


@shared_task(acks_late=True)
def resolve_job(attempt_id: int) -> str:
    return services.resolve(attempt_id=attempt_id)


@shared_task(acks_late=True)
def capture_job(order_id: int) -> str:
    return services.capture(order_id=order_id)


@shared_task(acks_late=True)
def release_job(order_id: int) -> list[str]:
    return services.release(order_id=order_id)


@shared_task(acks_late=True)
def hold_end_job(order_id: int) -> bool:
    from orders import services as order_services

    return order_services.order_expire_if_due(order_id=order_id)


@shared_task(acks_late=True)
def payments_sweep_job() -> dict[str, int]:
    return services.sweep()


def _after_commit(task: Any, *args: Any, **options: Any) -> None:
    """Queue the task once the transaction commits. If the broker is down that fails quietly (logged); the
    sweep does the work instead. (A named function: Django's robust hook logs the callable's __qualname__,
    which a functools.partial lacks, so a partial turned a broker outage into a 500 after commit.)"""

    def queue() -> None:
        task.apply_async(args, **options)

    transaction.on_commit(queue, robust=True)


@receiver(attempt_started, dispatch_uid="payments.send_attempt")
def send_attempt(sender: Any, attempt_id: int, **kwargs: Any) -> None:
    _after_commit(attempt_send_job, attempt_id)


@receiver(attempt_checked, dispatch_uid="payments.check_attempt")
def check_attempt(sender: Any, attempt_id: int, **kwargs: Any) -> None:
    _after_commit(resolve_job, attempt_id)


@receiver(undo_window_ended, dispatch_uid="payments.capture_when_window_ends")
def capture_when_window_ends(sender: Any, order_id: int, **kwargs: Any) -> None:
    if services.capture_wanted(order_id=order_id):
        _after_commit(capture_job, order_id)


@receiver(release_wanted, dispatch_uid="payments.release_when_wanted")
def release_when_wanted(sender: Any, order_id: int, **kwargs: Any) -> None:
    _after_commit(release_job, order_id)


@receiver(order_status_changed, dispatch_uid="payments.follow_order_steps")
def follow_order_steps(sender: Any, order_id: int, step: str, **kwargs: Any) -> None:
    """A hold starts its timer; an order that will not be paid for gets its payment released."""
    from django.conf import settings

    if step == "hold":
        _after_commit(hold_end_job, order_id, countdown=settings.PAYMENT_HOLD_SECONDS + 1)
    elif step in ENDS_PAYMENT and PaymentAttempt.objects.filter(order_id=order_id).exists():
        _after_commit(release_job, order_id)
