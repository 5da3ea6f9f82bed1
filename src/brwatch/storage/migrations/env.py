"""Alembic environment: brwatch passes its own engine; no alembic.ini is needed."""

from alembic import context
from sqlalchemy import text

from brwatch.storage.models import Base

# Any fixed number: the advisory lock that serialises migrations on PostgreSQL.
LOCK_KEY = 0x62727761

config = context.config
engine = config.attributes.get("engine")


def run_migrations_online() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        # Processes opening a new database at once migrate one after the other, and each
        # migration is all or nothing (Python's sqlite3 would otherwise commit DDL one by one).
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()
        connection.commit()


run_migrations_online()
