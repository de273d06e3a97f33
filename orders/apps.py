from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from orders import live, receivers, tasks  # noqa: F401  (they connect their receivers)
