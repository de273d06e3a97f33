"""What the orders app pushes: the order page to its customer, and one card per order (under one
heading card per slot) to the kitchen board."""

import uuid

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from chefshop import live
from chefshop.live.board import slot_head_cards, slot_head_version, slot_is_open, slot_sort
from chefshop.roles import is_owner
from orders import selectors
from orders.machine import KITCHEN_STATUSES, ORDER_MACHINE
from orders.models import Order
from orders.shopper import shopper_token
from orders.signals import order_payment_changed, order_status_changed
from slots.selectors import slots_in_progress

ORDER_REGION = "order-live"
KITCHEN_REGION = "kitchen-cards"
# Slot headings on this board, and where a later slot's cards are opened from.
HEADINGS = {"prefix": "kitchen-slot-", "region": KITCHEN_REGION, "url_name": "orders:kitchen_slot", "noun": "order"}


# --- the customer's order page ------------------------------------------------------------------


def order_group(public_id) -> str:
    return f"order.{public_id}"


def order_card_id(public_id) -> str:
    return f"order-{public_id}"


def render_order_status(order: Order, *, message: str = "", error: bool = False) -> str:
    return render_to_string(
        "orders/_order_status.html",
        {
            "order": order,
            "steps": ORDER_MACHINE.buttons(order.status, board="order"),
            "undo_open": order.undo_open(),
            "message": message,
            "error": error,
        },
    )


def _authorize_order(viewer, kwargs) -> str | None:
    order = selectors.order_for_viewer(public_id=kwargs["public_id"], user=viewer.user, token=shopper_token(viewer))
    return order_group(order.public_id) if order is not None else None


def _public_id(group: str) -> str:
    return group.split(".", 1)[1]


def _order_versions(group: str) -> live.Versions:
    public_id = _public_id(group)
    version = Order.objects.filter(public_id=public_id).values_list("version", flat=True).first()
    return {} if version is None else {order_card_id(public_id): (version, live.key("order", public_id))}


def _order_cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    order = selectors.order_detail(public_id=uuid.UUID(_public_id(group)))
    if order is None:
        return []
    return [
        live.Card(
            id=order_card_id(order.public_id),
            version=order.version,
            region=ORDER_REGION,
            html=render_order_status(order),
        )
    ]


# --- the kitchen board --------------------------------------------------------------------------


def kitchen_group() -> str:
    return "kitchen"


def kitchen_card_id(order: Order) -> str:
    return f"kitchen-order-{order.public_id}"


def render_kitchen_card(order: Order, *, message: str = "", error: bool = False) -> str:
    return render_to_string(
        "orders/_kitchen_card.html",
        {
            "order": order,
            "sort": slot_sort(order.slot, order.pk, after=order.confirmed_at),
            "steps": ORDER_MACHINE.buttons(order.status, board="kitchen"),
            "message": message,
            "error": error,
        },
    )


def _kitchen_versions(group: str) -> live.Versions:
    """Heading cards first (a page must know a slot is open before it places its orders), then the
    orders of the open slots. Three queries however many orders there are."""
    now = timezone.now()
    in_progress = slots_in_progress(now=now)
    rows = [row for row in selectors.kitchen_slots(now=now) if row["count"]]
    open_slots = [row["slot_id"] for row in rows if slot_is_open(row, in_progress, now)]
    orders_of: dict[int, list] = {}
    for pk, public_id, version, slot_id in selectors.kitchen_order_versions(slot_ids=open_slots):
        orders_of.setdefault(slot_id, []).append((f"kitchen-order-{public_id}", (version, live.key("order", pk))))
    versions: live.Versions = {}
    for row in rows:  # in board order: each heading, then its orders
        is_open = slot_is_open(row, in_progress, now)
        versions[f"kitchen-slot-{row['slot_id']}"] = (slot_head_version(row, is_open), live.key("slot", row["slot_id"]))
        versions.update(orders_of.get(row["slot_id"], []))
    return versions


def kitchen_cards(keys: list[live.CardKey], *, on_request: bool = False) -> list[live.Card]:
    """The cards for these keys ("order:<pk>", "slot:<pk>"): each order's card (or its removal once it
    leaves the kitchen) and the heading of every slot touched. A fixed handful of queries."""
    order_ids = live.ids_of(keys, "order")
    slot_ids = set(live.ids_of(keys, "slot"))
    orders = selectors.orders_for_cards(order_ids=order_ids) if order_ids else []
    slot_ids |= {order.slot_id for order in orders}
    now = timezone.now()
    in_progress = slots_in_progress(now=now)
    rows = selectors.kitchen_slots(now=now, slot_ids=slot_ids)
    cards = slot_head_cards(rows, **HEADINGS, in_progress=in_progress, now=now)
    open_slots = {row["slot_id"] for row in rows if slot_is_open(row, in_progress, now)}
    for order in sorted(orders, key=lambda o: (o.slot.start, o.confirmed_at or o.placed_at, o.pk)):
        html = render_kitchen_card(order) if order.status in KITCHEN_STATUSES else None
        cards.append(
            live.Card(
                id=kitchen_card_id(order),
                version=order.version,
                region=KITCHEN_REGION,
                html=html,
                on_request=on_request or order.slot_id not in open_slots,
            )
        )
    return cards


def kitchen_slot_cards(*, slot_id: int) -> list[live.Card]:
    """A later slot's orders, opened on request from its heading."""
    ids = selectors.kitchen_order_versions(slot_ids=[slot_id])
    return kitchen_cards([live.key("order", pk) for pk, *_ in ids] + [live.key("slot", slot_id)], on_request=True)


def kitchen_board_cards() -> list[live.Card]:
    return live.snapshot(live.topic("kitchen"), kitchen_group())[1]


@receiver(order_status_changed, dispatch_uid="orders.live.push_order_status")
def push_order_status(sender, order_id: int, public_id, from_status: str, to_status: str, **kwargs) -> None:
    live.notify(order_group(public_id), live.key("order", public_id))
    if from_status in KITCHEN_STATUSES or to_status in KITCHEN_STATUSES:  # it arrives, moves or leaves
        live.notify(kitchen_group(), live.key("order", order_id))


@receiver(order_payment_changed, dispatch_uid="orders.live.push_order_payment")
def push_order_payment(sender, order_id: int, public_id, status: str, **kwargs) -> None:
    live.notify(order_group(public_id), live.key("order", public_id))
    if status in KITCHEN_STATUSES:
        live.notify(kitchen_group(), live.key("order", order_id))


live.register_topic(
    "order",
    path="ws/orders/<uuid:public_id>/",
    authorize=_authorize_order,
    versions=_order_versions,
    cards=_order_cards,
    regions=[ORDER_REGION],
)
live.register_topic(
    "kitchen",
    path="ws/owner/kitchen/",
    authorize=lambda viewer, kwargs: kitchen_group() if is_owner(viewer.user) else None,
    versions=_kitchen_versions,
    cards=lambda group, keys: kitchen_cards(keys),
    regions=[KITCHEN_REGION],
)
