"""Alembic's environment for stylist: migrations run on the connection `databases.migrate` hands over, inside
its transaction (which holds the lock that keeps two processes from migrating one database at once)."""

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it, which Alembic's batch mode does for it.
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
