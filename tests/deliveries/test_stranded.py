"""A delivery is never stranded: when its driver cannot finish it (deactivated, phone lost), the owner can
finish it or hand it to another driver, and the order's slot place comes back."""

import pytest
from django.urls import reverse

from chefshop.statemachine import Actor
from deliveries import services
from deliveries.models import Delivery, Driver
from orders.models import Order
from slots.models import DeliverySlot
from tests.conftest import drive, kitchen, place_order
from tests.factories import DriverFactory

pytestmark = pytest.mark.django_db
D, S = Delivery.Status, Order.Status


def _out_with_a_driver_who_left(slot) -> Delivery:
    """An order out for delivery whose driver was then deactivated."""
    driver = DriverFactory()
    order = kitchen(kitchen(place_order(slot), "start"), "prepped")
    delivery = Delivery.objects.get(order=order)
    delivery = services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    delivery = drive(delivery, "start")
    Driver.objects.filter(pk=driver.pk).update(active=False)
    return delivery


def test_the_owner_finishes_a_delivery_whose_driver_left_and_the_place_comes_back(slot):
    delivery = _out_with_a_driver_who_left(slot)
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1
    # when: the owner marks it delivered
    services.delivery_step(delivery=delivery, step="owner_delivered", version=delivery.version, by=Actor.OWNER)
    # then: delivered, the order with it, and the slot counts it no more
    assert Delivery.objects.get(pk=delivery.pk).status == D.DELIVERED
    assert Order.objects.get(pk=delivery.order_id).status == S.DELIVERED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


def test_the_owner_hands_a_delivery_on_the_road_to_another_driver_who_finishes_it(slot):
    delivery = _out_with_a_driver_who_left(slot)
    other = DriverFactory()
    # when: handed to another driver
    delivery = services.delivery_assign(delivery=delivery, driver=other, version=delivery.version)
    # then: still on the road, now the other driver's, with the trip written for them; they finish it
    assert delivery.status == D.OUT_FOR_DELIVERY and delivery.driver_id == other.pk and delivery.trip
    drive(delivery, "failed", reason="Nobody home")
    assert Order.objects.get(pk=delivery.order_id).status == S.FAILED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


def test_the_dispatch_board_offers_the_owner_the_way_to_finish(client, slot, staff):
    delivery = _out_with_a_driver_who_left(slot)
    client.force_login(staff)
    assert "Mark delivered" in client.get(reverse("deliveries:dispatch")).content.decode()
    url = reverse("deliveries:dispatch_finish", args=[delivery.pk, "owner_failed"])
    refused = client.post(url, {"version": delivery.version, "reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "say why" in refused.content.decode()  # a reason is needed
    response = client.post(
        url, {"version": delivery.version, "reason": "Driver's van broke down"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == D.FAILED and delivery.failure_reason == "Driver's van broke down"
