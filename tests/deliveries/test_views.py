"""Boards, the driver page and their permissions."""

import pytest
from django.test import Client

from deliveries import services
from deliveries.models import Delivery
from orders.models import Order
from slots.models import DeliverySlot
from tests.conftest import cook, drive, place_order
from tests.factories import DriverFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def owner(staff):
    return _client(staff)


def _prepped(slot) -> Order:
    order = place_order(slot, notes="Gate code 1234")
    return cook(order)


def test_login_sends_each_role_home(db):
    UserFactory(username="boss", is_staff=True)
    DriverFactory(user=UserFactory(username="wheels"))
    UserFactory(username="eater")
    for username, home in (("boss", "/owner/kitchen/"), ("wheels", "/driver/"), ("eater", "/")):
        response = Client().post("/accounts/login/", {"username": username, "password": "pass-word-123"})
        assert response["Location"] == home, username


def test_kitchen_board_flow(owner, slot):
    order = place_order(slot, notes="No nuts")
    page = owner.get("/owner/kitchen/").content.decode()
    assert "No nuts" in page and "Start prepping" in page
    url = f"/owner/kitchen/orders/{order.public_id}/start/"
    response = owner.post(url, {"version": order.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Prepped" in response.content.decode()
    # the same stale click again: 409 with the fresh board, not an overwrite
    response = owner.post(url, {"version": order.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PREPPING


def test_a_step_without_a_version_is_a_400_with_the_fresh_card(owner, slot):
    order = place_order(slot)
    kitchen_url = f"/owner/kitchen/orders/{order.public_id}/start/"
    response = owner.post(kitchen_url, {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "missing the version" in response.content.decode()
    assert "Start prepping" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    driver = DriverFactory()
    delivery = Delivery.objects.get(order=cook(Order.objects.get(pk=order.pk)))
    response = owner.post(f"/owner/dispatch/{delivery.pk}/assign/", {"driver": driver.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "missing the version" in response.content.decode()
    services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    response = _client(driver.user).post(f"/driver/deliveries/{delivery.pk}/start/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "missing the version" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.ASSIGNED


def test_dispatch_and_driver_flow(owner, slot):
    driver = DriverFactory()
    delivery = Delivery.objects.get(order=_prepped(slot))
    page = owner.get("/owner/dispatch/").content.decode()
    assert f'id="delivery-{delivery.pk}"' in page and "(1 delivery)" in page
    response = owner.post(
        f"/owner/dispatch/{delivery.pk}/assign/",
        {"driver": driver.pk, "version": delivery.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.driver == driver
    phone = _client(driver.user)
    page = phone.get("/driver/").content.decode()
    assert "Gate code 1234" in page and 'href="tel:' in page and "Out for delivery" in page
    for action in ("start", "delivered"):
        delivery.refresh_from_db()
        response = phone.post(
            f"/driver/deliveries/{delivery.pk}/{action}/", {"version": delivery.version}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200, response.content
    assert Order.objects.get(pk=delivery.order_id).status == Order.Status.DELIVERED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
    assert "Delivered" in owner.get("/owner/dispatch/").content.decode()


def test_driver_failure_needs_a_reason(slot):
    driver = DriverFactory()
    delivery = Delivery.objects.get(order=_prepped(slot))
    delivery = services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    delivery = drive(delivery, "start")
    phone = _client(driver.user)
    url = f"/driver/deliveries/{delivery.pk}/failed/"
    response = phone.post(url, {"version": delivery.version, "reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    response = phone.post(url, {"version": delivery.version, "reason": "Nobody home"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Delivery.objects.get(pk=delivery.pk).failure_reason == "Nobody home"


def test_owner_and_driver_at_once_one_gets_409(owner, slot):
    first, second = DriverFactory(), DriverFactory()
    delivery = Delivery.objects.get(order=_prepped(slot))
    delivery = services.delivery_assign(delivery=delivery, driver=first, version=delivery.version)
    seen = delivery.version
    phone = _client(first.user)
    # the driver taps "Out for delivery" while the owner reassigns from the same version
    assert (
        phone.post(f"/driver/deliveries/{delivery.pk}/start/", {"version": seen}, HTTP_HX_REQUEST="true").status_code
        == 200
    )
    response = owner.post(
        f"/owner/dispatch/{delivery.pk}/assign/", {"driver": second.pk, "version": seen}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    card = response.content.decode()  # the card as it is now, with the reason
    assert f'id="delivery-{delivery.pk}"' in card and "changed meanwhile" in card and "Out for delivery" in card
    assert Delivery.objects.get(pk=delivery.pk).driver == first


def test_slots_board_actions(owner):
    from tests.factories import DeliverySlotFactory

    slot = DeliverySlotFactory(capacity=5, reserved=3)
    url = f"/owner/slots/{slot.pk}/"
    assert owner.post(url + "capacity/", {"capacity": 2}, HTTP_HX_REQUEST="true").status_code == 400
    assert owner.post(url + "capacity/", {"capacity": "lots"}, HTTP_HX_REQUEST="true").status_code == 400
    response = owner.post(url + "capacity/", {"capacity": 8}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "3/8" in response.content.decode()
    owner.post(url + "close/", HTTP_HX_REQUEST="true")
    assert DeliverySlot.objects.get(pk=slot.pk).closed
    owner.post(url + "reopen/")
    assert not DeliverySlot.objects.get(pk=slot.pk).closed


def test_every_id_bearing_url_refuses_the_wrong_people(slot):
    # given: an order that reached a driver
    driver, other_driver = DriverFactory(), DriverFactory()
    order = _prepped(slot)
    delivery = Delivery.objects.get(order=order)
    delivery = services.delivery_assign(delivery=delivery, driver=driver, version=delivery.version)
    anonymous, customer = _client(), _client(UserFactory())
    stranger_driver = _client(other_driver.user)
    owner_only = [
        ("get", "/owner/kitchen/"),
        ("get", "/owner/dispatch/"),
        ("get", "/owner/slots/"),
        ("post", f"/owner/kitchen/orders/{order.public_id}/start/"),
        ("post", f"/owner/dispatch/{delivery.pk}/assign/"),
        ("post", f"/owner/slots/{slot.pk}/close/"),
    ]
    for method, url in owner_only:
        assert getattr(anonymous, method)(url).status_code == 302, url  # to the login page
        assert getattr(customer, method)(url).status_code == 403, url
        assert getattr(stranger_driver, method)(url).status_code == 403, url
    for action in ("start", "delivered", "failed"):
        url = f"/driver/deliveries/{delivery.pk}/{action}/"
        assert stranger_driver.post(url, {"version": delivery.version}).status_code == 404
        assert customer.post(url).status_code == 403
        assert anonymous.post(url).status_code == 302
    assert "Gate code" not in stranger_driver.get("/driver/").content.decode()
    assert customer.get("/driver/").status_code == 403
    for client in (stranger_driver, customer, anonymous):
        assert client.get(order.get_absolute_url()).status_code == 404
        assert client.post(f"{order.get_absolute_url()}cancel/").status_code == 404
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.ASSIGNED
