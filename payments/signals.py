from django.dispatch import Signal

release_wanted = Signal()
"""An order's live payment attempts must be cancelled or refunded (the order was cancelled, its hold ran
out, or an authorisation came too late). Payload: ``order_id``."""

attempt_started = Signal()
"""A new attempt waits to be sent to the provider. Payload: ``attempt_id``."""

attempt_checked = Signal()
"""An attempt should be read back from the provider now. Payload: ``attempt_id``."""

intent_release_wanted = Signal()
"""The provider holds an authorisation (or a 3-D Secure request) for an attempt the shop has ended: it must
be cancelled at the provider by its own job. Payload: ``intent_id``."""

event_stored = Signal()
"""A webhook event was stored; the worker fetches its object from the provider and applies what the
provider says. Payload: ``event_id`` (the ``ProviderEvent`` row's id)."""
