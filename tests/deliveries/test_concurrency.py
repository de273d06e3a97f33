"""Owner and drivers acting on one delivery at the same moment, on the real PostgreSQL."""

import copy
import functools

import pytest

from deliveries import services
from deliveries.models import Delivery
from orders import services as order_services
from orders.errors import OrderError, StaleVersion
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory, DriverFactory
from tests.threads import at_once

THREADS = 20
LEGAL_NEXT = {
    "": {"pending"},
    "pending": {"assigned"},
    "assigned": {"assigned", "out_for_delivery"},
    "out_for_delivery": {"delivered", "failed"},
}


def _race(calls) -> list[str]:
    def meaning(outcome) -> str:
        if isinstance(outcome, StaleVersion):
            return "stale"
        if isinstance(outcome, OrderError):
            return "illegal"
        if isinstance(outcome, Exception):
            raise outcome
        return "ok"

    return [meaning(outcome) for outcome in at_once(calls)]


@pytest.mark.django_db(transaction=True)
def test_twenty_conflicting_clicks_one_winner_per_version():
    # given: a prepped order's delivery and two drivers
    slot = DeliverySlotFactory(capacity=5)
    order = place_order(slot)
    order = order_services.order_mark_prepped(order=order_services.order_start_prepping(order=order))
    delivery = Delivery.objects.get(order=order)
    drivers = [DriverFactory(), DriverFactory()]

    def attempts(seen: Delivery):
        """Everyone acts on the version they saw, each on their own copy of the page's delivery:
        assignments to either driver, starts, finishes and failures."""
        v = seen.version
        moves = [
            lambda d: services.delivery_assign(delivery=d, driver=drivers[0], version=v),
            lambda d: services.delivery_assign(delivery=d, driver=drivers[1], version=v),
            lambda d: services.delivery_start(delivery=d, version=v),
            lambda d: services.delivery_complete(delivery=d, version=v),
            lambda d: services.delivery_fail(delivery=d, version=v, reason="Nobody home"),
        ]
        return [functools.partial(moves[i % len(moves)], copy.copy(seen)) for i in range(THREADS)]

    for _ in range(4):
        seen = Delivery.objects.get(pk=delivery.pk)
        if seen.status in ("delivered", "failed"):
            break
        # when
        outcomes = _race(attempts(seen))
        # then: exactly one move wins for the version everyone saw
        assert len(outcomes) == THREADS
        assert outcomes.count("ok") == 1, outcomes
        assert Delivery.objects.get(pk=delivery.pk).version == seen.version + 1

    final = Delivery.objects.get(pk=delivery.pk)
    path = list(final.events.order_by("pk").values_list("to_status", flat=True))
    previous = ""
    for step in path:
        assert step in LEGAL_NEXT.get(previous, set()), path
        previous = step
    slot.refresh_from_db()
    expected_reserved = 0 if final.status in ("delivered", "failed") else 1
    assert slot.reserved == expected_reserved
