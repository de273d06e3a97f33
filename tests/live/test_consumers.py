"""The one live consumer, through the real ASGI stack and the real Redis channel layer.

Each test is one coroutine on one event loop. The tests commit for real: the consumer's database
calls close old connections as they would in daphne, which a test-wide transaction cannot survive.
"""

import asyncio
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chefshop.asgi import application
from orders import services as order_services
from orders.shopper import SESSION_KEY
from slots import live as slots_live
from slots import services as slot_services
from tests.conftest import place_order
from tests.factories import CartFactory, CartLineFactory, DeliverySlotFactory

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _session_cookie(token=None) -> tuple[bytes, bytes]:
    client = Client()
    session = client.session
    if token is not None:
        session[SESSION_KEY] = str(token)
    session.save()
    return (b"cookie", f"sessionid={session.session_key}".encode())


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``await committed(fn)``: run a domain change as if its transaction committed; returns the
    queries it cost, pushes included."""

    def run_and_commit(fn):
        with CaptureQueriesContext(connection) as queries:
            with django_capture_on_commit_callbacks(execute=True):
                fn()
        return queries

    async def call(fn):
        return await sync_to_async(run_and_commit)(fn)

    return call


async def _open(path, *headers):
    communicator = WebsocketCommunicator(application, path, headers=[*headers])
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


def test_slots_connect_sends_current_state_then_pushes(committed):
    slot = DeliverySlotFactory(capacity=3)

    @async_to_sync
    async def scenario():
        ws, connected = await _open("/ws/slots/", ORIGIN)
        assert connected
        first = await ws.receive_from(timeout=5)
        assert f'id="slot-{slot.pk}"' in first and "3 places left" in first
        # when: a customer takes a place
        await committed(lambda: slot_services.slot_reserve(slot_id=slot.pk))
        # then
        frame = await ws.receive_from(timeout=5)
        assert f'id="slot-{slot.pk}"' in frame and "2 places left" in frame
        assert 'hx-swap-oob="true"' in frame and 'data-version="2"' in frame
        await ws.disconnect()

    scenario()


def test_foreign_origin_is_refused():
    @async_to_sync
    async def scenario():
        _, connected = await _open("/ws/slots/", (b"origin", b"http://evil.example"))
        assert not connected
        _, connected = await _open("/ws/slots/")  # no Origin at all
        assert not connected

    scenario()


def test_order_topic_is_only_for_its_customer(slot, committed):
    # given
    line = CartLineFactory()
    order = place_order(slot, cart=line.cart, token=line.cart.token)
    path = f"/ws/orders/{order.public_id}/"
    mine, stranger = _session_cookie(line.cart.token), _session_cookie(CartFactory().token)

    @async_to_sync
    async def scenario():
        for headers in ([ORIGIN, stranger], [ORIGIN]):
            _, connected = await _open(path, *headers)
            assert not connected
        _, connected = await _open("/ws/orders/00000000-0000-0000-0000-000000000000/", ORIGIN, mine)
        assert not connected

        ws, connected = await _open(path, ORIGIN, mine)
        assert connected
        assert "Confirmed" in await ws.receive_from(timeout=5)
        # when: the kitchen starts on it
        await committed(lambda: order_services.order_start_prepping(order=order))
        # then
        frame = await ws.receive_from(timeout=5)
        assert 'id="order-status"' in frame and "Being prepared" in frame
        await ws.disconnect()

    scenario()


@pytest.mark.parametrize("sockets", [1, 200])
def test_one_change_costs_the_same_however_many_sockets(sockets, committed):
    slot = DeliverySlotFactory(capacity=5)

    @async_to_sync
    async def scenario():
        opened = []
        for _ in range(sockets):
            ws, connected = await _open("/ws/slots/", ORIGIN)
            assert connected
            await ws.receive_from(timeout=5)
            opened.append(ws)
        with mock.patch.object(slots_live, "render_slot", wraps=slots_live.render_slot) as renders:
            queries = await committed(lambda: slot_services.slot_reserve(slot_id=slot.pk))
        frames = await asyncio.gather(*(ws.receive_from(timeout=5) for ws in opened))
        assert all("4 places left" in frame for frame in frames)
        await asyncio.gather(*(ws.disconnect() for ws in opened))
        return renders.call_count, queries

    renders, queries = scenario()
    assert renders == 1
    # the conditional UPDATE, then one read to render the slot once for the whole group
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == 2, statements


def test_owner_and_driver_topics_need_the_role(slot):
    from deliveries.models import Delivery
    from deliveries.services import delivery_assign
    from tests.factories import DriverFactory, UserFactory

    driver, other = DriverFactory(), DriverFactory()
    order = place_order(slot)
    order = order_services.order_mark_prepped(order=order_services.order_start_prepping(order=order))
    delivery = Delivery.objects.get(order=order)
    delivery_assign(delivery=delivery, driver=driver, version=delivery.version)

    def cookie_for(user):
        client = Client()
        client.force_login(user)
        return (b"cookie", f"sessionid={client.session.session_key}".encode())

    owner = cookie_for(UserFactory(is_staff=True))
    customer = cookie_for(UserFactory())
    mine, theirs = cookie_for(driver.user), cookie_for(other.user)

    @async_to_sync
    async def scenario():
        for path in ("/ws/owner/kitchen/", "/ws/owner/dispatch/", "/ws/owner/slots/"):
            for headers in ([ORIGIN], [ORIGIN, customer], [ORIGIN, mine]):
                _, connected = await _open(path, *headers)
                assert not connected, path
            ws, connected = await _open(path, ORIGIN, owner)
            assert connected, path
            await ws.receive_from(timeout=5)
            await ws.disconnect()
        for headers in ([ORIGIN], [ORIGIN, customer], [ORIGIN, owner]):
            _, connected = await _open("/ws/driver/", *headers)
            assert not connected
        ws, connected = await _open("/ws/driver/", ORIGIN, mine)
        assert connected
        assert order.name in await ws.receive_from(timeout=5)
        await ws.disconnect()
        ws, connected = await _open("/ws/driver/", ORIGIN, theirs)
        assert connected
        assert f'id="trip-{delivery.pk}"' not in await ws.receive_from(timeout=5)
        await ws.disconnect()

    scenario()


def test_a_page_with_nothing_to_show_stays_connected():
    """No slots at all: no frame on connect, and the socket stays up for the first push."""

    @async_to_sync
    async def scenario():
        ws, connected = await _open("/ws/slots/", ORIGIN)
        assert connected
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    scenario()
