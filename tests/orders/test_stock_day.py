"""An order's portions go back to the day they were taken from, and a slot with orders cannot be moved to
another day in admin (DESIGN §2, Stock)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import DishDay
from chefshop.statemachine import Actor
from orders import services
from slots.models import DeliverySlot
from tests.conftest import place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, MenuItemFactory
from tests.test_admin import _slot_form

pytestmark = pytest.mark.django_db


def test_portions_go_back_to_the_day_they_were_taken_from_even_after_the_slot_moved(settings):
    # given: an order of two portions for a slot on day D
    settings.ORDER_UNDO_SECONDS = 3600
    slot = DeliverySlotFactory(capacity=5)
    dish = MenuItemFactory(daily_portions=5)
    order = place_order(slot, cart=CartLineFactory(item=dish, quantity=2).cart)
    day = timezone.localdate(slot.start)
    assert DishDay.objects.get(item=dish, day=day).reserved == 2
    # when: the slot is moved to the next day behind the shop's back (a shell, a bulk update), then the
    # customer undoes the order
    DeliverySlot.objects.filter(pk=slot.pk).update(
        start=slot.start + timedelta(days=1), end=slot.end + timedelta(days=1)
    )
    order.refresh_from_db()
    services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    # then: day D gets its portions back; the next day is untouched
    assert DishDay.objects.get(item=dish, day=day).reserved == 0
    assert not DishDay.objects.filter(item=dish, day=day + timedelta(days=1), reserved__gt=0).exists()
    assert order.stock_day == day


def test_admin_refuses_to_move_a_slot_with_orders_to_another_day(client, staff):
    client.force_login(staff)
    slot = DeliverySlotFactory(
        capacity=5, start=timezone.now().replace(hour=12, minute=0, second=0) + timedelta(days=2)
    )
    place_order(slot)
    url = reverse("admin:slots_deliveryslot_change", args=[slot.pk])
    later = slot.start + timedelta(days=1)
    # when: the owner moves it to the next day
    day = later.strftime("%Y-%m-%d")
    response = client.post(url, _slot_form(slot, start_0=day, end_0=day))
    # then: refused, with the reason; the slot stays where it was
    assert response.status_code == 200
    assert "already has 1 order" in response.content.decode()
    assert DeliverySlot.objects.get(pk=slot.pk).start == slot.start
    # a move within the same day is fine
    response = client.post(url, _slot_form(slot, start_1="13:00:00", end_1="14:00:00"))
    assert response.status_code == 302
    assert timezone.localtime(DeliverySlot.objects.get(pk=slot.pk).start).hour == 13
