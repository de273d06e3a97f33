"""Many customers racing for the last places of one slot, on the real PostgreSQL."""

import functools
import uuid

import pytest
from django.test import Client

from orders.models import Order
from orders.shopper import SESSION_KEY
from slots.models import DeliverySlot
from tests.factories import CartLineFactory, DeliverySlotFactory, MenuItemFactory
from tests.threads import at_once

THREADS = 50
ROUNDS = int(__import__("os").environ.get("RACE_ROUNDS", 20))
CAPACITY = 5


def _fill_cart(client: Client, item) -> None:
    """Give this browser a new session whose cart holds one dish."""
    client.cookies.clear()
    line = CartLineFactory(item=item)
    session = client.session
    session[SESSION_KEY] = str(line.cart.token)
    session.save()
    client.cookies["sessionid"] = session.session_key


def _race(clients: list[Client], slot_id: int) -> list:
    """Every client submits checkout for the slot at the same moment, each from its own thread."""

    def checkout(client: Client):
        return client.post(
            "/checkout/",
            {
                "name": "Racer",
                "email": "racer@example.com",
                "phone": "0123 456789",
                "address": "1 Track Rd",
                "notes": "",
                "slot": slot_id,
                "idempotency_key": uuid.uuid4(),
            },
        )

    return at_once([functools.partial(checkout, client) for client in clients])


@pytest.mark.django_db(transaction=True)
def test_fifty_customers_race_for_five_places():
    item = MenuItemFactory()
    clients = [Client() for _ in range(THREADS)]
    for round_number in range(ROUNDS):
        # given: one slot with five places and fifty customers with a full cart
        slot = DeliverySlotFactory(capacity=CAPACITY)
        for client in clients:
            _fill_cart(client, item)
        # when
        results = _race(clients, slot.pk)
        # then
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, f"round {round_number}: {errors[:3]}"
        statuses = [response.status_code for response in results]
        assert len(results) == THREADS, f"round {round_number}: some requests never finished"
        assert statuses.count(302) == CAPACITY, f"round {round_number}: {sorted(statuses)}"
        refused = [response.content for response in results if response.status_code != 302]
        assert all(b"just filled up" in body for body in refused), f"round {round_number}: an unexpected refusal"
        assert all(status in (302, 422) for status in statuses)
        live_orders = Order.objects.filter(slot=slot).exclude(status=Order.Status.CANCELLED).count()
        assert live_orders == CAPACITY
        assert DeliverySlot.objects.get(pk=slot.pk).reserved == live_orders
