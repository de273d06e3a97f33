"""Every change to carts and orders. Orders are the only ones to take and give back slot places."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import MenuItem
from chefshop.errors import IllegalTransition, StaleVersion
from chefshop.statemachine import START, Actor, Step
from chefshop.templatetags.shop import money
from orders import notifications
from orders import selectors as order_selectors
from orders.errors import CartError, EmptyCart, ItemUnavailable, PricesChanged
from orders.locks import lock_cart_lines, lock_order
from orders.machine import ORDER_MACHINE, Effect
from orders.models import Cart, CartLine, Order, OrderEvent, OrderItem
from orders.signals import order_payment_changed, order_status_changed, undo_window_ended
from slots import selectors as slot_selectors
from slots import services as slot_services
from slots.errors import SlotNotFound

S = Order.Status


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    address: str
    notes: str = ""


# --- cart ---------------------------------------------------------------------------------------


def cart_get_or_create(*, user: Any = None, token: uuid.UUID | None = None) -> Cart:
    """The cart of a logged-in user, or of an anonymous browser's token."""
    lookup = {"user": user} if user is not None and user.is_authenticated else {"token": token}
    if lookup.get("token", True) is None:
        raise CartError("No cart for this browser yet.")
    try:
        with transaction.atomic():
            cart, _ = Cart.objects.get_or_create(**lookup)
    except IntegrityError:  # created by a parallel request
        cart = Cart.objects.get(**lookup)
    return cart


def _check_quantity(quantity: int) -> None:
    if not 0 <= quantity <= settings.CART_MAX_QUANTITY:
        raise CartError(f"Please choose a quantity between 1 and {settings.CART_MAX_QUANTITY}.")


@transaction.atomic
def cart_add(*, cart: Cart, item_id: int, quantity: int = 1) -> CartLine:
    if quantity < 1:
        raise CartError("Please choose a quantity of at least 1.")
    _check_quantity(quantity)
    item = MenuItem.objects.filter(pk=item_id).first()
    if item is None:
        raise CartError("That dish is not on the menu.")
    if not item.available:
        raise CartError(f"Sorry, {item.name} is not available right now.")
    line, created = CartLine.objects.get_or_create(
        cart=cart, item=item, defaults={"quantity": quantity, "price_seen": item.price}
    )
    if not created:
        bumped = CartLine.objects.filter(pk=line.pk, quantity__lte=settings.CART_MAX_QUANTITY - quantity).update(
            quantity=F("quantity") + quantity, price_seen=item.price
        )
        if not bumped:
            raise CartError(f"You can order at most {settings.CART_MAX_QUANTITY} of {item.name}.")
        line.refresh_from_db(fields=["quantity"])
    return line


@transaction.atomic
def cart_set_quantity(*, cart: Cart, item_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes the line."""
    _check_quantity(quantity)
    lines = CartLine.objects.filter(cart=cart, item_id=item_id)
    if quantity == 0:
        lines.delete()
    elif not lines.update(quantity=quantity):
        raise CartError("That dish is not in your cart any more.")


def cart_prices_seen(*, cart: Cart) -> None:
    """The customer has been shown the cart's prices as they are now."""
    CartLine.objects.filter(cart=cart).update(
        price_seen=Subquery(MenuItem.objects.filter(pk=OuterRef("item_id")).values("price")[:1])
    )


def cart_total(lines: list[CartLine]) -> Decimal:
    return sum((line.line_total for line in lines), Decimal("0.00"))


@transaction.atomic
def cart_refill(*, cart: Cart, order: Order) -> list[str]:
    """ "Order again": the order's dishes back in the cart (quantities add up, capped). Returns the names
    of the dishes left out because they are gone from the menu or unavailable."""
    left_out = []
    for item in order.items.select_related("menu_item"):
        dish = item.menu_item
        if dish is None or not dish.available:
            left_out.append(item.name)
            continue
        line, created = CartLine.objects.get_or_create(
            cart=cart, item=dish, defaults={"quantity": min(item.quantity, settings.CART_MAX_QUANTITY)}
        )
        line.price_seen = dish.price
        if not created:
            line.quantity = min(line.quantity + item.quantity, settings.CART_MAX_QUANTITY)
        line.save(update_fields=["quantity", "price_seen"])
    return left_out


@transaction.atomic
def cart_merge(*, token: uuid.UUID | None, user: Any) -> None:
    """At login, move the anonymous cart's lines into the user's cart (quantities add up, capped)."""
    if token is None:
        return
    anonymous = Cart.objects.filter(token=token, user__isnull=True).first()
    if anonymous is None:
        return
    target = cart_get_or_create(user=user)
    existing = {line.item_id: line for line in lock_cart_lines(cart=target)}
    for line in anonymous.lines.all():
        if line.item_id in existing:
            mine = existing[line.item_id]
            mine.quantity = min(mine.quantity + line.quantity, settings.CART_MAX_QUANTITY)
            mine.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(
                cart=target, item_id=line.item_id, quantity=line.quantity, price_seen=line.price_seen
            )
    anonymous.delete()


# --- orders -------------------------------------------------------------------------------------


def order_place(
    *,
    cart: Cart,
    slot_id: int,
    contact: Contact,
    idempotency_key: uuid.UUID,
    user: Any = None,
    owner_token: uuid.UUID | None = None,
    seen_total: Decimal | None = None,
) -> Order:
    """Place the cart as an order into a slot. The same ``idempotency_key`` never makes two orders.

    Raises a ``SlotError`` (full, closed, unknown), ``EmptyCart``, ``ItemUnavailable``, ``SoldOut``
    or ``PricesChanged`` (the cart's total is no longer ``seen_total``, the one the customer saw); in
    every case nothing is written and the cart is kept.
    """
    existing = Order.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        return _order_place(
            cart=cart,
            slot_id=slot_id,
            contact=contact,
            idempotency_key=idempotency_key,
            user=user,
            owner_token=owner_token,
            seen_total=seen_total,
        )
    except (IntegrityError, EmptyCart):
        # A parallel submit of the same form won the race (it emptied the cart, or holds the key);
        # ours rolled back whole, slot place included.
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _order_place(
    *,
    cart: Cart,
    slot_id: int,
    contact: Contact,
    idempotency_key: uuid.UUID,
    user: Any,
    owner_token: uuid.UUID | None,
    seen_total: Decimal | None = None,
) -> Order:
    lines = lock_cart_lines(cart=cart)
    if not lines:
        raise EmptyCart()
    if seen_total is not None and cart_total(lines) != seen_total:
        changed = [
            f"{line.item.name} is now {money(line.item.price)}" for line in lines if line.price_seen != line.item.price
        ]
        raise PricesChanged(
            f"Prices changed since you looked: {', '.join(changed) or 'the total'}. "
            f"The new total is {money(cart_total(lines))}; please check it and place your order again."
        )
    unavailable = [line.item.name for line in lines if not line.item.available]
    if unavailable:
        raise ItemUnavailable(
            f"Sorry, no longer available: {', '.join(unavailable)}. Please remove them from your cart."
        )
    slot = slot_selectors.slot_get(slot_id=slot_id)
    if slot is None:
        raise SlotNotFound()
    card = settings.PAYMENTS
    order = Order.objects.create(
        pays_by_card=card,
        hold_until=timezone.now() + timedelta(seconds=settings.PAYMENT_HOLD_SECONDS) if card else None,
        status=S.AWAITING_PAYMENT if card else S.RECEIVED,
        idempotency_key=idempotency_key,
        user=user if user is not None and user.is_authenticated else None,
        owner_token=owner_token,
        slot=slot,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        address=contact.address,
        notes=contact.notes,
        total=cart_total(lines),
        stock_day=timezone.localdate(slot.start),
        undo_until=None if card else timezone.now() + timedelta(seconds=settings.ORDER_UNDO_SECONDS),
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order, menu_item=line.item, name=line.item.name, unit_price=line.item.price, quantity=line.quantity
        )
        for line in lines
    )
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    _record(order, ORDER_MACHINE.first("hold" if card else "place"), from_status=START, actor=user)
    if settings.ORDER_UNDO_SECONDS <= 0 and not card:
        order = order_transition(
            order=order, step="confirm", version=order.version, by=Actor.SYSTEM, note="No undo window"
        )
    return order


def order_undo_remaining(*, order_id: int, now: datetime | None = None) -> float | None:
    """Seconds left in the order's undo window (its stored ``undo_until``); None when it is not in one."""
    ends = Order.objects.filter(pk=order_id, status=S.RECEIVED).values_list("undo_until", flat=True).first()
    if ends is None:
        return None
    return max((ends - (now or timezone.now())).total_seconds(), 0.0)


def order_confirm_if_due(*, order_id: int, now: datetime | None = None) -> bool:
    """End the undo window: received → confirmed, once it has run out. Safe to run twice."""
    remaining = order_undo_remaining(order_id=order_id, now=now)
    if remaining is None or remaining > 0:
        return False
    try:
        order = Order.objects.get(pk=order_id)
        if order.pays_by_card:  # captured first: the payments app confirms it (order_confirm_paid)
            undo_window_ended.send(sender=Order, order_id=order_id)
            return False
        order_transition(order=order, step="confirm", version=order.version, by=Actor.SYSTEM)
    except (StaleVersion, IllegalTransition):
        return False  # undone, or confirmed by a parallel run, just now
    return True


def orders_confirm_overdue(*, now: datetime | None = None) -> int:
    """The sweep: confirm every order whose undo window ran out without its task."""
    now = now or timezone.now()
    due = Order.objects.filter(status=S.RECEIVED, undo_until__lte=now).values_list("pk", flat=True)
    return sum(order_confirm_if_due(order_id=pk, now=now) for pk in list(due[:500]))


def _person(actor: Any) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _record(order: Order, step: Step, *, from_status: str, actor: Any, note: str = "") -> None:
    """Everything a step does besides moving the status: the timeline event, the outbox, the signal,
    and the slot place. The first step (placing) comes through here too."""
    OrderEvent.objects.create(
        order=order, from_status=from_status, to_status=step.target, actor=_person(actor), note=note or step.label
    )
    notifications.write_for_step(order, step)
    order_status_changed.send(
        sender=Order,
        order_id=order.pk,
        public_id=order.public_id,
        from_status=from_status,
        to_status=step.target,
        version=order.version,
        step=step.name,
    )
    # Locks in the one order of DESIGN §2, taking or giving back alike: the dishes (shared), their day rows
    # by dish id, then the slot. Two orders crossing (one placed, one undone) can never wait for each other.
    if step.has(Effect.TAKES_PORTIONS) or step.has(Effect.RETURNS_PORTIONS):
        portions = list(OrderItem.objects.filter(order=order).values_list("menu_item_id", "quantity"))
        day = order.stock_day or timezone.localdate(order.slot.start)
        if step.has(Effect.TAKES_PORTIONS):
            catalog_services.stock_take(day=day, lines=portions)
        else:  # to the day they were taken from, even if the slot was moved since
            catalog_services.stock_return(day=day, lines=portions)
    if step.has(Effect.RETURNS_PLACE):
        slot_services.slot_release(slot_id=order.slot_id)
    if step.has(Effect.TAKES_PLACE):
        # Last: the slot's row stays locked from this UPDATE until the commit, so every other order for
        # the same slot waits only for that. If the slot is full, everything before rolls back with it.
        slot_services.slot_reserve(slot_id=order.slot_id)


@transaction.atomic
def order_transition(
    *,
    order: Order,
    step: str,
    version: int,
    by: Actor,
    actor: Any = None,
    note: str = "",
    payment_note: str | None = None,
) -> Order:
    """Take one step of the order's state machine (``orders/machine.py``).

    ``version`` is the version the caller saw. The UPDATE is conditional on it, so of two people acting at
    once one wins and the other gets ``StaleVersion``; a step not allowed from here, or not for ``by``,
    raises ``IllegalTransition``.
    """
    chosen = ORDER_MACHINE.step(step)
    now = timezone.now()
    changes: dict[str, Any] = {"confirmed_at": now} if chosen.has(Effect.STAMPS_CONFIRMED) else {}
    if chosen.has(Effect.STARTS_UNDO_TIMER):
        changes["undo_until"] = now + timedelta(seconds=settings.ORDER_UNDO_SECONDS)
    if payment_note is not None:
        changes["payment_note"] = payment_note
    where = None
    if chosen.has(Effect.ONLY_IN_UNDO_WINDOW):
        # Checked here for a clear answer, and again by the UPDATE itself, so a capture can never follow.
        if order.status == S.RECEIVED and not order.undo_open(now):
            raise IllegalTransition("The time to undo this order has ended: it is being confirmed.")
        where = Q(undo_until__gt=now)
    from_status = ORDER_MACHINE.move(order, step=chosen, version=version, by=by, where=where, **changes)
    _record(order, chosen, from_status=from_status, actor=actor, note=note)
    return order


def order_cancel(*, order: Order, version: int, by: Actor, actor: Any = None) -> Order:
    """Undo (in the undo window) or cancel, whichever step the table has for ``by`` from here."""
    try:
        step = ORDER_MACHINE.find(source=order.status, target=S.CANCELLED, by=by)
    except IllegalTransition:
        raise IllegalTransition(
            f"This order is {order.get_status_display().lower()} and can no longer be cancelled."
        ) from None
    return order_transition(order=order, step=step.name, version=version, by=by, actor=actor)


# --- paid by card (the payments app calls these; orders never imports it) ----------------------------


def _system_step(order_id: int, step: str, *, note: str = "", payment_note: str | None = None) -> bool:
    """Take a system step if the order is where the step starts; False if it moved on meanwhile."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return False
    try:
        order_transition(
            order=order, step=step, version=order.version, by=Actor.SYSTEM, note=note, payment_note=payment_note
        )
    except (StaleVersion, IllegalTransition):
        return False
    return True


def order_authorise(*, order_id: int, payment_note: str = "Card payment authorised") -> bool:
    """The order's payment was authorised: awaiting_payment → received, and the undo window starts."""
    done = _system_step(order_id, "authorise", payment_note=payment_note)
    if done and settings.ORDER_UNDO_SECONDS <= 0:
        transaction.on_commit(lambda: undo_window_ended.send(sender=Order, order_id=order_id), robust=True)
    return done


def order_confirm_paid(*, order_id: int, payment_note: str) -> bool:
    """The undo window ended and the payment is settled (or the owner must decide): received → confirmed."""
    return _system_step(order_id, "confirm", payment_note=payment_note)


def order_hold_remaining(*, order_id: int, now: datetime | None = None) -> float | None:
    """Seconds left in an unpaid order's hold; None when it no longer waits for payment."""
    ends = Order.objects.filter(pk=order_id, status=S.AWAITING_PAYMENT).values_list("hold_until", flat=True).first()
    if ends is None:
        return None
    return max((ends - (now or timezone.now())).total_seconds(), 0.0)


def orders_expire_overdue_holds(*, now: datetime | None = None) -> int:
    """The sweep behind the hold timer: every unpaid order whose hold ran out becomes payment_expired."""
    now = now or timezone.now()
    return sum(order_expire_if_due(order_id=pk, now=now) for pk in order_selectors.holds_due(now=now))


def order_void_paid(*, order_id: int, note: str) -> bool:
    """The card's authorisation was cancelled at the provider while the order waited for its capture: the
    order is cancelled, its place and portions returned and its customer told. False if it moved on."""
    return _system_step(order_id, "payment_void", note=note, payment_note=note)


def order_expire_if_due(*, order_id: int, now: datetime | None = None) -> bool:
    """An unpaid order whose hold ran out: payment_expired, its place and portions given back."""
    now = now or timezone.now()
    if not Order.objects.filter(pk=order_id, status=S.AWAITING_PAYMENT, hold_until__lte=now).exists():
        return False
    return _system_step(order_id, "expire", payment_note="Not paid in time")


@transaction.atomic
def order_payment_update(*, order_id: int, payment_note: str, timeline: str = "", email: str = "") -> None:
    """What the order shows of its payment (customer page, kitchen card), a timeline line for it and, once
    per kind, an email (``Notification.Kind``: payment_failed, refunded)."""
    order = lock_order(order_id=order_id)
    if order is None:
        return
    Order.objects.filter(pk=order_id).update(payment_note=payment_note[:120], version=F("version") + 1)
    order.refresh_from_db()
    if timeline:
        OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, note=timeline)
    if email:
        notifications.write_kind(order, email)  # sent after commit by orders/tasks.py, like a step's
    order_payment_changed.send(sender=Order, order_id=order.pk, public_id=order.public_id, status=order.status)
