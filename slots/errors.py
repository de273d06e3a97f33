from chefshop.errors import DomainError, NotFound


class SlotError(DomainError):
    """Base for every slot refusal; the message is shown to the customer as it is."""

    message = "This delivery slot cannot be booked."


class SlotNotFound(SlotError, NotFound):
    message = "That delivery slot does not exist. Please choose another."


class SlotFull(SlotError):
    message = "Sorry, that delivery slot has just filled up. Please choose another."


class SlotClosed(SlotError):
    message = "Ordering for that delivery slot has closed. Please choose another."


class CapacityBelowReserved(SlotError):
    message = "Capacity cannot be lower than the places already reserved."


class SlotHasOrders(SlotError):
    message = "This slot has orders: it cannot move to another day, where their portions were not counted."
