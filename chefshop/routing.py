"""The websocket routes, one per registered live topic (``chefshop/live/topics.py``): a topic's socket path
is declared once, with the topic."""

from django.urls import path

from chefshop.live.consumer import LiveConsumer
from chefshop.live.topics import all_topics

websocket_urlpatterns = [path(topic.path, LiveConsumer.as_asgi(topic=topic.name)) for topic in all_topics()]
