from django.apps import AppConfig


class ChefshopConfig(AppConfig):
    name = "chefshop"

    def ready(self) -> None:
        from chefshop.live import receivers  # noqa: F401  (they connect themselves)
