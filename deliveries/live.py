"""What the deliveries app pushes: one card per delivery to the dispatch board (waiting ones under
a heading per slot), and each driver's trips to that driver's phone."""

import time
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from chefshop import live
from chefshop.live.board import slot_head_cards, slot_head_version, slot_is_open, slot_sort
from chefshop.roles import driver_of, is_owner
from deliveries import selectors
from deliveries.machine import DELIVERY_MACHINE, DRIVER_STATUSES, Effect
from deliveries.models import Delivery, Driver
from deliveries.signals import delivery_changed
from slots.selectors import slots_in_progress

D = Delivery.Status
PENDING_REGION = "dispatch-pending"
ROAD_REGION = "dispatch-road"
FINISHED_REGION = "dispatch-finished"
TRIPS_REGION = "driver-trips"
ROSTER_REGION = "dispatch-roster"
# Slot headings on this board, and where a later slot's cards are opened from.
HEADINGS = {
    "prefix": "dispatch-slot-",
    "region": PENDING_REGION,
    "url_name": "deliveries:dispatch_slot",
    "noun": "delivery",
}
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


def _roster_version() -> int:
    """The drivers an owner can choose from are read fresh every time: their card's version is the time
    it was read (microseconds), so each digest round brings every open board the current list."""
    return time.time_ns() // 1000


def roster_card(version: int) -> live.Card:
    html = render_to_string("deliveries/_roster.html", {"drivers": selectors.drivers_active(), "version": version})
    return live.Card(id="driver-roster", version=version, region=ROSTER_REGION, html=html)


def _dispatch_versions(group: str) -> live.Versions:
    """Each slot heading followed by its waiting deliveries (open slots only), then the others."""
    now = timezone.now()
    in_progress = slots_in_progress(now=now)
    rows = [row for row in selectors.pending_slots(now=now) if row["count"]]
    open_slots = [row["slot_id"] for row in rows if slot_is_open(row, in_progress, now)]
    waiting: dict[int, list] = {}
    others: live.Versions = {}
    for pk, version, slot_id, status in selectors.dispatch_versions(open_slot_ids=open_slots, now=now):
        entry = (f"delivery-{pk}", (version, live.key("delivery", pk)))
        if status == D.PENDING:
            waiting.setdefault(slot_id, []).append(entry)
        else:
            others[entry[0]] = entry[1]
    versions: live.Versions = {}
    for row in rows:
        is_open = slot_is_open(row, in_progress, now)
        versions[f"dispatch-slot-{row['slot_id']}"] = (
            slot_head_version(row, is_open),
            live.key("slot", row["slot_id"]),
        )
        versions.update(waiting.get(row["slot_id"], []))
    versions.update(others)
    versions["driver-roster"] = (_roster_version(), live.key("roster", "drivers"))
    return versions


def dispatch_cards(keys: list[live.CardKey], *, on_request: bool = False) -> list[live.Card]:
    delivery_ids = live.ids_of(keys, "delivery")
    slot_ids = set(live.ids_of(keys, "slot"))
    deliveries = selectors.deliveries_for_cards(delivery_ids=delivery_ids) if delivery_ids else []
    slot_ids |= {delivery.order.slot_id for delivery in deliveries}
    now = timezone.now()
    in_progress = slots_in_progress(now=now)
    rows = selectors.pending_slots(now=now, slot_ids=slot_ids)
    cards = slot_head_cards(rows, **HEADINGS, in_progress=in_progress, now=now)
    if live.ids_of(keys, "roster", str):
        cards.append(roster_card(_roster_version()))
    open_slots = {row["slot_id"] for row in rows if slot_is_open(row, in_progress, now)}
    for delivery in sorted(deliveries, key=lambda d: (d.slot_start, d.pk)):
        waiting_later = delivery.status == D.PENDING and delivery.order.slot_id not in open_slots
        cards.append(
            live.Card(
                id=f"delivery-{delivery.pk}",
                version=delivery.version,
                region=REGION_OF[delivery.status],
                html=render_dispatch_card(delivery),
                on_request=on_request or waiting_later,
            )
        )
    return cards


def dispatch_slot_cards(*, slot_id: int) -> list[live.Card]:
    """The deliveries of a later slot waiting for a driver, opened on request from its heading."""
    ids = selectors.pending_delivery_ids(slot_id=slot_id)
    return dispatch_cards([live.key("delivery", pk) for pk in ids] + [live.key("slot", slot_id)], on_request=True)


def dispatch_board_cards() -> list[live.Card]:
    return live.snapshot(live.topic("dispatch"), dispatch_group())[1]


# --- the driver's phone -------------------------------------------------------------------------


def _trip_sort(delivery: Delivery) -> str:
    return f"{int(delivery.status != D.OUT_FOR_DELIVERY)}{delivery.slot_start:%Y%m%d%H%M}{delivery.pk:012d}"


def render_trip(delivery: Delivery, *, message: str = "", error: bool = False) -> str:
    driver_steps = DELIVERY_MACHINE.buttons(delivery.status, board="driver")
    return render_to_string(
        "deliveries/_trip.html",
        {
            "delivery": delivery,
            "sort": _trip_sort(delivery),
            "steps": [(step, step.has(Effect.NEEDS_REASON)) for step in driver_steps],
            "message": message,
            "error": error,
        },
    )


def _driver_id(group: str) -> int:
    return int(group.split(".", 1)[1])


def _driver_versions(group: str) -> live.Versions:
    return {
        f"trip-{pk}": (version, live.key("delivery", pk))
        for pk, version in selectors.driver_delivery_versions(driver_id=_driver_id(group))
    }


def _driver_cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    driver_id = _driver_id(group)
    deliveries = selectors.deliveries_for_cards(delivery_ids=live.ids_of(keys, "delivery"))
    cards = []
    for delivery in deliveries:
        mine = delivery.driver_id == driver_id and delivery.status in DRIVER_STATUSES
        cards.append(
            live.Card(
                id=f"trip-{delivery.pk}",
                version=delivery.version,
                region=TRIPS_REGION,
                html=render_trip(delivery) if mine else None,
            )
        )
    return cards


def driver_trip_cards(driver) -> list[live.Card]:
    return live.snapshot(live.topic("driver"), driver_group(driver.pk))[1]


@receiver(post_save, sender=Driver, dispatch_uid="deliveries.live.recheck_driver_sockets")
@receiver(post_delete, sender=Driver, dispatch_uid="deliveries.live.recheck_deleted_driver_sockets")
def recheck_driver_sockets(sender: Any, instance: Driver, created: bool = False, **kwargs: Any) -> None:
    """A driver made inactive (or removed) loses their driver page's socket within moments."""
    if not created:
        live.revoke(user_id=instance.user_id)


@receiver(delivery_changed, dispatch_uid="deliveries.live.push_delivery")
def push_delivery(sender, delivery_id: int, driver_ids: set[int], **kwargs) -> None:
    live.notify(dispatch_group(), live.key("delivery", delivery_id))
    for driver_id in driver_ids:
        live.notify(driver_group(driver_id), live.key("delivery", delivery_id))


def _authorize_driver(viewer, kwargs) -> str | None:
    driver = driver_of(viewer.user)
    return driver_group(driver.pk) if driver is not None else None


live.register_topic(
    "dispatch",
    path="ws/owner/dispatch/",
    authorize=lambda viewer, kwargs: dispatch_group() if is_owner(viewer.user) else None,
    versions=_dispatch_versions,
    cards=lambda group, keys: dispatch_cards(keys),
    regions=[PENDING_REGION, ROAD_REGION, FINISHED_REGION, ROSTER_REGION],
)
live.register_topic(
    "driver",
    path="ws/driver/",
    authorize=_authorize_driver,
    versions=_driver_versions,
    cards=_driver_cards,
    regions=[TRIPS_REGION],
)
