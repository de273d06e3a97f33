"""Kitchen, dispatch, slots board, the driver's phone and the customer's order page, all live."""

import re

import pytest
from playwright.sync_api import expect

from deliveries.models import Delivery
from tests.browser.conftest import add_to_cart, fill_checkout
from tests.factories import DeliverySlotFactory, DriverFactory, MenuItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAST = 2_000
PASSWORD = "pass-word-123"


def _login(page, base_url: str, username: str, lands_on: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base_url + lands_on)


def _live(page) -> None:
    expect(page.locator(".live-indicator")).to_have_text("Live")


def test_order_travels_from_kitchen_to_doorstep_live_everywhere(daphne_server, new_page, browser):
    base = daphne_server.url
    # given: an owner on kitchen + dispatch + slots board, a driver on the phone page
    UserFactory(username="boss", is_staff=True)
    driver = DriverFactory(user=UserFactory(username="wheels"), name="Wheels")
    MenuItemFactory(name="Risotto")
    slot = DeliverySlotFactory(capacity=4)

    owner_context = browser.new_context()
    owner_context.set_default_timeout(10_000)
    kitchen = owner_context.new_page()
    _login(kitchen, base, "boss", "/owner/kitchen/")
    _live(kitchen)
    dispatch = new_page()
    _login(dispatch, base, "boss", "/owner/kitchen/")
    dispatch.goto(base + "/owner/dispatch/")
    _live(dispatch)
    slots_board = owner_context.new_page()
    slots_board.goto(base + "/owner/slots/")
    _live(slots_board)
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    _login(phone, base, "wheels", "/driver/")
    _live(phone)

    # when: a customer orders
    customer = new_page()
    add_to_cart(customer, base, "Risotto")
    customer.goto(base + "/checkout/")
    fill_checkout(customer, name="Grace Hopper")
    customer.locator(f"#slot-input-{slot.pk}").check()
    customer.get_by_role("button", name="Place order").click()
    expect(customer).to_have_url(re.compile(r"/orders/"))
    _live(customer)

    # then: it appears on the kitchen board and the slots board counts it
    card = kitchen.locator(".card", has_text="Grace Hopper")
    expect(card).to_be_visible(timeout=FAST)
    expect(slots_board.locator(f"#board-slot-{slot.pk}")).to_contain_text("1/4", timeout=FAST)

    # when: the kitchen cooks it
    card.get_by_role("button", name=re.compile("Start prepping")).click()
    expect(card.get_by_text("Being prepared")).to_be_visible()
    expect(customer.locator(".order-status")).to_contain_text("Being prepared", timeout=FAST)
    card.get_by_role("button", name=re.compile("Prepped")).click()
    expect(kitchen.locator(".card", has_text="Grace Hopper")).to_have_count(0, timeout=FAST)

    # then: its delivery waits on dispatch; the owner assigns it
    pending = dispatch.locator("#dispatch-board .card", has_text="Grace Hopper")
    expect(pending).to_be_visible(timeout=FAST)
    pending.get_by_label("Driver").select_option(label="Wheels")
    pending.get_by_role("button", name=re.compile("^Assign")).click()

    # and it appears on the driver's phone with a cue
    expect(phone.locator(".new-banner")).to_be_visible(timeout=FAST)
    trip = phone.locator(".trip", has_text="Grace Hopper")
    expect(trip).to_be_visible()
    expect(trip.locator('a[href^="tel:"]')).to_be_visible()
    tap = trip.get_by_role("button", name="Out for delivery")
    box = tap.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a thumb-sized target
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    # when: the driver taps through
    tap.click()
    expect(customer.locator(".order-status")).to_contain_text("Out for delivery", timeout=FAST)
    phone.locator(".trip", has_text="Grace Hopper").get_by_role("button", name="Delivered").click()

    # then: everyone sees it delivered and the place is back
    expect(customer.locator(".order-status")).to_contain_text("Delivered", timeout=FAST)
    expect(dispatch.locator("#dispatch-finished")).to_contain_text("Grace Hopper", timeout=FAST)
    expect(slots_board.locator(f"#board-slot-{slot.pk}")).to_contain_text("0/4", timeout=FAST)
    expect(phone.locator(".trip", has_text="Grace Hopper")).to_have_count(0)
    assert Delivery.objects.get().driver == driver
    owner_context.close()
