"""Every open menu shows a day's portions left, and dish changes, without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import MenuItem
from tests.browser.conftest import fill_checkout, off_loop
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


def test_the_last_portion_sells_out_on_other_customers_pages_and_comes_back(daphne_server, new_page):
    import re

    from tests.browser.conftest import add_to_cart, order_in_browser

    soon = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    slot = DeliverySlotFactory(start=soon, end=soon + timedelta(hours=1), order_cutoff=soon - timedelta(hours=1))
    tomorrow = DeliverySlotFactory(
        start=soon + timedelta(days=1), end=soon + timedelta(days=1, hours=1), order_cutoff=soon + timedelta(hours=22)
    )
    ragu = MenuItemFactory(name="Beef ragu", price="12.00", daily_portions=1)
    day = timezone.localtime(soon)
    sold_out = f"Beef ragu sold out on {day:%a} {day.day} {day:%b}"
    # given: customer B has the last portion in the cart, with the menu, the cart and the checkout open
    b_menu = new_page()
    add_to_cart(b_menu, daphne_server.url, "Beef ragu")
    b_cart = b_menu.context.new_page()
    b_cart.goto(daphne_server.url + "/cart/")
    b_checkout = b_menu.context.new_page()
    b_checkout.goto(daphne_server.url + "/checkout/")
    expect(b_checkout.locator(".live-indicator")).to_have_text("Live")
    expect(b_checkout.locator(f"#slot-input-{slot.pk}")).to_be_enabled()
    expect(b_menu.locator(f"#dish-{ragu.pk} .low")).to_have_text("1 left")

    # when: customer A orders that last portion in another browser
    a_page = new_page()
    order_in_browser(a_page, daphne_server.url, slot, dish="Beef ragu")

    # then: B's menu says sold out, B's picker disables that day's slot and says why, B's cart flags the line
    expect(b_menu.locator(f"#dish-{ragu.pk}")).to_contain_text("Sold out", timeout=FAST)
    expect(b_checkout.locator(f"#slot-input-{slot.pk}")).to_be_disabled(timeout=FAST)
    expect(b_checkout.locator(f"#slot-{slot.pk}")).to_contain_text(sold_out)
    expect(b_checkout.locator(f"#slot-day-{day:%Y-%m-%d}")).to_contain_text(sold_out)
    expect(b_checkout.locator(f"#slot-input-{tomorrow.pk}")).to_be_enabled()  # another day has its own portion
    expect(b_cart.locator("[data-cart-line]")).to_contain_text(sold_out, timeout=FAST)

    # when: A cancels; then both come back on B's pages
    a_page.get_by_role("button", name=re.compile("cancel|undo", re.I)).click()
    expect(b_menu.locator(f"#dish-{ragu.pk} .low")).to_have_text("1 left", timeout=FAST)
    expect(b_checkout.locator(f"#slot-input-{slot.pk}")).to_be_enabled(timeout=FAST)
    expect(b_checkout.locator(f"#slot-{slot.pk}")).not_to_contain_text("sold out")
    expect(b_cart.locator("[data-cart-line]")).not_to_contain_text("sold out", timeout=FAST)

    # and a new price reaches B's cart and checkout before B places the order, and is the one B pays
    def reprice():
        item = MenuItem.objects.get(pk=ragu.pk)
        item.price = "13.50"
        item.save()

    off_loop(reprice)
    expect(b_cart.locator("[data-cart-line]")).to_contain_text("Price changed from €12.00 to €13.50", timeout=FAST)
    expect(b_cart.locator("[data-cart-total]")).to_have_text("€13.50")
    expect(b_checkout.locator("[data-cart-total]")).to_have_text("€13.50", timeout=FAST)
    fill_checkout(b_checkout, name="Bea")
    b_checkout.locator(f"#slot-input-{slot.pk}").check()
    b_checkout.get_by_role("button", name="Place order").click()
    b_checkout.wait_for_url(re.compile(r".*/orders/[0-9a-f-]{36}/$"))
    expect(b_checkout.locator("body")).to_contain_text("€13.50")
