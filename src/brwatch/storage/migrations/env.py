"""Alembic environment: brwatch passes its own engine; no alembic.ini is needed."""

from alembic import context

from brwatch.storage.models import Base

config = context.config
engine = config.attributes.get("engine")


def run_migrations_online() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
