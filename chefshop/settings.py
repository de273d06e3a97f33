"""ChefShop settings. Everything that differs between machines comes from the environment."""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Development values that localstripe accepts. They are public (they are in this file): the production
# settings refuse them.
DEV_STRIPE_SECRET_KEY = "sk_test_chefshop_local"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_chefshop_local"

env = environ.Env(
    DEBUG=(bool, False),
    SECRET_KEY=(str, "chefshop-dev-only-not-secret"),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]", "testserver"]),
    DATABASE_URL=(str, "postgres:///chefshop"),
    REDIS_URL=(str, "redis://127.0.0.1:6379/0"),
    EMAIL_URL=(str, "consolemail://"),
    TIME_ZONE=(str, "UTC"),
    ORDER_UNDO_SECONDS=(int, 20),
    CELERY_VISIBILITY_TIMEOUT=(int, 300),
    SLOT_HORIZON_DAYS=(int, 7),
    CART_MAX_QUANTITY=(int, 20),
    STOCK_LOW_AT=(int, 5),
    SHOP_LOCALE=(str, "en_IE"),
    CURRENCY=(str, "EUR"),
    PAYMENTS=(str, "off"),
    PAYMENT_HOLD_SECONDS=(int, 600),
    PAYMENT_CAPTURE_TRIES=(int, 3),
    PAYMENT_REFUND_TRIES=(int, 5),
    STRIPE_SECRET_KEY=(str, DEV_STRIPE_SECRET_KEY),
    STRIPE_PUBLISHABLE_KEY=(str, "pk_test_chefshop_local"),
    STRIPE_WEBHOOK_SECRET=(str, DEV_STRIPE_WEBHOOK_SECRET),
    STRIPE_API_BASE=(str, ""),
    STRIPE_JS_URL=(str, "https://js.stripe.com/v3/"),
    STRIPE_CONNECT_TIMEOUT=(float, 2.0),
    STRIPE_READ_TIMEOUT=(float, 8.0),
    STRIPE_REGISTER_WEBHOOK=(str, ""),
    SHOP_EMAIL=(str, "kitchen@chefshop.localhost"),
    NOTIFICATION_SWEEP_AFTER=(int, 30),
    DB_POOL_MAX=(int, 8),
    TRUSTED_PROXY=(list, []),
    LIVE_FLUSH_MS=(int, 50),
    LIVE_DIGEST_SECONDS=(float, 10.0),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")  # off unless the environment turns it on (`make run` does, for the demo accounts)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

# The proxies in front of daphne (addresses or networks, e.g. 127.0.0.1). Only a request whose socket
# peer is one of them has its X-Forwarded-* headers believed (chefshop/clients.py); empty: none is.
TRUSTED_PROXY = env("TRUSTED_PROXY")
for _proxy in TRUSTED_PROXY:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXY: {_proxy!r} is not an IP address or network") from exc

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "chefshop",
    "catalog",
    "slots",
    "orders",
    "deliveries",
    "payments",
]

MIDDLEWARE = [
    "chefshop.clients.ForwardedHeadersMiddleware",  # before anything reads X-Forwarded-Proto
    "django.middleware.security.SecurityMiddleware",
    "chefshop.outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chefshop.urls"
ASGI_APPLICATION = "chefshop.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["chefshop.templatetags.shop"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.cart_summary",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
# Persistent connections through psycopg's pool (CONN_MAX_AGE leaks connections under daphne, whose
# sync threads never see request_finished for websockets). Each process holds at most DB_POOL_MAX:
# keep (web processes + worker concurrency + beat) × DB_POOL_MAX below PostgreSQL's max_connections.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 1,
    "max_size": env("DB_POOL_MAX"),
    "timeout": 10,
    "max_idle": 60,
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")

CHANNEL_LAYERS = {
    "default": {
        # Redis Pub/Sub: one PUBLISH per push reaches every web process once, and each process hands it
        # to its own sockets in memory (chefshop/live/hub.py). Nothing queues per socket, so nothing is dropped
        # for being "over capacity"; what a process misses during a Redis blip is caught up by the digest.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout by default (django/channels_redis#422).
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}],
        },
    }
}
# How often a web process flushes the cards changed since its last flush (newest version wins), and how
# often it checks the versions of every card its open pages show against the database.
LIVE_FLUSH_SECONDS = env("LIVE_FLUSH_MS") / 1000
LIVE_DIGEST_SECONDS = env("LIVE_DIGEST_SECONDS")
# A stopping web process waits this long for requests still running in threads, then exits anyway.
WEB_EXIT_GRACE_SECONDS = env.float("WEB_EXIT_GRACE_SECONDS", 5.0)

CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT = "chefshop.broker:Transport"  # kombu's Redis transport, surviving a lost connection
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Unacknowledged tasks (a worker killed mid-task) come back after this many seconds: no ETA or countdown
# may be longer, and no task may run longer (the rule and its helper: chefshop/jobs.py).
# Workers look for such abandoned tasks every 5 seconds (one cheap Redis range query).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env("CELERY_VISIBILITY_TIMEOUT"),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env("TIME_ZONE")

EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
if env.str("EMAIL_BACKEND", ""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
if env.str("EMAIL_FILE_PATH", ""):
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = "ChefShop <kitchen@chefshop.localhost>"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout, for 15 minutes: a (username, address) pair after 5 failures, an address after 20
# failures over any usernames (chefshop/lockout.py). A username alone is never locked, so nobody can keep
# the owner out from elsewhere. The address is chefshop.clients.client_ip: the socket's, or behind a
# TRUSTED_PROXY the one that proxy appended; a forged X-Forwarded-For header buys no attempts.
LOGIN_FAILURE_LIMIT = 5
LOGIN_ADDRESS_FAILURE_LIMIT = 20
AXES_FAILURE_LIMIT = "chefshop.lockout.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "chefshop.clients.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:menu"
LOGOUT_REDIRECT_URL = "orders:menu"

SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True

# Shop settings
ORDER_UNDO_SECONDS = env("ORDER_UNDO_SECONDS")
SLOT_HORIZON_DAYS = env("SLOT_HORIZON_DAYS")
CART_MAX_QUANTITY = env("CART_MAX_QUANTITY")
STOCK_LOW_AT = env("STOCK_LOW_AT")  # the menu says "N left" from this many portions down
SHOP_LOCALE = env("SHOP_LOCALE")  # how prices are written (Babel/CLDR locale); the currency is CURRENCY
SHOP_EMAIL = env("SHOP_EMAIL")  # where "new order" notifications go; empty: none
NOTIFICATION_SWEEP_AFTER = env("NOTIFICATION_SWEEP_AFTER")  # seconds before the sweep re-sends a pending row

# Card payments (payments/): off = pay on delivery. On: a Stripe-compatible provider through the official
# library; STRIPE_API_BASE unset means Stripe itself, else e.g. a local localstripe.
PAYMENTS = env("PAYMENTS").lower() in ("on", "true", "1", "yes")
PAYMENT_HOLD_SECONDS = env("PAYMENT_HOLD_SECONDS")  # how long an unpaid order holds its place and portions
PAYMENT_CAPTURE_TRIES = env("PAYMENT_CAPTURE_TRIES")  # failed captures before the kitchen sees "payment problem"
# Failed refund tries (a minute apart at least) before the order shows "refund problem" and the shop is emailed.
PAYMENT_REFUND_TRIES = env("PAYMENT_REFUND_TRIES")
CURRENCY = env("CURRENCY").upper()
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
STRIPE_JS_URL = env("STRIPE_JS_URL")
STRIPE_CONNECT_TIMEOUT = env("STRIPE_CONNECT_TIMEOUT")
STRIPE_READ_TIMEOUT = env("STRIPE_READ_TIMEOUT")
# localstripe only: the shop's webhook URL, registered with it at every sweep (it forgets them on restart).
STRIPE_REGISTER_WEBHOOK = env("STRIPE_REGISTER_WEBHOOK")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
