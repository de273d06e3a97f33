"""What the orders app pushes: the order page's status and timeline to that customer."""

from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from chefshop.roles import is_owner
from orders import selectors
from orders.models import Order
from orders.selectors import KITCHEN_STATUSES
from orders.shopper import shopper_token
from orders.signals import order_status_changed
from orders.views import kitchen_context


def order_group(public_id) -> str:
    return f"order.{public_id}"


def render_order_status(order: Order) -> str:
    return render_to_string("orders/_order_status.html", {"order": order, "push": True})


def _authorize(viewer, kwargs) -> str | None:
    order = selectors.order_for_viewer(public_id=kwargs["public_id"], user=viewer.user, token=shopper_token(viewer))
    return order_group(order.public_id) if order is not None else None


def _render_current(viewer, kwargs) -> str:
    return render_order_status(selectors.order_detail(public_id=kwargs["public_id"]))


def kitchen_group() -> str:
    return "kitchen"


def render_kitchen(viewer=None, kwargs=None) -> str:
    return render_to_string("orders/_kitchen_board.html", {**kitchen_context(), "push": True})


@receiver(order_status_changed, dispatch_uid="orders.live.push_order_status")
def push_order_status(sender, public_id, from_status: str, to_status: str, **kwargs) -> None:
    live.push_on_commit(
        order_group(public_id), lambda: render_order_status(selectors.order_detail(public_id=public_id))
    )
    if from_status in KITCHEN_STATUSES or to_status in KITCHEN_STATUSES:  # it arrives, moves or leaves
        live.push_on_commit(kitchen_group(), render_kitchen)


live.register_topic("order", authorize=_authorize, render_current=_render_current)
live.register_topic(
    "kitchen",
    authorize=lambda viewer, kwargs: kitchen_group() if is_owner(viewer.user) else None,
    render_current=render_kitchen,
)
