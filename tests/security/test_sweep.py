"""The security sweep: every id-bearing page and topic × every role, CSRF, login lockout, deploy checks."""

import os
import secrets
import subprocess
import sys

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from chefshop.asgi import application
from deliveries import services as delivery_services
from deliveries.models import Delivery
from orders.shopper import SESSION_KEY
from tests.browser.conftest import ROOT
from tests.conftest import cook, place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, DriverFactory, UserFactory

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@pytest.fixture
def world():
    """One order of a customer (by browser and by account) that reached driver A."""
    slot = DeliverySlotFactory(capacity=5)
    customer = UserFactory(username="customer-a")
    line = CartLineFactory()
    order = place_order(slot, cart=line.cart, user=customer, token=line.cart.token)
    order = cook(order)
    delivery = Delivery.objects.get(order=order)
    driver_a, driver_b = DriverFactory(), DriverFactory()
    delivery = delivery_services.delivery_assign(delivery=delivery, driver=driver_a, version=delivery.version)
    return {
        "slot": slot,
        "order": order,
        "delivery": delivery,
        "token": line.cart.token,
        "users": {
            "anonymous": None,
            "other customer": UserFactory(),
            "customer": customer,
            "driver A": driver_a.user,
            "driver B": driver_b.user,
            "owner": UserFactory(is_staff=True),
        },
    }


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _refused(response) -> bool:
    """Not found, forbidden, or sent to a login page."""
    location = response.get("Location", "")
    return response.status_code in (403, 404) or (
        response.status_code == 302 and ("/accounts/login/" in location or "/admin/login/" in location)
    )


def _day(slot) -> str:
    return f"{timezone.localdate(slot.start):%Y-%m-%d}"


def _dish(world) -> int:
    return world["order"].items.first().menu_item_id


def _matrix(world):
    """(method, url, the roles allowed)."""
    order, delivery, slot = world["order"], world["delivery"], world["slot"]
    return [
        ("get", f"/orders/{order.public_id}/", {"customer", "owner"}),
        ("post", f"/orders/{order.public_id}/cancel/", {"customer", "owner"}),
        ("get", "/owner/kitchen/", {"owner"}),
        ("get", "/owner/dispatch/", {"owner"}),
        ("get", "/owner/slots/", {"owner"}),
        ("post", f"/owner/kitchen/orders/{order.public_id}/start/", {"owner"}),
        ("post", f"/owner/dispatch/{delivery.pk}/assign/", {"owner"}),
        ("post", f"/owner/slots/{slot.pk}/close/", {"owner"}),
        ("get", "/owner/stock/", {"owner"}),
        ("post", f"/owner/stock/{_dish(world)}/{_day(slot)}/", {"owner"}),
        ("get", "/driver/", {"driver A", "driver B"}),
        ("post", f"/driver/deliveries/{delivery.pk}/start/", {"driver A"}),
        ("post", f"/driver/deliveries/{delivery.pk}/delivered/", {"driver A"}),
        ("post", f"/driver/deliveries/{delivery.pk}/failed/", {"driver A"}),
        ("get", "/admin/orders/order/", {"owner"}),
    ]


@pytest.mark.django_db
def test_every_id_bearing_url_times_every_role(world):
    refused = []
    for method, url, allowed in _matrix(world):
        for role, user in world["users"].items():
            response = getattr(_client(user), method)(url, {"version": 0} if method == "post" else None)
            if role in allowed:
                assert response.status_code < 500, (role, url)
            elif not _refused(response):
                refused.append((role, method, url, response.status_code))
    assert refused == [], f"let in where it must not: {refused}"
    assert Delivery.objects.get(pk=world["delivery"].pk).driver.user == world["users"]["driver A"]


@pytest.mark.django_db(transaction=True)  # the consumer's database calls close old connections
def test_every_topic_times_every_role(world):
    order = world["order"]
    topics = {
        f"/ws/orders/{order.public_id}/": {"customer", "owner"},
        "/ws/owner/kitchen/": {"owner"},
        "/ws/owner/dispatch/": {"owner"},
        "/ws/owner/slots/": {"owner"},
        "/ws/driver/": {"driver A", "driver B"},
        "/ws/owner/stock/": {"owner"},
        "/ws/slots/": set(world["users"]),
        "/ws/stock/": set(world["users"]),
        f"/ws/menu/{_day(world['slot'])}/": set(world["users"]),
    }

    def cookie(user):
        client = _client(user)
        session = client.session
        session.save()
        return (b"cookie", f"sessionid={session.session_key}".encode())

    cookies = {role: cookie(user) for role, user in world["users"].items()}

    @async_to_sync
    async def sweep():
        wrong = []
        for path, allowed in topics.items():
            for role in world["users"]:
                communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, cookies[role]])
                connected, _ = await communicator.connect(timeout=5)
                if connected:
                    await communicator.disconnect()
                if connected != (role in allowed):
                    wrong.append((role, path, connected))
            communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"https://evil.example")])
            connected, _ = await communicator.connect(timeout=5)
            if connected:
                wrong.append(("foreign origin", path, True))
        return wrong

    assert sweep() == []


@pytest.mark.django_db
def test_order_page_for_the_same_browser_without_an_account(world):
    client = Client()
    session = client.session
    session[SESSION_KEY] = str(world["token"])
    session.save()
    assert client.get(world["order"].get_absolute_url()).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_posts_without_a_csrf_token_are_refused(world, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    order, delivery, slot = world["order"], world["delivery"], world["slot"]
    cases = [
        (None, "/cart/add/", {"item": 1}),
        (None, "/checkout/", {"slot": slot.pk}),
        ("customer", f"/orders/{order.public_id}/cancel/", {}),
        ("owner", f"/owner/kitchen/orders/{order.public_id}/start/", {}),
        ("owner", f"/owner/dispatch/{delivery.pk}/assign/", {}),
        ("owner", f"/owner/slots/{slot.pk}/close/", {}),
        ("owner", f"/owner/stock/{_dish(world)}/{_day(slot)}/", {"total": 3}),
        ("driver A", f"/driver/deliveries/{delivery.pk}/start/", {}),
        (None, "/accounts/login/", {"username": "x", "password": "y"}),
    ]
    for role, url, data in cases:
        client = Client(enforce_csrf_checks=True)
        if role:
            client.force_login(world["users"][role])
        assert client.post(url, data, **headers).status_code == 403, url
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.ASSIGNED


@pytest.mark.django_db
def test_login_lockout_cannot_be_dodged_with_a_forged_forwarded_for():
    UserFactory(username="victim")
    client = Client()
    for attempt in range(5):
        client.post(
            "/accounts/login/",
            {"username": "victim", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
    # the right password, from a "new" forwarded address: still locked
    response = client.post(
        "/accounts/login/", {"username": "victim", "password": "pass-word-123"}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # every failure was counted against the socket's address (the test client's), none against a claimed one
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_deploy_checks_pass_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="chefshop.settings_production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="shop.example.com",
        DEBUG="false",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
