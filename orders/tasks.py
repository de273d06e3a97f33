"""Celery entry points of the orders app, and the receivers that schedule them.

Each task takes ids, calls a service and is safe to run twice. Services never import this module:
they send ``order_status_changed``, and the receivers below queue the deferred work after commit.
No countdown here is longer than the broker's visibility timeout, and no task runs that long: a timer
for a far deadline re-checks it and queues itself again (``chefshop/jobs.py``).
"""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from chefshop.jobs import countdown
from orders import notifications, services
from orders.machine import ORDER_MACHINE, Effect
from orders.signals import order_payment_changed, order_status_changed

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=6)
def send_notification(self, notification_id: int) -> bool:
    try:
        return notifications.send(notification_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            notifications.mark_failed(notification_id, f"{exc.__class__.__name__}: {exc}")
            logger.error("notification %s failed for good: %s", notification_id, exc)
            return False
        # exponential backoff: 2, 4, 8 … seconds
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


def send_later(notification_ids: list[int]) -> None:
    """Hand the rows to a worker after commit. If the broker is down this fails quietly: the sweep
    retries them."""
    for pk in notification_ids:

        def queue(pk: int = pk) -> None:  # named: Django's robust hook logs __qualname__, which a partial lacks
            send_notification.delay(pk)

        transaction.on_commit(queue, robust=True)


@shared_task(acks_late=True)
def notifications_sweep_job() -> int:
    overdue = notifications.overdue_ids()
    for pk in overdue:
        send_notification.delay(pk)
    return len(overdue)


@shared_task(bind=True, acks_late=True, max_retries=10)
def order_confirm_after_undo(self, order_id: int) -> bool:
    """Ends the undo window of one order (countdown task); early by clock skew → try again."""
    remaining = services.order_undo_remaining(order_id=order_id)
    if remaining is None:
        return False
    if remaining > 0:
        raise self.retry(countdown=countdown(remaining))
    return services.order_confirm_if_due(order_id=order_id)


@shared_task(bind=True, acks_late=True, max_retries=None)
def order_hold_timer(self, order_id: int) -> bool:
    """Ends an unpaid order's hold when it runs out: checks the stored ``hold_until`` and, while it is
    further away than a countdown may be, queues itself again. The payments sweep ends any hold it
    misses (a lost message, a broker outage)."""
    remaining = services.order_hold_remaining(order_id=order_id)
    if remaining is None:
        return False
    if remaining > 0:
        raise self.retry(countdown=countdown(remaining + 1))
    return services.order_expire_if_due(order_id=order_id)


@shared_task(acks_late=True)
def orders_confirm_sweep_job() -> int:
    return services.orders_confirm_overdue()


@shared_task(acks_late=True)
def orders_holds_sweep_job() -> int:
    return services.orders_expire_overdue_holds()


@receiver(order_status_changed, dispatch_uid="orders.queue_step_jobs")
def queue_step_jobs(sender: Any, order_id: int, step: str, **kwargs: Any) -> None:
    """The deferred side effects the machine's table names for this step, queued after commit."""
    taken = ORDER_MACHINE.step(step)
    if taken.has(Effect.EMAILS_CUSTOMER) or taken.has(Effect.EMAILS_SHOP):
        transaction.on_commit(lambda: send_later(notifications.pending_ids(order_id=order_id)), robust=True)
    if taken.has(Effect.STARTS_UNDO_TIMER) and settings.ORDER_UNDO_SECONDS > 0:
        # If the broker is down this is lost quietly; the confirm sweep ends the window instead.
        transaction.on_commit(
            lambda: order_confirm_after_undo.apply_async((order_id,), countdown=countdown(settings.ORDER_UNDO_SECONDS)),
            robust=True,
        )
    if taken.has(Effect.STARTS_HOLD_TIMER):
        # Lost quietly with the broker down, like the undo timer: the payments sweep ends the hold instead.
        transaction.on_commit(
            lambda: order_hold_timer.apply_async((order_id,), countdown=countdown(settings.PAYMENT_HOLD_SECONDS + 1)),
            robust=True,
        )


@receiver(order_payment_changed, dispatch_uid="orders.queue_payment_emails")
def queue_payment_emails(sender: Any, order_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: send_later(notifications.pending_ids(order_id=order_id)), robust=True)
