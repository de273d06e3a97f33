from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chefshop.boards import board_response, board_version, parse_version
from chefshop.roles import driver_of, driver_required, owner_required
from deliveries import selectors, services
from deliveries.models import Driver
from orders.errors import OrderError, StaleVersion


class FailForm(forms.Form):
    reason = forms.CharField(max_length=300, strip=True)


def dispatch_context(*, message: str = "", error: bool = False) -> dict:
    return {
        "board_version": board_version(),
        "dispatch": selectors.dispatch_board(),
        "message": message,
        "error": error,
    }


def driver_context(driver: Driver, *, message: str = "", error: bool = False, new_id: int | None = None) -> dict:
    return {
        "board_version": board_version(),
        "driver": driver,
        "deliveries": selectors.driver_deliveries(driver=driver),
        "message": message,
        "error": error,
        "new_id": new_id,
    }


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
    return render(request, "deliveries/dispatch.html", {**dispatch_context(), "board": "dispatch"})


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
    return board_response(
        request,
        template="deliveries/_dispatch_board.html",
        context=dispatch_context(message=message, error=bool(message)),
        status=status,
        fallback="deliveries:dispatch",
    )


@driver_required
def driver_page(request):
    return render(request, "deliveries/driver.html", driver_context(driver_of(request.user)))


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
    return board_response(
        request,
        template="deliveries/_driver_trips.html",
        context=driver_context(driver, message=message, error=bool(message)),
        status=status,
        fallback="deliveries:driver",
    )
