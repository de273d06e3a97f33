"""The login lockout's second limit, for axes (``AXES_FAILURE_LIMIT``).

axes counts failures per (username, address) pair (``AXES_LOCKOUT_PARAMETERS``) and compares every
count with one limit. The pair is locked after ``LOGIN_FAILURE_LIMIT`` failures, so failures from one
address never lock the same username out at another. An address that has failed
``LOGIN_ADDRESS_FAILURE_LIMIT`` times, over any usernames, within the cool-off is locked for every
username: then the limit is 0, which any pair's count reaches.

The address total is summed from axes' own rows rather than made a second lockout parameter: a
successful login resets the failures of every parameter it matches, so with the address as a parameter
an attacker could clear her address's count by logging in to her own account.
"""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address, for any usernames, within the cool-off."""
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME is not None and getattr(request, "axes_attempt_time", None) is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    total = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return int(total or 0)


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """How many failures lock this request's (username, address) pair: 0 once its address is locked."""
    if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        return 0
    return int(settings.LOGIN_FAILURE_LIMIT)
