from django.core.management.base import BaseCommand

from chefshop.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create ChefShop's periodic jobs in the database (existing ones, as edited in admin, are kept)."

    def handle(self, *args, **options):
        created = ensure_schedules()
        self.stdout.write(f"Periodic jobs ready ({created} new).")
