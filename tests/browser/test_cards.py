"""One card per change, in a real browser: new rows appear in place, bursts end on the last value,
and a push never throws away what a person is doing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import MenuItem
from deliveries import services as delivery_services
from deliveries.models import Delivery
from slots import services as slot_services
from tests.browser.conftest import add_to_cart, off_loop
from tests.conftest import cook, place_order
from tests.factories import DeliverySlotFactory, DriverFactory, MenuItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAST = 2_000  # ms


def _owner_page(new_page, base: str, path: str):
    """A page logged in as staff (the session made server-side), open on ``path`` and live."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.session.session_key, "url": base}],
    )
    page.goto(base + path)
    expect(page.locator(".live-indicator")).to_have_text("Live")
    return page, client


def _picker(new_page, base: str):
    if not MenuItem.objects.filter(name="Risotto").exists():
        MenuItemFactory(name="Risotto")
    page = new_page()
    add_to_cart(page, base, "Risotto")
    page.goto(base + "/checkout/")
    expect(page.locator(".live-indicator")).to_have_text("Live")
    return page


def test_a_slot_created_in_admin_appears_in_its_place_on_an_open_picker(daphne_server, new_page):
    # given: a picker with two slots, a day apart
    early = DeliverySlotFactory(start=timezone.now().replace(microsecond=0) + timedelta(hours=4))
    late = DeliverySlotFactory(start=early.start + timedelta(days=1))
    page = _picker(new_page, daphne_server.url)
    expect(page.locator("#slot-list > li.slot")).to_have_count(2)
    expect(page.locator("#slot-list > li.slot-day")).to_have_count(2)  # grouped by delivery day

    # when: the owner adds a slot between them in admin
    owner = Client()
    owner.force_login(UserFactory(is_staff=True, is_superuser=True))
    start = timezone.localtime(early.start + timedelta(hours=5))
    fields = {}
    for name, moment in (
        ("start", start),
        ("end", start + timedelta(hours=1)),
        ("order_cutoff", start - timedelta(hours=1)),
    ):
        fields[f"{name}_0"], fields[f"{name}_1"] = moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")
    response = off_loop(owner.post, reverse("admin:slots_deliveryslot_add"), {**fields, "capacity": 7})
    assert response.status_code == 302

    # then: it appears without a reload, between the other two, and can be chosen
    from slots.models import DeliverySlot

    new = DeliverySlot.objects.exclude(pk__in=[early.pk, late.pk]).get()
    expect(page.locator(f"#slot-{new.pk}")).to_contain_text("7 places left", timeout=FAST)
    ids = page.locator("#slot-list > li.slot").evaluate_all("items => items.map(li => li.id)")
    assert ids == [f"slot-{early.pk}", f"slot-{new.pk}", f"slot-{late.pk}"]
    page.locator(f"#slot-input-{new.pk}").check()


def test_sixty_changes_in_a_row_end_on_the_last_value_on_every_picker(daphne_server, new_page):
    # given: two customers on the picker
    slot = DeliverySlotFactory(capacity=5)
    pages = [_picker(new_page, daphne_server.url), _picker(new_page, daphne_server.url)]

    # when: the owner changes the capacity 60 times back to back
    def burst():
        for capacity in range(10, 70):
            slot_services.slot_set_capacity(slot_id=slot.pk, capacity=capacity)

    off_loop(burst)

    # then: every page ends on the last value and version
    slot.refresh_from_db()
    for page in pages:
        expect(page.locator(f"#slot-{slot.pk}")).to_contain_text("69 places left", timeout=FAST)
        expect(page.locator(f"#slot-{slot.pk}")).to_have_attribute("data-version", str(slot.version * 2))


def _prepped(slot, name):
    order = place_order(slot, name=name)
    order = cook(order)
    return Delivery.objects.get(order=order)


def test_a_half_made_driver_choice_survives_a_push_for_another_card(daphne_server, new_page):
    # given: two deliveries waiting, and the owner choosing a driver for the first one
    slot = DeliverySlotFactory(capacity=5)
    first_driver, second_driver = DriverFactory(name="Ada"), DriverFactory(name="Brian")
    first, second = off_loop(_prepped, slot, "Alice"), off_loop(_prepped, slot, "Bob")
    page, _ = _owner_page(new_page, daphne_server.url, "/owner/dispatch/")
    choice = page.locator(f"#driver-for-{first.pk}")
    choice.select_option(str(second_driver.pk))
    choice.focus()

    # when: someone else assigns the second delivery (its card moves to "On the road")
    off_loop(delivery_services.delivery_assign, delivery=second, driver=first_driver, version=second.version)

    # then: that card moved, and the half-made choice is still there, focused
    expect(page.locator(f"#dispatch-road #delivery-{second.pk}")).to_contain_text("Ada", timeout=FAST)
    expect(choice).to_have_value(str(second_driver.pk))
    expect(choice).to_be_focused()

    # and a push for the card itself keeps the choice while the select is being used
    off_loop(
        delivery_services.delivery_assign,
        delivery=Delivery.objects.get(pk=second.pk),
        driver=second_driver,
        version=Delivery.objects.get(pk=second.pk).version,
    )
    expect(page.locator(f"#delivery-{second.pk}")).to_contain_text("Brian", timeout=FAST)
    expect(choice).to_have_value(str(second_driver.pk))

    # and a driver added meanwhile becomes a choice on the open board (the roster card), the half-made
    # choice still untouched
    DriverFactory(name="Chloe")
    other = page.locator(f"#driver-for-{second.pk}")
    expect(other.locator("option", has_text="Chloe")).to_have_count(1, timeout=15_000)
    expect(other).to_have_value(str(second_driver.pk))
    expect(choice).to_have_value(str(second_driver.pk))


def test_a_new_order_is_inserted_on_an_open_kitchen_board_without_replacing_the_others(daphne_server, new_page):
    # given: a kitchen board with one order on it, its card marked in the page's memory
    slot = DeliverySlotFactory(capacity=5)
    first = off_loop(place_order, slot, name="Alice")
    page, _ = _owner_page(new_page, daphne_server.url, "/owner/kitchen/")
    card = page.locator(f"#kitchen-order-{first.public_id}")
    expect(card).to_be_visible()
    card.evaluate("el => { el.keptAcrossPushes = true; }")

    # when: a new order comes in for the same slot
    second = off_loop(place_order, slot, name="Bob")

    # then: its card is inserted after the first, which is the very same element as before
    expect(page.locator(f"#kitchen-order-{second.public_id}")).to_contain_text("Bob", timeout=FAST)
    expect(page.locator(f"#kitchen-slot-{slot.pk}")).to_contain_text("(2 orders)")
    ids = page.locator("#kitchen-cards > li.card").evaluate_all("items => items.map(li => li.id)")
    assert ids == [f"kitchen-order-{first.public_id}", f"kitchen-order-{second.public_id}"]
    assert card.evaluate("el => el.keptAcrossPushes === true")

    # and when the kitchen finishes the first, only that card leaves
    off_loop(cook, first)
    expect(page.locator(f"#kitchen-order-{first.public_id}")).to_have_count(0, timeout=FAST)
    expect(page.locator(f"#kitchen-order-{second.public_id}")).to_be_visible()
