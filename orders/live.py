"""What the orders app pushes: the order page to its customer, and one card per order (under one
heading card per slot) to the kitchen board."""

import uuid
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from chefshop.live.board import Item, SlottedBoard, slot_sort
from chefshop.roles import is_owner
from orders import selectors
from orders.machine import KITCHEN_STATUSES, ORDER_MACHINE
from orders.models import Order
from orders.shopper import shopper_token
from orders.signals import order_payment_changed, order_status_changed
from slots.selectors import slots_in_progress
from slots.signals import slot_changed

ORDER_REGION = "order-live"
KITCHEN_REGION = "kitchen-cards"


# --- the customer's order page ------------------------------------------------------------------


def order_group(public_id) -> str:
    return f"order.{public_id}"


def _order_version(order: Any) -> int:
    """An order's cards (its page, its kitchen card) show only the order's own rows, and every service
    that changes them raises its version."""
    return int(order.version)


# The customer's order page: one card, keyed by the order's public id.
ORDER_PAGE = live.CardKind("order", "order-", version_of=_order_version, convert=uuid.UUID)


def order_card_id(public_id) -> str:
    return ORDER_PAGE.card_id(public_id)


def render_order_status(order: Order, *, message: str = "", error: bool = False) -> str:
    return render_to_string(
        "orders/_order_status.html",
        {
            "order": order,
            "card_id": ORDER_PAGE.card_id(order.public_id),
            "version": ORDER_PAGE.version_of(order),
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
    row = Order.objects.filter(public_id=public_id).values_list("version", named=True).first()
    return {} if row is None else dict([ORDER_PAGE.entry(public_id, row)])


def _order_cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    order = selectors.order_detail(public_id=uuid.UUID(_public_id(group)))
    if order is None:
        return []
    return [ORDER_PAGE.card(order.public_id, order, region=ORDER_REGION, html=render_order_status(order))]


# --- the kitchen board --------------------------------------------------------------------------


def _kitchen_version(order: Any) -> int:
    """A kitchen card shows the order and sits under its slot by the slot's time: the order's version plus
    its slot's (an order never changes slot, so the sum only grows)."""
    return int(order.version + order.slot_version)


# One card per order to cook, keyed by its public id, under a heading per slot.
KITCHEN_ORDER = live.CardKind("order", "kitchen-order-", version_of=_kitchen_version, convert=uuid.UUID)


def kitchen_group() -> str:
    return "kitchen"


def kitchen_card_id(order: Order) -> str:
    return KITCHEN_ORDER.card_id(order.public_id)


def render_kitchen_card(order: Order, *, message: str = "", error: bool = False) -> str:
    return render_to_string(
        "orders/_kitchen_card.html",
        {
            "order": order,
            "card_id": kitchen_card_id(order),
            "version": KITCHEN_ORDER.version_of(order),
            "parent": KITCHEN.heading.card_id(order.slot_id),
            "sort": slot_sort(order.slot, order.pk, after=order.confirmed_at),
            "steps": ORDER_MACHINE.buttons(order.status, board="kitchen"),
            "message": message,
            "error": error,
        },
    )


def _kitchen_item(order: Any) -> Item:
    return Item(ident=order.public_id, row=order, slot_id=order.slot_id, waiting=True)


def _kitchen_render(item: Item) -> tuple[str, str | None]:
    order = item.row
    return KITCHEN_REGION, render_kitchen_card(order) if order.status in KITCHEN_STATUSES else None


KITCHEN = SlottedBoard(
    name=kitchen_group(),
    kind=KITCHEN_ORDER,
    heading_prefix="kitchen-slot-",
    region=KITCHEN_REGION,
    url_name="orders:kitchen_slot",
    noun="order",
    slot_rows=selectors.kitchen_slots,
    shown=lambda open_slots, now: [_kitchen_item(row) for row in selectors.kitchen_order_versions(slot_ids=open_slots)],
    load=lambda ids: [_kitchen_item(order) for order in selectors.orders_for_cards(public_ids=ids)],
    in_slot=lambda slot_id: [row.public_id for row in selectors.kitchen_order_versions(slot_ids=[slot_id])],
    render=_kitchen_render,
    in_progress=slots_in_progress,
)


@receiver(order_status_changed, dispatch_uid="orders.live.push_order_status")
def push_order_status(sender, order_id: int, public_id, from_status: str, to_status: str, **kwargs) -> None:
    live.notify(order_group(public_id), ORDER_PAGE.key(public_id))
    if from_status in KITCHEN_STATUSES or to_status in KITCHEN_STATUSES:  # it arrives, moves or leaves
        live.notify(kitchen_group(), KITCHEN_ORDER.key(public_id))


@receiver(order_payment_changed, dispatch_uid="orders.live.push_order_payment")
def push_order_payment(sender, order_id: int, public_id, status: str, **kwargs) -> None:
    live.notify(order_group(public_id), ORDER_PAGE.key(public_id))
    if status in KITCHEN_STATUSES:
        live.notify(kitchen_group(), KITCHEN_ORDER.key(public_id))


@receiver(slot_changed, dispatch_uid="orders.live.push_slot_to_kitchen")
def push_slot_to_kitchen(sender: Any, slot_id: int, moved: bool = False, **kwargs: Any) -> None:
    """The slot's heading; and when its times moved, its orders' cards (they sort and show by them)."""
    orders = [KITCHEN_ORDER.key(public_id) for public_id in KITCHEN.in_slot(slot_id)] if moved else []
    live.notify(kitchen_group(), KITCHEN.heading.key(slot_id), *orders)


live.register_topic(
    "order",
    path="ws/orders/<uuid:public_id>/",
    authorize=_authorize_order,
    versions=_order_versions,
    cards=_order_cards,
    regions=[ORDER_REGION],
    kinds=[ORDER_PAGE],
)
KITCHEN.register(
    path="ws/owner/kitchen/",
    authorize=lambda viewer, kwargs: kitchen_group() if is_owner(viewer.user) else None,
    regions=[KITCHEN_REGION],
)
