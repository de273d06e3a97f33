"""localstripe as the shop runs it (scripts/run_localstripe.py) keeps every payment it answered across a restart,
even a hard kill in the middle of traffic. localstripe 1.15.10 on its own loses its whole store on the first
restart once it holds a few hundred authorised payments."""

import signal
import threading

import requests

from tests.provider import LocalStripe

AUTH = ("sk_test_chefshop_local", "")


def authorise(url: str) -> str:
    """One card payment authorised and waiting for capture, as the shop makes it; returns the intent id."""
    card = requests.post(
        f"{url}/v1/payment_methods",
        auth=AUTH,
        data={
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": 12,
            "card[exp_year]": 2031,
            "card[cvc]": 123,
        },
        timeout=10,
    ).json()["id"]
    answer = requests.post(
        f"{url}/v1/payment_intents",
        auth=AUTH,
        data={"amount": 1250, "currency": "eur", "payment_method": card, "confirm": "true", "capture_method": "manual"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["id"]


def test_a_killed_localstripe_comes_back_with_every_payment_it_answered(tmp_path):
    # given: localstripe with a store file, four shoppers paying at once
    server = LocalStripe(store=tmp_path / "localstripe.pickle").start()
    answered: list[str] = []
    enough = threading.Event()

    def shopper():
        while not enough.is_set():
            try:
                answered.append(authorise(server.url))
            except (requests.RequestException, KeyError, ValueError):
                return  # the server went away under this request: it never answered it
            if len(answered) >= 600:
                enough.set()

    shoppers = [threading.Thread(target=shopper) for _ in range(4)]
    for thread in shoppers:
        thread.start()
    enough.wait(timeout=120)

    # when: it is killed in the middle of that traffic (no chance to finish a write), then started again
    server.stop(signal.SIGKILL)
    for thread in shoppers:
        thread.join(timeout=30)
    assert len(answered) >= 600
    server.start()
    try:
        # then: every payment it answered is there and can be captured, once
        for intent in answered:
            found = requests.get(f"{server.url}/v1/payment_intents/{intent}", auth=AUTH, timeout=10)
            assert found.status_code == 200, (intent, found.text)
            assert found.json()["status"] == "requires_capture"
        for intent in (answered[0], answered[-1]):
            captured = requests.post(f"{server.url}/v1/payment_intents/{intent}/capture", auth=AUTH, timeout=10)
            assert captured.json()["status"] == "succeeded"
    finally:
        log = server.stop()
    assert "loaded" in log and "unreadable" not in log, log
