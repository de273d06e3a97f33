import time

import redis
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chefshop.roles import home_url_for


def _check_db() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"down: {exc.__class__.__name__}"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"


WORKER_STALE_AFTER = 30  # seconds without a heartbeat


def _check_worker() -> str:
    from chefshop.celery import HEARTBEAT_KEY

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        raw = client.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return f"unknown: {exc.__class__.__name__}"
    if raw is None:
        return "down: no heartbeat"
    age = time.time() - float(raw)
    return "ok" if age < WORKER_STALE_AFTER else f"down: last heartbeat {age:.0f}s ago"


@never_cache
@require_GET
def healthz(request):
    checks = {"db": _check_db(), "redis": _check_redis(), "worker": _check_worker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503)


class LoginView(auth_views.LoginView):
    """Sends each role to its home page unless a page was asked for."""

    def get_default_redirect_url(self):
        return home_url_for(self.request.user)
