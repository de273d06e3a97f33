"""A socket over a real daphne stays up while idle and still receives pushes."""

import asyncio
import json
import time

import pytest
import websockets
from django.db import connection

from slots import services as slot_services
from tests.factories import DeliverySlotFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _reserve(slot_id: int) -> None:
    try:
        slot_services.slot_reserve(slot_id=slot_id)
    finally:
        connection.close()  # the worker thread's own connection


def test_idle_socket_is_not_dropped_and_still_gets_pushes(daphne_server):
    """redis-py 8's 5 s default read timeout used to kill every consumer after 5 idle seconds."""
    slot = DeliverySlotFactory(capacity=5)
    uri = daphne_server.url.replace("http", "ws") + "/ws/slots/"

    async def scenario() -> str:
        async with websockets.connect(uri, origin=daphne_server.url) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)  # the current state
            await asyncio.sleep(8)  # idle for longer than the old read timeout
            started = time.monotonic()
            await asyncio.to_thread(_reserve, slot.pk)
            while time.monotonic() - started < 5:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
                for card in frame["cards"]:
                    if card["id"] == f"slot-{slot.pk}":
                        return card["html"]
        raise AssertionError("no push")

    assert "4 places left" in asyncio.run(scenario())
