"""Production settings: the base settings with every deployment safeguard on.

Use with ``DJANGO_SETTINGS_MODULE=chefshop.settings_production``; SECRET_KEY and ALLOWED_HOSTS
must come from the environment. TLS ends at the proxy in front of daphne, which sets
X-Forwarded-Proto; name that proxy in TRUSTED_PROXY, or nobody's X-Forwarded-Proto is believed
(chefshop.clients.ForwardedHeadersMiddleware drops it from every other peer).
"""

from django.core.exceptions import ImproperlyConfigured

from chefshop.settings import *  # noqa: F403
from chefshop.settings import (
    DEV_STRIPE_SECRET_KEY,
    DEV_STRIPE_WEBHOOK_SECRET,
    PAYMENTS,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    TRUSTED_PROXY,
    env,
)

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without a real one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# With card payments on, Stripe's own secrets: the development defaults are public, and whoever holds the
# webhook secret can sign events that the webhook accepts.
if PAYMENTS:
    for _name, _value, _prefix, _public in (
        ("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY, "sk_", DEV_STRIPE_SECRET_KEY),
        ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET, "whsec_", DEV_STRIPE_WEBHOOK_SECRET),
    ):
        if _value in ("", _public):
            _problem = "is unset (or the public development value)"
        elif not _value.startswith(_prefix):
            _problem = f"does not start with {_prefix}"
        else:
            continue
        raise ImproperlyConfigured(
            f"PAYMENTS is on but {_name} {_problem}: set it to your Stripe account's {_prefix}… secret."
        )

if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://{host}" for host in ALLOWED_HOSTS])

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False  # serve the collected, hashed files (manage.py collectstatic)
