import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Category, MenuItem
from orders.models import Cart, CartLine
from slots.models import DeliverySlot, SlotRule


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class MenuItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MenuItem

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Dish {n}")
    description = "Tasty."
    price = Decimal("9.50")


class SlotRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlotRule

    weekday = 0
    start = factory.LazyFunction(lambda: timezone.datetime(2000, 1, 1, 18, 0).time())
    end = factory.LazyFunction(lambda: timezone.datetime(2000, 1, 1, 19, 0).time())
    capacity = 6
    cutoff_minutes = 60


class DeliverySlotFactory(factory.django.DjangoModelFactory):
    """An open slot starting between three hours and six days from now."""

    class Meta:
        model = DeliverySlot

    # Spread over the next ~6 days (the checkout shows 7), so any number of test slots stays visible.
    start = factory.Sequence(
        lambda n: timezone.now().replace(microsecond=0) + timedelta(hours=3, seconds=(n * 37) % (150 * 3600))
    )
    end = factory.LazyAttribute(lambda s: s.start + timedelta(hours=1))
    order_cutoff = factory.LazyAttribute(lambda s: s.start - timedelta(hours=1))
    capacity = 5


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    token = factory.LazyFunction(uuid.uuid4)


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    item = factory.SubFactory(MenuItemFactory)
    quantity = 1


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deliveries.Driver"

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Driver {n}")
    phone = "+44 7700 900999"
