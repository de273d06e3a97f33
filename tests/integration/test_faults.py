"""The worker, started the way `make run` starts it, rides out a Redis restart and runs tasks afterwards."""

import time

import pytest

from chefshop.schedules import ensure_schedules
from orders.models import Order
from tests.browser.conftest import postgres_stopped, restart_redis
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _status(order) -> str:
    return Order.objects.get(pk=order.pk).status


@pytest.mark.parametrize(("down_for", "holding"), [(0, False), (6, False), (3, True)])
def test_worker_survives_a_redis_restart_and_runs_tasks_afterwards(settings, processes, down_for, holding):
    # given: the worker as supervisord runs it, connected; idle, or holding an unacknowledged message
    # (an order's undo-window task, waiting for its countdown) when the connection goes
    settings.ORDER_UNDO_SECONDS = 30 if holding else 2
    worker = processes("worker-as-run")
    if holding:
        place_order(DeliverySlotFactory(capacity=3))
        wait_for(lambda: "order_confirm_after_undo" in worker.log.read_text(), 10, message="task held")
        settings.ORDER_UNDO_SECONDS = 2
    time.sleep(1)
    # when: Redis goes away and comes back
    restart_redis(down_for=down_for)
    time.sleep(3)
    # then: the worker is still the same process, reconnected without an error on the way, and it takes new work
    log = worker.log.read_text()
    assert worker.process.poll() is None, log[-3000:]
    assert "Traceback" not in log and "Error on" not in log, log[-3000:]
    order = place_order(DeliverySlotFactory(capacity=3))
    wait_for(lambda: _status(order) == Order.Status.CONFIRMED, 30, message="order confirmed after the restart")
    assert worker.process.poll() is None


def test_worker_and_beat_ride_out_a_postgres_restart(settings, processes):
    # given: worker and beat as supervisord runs them, beat sending the undo sweep every 2 s
    ensure_schedules(every={"orders.tasks.orders_confirm_sweep_job": 2})
    settings.ORDER_UNDO_SECONDS = 2
    worker = processes("worker-as-run")
    beat = processes("beat-as-run")
    wait_for(lambda: beat.log.read_text().count("Sending due task") >= 1, 20, message="beat sends")
    # when: PostgreSQL is away for five seconds
    with postgres_stopped():
        time.sleep(5)
    sent_before = beat.log.read_text().count("orders_confirm_sweep_job")
    # then: both are the same processes and back at work: beat keeps sending, the worker confirms orders
    order = place_order(DeliverySlotFactory(capacity=3))
    wait_for(lambda: _status(order) == Order.Status.CONFIRMED, 30, message="order confirmed after the restart")
    wait_for(lambda: beat.log.read_text().count("orders_confirm_sweep_job") > sent_before, 20, message="beat sends")
    for process in (worker, beat):
        assert process.process.poll() is None, process.log.read_text()[-3000:]
