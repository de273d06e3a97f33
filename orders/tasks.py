"""Celery entry points of the orders app: each takes ids, calls a service and is safe to run twice."""

import logging

from celery import shared_task

from orders import notifications, services

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


@shared_task(acks_late=True)
def notifications_sweep_job() -> int:
    return notifications.sweep()


@shared_task(bind=True, acks_late=True, max_retries=10)
def order_confirm_after_undo(self, order_id: int) -> bool:
    """Ends the undo window of one order (countdown task); early by clock skew → try again."""
    remaining = services.order_undo_remaining(order_id=order_id)
    if remaining is None:
        return False
    if remaining > 0:
        raise self.retry(countdown=remaining)
    return services.order_confirm_if_due(order_id=order_id)


@shared_task(acks_late=True)
def orders_confirm_sweep_job() -> int:
    return services.orders_confirm_overdue()
