"""The catalog's Alembic revisions, the `catalog` branch (stylist.databases.migrate)."""
