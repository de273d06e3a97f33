"""Portions per dish per delivery day: taken with the slot place, never oversold, returned only for
food never cooked. On the real PostgreSQL."""

import functools
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from catalog import services
from catalog.errors import SoldOut, TotalBelowReserved
from catalog.models import DishDay
from chefshop.statemachine import Actor
from orders import services as order_services
from orders.models import CartLine, Order
from slots.models import DeliverySlot
from tests.conftest import cook, drive, make_contact, place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, DriverFactory, MenuItemFactory
from tests.threads import at_once


def _day(slot: DeliverySlot):
    return timezone.localdate(slot.start)


def _reserved(item, slot) -> int:
    row = DishDay.objects.filter(item=item, day=_day(slot)).first()
    return row.reserved if row else 0


def _checkout(cart, slot):
    return order_services.order_place(
        cart=cart, slot_id=slot.pk, contact=make_contact(), idempotency_key=uuid.uuid4(), owner_token=cart.token
    )


@pytest.mark.django_db(transaction=True)
def test_forty_carts_race_for_the_last_three_portions():
    # given: a dish with three portions left that day, a slot with room for everyone
    item = MenuItemFactory(name="Beef ragù", daily_portions=10)
    slot = DeliverySlotFactory(capacity=100)
    DishDay.objects.create(item=item, day=_day(slot), total=10, reserved=7)
    carts = [CartLineFactory(item=item).cart for _ in range(40)]
    # when: forty customers check out at the same moment
    outcomes = at_once([functools.partial(_checkout, cart, slot) for cart in carts])
    # then: exactly three orders; thirty-seven clear refusals; every refused cart kept
    placed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, SoldOut)]
    assert len(placed) == 3 and len(refused) == 37, outcomes
    assert all("Beef ragù is sold out" in str(error) for error in refused)
    assert _reserved(item, slot) == 10
    assert Order.objects.count() == 3
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 3  # no slot place without its portions
    assert CartLine.objects.count() == 37


@pytest.mark.django_db(transaction=True)
def test_two_carts_crossing_the_same_two_dishes_never_deadlock():
    soup, bread = MenuItemFactory(daily_portions=1000), MenuItemFactory(daily_portions=1000)
    slot = DeliverySlotFactory(capacity=1000)
    rounds = 200
    for _ in range(rounds):
        first = CartLineFactory(item=soup).cart
        CartLineFactory(cart=first, item=bread)
        second = CartLineFactory(item=bread).cart  # the other way round
        CartLineFactory(cart=second, item=soup)
        outcomes = at_once([functools.partial(_checkout, first, slot), functools.partial(_checkout, second, slot)])
        assert not any(isinstance(o, OperationalError) for o in outcomes), outcomes  # a deadlock is one
        assert all(isinstance(o, Order) for o in outcomes), outcomes
    assert _reserved(soup, slot) == _reserved(bread, slot) == 2 * rounds


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_undo_and_cancel_return_portions_but_a_delivered_order_keeps_them(settings):
    settings.ORDER_UNDO_SECONDS = 60
    item = MenuItemFactory(daily_portions=5)
    slot = DeliverySlotFactory(capacity=10)
    undone = place_order(slot, cart=CartLineFactory(item=item, quantity=2).cart)
    assert _reserved(item, slot) == 2
    order_services.order_cancel(order=undone, version=undone.version, by=Actor.CUSTOMER)
    assert _reserved(item, slot) == 0
    settings.ORDER_UNDO_SECONDS = 0
    delivered = place_order(slot, cart=CartLineFactory(item=item, quantity=3).cart)
    cancelled = place_order(slot, cart=CartLineFactory(item=item, quantity=1).cart)
    order_services.order_cancel(order=cancelled, version=cancelled.version, by=Actor.CUSTOMER)
    assert _reserved(item, slot) == 3
    from deliveries.models import Delivery
    from deliveries.services import delivery_assign

    delivery = Delivery.objects.get(order=cook(delivered))
    delivery = delivery_assign(delivery=delivery, driver=DriverFactory(), version=delivery.version)
    drive(drive(delivery, "start"), "delivered")
    assert Order.objects.get(pk=delivered.pk).status == Order.Status.DELIVERED
    assert _reserved(item, slot) == 3  # cooked and eaten: the portions stay taken
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0  # while the slot place came back


@pytestmark_db
def test_one_short_dish_takes_nothing_and_names_the_dish(slot):
    plenty, scarce = MenuItemFactory(daily_portions=10), MenuItemFactory(name="Tiramisu", daily_portions=1)
    cart = CartLineFactory(item=plenty, quantity=2).cart
    CartLineFactory(cart=cart, item=scarce, quantity=2)
    with pytest.raises(SoldOut, match="only 1 portion of Tiramisu left"):
        place_order(slot, cart=cart)
    assert _reserved(plenty, slot) == 0 and _reserved(scarce, slot) == 0
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
    assert CartLine.objects.filter(cart=cart).count() == 2


@pytestmark_db
def test_unlimited_dishes_are_counted_so_limiting_later_is_exact(slot):
    item = MenuItemFactory(daily_portions=None)
    place_order(slot, cart=CartLineFactory(item=item, quantity=4).cart)
    assert _reserved(item, slot) == 4
    with pytest.raises(TotalBelowReserved, match="already has 4 portions ordered"):
        services.item_set_daily_portions(item_id=item.pk, portions=3)
    services.item_set_daily_portions(item_id=item.pk, portions=5)
    assert DishDay.objects.get(item=item, day=_day(slot)).total == 5
    with pytest.raises(SoldOut, match="only 1 portion"):
        place_order(slot, cart=CartLineFactory(item=item, quantity=2).cart)


@pytestmark_db
def test_owner_sets_a_day_total_never_below_reserved_and_bad_input_writes_nothing(slot):
    item = MenuItemFactory(daily_portions=8)
    place_order(slot, cart=CartLineFactory(item=item, quantity=3).cart)
    day = _day(slot)
    with pytest.raises(TotalBelowReserved, match="already has 3 portions ordered"):
        services.stock_set_total(item_id=item.pk, day=day, total=2)
    row = services.stock_set_total(item_id=item.pk, day=day, total=3)
    assert (row.total, row.overridden) == (3, True)
    services.item_set_daily_portions(item_id=item.pk, portions=20)  # a day with its own number keeps it
    assert DishDay.objects.get(item=item, day=day).total == 3
    for bad in (-1, 10_001):
        with pytest.raises(TotalBelowReserved):
            services.stock_set_total(item_id=item.pk, day=day, total=bad)
    with pytest.raises(TotalBelowReserved, match="between"):
        services.stock_set_total(item_id=item.pk, day=day + timedelta(days=400), total=5)
    from catalog.errors import DishNotFound

    with pytest.raises(DishNotFound):
        services.stock_set_total(item_id=999_999, day=day, total=5)
    assert DishDay.objects.get(item=item, day=day).total == 3
