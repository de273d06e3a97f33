from django.apps import AppConfig


class ChefshopConfig(AppConfig):
    name = "chefshop"
