"""A write no service made reaches an open page: PostgreSQL raised the row's version, and the hub's digest
round sees it (chefshop/versions.py)."""

import pytest
from playwright.sync_api import expect

from slots.models import DeliverySlot
from tests.browser.conftest import add_to_cart
from tests.factories import DeliverySlotFactory, MenuItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DIGEST_ROUND = 30_000  # ms: the digest runs every LIVE_DIGEST_SECONDS (10 s)


def test_a_capacity_changed_by_hand_reaches_an_open_picker_within_a_digest_round(daphne_server, new_page):
    # given: a customer on checkout, looking at a slot with 4 places
    MenuItemFactory(name="Risotto")
    slot = DeliverySlotFactory(capacity=4)
    page = new_page()
    add_to_cart(page, daphne_server.url, "Risotto")
    page.goto(daphne_server.url + "/checkout/")
    expect(page.locator(".live-indicator")).to_have_text("Live")
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("4 places left")
    # when: a data fix raises the capacity, with no service called and nothing told to the live layer
    DeliverySlot.objects.filter(pk=slot.pk).update(capacity=9)
    # then: the open page shows it within a digest round
    expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("9 places left", timeout=DIGEST_ROUND)
