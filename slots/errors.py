class SlotError(Exception):
    """Base for every slot refusal; the message is shown to the customer as it is."""

    message = "This delivery slot cannot be booked."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class SlotNotFound(SlotError):
    message = "That delivery slot does not exist. Please choose another."


class SlotFull(SlotError):
    message = "Sorry, that delivery slot has just filled up. Please choose another."


class SlotClosed(SlotError):
    message = "Ordering for that delivery slot has closed. Please choose another."


class CapacityBelowReserved(SlotError):
    message = "Capacity cannot be lower than the places already reserved."
