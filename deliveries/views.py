from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chefshop import live as live_layer
from chefshop.boards import card_response, parse_version
from chefshop.roles import driver_of, driver_required, owner_required
from deliveries import live, selectors, services
from deliveries.models import Driver
from orders.errors import OrderError, StaleVersion


class FailForm(forms.Form):
    reason = forms.CharField(max_length=300, strip=True)


def _attempt(action) -> tuple[int, str]:
    """Run a delivery change; a stale click is a 409, an impossible one a 400, never a 500."""
    try:
        action()
    except StaleVersion as exc:
        return 409, str(exc)
    except OrderError as exc:
        return 400, str(exc)
    return 200, ""


@owner_required
def dispatch_board(request):
    return render(request, "deliveries/dispatch.html", {"cards": live.dispatch_board_cards(), "board": "dispatch"})


@owner_required
def dispatch_slot(request, slot_id: int):
    """A later slot's deliveries waiting for a driver, opened from its heading."""
    return HttpResponse(live_layer.frame(live.dispatch_slot_cards(slot_id=slot_id)), content_type="application/json")


@owner_required
@require_POST
def dispatch_assign(request, delivery_id: int):
    delivery = selectors.delivery_get(delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    driver = Driver.objects.filter(pk=parse_version(request.POST.get("driver")) or 0, active=True).first()
    version = parse_version(request.POST.get("version")) or delivery.version
    if driver is None:
        status, message = 400, "Please choose a driver."
    else:
        status, message = _attempt(
            lambda: services.delivery_assign(delivery=delivery, driver=driver, version=version, actor=request.user)
        )
    if message and not request.htmx:
        messages.error(request, message)
    fresh = selectors.deliveries_for_cards(delivery_ids=[delivery.pk])[0]
    html = live.render_dispatch_card(fresh, message=message, error=bool(message))
    return card_response(request, html=html, status=status, fallback="deliveries:dispatch")


@driver_required
def driver_page(request):
    return render(request, "deliveries/driver.html", {"cards": live.driver_trip_cards(driver_of(request.user))})


DRIVER_ACTIONS = {"start": services.delivery_start, "delivered": services.delivery_complete}


@driver_required
@require_POST
def driver_action(request, delivery_id: int, action: str):
    driver = driver_of(request.user)
    delivery = selectors.delivery_for_driver(delivery_id=delivery_id, driver=driver)
    if delivery is None or action not in (*DRIVER_ACTIONS, "failed"):
        raise Http404("No such delivery.")
    version = parse_version(request.POST.get("version")) or delivery.version
    if action == "failed":
        form = FailForm(request.POST)
        if not form.is_valid():
            status, message = 400, "Please say why the delivery failed."
        else:
            status, message = _attempt(
                lambda: services.delivery_fail(
                    delivery=delivery, version=version, reason=form.cleaned_data["reason"], actor=request.user
                )
            )
    else:
        status, message = _attempt(
            lambda: DRIVER_ACTIONS[action](delivery=delivery, version=version, actor=request.user)
        )
    if message and not request.htmx:
        messages.error(request, message)
    fresh = selectors.deliveries_for_cards(delivery_ids=[delivery.pk])[0]
    still_mine = fresh.driver_id == driver.pk and fresh.status in (fresh.Status.ASSIGNED, fresh.Status.OUT_FOR_DELIVERY)
    html = live.render_trip(fresh, message=message, error=bool(message)) if still_mine else ""
    return card_response(request, html=html, status=status, fallback="deliveries:driver")
