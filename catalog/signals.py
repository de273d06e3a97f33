from django.dispatch import Signal

stock_changed = Signal()
"""Portions of dishes changed for a day (taken, returned, or a new total). Payload: ``item_ids``, ``day``."""

dish_changed = Signal()
"""A dish changed in a way every day's menu shows (its daily portions). Payload: ``item_ids``."""
