"""Hypothesis drives the shop at random — orders, kitchen, deliveries, stale clicks, slot closing —
and checks after every step that the invariants hold."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from deliveries import services as delivery_services
from deliveries.models import Delivery
from orders import services as order_services
from orders.errors import OrderError, StaleVersion
from orders.models import Order
from slots import services as slot_services
from slots.errors import SlotClosed, SlotError, SlotFull
from slots.models import DeliverySlot
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory, DriverFactory

S, D = Order.Status, Delivery.Status
LIVE = {S.RECEIVED, S.CONFIRMED, S.PREPPING, S.PREPPED, S.OUT_FOR_DELIVERY}
ORDER_NEXT = {
    "": {S.RECEIVED},
    S.RECEIVED: {S.CONFIRMED, S.CANCELLED},
    S.CONFIRMED: {S.PREPPING, S.CANCELLED},
    S.PREPPING: {S.PREPPED},
    S.PREPPED: {S.OUT_FOR_DELIVERY},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.FAILED},
}
DELIVERY_NEXT = {
    "": {D.PENDING},
    D.PENDING: {D.ASSIGNED},
    D.ASSIGNED: {D.ASSIGNED, D.OUT_FOR_DELIVERY},
    D.OUT_FOR_DELIVERY: {D.DELIVERED, D.FAILED},
}


def _legal(path: list[str], table: dict) -> bool:
    previous = ""
    for step in path:
        if step not in table.get(previous, set()):
            return False
        previous = step
    return True


def _attempt(move, stale: bool) -> None:
    """Make a move; one made on a stale page must be refused as stale, never applied."""
    try:
        move()
        assert not stale, "a stale move went through"
    except StaleVersion:
        assert stale
    except OrderError:
        pass  # not possible from this state: fine, nothing changed


class Shop(RuleBasedStateMachine):
    """One slot, its orders and their deliveries; every move may be made on a stale page."""

    @initialize(capacity=st.integers(min_value=1, max_value=4))
    def open_shop(self, capacity):
        self.slot = DeliverySlotFactory(capacity=capacity)
        self.drivers = [DriverFactory(), DriverFactory()]
        self.order_ids: list[int] = []

    def _order(self, index: int) -> Order:
        return Order.objects.get(pk=self.order_ids[index % len(self.order_ids)])

    def _version(self, current: int, stale: bool) -> int:
        return current - 1 if stale else current

    @rule()
    def place(self):
        slot = DeliverySlot.objects.get(pk=self.slot.pk)
        try:
            self.order_ids.append(place_order(slot).pk)
        except SlotFull:
            assert slot.reserved == slot.capacity
        except SlotClosed:
            assert slot.closed

    @precondition(lambda self: self.order_ids)
    @rule(index=st.integers(min_value=0), stale=st.booleans(), step=st.sampled_from(["cancel", "start", "prepped"]))
    def kitchen_or_customer(self, index, stale, step):
        order = self._order(index)
        version = self._version(order.version, stale)
        move = {
            "cancel": lambda: order_services.order_cancel(order=order, version=version, by_customer=False),
            "start": lambda: order_services.order_start_prepping(order=order, version=version),
            "prepped": lambda: order_services.order_mark_prepped(order=order, version=version),
        }[step]
        _attempt(move, stale)

    @precondition(lambda self: Delivery.objects.filter(order_id__in=self.order_ids).exists())
    @rule(
        index=st.integers(min_value=0),
        stale=st.booleans(),
        step=st.sampled_from(["assign0", "assign1", "start", "delivered", "failed"]),
    )
    def dispatch_or_driver(self, index, stale, step):
        deliveries = list(Delivery.objects.filter(order_id__in=self.order_ids).order_by("pk"))
        delivery = deliveries[index % len(deliveries)]
        version = self._version(delivery.version, stale)
        move = {
            "assign0": lambda: delivery_services.delivery_assign(
                delivery=delivery, driver=self.drivers[0], version=version
            ),
            "assign1": lambda: delivery_services.delivery_assign(
                delivery=delivery, driver=self.drivers[1], version=version
            ),
            "start": lambda: delivery_services.delivery_start(delivery=delivery, version=version),
            "delivered": lambda: delivery_services.delivery_complete(delivery=delivery, version=version),
            "failed": lambda: delivery_services.delivery_fail(delivery=delivery, version=version, reason="Nobody home"),
        }[step]
        _attempt(move, stale)

    @rule(closed=st.booleans())
    def owner_opens_or_closes(self, closed):
        slot_services.slot_set_closed(slot_id=self.slot.pk, closed=closed)

    @rule(capacity=st.integers(min_value=0, max_value=6))
    def owner_sets_capacity(self, capacity):
        try:
            slot_services.slot_set_capacity(slot_id=self.slot.pk, capacity=capacity)
        except SlotError:
            assert DeliverySlot.objects.get(pk=self.slot.pk).reserved > capacity

    @invariant()
    def slot_counts_exactly_the_live_orders(self):
        if not hasattr(self, "slot"):
            return
        slot = DeliverySlot.objects.get(pk=self.slot.pk)
        live = Order.objects.filter(slot=slot, status__in=LIVE).count()
        assert 0 <= slot.reserved <= slot.capacity
        assert slot.reserved == live

    @invariant()
    def timelines_are_legal_paths(self):
        for order in Order.objects.filter(pk__in=getattr(self, "order_ids", [])).prefetch_related("events"):
            path = [e.to_status for e in order.events.all()]
            assert _legal(path, ORDER_NEXT), path
            assert path[-1] == order.status
        for delivery in Delivery.objects.filter(order_id__in=getattr(self, "order_ids", [])):
            path = list(delivery.events.order_by("pk").values_list("to_status", flat=True))
            assert _legal(path, DELIVERY_NEXT), path
            mirrored = {D.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY, D.DELIVERED: S.DELIVERED, D.FAILED: S.FAILED}
            if delivery.status in mirrored:
                assert delivery.order.status == mirrored[delivery.status]
            else:
                assert delivery.order.status == S.PREPPED


Shop.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
def test_shop_state_machine():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(Shop, settings=Shop.TestCase.settings)
