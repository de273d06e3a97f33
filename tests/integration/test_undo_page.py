"""The undo window in a real browser: countdown, undo in time, and the kitchen seeing the rest live."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from slots.models import DeliverySlot
from tests.browser.conftest import order_in_browser
from tests.factories import DeliverySlotFactory, MenuItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
UNDO = 4


def test_countdown_undo_and_confirmation_reach_every_page(processes, new_page):
    # given: the shop runs with a four-second undo window
    processes("worker", ORDER_UNDO_SECONDS=str(UNDO))
    daphne = processes("daphne", ORDER_UNDO_SECONDS=str(UNDO))
    base = daphne.url
    MenuItemFactory(name="Risotto")
    slot = DeliverySlotFactory(capacity=3)
    UserFactory(username="boss", is_staff=True)
    kitchen = new_page()
    kitchen.goto(base + "/accounts/login/")
    kitchen.get_by_label("Username").fill("boss")
    kitchen.get_by_label("Password").fill("pass-word-123")
    kitchen.get_by_role("button", name="Log in").click()
    expect(kitchen.locator(".live-indicator")).to_have_text("Live")

    # when: a customer orders and takes it back in time
    customer = new_page()
    order_in_browser(customer, base, slot)
    expect(customer.locator(".order-status")).to_contain_text("Received")
    expect(customer.locator("[data-countdown-until]")).to_have_text(re.compile(r"^[1-4] seconds?$"))
    customer.get_by_role("button", name="Undo order").click()
    expect(customer.locator(".order-status")).to_contain_text("Cancelled")
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0

    # when: the customer orders again and waits
    order_in_browser(customer, base, slot)
    # then: the window ends by itself; the order page and the kitchen board show it live
    expect(customer.locator(".order-status")).to_contain_text("Confirmed", timeout=(UNDO + 6) * 1000)
    expect(kitchen.locator(".card", has_text="Ada Lovelace")).to_have_count(1, timeout=2_000)
    assert list(Order.objects.values_list("status", flat=True).order_by("pk")) == ["cancelled", "confirmed"]
