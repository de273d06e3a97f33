"""Owner and drivers acting on one delivery at the same moment, on the real PostgreSQL."""

import copy
import functools

import pytest

from chefshop.errors import DomainError, StaleVersion
from chefshop.statemachine import Actor
from deliveries import services
from deliveries.machine import DELIVERY_MACHINE
from deliveries.models import Delivery
from tests.conftest import cook, place_order
from tests.factories import DeliverySlotFactory, DriverFactory
from tests.threads import at_once

THREADS = 20


def _race(calls) -> list[str]:
    def meaning(outcome) -> str:
        if isinstance(outcome, StaleVersion):
            return "stale"
        if isinstance(outcome, DomainError):
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
    order = cook(order)
    delivery = Delivery.objects.get(order=order)
    drivers = [DriverFactory(), DriverFactory()]

    def attempts(seen: Delivery):
        """Everyone acts on the version they saw, each on their own copy of the page's delivery:
        assignments to either driver, starts, finishes and failures."""
        v = seen.version
        moves = [
            lambda d: services.delivery_assign(delivery=d, driver=drivers[0], version=v),
            lambda d: services.delivery_assign(delivery=d, driver=drivers[1], version=v),
            lambda d: services.delivery_step(delivery=d, step="start", version=v, by=Actor.DRIVER),
            lambda d: services.delivery_step(delivery=d, step="delivered", version=v, by=Actor.DRIVER),
            lambda d: services.delivery_step(delivery=d, step="failed", version=v, by=Actor.DRIVER, reason="No one"),
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
    assert DELIVERY_MACHINE.is_path(path), path
    slot.refresh_from_db()
    expected_reserved = 0 if final.status in ("delivered", "failed") else 1
    assert slot.reserved == expected_reserved
