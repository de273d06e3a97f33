"""Live pages in a real browser against a running daphne and Redis: nobody reloads anything."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from slots import services as slot_services
from tests.browser.conftest import add_to_cart, fill_checkout, off_loop, order_in_browser, restart_redis
from tests.conftest import kitchen, place_order
from tests.factories import DeliverySlotFactory, MenuItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAST = 2_000  # ms: a change must show within two seconds


def _checkout(page, base_url):
    page.goto(base_url + "/checkout/")
    expect(page.locator(".live-indicator")).to_have_text("Live")


def test_two_customers_see_each_others_orders_and_the_owners_changes(daphne_server, new_page):
    # given: two customers on checkout, B has chosen slot S
    MenuItemFactory(name="Risotto")
    s = DeliverySlotFactory(capacity=2)
    t = DeliverySlotFactory(capacity=4)
    a, b = new_page(), new_page()
    for page in (a, b):
        add_to_cart(page, daphne_server.url, "Risotto")
        _checkout(page, daphne_server.url)
    fill_checkout(b, name="Grace Hopper")
    b.locator(f"#slot-input-{s.pk}").check()

    # when: A orders into S
    fill_checkout(a)
    a.locator(f"#slot-input-{s.pk}").check()
    a.get_by_role("button", name="Place order").click()
    expect(a).to_have_url(re.compile(r"/orders/"))

    # then: B's places-left for S drops without navigation, and B's choice is kept
    expect(b.locator(f"#slot-{s.pk}")).to_contain_text("1 place left", timeout=FAST)
    expect(b.locator(f"#slot-input-{s.pk}")).to_be_checked()

    # when: the owner raises T's capacity in admin
    _checkout(a, daphne_server.url)
    owner = Client()
    owner.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = off_loop(
        owner.post,
        reverse("admin:slots_deliveryslot_change", args=[t.pk]),
        {
            "start_0": t.start.strftime("%Y-%m-%d"),
            "start_1": t.start.strftime("%H:%M:%S"),
            "end_0": t.end.strftime("%Y-%m-%d"),
            "end_1": t.end.strftime("%H:%M:%S"),
            "order_cutoff_0": t.order_cutoff.strftime("%Y-%m-%d"),
            "order_cutoff_1": t.order_cutoff.strftime("%H:%M:%S"),
            "capacity": 9,
        },
    )
    assert response.status_code == 302
    # then: both pages show it
    for page in (a, b):
        expect(page.locator(f"#slot-{t.pk}")).to_contain_text("9 places left", timeout=FAST)

    # when: another customer takes S's last place
    off_loop(place_order, s)
    # then: S is disabled on B's page and B is told to choose again; nothing typed is lost
    expect(b.locator(f"#slot-input-{s.pk}")).to_be_disabled(timeout=FAST)
    expect(b.locator(f"#slot-{s.pk}")).to_contain_text("Full")
    expect(b.locator("#slot-lost")).to_be_visible()
    expect(b.get_by_label("Name")).to_have_value("Grace Hopper")
    b.locator(f"#slot-input-{t.pk}").check()
    expect(b.locator("#slot-lost")).to_be_hidden()


def test_order_page_follows_the_order_live(daphne_server, new_page):
    MenuItemFactory(name="Risotto")
    slot = DeliverySlotFactory(capacity=3)
    page = new_page()
    public_id = order_in_browser(page, daphne_server.url, slot)
    expect(page.locator(".live-indicator")).to_have_text("Live")
    from orders.models import Order

    order = Order.objects.get(public_id=public_id)
    order = off_loop(kitchen, order, "start")
    expect(page.locator(".order-status")).to_contain_text("Being prepared", timeout=FAST)
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    off_loop(kitchen, order, "prepped")
    expect(page.locator(".order-status")).to_contain_text("Ready for delivery", timeout=FAST)
    expect(page.locator(".timeline li")).to_have_count(4)


def test_cancel_button_of_a_shared_card_still_works(daphne_server, new_page):
    """A card is the same for everyone and carries no CSRF token of its own; the page fills it in,
    on load and whenever a card arrives."""
    MenuItemFactory(name="Risotto")
    slot = DeliverySlotFactory(capacity=3)
    page = new_page()
    public_id = order_in_browser(page, daphne_server.url, slot)
    expect(page.locator(".live-indicator")).to_have_text("Live")
    token = page.locator('.order-status input[name="csrfmiddlewaretoken"]')
    expect(token).not_to_have_value("")
    from orders.models import Order

    assert Order.objects.get(public_id=public_id).status == Order.Status.CONFIRMED
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator(".order-status")).to_contain_text("Cancelled")


def test_page_heals_after_redis_restart(daphne_server, new_page):
    # given: a checkout page that is live
    slot = DeliverySlotFactory(capacity=5)
    page = new_page()
    _checkout(page, daphne_server.url)
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("5 places left")
    # when: Redis restarts under it, and a change is made after recovery
    restart_redis()
    off_loop(slot_services.slot_reserve, slot_id=slot.pk)
    # then: the page catches up by itself (reconnect + re-sync on open)
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("4 places left", timeout=30_000)
    expect(page.locator(".live-indicator")).to_have_text("Live", timeout=30_000)


def test_page_heals_after_daphne_restart(daphne_server, new_page):
    slot = DeliverySlotFactory(capacity=5)
    page = new_page()
    _checkout(page, daphne_server.url)
    daphne_server.restart()
    off_loop(slot_services.slot_reserve, slot_id=slot.pk)
    off_loop(slot_services.slot_reserve, slot_id=slot.pk)
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("3 places left", timeout=30_000)
    # and pushes flow again over the new connection
    expect(page.locator(".live-indicator")).to_have_text("Live", timeout=30_000)
    off_loop(slot_services.slot_reserve, slot_id=slot.pk)
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("2 places left", timeout=FAST)
