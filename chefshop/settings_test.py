"""Settings for the test suite: the real stack, kept apart from a running shop."""

from chefshop.settings import *  # noqa: F403
from chefshop.settings import CHANNEL_LAYERS, REDIS_URL, env

# A dev server on the same Redis must not receive the tests' pushes or tasks, nor they its.
# TEST_REDIS_DB keeps two checkouts' suites on one machine apart (the broker's database and the prefix).
_TEST_REDIS_DB = env.int("TEST_REDIS_DB", 1)
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"chefshop-test-{_TEST_REDIS_DB}"  # type: ignore[index]
CELERY_BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + f"/{_TEST_REDIS_DB}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Most tests want the order confirmed at once; the tests of the undo window set it themselves
# (and start their worker and daphne with it in the environment).
ORDER_UNDO_SECONDS = env.int("ORDER_UNDO_SECONDS", 0)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

# The test process itself creates and drops its database, which an idle pooled connection would hold
# open; the daphne and Celery processes the tests start use the pool as in production.
if not env.bool("DB_POOL_IN_TESTS", False):
    DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
