from django.urls import path

from chefshop.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/slots/", LiveConsumer.as_asgi(topic="slots")),
    path("ws/menu/<str:day>/", LiveConsumer.as_asgi(topic="menu")),
    path("ws/stock/", LiveConsumer.as_asgi(topic="dish-stock")),
    path("ws/orders/<uuid:public_id>/", LiveConsumer.as_asgi(topic="order")),
    path("ws/owner/kitchen/", LiveConsumer.as_asgi(topic="kitchen")),
    path("ws/owner/dispatch/", LiveConsumer.as_asgi(topic="dispatch")),
    path("ws/owner/slots/", LiveConsumer.as_asgi(topic="slots-board")),
    path("ws/owner/stock/", LiveConsumer.as_asgi(topic="stock-board")),
    path("ws/driver/", LiveConsumer.as_asgi(topic="driver")),
]
