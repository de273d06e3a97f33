"""When PostgreSQL is away (a restart, a failover), pages answer 503 "we'll be right back" with
``Retry-After`` instead of a 500 with a traceback; htmx requests get a small fragment. Every change
runs in one transaction, so a request cut off by the outage has written nothing."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from chefshop.clients import client_ip

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def is_outage(exc: BaseException | None) -> bool:
    """A lost or refused database connection (not a bad query, which stays a 500)."""
    while exc is not None:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        if isinstance(exc, DatabaseError):
            return False
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable(request: HttpRequest) -> HttpResponse:
    fragment = request.headers.get("HX-Request") == "true"
    template = "errors/_503.html" if fragment else "errors/503.html"
    response = HttpResponse(render_to_string(template, {"retry_after": RETRY_AFTER}), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """Turns an outage in a view into the 503 page (with DEBUG on too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        logger.warning(
            "database unavailable: %s %s from %s: %r", request.method, request.path, client_ip(request), exception
        )
        return unavailable(request)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: an outage met outside a view (session or user lookup in a middleware) is a 503 too."""
    import sys

    if is_outage(sys.exc_info()[1]):
        logger.warning("database unavailable: %s %s from %s", request.method, request.path, client_ip(request))
        return unavailable(request)
    return defaults.server_error(request, *args, **kwargs)


Message = dict[str, Any]
ASGIApp = Callable[[dict[str, Any], Callable[[], Any], Callable[[Message], Any]], Any]


class SocketOutageGuard:
    """Wraps the websocket stack. Channels' auth middleware reads the session and the user before any
    consumer runs; an outage there would fail the handshake (daphne answers 500). The guard closes such a
    socket with 1013 ("try again later") instead, as the consumer does for an outage of its own, and the
    page reconnects."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[Message], Any]) -> Any:
        state = {"accepted": False, "closed": False}

        async def watched_send(message: Message) -> None:
            state["accepted"] |= message["type"] == "websocket.accept"
            state["closed"] |= message["type"] == "websocket.close"
            await send(message)

        try:
            return await self.inner(scope, receive, watched_send)
        except Exception as exc:
            if scope.get("type") != "websocket" or not is_outage(exc) or state["closed"]:
                raise
            logger.warning("live: database unavailable during the handshake of %s", scope.get("path", "?"))
            if not state["accepted"]:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1013})
