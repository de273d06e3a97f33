import uuid
from decimal import Decimal

import pytest
from django.test import override_settings

from catalog.models import MenuItem
from chefshop.errors import IllegalTransition, StaleVersion
from chefshop.statemachine import Actor
from orders import services
from orders.errors import CartError, EmptyCart, ItemUnavailable
from orders.models import Cart, CartLine, Order, OrderEvent
from slots.errors import SlotFull
from slots.models import DeliverySlot
from tests.conftest import cook, kitchen, make_contact, place_order
from tests.factories import CartFactory, CartLineFactory, DeliverySlotFactory, MenuItemFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Order.Status


def _reserved(slot) -> int:
    return DeliverySlot.objects.get(pk=slot.pk).reserved


def test_place_copies_lines_reserves_and_confirms_at_once(slot):
    # given
    cart = CartFactory()
    soup = MenuItemFactory(name="Soup", price=Decimal("6.50"))
    pie = MenuItemFactory(name="Pie", price=Decimal("12.25"))
    services.cart_add(cart=cart, item_id=soup.pk, quantity=2)
    services.cart_add(cart=cart, item_id=pie.pk)
    # when
    order = place_order(slot, cart=cart)
    # then
    assert order.status == S.CONFIRMED
    assert order.total == Decimal("25.25")
    assert sorted(order.items.values_list("name", "unit_price", "quantity")) == [
        ("Pie", Decimal("12.25"), 1),
        ("Soup", Decimal("6.50"), 2),
    ]
    assert list(order.events.values_list("from_status", "to_status")) == [("", "received"), ("received", "confirmed")]
    assert _reserved(slot) == 1
    assert not CartLine.objects.filter(cart=cart).exists()


def test_placed_order_keeps_its_prices_when_the_menu_changes(slot):
    line = CartLineFactory(quantity=3)
    order = place_order(slot, cart=line.cart)
    MenuItem.objects.filter(pk=line.item_id).update(price=Decimal("99.00"), name="Renamed")
    order.refresh_from_db()
    assert order.items.get().name != "Renamed"
    assert order.total == Decimal("28.50")


@override_settings(ORDER_UNDO_SECONDS=20)
def test_with_an_undo_window_the_order_stays_received(slot):
    assert place_order(slot).status == S.RECEIVED


def test_full_slot_keeps_the_cart_and_writes_nothing():
    # given
    slot = DeliverySlotFactory(capacity=1, reserved=1)
    line = CartLineFactory(quantity=2)
    # when / then
    with pytest.raises(SlotFull):
        place_order(slot, cart=line.cart)
    assert CartLine.objects.get(pk=line.pk).quantity == 2
    assert Order.objects.count() == 0


def test_empty_cart_is_refused(slot):
    with pytest.raises(EmptyCart):
        place_order(slot, cart=CartFactory())
    assert _reserved(slot) == 0


def test_unavailable_item_is_refused_and_no_place_taken(slot):
    line = CartLineFactory(item=MenuItemFactory(available=False))
    with pytest.raises(ItemUnavailable):
        place_order(slot, cart=line.cart)
    assert _reserved(slot) == 0


def test_same_idempotency_key_makes_one_order(slot):
    # given
    cart = CartLineFactory().cart
    key = uuid.uuid4()
    # when: the same form is submitted twice
    first = services.order_place(cart=cart, slot_id=slot.pk, contact=make_contact(), idempotency_key=key)
    CartLineFactory(cart=cart)  # even with something new in the cart
    second = services.order_place(cart=cart, slot_id=slot.pk, contact=make_contact(), idempotency_key=key)
    # then
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert _reserved(slot) == 1


def test_cancel_gives_the_place_back(slot):
    order = place_order(slot)
    services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert _reserved(slot) == 0
    assert order.events.last().to_status == S.CANCELLED


def test_kitchen_transitions_and_illegal_moves(slot):
    order = place_order(slot)
    order = kitchen(order, "start")
    with pytest.raises(IllegalTransition, match="can no longer be cancelled"):
        services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    with pytest.raises(IllegalTransition):
        services.order_transition(order=order, step="delivered", version=order.version, by=Actor.SYSTEM)
    with pytest.raises(IllegalTransition):  # the kitchen's step, but not the customer's
        services.order_transition(order=order, step="prepped", version=order.version, by=Actor.CUSTOMER)
    order = kitchen(order, "prepped")
    assert order.status == S.PREPPED
    assert _reserved(slot) == 1  # still being worked on
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == [
        "received",
        "confirmed",
        "prepping",
        "prepped",
    ]


def test_finishing_the_delivery_returns_the_place(slot):
    order = place_order(slot)
    order = cook(order)
    order = services.order_transition(order=order, step="out", version=order.version, by=Actor.SYSTEM)
    assert _reserved(slot) == 1
    services.order_transition(order=order, step="delivered", version=order.version, by=Actor.SYSTEM)
    assert _reserved(slot) == 0


def test_stale_version_is_a_conflict_not_an_overwrite(slot):
    # given: two people loaded the order at version v
    order = place_order(slot)
    seen = order.version
    kitchen(Order.objects.get(pk=order.pk), "start")
    # when / then: the second acts on what it saw
    with pytest.raises(StaleVersion) as caught:
        services.order_cancel(order=order, version=seen, by=Actor.OWNER)
    assert caught.value.current.status == S.PREPPING
    assert _reserved(slot) == 1


def test_cart_add_refuses_unavailable_and_absurd_quantities():
    cart = CartFactory()
    with pytest.raises(CartError):
        services.cart_add(cart=cart, item_id=MenuItemFactory(available=False).pk)
    with pytest.raises(CartError):
        services.cart_add(cart=cart, item_id=MenuItemFactory().pk, quantity=10_000)
    with pytest.raises(CartError):
        services.cart_add(cart=cart, item_id=123456789)
    item = MenuItemFactory()
    services.cart_add(cart=cart, item_id=item.pk, quantity=20)
    with pytest.raises(CartError):
        services.cart_add(cart=cart, item_id=item.pk)
    assert CartLine.objects.get(cart=cart, item=item).quantity == 20


def test_cart_set_quantity_zero_removes():
    line = CartLineFactory(quantity=3)
    services.cart_set_quantity(cart=line.cart, item_id=line.item_id, quantity=5)
    assert CartLine.objects.get(pk=line.pk).quantity == 5
    services.cart_set_quantity(cart=line.cart, item_id=line.item_id, quantity=0)
    assert not CartLine.objects.filter(pk=line.pk).exists()


def test_merge_moves_anonymous_lines_into_the_users_cart():
    # given
    user = UserFactory()
    shared, only_anon = MenuItemFactory(), MenuItemFactory()
    mine = services.cart_get_or_create(user=user)
    services.cart_add(cart=mine, item_id=shared.pk, quantity=2)
    anon = CartFactory()
    services.cart_add(cart=anon, item_id=shared.pk, quantity=3)
    services.cart_add(cart=anon, item_id=only_anon.pk)
    # when
    services.cart_merge(token=anon.token, user=user)
    # then
    assert dict(CartLine.objects.filter(cart=mine).values_list("item_id", "quantity")) == {
        shared.pk: 5,
        only_anon.pk: 1,
    }
    assert not Cart.objects.filter(pk=anon.pk).exists()
