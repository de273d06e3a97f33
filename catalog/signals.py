from django.dispatch import Signal

stock_changed = Signal()
"""Portions of dishes changed for a day (taken, returned, or a new total). Payload: ``item_ids``, ``day``."""
