from django.dispatch import Signal

release_wanted = Signal()
"""An order's live payment attempts must be cancelled or refunded (the order was cancelled, its hold ran
out, or an authorisation came too late). Payload: ``order_id``."""

attempt_started = Signal()
"""A new attempt waits to be sent to the provider. Payload: ``attempt_id``."""

attempt_checked = Signal()
"""An attempt should be read back from the provider now. Payload: ``attempt_id``."""
