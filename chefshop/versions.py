"""PostgreSQL keeps the versions of the rows live cards show.

A card's version must grow whenever anything it shows changes (docs/live.md). Services raise ``version`` in
the same UPDATE that changes a row, usually as a conditional move (``… WHERE version = %s``). A write
outside the services (a shell ``save()``, a ``QuerySet.update()``, a data fix, a migration, an import) would
not: fresh page loads would serve the cached old card, and open pages would stay stale, since the digest
compares versions. So a trigger on each such table raises ``version`` by one on every UPDATE that changes
the row, **unless the statement already raised it itself**: the services' conditional moves keep working and
nothing is raised twice. It never lets a version go back either (a stale instance's ``save()``).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION chefshop_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version > OLD.version THEN
        RETURN NEW;  -- the statement raised it itself
    END IF;
    NEW.version := OLD.version;
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
"""


def keep_version(table: str) -> migrations.RunSQL:
    """The migration operation that puts the trigger on ``table`` (which has a ``version`` column)."""
    trigger = f"{table}_keep_version"
    return migrations.RunSQL(
        sql=FUNCTION
        + f"DROP TRIGGER IF EXISTS {trigger} ON {table};"
        + f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION chefshop_keep_version();",
        reverse_sql=f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
    )
