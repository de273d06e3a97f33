import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from catalog import live as catalog_live
from chefshop import live as live_layer
from chefshop import money
from chefshop.errors import DomainError, StaleVersion
from chefshop.live.board import card_response, parse_day, parse_version
from chefshop.roles import owner_required
from chefshop.statemachine import Actor
from orders import live, selectors, services
from orders.errors import PricesChanged
from orders.forms import CheckoutForm, QuantityForm
from orders.machine import KITCHEN_STATUSES, ORDER_MACHINE
from orders.models import Order
from orders.shopper import shopper_token
from slots import selectors as slot_selectors
from slots.errors import SlotError
from slots.live import picker_cards


def menu(request):
    """The menu, with each dish's portions left on the day being chosen: ``?day=`` (one of the days that
    can still take orders), else the day of the next open slot. Live: the day's stock and dishes."""
    days = slot_selectors.open_days()
    chosen = _chosen_day(request, days)
    if request.GET.get("day") and request.session.get(MENU_DAY) != chosen.isoformat():
        request.session[MENU_DAY] = chosen.isoformat()  # the cart checks its lines against this day
    return render(request, "catalog/menu.html", {"cards": catalog_live.menu_cards(chosen), "days": days, "day": chosen})


MENU_DAY = "chefshop.menu_day"


def _chosen_day(request, days):
    """The delivery day the customer is choosing for: ``?day=``, else the one last chosen on the menu,
    else the day of the next open slot."""
    return (
        parse_day(request.GET.get("day"), allowed=days)
        or parse_day(request.session.get(MENU_DAY), allowed=days)
        or (days[0] if days else timezone.localdate())
    )


def _stock_context(lines) -> dict:
    """What a page needs to check the cart against the stock live (static/js/live.js, "stock"): each
    line's dish, and that dish's portions left per day as data cards of the public dish-stock topic."""
    return {
        "stock_cards": catalog_live.stock_data_cards([line.item_id for line in lines]),
        # so that the page's script writes amounts as the server does (chefshop.money.format_money)
        "money_format": {
            "currency": settings.CURRENCY,
            "locale": money.locale_tag(),
            "digits": money.minor_unit_exponent(settings.CURRENCY),
        },
    }


def _cart(request, *, create: bool = False):
    token = shopper_token(request, create=create)
    if create:
        return services.cart_get_or_create(user=request.user, token=token)
    return selectors.cart_find(user=request.user, token=token)


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Please check your input."


@require_POST
def cart_add(request):
    form = QuantityForm(request.POST)
    message, ok = "", False
    if not form.is_valid():
        message = _first_error(form)
    else:
        try:
            line = services.cart_add(
                cart=_cart(request, create=True),
                item_id=form.cleaned_data["item"],
                quantity=form.cleaned_data["quantity"] or 1,
            )
            message, ok = f"Added — {line.quantity} in your cart.", True
        except DomainError as exc:
            message = str(exc)
    if request.htmx:
        return render(request, "orders/_cart_added.html", {"message": message, "ok": ok})
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, message)
    return redirect("orders:menu")


def cart_detail(request):
    cart = _cart(request)
    lines = selectors.cart_lines(cart=cart)
    days = slot_selectors.open_days()
    context = {
        "lines": lines,
        "total": services.cart_total(lines),
        "max_quantity": settings.CART_MAX_QUANTITY,
        "day": _chosen_day(request, days) if days else None,
        **_stock_context(lines),
    }
    return render(request, "orders/cart.html", context)


@require_POST
def cart_update(request):
    form = QuantityForm(request.POST)
    cart = _cart(request)
    if not form.is_valid() or form.cleaned_data["quantity"] is None:
        messages.error(request, _first_error(form) if form.errors else "Please enter a quantity.")
    elif cart is None:
        messages.error(request, "Your cart is empty.")
    else:
        try:
            services.cart_set_quantity(
                cart=cart, item_id=form.cleaned_data["item"], quantity=form.cleaned_data["quantity"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("orders:cart")


@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = _cart(request)
    lines = selectors.cart_lines(cart=cart)
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if not lines:
            # The cart may be empty because this very form was already submitted: show that order.
            key = request.POST.get("idempotency_key", "")
            existing = _order_by_key(key)
            if existing is not None and _may_see(request, existing):
                return redirect(existing)
            form.add_error(None, "Your cart is empty. Add something from the menu first.")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_place(
                    cart=cart,
                    slot_id=data["slot"],
                    contact=services.Contact(
                        name=data["name"],
                        email=data["email"],
                        phone=data["phone"],
                        address=data["address"],
                        notes=data["notes"],
                    ),
                    idempotency_key=data["idempotency_key"],
                    user=request.user,
                    owner_token=shopper_token(request, create=True),
                    seen_total=data["seen_total"],
                )
                return redirect(order)
            except PricesChanged as exc:
                services.cart_prices_seen(cart=cart)  # this answer shows the new prices
                lines = selectors.cart_lines(cart=cart)
                form.add_error(None, str(exc))
            except SlotError as exc:
                form.add_error("slot", str(exc))
            except DomainError as exc:
                form.add_error(None, str(exc))
        status = 200 if not form.errors else 422
    else:
        initial = {"idempotency_key": uuid.uuid4()}
        if request.user.is_authenticated:
            initial.update(name=request.user.get_full_name(), email=request.user.email)
        form = CheckoutForm(initial=initial)
        status = 200
    total = services.cart_total(lines)
    selected = str(form["slot"].value() or "")
    context = {
        "form": form,
        "lines": lines,
        "total": total,
        "slot_cards": picker_cards(),
        "selected_slot": selected,
        **_stock_context(lines),
    }
    return render(request, "orders/checkout.html", context, status=status)


def _order_by_key(key: str) -> Order | None:
    try:
        return Order.objects.filter(idempotency_key=uuid.UUID(key)).first()
    except ValueError:
        return None


def _may_see(request, order: Order) -> bool:
    return (
        selectors.order_for_viewer(public_id=order.public_id, user=request.user, token=shopper_token(request))
        is not None
    )


def _order_or_404(request, public_id) -> Order:
    order = selectors.order_for_viewer(public_id=public_id, user=request.user, token=shopper_token(request))
    if order is None:
        raise Http404("No such order.")
    return order


def _order_page(request, order: Order, *, message: str = "", status: int = 200) -> HttpResponse:
    card = live.render_order_status(order, message=message, error=bool(message))
    return render(request, "orders/order_detail.html", {"order": order, "status_card": card}, status=status)


def order_detail(request, public_id):
    return _order_page(request, _order_or_404(request, public_id))


@require_POST
def order_cancel(request, public_id):
    """Undo or cancel. A click from an older page (or a form without its version) changes nothing: the
    page comes back with the order as it is now and says why."""
    order = _order_or_404(request, public_id)
    version = parse_version(request.POST.get("version"))
    if version is None:
        return _order_page(request, order, message=MISSING_VERSION, status=400)
    try:
        services.order_cancel(order=order, version=version, by=Actor.CUSTOMER, actor=request.user)
    except StaleVersion:
        fresh = _order_or_404(request, public_id)
        return _order_page(request, fresh, message=STALE_ORDER, status=409)
    except DomainError as exc:
        return _order_page(request, order, message=str(exc), status=400)
    messages.success(request, "Your order is cancelled.")
    return redirect(reverse("orders:detail", args=[order.public_id]))


@require_POST
def order_again(request, public_id):
    """Put an order's dishes back in this browser's cart (after a hold ran out, or a cancel)."""
    order = _order_or_404(request, public_id)
    left_out = services.cart_refill(cart=_cart(request, create=True), order=order)
    if left_out:
        messages.warning(request, f"No longer on the menu: {', '.join(left_out)}.")
    messages.success(request, "The dishes of your order are back in your cart.")
    return redirect("orders:cart")


@login_required
def order_list(request):
    return render(request, "orders/order_list.html", {"orders": selectors.orders_for_user(user=request.user)})


# --- kitchen board (owner) ----------------------------------------------------------------------

MISSING_VERSION = "This form is missing the version of the order it was made for. Here is the order as it is now."
STALE_ORDER = "Someone else changed this order first. This is the order as it is now."
KITCHEN_STEPS = {step.name for step in ORDER_MACHINE.buttons_on("kitchen")}


@owner_required
def kitchen_board(request):
    return render(request, "orders/kitchen.html", {"cards": live.KITCHEN.board_cards(), "board": "kitchen"})


@owner_required
def kitchen_slot(request, slot_id: int):
    """A later slot's order cards, opened from its heading (the same frame a push would carry)."""
    cards = live.KITCHEN.slot_cards(slot_id)
    return HttpResponse(live_layer.frame(cards), content_type="application/json")


@owner_required
@require_POST
def kitchen_action(request, public_id, action):
    order = Order.objects.filter(public_id=public_id).first()
    if order is None or action not in KITCHEN_STEPS:
        raise Http404("No such order or action.")
    version = parse_version(request.POST.get("version"))
    status, message, error = 200, "", False
    try:
        if version is None:
            status, message, error = 400, MISSING_VERSION, True
        else:
            services.order_transition(order=order, step=action, version=version, by=Actor.OWNER, actor=request.user)
    except StaleVersion:
        status, message, error = 409, STALE_ORDER, True
    except DomainError as exc:
        status, message, error = 400, str(exc), True
    if not request.htmx and message:
        messages.add_message(request, messages.ERROR, message)
    fresh = selectors.orders_for_cards(order_ids=[order.pk])[0]
    html = live.render_kitchen_card(fresh, message=message, error=error) if fresh.status in KITCHEN_STATUSES else ""
    return card_response(request, html=html, status=status, fallback="orders:kitchen")
