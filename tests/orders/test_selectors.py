import pytest

from orders import selectors
from tests.conftest import place_order
from tests.factories import CartLineFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_cart_count_sums_quantities():
    line = CartLineFactory(quantity=3)
    CartLineFactory(cart=line.cart, quantity=2)
    assert selectors.cart_count(token=line.cart.token) == 5
    assert selectors.cart_count(token=None) == 0


def test_order_for_viewer_rules(slot):
    owner, other, staff = UserFactory(), UserFactory(), UserFactory(is_staff=True)
    line = CartLineFactory()
    order = place_order(slot, cart=line.cart, user=owner, token=line.cart.token)
    assert selectors.order_for_viewer(public_id=order.public_id, user=owner) == order
    assert selectors.order_for_viewer(public_id=order.public_id, token=line.cart.token) == order
    assert selectors.order_for_viewer(public_id=order.public_id, user=staff) == order
    assert selectors.order_for_viewer(public_id=order.public_id, user=other) is None
    assert selectors.order_for_viewer(public_id=order.public_id) is None
