"""Alembic's environment for the store: the migrations run on the store's own connection (toolkit.store.versions)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
