from chefshop.errors import DomainError


class PaymentError(DomainError):
    message = "The payment could not be made."


class NotPayable(PaymentError):
    message = "This order is no longer waiting for a payment."


class PaymentInProgress(PaymentError):
    message = "A payment for this order is already under way."


class BadCard(PaymentError):
    message = "Please enter your card details."


class BadEvent(PaymentError):
    message = "That is not a well-signed provider event."
