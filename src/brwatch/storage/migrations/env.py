"""Alembic environment: brwatch passes its own engine; no alembic.ini is needed."""

from alembic import context
from sqlalchemy import Engine, text

from brwatch.storage.models import Base

# Any fixed number: the advisory lock that serialises migrations on PostgreSQL.
LOCK_KEY = 0x62727761

config = context.config
# brwatch.storage.database hands over its engine (there is no alembic.ini to build one from).
engine: Engine = config.attributes["engine"]


def run_migrations_online() -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # Processes opening a new database at once migrate one after the other, and all pending
        # migrations are one transaction. On SQLite the lock is taken before Alembic looks:
        # seeing a transaction of ours, it leaves it alone. Otherwise, since it counts SQLite's
        # DDL as not transactional, it would commit after each migration, and another process
        # could step in between and run the next one too.
        if sqlite:
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()
        connection.commit()


run_migrations_online()
