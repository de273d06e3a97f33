"""The live layer: one consumer for every live page, topic registry and the push helper.

It knows no app. Each app registers its topics (who may subscribe and how to render the page's
live regions now) and pushes its own fragments after commit. A push is rendered once per group
and fanned out by the Redis channel layer; the consumer only forwards it.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
PUSH_TYPE = "html.push"

# Topic callables receive a "viewer" with ``user`` and ``session`` (like a request) and the URL's
# keyword arguments. ``authorize`` returns the group to join, or None to refuse.
Authorize = Callable[[Any, dict], str | None]
RenderCurrent = Callable[[Any, dict], str]


@dataclass(frozen=True)
class Topic:
    name: str
    authorize: Authorize
    render_current: RenderCurrent


_topics: dict[str, Topic] = {}


def register_topic(name: str, *, authorize: Authorize, render_current: RenderCurrent) -> None:
    _topics[name] = Topic(name=name, authorize=authorize, render_current=render_current)


def check_group(name: str) -> str:
    if not GROUP_NAME.match(name):
        raise ValueError(f"Invalid group name {name!r}")
    return name


def send_html(group: str, html: str) -> None:
    """Send one rendered fragment to every socket of ``group``. Never raises: a push is a side effect."""
    if not html:
        return
    try:
        async_to_sync(get_channel_layer().group_send)(check_group(group), {"type": PUSH_TYPE, "html": html})
    except Exception:  # noqa: BLE001 - Redis down or full: pages re-sync when they reconnect
        logger.warning("live push to %s failed", group, exc_info=True)


def push_on_commit(group: str, render: Callable[[], str]) -> None:
    """After the current transaction commits, render once and send to the group."""

    def push() -> None:
        send_html(group, render())

    transaction.on_commit(push, robust=True)


class LiveConsumer(AsyncWebsocketConsumer):
    """Serves every live page: authorise the topic, join its group, send the current state."""

    def __init__(self, topic: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic = _topics[topic]
        self.group: str | None = None

    async def connect(self) -> None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        viewer = SimpleNamespace(user=self.scope.get("user"), session=self.scope.get("session"))
        group = await database_sync_to_async(self.topic.authorize)(viewer, kwargs)
        if group is None:
            await self.close(code=4403)  # before accept: the handshake is refused with 403
            return
        self.group = check_group(group)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        html = await database_sync_to_async(self.topic.render_current)(viewer, kwargs)
        if html:  # nothing to show yet (no slots, no orders) is not an error
            await self.send(text_data=html)

    async def disconnect(self, code) -> None:
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # noqa: BLE001 - Redis gone: the group entry expires by itself
                logger.info("group_discard failed for %s", self.group)

    async def html_push(self, event) -> None:
        await self.send(text_data=event["html"])
