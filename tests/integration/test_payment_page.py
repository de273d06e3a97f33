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


def shop_selling_risotto(processes, localstripe_url):
    """The shop taking cards, with a 12.50 risotto on the menu and a slot of three places."""
    base = shop_taking_cards(processes, localstripe_url)
    MenuItemFactory(name="Risotto", price="12.50")
    return base, DeliverySlotFactory(capacity=3)


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
    base, slot = shop_selling_risotto(processes, localstripe_url)
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
    base, slot = shop_selling_risotto(processes, localstripe_url)
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


# Every fetch of the payment panel the page attempts, and whether payments.js let it through and swap.
PANEL_LOG = """
window.panelLog = [];
window.addEventListener("htmx:beforeRequest", function (event) {
  if (event.detail.elt.id === "payment-panel") window.panelLog.push(event.defaultPrevented ? "refused" : "fetched");
});
window.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.target.id === "payment-panel" && !event.detail.shouldSwap) window.panelLog.push("not swapped");
});
"""


def refused(page, count: int) -> None:
    """Wait until the page has refused ``count`` fetches of its payment panel."""
    page.wait_for_function(f"() => window.panelLog.filter(entry => entry === 'refused').length >= {count}")


def hold(page, url: str) -> list:
    """Hold the page's next request to ``url`` until the test lets it go on (``held``); later ones go through."""
    routes: list = []

    def handle(route) -> None:
        if routes:
            route.continue_()
        else:
            routes.append(route)

    page.route(url, handle)
    return routes


def held(page, routes: list, message: str):
    """The request ``hold`` holds, once the page has made it."""
    for _ in range(200):
        if routes:
            return routes[0]
        page.wait_for_timeout(50)  # lets Playwright deliver the request to the route
    raise AssertionError(message)


def the_order_changes(note: str) -> int:
    """The order changes while its customer is on its page (as a payment's news changes it); its new version."""
    from django.db import transaction

    from orders import services as order_services

    order = Order.objects.get()
    with transaction.atomic():
        order_services.order_payment_update(order_id=order.pk, payment_note=note)
    order.refresh_from_db()
    return order.version


def test_the_payment_panel_never_replaces_a_form_in_use_and_catches_up_once_it_is_left(
    processes, new_page, localstripe_url
):
    # given: a customer's order waits for payment; its panel shows the card form for the order as it is
    base, slot = shop_selling_risotto(processes, localstripe_url)
    customer = new_page()
    customer.add_init_script(PANEL_LOG)
    place_order(customer, base, slot)
    panel = customer.locator("#payment-panel")
    shown = panel.locator("[data-order-version]")
    expect(panel.get_by_role("button", name="Pay €12.50")).to_be_visible()
    expect(shown).to_have_attribute("data-order-version", str(Order.objects.get().version))
    # the provider's script is loaded and leaves the page's globals alone (htmx needs its Element)
    expect(customer.get_by_placeholder("number")).to_be_visible()
    assert customer.evaluate("() => typeof Stripe === 'function' && Element === window.Element")

    # when: the order changes, and while the panel fetches itself again the customer starts typing a card
    status = customer.locator(".order-status")
    before = Order.objects.get().version
    fetch_sent = hold(customer, "**/payments/orders/*/")
    the_order_changes("Changed as you started")
    fetch = held(customer, fetch_sent, "the panel did not fetch itself again")
    customer.get_by_placeholder("number").fill("4242")
    fetch.continue_()
    # then: the panel it fetched is not swapped in over what is being typed
    customer.wait_for_function("() => window.panelLog.includes('not swapped')")
    expect(shown).to_have_attribute("data-order-version", str(before))
    expect(customer.get_by_placeholder("number")).to_have_value("4242")

    # when: the customer leaves the half-typed card, and the order changes again
    customer.get_by_role("heading", name="Your order").click()
    version = the_order_changes("Changed while your card was half typed")
    expect(status).to_contain_text("Changed while your card was half typed")
    # then: the panel is not fetched again: what was typed stays
    refused(customer, 1)
    expect(shown).to_have_attribute("data-order-version", str(before))
    expect(customer.get_by_placeholder("number")).to_have_value("4242")

    # when: the customer clears the card and leaves the form
    customer.get_by_placeholder("number").fill("")
    customer.get_by_role("heading", name="Your order").click()
    # then: the panel catches up with the order
    expect(shown).to_have_attribute("data-order-version", str(version))

    # when: the customer is in the card form and the order changes
    customer.get_by_placeholder("number").click()
    the_order_changes("Changed while you were in the card form")
    expect(status).to_contain_text("Changed while you were in the card form")
    # then: the panel is not fetched again under the customer's fingers
    refused(customer, 2)
    expect(shown).to_have_attribute("data-order-version", str(version))

    # when: the customer pays with a card that asks for 3-D Secure, and the order changes while the card is
    # on its way to the provider
    card_sent = hold(customer, "**/v1/payment_methods")
    pay_with(customer, SECURE_CARD, "Pay €12.50")
    sent = held(customer, card_sent, "the card form never asked the provider for a PaymentMethod")
    the_order_changes("Changed while your card was sent")
    expect(status).to_contain_text("Changed while your card was sent")
    refused(customer, 3)
    # (and the provider's script will be slow to arrive on the next page)
    script_sent = hold(customer, "**/js.stripe.com/v3/")
    sent.continue_()
    # then: the payment goes through all the same, and the bank asks for its check
    expect(panel).to_contain_text("Your bank asks you to confirm this payment", timeout=10_000)

    # when: the customer confirms before the provider's script has arrived
    customer.get_by_role("button", name="Confirm with my bank").click()
    # then: the form waits for it rather than going without the bank's check, which opens once it is there
    script = held(customer, script_sent, "the 3-D Secure form never asked for the provider's script")
    expect(customer.get_by_role("button", name="Confirm with my bank")).to_be_disabled()
    script.continue_()
    expect(customer.get_by_role("button", name="Complete authentication")).to_be_visible()

    # when: the order changes while the bank's check is open
    the_order_changes("Changed during 3-D Secure")
    expect(status).to_contain_text("Changed during 3-D Secure")
    refused(customer, 1)  # a new page since the payment was sent
    customer.get_by_role("button", name="Complete authentication").click()
    # then: the check goes through, and the order is received, paid with a PaymentMethod
    expect(status).to_contain_text("Received", timeout=10_000)
    attempt = PaymentAttempt.objects.get()
    assert attempt.card.startswith("pm_")
    assert attempt.status in (PaymentAttempt.Status.AUTHORISED, PaymentAttempt.Status.CAPTURED)
