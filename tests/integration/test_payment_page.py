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
SECURE_CARD = "4000002500003155"  # asks for 3-D Secure


def shop_taking_cards(processes, localstripe_url) -> str:
    """The shop's web process and worker with card payments (localstripe) and a four-second undo window."""
    env = {
        "PAYMENTS": "on",
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_JS_URL": localstripe_url + "/js.stripe.com/v3/",
        "ORDER_UNDO_SECONDS": str(UNDO),
    }
    processes("worker", **env)
    return processes("daphne", **env).url


def place_order(page, base: str, slot) -> None:
    add_to_cart(page, base, "Risotto")
    page.goto(base + "/checkout/")
    fill_checkout(page)
    page.locator(f"#slot-input-{slot.pk}").check()
    page.get_by_role("button", name="Place order").click()


def pay_with(page, number: str, button: str) -> None:
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("31")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_role("button", name=button).click()


def test_a_customer_pays_on_the_order_page_and_sees_it_received_then_confirmed(processes, new_page, localstripe_url):
    # given: the shop takes cards; another customer watches the slot picker
    base = shop_taking_cards(processes, localstripe_url)
    MenuItemFactory(name="Risotto", price="12.50")
    slot = DeliverySlotFactory(capacity=3)
    other = new_page()
    other.goto(base + "/checkout/")
    expect(other.locator(f"#slot-{slot.pk}")).to_contain_text("3 places left")

    # when: a customer places the order
    customer = new_page()
    place_order(customer, base, slot)
    # then: it waits for payment, holding its place: another customer's picker shows it taken at once
    expect(customer.locator(".order-status")).to_contain_text("Awaiting payment")
    expect(other.locator(f"#slot-{slot.pk}")).to_contain_text("2 places left", timeout=2_000)
    expect(customer.locator("#payment-panel")).to_contain_text("€12.50")

    # when: the customer pays with the test card
    pay_with(customer, "4242424242424242", "Pay €12.50")
    # then: the order page moves by itself: received (the undo window), then confirmed once captured
    expect(customer.locator(".order-status")).to_contain_text("Received", timeout=10_000)
    expect(customer.locator(".order-status")).to_contain_text("Confirmed", timeout=(UNDO + 10) * 1000)
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == PaymentAttempt.Status.CAPTURED and attempt.amount == 1250
    assert attempt.card.startswith("pm_")  # the browser made a PaymentMethod, as Stripe.js does
    assert Order.objects.get().status == Order.Status.CONFIRMED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1


def test_a_card_that_asks_for_3d_secure_is_confirmed_in_the_page_and_a_failed_check_lets_the_customer_retry(
    processes, new_page, localstripe_url
):
    # given: the shop takes cards, and a customer's order waits for payment
    base = shop_taking_cards(processes, localstripe_url)
    MenuItemFactory(name="Risotto", price="12.50")
    slot = DeliverySlotFactory(capacity=3)
    customer = new_page()
    place_order(customer, base, slot)
    expect(customer.locator(".order-status")).to_contain_text("Awaiting payment")

    # when: the card asks for 3-D Secure, and the customer fails the bank's check
    pay_with(customer, SECURE_CARD, "Pay €12.50")
    panel = customer.locator("#payment-panel")
    expect(panel).to_contain_text("Your bank asks you to confirm this payment", timeout=10_000)
    customer.get_by_role("button", name="Confirm with my bank").click()
    customer.get_by_role("button", name="Fail authentication").click()
    # then: the page says so and offers another try; nothing is authorised and the place stays held
    expect(panel.get_by_role("alert").first).to_contain_text("declined", timeout=10_000)
    expect(customer.locator(".order-status")).to_contain_text("Awaiting payment")
    assert PaymentAttempt.objects.get().status == PaymentAttempt.Status.DECLINED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1

    # when: the customer tries again and passes the check
    pay_with(customer, SECURE_CARD, "Try another card")
    expect(panel).to_contain_text("Your bank asks you to confirm this payment", timeout=10_000)
    customer.get_by_role("button", name="Confirm with my bank").click()
    customer.get_by_role("button", name="Complete authentication").click()
    # then: the order is received, then confirmed once the worker captures; the failed try was never charged
    expect(customer.locator(".order-status")).to_contain_text("Received", timeout=10_000)
    expect(customer.locator(".order-status")).to_contain_text("Confirmed", timeout=(UNDO + 10) * 1000)
    attempts = list(PaymentAttempt.objects.order_by("pk").values_list("status", "card"))
    assert [status for status, _ in attempts] == [PaymentAttempt.Status.DECLINED, PaymentAttempt.Status.CAPTURED]
    assert all(card.startswith("pm_") for _, card in attempts)
    assert Order.objects.get().status == Order.Status.CONFIRMED
