"""The notification outbox: what to tell whom, written with the change, sent after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from orders.models import Notification, Order

logger = logging.getLogger(__name__)
K = Notification.Kind

# Which status changes the customer hears about.
CUSTOMER_KINDS = {
    Order.Status.CONFIRMED: K.CONFIRMED,
    Order.Status.OUT_FOR_DELIVERY: K.OUT_FOR_DELIVERY,
    Order.Status.DELIVERED: K.DELIVERED,
    Order.Status.FAILED: K.FAILED,
    Order.Status.CANCELLED: K.CANCELLED,
}
SUBJECTS = {
    K.NEW_ORDER: "New order for {slot}: {name}",
    K.CONFIRMED: "Your ChefShop order is confirmed",
    K.OUT_FOR_DELIVERY: "Your ChefShop order is on its way",
    K.DELIVERED: "Your ChefShop order was delivered",
    K.FAILED: "We could not deliver your ChefShop order",
    K.CANCELLED: "Your ChefShop order is cancelled",
}


def _row(order: Order, kind: str, recipient: str, items: list) -> Notification:
    subject = SUBJECTS[kind].format(slot=f"{timezone.localtime(order.slot.start):%a %H:%M}", name=order.name)
    return Notification(
        order=order,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        body=render_to_string("orders/email/notification.txt", {"order": order, "kind": kind, "items": items}),
    )


def notify_status(order: Order, to_status: str) -> None:
    """Write the outbox rows this status change calls for (inside the change's transaction): one INSERT
    for all of them, and a kind already written for this order stays as it was. After commit, the
    rows still pending are handed to a worker."""
    kind = CUSTOMER_KINDS.get(to_status)
    items: list = []
    rows = []
    if (kind is not None and order.email) or (to_status == Order.Status.CONFIRMED and settings.SHOP_EMAIL):
        items = list(order.items.all())  # read once for every email this change writes
    if kind is not None and order.email:
        rows.append(_row(order, kind, order.email, items))
    if to_status == Order.Status.CONFIRMED and settings.SHOP_EMAIL:
        rows.append(_row(order, K.NEW_ORDER, settings.SHOP_EMAIL, items))
    if not rows:
        return
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    kinds = [row.kind for row in rows]
    transaction.on_commit(lambda: _enqueue_pending(order.pk, kinds), robust=True)


def _enqueue_pending(order_id: int, kinds: list[str]) -> None:
    pending = Notification.objects.filter(order_id=order_id, kind__in=kinds, state=Notification.State.PENDING)
    for pk in pending.values_list("pk", flat=True):
        enqueue(pk)


def enqueue(notification_id: int) -> None:
    """Hand the row to a worker. If the broker is down this fails quietly: the sweep retries it."""
    from orders.tasks import send_notification

    send_notification.delay(notification_id)


def send(notification_id: int) -> bool:
    """Send one notification unless it was sent already. Returns whether an email went out.

    The row stays locked while sending, so a second run of the same task waits and then sees it sent.
    A failure is recorded on the row and raised, so the task retries with backoff.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
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


def sweep(*, older_than_seconds: int | None = None) -> int:
    """Re-enqueue rows still pending a while after they were written (lost enqueue, broker outage)."""
    older_than_seconds = settings.NOTIFICATION_SWEEP_AFTER if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = list(
        Notification.objects.filter(state=Notification.State.PENDING, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in pending:
        enqueue(pk)
    return len(pending)


def resend(notification_ids: list[int]) -> int:
    """Admin's "resend": back to pending and on the queue, even if sent before."""
    updated = Notification.objects.filter(pk__in=notification_ids).update(state=Notification.State.PENDING)
    for pk in notification_ids:
        transaction.on_commit(lambda pk=pk: enqueue(pk), robust=True)
    return updated
