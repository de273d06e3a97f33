"""PostgreSQL keeps the versions of the rows live cards show (chefshop/versions.py): a write outside the
services still raises them, a service's own conditional move is not raised twice, and none goes back."""

import pytest
from django.db.models import F

from catalog.models import Category, MenuItem
from chefshop.errors import StaleVersion
from chefshop.statemachine import Actor
from orders import services as order_services
from orders.models import Order
from slots import live as slots_live
from slots import services as slot_services
from slots.models import DeliverySlot
from tests.conftest import kitchen, place_order

pytestmark = pytest.mark.django_db


def _version(model, pk) -> int:
    return model.objects.values_list("version", flat=True).get(pk=pk)


def test_an_update_no_service_made_raises_the_version_and_a_fresh_page_shows_it_at_once(slot):
    # given: the picker rendered (and cached) with the slot's 5 places
    assert "5 places left" in next(c.html for c in slots_live.picker_cards() if c.id == f"slot-{slot.pk}")
    before = _version(DeliverySlot, slot.pk)
    # when: a data fix changes its capacity with no service called
    DeliverySlot.objects.filter(pk=slot.pk).update(capacity=9)
    # then: the version grew by one, so a fresh page load renders the card again, not the cached one
    assert _version(DeliverySlot, slot.pk) == before + 1
    assert "9 places left" in next(c.html for c in slots_live.picker_cards() if c.id == f"slot-{slot.pk}")


def test_a_service_move_is_raised_once_and_the_next_conditional_move_still_succeeds(slot):
    order = place_order(slot)
    before = _version(DeliverySlot, slot.pk)
    slot_services.slot_set_capacity(slot_id=slot.pk, capacity=7)  # raises version in its own statement
    assert _version(DeliverySlot, slot.pk) == before + 1  # not twice
    # an order's conditional moves, one after another with the version each returned: no spurious 409
    seen = order.version
    started = kitchen(order, "start")
    assert started.version == _version(Order, order.pk) == seen + 1  # raised once
    with pytest.raises(StaleVersion):  # a stale version is still refused
        order_services.order_transition(order=started, step="prepped", version=seen, by=Actor.OWNER)
    prepped = kitchen(started, "prepped")
    assert prepped.status == Order.Status.PREPPED


def test_every_table_a_card_shows_is_kept(slot):
    order = place_order(slot)
    dish = MenuItem.objects.get(pk=order.items.get().menu_item_id)
    for model, pk in [(Order, order.pk), (MenuItem, dish.pk), (Category, dish.category_id), (DeliverySlot, slot.pk)]:
        before = _version(model, pk)
        model.objects.filter(pk=pk).update(version=F("version"))  # touches the row, changes nothing
        assert _version(model, pk) == before, model  # nothing changed: nothing raised
        field = {Order: "notes", MenuItem: "description", Category: "name", DeliverySlot: "capacity"}[model]
        value = 8 if field == "capacity" else "changed by hand"
        model.objects.filter(pk=pk).update(**{field: value})
        assert _version(model, pk) == before + 1, model


def test_a_stale_instance_saved_never_takes_a_version_back(slot):
    stale = DeliverySlot.objects.get(pk=slot.pk)
    DeliverySlot.objects.filter(pk=slot.pk).update(capacity=7)
    DeliverySlot.objects.filter(pk=slot.pk).update(capacity=8)
    newest = _version(DeliverySlot, slot.pk)
    stale.save()  # writes its old version and old capacity back
    assert _version(DeliverySlot, slot.pk) == newest + 1
