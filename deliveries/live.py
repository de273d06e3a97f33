"""What the deliveries app pushes: one card per delivery to the dispatch board (waiting ones under
a heading per slot), and each driver's trips to that driver's phone."""

import time
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from chefshop.live.board import Item, SlottedBoard, slot_sort
from chefshop.roles import driver_of, is_owner
from deliveries import selectors
from deliveries.machine import DELIVERY_MACHINE, DRIVER_STATUSES, Effect
from deliveries.models import Delivery, Driver
from deliveries.signals import delivery_changed
from slots.selectors import slots_in_progress
from slots.signals import slot_changed

D = Delivery.Status
PENDING_REGION = "dispatch-pending"
ROAD_REGION = "dispatch-road"
FINISHED_REGION = "dispatch-finished"
TRIPS_REGION = "driver-trips"
ROSTER_REGION = "dispatch-roster"
REGION_OF: dict[str, str] = {
    D.PENDING: PENDING_REGION,
    D.ASSIGNED: ROAD_REGION,
    D.OUT_FOR_DELIVERY: ROAD_REGION,
    D.DELIVERED: FINISHED_REGION,
    D.FAILED: FINISHED_REGION,
}


def dispatch_group() -> str:
    return "dispatch"


def driver_group(driver_id: int) -> str:
    return f"driver.{driver_id}"


# --- dispatch board -----------------------------------------------------------------------------


def _dispatch_sort(delivery: Delivery) -> str:
    if delivery.status == D.PENDING:
        return slot_sort(delivery.order.slot, delivery.pk)
    if delivery.status in (D.DELIVERED, D.FAILED):  # newest first
        return f"{10**17 - int(delivery.updated_at.timestamp() * 1_000_000):018d}"
    name = delivery.driver.name.casefold() if delivery.driver else ""
    return f"{name[:40]:<40}{delivery.slot_start:%Y%m%d%H%M}{delivery.pk:012d}"


def render_dispatch_card(delivery: Delivery, *, message: str = "", error: bool = False) -> str:
    return render_to_string(
        "deliveries/_dispatch_card.html",
        {
            "delivery": delivery,
            "card_id": DISPATCH_DELIVERY.card_id(delivery.pk),
            "version": DISPATCH_DELIVERY.version_of(delivery),
            "parent": DISPATCH.heading.card_id(delivery.order.slot_id),
            "region": REGION_OF[delivery.status],
            "sort": _dispatch_sort(delivery),
            "step": next(iter(DELIVERY_MACHINE.buttons(delivery.status, board="dispatch")), None),
            "finish_steps": [
                (step, step.has(Effect.NEEDS_REASON))
                for step in DELIVERY_MACHINE.buttons(delivery.status, board="dispatch_finish")
            ],
            "message": message,
            "error": error,
        },
    )


def _roster_version(_row: Any) -> int:
    """The drivers an owner can choose from are read fresh every time: their card's version is the time
    it was read (microseconds), so each digest round brings every open board the current list."""
    return time.time_ns() // 1000


def _delivery_version(delivery: Any) -> int:
    """A delivery's cards (dispatch, the driver's trip) show the delivery's own row and the trip snapshot
    it took of its order; every service that changes them raises its version."""
    return int(delivery.version)


def _dispatch_version(delivery: Any) -> int:
    """A dispatch card also shows its slot's window: the delivery's version plus its slot's (a delivery
    never changes slot, so the sum only grows)."""
    return int(delivery.version + delivery.slot_version)


# One card per delivery on the dispatch board, and the roster of drivers its assign forms choose from.
DISPATCH_DELIVERY = live.CardKind("delivery", "delivery-", version_of=_dispatch_version)
ROSTER = live.CardKind("roster", "driver-", version_of=_roster_version, convert=str)


def _render_roster(version: int) -> tuple[str, str | None]:
    html = render_to_string("deliveries/_roster.html", {"drivers": selectors.drivers_active(), "version": version})
    return ROSTER_REGION, html


def _dispatch_item(delivery: Any) -> Item:
    return Item(ident=delivery.pk, row=delivery, slot_id=delivery.slot_id, waiting=delivery.status == D.PENDING)


DISPATCH = SlottedBoard(
    name=dispatch_group(),
    kind=DISPATCH_DELIVERY,
    heading_prefix="dispatch-slot-",
    region=PENDING_REGION,
    url_name="deliveries:dispatch_slot",
    noun="delivery",
    slot_rows=selectors.pending_slots,
    shown=lambda open_slots, now: [
        _dispatch_item(row) for row in selectors.dispatch_versions(open_slot_ids=open_slots, now=now)
    ],
    load=lambda ids: [_dispatch_item(delivery) for delivery in selectors.deliveries_for_cards(delivery_ids=ids)],
    in_slot=lambda slot_id: selectors.pending_delivery_ids(slot_id=slot_id),
    render=lambda item: (REGION_OF[item.row.status], render_dispatch_card(item.row)),
    in_progress=slots_in_progress,
    extra=ROSTER,
    extra_ident="roster",
    extra_render=_render_roster,
)


# --- the driver's phone -------------------------------------------------------------------------


def _trip_sort(delivery: Delivery) -> str:
    return f"{int(delivery.status != D.OUT_FOR_DELIVERY)}{delivery.slot_start:%Y%m%d%H%M}{delivery.pk:012d}"


def render_trip(delivery: Delivery, *, message: str = "", error: bool = False) -> str:
    driver_steps = DELIVERY_MACHINE.buttons(delivery.status, board="driver")
    return render_to_string(
        "deliveries/_trip.html",
        {
            "delivery": delivery,
            "card_id": TRIP.card_id(delivery.pk),
            "version": TRIP.version_of(delivery),
            "sort": _trip_sort(delivery),
            "steps": [(step, step.has(Effect.NEEDS_REASON)) for step in driver_steps],
            "message": message,
            "error": error,
        },
    )


def _driver_id(group: str) -> int:
    return int(group.split(".", 1)[1])


# Each of a driver's open deliveries, on their phone.
TRIP = live.CardKind("delivery", "trip-", version_of=_delivery_version)


def _driver_versions(group: str) -> live.Versions:
    return dict(TRIP.entry(row.pk, row) for row in selectors.driver_delivery_versions(driver_id=_driver_id(group)))


def _driver_cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    driver_id = _driver_id(group)
    deliveries = selectors.deliveries_for_cards(delivery_ids=TRIP.ids(keys))
    cards = []
    for delivery in deliveries:
        mine = delivery.driver_id == driver_id and delivery.status in DRIVER_STATUSES
        html = render_trip(delivery) if mine else None
        cards.append(TRIP.card(delivery.pk, delivery, region=TRIPS_REGION, html=html))
    return cards


def driver_trip_cards(driver: Driver) -> list[live.Card]:
    return live.snapshot(live.topic("driver"), driver_group(driver.pk))[1]


@receiver(pre_save, sender=Driver, dispatch_uid="deliveries.live.remember_driver_user")
def remember_driver_user(sender: Any, instance: Driver, **kwargs: Any) -> None:
    """The user the profile belonged to before this save (a profile can be given to another user)."""
    before = Driver.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first() if instance.pk else None
    instance._user_before = before  # type: ignore[attr-defined]


@receiver(post_save, sender=Driver, dispatch_uid="deliveries.live.recheck_driver_sockets")
@receiver(post_delete, sender=Driver, dispatch_uid="deliveries.live.recheck_deleted_driver_sockets")
def recheck_driver_sockets(sender: Any, instance: Driver, created: bool = False, **kwargs: Any) -> None:
    """A driver made inactive, removed or given to another user: whoever is no longer that driver loses
    the driver page's socket within moments (the old user's and the new one's are both re-checked)."""
    if created:
        return
    for user_id in {instance.user_id, getattr(instance, "_user_before", None)} - {None}:
        live.revoke(user_id=user_id)


@receiver(delivery_changed, dispatch_uid="deliveries.live.push_delivery")
def push_delivery(sender, delivery_id: int, driver_ids: set[int], **kwargs) -> None:
    live.notify(dispatch_group(), DISPATCH_DELIVERY.key(delivery_id))
    for driver_id in driver_ids:
        live.notify(driver_group(driver_id), TRIP.key(delivery_id))


@receiver(slot_changed, dispatch_uid="deliveries.live.push_slot_to_dispatch")
def push_slot_to_dispatch(sender: Any, slot_id: int, moved: bool = False, **kwargs: Any) -> None:
    """The slot's heading; and when its times moved, its deliveries' cards (they show them)."""
    deliveries = [DISPATCH_DELIVERY.key(pk) for pk in selectors.slot_delivery_ids(slot_id=slot_id)] if moved else []
    live.notify(dispatch_group(), DISPATCH.heading.key(slot_id), *deliveries)


def _authorize_driver(viewer, kwargs) -> str | None:
    driver = driver_of(viewer.user)
    return driver_group(driver.pk) if driver is not None else None


DISPATCH.register(
    path="ws/owner/dispatch/",
    authorize=lambda viewer, kwargs: dispatch_group() if is_owner(viewer.user) else None,
    regions=[PENDING_REGION, ROAD_REGION, FINISHED_REGION, ROSTER_REGION],
)
live.register_topic(
    "driver",
    path="ws/driver/",
    authorize=_authorize_driver,
    versions=_driver_versions,
    cards=_driver_cards,
    regions=[TRIPS_REGION],
    kinds=[TRIP],
)
