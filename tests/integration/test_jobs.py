"""Background jobs with a real worker (and beat) process, the real Redis and the test database."""

import asyncio
import json
import time
import uuid
from datetime import timedelta

import pytest
import websockets
from django.test import Client
from django.utils import timezone

from chefshop.schedules import ensure_schedules
from orders.models import Notification, Order
from orders.shopper import SESSION_KEY
from slots import services as slot_services
from slots.models import DeliverySlot
from tests.browser.conftest import restart_redis
from tests.conftest import place_order
from tests.factories import CartLineFactory, DeliverySlotFactory
from tests.integration.conftest import mails, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CONFIRMED = "Your ChefShop order is confirmed"


def _status(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_order_is_confirmed_after_the_undo_window_and_mailed_once(settings, processes, mail_dir):
    # given: a two-second undo window and a running worker
    settings.ORDER_UNDO_SECONDS = 2
    processes("worker")
    slot = DeliverySlotFactory(capacity=3)
    # when
    order = place_order(slot)
    assert order.status == Order.Status.RECEIVED
    # then: confirmed by the worker within a few seconds, one email of each kind
    wait_for(lambda: _status(order) == Order.Status.CONFIRMED, 10, message="order confirmed")
    wait_for(lambda: mails(mail_dir, CONFIRMED) >= 1, 10, message="confirmation mailed")
    time.sleep(1.5)  # room for a duplicate to show up, if there were one
    assert mails(mail_dir, CONFIRMED) == 1
    assert mails(mail_dir, "New order for") == 1
    assert set(Notification.objects.values_list("kind", "state")) == {("confirmed", "sent"), ("new_order", "sent")}
    events = list(Order.objects.get(pk=order.pk).events.values_list("to_status", flat=True))
    assert events == ["received", "confirmed"]


def test_undo_in_time_never_reaches_the_kitchen(settings, processes, mail_dir):
    settings.ORDER_UNDO_SECONDS = 3
    processes("worker")
    slot = DeliverySlotFactory(capacity=3)
    order = place_order(slot)
    from chefshop.statemachine import Actor
    from orders.services import order_cancel

    order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    time.sleep(4.5)  # the window's task runs and finds nothing to confirm
    assert _status(order) == Order.Status.CANCELLED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
    assert mails(mail_dir, CONFIRMED) == 0


def _checkout_post(slot) -> int:
    line = CartLineFactory()
    client = Client()
    session = client.session
    session[SESSION_KEY] = str(line.cart.token)
    session.save()
    client.cookies["sessionid"] = session.session_key
    response = client.post(
        "/checkout/",
        {
            "name": "Ada",
            "email": "ada@example.com",
            "phone": "0123 456789",
            "address": "1 High St",
            "slot": slot.pk,
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    return response.status_code


def test_broker_down_order_still_succeeds_and_mail_follows_once(processes, mail_dir):
    # given: worker and beat running, the sweep every 2 s
    ensure_schedules(every={"orders.tasks.notifications_sweep_job": 2})
    processes("worker")
    processes("beat")
    slot = DeliverySlotFactory(capacity=3)
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    # when: Redis goes away and a customer orders
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    wait_for(lambda: _redis_down(client), 10, message="redis down")
    try:
        assert _checkout_post(slot) == 302  # committed, no 500
        assert Notification.objects.filter(kind="confirmed", state="pending").count() == 1
    finally:
        restart_redis()
    # then: once Redis is back the notification goes out, once
    wait_for(lambda: mails(mail_dir, CONFIRMED) >= 1, 40, interval=0.5, message="mail after outage")
    time.sleep(3)  # another sweep round: still one
    assert mails(mail_dir, CONFIRMED) == 1


def _redis_down(client) -> bool:
    import redis

    try:
        client.ping()
        return False
    except redis.ConnectionError:
        return True


def test_worker_killed_while_sending_finishes_after_restart_with_one_mail(processes, mail_dir):
    # given: a worker whose email takes four seconds
    slow = {"EMAIL_BACKEND": "tests.support.slow_mail.SlowFileBackend", "SLOW_MAIL_SECONDS": "4"}
    worker = processes("worker", **slow)
    slot = DeliverySlotFactory(capacity=3)
    place_order(slot)
    # when: it is SIGKILLed in the middle of sending
    wait_for(lambda: list(mail_dir.glob("started-*.mark")), 15, message="worker started sending")
    worker.kill()
    assert mails(mail_dir, CONFIRMED) == 0
    # then: a new worker completes it (after the visibility timeout), exactly once
    processes("worker", **slow)
    wait_for(lambda: mails(mail_dir, CONFIRMED) >= 1, 60, interval=0.5, message="mail after worker restart")
    wait_for(lambda: mails(mail_dir, "New order for") >= 1, 30, interval=0.5, message="shop mail after restart")
    time.sleep(2)
    assert mails(mail_dir, CONFIRMED) == 1
    assert mails(mail_dir, "New order for") == 1


def test_slot_closes_by_itself_at_its_cutoff_and_pickers_hear_it(processes):
    # given: worker, beat, daphne, and a picker socket open
    ensure_schedules(every={"slots.tasks.slots_sweep_job": 2})
    processes("worker")
    processes("beat")
    daphne = processes("daphne")
    now = timezone.now()
    cutoff = now + timedelta(seconds=6)
    # when: a slot is made whose cutoff is six seconds ahead
    slot = slot_services.slot_create(
        start=now + timedelta(hours=1), end=now + timedelta(hours=2), capacity=4, order_cutoff=cutoff
    )

    async def listen() -> float:
        uri = daphne.url.replace("http", "ws") + "/ws/slots/"
        async with websockets.connect(uri, origin=daphne.url) as ws:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                for card in frame["cards"]:
                    if card["id"] == f"slot-{slot.pk}" and 'class="slot slot-closed"' in (card["html"] or ""):
                        return time.time()
        raise AssertionError("no closed fragment")

    received_at = asyncio.run(listen())
    # then: closed in the database, and the fragment arrived within 2 s of the cutoff
    assert DeliverySlot.objects.get(pk=slot.pk).closed
    lag = received_at - cutoff.timestamp()
    print(json.dumps({"cutoff_to_frame_seconds": round(lag, 3)}))
    assert -0.5 < lag < 2.0
