"""The Redis broker transport, made to survive a lost connection.

With acks_late, a worker holds messages it has not acknowledged yet (a task running, or one waiting for
its ETA, like an order's undo-window countdown). When the connection to Redis is lost, Celery closes it,
and closing the channel tries to put those messages back on their queue. In kombu 5.7 the channel's
connection has already been torn down at that point: building a Redis client raises AttributeError
(``'NoneType' object has no attribute 'hostname'``), which is not a connection error, so the worker
stops with "Unrecoverable error" (exit code 1) instead of reconnecting.

Here that restore is given up when the connection is gone: the messages are still in Redis's
unacknowledged set, and any worker puts them back after the visibility timeout (and the sweeps cover
them if Redis itself lost them). Everything else is kombu's Redis transport as it is.
"""

import logging
from typing import Any

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)
        except AttributeError:
            held: dict[str, Any] = self._delivered or {}
            logger.warning(
                "broker connection already gone: %d unacknowledged message(s) stay in Redis and come back "
                "after the visibility timeout",
                len(held),
            )
            held.clear()
            return None


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
