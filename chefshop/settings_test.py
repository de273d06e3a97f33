"""Settings for the test suite: the same as production-like settings, kept apart from a running shop."""

from chefshop.settings import *  # noqa: F403
from chefshop.settings import CHANNEL_LAYERS, REDIS_URL

# A dev server on the same Redis must not receive the tests' pushes, nor they its.
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "chefshop-test"
CELERY_BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/1"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
