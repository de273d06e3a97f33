"""Every card kind has one ``version_of``: whatever the services change, a card that looks different has a
newer version, and a topic's versions and its cards agree on it.

A page applies a card only if its version is newer than the one it shows, and the card cache serves a
rendered card by (group, id, version): a change that alters a card without raising its version is never
seen by an open page. These tests drive the shop through its services and compare, after each step, every
card of every live topic with how it looked before."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import live as catalog_live
from catalog import services as catalog_services
from catalog.models import DishDay
from chefshop import live
from chefshop.errors import DomainError
from chefshop.live.topics import all_topics
from chefshop.statemachine import Actor
from deliveries import live as deliveries_live
from deliveries import services as delivery_services
from deliveries.models import Delivery
from orders import live as orders_live
from orders import services as order_services
from orders.models import Order
from slots import live as slots_live
from slots import services as slot_services
from slots.models import DeliverySlot
from tests.conftest import cook, drive, kitchen, place_order
from tests.factories import CartLineFactory, CategoryFactory, DeliverySlotFactory, DriverFactory, MenuItemFactory

pytestmark = pytest.mark.django_db

# Kinds whose version_of reads the clock, not a row: their cards may be newer than the versions said.
CLOCK_KINDS = {deliveries_live.ROSTER}


class World:
    """One slot soon enough to be open on the boards, one dish, one driver, and the orders placed."""

    def __init__(self) -> None:
        # The boards open the two soonest slots in full: an earlier world's slots go three days ahead.
        later = timedelta(days=3)
        moved = {"start": F("start") + later, "end": F("end") + later, "order_cutoff": F("order_cutoff") + later}
        for pk in DeliverySlot.objects.order_by("-start").values_list("pk", flat=True):  # no two meet on the way
            DeliverySlot.objects.filter(pk=pk).update(**moved)
        self.slot = DeliverySlotFactory(start=timezone.now().replace(microsecond=0) + timedelta(hours=2), capacity=8)
        self.day = timezone.localdate(self.slot.start)
        self.category = CategoryFactory()
        self.dish = MenuItemFactory(category=self.category)
        self.driver = DriverFactory()
        self.orders: list[Order] = []
        self.place()

    def place(self) -> None:
        line = CartLineFactory(item=self.dish)
        self.orders.append(place_order(self.slot, cart=line.cart))

    def groups(self) -> list[tuple[str, str]]:
        return [("order", orders_live.order_group(order.public_id)) for order in self.orders] + [
            ("kitchen", orders_live.kitchen_group()),
            ("dispatch", deliveries_live.dispatch_group()),
            ("driver", deliveries_live.driver_group(self.driver.pk)),
            ("slots", slots_live.picker_group()),
            ("slots-board", slots_live.board_group()),
            ("menu", catalog_live.menu_group(self.day)),
            ("stock-board", catalog_live.BOARD_GROUP),
            ("dish-stock", catalog_live.STOCK_GROUP),
        ]

    def order(self, *statuses: str) -> Order | None:
        found = Order.objects.filter(pk__in=[o.pk for o in self.orders], status__in=statuses).order_by("pk")
        return found.first()

    def delivery(self, *statuses: str) -> Delivery | None:
        found = Delivery.objects.filter(order__in=[o.pk for o in self.orders], status__in=statuses).order_by("pk")
        return found.first()


def _undo(world: World) -> None:
    if order := world.order(Order.Status.RECEIVED):
        order_services.order_transition(order=order, step="undo", version=order.version, by=Actor.CUSTOMER)


def _kitchen(step: str, status: str):
    def act(world: World) -> None:
        if order := world.order(status):
            kitchen(order, step)

    return act


def _assign(world: World) -> None:
    if delivery := world.delivery(Delivery.Status.PENDING):
        delivery_services.delivery_assign(delivery=delivery, driver=world.driver, version=delivery.version, actor=None)


def _drive(step: str, status: str):
    def act(world: World) -> None:
        if delivery := world.delivery(status):
            drive(delivery, step)

    return act


def _capacity(world: World) -> None:
    world.slot.refresh_from_db()
    slot_services.slot_set_capacity(slot_id=world.slot.pk, capacity=world.slot.capacity + 1)


def _move(world: World) -> None:
    world.slot.refresh_from_db()
    later = {"start": world.slot.start + timedelta(minutes=5), "end": world.slot.end + timedelta(minutes=5)}
    slot_services.slot_set_times(slot_id=world.slot.pk, **later)


def _close(closed: bool):
    def act(world: World) -> None:
        slot_services.slot_set_closed(slot_id=world.slot.pk, closed=closed)

    return act


def _stock(world: World) -> None:
    row = DishDay.objects.filter(item=world.dish, day=world.day).first()
    reserved = row.reserved if row else 0
    catalog_services.stock_set_total(item_id=world.dish.pk, day=world.day, total=reserved + 3)


def _rename_dish(world: World) -> None:
    world.dish.refresh_from_db()
    world.dish.name += " special"
    world.dish.price += Decimal("0.50")
    world.dish.save()


def _dish_off(world: World) -> None:
    world.dish.refresh_from_db()
    world.dish.available = not world.dish.available
    world.dish.save()


def _rename_category(world: World) -> None:
    world.category.refresh_from_db()
    world.category.name += " and more"
    world.category.save()


def _rename_driver(world: World) -> None:
    world.driver.refresh_from_db()
    world.driver.name += " Jr"
    world.driver.save()


# What owners, customers, the kitchen and drivers do, each through the services (or the admin's save).
ACTIONS: dict[str, Any] = {
    "place": World.place,
    "undo": _undo,
    "start cooking": _kitchen("start", Order.Status.CONFIRMED),
    "prepped": _kitchen("prepped", Order.Status.PREPPING),
    "assign": _assign,
    "leave": _drive("start", Delivery.Status.ASSIGNED),
    "delivered": _drive("delivered", Delivery.Status.OUT_FOR_DELIVERY),
    "capacity": _capacity,
    "move slot": _move,
    "close slot": _close(True),
    "open slot": _close(False),
    "stock": _stock,
    "rename dish": _rename_dish,
    "dish on/off": _dish_off,
    "rename category": _rename_category,
    "rename driver": _rename_driver,
}


def _confirm_all(world: World) -> None:
    """The undo window ends (as its job would do): received orders are confirmed."""
    for order in Order.objects.filter(pk__in=[o.pk for o in world.orders], status=Order.Status.RECEIVED):
        order_services.order_confirm_if_due(order_id=order.pk, now=order.undo_until + timedelta(seconds=1))


ACTIONS["confirm"] = _confirm_all


def _kind_of(topic: live.Topic, card_id: str) -> live.CardKind:
    matching = [kind for kind in topic.kinds.values() if card_id.startswith(kind.prefix)]
    assert matching, f"{topic.name}: no card kind makes the id {card_id!r}"
    return max(matching, key=lambda kind: len(kind.prefix))


Shown = dict[tuple[str, str, str], tuple[int, str, live.CardKind]]


def _shown(world: World) -> Shown:
    """Every card of every topic the world's pages watch: (topic, group, card id) → (version, html, kind),
    rendered afresh (not from the cache). Checks on the way that each topic's versions and cards agree."""
    found: Shown = {}
    for name, group in world.groups():
        topic = live.topic(name)
        versions = topic.versions(group)
        cards = {card.id: card for card in topic.cards(group, [key for _, key in versions.values()])}
        for card_id, (version, _key) in versions.items():
            card = cards[card_id]
            kind = _kind_of(topic, card_id)
            if kind not in CLOCK_KINDS:
                assert card.version == version, f"{name}: {card_id} is {card.version} in its card, {version} listed"
            if card.html is not None:
                found[(name, group, card_id)] = (card.version, card.html, kind)
    return found


# Text the page itself keeps current from the clock ("5 minutes ago", a countdown): static/js/live.js
# rewrites it every few seconds from the element's data attribute, so it is no part of what a version covers.
CLOCK_TEXT = re.compile(r"(<time[^>]*data-since[^>]*>|data-countdown-until=\"[^\"]*\">)[^<]*")


def _step(world: World, action: str, before: Shown, changed: set[tuple[str, str]]) -> Shown:
    try:
        ACTIONS[action](world)
    except DomainError:
        pass  # not possible now (a full slot, a closed one): nothing changed, and that is checked too
    after = _shown(world)
    problems = []
    for where, (version, html, kind) in after.items():
        if where not in before:
            continue
        old_version, old_html, _ = before[where]
        if version < old_version:
            problems.append(f"{where} went back from {old_version} to {version}")
        if CLOCK_TEXT.sub(r"\1", html) != CLOCK_TEXT.sub(r"\1", old_html):
            changed.add((where[0], kind.prefix))
            if version <= old_version:
                problems.append(f"{where} looks different at the same version {version}")
    assert not problems, f"after {action!r}: " + "; ".join(problems)
    return after


def test_every_card_kind_is_changed_by_the_services_and_each_change_raises_its_version():
    # given: a slot, a dish, a driver and one order, every live page watching
    world = World()
    shown = _shown(world)
    changed: set[tuple[str, str]] = set()
    # when: every action is taken, in the order of a day's work
    day = ["place", "undo", "place", "stock", "rename dish", "rename category", "capacity", "confirm"]
    day += ["start cooking", "move slot", "prepped", "capacity", "move slot", "close slot", "open slot"]
    day += ["assign", "rename driver", "leave", "dish on/off", "delivered", "rename driver", "move slot"]
    assert set(day) == set(ACTIONS)
    for action in day:
        shown = _step(world, action, shown, changed)
    # then: each card that looked different had a newer version (checked in _step), and every card kind of
    # every topic was changed by some service: the property was tried on all of them
    kinds = {(topic.name, kind.prefix) for topic in all_topics() for kind in topic.kinds.values()}
    never = kinds - changed - {("slots", slots_live.DAY.prefix)}  # a day heading shows only its day
    assert not never, f"no service changed these cards, so their versions went untested: {sorted(never)}"


@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(ACTIONS)), min_size=1, max_size=8))
def test_whatever_the_services_do_a_card_that_looks_different_has_a_newer_version(actions):
    # given: orders at every stage, so that every board shows cards an action can touch
    world = World()
    world.place()
    world.place()
    _confirm_all(world)
    cook(world.orders[0])
    kitchen(world.orders[1], "start")
    shown = _shown(world)
    for action in actions:
        shown = _step(world, action, shown, set())
