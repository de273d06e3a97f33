"""The payment attempt's states, declared once (as ``orders/machine.py`` declares the order's).

An attempt only moves forward along these steps, whichever way the news arrives (our own call's answer,
a webhook fetched back from the provider, the sweep's read-back), so the same news applied twice, or in
any order, changes nothing the second time. Every step is the system's: people act on the order, and the
payments app follows. ``TELLS_ORDER`` says what each new state means for the order.
"""

from enum import StrEnum

from chefshop.statemachine import Actor, Machine, step
from orders.models import Notification
from payments.models import PaymentAttempt

A = PaymentAttempt.Status
SYSTEM = [Actor.SYSTEM]
ASKED = [A.STARTED, A.ACTION]

# fmt: off
ATTEMPT_MACHINE = Machine(A, [
    #    name              from                         to                 who     label
    step("start",          [""],                        A.STARTED,        SYSTEM, "Card payment started"),
    step("ask_3ds",        [A.STARTED],                 A.ACTION,         SYSTEM, "The bank asks for 3-D Secure"),
    step("authorise",      ASKED,                       A.AUTHORISED,     SYSTEM, "Authorised"),
    step("decline",        ASKED,                       A.DECLINED,       SYSTEM, "Declined"),
    step("fail",           ASKED,                       A.FAILED,         SYSTEM, "Refused by the provider"),
    step("cancel",         [*ASKED, A.AUTHORISED],      A.CANCELED,       SYSTEM, "Cancelled, never charged"),
    step("capture",        [A.AUTHORISED],              A.CAPTURED,       SYSTEM, "Captured"),
    step("ask_refund",     [A.CAPTURED],                A.REFUNDING,      SYSTEM, "Refund asked"),
    step("refund",         [A.CAPTURED, A.REFUNDING, A.REFUND_PROBLEM],
                                                        A.REFUNDED,       SYSTEM, "Refunded"),
    step("refund_problem", [A.CAPTURED, A.REFUNDING],   A.REFUND_PROBLEM, SYSTEM, "Refund problem"),
])
# fmt: on

# An attempt the shop is done with: nothing may stay authorised at the provider for it.
ENDED = frozenset({A.DECLINED, A.FAILED, A.CANCELED})

# What an intent's status at the provider means for its attempt ("" : nothing yet, or nothing new).
INTENT_STATUS: dict[str, str] = {
    "requires_action": A.ACTION,
    "requires_capture": A.AUTHORISED,
    "canceled": A.CANCELED,
    "succeeded": A.CAPTURED,
}
# Intent statuses in which the provider holds something on the card, or may still come to.
HOLDING = frozenset({"requires_capture", "requires_action", "requires_confirmation"})

# What an attempt's new state tells its order: the note the customer and the kitchen see, a line on the
# order's timeline ("" for none) and an email, once per kind ("" for none). "Authorised" moves the order
# itself; "cancelled" cancels an order that was waiting for its capture.
TELLS_ORDER: dict[str, tuple[str, str, str]] = {
    A.ACTION: ("Waiting for 3-D Secure", "", ""),
    A.DECLINED: ("Declined: {message}", "Card declined: {message}", Notification.Kind.PAYMENT_FAILED),
    A.FAILED: ("Payment problem: {message}", "Payment problem: {message}", ""),
    A.CAPTURED: ("Paid {amount} by card", "Payment of {amount} captured", ""),
    A.CANCELED: ("Card payment cancelled; nothing was charged", "Card payment cancelled; nothing was charged", ""),
    A.REFUNDING: ("Refund of {amount} asked", "Refund of {amount} asked", ""),
    A.REFUNDED: ("Refunded {amount}", "Refunded {amount} in full", Notification.Kind.REFUNDED),
    A.REFUND_PROBLEM: ("Refund problem: {message}", "Refund problem: {message}", Notification.Kind.REFUND_PROBLEM),
}


def may_move(source: str, target: str) -> bool:
    """Whether an attempt in ``source`` may move to ``target`` (a step forward)."""
    return any(source in s.sources and s.target == target for s in ATTEMPT_MACHINE)


class Outcome(StrEnum):
    """What a payments service did, as its jobs and the sweep report it."""

    NO_CHANGE = "no change"
    UNKNOWN_INTENT = "unknown intent"
    AMOUNT_MISMATCH = "amount mismatch"
    NOW_ACTION = "now requires_action"
    NOW_AUTHORISED = "now authorised"
    NOW_DECLINED = "now declined"
    NOW_FAILED = "now failed"
    NOW_CANCELED = "now canceled"
    NOW_CAPTURED = "now captured"
    NOW_REFUNDING = "now refunding"
    NOW_REFUNDED = "now refunded"
    NOW_REFUND_PROBLEM = "now refund_problem"
    ALREADY_SENT = "already sent"
    PENDING = "pending"
    STILL_PENDING = "still pending"
    GIVEN_UP = "given up"
    SETTLED = "settled"
    UNREACHABLE = "provider unreachable"
    NOTHING_TO_CAPTURE = "nothing to capture"
    NOT_RECEIVED = "order not received"
    TOO_EARLY = "undo window still open"
    ALREADY_CAPTURED = "already captured"
    CAPTURE_FAILED = "capture failed"
    PAYMENT_PROBLEM = "payment problem"
    CANCELLED_UNSENT = "cancelled unsent"
    CANCEL_FAILED = "cancel failed"
    NOT_CAPTURED = "not captured"
    REFUND_FAILED = "refund failed"
    RELEASE_ASKED = "release asked"
    STORED = "stored"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    APPLIED = "applied"

    @classmethod
    def now(cls, status: str) -> "Outcome":
        return cls(f"now {status}")
