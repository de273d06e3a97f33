"""The state-machine tables drive these tests: every legal step is walked, every other move is refused
with the domain error, and Hypothesis plays the shop at random by the same tables."""

from collections import deque

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from catalog import services as catalog_services
from catalog.errors import SoldOut, TotalBelowReserved
from catalog.models import DishDay
from chefshop.errors import IllegalTransition, StaleVersion
from chefshop.statemachine import START, Actor, Machine, Step
from deliveries import services as delivery_services
from deliveries.machine import DELIVERY_MACHINE
from deliveries.machine import Effect as DeliveryEffect
from deliveries.models import Delivery
from orders import services as order_services
from orders.machine import ORDER_MACHINE, Effect
from orders.models import Order, OrderItem
from slots import services as slot_services
from slots.errors import SlotClosed, SlotError, SlotFull
from slots.models import DeliverySlot
from tests.conftest import cook, place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, DriverFactory, MenuItemFactory

# The order steps a delivery takes for its order; Hypothesis reaches them only through the delivery.
FOLLOWED = {step.target for step in DELIVERY_MACHINE if step.has(DeliveryEffect.ORDER_FOLLOWS)}
ORDER_STEPS = [step.name for step in ORDER_MACHINE if START not in step.sources and step.target not in FOLLOWED]
DELIVERY_STEPS = [step.name for step in DELIVERY_MACHINE if START not in step.sources]
# Portions stay taken unless a step gives them back (food never cooked).
PORTIONS_HELD = set(Order.Status.values) - {s.target for s in ORDER_MACHINE if s.has(Effect.RETURNS_PORTIONS)}
# The slot counts an order from the step that takes its place until one that gives it back.
PLACE_HELD = set(Order.Status.values) - {step.target for step in ORDER_MACHINE if step.has(Effect.RETURNS_PLACE)}


def paths(machine: Machine) -> dict[str, list[Step]]:
    """The shortest walk of steps from creation to every state the table can reach."""
    found = {step.target: [step] for step in machine if START in step.sources}
    queue = deque(found)
    while queue:
        state = queue.popleft()
        for step in machine:
            if state in step.sources and step.target not in found:
                found[step.target] = [*found[state], step]
                queue.append(step.target)
    return found


def test_every_state_is_reachable_and_every_step_has_a_label():
    for machine in (ORDER_MACHINE, DELIVERY_MACHINE):
        assert set(paths(machine)) == set(machine.states.values)
        assert all(step.label for step in machine)
        assert all(step.button for step in machine if step.board)


class Rollback(Exception):
    pass


def _outcome(move) -> str:
    """Try a move inside a savepoint that is always rolled back, so one row serves every attempt."""
    try:
        with transaction.atomic():
            move()
            raise Rollback
    except Rollback:
        return "ok"
    except StaleVersion:
        return "stale"
    except IllegalTransition:
        return "illegal"


def _walk_order(path: list[Step]) -> tuple[Order, object]:
    from django.test import override_settings

    with override_settings(PAYMENTS=path[0].name == "hold"):  # paid by card: the order first waits for it
        order = place_order(DeliverySlotFactory(capacity=5))
    assert order.status == path[0].target
    for step in path[1:]:
        by = next(iter(step.by))
        order = order_services.order_transition(order=order, step=step.name, version=order.version, by=by)

    def take(step: Step, by: Actor, version: int):
        fresh = Order.objects.get(pk=order.pk)
        return lambda: order_services.order_transition(order=fresh, step=step.name, version=version, by=by)

    return order, take


def _walk_delivery(path: list[Step]) -> tuple[Delivery, object]:
    driver = DriverFactory()

    def take(step: Step, by: Actor, version: int):
        fresh = Delivery.objects.select_related("order").get(pk=delivery.pk)
        return lambda: delivery_services.delivery_step(
            delivery=fresh, step=step.name, version=version, by=by, driver=driver, reason="Nobody home"
        )

    delivery = Delivery.objects.get(order=cook(place_order(DeliverySlotFactory(capacity=5))))
    for step in path[1:]:
        delivery = take(step, next(iter(step.by)), delivery.version)()
    return delivery, take


WALKS = [(ORDER_MACHINE, _walk_order, state) for state in sorted(paths(ORDER_MACHINE))] + [
    (DELIVERY_MACHINE, _walk_delivery, state) for state in sorted(paths(DELIVERY_MACHINE))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("machine", "walk", "state"), WALKS, ids=[f"{w[1].__name__[6:]}-{w[2]}" for w in WALKS])
def test_every_step_from_every_state_by_everyone(machine, walk, state, settings):
    """From each state: the steps the table allows go through for the people it names (and are a conflict
    from an older page); every other step, and every step by anyone else, is refused as illegal."""
    if machine is ORDER_MACHINE:
        settings.ORDER_UNDO_SECONDS = 60  # so "received" is a state to walk from, not passed at once
    row, take = walk(paths(machine)[state])
    assert row.status == state
    for step in machine:
        if START in step.sources:
            continue
        for by in Actor:
            expected = "ok" if state in step.sources and by in step.by else "illegal"
            assert _outcome(take(step, by, row.version)) == expected, (state, step.name, by)
            if expected == "ok":  # the same step from an older page is a conflict, never applied
                assert _outcome(take(step, by, row.version - 1)) == "stale", (state, step.name, by)
    assert type(row).objects.get(pk=row.pk).version == row.version  # nothing above was kept


def _attempt(move, *, status: str, step: Step, by: Actor, stale: bool) -> None:
    """Make a move and check the table predicted its outcome: refused for the wrong person first, then
    as stale for an older page, then as illegal from this state; otherwise it goes through."""
    if by not in step.by:
        expected = IllegalTransition
    elif stale:
        expected = StaleVersion
    elif status not in step.sources:
        expected = IllegalTransition
    else:
        move()
        return
    with pytest.raises(expected):
        move()


class Shop(RuleBasedStateMachine):
    """One slot, its orders and their deliveries; every step of both tables, by anyone, on a stale
    page or a fresh one."""

    @initialize(capacity=st.integers(min_value=1, max_value=4), portions=st.integers(min_value=0, max_value=6))
    def open_shop(self, capacity, portions):
        self.slot = DeliverySlotFactory(capacity=capacity)
        self.dish = MenuItemFactory(daily_portions=portions)
        self.day = timezone.localdate(self.slot.start)
        self.drivers = [DriverFactory(), DriverFactory()]
        self.order_ids: list[int] = []

    @rule(quantity=st.integers(min_value=1, max_value=3))
    def place(self, quantity):
        slot = DeliverySlot.objects.get(pk=self.slot.pk)
        stock = DishDay.objects.filter(item=self.dish, day=self.day).first()
        try:
            self.order_ids.append(place_order(slot, cart=CartLineFactory(item=self.dish, quantity=quantity).cart).pk)
        except SoldOut:
            total = stock.total if stock else self.dish.daily_portions
            assert total is not None and total - (stock.reserved if stock else 0) < quantity
        except SlotFull:
            assert slot.reserved == slot.capacity
        except SlotClosed:
            assert slot.closed

    @rule(total=st.one_of(st.none(), st.integers(min_value=0, max_value=8)))
    def owner_sets_the_days_portions(self, total):
        try:
            catalog_services.stock_set_total(item_id=self.dish.pk, day=self.day, total=total)
        except TotalBelowReserved:
            assert DishDay.objects.get(item=self.dish, day=self.day).reserved > total

    @precondition(lambda self: self.order_ids)
    @rule(
        index=st.integers(min_value=0),
        stale=st.booleans(),
        name=st.sampled_from(ORDER_STEPS),
        by=st.sampled_from(list(Actor)),
    )
    def order_step(self, index, stale, name, by):
        order = Order.objects.get(pk=self.order_ids[index % len(self.order_ids)])
        version = order.version - 1 if stale else order.version
        step = ORDER_MACHINE.step(name)
        _attempt(
            lambda: order_services.order_transition(order=order, step=name, version=version, by=by),
            status=order.status,
            step=step,
            by=by,
            stale=stale,
        )

    @precondition(lambda self: Delivery.objects.filter(order_id__in=self.order_ids).exists())
    @rule(
        index=st.integers(min_value=0),
        stale=st.booleans(),
        name=st.sampled_from(DELIVERY_STEPS),
        by=st.sampled_from(list(Actor)),
        driver=st.integers(min_value=0, max_value=1),
    )
    def delivery_step(self, index, stale, name, by, driver):
        deliveries = list(Delivery.objects.filter(order_id__in=self.order_ids).select_related("order").order_by("pk"))
        delivery = deliveries[index % len(deliveries)]
        version = delivery.version - 1 if stale else delivery.version
        _attempt(
            lambda: delivery_services.delivery_step(
                delivery=delivery, step=name, version=version, by=by, driver=self.drivers[driver], reason="Nobody home"
            ),
            status=delivery.status,
            step=DELIVERY_MACHINE.step(name),
            by=by,
            stale=stale,
        )

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
    def slot_counts_exactly_the_orders_holding_a_place(self):
        if not hasattr(self, "slot"):
            return
        slot = DeliverySlot.objects.get(pk=self.slot.pk)
        assert 0 <= slot.reserved <= slot.capacity
        assert slot.reserved == Order.objects.filter(slot=slot, status__in=PLACE_HELD).count()

    @invariant()
    def portions_taken_are_exactly_those_of_orders_not_cancelled(self):
        if not hasattr(self, "dish"):
            return
        stock = DishDay.objects.filter(item=self.dish, day=self.day).first()
        reserved = stock.reserved if stock else 0
        ordered = OrderItem.objects.filter(
            order__slot=self.slot, menu_item=self.dish, order__status__in=PORTIONS_HELD
        ).aggregate(n=Sum("quantity"))["n"]
        assert reserved == (ordered or 0)
        assert stock is None or stock.total is None or 0 <= stock.reserved <= stock.total

    @invariant()
    def timelines_are_legal_walks_of_the_tables(self):
        for order in Order.objects.filter(pk__in=getattr(self, "order_ids", [])).prefetch_related("events"):
            path = [e.to_status for e in order.events.all()]
            assert ORDER_MACHINE.is_path(path), path
            assert path[-1] == order.status
        for delivery in Delivery.objects.filter(order_id__in=getattr(self, "order_ids", [])).select_related("order"):
            path = list(delivery.events.order_by("pk").values_list("to_status", flat=True))
            assert DELIVERY_MACHINE.is_path(path), path
            if delivery.status in FOLLOWED:
                assert delivery.order.status == delivery.status
            else:
                assert delivery.order.status == Order.Status.PREPPED


Shop.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
def test_shop_state_machine(settings):
    settings.ORDER_UNDO_SECONDS = 60  # orders start in the undo window; the table's "confirm" ends it
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(Shop, settings=Shop.TestCase.settings)
