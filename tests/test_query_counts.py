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
    # the days that can take orders; the dishes and their day's stock rows for the card versions; the same
    # two again for the cards not yet rendered
    assert small <= 5


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
    assert small <= 8


def test_cart_and_checkout_cost_the_same_with_5_or_500_dishes_and_1_or_30_in_the_cart(
    client, django_assert_max_num_queries
):
    # the slots; the cart and its lines; the dishes' versions and stock rows for the slot and stock cards
    _grow_menu(5)
    _grow_slots(5)
    client.post("/cart/add/", {"item": MenuItem.objects.filter(available=True).first().pk})
    small = {url: _queries(client, url) for url in ("/cart/", "/checkout/")}
    _grow_menu(500)
    for item in MenuItem.objects.filter(available=True)[:30]:
        client.post("/cart/add/", {"item": item.pk})
    for url, queries in small.items():
        with django_assert_max_num_queries(queries):
            body = client.get(url).content.decode()
        assert body.count('id="dish-stock-') == 30


def _grow_orders(total: int) -> None:
    """Orders at every stage the boards show, spread over slots; bulk-made so 1,000 stay quick."""
    import uuid

    from deliveries.models import Delivery, Driver
    from orders.models import Order, OrderItem
    from tests.factories import DriverFactory

    drivers = list(Driver.objects.all()) or [DriverFactory(), DriverFactory()]
    now = timezone.now()
    slots = list(DeliverySlot.objects.all()) or [
        DeliverySlot.objects.create(
            start=now + timedelta(hours=2 + i),
            end=now + timedelta(hours=3 + i),
            order_cutoff=now + timedelta(hours=1 + i),
            capacity=10_000,
        )
        for i in range(5)
    ]
    have = Order.objects.count()
    statuses = ["confirmed", "prepping", "prepped", "out_for_delivery", "delivered"]
    orders = Order.objects.bulk_create(
        Order(
            idempotency_key=uuid.uuid4(),
            slot=slots[i % len(slots)],
            status=statuses[i % 5],
            name=f"Customer {i}",
            email="c@example.com",
            phone="0123 456789",
            address=f"{i} Road",
            total="10.00",
            confirmed_at=now,
        )
        for i in range(have, total)
    )
    OrderItem.objects.bulk_create(
        OrderItem(order=o, name="Soup", unit_price="5.00", quantity=2) for o in orders for _ in range(2)
    )
    delivery_status = {"prepped": "pending", "out_for_delivery": "out_for_delivery", "delivered": "delivered"}
    Delivery.objects.bulk_create(
        Delivery(
            order=o,
            status=delivery_status[o.status],
            slot_start=o.slot.start,
            driver=None if o.status == "prepped" else drivers[o.pk % 2],
            trip={"name": o.name, "items": [{"quantity": 2, "name": "Soup"}]},
        )
        for o in orders
        if o.status in delivery_status
    )


@pytest.mark.parametrize("url", ["/owner/kitchen/", "/owner/dispatch/", "/owner/slots/", "/driver/"])
def test_boards_cost_the_same_with_10_or_500_orders(client, url, django_assert_max_num_queries):
    from deliveries.models import Driver
    from tests.factories import UserFactory

    _grow_orders(10)
    if url == "/driver/":
        client.force_login(Driver.objects.first().user)
    else:
        client.force_login(UserFactory(is_staff=True))
    small = _queries(client, url)
    _grow_orders(500)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    assert small <= 12
