"""Create the database named by DATABASE_URL if it does not exist yet (PostgreSQL only)."""

import os
import sys

import environ
import psycopg
from psycopg import sql

url = os.environ.get("DATABASE_URL", "postgres:///chefshop")
config = environ.Env.db_url_config(url)
if "postgresql" not in config["ENGINE"]:
    sys.exit(0)
params = {
    k: v
    for k, v in {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }.items()
    if v
}
try:
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"Created database {config['NAME']}.")
except psycopg.OperationalError as exc:
    print(f"Cannot reach PostgreSQL to create the database: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
