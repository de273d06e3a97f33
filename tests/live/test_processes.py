"""The live layer across real daphne processes: a change through one reaches sockets on every other,
and a page converges by itself after a push that never arrived."""

import asyncio
import json
import time
import urllib.request
from unittest import mock

import pytest
import websockets
from django.db import connection
from django.test import Client

from chefshop import live
from slots import services as slot_services
from tests.browser.conftest import Daphne
from tests.factories import DeliverySlotFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CSRF = "x" * 32  # an unmasked CSRF secret: the cookie and the header carry the same one


@pytest.fixture(scope="module")
def second_server(django_db_setup):
    yield from Daphne.running()


async def _watch(uri: str, origin: str, card_id: str, version: int, timeout: float) -> float:
    """Open a page's socket and return the seconds until it shows ``card_id`` at ``version`` or newer."""
    async with websockets.connect(uri, origin=origin) as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert "sync" in snapshot
        ready = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - ready)
            if left <= 0:
                raise AssertionError(f"{card_id} never reached version {version} on {uri}")
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=left))
            for card in frame["cards"]:
                if card["id"] == card_id and card["v"] >= version:
                    return time.monotonic() - ready


def test_a_change_through_one_process_reaches_sockets_on_another(daphne_server, second_server):
    # given: a picker open on each web process, and an owner on the first one
    slot = DeliverySlotFactory(capacity=5)
    owner = Client()
    owner.force_login(UserFactory(is_staff=True))
    cookie = f"sessionid={owner.session.session_key}; csrftoken={CSRF}"
    expected = (slot.version + 1) * 2  # picker versions are the row's version doubled

    def set_capacity_through_first_process() -> None:
        time.sleep(0.5)  # both sockets have their snapshot by then
        request = urllib.request.Request(
            f"{daphne_server.url}/owner/slots/{slot.pk}/capacity/",
            data=b"capacity=9",
            headers={
                "Cookie": cookie,
                "X-CSRFToken": CSRF,
                "HX-Request": "true",
                "Origin": daphne_server.url,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    async def scenario():
        watchers = [
            _watch(server.url.replace("http", "ws") + "/ws/slots/", server.url, f"slot-{slot.pk}", expected, 10)
            for server in (daphne_server, second_server)
        ]
        return await asyncio.gather(*watchers, asyncio.to_thread(set_capacity_through_first_process))

    # when / then: both processes' sockets get the new card
    first, second, _ = asyncio.run(scenario())
    assert first >= 0 and second >= 0
    slot.refresh_from_db()
    assert slot.capacity == 9


def test_a_page_converges_after_a_push_that_never_arrived(daphne_server):
    # given: an open picker
    slot = DeliverySlotFactory(capacity=5)
    uri = daphne_server.url.replace("http", "ws") + "/ws/slots/"
    expected = (slot.version + 1) * 2

    def change_without_telling_anyone() -> None:
        time.sleep(0.5)
        try:
            with mock.patch.object(live.publish, "publish_changes") as publish:  # the push is lost on its way
                slot_services.slot_set_capacity(slot_id=slot.pk, capacity=8)
        finally:
            connection.close()  # this thread's own connection
        assert publish.called

    async def scenario():
        return await asyncio.gather(
            _watch(uri, daphne_server.url, f"slot-{slot.pk}", expected, 30),
            asyncio.to_thread(change_without_telling_anyone),
        )

    # when / then: the web process's digest notices the newer version and pushes it within 30 s
    seconds, _ = asyncio.run(scenario())
    assert seconds < 30
