"""What the deliveries app pushes: the dispatch board to owners, each driver's trips to that driver."""

from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from chefshop.roles import driver_of, is_owner
from deliveries.models import Driver
from deliveries.signals import delivery_changed
from deliveries.views import dispatch_context, driver_context


def dispatch_group() -> str:
    return "dispatch"


def driver_group(driver_id: int) -> str:
    return f"driver.{driver_id}"


def render_dispatch(viewer=None, kwargs=None) -> str:
    return render_to_string("deliveries/_dispatch_board.html", {**dispatch_context(), "push": True})


def render_driver(driver: Driver, *, new_id: int | None = None) -> str:
    return render_to_string("deliveries/_driver_trips.html", {**driver_context(driver, new_id=new_id), "push": True})


@receiver(delivery_changed, dispatch_uid="deliveries.live.push_delivery")
def push_delivery(sender, delivery_id: int, driver_ids: set[int], assigned_to: int | None = None, **kwargs) -> None:
    def push() -> None:
        live.send_html(dispatch_group(), render_dispatch())
        for driver in Driver.objects.filter(pk__in=driver_ids):
            new_id = delivery_id if driver.pk == assigned_to else None
            live.send_html(driver_group(driver.pk), render_driver(driver, new_id=new_id))

    transaction.on_commit(push, robust=True)


def _authorize_driver(viewer, kwargs) -> str | None:
    driver = driver_of(viewer.user)
    return driver_group(driver.pk) if driver is not None else None


live.register_topic(
    "dispatch",
    authorize=lambda viewer, kwargs: dispatch_group() if is_owner(viewer.user) else None,
    render_current=render_dispatch,
)
live.register_topic(
    "driver", authorize=_authorize_driver, render_current=lambda viewer, kwargs: render_driver(driver_of(viewer.user))
)
