from datetime import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog.models import Category, MenuItem
from deliveries.models import Driver
from slots.models import SlotRule
from slots.services import slots_generate

DEMO_PASSWORD = "chefshop-demo"

MENU = {
    "Starters": [
        ("Roasted tomato soup", "Slow-roasted tomatoes, basil oil, sourdough croutons.", "6.50"),
        ("Crispy chickpeas", "Smoked paprika, lemon, sea salt.", "4.00"),
        ("Beetroot salad", "Whipped feta, toasted walnuts, honey dressing.", "7.50"),
    ],
    "Mains": [
        ("Braised beef ragù", "Eight-hour ragù on fresh pappardelle.", "15.50"),
        ("Mushroom risotto", "Arborio, wild mushrooms, parmesan, thyme.", "13.00"),
        ("Chicken katsu curry", "Panko chicken, curry sauce, sticky rice, pickles.", "14.00"),
        ("Roast cauliflower", "Tahini, pomegranate, herby freekeh.", "12.50"),
    ],
    "Desserts": [
        ("Chocolate pot", "Dark chocolate ganache, salted caramel, shortbread.", "6.00"),
        ("Lemon tart", "Sharp lemon curd, crème fraîche.", "5.50"),
    ],
    "Drinks": [
        ("Homemade lemonade", "Lemons, mint, a little sugar.", "3.50"),
        ("Ginger beer", "Brewed in-house, fiery.", "3.50"),
    ],
}

# Dishes the kitchen cooks a fixed number of per delivery day (the rest are unlimited).
DAILY_PORTIONS = {"Braised beef ragù": 12, "Lemon tart": 8}

SCHEDULE = [(time(12, 0), time(13, 0), 6), (time(18, 0), time(19, 0), 6), (time(19, 0), time(20, 0), 6)]


class Command(BaseCommand):
    help = "Load ChefShop demo data: menu, weekly schedule, slots for the horizon and (DEBUG only) demo accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        for position, (category_name, items) in enumerate(MENU.items()):
            category, _ = Category.objects.get_or_create(name=category_name, defaults={"position": position})
            for item_position, (name, description, price) in enumerate(items):
                MenuItem.objects.get_or_create(
                    category=category,
                    name=name,
                    defaults={
                        "description": description,
                        "price": Decimal(price),
                        "position": item_position,
                        "daily_portions": DAILY_PORTIONS.get(name),
                    },
                )
        for weekday in range(7):
            for start, end, capacity in SCHEDULE:
                SlotRule.objects.get_or_create(
                    weekday=weekday, start=start, defaults={"end": end, "capacity": capacity, "cutoff_minutes": 60}
                )
        created = slots_generate()
        self.stdout.write(f"Menu and schedule ready; {created} new delivery slot(s).")
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: demo accounts are not created.")
            return
        self._user("owner", is_staff=True, is_superuser=True)
        for number in (1, 2):
            user = self._user(f"driver{number}")
            Driver.objects.get_or_create(
                user=user, defaults={"name": f"Driver {number}", "phone": f"+44 7700 90000{number}"}
            )
        self._user("customer", email="customer@chefshop.localhost", first_name="Casey", last_name="Customer")
        self.stdout.write(f"Demo accounts: owner, driver1, driver2, customer (password {DEMO_PASSWORD}).")

    def _user(self, username: str, **fields):
        user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user
