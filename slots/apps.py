from django.apps import AppConfig


class SlotsConfig(AppConfig):
    name = "slots"

    def ready(self) -> None:
        from slots import live, tasks  # noqa: F401  (they connect their receivers)
