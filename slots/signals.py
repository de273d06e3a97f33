from django.dispatch import Signal

slot_changed = Signal()
"""A slot's places, capacity or open state changed. Payload: ``slot_id``."""
