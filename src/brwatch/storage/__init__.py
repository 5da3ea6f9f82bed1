"""The database: SQLAlchemy models, Alembic migrations applied on first use, and sessions."""

from brwatch.storage import models
from brwatch.storage.database import Database, DatabaseError, open_database

__all__ = ["Database", "DatabaseError", "models", "open_database"]
