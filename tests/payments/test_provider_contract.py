"""What the shop sends its card processor, exactly: every call in ``payments.provider.CALLS`` is made
against localstripe, and what went on the wire must match the list, and every parameter must be one the
installed ``stripe`` package documents for that call (its typed parameter classes, ``stripe/params/``),
at the API version it pins. Real Stripe refuses what localstripe lets through, so this is where a
parameter Stripe would refuse (``payment_method_types`` at 2026-10-28.endive, a missing ``return_url``
with redirecting methods allowed) is caught."""

from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
import stripe.params
from stripe._http_client import RequestsClient

from payments import provider
from tests.payments.conftest import authorised_intent, card, held_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]


class Wire(list):
    """Every request the stripe library sent: (method, path, top-level parameter names)."""


@pytest.fixture
def wire(monkeypatch):
    sent = Wire()
    real = RequestsClient.request

    def record(self, method, url, headers, post_data=None):
        names = {key.split("[", 1)[0] for key, _ in parse_qsl(post_data or "", keep_blank_values=True)}
        sent.append((method.lower(), urlsplit(url).path, frozenset(names)))
        return real(self, method, url, headers, post_data)

    monkeypatch.setattr(RequestsClient, "request", record)
    return sent


def _shape(path: str, object_id: str) -> str:
    return path.replace(object_id, "{id}") if object_id else path


def test_the_pinned_api_version_is_the_one_the_list_was_written_for():
    assert stripe.api_version == "2026-10-28.endive", "read the changelog, then check provider.CALLS again"


def test_every_parameter_the_shop_sends_is_documented_for_its_call():
    for name, (_method, _path, params, documented_by) in provider.CALLS.items():
        documented = set(getattr(stripe.params, documented_by).__annotations__)
        assert params <= documented, f"{name} sends {sorted(params - documented)}, not in {documented_by}"
    # the parameter this API version refuses is never sent
    assert all("payment_method_types" not in params for _m, _p, params, _d in provider.CALLS.values())


def test_every_provider_call_sends_exactly_the_listed_parameters(slot, wire):
    # given: an attempt of the shop's
    from payments import services

    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    made: dict[str, tuple[str, str, frozenset[str]]] = {}

    def call(name, fn, object_id=""):
        before = len(wire)
        result = fn()
        assert len(wire) == before + 1, f"{name} made {len(wire) - before} requests"
        method, path, params = wire[-1]
        made[name] = (method, _shape(path, object_id), params)
        return result

    # when: each call the shop makes is made once
    method = card()
    intent = call(
        "create_intent",
        lambda: provider.create_intent(
            amount=attempt.amount, currency="EUR", card=method, attempt_key=str(attempt.key), order_ref="o"
        ),
    )
    assert intent["status"] == "requires_confirmation"  # nothing moved yet
    pi = intent["id"]
    call("confirm_intent", lambda: provider.confirm_intent(pi, str(attempt.key)), pi)
    call("retrieve_intent", lambda: provider.retrieve_intent(pi), pi)
    captured = call("capture_intent", lambda: provider.capture_intent(pi, str(attempt.key)), pi)
    refund = call("refund_intent", lambda: provider.refund_intent(pi, f"{attempt.key}-0"), "")
    call("retrieve_refund", lambda: provider.retrieve_refund(refund["id"]), refund["id"])
    charge = captured["latest_charge"]
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    call("retrieve_charge", lambda: provider.retrieve_charge(charge_id), charge_id)
    other = authorised_intent(services.attempt_start(order=held_order(slot), card=card()))
    call("cancel_intent", lambda: provider.cancel_intent(other["id"]), other["id"])
    # then: what went on the wire is the list, call by call
    assert made == {name: (method, path, params) for name, (method, path, params, _doc) in provider.CALLS.items()}
