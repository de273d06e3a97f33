"""What the orders app pushes: the order page's status and timeline to that customer."""

from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from orders import selectors
from orders.models import Order
from orders.shopper import shopper_token
from orders.signals import order_status_changed


def order_group(public_id) -> str:
    return f"order.{public_id}"


def render_order_status(order: Order) -> str:
    return render_to_string("orders/_order_status.html", {"order": order, "push": True})


def _authorize(viewer, kwargs) -> str | None:
    order = selectors.order_for_viewer(public_id=kwargs["public_id"], user=viewer.user, token=shopper_token(viewer))
    return order_group(order.public_id) if order is not None else None


def _render_current(viewer, kwargs) -> str:
    return render_order_status(selectors.order_detail(public_id=kwargs["public_id"]))


@receiver(order_status_changed, dispatch_uid="orders.live.push_order_status")
def push_order_status(sender, public_id, **kwargs) -> None:
    live.push_on_commit(
        order_group(public_id), lambda: render_order_status(selectors.order_detail(public_id=public_id))
    )


live.register_topic("order", authorize=_authorize, render_current=_render_current)
