"""A worker runs only against the schema it was built for: older or newer is refused."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from brwatch.cluster.locks import ClusterError
from brwatch.storage import Database
from brwatch.storage.database import _alembic_config


def check_schema(db: Database) -> None:
    """Raise ClusterError unless the database is at this brwatch's newest migration.

    A worker never migrates: with many hosts, the schema changes once, deliberately (the new
    release's `brwatch schedule`, or any other brwatch command, does it when it opens the
    database), and workers of another release must not write into a schema they do not know.
    """
    scripts = ScriptDirectory.from_config(_alembic_config(db.engine))
    head = scripts.get_current_head()
    current = db.current_revision()
    if current == head:
        return
    if current is None:
        raise ClusterError(
            f"database {db.display_url} has no brwatch schema yet: start "
            f"`brwatch schedule` (or any brwatch command) on it once first"
        )
    try:
        known = {rev.revision for rev in scripts.walk_revisions()}
    except CommandError:
        known = set()
    if current not in known:
        raise ClusterError(
            f"database {db.display_url} has schema {current}, newer than this brwatch knows "
            f"(newest here: {head}): upgrade brwatch on this host"
        )
    raise ClusterError(
        f"database {db.display_url} has schema {current}, older than this brwatch's {head}: "
        f"upgrade it first (run `brwatch schedule` or any brwatch command of this release once)"
    )
