from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def stamp_open_windows(apps, schema_editor):
    """Orders still in their undo window keep the end they had: placed_at + ORDER_UNDO_SECONDS."""
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(status="received").only("pk", "placed_at"):
        ends = order.placed_at + timedelta(seconds=settings.ORDER_UNDO_SECONDS)
        Order.objects.filter(pk=order.pk).update(undo_until=ends)


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_notification_swept_at")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="undo_until",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(stamp_open_windows, migrations.RunPython.noop),
    ]
