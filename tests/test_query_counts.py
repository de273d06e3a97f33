"""Pages cost a fixed number of queries, however much the shop holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import MenuItem
from slots.models import DeliverySlot
from tests.factories import CategoryFactory, MenuItemFactory

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow_menu(total: int) -> None:
    categories = [CategoryFactory() for _ in range(5)]
    have = MenuItem.objects.count()
    MenuItem.objects.bulk_create(
        MenuItem(category=categories[i % 5], name=f"Dish {i}", price="5.00", available=i % 7 != 0)
        for i in range(have, total)
    )


def _grow_slots(total: int) -> None:
    now = timezone.now()
    have = DeliverySlot.objects.count()
    DeliverySlot.objects.bulk_create(
        DeliverySlot(
            start=now + timedelta(minutes=20 * i + 90),
            end=now + timedelta(minutes=20 * i + 110),
            order_cutoff=now + timedelta(minutes=20 * i + 30),
            capacity=5,
            reserved=i % 6 if i % 6 < 5 else 5,
        )
        for i in range(have, total)
    )


def test_menu_costs_the_same_with_5_or_500_items(client, django_assert_max_num_queries):
    _grow_menu(5)
    small = _queries(client, "/")
    _grow_menu(500)
    assert MenuItem.objects.count() == 500
    with django_assert_max_num_queries(small):
        body = client.get("/").content.decode()
    assert body.count("data-item=") == 500
    assert small <= 4


def test_checkout_costs_the_same_with_5_or_500_slots(client, django_assert_max_num_queries):
    # given: something in the cart
    item = MenuItemFactory()
    client.post("/cart/add/", {"item": item.pk})
    _grow_slots(5)
    small = _queries(client, "/checkout/")
    _grow_slots(500)
    with django_assert_max_num_queries(small):
        body = client.get("/checkout/").content.decode()
    in_horizon = DeliverySlot.objects.filter(start__lt=timezone.now() + timedelta(days=7)).count()
    assert body.count('class="slot slot-') == in_horizon > 400
    assert small <= 6
