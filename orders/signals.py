from django.dispatch import Signal

order_status_changed = Signal()
"""An order moved from one status to another. Payload: ``order_id``, ``public_id``,
``from_status`` ("" when just placed), ``to_status``, ``version``, ``step`` (the name of the step
in ``orders/machine.py``)."""
