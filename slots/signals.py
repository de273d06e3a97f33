from django.dispatch import Signal

slot_changed = Signal()
"""A slot's places, capacity or open state changed. Payload: ``slot_id``."""

slot_close_due = Signal()
"""A slot's cutoff is near: its close task should be queued (after commit). Payload: ``slot_id``,
``cutoff``."""
