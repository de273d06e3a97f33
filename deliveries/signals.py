from django.dispatch import Signal

delivery_changed = Signal()
"""A delivery was created or changed status or driver. Payload: ``delivery_id``, ``driver_ids``
(every driver whose page shows it now or showed it before), ``assigned_to`` (driver id when this
change is a new assignment, else None)."""
