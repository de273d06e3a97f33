"""Every orders job, run twice: one effect."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail

from orders import notifications, tasks
from orders.machine import ORDER_MACHINE
from orders.models import Notification, Order
from tests.conftest import place_order

pytestmark = pytest.mark.django_db


def _age(order, seconds: int) -> None:
    """As if ``seconds`` had gone by since the order was placed: its stored undo deadline comes closer."""
    Order.objects.filter(pk=order.pk).update(
        placed_at=order.placed_at - timedelta(seconds=seconds), undo_until=order.undo_until - timedelta(seconds=seconds)
    )


def test_confirm_after_undo_twice_confirms_once(slot, settings):
    settings.ORDER_UNDO_SECONDS = 20
    order = place_order(slot)
    assert order.status == Order.Status.RECEIVED
    with pytest.raises(Retry):  # the window is still open: run again when it ends
        tasks.order_confirm_after_undo(order.pk)
    _age(order, 21)
    assert tasks.order_confirm_after_undo.apply(args=(order.pk,)).get() is True
    assert tasks.order_confirm_after_undo.apply(args=(order.pk,)).get() is False
    assert list(order.events.values_list("to_status", flat=True)) == ["received", "confirmed"]


def test_confirm_sweep_twice_confirms_once_and_leaves_undone_orders(slot, settings):
    settings.ORDER_UNDO_SECONDS = 20
    due, fresh, undone = place_order(slot), place_order(slot), place_order(slot)
    from chefshop.statemachine import Actor
    from orders.services import order_cancel

    order_cancel(order=undone, version=undone.version, by=Actor.CUSTOMER)
    for order in (due, undone):
        _age(order, 60)
    assert tasks.orders_confirm_sweep_job.apply().get() == 1
    assert tasks.orders_confirm_sweep_job.apply().get() == 0
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "confirmed", fresh.pk: "received", undone.pk: "cancelled"}


def test_notifications_are_written_with_the_change(slot):
    order = place_order(slot)
    assert set(order.notifications.values_list("kind", "state")) == {("confirmed", "pending"), ("new_order", "pending")}


def test_send_twice_mails_once(slot):
    order = place_order(slot)
    notification = order.notifications.get(kind="confirmed")
    assert tasks.send_notification.apply(args=(notification.pk,)).get() is True
    assert tasks.send_notification.apply(args=(notification.pk,)).get() is False
    assert [m.subject for m in mail.outbox] == ["Your ChefShop order is confirmed"]
    assert mail.outbox[0].to == ["ada@example.com"]
    notification.refresh_from_db()
    assert notification.state == "sent" and notification.attempts == 1


def test_failed_sends_are_recorded_and_retried(slot, monkeypatch):
    order = place_order(slot)
    notification = order.notifications.get(kind="confirmed")

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    with pytest.raises(ConnectionRefusedError):  # handed to Celery's retry with backoff
        tasks.send_notification(notification.pk)
    notification.refresh_from_db()
    assert notification.state == "pending" and notification.attempts == 1
    assert "SMTP server down" in notification.last_error


def test_sweep_requeues_old_pending_rows(slot, monkeypatch):
    order = place_order(slot)
    Notification.objects.filter(order=order).update(created_at=order.placed_at - timedelta(minutes=5))
    queued = []
    monkeypatch.setattr(tasks.send_notification, "delay", queued.append)
    assert tasks.notifications_sweep_job.apply().get() == 2
    assert sorted(queued) == sorted(order.notifications.values_list("pk", flat=True))
    # a worker that is behind: the next sweeps do not queue the same rows again until a sweep period passed
    assert tasks.notifications_sweep_job.apply().get() == 0
    Notification.objects.filter(order=order).update(swept_at=order.placed_at - timedelta(minutes=4))
    assert tasks.notifications_sweep_job.apply().get() == 2 and len(queued) == 4


def test_one_row_per_order_and_kind(slot):
    order = place_order(slot)
    notifications.write_for_step(order, ORDER_MACHINE.step("confirm"))  # a second "confirmed" writes nothing
    assert order.notifications.count() == 2
