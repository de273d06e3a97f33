"""The kitchen's cards: versions that grow whenever what a card shows changes."""

from datetime import timedelta

import pytest

from chefshop import live
from orders import live as orders_live
from slots import services as slot_services
from tests.conftest import cook, kitchen, place_order

pytestmark = pytest.mark.django_db


def _heading(slot) -> int:
    return live.topic("kitchen").versions("kitchen")[f"kitchen-slot-{slot.pk}"][0]


def test_a_slot_heading_grows_with_its_orders_and_with_the_slot_itself(slot):
    # given: a slot on the kitchen board
    order = place_order(slot)
    first = _heading(slot)
    # when: its order moves on, then the owner moves the slot's window
    kitchen(order, "start")
    second = _heading(slot)
    slot_services.slot_set_times(slot_id=slot.pk, start=slot.start + timedelta(minutes=30))
    third = _heading(slot)
    # then: the heading's version grew both times, so every open board is told
    assert first < second < third


def test_an_order_leaving_the_kitchen_is_a_removal_with_its_newest_version(slot):
    order = place_order(slot)
    order = cook(order)
    keys = [orders_live.KITCHEN_ORDER.key(order.public_id)]
    cards = {card.id: card for card in orders_live.KITCHEN.cards("kitchen", keys)}
    card = cards[f"kitchen-order-{order.public_id}"]
    slot.refresh_from_db()
    assert card.html is None and card.version == order.version + slot.version
    # the slot has nothing left to cook: its heading leaves the board too
    assert cards[f"kitchen-slot-{slot.pk}"].html is None
