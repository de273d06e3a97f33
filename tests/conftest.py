import uuid

import pytest

from orders import services as order_services
from tests.factories import CartLineFactory, DeliverySlotFactory, UserFactory


@pytest.fixture
def slot(db):
    return DeliverySlotFactory(capacity=5)


@pytest.fixture
def staff(db):
    return UserFactory(username="owner-test", is_staff=True, is_superuser=True)


def make_contact(**overrides) -> order_services.Contact:
    data = {"name": "Ada", "email": "ada@example.com", "phone": "+44 7700 900123", "address": "1 High St"}
    data.update(overrides)
    return order_services.Contact(**data)


def place_order(slot, *, cart=None, user=None, token=None, **contact):
    """Place a one-line order into ``slot`` the way checkout does."""
    cart = cart or CartLineFactory().cart
    return order_services.order_place(
        cart=cart,
        slot_id=slot.pk,
        contact=make_contact(**contact),
        idempotency_key=uuid.uuid4(),
        user=user,
        owner_token=token or cart.token,
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright keeps an event loop on the main thread while its browser is
    open, and the other tests call async code from plain synchronous test functions."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
