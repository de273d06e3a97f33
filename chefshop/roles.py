"""Who may see what. Owners are staff users; drivers are users with an active driver profile."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def is_owner(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def driver_of(user: Any) -> Any:
    """The user's active driver profile (the ``driver`` one-to-one), or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    driver = getattr(user, "driver", None)
    return driver if driver is not None and driver.active else None


def _role_required(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


owner_required = _role_required(is_owner)
driver_required = _role_required(lambda user: driver_of(user) is not None)


def home_url_for(user: Any) -> str:
    if is_owner(user):
        return "/owner/kitchen/"
    if driver_of(user) is not None:
        return "/driver/"
    return "/"
