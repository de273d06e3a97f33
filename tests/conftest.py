import shutil
import uuid

import pytest

from chefshop.statemachine import Actor
from deliveries import services as delivery_services
from orders import services as order_services
from tests.factories import CartLineFactory, DeliverySlotFactory, UserFactory


@pytest.fixture(autouse=True)
def no_leftover_live_changes():
    """A test whose transaction is rolled back never runs its on-commit hooks: what it notified must not
    go out with the next test's commit."""
    from chefshop import live

    live._pending.changes = {}
    yield
    live._pending.changes = {}


@pytest.fixture
def slot(db):
    return DeliverySlotFactory(capacity=5)


@pytest.fixture
def staff(db):
    return UserFactory(username="owner-test", is_staff=True, is_superuser=True)


def make_contact(**overrides) -> order_services.Contact:
    data = {"name": "Ada", "email": "ada@example.com", "phone": "+44 7700 900123", "address": "1 High St"}
    data.update(overrides)
    return order_services.Contact(**data)


def place_order(slot, *, cart=None, user=None, token=None, **contact):
    """Place a one-line order into ``slot`` the way checkout does."""
    cart = cart or CartLineFactory().cart
    return order_services.order_place(
        cart=cart,
        slot_id=slot.pk,
        contact=make_contact(**contact),
        idempotency_key=uuid.uuid4(),
        user=user,
        owner_token=token or cart.token,
    )


def kitchen(order, step: str):
    """The kitchen takes ``step`` ("start" or "prepped") on the order as it is now."""
    return order_services.order_transition(order=order, step=step, version=order.version, by=Actor.OWNER)


def cook(order):
    """Start prepping and mark prepped: the order's delivery is created."""
    return kitchen(kitchen(order, "start"), "prepped")


def drive(delivery, step: str, **extra):
    """The delivery's driver takes ``step`` ("start", "delivered", "failed") on it as it is now."""
    return delivery_services.delivery_step(
        delivery=delivery, step=step, version=delivery.version, by=Actor.DRIVER, **extra
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright keeps an event loop on the main thread while its browser is
    open, and the other tests call async code from plain synchronous test functions."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# --- real servers and the browser, shared by the live, integration and browser tests ------------


@pytest.fixture(scope="session")
def daphne_server(django_db_setup):
    from tests.browser.conftest import Daphne

    yield from Daphne.running()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed (make test installs it: apt-get install -y chromium)")
    from tests.browser.conftest import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def localstripe_url():
    """A real localstripe (its own process: it is GPL software) with fresh state, on a free port."""
    from tests.provider import LocalStripe

    server = LocalStripe().start()
    try:
        yield server.url
    finally:
        server.stop()


class PublishedJobs(list):
    """Every Celery job this test published: (task name, seconds until its ETA or None)."""

    def __init__(self) -> None:
        super().__init__()
        self.too_far: list[tuple[str, float]] = []


@pytest.fixture(autouse=True)
def published_jobs(settings):
    """No job may be queued to run later than the broker's visibility timeout: Redis would hand it to a
    worker again after that, and again (DESIGN §5). Checked on every job every test publishes."""
    from celery.signals import before_task_publish
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    limit = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    jobs = PublishedJobs()

    def record(sender=None, headers=None, **kwargs):
        eta = (headers or {}).get("eta")
        ahead = (parse_datetime(eta) - timezone.now()).total_seconds() if eta else None
        jobs.append((sender, ahead))
        if ahead is not None and ahead > limit:
            jobs.too_far.append((sender, ahead))

    before_task_publish.connect(record, weak=False, dispatch_uid="tests.published_jobs")
    yield jobs
    before_task_publish.disconnect(dispatch_uid="tests.published_jobs")
    assert not jobs.too_far, f"jobs queued past the broker's visibility timeout ({limit} s): {jobs.too_far}"
