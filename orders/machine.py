"""The order's state machine, declared once. Services, pages, admin and tests all read this table;
adding a state means a row here and the code that handles its effects."""

from enum import StrEnum

from chefshop.statemachine import START, Actor, Machine, step
from orders.models import Order

S = Order.Status
CUSTOMER, OWNER, SYSTEM = Actor.CUSTOMER, Actor.OWNER, Actor.SYSTEM


class Effect(StrEnum):
    """What a step does besides writing the order's timeline (which every step does)."""

    TAKES_PLACE = "takes a place in the slot"
    RETURNS_PLACE = "gives the slot place back"
    TAKES_PORTIONS = "takes the portions of its dishes for its day"
    RETURNS_PORTIONS = "gives the portions back (the food was never cooked)"
    STARTS_UNDO_TIMER = "stamps undo_until and starts the job that ends the undo window"
    ONLY_IN_UNDO_WINDOW = "only before undo_until: afterwards the order is being confirmed"
    STARTS_HOLD_TIMER = "starts the job that ends an unpaid order's hold (the payments sweep backs it up)"
    STAMPS_CONFIRMED = "stamps confirmed_at"
    EMAILS_CUSTOMER = "emails the customer"
    EMAILS_SHOP = "emails the shop"


E = Effect
ENDS_WORK = [E.RETURNS_PLACE, E.EMAILS_CUSTOMER]  # the slot stops counting the order; its customer hears why
NEVER_COOKED = [*ENDS_WORK, E.RETURNS_PORTIONS]  # ... and the kitchen gets its portions back

# fmt: off
ORDER_MACHINE = Machine(S, [
    #    name           from                          to                   who         label (timeline, admin)
    step("place",       [START],                      S.RECEIVED,         [CUSTOMER], "Order placed",
         effects=[E.TAKES_PORTIONS, E.TAKES_PLACE, E.STARTS_UNDO_TIMER]),
    # With payments on, an order first holds its place and portions while the customer pays.
    step("hold",        [START],                      S.AWAITING_PAYMENT, [CUSTOMER], "Order placed, awaiting payment",
         effects=[E.TAKES_PORTIONS, E.TAKES_PLACE, E.STARTS_HOLD_TIMER]),
    step("authorise",   [S.AWAITING_PAYMENT],         S.RECEIVED,         [SYSTEM],   "Payment authorised",
         effects=[E.STARTS_UNDO_TIMER, E.EMAILS_CUSTOMER]),
    step("expire",      [S.AWAITING_PAYMENT],         S.PAYMENT_EXPIRED,  [SYSTEM],   "Payment hold ran out",
         effects=NEVER_COOKED),
    step("abandon",     [S.AWAITING_PAYMENT],         S.CANCELLED,        [CUSTOMER], "Cancelled before paying",
         button="Cancel order", board="order", effects=NEVER_COOKED),
    step("confirm",     [S.RECEIVED],                 S.CONFIRMED,        [SYSTEM],   "Undo window ended",
         effects=[E.STAMPS_CONFIRMED, E.EMAILS_CUSTOMER, E.EMAILS_SHOP]),
    step("undo",        [S.RECEIVED],                 S.CANCELLED,        [CUSTOMER], "Undone by the customer",
         button="Undo order", board="order", effects=[*NEVER_COOKED, E.ONLY_IN_UNDO_WINDOW]),
    # The card's authorisation was cancelled at the provider (its dashboard, its fraud checks): nothing
    # will be captured, so the order cannot go on.
    step("payment_void", [S.RECEIVED],                S.CANCELLED,        [SYSTEM],   "Card payment voided",
         effects=NEVER_COOKED),
    step("cancel",      [S.CONFIRMED],                S.CANCELLED,        [CUSTOMER], "Cancelled by the customer",
         button="Cancel order", board="order", effects=NEVER_COOKED),
    step("shop_cancel", [S.AWAITING_PAYMENT, S.RECEIVED, S.CONFIRMED],
                                                      S.CANCELLED,        [OWNER],    "Cancelled by the shop",
         button="Cancel selected orders (gives the slot places back)", board="admin", effects=NEVER_COOKED),
    step("start",       [S.CONFIRMED],                S.PREPPING,         [OWNER],    "Prepping started",
         button="Start prepping", board="kitchen"),
    step("prepped",     [S.PREPPING],                 S.PREPPED,          [OWNER],    "Prepped",
         button="Prepped", board="kitchen"),
    # From here the delivery takes the order along (deliveries/machine.py, effect ORDER_FOLLOWS).
    step("out",         [S.PREPPED],                  S.OUT_FOR_DELIVERY, [SYSTEM],   "Out for delivery",
         effects=[E.EMAILS_CUSTOMER]),
    step("delivered",   [S.OUT_FOR_DELIVERY],         S.DELIVERED,        [SYSTEM],   "Delivered",
         effects=ENDS_WORK),
    step("failed",      [S.OUT_FOR_DELIVERY],         S.FAILED,           [SYSTEM],   "Delivery failed",
         effects=ENDS_WORK),
])
# fmt: on

# The orders the kitchen works on: the ones its board has a step for.
KITCHEN_STATUSES = ORDER_MACHINE.shown_on("kitchen")
