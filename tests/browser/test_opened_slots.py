"""A later slot the owner opened on the kitchen board is repaired after a lost push: when its heading
changes, the page fetches the slot's cards again, and cards that left it go."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.test_boards import _live, _login
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REPAIRED = 30_000  # the digest runs every LIVE_DIGEST_SECONDS (10 s)


def test_a_later_slot_the_owner_opened_drops_a_card_whose_removal_was_lost(daphne_server, new_page):
    base = daphne_server.url
    UserFactory(username="boss", is_staff=True)
    now = timezone.now()
    for hours in (2, 3):  # the two slots in progress, shown in full
        place_order(DeliverySlotFactory(start=now + timedelta(hours=hours), capacity=5))
    later = DeliverySlotFactory(start=now + timedelta(days=1), capacity=5)
    kept, lost = place_order(later, name="Kept Customer"), place_order(later, name="Lost Customer")
    assert Order.objects.get(pk=lost.pk).status == Order.Status.CONFIRMED
    # given: the owner opened the later slot
    kitchen = new_page()
    _login(kitchen, base, "boss", "/owner/kitchen/")
    _live(kitchen)
    heading = kitchen.locator(f"#kitchen-slot-{later.pk}")
    heading.get_by_role("button", name="Show 2 orders").click()
    expect(kitchen.locator(f"#kitchen-order-{lost.public_id}")).to_be_visible()
    expect(kitchen.locator(f"#kitchen-order-{kept.public_id}")).to_be_visible()
    # when: an order leaves the slot and its push is lost (nothing is told to the live layer)
    Order.objects.filter(pk=lost.pk).update(status=Order.Status.CANCELLED, version=F("version") + 1)
    # then: the digest brings the heading's new count, and the page fetches the slot again
    expect(heading).to_contain_text("(1 order)", timeout=REPAIRED)
    expect(kitchen.locator(f"#kitchen-order-{lost.public_id}")).to_have_count(0, timeout=5_000)
    expect(kitchen.locator(f"#kitchen-order-{kept.public_id}")).to_be_visible()
