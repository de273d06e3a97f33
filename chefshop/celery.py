import os
import threading
import time

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chefshop.settings")

app = Celery("chefshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_KEY = "chefshop:worker-heartbeat"
HEARTBEAT_EVERY = 5  # seconds; /healthz calls the worker down after several missed beats
_stop = threading.Event()


def _beat_heart() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    while not _stop.is_set():
        try:
            client.set(HEARTBEAT_KEY, f"{time.time():.3f}", ex=HEARTBEAT_EVERY * 12)
        except redis.RedisError:
            pass  # Redis is down: /healthz says so on its own
        _stop.wait(HEARTBEAT_EVERY)


@worker_ready.connect
def start_heartbeat(**kwargs) -> None:
    threading.Thread(target=_beat_heart, name="chefshop-heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    _stop.set()
