"""PostgreSQL raises the version of a row a live card shows on every change whose statement did not raise
it itself (chefshop/versions.py)."""

from django.db import migrations

from chefshop.versions import keep_version


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_category_version")]

    operations = [
        keep_version("catalog_category"),
        keep_version("catalog_menuitem"),
        keep_version("catalog_dishday"),
    ]
