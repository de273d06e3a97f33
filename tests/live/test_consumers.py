"""The one live consumer, through the real ASGI stack and the real Redis channel layer.

Each test is one coroutine on one event loop. The tests commit for real: the consumer's database
calls close old connections as they would in daphne, which a test-wide transaction cannot survive.
"""

import asyncio
import dataclasses
import json
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chefshop.asgi import application
from orders.shopper import SESSION_KEY
from slots import live as slots_live
from slots import services as slot_services
from tests.conftest import cook, kitchen, place_order
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


def cards(frame: str) -> dict[str, dict]:
    """The cards of one frame, by id."""
    return {card["id"]: card for card in json.loads(frame)["cards"]}


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
        assert json.loads(first)["sync"] == ["slot-list"]
        card = cards(first)[f"slot-{slot.pk}"]
        assert "3 places left" in card["html"] and card["region"] == "slot-list"
        # when: a customer takes a place
        await committed(lambda: slot_services.slot_reserve(slot_id=slot.pk))
        # then: that one card, newer, and nothing else
        frame = json.loads(await ws.receive_from(timeout=5))
        assert "sync" not in frame and [c["id"] for c in frame["cards"]] == [f"slot-{slot.pk}"]
        pushed = frame["cards"][0]
        assert "2 places left" in pushed["html"] and pushed["v"] > card["v"]
        assert f'data-version="{pushed["v"]}"' in pushed["html"]
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
        card_id = f"order-{order.public_id}"
        assert "Confirmed" in cards(await ws.receive_from(timeout=5))[card_id]["html"]
        # when: the kitchen starts on it
        await committed(lambda: kitchen(order, "start"))
        # then
        assert "Being prepared" in cards(await ws.receive_from(timeout=5))[card_id]["html"]
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

        async def our_card(ws) -> dict:
            while True:  # a frame about another test's slot may still be on its way
                card = cards(await ws.receive_from(timeout=5)).get(f"slot-{slot.pk}")
                if card is not None:
                    return card

        with mock.patch.object(slots_live, "render_to_string", wraps=slots_live.render_to_string) as renders:
            queries = await committed(lambda: slot_services.slot_reserve(slot_id=slot.pk))
            pushed = await asyncio.gather(*(our_card(ws) for ws in opened))
        assert all("4 places left" in card["html"] for card in pushed)
        await asyncio.gather(*(ws.disconnect() for ws in opened))
        return sum(
            1
            for call in renders.call_args_list
            if call.args[1].get("slot") is not None and call.args[1]["slot"].pk == slot.pk
        ), queries

    renders, queries = scenario()
    assert renders == 1  # once for the process, however many sockets
    # the writer pays the conditional UPDATE only: rendering happens off its path
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == 1, statements


def test_owner_and_driver_topics_need_the_role(slot):
    from deliveries.models import Delivery
    from deliveries.services import delivery_assign
    from tests.factories import DriverFactory, UserFactory

    driver, other = DriverFactory(), DriverFactory()
    order = place_order(slot)
    order = cook(order)
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
        assert order.name in cards(await ws.receive_from(timeout=5))[f"trip-{delivery.pk}"]["html"]
        await ws.disconnect()
        ws, connected = await _open("/ws/driver/", ORIGIN, theirs)
        assert connected
        assert f"trip-{delivery.pk}" not in cards(await ws.receive_from(timeout=5))
        await ws.disconnect()

    scenario()


def test_a_page_with_nothing_to_show_stays_connected(committed):
    """No slots at all: an empty snapshot (the page shows its "no slots" note), and the socket stays
    up; the first slot made appears on it."""

    @async_to_sync
    async def scenario():
        ws, connected = await _open("/ws/slots/", ORIGIN)
        assert connected
        assert json.loads(await ws.receive_from(timeout=5)) == {"cards": [], "sync": ["slot-list"]}
        # when: the owner adds a slot in admin
        start = timezone.now() + timedelta(hours=5)
        await committed(
            lambda: slot_services.slot_create(
                start=start, end=start + timedelta(hours=1), capacity=4, order_cutoff=start - timedelta(hours=1)
            )
        )
        # then: it is inserted on the open picker
        frame = json.loads(await ws.receive_from(timeout=5))
        assert frame["cards"][0]["region"] == "slot-list" and frame["cards"][0]["html"]
        await ws.disconnect()

    scenario()


def test_a_database_outage_closes_the_socket_with_try_again_later(db):
    """While PostgreSQL is away, a page's socket is closed with 1013, on which the page reconnects."""
    from django.db import OperationalError

    from chefshop import live

    def outage(viewer, kwargs):
        raise OperationalError("connection refused")

    registry = live.topics._topics
    with mock.patch.dict(registry, {"slots": dataclasses.replace(registry["slots"], authorize=outage)}):

        @async_to_sync
        async def scenario():
            ws, connected = await _open("/ws/slots/", ORIGIN)
            assert connected
            closed = await ws.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 1013}
            await ws.wait()

        scenario()


def test_a_database_outage_while_the_handshake_reads_the_session_closes_with_try_again_later(db):
    """Channels' auth middleware reads the session and the user before any consumer runs: an outage there
    is a 1013 too, not an error (which daphne answers with a 500 handshake)."""
    from django.db import OperationalError

    async def outage(scope):
        raise OperationalError("connection refused")

    cookie = _session_cookie()
    with mock.patch("channels.auth.get_user", outage):

        @async_to_sync
        async def scenario():
            ws, connected = await _open("/ws/slots/", ORIGIN, cookie)
            assert connected
            closed = await ws.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 1013}
            await ws.wait()

        scenario()
