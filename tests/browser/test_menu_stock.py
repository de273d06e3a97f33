"""Every open menu shows a day's portions left, and dish changes, without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import MenuItem
from tests.browser.conftest import off_loop
from tests.conftest import place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, MenuItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAST = 2_000  # "within 1 s", with room for a shared machine


def test_orders_and_admin_changes_reach_an_open_menu(daphne_server, new_page):
    soon = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    slot = DeliverySlotFactory(start=soon, end=soon + timedelta(hours=1), order_cutoff=soon - timedelta(hours=1))
    ragu = MenuItemFactory(name="Beef ragu", daily_portions=3)
    soup = MenuItemFactory(name="Lentil soup")
    page = new_page()
    page.goto(daphne_server.url + "/")
    expect(page.locator(".live-indicator")).to_have_text("Live")
    expect(page.locator(f"#dish-{ragu.pk} .low")).to_have_text("3 left")
    # when: another customer orders two portions for that day
    off_loop(place_order, slot, cart=CartLineFactory(item=ragu, quantity=2).cart)
    # then: this menu says so at once, and sold out after the last one
    expect(page.locator(f"#dish-{ragu.pk} .low")).to_have_text("1 left", timeout=FAST)
    off_loop(place_order, slot, cart=CartLineFactory(item=ragu, quantity=1).cart)
    expect(page.locator(f"#dish-{ragu.pk}")).to_contain_text("Sold out", timeout=FAST)
    expect(page.get_by_role("button", name=f"Beef ragu is sold out on {soon:%a} {soon.day} {soon:%b}")).to_be_disabled()

    # and a dish made unavailable, renamed or added in admin shows too
    def admin_changes():
        soup.available = False
        soup.save()
        MenuItem.objects.create(category=soup.category, name="Fresh bread", price="2.50")

    off_loop(admin_changes)
    expect(page.locator(f"#dish-{soup.pk}")).to_contain_text("Unavailable", timeout=FAST)
    expect(page.get_by_role("button", name="Add Fresh bread to cart")).to_be_visible(timeout=FAST)


def test_the_owners_stock_page_follows_orders_live(daphne_server, new_page):
    from django.test import Client

    from tests.factories import UserFactory

    soon = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    slot = DeliverySlotFactory(start=soon, end=soon + timedelta(hours=1), order_cutoff=soon - timedelta(hours=1))
    ragu = MenuItemFactory(name="Beef ragu", daily_portions=5)
    owner = UserFactory(is_staff=True)
    client = Client()
    client.force_login(owner)
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": daphne_server.url}]
    )
    page.goto(daphne_server.url + "/owner/stock/")
    expect(page.locator(".live-indicator")).to_have_text("Live")
    row = page.locator(f"#stock-dish-{ragu.pk}")
    expect(row).to_contain_text("0/5")
    off_loop(place_order, slot, cart=CartLineFactory(item=ragu, quantity=2).cart)
    expect(row).to_contain_text("2/5", timeout=FAST)
