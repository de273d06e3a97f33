import time

import pytest
import redis
from django.conf import settings

from chefshop.celery import HEARTBEAT_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.delete(HEARTBEAT_KEY)


def test_healthz_ok_with_a_fresh_worker_heartbeat(client, broker):
    broker.set(HEARTBEAT_KEY, str(time.time()))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "redis": "ok", "worker": "ok"}


def test_healthz_names_a_silent_worker(client, broker):
    broker.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "down: no heartbeat"
    broker.set(HEARTBEAT_KEY, str(time.time() - 120))
    assert "last heartbeat 120s ago" in client.get("/healthz").json()["worker"]


def test_healthz_names_redis_when_it_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")
