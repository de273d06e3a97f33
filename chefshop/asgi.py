import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chefshop.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from chefshop import shutdown  # noqa: E402
from chefshop.outage import SocketOutageGuard  # noqa: E402
from chefshop.routing import websocket_urlpatterns  # noqa: E402

shutdown.install(settings.WEB_EXIT_GRACE_SECONDS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            SocketOutageGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
