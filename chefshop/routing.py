from django.urls import path

from chefshop.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/slots/", LiveConsumer.as_asgi(topic="slots")),
    path("ws/orders/<uuid:public_id>/", LiveConsumer.as_asgi(topic="order")),
]
