"""The one consumer of every live page: authorises the topic with the page's own rules, joins the
process's hub, sends the current state, and closes the socket when the permission ends."""

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from chefshop.clients import client_ip
from chefshop.live import topics as registry
from chefshop.live.hub import FORBIDDEN, Hub, get_hub
from chefshop.live.topics import check_group
from chefshop.outage import OUTAGE_ERRORS

logger = logging.getLogger(__name__)


class LiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels has no type hints
    """Serves every live page: authorise the topic, join the process's hub, send the current state."""

    # Sockets need no channel of their own: the hub holds the one subscription per group per process.
    channel_layer_alias = "live-sockets-use-the-hub"

    def __init__(self, topic: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic = registry.topic(topic)
        self.group: str | None = None
        self.hub: Hub | None = None
        self.waiting: list[str] | None = None
        self.accepted = False
        self.sending: set[asyncio.Future[None]] = set()
        self.session_key: str | None = None
        self.user_id: int | None = None

    async def connect(self) -> None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        viewer = SimpleNamespace(user=self.scope.get("user"), session=self.scope.get("session"))
        try:
            group = await database_sync_to_async(self.topic.authorize)(viewer, kwargs)
        except OUTAGE_ERRORS:
            await self._try_again_later()
            return
        if group is None:
            logger.info("live: %s socket from %s refused", self.topic.name, client_ip(self.scope))
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused with 403
            return
        self.group = check_group(group)
        user, session = viewer.user, viewer.session
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.session_key = session.session_key if session is not None else None
        await self.accept()
        self.accepted = True
        self.hub = get_hub()
        # Pushes that come while the snapshot is read wait for it: the page gets the whole regions first,
        # then what changed since, in order (and never a snapshot older than a card it already shows).
        self.waiting = []
        try:
            await self.hub.join(self, self.topic, self.group)
            await self.send(text_data=await self.hub.snapshot(self.group))
        except OUTAGE_ERRORS:
            await self.hub.leave(self, self.group)
            await self._try_again_later()
            return
        except BaseException:
            await self.hub.leave(self, self.group)  # a failed or cancelled connect leaves nothing behind
            raise
        waiting, self.waiting = self.waiting, None
        for text in waiting:
            await self.send(text_data=text)

    async def _try_again_later(self) -> None:
        """The database is away: close with 1013 ("try again later"), on which the page reconnects."""
        logger.warning(
            "live: database unavailable, %s socket from %s told to try again later",
            self.topic.name,
            client_ip(self.scope),
        )
        if not self.accepted:
            await self.accept()
        await self.close(code=1013)

    async def still_allowed(self) -> bool:
        """The topic's own rules, asked again with the user as the database has them now."""
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})

        def ask() -> bool:
            from django.contrib.auth import get_user_model
            from django.contrib.auth.models import AnonymousUser

            found = get_user_model().objects.filter(pk=self.user_id).first() if self.user_id is not None else None
            user = found or AnonymousUser()
            viewer = SimpleNamespace(user=user, session=self.scope.get("session"))
            return bool(self.topic.authorize(viewer, kwargs) == self.group)

        return bool(await database_sync_to_async(ask)())

    async def end(self, code: int) -> None:
        """Close this socket for good: the page does not reconnect after these codes."""
        logger.info("live: %s socket from %s closed (%s)", self.topic.name, client_ip(self.scope), code)
        if self.hub is not None and self.group is not None:
            await self.hub.leave(self, self.group)
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.hub is not None and self.group is not None:
            await self.hub.leave(self, self.group)

    def push(self, text: str) -> None:
        """Hand a frame to this socket. Daphne's send only queues it on the transport, so a slow socket
        never holds up the others."""
        if self.waiting is not None:
            self.waiting.append(text)
            return
        task = asyncio.ensure_future(self._push(text))
        self.sending.add(task)  # held until done, so the loop cannot drop it half-way
        task.add_done_callback(self.sending.discard)

    async def _push(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception:  # noqa: BLE001 - the socket went away meanwhile
            logger.debug("live: push to a closed socket")
