"""One lock order (DESIGN §2): placing, undoing and a hold running out, on the same slot and the same dish
at the same moment, never deadlock. Real threads, real PostgreSQL."""

import threading
import uuid

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from chefshop.statemachine import Actor
from orders import services
from orders.models import Order
from tests.conftest import make_contact
from tests.factories import CartLineFactory, DeliverySlotFactory, MenuItemFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 200


def _deadlocks() -> int:
    """Deadlocks PostgreSQL has detected in this database, as its statistics say now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _place(slot, dish):
    cart = CartLineFactory(item=dish, quantity=1).cart
    return services.order_place(
        cart=cart, slot_id=slot.pk, contact=make_contact(), idempotency_key=uuid.uuid4(), owner_token=cart.token
    )


def test_placing_undoing_and_holds_running_out_on_one_slot_and_dish_never_deadlock(settings):
    # given: card payments (an order first holds its place and portions), one slot and one dish for all
    settings.PAYMENTS = True
    settings.ORDER_UNDO_SECONDS = 3600
    slot = DeliverySlotFactory(capacity=3 * ROUNDS)
    dish = MenuItemFactory(daily_portions=3 * ROUNDS)
    to_undo, to_expire = [], []
    for _ in range(ROUNDS):
        paid = _place(slot, dish)
        assert services.order_authorise(order_id=paid.pk)
        to_undo.append(paid.pk)
        to_expire.append(_place(slot, dish).pk)
    Order.objects.filter(pk__in=to_expire).update(hold_until=timezone.now())
    carts = [CartLineFactory(item=dish, quantity=1).cart for _ in range(ROUNDS)]
    connection.close()
    before = _deadlocks()
    connection.close()

    # when: each round, one customer places an order, another undoes theirs and a third order's hold runs
    # out, all at the same moment
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def place(i):
        services.order_place(
            cart=carts[i],
            slot_id=slot.pk,
            contact=make_contact(),
            idempotency_key=uuid.uuid4(),
            owner_token=carts[i].token,
        )

    def undo(i):
        order = Order.objects.get(pk=to_undo[i])
        services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)

    def expire(i):
        assert services.order_expire_if_due(order_id=to_expire[i])

    def run(step):
        try:
            for i in range(ROUNDS):
                barrier.wait(timeout=30)
                try:
                    step(i)
                except Exception as exc:  # noqa: BLE001 - every failure is reported below
                    failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(step,)) for step in (place, undo, expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    # then: nobody saw a deadlock, and PostgreSQL counted none
    deadlocked = [exc for exc in failures if isinstance(exc.__cause__, psycopg.errors.DeadlockDetected)]
    assert not deadlocked, f"{len(deadlocked)} of {ROUNDS} rounds deadlocked"
    assert not failures, failures[:3]
    assert _deadlocks() == before
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == ROUNDS
    assert Order.objects.filter(status=Order.Status.PAYMENT_EXPIRED).count() == ROUNDS
