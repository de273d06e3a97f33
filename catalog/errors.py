"""The catalog's refusals: portions of a dish that a day does not have."""

from chefshop.errors import DomainError, NotFound


class StockError(DomainError):
    message = "That dish cannot be ordered for that day."


class SoldOut(StockError):
    """Not enough portions of one dish on one day; names the dish, the day and what is left."""

    def __init__(self, *, name: str, day_label: str, left: int) -> None:
        if left <= 0:
            message = f"Sorry, {name} is sold out on {day_label}."
        else:
            message = f"Sorry, only {left} portion{'s' if left != 1 else ''} of {name} left on {day_label}."
        super().__init__(message)
        self.name, self.day_label, self.left = name, day_label, left


class TotalBelowReserved(StockError):
    message = "A day cannot have fewer portions than its orders already took."


class DishNotFound(StockError, NotFound):
    message = "That dish is not on the menu."
