"""The notification outbox: what to tell whom, written with the change, sent after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from chefshop.statemachine import Step
from orders.locks import claim_notifications, lock_notification
from orders.machine import Effect
from orders.models import Notification, Order, OrderItem

logger = logging.getLogger(__name__)
K = Notification.Kind

SUBJECTS = {
    K.NEW_ORDER: "New order for {slot}: {name}",
    K.CONFIRMED: "Your ChefShop order is confirmed",
    K.OUT_FOR_DELIVERY: "Your ChefShop order is on its way",
    K.DELIVERED: "Your ChefShop order was delivered",
    K.FAILED: "We could not deliver your ChefShop order",
    K.CANCELLED: "Your ChefShop order is cancelled",
    K.RECEIVED: "We received your payment for your ChefShop order",
    K.PAYMENT_FAILED: "Your payment for your ChefShop order did not go through",
    K.PAYMENT_EXPIRED: "Your ChefShop order was not paid in time",
    K.REFUNDED: "Your ChefShop order was refunded",
    K.REFUND_PROBLEM: "Refund problem for the order of {name}: please refund it by hand",
}


def _row(order: Order, kind: str, recipient: str, items: list[OrderItem]) -> Notification:
    subject = SUBJECTS[K(kind)].format(slot=f"{timezone.localtime(order.slot.start):%a %H:%M}", name=order.name)
    return Notification(
        order=order,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        body=render_to_string("orders/email/notification.txt", {"order": order, "kind": kind, "items": items}),
    )


def write_for_step(order: Order, step: Step) -> None:
    """Write the outbox rows a step of the order's machine calls for (inside the step's transaction): one
    INSERT for all of them, and a kind already written for this order stays as it was. The rows still
    pending are handed to a worker after commit (``orders/tasks.py``)."""
    kinds = []
    if step.has(Effect.EMAILS_CUSTOMER) and order.email:
        kinds.append((K(step.target), order.email))
    if step.has(Effect.EMAILS_SHOP) and settings.SHOP_EMAIL:
        kinds.append((K.NEW_ORDER, settings.SHOP_EMAIL))
    if not kinds:
        return
    items = list(order.items.all())  # read once for every email this step writes
    rows = [_row(order, kind, recipient, items) for kind, recipient in kinds]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


# Kinds that go to the shop, not to the order's customer.
TO_SHOP = {K.REFUND_PROBLEM}


def write_kind(order: Order, kind: str) -> None:
    """One outbox row of this kind for the order's customer (or the shop, for ``TO_SHOP`` kinds), unless
    one was written already."""
    recipient = settings.SHOP_EMAIL if kind in TO_SHOP else order.email
    if not recipient:
        return
    row = _row(order, kind, recipient, list(order.items.all()))
    Notification.objects.bulk_create([row], ignore_conflicts=True)


def pending_ids(*, order_id: int) -> list[int]:
    return list(
        Notification.objects.filter(order_id=order_id, state=Notification.State.PENDING).values_list("pk", flat=True)
    )


def send(notification_id: int) -> bool:
    """Send one notification unless it was sent already. Returns whether an email went out.

    The row stays locked while sending, so a second run of the same task waits and then sees it sent.
    A failure is recorded on the row and raised, so the task retries with backoff.
    """
    try:
        with transaction.atomic():
            notification = lock_notification(notification_id=notification_id)
            if notification is None or notification.state == Notification.State.SENT:
                return False
            send_mail(notification.subject, notification.body, None, [notification.recipient])
            Notification.objects.filter(pk=notification_id).update(
                state=Notification.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
            return True
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).exclude(state=Notification.State.SENT).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        raise


def mark_failed(notification_id: int, error: str) -> None:
    Notification.objects.filter(pk=notification_id).exclude(state=Notification.State.SENT).update(
        state=Notification.State.FAILED, last_error=error[:2000]
    )


def overdue_ids(*, older_than_seconds: int | None = None) -> list[int]:
    """Rows still pending a while after they were written (lost enqueue, broker outage), claimed for the
    sweep to hand to a worker again: each at most once per ``NOTIFICATION_SWEEP_AFTER``, so a worker
    that is behind does not get the same row queued again on every sweep."""
    older_than_seconds = settings.NOTIFICATION_SWEEP_AFTER if older_than_seconds is None else older_than_seconds
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    pending = Notification.objects.filter(state=Notification.State.PENDING, created_at__lte=cutoff).filter(
        Q(swept_at__isnull=True) | Q(swept_at__lte=cutoff)
    )
    with transaction.atomic():
        ids = claim_notifications(pending, limit=500)
        Notification.objects.filter(pk__in=ids).update(swept_at=now)
    return ids


def resend(notification_ids: list[int]) -> int:
    """Admin's "resend": back to pending, even if sent before (the admin action queues them)."""
    return Notification.objects.filter(pk__in=notification_ids).update(state=Notification.State.PENDING)
