"""Paying by card in a real browser, against localstripe, with the real worker capturing."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from payments.models import PaymentAttempt
from slots.models import DeliverySlot
from tests.browser.conftest import add_to_cart, fill_checkout
from tests.factories import DeliverySlotFactory, MenuItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
UNDO = 4


def test_a_customer_pays_on_the_order_page_and_sees_it_received_then_confirmed(processes, new_page, localstripe_url):
    # given: the shop takes cards (localstripe), with a four-second undo window
    env = {
        "PAYMENTS": "on",
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_JS_URL": localstripe_url + "/js.stripe.com/v3/",
        "ORDER_UNDO_SECONDS": str(UNDO),
    }
    processes("worker", **env)
    base = processes("daphne", **env).url
    MenuItemFactory(name="Risotto", price="12.50")
    slot = DeliverySlotFactory(capacity=3)
    other = new_page()
    other.goto(base + "/checkout/")
    expect(other.locator(f"#slot-{slot.pk}")).to_contain_text("3 places left")

    # when: a customer places the order
    customer = new_page()
    add_to_cart(customer, base, "Risotto")
    customer.goto(base + "/checkout/")
    fill_checkout(customer)
    customer.locator(f"#slot-input-{slot.pk}").check()
    customer.get_by_role("button", name="Place order").click()
    # then: it waits for payment, holding its place: another customer's picker shows it taken at once
    expect(customer.locator(".order-status")).to_contain_text("Awaiting payment")
    expect(other.locator(f"#slot-{slot.pk}")).to_contain_text("2 places left", timeout=2_000)
    expect(customer.locator("#payment-panel")).to_contain_text("€12.50")

    # when: the customer pays with the test card
    customer.get_by_placeholder("number").fill("4242424242424242")
    customer.get_by_placeholder("exp_month").fill("12")
    customer.get_by_placeholder("exp_year").fill("31")
    customer.get_by_placeholder("cvc").fill("123")
    customer.get_by_role("button", name="Pay €12.50").click()
    # then: the order page moves by itself: received (the undo window), then confirmed once captured
    expect(customer.locator(".order-status")).to_contain_text("Received", timeout=10_000)
    expect(customer.locator(".order-status")).to_contain_text("Confirmed", timeout=(UNDO + 10) * 1000)
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == PaymentAttempt.Status.CAPTURED and attempt.amount == 1250
    assert Order.objects.get().status == Order.Status.CONFIRMED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1
