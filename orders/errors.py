class OrderError(Exception):
    message = "Your order could not be changed."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class CartError(OrderError):
    message = "Your cart could not be updated."


class EmptyCart(OrderError):
    message = "Your cart is empty. Add something from the menu first."


class ItemUnavailable(OrderError):
    message = "Some items in your cart are no longer available."


class IllegalTransition(OrderError):
    message = "That change is not possible for this order now."


class StaleVersion(OrderError):
    """Someone else changed the order first; ``current`` is the fresh state."""

    message = "This order was changed meanwhile. Here is its current state."

    def __init__(self, current=None, message: str | None = None):
        super().__init__(message)
        self.current = current
