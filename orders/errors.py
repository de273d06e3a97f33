"""The orders app's own refusals. The shared ones (illegal step, stale version, not found) are in
``chefshop/errors.py``."""

from chefshop.errors import DomainError


class OrderError(DomainError):
    message = "Your order could not be changed."


class CartError(OrderError):
    message = "Your cart could not be updated."


class EmptyCart(OrderError):
    message = "Your cart is empty. Add something from the menu first."


class ItemUnavailable(OrderError):
    message = "Some items in your cart are no longer available."


class PricesChanged(OrderError):
    message = "Some prices changed since you looked. Please check the total and place your order again."
