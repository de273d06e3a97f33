"""The whole chain from kitchen to doorstep, with the slot's places counted at every step."""

import pytest

from chefshop.errors import IllegalTransition, StaleVersion
from chefshop.statemachine import Actor
from deliveries import services
from deliveries.models import Delivery
from orders import services as order_services
from orders.models import Order
from slots.models import DeliverySlot
from tests.conftest import drive, kitchen, place_order
from tests.factories import DriverFactory

pytestmark = pytest.mark.django_db
D, S = Delivery.Status, Order.Status


def _reserved(slot) -> int:
    return DeliverySlot.objects.get(pk=slot.pk).reserved


def _prepped(slot) -> Order:
    order = place_order(slot, notes="Leave at the door")
    order = kitchen(order, "start")
    return kitchen(order, "prepped")


def test_prepped_creates_one_pending_delivery_in_the_same_transaction(slot):
    order = _prepped(slot)
    delivery = Delivery.objects.get(order=order)
    assert delivery.status == D.PENDING
    assert services.delivery_create_for_order(order_id=order.pk).pk == delivery.pk  # twice → one
    assert Delivery.objects.count() == 1


def test_the_whole_chain_to_delivered(slot):
    # given
    driver = DriverFactory()
    order = place_order(slot)
    assert _reserved(slot) == 1
    order = kitchen(order, "start")
    assert _reserved(slot) == 1
    order = kitchen(order, "prepped")
    delivery = Delivery.objects.get(order=order)
    assert _reserved(slot) == 1
    # when: assigned, out, delivered
    delivery = services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    assert delivery.trip["name"] == order.name and delivery.trip["items"]
    assert _reserved(slot) == 1
    delivery = drive(delivery, "start")
    assert Order.objects.get(pk=order.pk).status == S.OUT_FOR_DELIVERY
    assert _reserved(slot) == 1
    delivery = drive(delivery, "delivered")
    # then
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED
    assert _reserved(slot) == 0
    assert list(delivery.events.values_list("to_status", flat=True)) == [
        "pending",
        "assigned",
        "out_for_delivery",
        "delivered",
    ]


def test_failed_delivery_returns_the_place_with_its_reason(slot):
    driver = DriverFactory()
    delivery = Delivery.objects.get(order=_prepped(slot))
    delivery = services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    delivery = drive(delivery, "start")
    with pytest.raises(IllegalTransition):
        drive(delivery, "failed", reason="   ")
    delivery = drive(delivery, "failed", reason="Nobody home")
    assert delivery.failure_reason == "Nobody home"
    assert Order.objects.get(pk=delivery.order_id).status == S.FAILED
    assert _reserved(slot) == 0


def test_cancel_before_prepping_returns_the_place_and_makes_no_delivery(slot):
    order = place_order(slot)
    order_services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    assert _reserved(slot) == 0
    assert not Delivery.objects.exists()


def test_reassign_and_stale_clicks(slot):
    first, second = DriverFactory(), DriverFactory()
    delivery = Delivery.objects.get(order=_prepped(slot))
    seen = delivery.version
    delivery = services.delivery_assign(delivery=delivery, driver=first, version=seen)
    # a second owner click made on the old page loses
    with pytest.raises(StaleVersion):
        services.delivery_assign(delivery=Delivery.objects.get(pk=delivery.pk), driver=second, version=seen)
    delivery = services.delivery_assign(delivery=delivery, driver=second, version=delivery.version)
    assert delivery.driver == second
    with pytest.raises(IllegalTransition):
        drive(delivery, "delivered")


def test_inactive_driver_cannot_be_assigned(slot):
    delivery = Delivery.objects.get(order=_prepped(slot))
    with pytest.raises(IllegalTransition):
        services.delivery_assign(delivery=delivery, driver=DriverFactory(active=False), version=delivery.version)
