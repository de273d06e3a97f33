"""What the shop's localstripe launcher (scripts/run_localstripe.py) adds to localstripe for the browser: the
card form creates a PaymentMethod with the publishable key, as with Stripe.js, and nothing else does."""

import requests

PUBLISHABLE = "pk_test_chefshop_local"
CARD = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2031", "card[cvc]": "123"}


def post(url: str, data: dict) -> requests.Response:
    return requests.post(url, data=data, timeout=10)


def test_the_publishable_key_creates_a_payment_method_and_nothing_else(localstripe_url):
    methods = f"{localstripe_url}/v1/payment_methods"
    # when: the browser creates a PaymentMethod with the publishable key, as the stand-in script does
    answer = post(methods, {"type": "card", **CARD, "key": PUBLISHABLE, "payment_user_agent": "localstripe"})
    # then: it is made, and can be read back with the secret key only
    assert answer.status_code == 200, answer.text
    method = answer.json()
    assert method["id"].startswith("pm_") and method["card"]["last4"] == "4242"
    assert requests.get(f"{methods}/{method['id']}", timeout=10).status_code == 401
    # and: no key, a secret key's name in the form, or the publishable key on another route is refused
    assert post(methods, {"type": "card", **CARD}).status_code == 401
    assert post(methods, {"type": "card", **CARD, "key": "sk_test_chefshop_local"}).status_code == 401
    intent = {"amount": 1250, "currency": "eur", "payment_method": method["id"], "confirm": "true", "key": PUBLISHABLE}
    assert post(f"{localstripe_url}/v1/payment_intents", intent).status_code == 401


def test_the_stand_in_script_is_localstripes_followed_by_create_payment_method_in_a_scope_of_their_own(
    localstripe_url,
):
    script = requests.get(f"{localstripe_url}/js.stripe.com/v3/", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    own = script.text.index("class Element")  # localstripe's own stand-in
    assert own < script.text.index('fetch(LOCALSTRIPE_BASE_API + "/v1/payment_methods"')
    # its top-level names (class Element) must not shadow the page's globals (window.Element)
    assert script.text.startswith("(function () {") and script.text.rstrip().endswith("})();")
