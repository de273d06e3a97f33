"""The delivery's state machine, declared once. Services, pages, admin and tests all read this table."""

from enum import StrEnum

from chefshop.statemachine import START, Actor, Machine, step
from deliveries.models import Delivery

D = Delivery.Status
OWNER, DRIVER, SYSTEM = Actor.OWNER, Actor.DRIVER, Actor.SYSTEM


class Effect(StrEnum):
    """What a step does besides writing the delivery's timeline (which every step does)."""

    WRITES_TRIP = "writes the trip snapshot for the driver"
    ORDER_FOLLOWS = "moves the order to the same status (through the orders service)"
    NEEDS_REASON = "records why it failed"


E = Effect

# fmt: off
DELIVERY_MACHINE = Machine(D, [
    #    name         from                    to                   who       label (timeline, admin)
    # Created when the kitchen marks the order prepped (deliveries/receivers.py).
    step("create",    [START],                D.PENDING,          [SYSTEM], "Waiting for a driver"),
    step("assign",    [D.PENDING],            D.ASSIGNED,         [OWNER],  "Assigned",
         button="Assign", board="dispatch", effects=[E.WRITES_TRIP]),
    step("reassign",  [D.ASSIGNED],           D.ASSIGNED,         [OWNER],  "Reassigned",
         button="Reassign", board="dispatch", effects=[E.WRITES_TRIP]),
    step("start",     [D.ASSIGNED],           D.OUT_FOR_DELIVERY, [DRIVER], "Out for delivery",
         button="Out for delivery", board="driver", effects=[E.ORDER_FOLLOWS]),
    step("delivered", [D.OUT_FOR_DELIVERY],   D.DELIVERED,        [DRIVER], "Delivered",
         button="Delivered", board="driver", effects=[E.ORDER_FOLLOWS]),
    step("failed",    [D.OUT_FOR_DELIVERY],   D.FAILED,           [DRIVER], "Delivery failed",
         button="Failed", board="driver", effects=[E.ORDER_FOLLOWS, E.NEEDS_REASON]),
    # A delivery on the road is never stranded: if its driver cannot finish it (deactivated, phone lost),
    # the owner hands it to another driver, or finishes it from the dispatch board.
    step("handover",  [D.OUT_FOR_DELIVERY],   D.OUT_FOR_DELIVERY, [OWNER],  "Handed to another driver",
         button="Hand over", board="dispatch", effects=[E.WRITES_TRIP]),
    step("owner_delivered", [D.OUT_FOR_DELIVERY], D.DELIVERED,    [OWNER],  "Marked delivered by the shop",
         button="Mark delivered", board="dispatch_finish", effects=[E.ORDER_FOLLOWS]),
    step("owner_failed", [D.OUT_FOR_DELIVERY], D.FAILED,          [OWNER],  "Marked failed by the shop",
         button="Mark failed", board="dispatch_finish", effects=[E.ORDER_FOLLOWS, E.NEEDS_REASON]),
])
# fmt: on

# The deliveries on a driver's page: the ones the driver has a step for.
DRIVER_STATUSES = DELIVERY_MACHINE.shown_on("driver")
