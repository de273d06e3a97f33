"""What services and workers import: ``notify`` (these keys of this group changed, sent after commit) and
``revoke`` (these sockets' permission ended)."""

import logging
import threading
from collections.abc import Iterable
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from chefshop.live.cards import CardKey, key
from chefshop.live.topics import check_group

logger = logging.getLogger(__name__)

CHANGED_TYPE = "live.changed"
# Every hub listens here for permissions that ended: keys "session:<key>" (that browser logged out) and
# "user:<id>" (the user's rights changed: staff, active, driver). See ``revoke``.
REVOKE_GROUP = "live.revoke"


class Publisher:
    """Sends a change message to a group the way the Pub/Sub layer's ``group_send`` does (one PUBLISH on
    the group's channel, serialised by the layer), but from the writer's own thread on a pooled sync
    connection: a request or a Celery task never waits for an event loop to do it."""

    def __init__(self) -> None:
        config: dict[str, Any] = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})  # type: ignore[assignment]
        hosts = config.get("hosts") or [{"address": "redis://localhost:6379"}]
        self.prefix = config.get("prefix", "asgi")
        self.client: redis.Redis | None = None
        if len(hosts) == 1 and isinstance(hosts[0], dict) and "address" in hosts[0]:
            self.client = redis.Redis.from_url(hosts[0]["address"], socket_timeout=2, socket_connect_timeout=2)

    def publish(self, changes: dict[str, list[str]]) -> None:
        """One message per group, all in one round trip to Redis."""
        layer = get_channel_layer()
        messages = {group: {"type": CHANGED_TYPE, "group": group, "keys": keys} for group, keys in changes.items()}
        if self.client is None:  # sharded layer: let it pick the shards
            for group, message in messages.items():
                async_to_sync(layer.group_send)(group, message)
            return
        # The channel name is channels_redis 4.3's RedisPubSubLoopLayer._get_group_channel_name(group);
        # tests/live prove a hub subscribed through the layer hears what is published here.
        pipe = self.client.pipeline(transaction=False)
        for group, message in messages.items():
            pipe.publish(f"{self.prefix}__group__{group}", layer.serialize(message))
        pipe.execute()


_publisher: Publisher | None = None


def publish_changes(changes: dict[str, Iterable[Any]]) -> None:
    """Tell every web process which keys of which groups changed. Never raises: a push is a side
    effect, and what a page misses is caught up by the digest."""
    global _publisher
    wanted = {check_group(group): sorted({str(key) for key in keys}) for group, keys in changes.items()}
    wanted = {group: keys for group, keys in wanted.items() if keys}
    if not wanted:
        return
    try:
        if _publisher is None:
            _publisher = Publisher()
        _publisher.publish(wanted)
    except Exception:
        logger.warning("live notify to %s failed", ", ".join(wanted), exc_info=True)


_pending = threading.local()


def _flush_pending() -> None:
    changes = getattr(_pending, "changes", None)
    if changes:
        _pending.changes = {}
        publish_changes(changes)


def revoke(*, session_key: str | None = None, user_id: int | None = None) -> None:
    """After commit, close the open sockets of this browser session (logout), or re-check those of
    this user against their topic's rules (rights changed): every web process closes the ones that
    are no longer allowed within moments, and they cannot reconnect."""
    keys = [key("session", session_key)] if session_key else []
    keys += [key("user", user_id)] if user_id is not None else []
    if keys:
        notify(REVOKE_GROUP, *keys)


def notify(group: str, *keys: CardKey) -> None:
    """After the current transaction commits, say that these keys of ``group`` changed.

    Everything a transaction notifies goes out together, in one round trip, after its commit: the first
    of its on-commit hooks sends it all and the others find nothing left. (Keys recorded by a block that
    rolled back may go out with the next commit of the same thread; a page then merely gets the card as
    it is.)"""
    if not all(isinstance(found, CardKey) for found in keys):
        raise TypeError("notify takes CardKeys: live.key(kind, id)")
    changes = _pending.__dict__.setdefault("changes", {})
    changes.setdefault(check_group(group), set()).update(found.dumps() for found in keys)
    transaction.on_commit(_flush_pending, robust=True)
