import re

import pytest
from playwright.sync_api import expect

from slots.models import DeliverySlot
from tests.factories import CategoryFactory, DeliverySlotFactory, MenuItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_customer_orders_cancels_and_sees_the_place_back(daphne_server, new_page):
    # given: a menu and one slot with five places
    mains = CategoryFactory(name="Mains")
    MenuItemFactory(category=mains, name="Mushroom risotto")
    MenuItemFactory(category=mains, name="Beef ragù")
    slot = DeliverySlotFactory(capacity=5)
    page = new_page(viewport={"width": 390, "height": 844})

    # when: a new customer adds two dishes from the menu without leaving it
    page.goto(daphne_server.url + "/")
    page.get_by_role("button", name="Add Mushroom risotto to cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    page.get_by_role("button", name="Add Beef ragù to cart").click()
    expect(page.locator("#cart-count")).to_have_text("2")
    assert page.url == daphne_server.url + "/"

    # and checks out into the slot
    page.goto(daphne_server.url + "/checkout/")
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("5 places left")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone").fill("+44 7700 900123")
    page.get_by_label("Address").fill("1 High Street")
    page.locator(f"#slot-input-{slot.pk}").check()
    page.get_by_role("button", name="Place order").click()

    # then: the order page
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(page.locator(".order-status")).to_contain_text("Confirmed")
    expect(page.locator(".order-items")).to_contain_text("Mushroom risotto")
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1

    # when: they cancel
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator(".order-status")).to_contain_text("Cancelled")

    # then: the place is back on the checkout page
    page.goto(daphne_server.url + "/checkout/")
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("5 places left")
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
