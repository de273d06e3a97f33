from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chefshop import live as live_layer
from chefshop.errors import DomainError, StaleVersion
from chefshop.live.board import card_response, parse_version
from chefshop.roles import driver_of, driver_required, owner_required
from chefshop.statemachine import Actor
from deliveries import live, selectors, services
from deliveries.forms import FailForm
from deliveries.machine import DELIVERY_MACHINE, DRIVER_STATUSES, Effect
from deliveries.models import Driver

MISSING_VERSION = "This form is missing the version of the delivery it was made for. Here it is as it is now."


def _attempt(version: int | None, action) -> tuple[int, str]:
    """Run a delivery change; a stale click (or one without a version) is a 409/400, an impossible one a
    400, never a 500."""
    if version is None:
        return 400, MISSING_VERSION
    try:
        action(version)
    except StaleVersion as exc:
        return 409, str(exc)
    except DomainError as exc:
        return 400, str(exc)
    return 200, ""


def _take_step(request, delivery, action: str, step, by: Actor) -> tuple[int, str]:
    """Take a board's step on a delivery, with the failure reason the step needs, as ``_attempt`` does."""
    form = FailForm(request.POST)
    if step.has(Effect.NEEDS_REASON) and not form.is_valid():
        return 400, "Please say why the delivery failed."
    status, message = _attempt(
        parse_version(request.POST.get("version")),
        lambda seen: services.delivery_step(
            delivery=delivery,
            step=action,
            version=seen,
            by=by,
            actor=request.user,
            reason=form.cleaned_data.get("reason", "") if form.is_valid() else "",
        ),
    )
    if message and not request.htmx:
        messages.error(request, message)
    return status, message


@owner_required
def dispatch_board(request):
    return render(request, "deliveries/dispatch.html", {"cards": live.DISPATCH.board_cards(), "board": "dispatch"})


@owner_required
def dispatch_slot(request, slot_id: int):
    """A later slot's deliveries waiting for a driver, opened from its heading."""
    return HttpResponse(live_layer.frame(live.DISPATCH.slot_cards(slot_id)), content_type="application/json")


@owner_required
@require_POST
def dispatch_assign(request, delivery_id: int):
    delivery = selectors.delivery_get(delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    driver = Driver.objects.filter(pk=parse_version(request.POST.get("driver")) or 0, active=True).first()
    version = parse_version(request.POST.get("version"))
    if driver is None:
        status, message = 400, "Please choose a driver."
    else:
        status, message = _attempt(
            version,
            lambda seen: services.delivery_assign(delivery=delivery, driver=driver, version=seen, actor=request.user),
        )
    if message and not request.htmx:
        messages.error(request, message)
    fresh = selectors.deliveries_for_cards(delivery_ids=[delivery.pk])[0]
    html = live.render_dispatch_card(fresh, message=message, error=bool(message))
    return card_response(request, html=html, status=status, fallback="deliveries:dispatch")


OWNER_FINISH_STEPS = {step.name: step for step in DELIVERY_MACHINE.buttons_on("dispatch_finish")}


@owner_required
@require_POST
def dispatch_finish(request, delivery_id: int, action: str):
    """The owner finishes a delivery on the road whose driver cannot (delivered, or failed with a reason)."""
    delivery = selectors.delivery_get(delivery_id=delivery_id)
    if delivery is None or action not in OWNER_FINISH_STEPS:
        raise Http404("No such delivery.")
    status, message = _take_step(request, delivery, action, OWNER_FINISH_STEPS[action], Actor.OWNER)
    fresh = selectors.deliveries_for_cards(delivery_ids=[delivery.pk])[0]
    html = live.render_dispatch_card(fresh, message=message, error=bool(message))
    return card_response(request, html=html, status=status, fallback="deliveries:dispatch")


@driver_required
def driver_page(request):
    return render(request, "deliveries/driver.html", {"cards": live.driver_trip_cards(driver_of(request.user))})


DRIVER_STEPS = {step.name: step for step in DELIVERY_MACHINE.buttons_on("driver")}


@driver_required
@require_POST
def driver_action(request, delivery_id: int, action: str):
    driver = driver_of(request.user)
    delivery = selectors.delivery_for_driver(delivery_id=delivery_id, driver=driver)
    if delivery is None or action not in DRIVER_STEPS:
        raise Http404("No such delivery.")
    status, message = _take_step(request, delivery, action, DRIVER_STEPS[action], Actor.DRIVER)
    fresh = selectors.deliveries_for_cards(delivery_ids=[delivery.pk])[0]
    still_mine = fresh.driver_id == driver.pk and fresh.status in DRIVER_STATUSES
    html = live.render_trip(fresh, message=message, error=bool(message)) if still_mine else ""
    return card_response(request, html=html, status=status, fallback="deliveries:driver")
