"""PostgreSQL raises the version of a row a live card shows on every change whose statement did not raise
it itself (chefshop/versions.py)."""

from django.db import migrations

from chefshop.versions import keep_version


class Migration(migrations.Migration):
    dependencies = [("slots", "0001_initial")]

    operations = [
        keep_version("slots_deliveryslot"),
    ]
