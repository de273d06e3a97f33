"""Who may see what. Owners are staff users; drivers are users with an active driver profile."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def is_owner(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def driver_of(user):
    """The user's active driver profile (the ``driver`` one-to-one), or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    driver = getattr(user, "driver", None)
    return driver if driver is not None and driver.active else None


def _role_required(check):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


owner_required = _role_required(is_owner)
driver_required = _role_required(lambda user: driver_of(user) is not None)


def home_url_for(user) -> str:
    if is_owner(user):
        return "/owner/kitchen/"
    if driver_of(user) is not None:
        return "/driver/"
    return "/"
