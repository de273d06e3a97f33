"""ChefShop's fault run (`make soak`): real traffic against the shop started the way `make run`
starts it (supervisord with the repository's supervisord.conf: web, worker, beat), while PostgreSQL,
Redis, the worker and daphne are knocked over one after another; then a check that nothing was lost
or overbooked, that no process exited that the run did not kill, and that supervisord brought back
every process the run killed within 30 s.

Faults: PostgreSQL restart during a checkout burst, Redis down for 20 s, the worker SIGKILLed while it
runs undo-window tasks, a quick Redis restart, the worker SIGKILLed, a daphne process SIGTERMed, and
localstripe (the card processor, with PAYMENTS=on) restarted mid-run.

Customers pay by card: most with the test card, some first with a declined one, some walk away and let
the hold run out. The end checks add: every paid order captured exactly once, no captured payment
without an order, no payment still pending.

Bounded: FAULTS faults, FAULT_EVERY seconds apart, then at most DRAIN seconds to settle. Loopback only.
Uses its own database (chefshop_soak) and Redis database (3); it restarts the machine's PostgreSQL
and Redis servers, so run it alone.
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import REDIS_START  # noqa: E402 - one command to start the local Redis
from tests.supervised import SupervisedShop  # noqa: E402 - the shop as `make run` starts it

PY = sys.executable
PORT = int(os.environ.get("SOAK_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
FAULTS = int(os.environ.get("SOAK_FAULTS", "12"))
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "15"))
DRAIN = 60
ENV = {  # the processes under test run as in production: without the test helpers' async escape hatch
    **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
    "DATABASE_URL": "postgres:///chefshop_soak",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "DJANGO_SETTINGS_MODULE": "chefshop.settings",
    "DEBUG": "true",  # demo accounts need it
    "ORDER_UNDO_SECONDS": "2",
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "NOTIFICATION_SWEEP_AFTER": "3",
    "EMAIL_URL": "dummymail://",
    "PYTHONUNBUFFERED": "1",
    # Card payments against the shop's own localstripe program (supervisord.conf), as `make run` has them.
    "PAYMENTS": "on",
    "PAYMENT_HOLD_SECONDS": "20",
    "LOCALSTRIPE_AUTOSTART": "true",
    "LOCALSTRIPE_PORT": os.environ.get("SOAK_LOCALSTRIPE_PORT", "8431"),
}
STRIPE = f"http://127.0.0.1:{ENV['LOCALSTRIPE_PORT']}"
ENV.update(STRIPE_API_BASE=STRIPE, STRIPE_REGISTER_WEBHOOK=f"{BASE}/payments/webhook/")
# The harness reads the database between browser steps; Playwright keeps an event loop on this thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ.update(
    {
        k: ENV[k]
        for k in (
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
            "ORDER_UNDO_SECONDS",
            "EMAIL_URL",
            "PAYMENTS",
            "STRIPE_API_BASE",
        )
    }
)
LOGS = ROOT / "var" / "soak"
RUN_DIR = LOGS / "run"
ENV.update(WEB_PORT=str(PORT), WEB_PROCESSES="2", RUN_DIR=str(RUN_DIR))
BACK_WITHIN = 30  # seconds for supervisord to bring a killed process back
FAULT_KINDS = "postgres-burst,redis-20s,worker-undo,localstripe,daphne,redis,worker"
PG_BASE = ["pg_ctlcluster", "--skip-systemctl-redirect"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes -----------------------------------------------------------------------------------


class Shop(SupervisedShop):
    """The shop under supervisord, as `make run` runs it, and what this run did to its processes."""

    PROGRAMS = ("web:web-0", "web:web-1", "worker", "beat", "localstripe")

    def __init__(self):
        super().__init__(ENV, RUN_DIR, PORT, web_processes=2)
        self.kills: list[str] = []  # programs this run killed, in order
        self.back_seconds: list[tuple[str, float]] = []

    def start(self) -> None:
        for old in RUN_DIR.glob("*"):
            old.unlink()
        super().start()

    def kill(self, program: str, sig) -> None:
        """Kill one program's process, and wait for supervisord to bring it back (a new pid, RUNNING)."""
        old = self.pid(program)
        self.kills.append(program)
        os.kill(old, sig)
        started = time.monotonic()
        back = wait_until(
            lambda: self.pid(program) not in (0, old) and "RUNNING" in self.ctl("status", program), BACK_WITHIN + 5
        )
        seconds = round(time.monotonic() - started, 2) if back else -1.0
        self.back_seconds.append((program, seconds))
        log(f"  {program} back after {seconds} s")

    def unexpected_exits(self) -> list[str]:
        """Exits supervisord logged that this run did not cause."""
        exits = re.findall(r"exited: (\S+) \(", (RUN_DIR / "supervisord.log").read_text())
        for program in [program.split(":")[-1] for program in self.kills]:
            if program in exits:
                exits.remove(program)
        return exits


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - still coming up
            pass
        time.sleep(interval)
    return False


def http_ok(path: str) -> bool:
    with urllib.request.urlopen(BASE + path, timeout=3) as response:
        return response.status == 200


def redis_ping() -> bool:
    import redis

    return redis.Redis(socket_timeout=1, socket_connect_timeout=1).ping()


# --- traffic -------------------------------------------------------------------------------------


class Browser:
    """A cookie-keeping HTTP client, like one person's browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def csrf(self) -> str:
        for cookie in self.jar:
            if cookie.name == "csrftoken":
                return cookie.value
        self.get("/accounts/login/")
        return self.csrf()

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(BASE + path))

    def post(self, path: str, data: dict, htmx: bool = False) -> tuple[int, str]:
        data = {**data, "csrfmiddlewaretoken": self.csrf()}
        request = urllib.request.Request(BASE + path, data=urllib.parse.urlencode(data).encode(), method="POST")
        request.add_header("Referer", BASE + "/")
        if htmx:
            request.add_header("HX-Request", "true")
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace") + "\nLocation: " + exc.headers.get("Location", "")

    def login(self, username: str) -> None:
        self.post("/accounts/login/", {"username": username, "password": "chefshop-demo"})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


stats = {
    "placed": [],
    "refused": [],
    "unavailable": [],
    "errors": [],
    "unknown": [],
    "not_sent": [],
    "owner_moves": 0,
    "driver_moves": 0,
    "walked_away": 0,
    "pay_sent": 0,
    "pay_refused": 0,
    "pay_lost": 0,
}
stats_lock = threading.Lock()
stop = threading.Event()


def customer(item_ids: list[int], slot_ids: list[int], seed: int) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        checkout_once(item_ids, slot_ids, seed, n)
        time.sleep(0.2)


def checkout_once(item_ids: list[int], slot_ids: list[int], seed: int, n: int = 1) -> None:
    """One shopper: a dish in the cart, then checkout; the outcome the client saw is recorded by key."""
    browser = Browser()
    key = str(uuid.uuid4())
    try:
        browser.post("/cart/add/", {"item": item_ids[(seed + n) % len(item_ids)]})
        slot = slot_ids[(seed * 7 + n) % len(slot_ids)]
        status, body = browser.post(
            "/checkout/",
            {
                "name": f"Soak {seed}-{n}",
                "email": f"soak{seed}@example.com",
                "phone": "0123 456789",
                "address": f"{n} Soak Street",
                "slot": slot,
                "idempotency_key": key,
            },
        )
    except ConnectionRefusedError:
        with stats_lock:
            stats["not_sent"].append(key)  # daphne was down: the request never left
        time.sleep(0.3)
        return
    except OSError:
        with stats_lock:
            stats["unknown"].append(key)  # the connection died mid-request: either outcome is fine
        time.sleep(0.3)
        return
    with stats_lock:
        if status == 302:
            stats["placed"].append(key)
        elif status == 422:
            stats["refused"].append(key)
        elif status == 503:
            stats["unavailable"].append(key)  # "we'll be right back": nothing was written
        else:
            stats["errors"].append((key, status))
    if status == 302:
        pay(browser, body, seed + n)


CARDS = {"ok": "4242424242424242", "declined": "4000000000000341"}


def card_id(kind: str) -> str:
    """What the browser's card form does: create a PaymentMethod at the provider with the publishable key."""
    data = {
        f"card[{k}]": v for k, v in {"number": CARDS[kind], "exp_month": "12", "exp_year": "2031", "cvc": "123"}.items()
    }
    data.update(type="card", key="pk_test_chefshop_local")
    request = urllib.request.Request(
        f"{STRIPE}/v1/payment_methods", data=urllib.parse.urlencode(data).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["id"]


def pay(browser: "Browser", redirect_body: str, n: int) -> None:
    """Pay for the order just placed: mostly the test card, sometimes a declined card first, sometimes
    not at all (the hold runs out)."""
    found = re.search(r"/orders/([0-9a-f-]{36})/", redirect_body)
    if found is None:
        return
    path = f"/payments/orders/{found.group(1)}/pay/"
    try:
        if n % 6 == 0:
            with stats_lock:
                stats["walked_away"] += 1
            return
        if n % 6 == 1:
            browser.post(path, {"card": card_id("declined")})
            time.sleep(1.5)  # the worker sends it; the page then offers "Try another card"
        status, _ = browser.post(path, {"card": card_id("ok")})
        with stats_lock:
            stats["pay_sent" if status == 302 else "pay_refused"] += 1
    except OSError:
        with stats_lock:
            stats["pay_lost"] += 1  # localstripe or daphne was down: the hold runs out instead


def owner() -> None:
    browser = Browser()
    while not stop.is_set():
        try:
            if "_auth" not in str(list(browser.jar)) and "sessionid" not in {c.name for c in browser.jar}:
                browser.login("owner")
            _, kitchen = browser.get("/owner/kitchen/")
            for action, version in re.findall(
                r'action="(/owner/kitchen/orders/[^"]+/)"[^>]*>.*?name="version" value="(\d+)"', kitchen, re.S
            )[:3]:
                browser.post(action, {"version": version}, htmx=True)
                with stats_lock:
                    stats["owner_moves"] += 1
            _, dispatch = browser.get("/owner/dispatch/")
            drivers = re.findall(r'<option value="(\d+)"', dispatch)
            for action, version in re.findall(
                r'action="(/owner/dispatch/\d+/assign/)".*?name="version" value="(\d+)"', dispatch, re.S
            )[:3]:
                if drivers:
                    browser.post(
                        action, {"version": version, "driver": drivers[int(version) % len(drivers)]}, htmx=True
                    )
                    with stats_lock:
                        stats["owner_moves"] += 1
        except OSError:
            browser = Browser()
        time.sleep(0.5)


def driver(username: str) -> None:
    browser = Browser()
    logged_in = False
    while not stop.is_set():
        try:
            if not logged_in:
                browser.login(username)
                logged_in = True
            _, page = browser.get("/driver/")
            match = re.search(
                r'action="(/driver/deliveries/\d+/(start|delivered)/)".*?name="version" value="(\d+)"', page, re.S
            )
            if match:
                path, _, version = match.groups()
                if "delivered" in path and int(version) % 5 == 0:
                    path = path.replace("delivered", "failed")
                browser.post(path, {"version": version, "reason": "Nobody home"}, htmx=True)
                with stats_lock:
                    stats["driver_moves"] += 1
        except OSError:
            browser, logged_in = Browser(), False
        time.sleep(0.5)


# --- the run -------------------------------------------------------------------------------------


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True) as conn:  # every run starts from nothing
        conn.execute("DROP DATABASE IF EXISTS chefshop_soak WITH (FORCE)")
    subprocess.run([PY, "scripts/createdb.py"], cwd=ROOT, env=ENV, check=True)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=ENV, check=True)
    subprocess.run([PY, "manage.py", "seed_demo"], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)

    import django

    django.setup()
    from datetime import timedelta

    from django.db import connections
    from django.utils import timezone

    from catalog.models import MenuItem
    from chefshop.schedules import ensure_schedules
    from slots.models import DeliverySlot

    ensure_schedules(
        every={
            "orders.tasks.notifications_sweep_job": 3,
            "orders.tasks.orders_confirm_sweep_job": 3,
            "orders.tasks.orders_holds_sweep_job": 3,
            "slots.tasks.slots_sweep_job": 5,
            "payments.tasks.payments_sweep_job": 3,
        }
    )
    now = timezone.now()
    slots = [
        DeliverySlot.objects.create(
            start=now + timedelta(hours=2, minutes=17 * i),
            end=now + timedelta(hours=3, minutes=17 * i),
            order_cutoff=now + timedelta(hours=1),
            capacity=25,
            owner_edited=True,
        )
        for i in range(4)
    ]
    slot_ids = [s.pk for s in slots]
    item_ids = list(MenuItem.objects.filter(available=True).values_list("pk", flat=True))
    connections.close_all()  # a fresh connection: PostgreSQL may have restarted under the last one

    shop = Shop()
    shop.start()
    assert wait_until(lambda: http_ok("/accounts/login/"), 60), "the shop did not start"
    assert wait_until(lambda: all(shop.pid(program) for program in Shop.PROGRAMS), 30), shop.ctl("status")

    import shutil

    from playwright.sync_api import sync_playwright

    catch_up: list[tuple[str, float]] = []
    threads = [threading.Thread(target=customer, args=(item_ids, slot_ids, i), daemon=True) for i in range(4)]
    threads += [threading.Thread(target=owner, daemon=True)]
    threads += [threading.Thread(target=driver, args=(name,), daemon=True) for name in ("driver1", "driver2")]
    faults = os.environ.get("SOAK_FAULT_KINDS", FAULT_KINDS).split(",")
    last_fault_at = time.time()
    watched = slot_ids[0]
    owner_browser = Browser()
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=shutil.which("chromium"),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = chromium.new_page()
            page.goto(BASE + "/checkout/")
            for thread in threads:
                thread.start()
            for number in range(FAULTS):
                time.sleep(FAULT_EVERY)
                fault = faults[number % len(faults)]
                log(f"fault {number + 1}/{FAULTS}: {fault}")
                last_fault_at = time.time()
                if fault == "postgres-burst":
                    burst = [
                        threading.Thread(target=checkout_once, args=(item_ids, slot_ids, 1000 * (number + 1) + i))
                        for i in range(12)
                    ]
                    for thread in burst:
                        thread.start()
                    time.sleep(0.3)  # the burst is in flight when the database goes away
                    subprocess.run(
                        [*PG_BASE, "-m", "immediate", pg_version(), "main", "restart"],
                        check=True,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for thread in burst:
                        thread.join(timeout=30)
                elif fault in ("redis", "redis-20s"):
                    subprocess.run(
                        ["redis-cli", "shutdown", "nosave"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                    time.sleep(20 if fault == "redis-20s" else 2)
                    subprocess.run(REDIS_START, check=True, stdout=subprocess.DEVNULL)  # same command as the tests use
                    wait_until(redis_ping, 10)
                elif fault == "worker-undo":
                    # Orders whose undo windows (2 s) end now: the worker is killed as it runs their tasks.
                    for i in range(4):
                        checkout_once(item_ids, slot_ids, 5000 * (number + 1) + i)
                    time.sleep(2.2)
                    shop.kill("worker", signal.SIGKILL)
                elif fault == "worker":
                    shop.kill("worker", signal.SIGKILL)
                elif fault == "localstripe":
                    # A restart (SIGTERM): it must come back with every payment it holds (scripts/run_localstripe.py).
                    shop.kill("localstripe", signal.SIGTERM)
                elif fault == "daphne":
                    shop.kill(f"web:web-{number % 2}", signal.SIGTERM)
                    wait_until(lambda: http_ok("/accounts/login/"), 30)
                # The open page must catch up with a change made after the outage within 30 s.
                capacity = 100 + number
                changed = time.time()
                wait_until(lambda c=capacity: _owner_sets_capacity(owner_browser, watched, c), 15, interval=0.5)
                caught = _wait_page(page, watched, capacity, 30)
                catch_up.append((fault, round(time.time() - changed, 2) if caught else -1))
                log(f"  page caught up: {catch_up[-1][1]} s")
            chromium.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)  # a shopper's two requests time out after 10 s each
        log("traffic stopped; letting the outbox drain and the undo windows end")
        drained = wait_until(
            lambda: _outbox_empty() and not _in_undo_window() and _payments_settled(), DRAIN, interval=1
        )
        drain_seconds = round(time.time() - last_fault_at, 1)
        unexpected = shop.unexpected_exits()
        payments = _payment_problems()  # while localstripe still runs
    finally:
        stop.set()
        shop.stop()
    return report(stats, catch_up, drained, drain_seconds, slot_ids, shop.back_seconds, unexpected, payments)


def _owner_sets_capacity(browser: Browser, slot_id: int, capacity: int) -> bool:
    if "sessionid" not in {c.name for c in browser.jar}:
        browser.login("owner")
    status, _ = browser.post(f"/owner/slots/{slot_id}/capacity/", {"capacity": capacity}, htmx=True)
    return status == 200


def _reserved(slot_id: int) -> int:
    from django.db import connections

    from slots.models import DeliverySlot

    connections.close_all()  # a fresh connection: PostgreSQL may have restarted under the last one
    return DeliverySlot.objects.get(pk=slot_id).reserved


def _wait_page(page, slot_id: int, capacity: int, timeout: float) -> bool:
    """The picker shows the slot's places left for the new capacity (whatever orders came meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.locator(f"#slot-{slot_id} .places").inner_text(timeout=2000)
        match = re.search(r"(\d+) place", text)
        try:
            if match and int(match.group(1)) == capacity - _reserved(slot_id):
                return True
        except Exception:  # noqa: BLE001 - the database is still coming back: look again
            pass
        page.wait_for_timeout(250)
    return False


def _in_undo_window() -> int:
    from django.db import connections

    from orders.models import Order

    connections.close_all()
    return Order.objects.filter(status="received").count()


def _payments_settled() -> bool:
    from django.db import connections

    from orders.models import Order
    from payments.models import PaymentAttempt

    connections.close_all()
    waiting = Order.objects.filter(status="awaiting_payment").exists()
    return not waiting and not PaymentAttempt.objects.filter(status__in=["started", "requires_action"]).exists()


def _refunded_intents(provider) -> set[str]:
    """The intents the provider has a succeeded refund for."""
    refunds = provider.client().v1.refunds.list(params={"limit": 100}).auto_paging_iter()
    return {str(r.payment_intent) for r in refunds if r.status == "succeeded" and r.payment_intent}


def _payment_problems() -> tuple[list[str], dict]:
    """Every paid order captured exactly once; nothing captured at the provider without its order; no
    authorisation left for an attempt the shop ended; a capture only for a confirmed order, refunded if the
    order ended cancelled."""
    from collections import Counter

    from django.db import connections

    from orders.models import Order
    from payments import provider
    from payments.models import PaymentAttempt

    connections.close_all()
    problems = []
    attempts = {str(a.key): a for a in PaymentAttempt.objects.select_related("order")}
    intents = [
        dict(i.to_dict()) for i in provider.client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    ]
    ours = [i for i in intents if (i.get("metadata") or {}).get("attempt") in attempts]
    captured = Counter()
    for intent in ours:
        attempt = attempts[intent["metadata"]["attempt"]]
        if intent["status"] == "succeeded":
            captured[attempt.order_id] += 1
            if attempt.status not in ("captured", "refunded"):
                problems.append(f"intent {intent['id']} captured, attempt {attempt.pk} says {attempt.status}")
            if attempt.order.status in ("cancelled", "payment_expired") and attempt.status != "refunded":
                problems.append(f"order {attempt.order_id} is {attempt.order.status} but its payment was kept")
        elif attempt.status == "captured":
            problems.append(f"attempt {attempt.pk} says captured, the provider says {intent['status']}")
    # What the provider holds must match what the shop decided, intent by intent:
    ended = ("declined", "failed", "canceled", "refunded", "refund_problem")
    refunded_intents = _refunded_intents(provider)
    for intent in ours:
        attempt = attempts[intent["metadata"]["attempt"]]
        if intent["status"] in ("requires_capture", "requires_action") and (
            attempt.status in ended or attempt.order.status in ("cancelled", "payment_expired")
        ):
            problems.append(f"intent {intent['id']} still {intent['status']} for ended attempt {attempt.pk}")
        if intent["status"] == "succeeded":
            if attempt.order.confirmed_at is None:
                problems.append(f"intent {intent['id']} captured for order {attempt.order_id}, never confirmed")
            if attempt.order.status == "cancelled" and intent["id"] not in refunded_intents:
                problems.append(f"intent {intent['id']} captured for cancelled order {attempt.order_id}, not refunded")
    # localstripe's store is new with this run (RUN_DIR is emptied at start): every intent is the shop's.
    stray = [i["id"] for i in intents if i not in ours and i["status"] in ("succeeded", "requires_capture")]
    if stray:
        problems.append(f"money taken or held at the provider without an order: {stray[:10]}")
    twice = [order_id for order_id, count in captured.items() if count > 1]
    if twice:
        problems.append(f"orders captured more than once: {twice}")
    kitchen = Order.objects.filter(
        pays_by_card=True, status__in=["confirmed", "prepping", "prepped", "out_for_delivery", "delivered", "failed"]
    )
    unpaid = [o.pk for o in kitchen if captured[o.pk] != 1 and not o.payment_note.startswith("Payment problem")]
    if unpaid:
        problems.append(f"orders past the undo window without exactly one capture: {unpaid[:10]}")
    figures = {
        "payment_attempts": len(attempts),
        "attempts_by_status": dict(Counter(a.status for a in attempts.values())),
        "orders_captured_once": sum(1 for count in captured.values() if count == 1),
        "orders_payment_expired": Order.objects.filter(status="payment_expired").count(),
        "orders_payment_problem": Order.objects.filter(payment_note__startswith="Payment problem").count(),
        "provider_intents_seen": len(ours),
        "provider_intents_without_attempt": len(intents) - len(ours),
    }
    return problems, figures


def _outbox_empty() -> bool:
    from django.db import connections

    from orders.models import Notification

    connections.close_all()  # a fresh connection: PostgreSQL may have restarted under the last one
    return not Notification.objects.exclude(state="sent").exists()


def report(stats, catch_up, drained, drain_seconds, slot_ids, back_seconds, unexpected, payments) -> int:
    from django.db import connections

    from deliveries.machine import DELIVERY_MACHINE
    from deliveries.models import Delivery
    from orders.machine import ORDER_MACHINE, Effect
    from orders.models import Notification, Order
    from slots.models import DeliverySlot

    connections.close_all()  # a fresh connection: PostgreSQL may have restarted under the last one
    problems = []
    keys = set(Order.objects.values_list("idempotency_key", flat=True))
    keys = {str(k) for k in keys}
    missing = [k for k in stats["placed"] if k not in keys]
    failed = stats["refused"] + stats["unavailable"] + stats["not_sent"] + [k for k, _ in stats["errors"]]
    phantom = [k for k in failed if k in keys]
    if missing:
        problems.append(f"{len(missing)} orders the client saw succeed do not exist")
    if phantom:
        problems.append(f"{len(phantom)} orders the client saw fail exist")
    live = set(Order.Status.values) - {step.target for step in ORDER_MACHINE if step.has(Effect.RETURNS_PLACE)}
    for slot in DeliverySlot.objects.filter(pk__in=slot_ids):
        count = Order.objects.filter(slot=slot, status__in=live).count()
        if not (0 <= slot.reserved <= slot.capacity) or slot.reserved != count:
            problems.append(f"slot {slot.pk}: reserved {slot.reserved}, capacity {slot.capacity}, live orders {count}")
    for delivery in Delivery.objects.prefetch_related("events"):
        path = [event.to_status for event in delivery.events.all()]
        if not DELIVERY_MACHINE.is_path(path):
            problems.append(f"delivery {delivery.pk}: illegal timeline {path}")
    for order in Order.objects.prefetch_related("events"):
        # Moves only: a payment line on the timeline notes something without moving (from = to).
        path = [event.to_status for event in order.events.all() if event.from_status != event.to_status]
        if not ORDER_MACHINE.is_path(path) or path[-1] != order.status:
            problems.append(f"order {order.pk}: illegal timeline {path} (status {order.status})")
    stuck = Order.objects.filter(status="received").count()
    if stuck:
        problems.append(f"{stuck} orders still in their undo window {DRAIN} s after the last fault")
    if unexpected:
        problems.append(f"processes exited that the run did not kill: {unexpected}")
    slow = [(program, seconds) for program, seconds in back_seconds if seconds < 0 or seconds > BACK_WITHIN]
    if slow:
        problems.append(f"killed processes not back within {BACK_WITHIN} s: {slow}")
    unsent = Notification.objects.exclude(state="sent").count()
    if not drained or unsent:
        problems.append(f"{unsent} notifications unsent {DRAIN} s after the last fault")
    payment_problems, payment_figures = payments
    problems += payment_problems
    late_pages = [fault for fault, seconds in catch_up if seconds < 0 or seconds > 30]
    if late_pages:
        problems.append(f"open page did not catch up within 30 s after: {late_pages}")
    summary = {
        "faults": len(catch_up),
        "orders_placed_seen_by_clients": len(stats["placed"]),
        "refused_full_or_closed": len(stats["refused"]),
        "unavailable_503": len(stats["unavailable"]),
        "errors_5xx_or_other": len(stats["errors"]),
        "connection_refused_not_sent": len(stats["not_sent"]),
        "connection_lost_unknown_outcome": len(stats["unknown"]),
        "owner_moves": stats["owner_moves"],
        "driver_moves": stats["driver_moves"],
        "orders_in_db": Order.objects.count(),
        "deliveries_finished": Delivery.objects.filter(status__in=["delivered", "failed"]).count(),
        "notifications_sent": Notification.objects.filter(state="sent").count(),
        "payments": {
            "walked_away": stats["walked_away"],
            "pay_sent": stats["pay_sent"],
            "pay_refused": stats["pay_refused"],
            "pay_lost": stats["pay_lost"],
            **payment_figures,
        },
        "outbox_drained_seconds_after_last_fault": drain_seconds,
        "page_catch_up_seconds": catch_up,
        "killed_and_back_seconds": back_seconds,
        "unexpected_exits": unexpected,
        "problems": problems,
    }
    print(json.dumps(summary, indent=2))
    (LOGS / "summary.json").write_text(json.dumps(summary, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
