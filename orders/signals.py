from django.dispatch import Signal

order_status_changed = Signal()
"""An order moved from one status to another. Payload: ``order_id``, ``public_id``,
``from_status`` ("" when just placed), ``to_status``, ``version``, ``step`` (the name of the step
in ``orders/machine.py``)."""

undo_window_ended = Signal()
"""The undo window of an order paid by card ran out: its payment can be captured, after which the
payments app confirms it (``services.order_confirm_paid``). Payload: ``order_id``."""

order_payment_changed = Signal()
"""What an order shows of its payment changed (``payment_note``). Payload: ``order_id``, ``public_id``,
``status``."""
